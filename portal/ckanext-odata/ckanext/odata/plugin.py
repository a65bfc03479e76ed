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
    """Bilingual DCAT-AP_IT dataset schema support: validators and template helpers."""
