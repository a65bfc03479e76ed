"""The ckan.ini the local portal writes: pure functions, no services."""

from __future__ import annotations

from odata.config import load_settings
from odata.portal import Instance
from odata.portal.database import Database
from odata.portal.options import ckan_options

from ..conftest import REPO


def options(**local: object) -> dict[str, str]:
    settings = load_settings(
        REPO / "odata.toml", environ={}, overrides={"portal": {"local": local}}
    )
    instance = settings.portal.local.instance
    return ckan_options(Instance(settings), Database(instance, "a", "b", "c"))


def test_without_solr_the_postgresql_search_plugin_is_first() -> None:
    plugins = options()["ckan.plugins"].split()
    assert plugins[0] == "odata_search"
    assert {"odata", "scheming_datasets", "dcat", "datastore"} <= set(plugins)


def test_with_solr_ckan_keeps_its_own_search() -> None:
    written = options(solr_url="http://127.0.0.1:8983/solr/ckan")
    assert "odata_search" not in written["ckan.plugins"].split()
    assert written["solr_url"] == "http://127.0.0.1:8983/solr/ckan"


def test_datastore_roles_are_separate_and_sql_search_is_off() -> None:
    written = options(instance="demo")
    assert written["ckan.datastore.write_url"].startswith("postgresql://odata_demo_ds:")
    assert written["ckan.datastore.read_url"].startswith("postgresql://odata_demo_ds_ro:")
    assert written["ckan.datastore.sqlsearch.enabled"] == "false"


def test_each_instance_has_its_own_port_databases_and_redis() -> None:
    demo, test = options(instance="demo", port=5050), options(instance="test", port=5061)
    assert demo["ckan.site_url"] != test["ckan.site_url"]
    assert demo["sqlalchemy.url"] != test["sqlalchemy.url"]
    assert demo["ckan.redis.url"] != test["ckan.redis.url"]
