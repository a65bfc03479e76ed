"""The ckan.ini settings of a local instance: everything odata decides, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from odata.portal import Instance
    from odata.portal.database import Database

__all__ = ["ckan_options"]


def ckan_options(inst: Instance, db: Database) -> dict[str, str]:
    """ckan.ini keys → values for ``inst``; the rest keeps `ckan generate config`'s defaults."""
    local = inst.local
    publisher = inst.settings.publisher
    plugins = ["odata", "scheming_datasets", "dcat", "datastore"]
    if not local.solr_url:  # no Solr here: search in PostgreSQL (see docs/deploy.md)
        plugins.insert(0, "odata_search")
    return {
        "ckan.site_url": inst.url,
        "ckan.site_title": "Osservatorio sull'imprenditoria migrante - dati aperti",
        "sqlalchemy.url": db.url(local, db.ckan, db.ckan_password, db.ckan),
        "ckan.datastore.write_url": db.url(local, db.ds_role, db.ds_password, db.datastore),
        "ckan.datastore.read_url": db.url(local, db.ro_role, db.ro_password, db.datastore),
        "ckan.datastore.sqlsearch.enabled": "false",
        "ckan.redis.url": f"unix://{inst.redis_socket}?db=0",
        "solr_url": local.solr_url or "http://127.0.0.1:8983/solr/ckan-unused",
        "ckan.storage_path": str(inst.folder / "storage"),
        "ckan.max_resource_size": "200",
        "ckan.plugins": " ".join(plugins),
        "ckan.auth.create_user_via_web": "false",
        "ckan.locale_default": "it",
        "ckan.locales_offered": "it en",
        "scheming.dataset_schemas": "ckanext.odata:schemas/dataset.yaml",
        "scheming.presets": "ckanext.scheming:presets.json ckanext.dcat.schemas:presets.yaml"
        " ckanext.odata:schemas/presets.json",
        "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 odata_dcatapit",
        "ckanext.dcat.resource.inherit.license": "true",
        "ckanext.odata.publisher_name": publisher.name,
        "ckanext.odata.publisher_identifier": publisher.ipa,
        "ckanext.odata.publisher_email": publisher.email,
        "ckanext.odata.holder_name": publisher.holder_name,
        "ckanext.odata.holder_identifier": publisher.holder_ipa,
        "ckanext.odata.catalog_title_it": "Osservatorio sull'imprenditoria migrante - dati aperti",
        "ckanext.odata.catalog_title_en": "Observatory on migrant entrepreneurship - open data",
        "ckanext.odata.catalog_description_it": "Dati aperti del programma del Ministero del"
        " Lavoro e di Unioncamere sull'imprenditoria delle persone con background migratorio.",
        "ckanext.odata.catalog_description_en": "Open data of the Ministry of Labour and"
        " Unioncamere programme on entrepreneurship of people with a migrant background.",
    }
