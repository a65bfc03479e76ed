"""The two CKAN plugins of the odata portal (thin: the work is in the modules they call)."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p

from ckanext.odata import search


class OdataSearchPlugin(p.SingletonPlugin):
    """Search datasets in PostgreSQL instead of Solr (only for portals without Solr)."""

    p.implements(p.IConfigurer)

    def update_config(self, config: Any) -> None:
        search.install(config)


class OdataPlugin(p.SingletonPlugin):
    """Bilingual DCAT-AP_IT dataset schema support: validators and template helpers.

    The schema and presets live in ``schemas/`` (ckanext-scheming reads them from
    ``scheming.dataset_schemas`` / ``scheming.presets``); the DCAT-AP_IT RDF profile is
    registered separately, on the ``ckan.rdf.profiles`` entry point (``profile.py``).
    List this plugin before ``scheming_datasets`` so its templates come first.
    """

    p.implements(p.IConfigurer)
    p.implements(p.IValidators)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IActions)

    def update_config(self, config: Any) -> None:
        """Add our templates; use our licence list (ids such as ``cc-by-4.0``) unless the
        site configures its own ``licenses_group_url``."""
        from pathlib import Path

        p.toolkit.add_template_directory(config, "templates")
        if not config.get("licenses_group_url"):
            licences = Path(__file__).parent / "schemas" / "licenses.json"
            config["licenses_group_url"] = licences.as_uri()

    def get_validators(self) -> dict[str, Any]:
        from ckanext.odata.validators import all_validators

        return all_validators()

    def get_helpers(self) -> dict[str, Any]:
        from ckanext.odata.helpers import all_helpers

        return all_helpers()

    def get_actions(self) -> dict[str, Any]:
        from ckanext.odata.actions import all_actions

        return all_actions()
