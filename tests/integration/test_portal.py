"""`odata portal` against the real thing: CKAN 2.11 with PostgreSQL, Redis and gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import ckanapi
import pytest

from odata.portal import Instance, portal_down, portal_reset, portal_status, portal_up
from odata.portal.processes import alive, read_pid

from ..conftest import REPO
from .conftest import Portal, free_port, portal_settings
from .datasets import bilingual_dataset


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return int(response.status)


def odata(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odata", *args],
        cwd=REPO,
        text=True,
        capture_output=True,
        env={**os.environ, **env},
        timeout=300,
    )


def test_status_reports_every_part(portal: Portal) -> None:
    status = portal_status(portal.settings)
    assert status.healthy
    assert status.parts["api"] == "answers (CKAN 2.11.6)"
    assert status.parts["ckan"].startswith("running") and status.parts["redis"].startswith(
        "running"
    )


def test_up_again_is_a_no_op(portal: Portal) -> None:
    inst = Instance(portal.settings)
    before = read_pid(inst.pid_file("gunicorn"), "gunicorn")
    status = portal_up(portal.settings)
    assert status.healthy
    assert read_pid(inst.pid_file("gunicorn"), "gunicorn") == before


def test_token_file_is_owner_only(portal: Portal) -> None:
    assert Instance(portal.settings).token_file.stat().st_mode & 0o077 == 0


def test_pages_and_api_answer(portal: Portal, ckan: ckanapi.RemoteCKAN) -> None:
    org = portal.settings.portal.organization
    name = f"odata-test-{uuid.uuid4().hex[:8]}"
    dataset = ckan.action.package_create(**bilingual_dataset(name, org))
    try:
        resource = ckan.action.datastore_create(
            resource={
                "package_id": dataset["id"],
                "name": "tabella",
                "name_translated": {"it": "Tabella", "en": "Table"},
            },
            fields=[{"id": "code", "type": "text"}, {"id": "value", "type": "int"}],
            records=[{"code": "NA", "value": 5}, {"code": "RM", "value": 7}],
            primary_key=["code"],
        )
        found = ckan.action.datastore_search(
            resource_id=resource["resource_id"], filters={"code": "NA"}
        )
        assert [r["value"] for r in found["records"]] == [5]
        for path in (
            "/",
            "/api/3/action/status_show",
            "/api/3/action/package_search",
            f"/api/3/action/datastore_search?resource_id={resource['resource_id']}",
            f"/dataset/{name}",
            f"/dataset/{name}/resource/{resource['resource_id']}",
            "/dataset",
            f"/organization/{org}",
        ):
            assert get(portal.url + path) == 200, path
    finally:
        ckan.action.dataset_purge(id=name)


def test_datastore_sql_is_not_offered(portal: Portal, ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.action.datastore_search_sql(sql="SELECT 1")


def test_organization_exists(ckan: ckanapi.RemoteCKAN, portal: Portal) -> None:
    org = ckan.action.organization_show(id=portal.settings.portal.organization)
    assert org["title"] == portal.settings.portal.organization_title


def test_port_in_use_is_one_clear_message() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = odata(
            "portal", "up", env={"ODATA_PORTAL_INSTANCE": "busy", "ODATA_PORTAL_PORT": str(port)}
        )
    assert result.returncode == 5
    assert f"Error: port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_port_is_one_clear_message() -> None:
    result = odata("portal", "up", env={"ODATA_PORTAL_PORT": "80"})
    assert result.returncode == 5
    assert "portal.local.port must be between 1024 and 65535" in result.stderr
    not_a_number = odata("portal", "up", env={"ODATA_PORTAL_PORT": "http"})
    assert not_a_number.returncode == 3
    assert "portal.local.port must be int" in not_a_number.stderr
    assert "Traceback" not in result.stderr + not_a_number.stderr


def test_unreachable_postgres_is_one_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "odata.toml"
    config.write_text(
        (REPO / "odata.toml")
        .read_text()
        .replace('instance = "demo"', 'instance = "nopg"')
        .replace("pg_port = 5432", "pg_port = 5999")
        .replace('home = ".portal"', f'home = "{REPO / ".portal"}"')
        .replace("port = 5050", f"port = {free_port()}")
    )
    result = odata("--config", str(config), "portal", "up", env={})
    assert result.returncode == 5
    assert "PostgreSQL is not reachable at 127.0.0.1:5999" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_token_is_one_clear_message(tmp_path: Path) -> None:
    result = odata(
        "portal",
        "status",
        env={"ODATA_PORTAL_INSTANCE": "never_started", "ODATA_PORTAL_PORT": str(free_port())},
    )
    assert result.returncode == 5
    assert "token" in result.stderr.lower() or "not answering" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_instance_comes_up_goes_down_and_resets(portal: Portal) -> None:
    """From empty to up, then down leaves no process of ours, then reset deletes its data."""
    settings = portal_settings("scratch", free_port())
    inst = Instance(settings)
    try:
        status = portal_up(settings)
        assert status.healthy and status.url != portal.url
        pids = {
            "gunicorn": read_pid(inst.pid_file("gunicorn"), "gunicorn"),
            "redis": read_pid(inst.pid_file("redis"), "redis-server"),
        }
        assert all(pids.values())
        portal_down(settings)
        assert not any(alive(pid) for pid in pids.values() if pid)
        assert portal_status(portal.settings).healthy  # the other instance is untouched
    finally:
        portal_reset(settings)
    assert not inst.folder.exists()
