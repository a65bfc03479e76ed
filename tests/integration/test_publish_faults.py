"""`odata publish` under faults, through a proxy in front of the real portal.

Each fault (503, slow answers, dropped connections before or after the portal acted, the
portal killed between two calls, the token revoked mid-way) is followed by at most one more
run, after which the portal must be correct: every dataset public, no duplicate resource, no
private leftover, every resource the release's bytes and every DataStore table its rows. While
a run is broken off, no public dataset may show a missing or stale resource.

The package is small (see small.py) so each scenario publishes from scratch in seconds; the
DataStore is loaded five rows a call so a fault can fall in the middle of a table.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from pathlib import Path

import ckanapi
import pytest

from odata.errors import DataError, OdataError
from odata.portal import Instance, portal_up
from odata.portal.processes import read_pid
from odata.publish import publish_checked, publisher

from .conftest import Portal
from .proxy import Fault, FaultProxy
from .small import (
    DATASETS,
    PACKAGE,
    check_correct,
    check_nothing_public_is_partial,
    settings_for,
)


@pytest.fixture(autouse=True)
def fresh(ckan: ckanapi.RemoteCKAN, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scenario starts with no dataset of the package and no fault."""
    for name in DATASETS:
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=name)
    proxy.reset()
    proxy.before_write = None
    monkeypatch.setattr(publisher, "CHUNK_ROWS", 5)


def test_an_unchanged_rerun_sends_no_write_to_the_portal(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    publish_checked(settings, release)
    assert proxy.traffic.total_writes > 0
    check_correct(ckan, release)
    proxy.reset()
    result = publish_checked(settings, release)
    assert proxy.traffic.total_writes == 0, proxy.traffic.writes
    assert {s.action for s in result.steps} == {"unchanged"}


def test_503_slow_answers_and_dropped_calls_are_retried_without_duplicates(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    proxy.reset(
        Fault("package_create", 1, "drop-after"),  # made, but the answer is lost
        Fault("resource_create", 1, "503"),
        Fault("resource_create", 2, "drop-after"),  # made, but the answer is lost
        Fault("datastore_create", 1, "drop-before"),
        Fault("datastore_upsert", 2, "503"),
        Fault("resource_create", 4, "delay", seconds=1.0),
        Fault("package_patch", 1, "drop-before"),
        Fault("resource_create", 6, "drop-after"),
    )
    publish_checked(settings_for(release, proxy.url, portal.token), release)
    assert len(proxy.traffic.injected) == 8
    check_correct(ckan, release)


def test_an_answer_lost_in_the_middle_of_a_table_is_mended_by_one_more_run(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    """A retried insert whose first attempt did happen duplicates rows: the read-back sees it,
    the run stops, and the next run reloads the table."""
    settings = settings_for(release, proxy.url, portal.token)
    proxy.reset(Fault("datastore_upsert", 2, "drop-after"))
    with pytest.raises(OdataError, match="DataStore table of catalogo does not match"):
        publish_checked(settings, release)
    check_nothing_public_is_partial(ckan, release)
    proxy.reset()
    publish_checked(settings, release)
    check_correct(ckan, release)


def kill_portal(portal: Portal) -> None:
    """SIGKILL CKAN's gunicorn, master and workers, as a crash would."""
    pid = read_pid(Instance(portal.settings).pid_file("gunicorn"), "gunicorn")
    assert pid is not None
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for victim in [pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


@pytest.mark.parametrize("at_write", [5, 12])
def test_the_portal_killed_mid_publish_is_completed_by_one_more_run(
    at_write: int,
    release: Path,
    proxy: FaultProxy,
    portal: Portal,
    ckan: ckanapi.RemoteCKAN,
) -> None:
    """Write 5 falls inside the first DataStore load, write 12 between two uploads."""
    settings = settings_for(release, proxy.url, portal.token)

    def crash(number: int, action: str) -> None:
        if number == at_write:
            kill_portal(portal)

    proxy.before_write = crash
    with pytest.raises(OdataError, match="kept failing"):
        publish_checked(settings, release)
    proxy.before_write = None
    portal_up(portal.settings)
    check_nothing_public_is_partial(ckan, release)
    publish_checked(settings, release)
    check_correct(ckan, release)


def test_a_token_revoked_mid_way_stops_the_run_and_a_new_token_completes_it(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    user = "editor-guasti"
    with contextlib.suppress(ckanapi.ValidationError):
        ckan.action.user_create(name=user, email="editor@example.org", password="x" * 12)
    ckan.action.organization_member_create(id="odata-test", username=user, role="editor")
    first = ckan.action.api_token_create(user=user, name="faults")["token"]
    settings = settings_for(release, proxy.url, first)

    def revoke(number: int, action: str) -> None:
        if number == 9:
            ckan.action.api_token_revoke(token=first)

    proxy.before_write = revoke
    with pytest.raises(OdataError, match="may not call") as raised:
        publish_checked(settings, release)
    assert first not in str(raised.value) and first not in repr(raised.value.__dict__)
    proxy.before_write = None
    check_nothing_public_is_partial(ckan, release)
    second = ckan.action.api_token_create(user=user, name="faults-2")["token"]
    publish_checked(settings_for(release, proxy.url, second), release)
    check_correct(ckan, release)


def test_a_duplicate_left_by_an_older_version_is_removed(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    publish_checked(settings, release)
    guide = release / PACKAGE / "guides" / "aprire-impresa-it.html"
    with guide.open("rb") as handle:
        ckan.action.resource_create(
            package_id=PACKAGE,
            name="aprire-impresa-it",
            name_translated=json.dumps({"it": "Copia", "en": "Copy"}),
            upload=handle,
            format="HTML",
        )
    result = publish_checked(settings, release)
    assert [s.why for s in result.steps if s.action == "delete"] == ["duplicate of the same name"]
    check_correct(ckan, release)


def test_a_field_the_portals_schema_requires_is_reported_before_any_write(
    release: Path, proxy: FaultProxy, portal: Portal, tmp_path: Path
) -> None:
    copy = tmp_path / "f1"
    shutil.copytree(release, copy)
    path = copy / PACKAGE / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["description_translated"]["en"] = ""
    descriptor["resources"][1]["title_translated"] = {"it": "Guida", "en": ""}
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    settings = settings_for(release, proxy.url, portal.token)
    for dry_run in (True, False):
        with pytest.raises(DataError, match="requires fields") as raised:
            publish_checked(settings, copy, dry_run=dry_run)
        found = {(p.file, p.column) for p in raised.value.problems}
        resource = descriptor["resources"][1]["name"]
        assert found == {
            (PACKAGE, "notes_translated"),
            (f"{PACKAGE}-f1", "notes_translated"),
            (f"{PACKAGE}/{resource}", "name_translated"),
            (f"{PACKAGE}-f1/{resource}", "name_translated"),
        }
    assert proxy.traffic.total_writes == 0
