"""package_create / package_update wrappers: core tags follow the translated keywords.

Why here and not in a validator: CKAN validates ``tags`` as a nested list whose entries are
fixed before any validator runs, so another field's validator cannot replace them. Setting
``tags`` from ``tags_translated`` just before validation keeps the core tags (search, facets,
tag pages) equal to the keywords of every language, and CKAN still validates each tag.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.odata.validators import core_tags


def _sync_tags(data_dict: dict[str, Any]) -> None:
    tags = core_tags(data_dict)
    if tags is None:
        return
    data_dict["tags"] = [{"name": tag} for tag in tags]
    data_dict.pop("tag_string", None)


@tk.chained_action
def package_create(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    _sync_tags(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def package_update(up_func: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    _sync_tags(data_dict)
    return up_func(context, data_dict)


def all_actions() -> dict[str, Any]:
    """The chained actions this module registers with CKAN (IActions)."""
    return {"package_create": package_create, "package_update": package_update}
