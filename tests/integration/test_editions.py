"""Editions on the real portal: the changelog, an embargo and its lifting, a withdrawal."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import ckanapi
import pytest
import requests

from odata.errors import DataError, DisclosureError, UsageError
from odata.publish import publish_checked
from odata.publish.withdraw import withdraw_edition

from .conftest import Portal
from .proxy import FaultProxy
from .small import PACKAGE, another_release, check_correct, settings_for, wanted

EDITIONS = ("f1", "f2", "f3")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh(ckan: ckanapi.RemoteCKAN, proxy: FaultProxy) -> None:
    for name in (PACKAGE, *(f"{PACKAGE}-{e}" for e in EDITIONS)):
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=name)
    proxy.reset()


def changelog(ckan: ckanapi.RemoteCKAN, name: str) -> list[dict[str, str]]:
    return list(json.loads(ckan.action.package_show(id=name)["changelog"]))


def test_each_dataset_carries_the_changelog_of_its_editions(
    release: Path, proxy: FaultProxy, portal: Portal, ckan: ckanapi.RemoteCKAN
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    publish_checked(settings, release)
    second = another_release(release, "f2")
    publish_checked(settings, second)
    history = changelog(ckan, PACKAGE)
    assert [(e["edition"], e["status"]) for e in history] == [
        ("f1", "published"),
        ("f2", "published"),
    ]
    assert history[1]["dataset"] == f"{PACKAGE}-f2"
    assert changelog(ckan, f"{PACKAGE}-f2") == history
    page = requests.get(f"{portal.url}/dataset/{PACKAGE}", timeout=30).text
    assert f'href="/dataset/{PACKAGE}-f1"' in page  # the history is on the page


def test_an_embargoed_edition_stays_private_until_due_then_one_run_publishes_it(
    release: Path,
    proxy: FaultProxy,
    portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    anonymous: ckanapi.RemoteCKAN,
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    publish_checked(settings, release)
    second = another_release(release, "f2")
    result = publish_checked(settings, second, embargo_until="2026-12-01T12:00", now=NOW)
    assert result.embargo_until == dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)  # Rome: +1
    edition = ckan.action.package_show(id=f"{PACKAGE}-f2")
    assert edition["private"] and edition["embargo_until"] == "2026-12-01T11:00:00+00:00"
    with pytest.raises(ckanapi.NotAuthorized):  # private: hidden from visitors
        anonymous.action.package_show(id=f"{PACKAGE}-f2")
    assert anonymous.action.package_show(id=PACKAGE)["version"] == "f1"
    assert ("hold", PACKAGE) in {(s.action, s.dataset) for s in result.steps}

    proxy.reset()
    early = publish_checked(settings, second, release_due=True, now=NOW)
    assert "not due yet" in early.note and proxy.traffic.total_writes == 0
    again = publish_checked(settings, second, now=NOW)  # a plain run keeps the embargo
    assert again.embargo_until == result.embargo_until
    assert ckan.action.package_show(id=f"{PACKAGE}-f2")["private"]

    due = publish_checked(settings, second, release_due=True, now=NOW + dt.timedelta(hours=3))
    assert due.embargo_until is None and not due.note
    check_correct(ckan, second, (PACKAGE, f"{PACKAGE}-f2"))
    assert not ckan.action.package_show(id=f"{PACKAGE}-f2").get("embargo_until")
    assert anonymous.action.package_show(id=PACKAGE)["version"] == "f2"
    proxy.reset()
    nothing = publish_checked(settings, second, release_due=True, now=NOW)
    assert "no edition" in nothing.note and proxy.traffic.total_writes == 0


def test_an_embargo_in_the_past_or_on_a_public_edition_is_refused(
    release: Path, proxy: FaultProxy, portal: Portal
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    with pytest.raises(UsageError, match="not in the future"):
        publish_checked(settings, release, embargo_until="2026-11-30T10:00", now=NOW)
    publish_checked(settings, release)
    with pytest.raises(UsageError, match="already public"):
        publish_checked(settings, release, embargo_until="2027-01-01T10:00", now=NOW)
    assert proxy.traffic.total_writes > 0  # the publish in between


def test_a_withdrawn_edition_keeps_a_notice_and_loses_its_data(
    release: Path,
    proxy: FaultProxy,
    portal: Portal,
    ckan: ckanapi.RemoteCKAN,
    anonymous: ckanapi.RemoteCKAN,
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    publish_checked(settings, release)
    second = another_release(release, "f2")
    publish_checked(settings, second)
    old = anonymous.action.package_show(id=f"{PACKAGE}-f2")["resources"]
    reason = "Errore nella tabella dei corsi / error in the courses table"
    plan = withdraw_edition(settings, "f2", reason, dry_run=True)
    assert set(plan.datasets) == {PACKAGE, f"{PACKAGE}-f2"} and not plan.applied
    assert anonymous.action.package_show(id=PACKAGE)["resources"]  # the dry run wrote nothing

    withdraw_edition(settings, "f2", reason, today=dt.date(2026, 12, 2))
    for name in (PACKAGE, f"{PACKAGE}-f2"):
        dataset = anonymous.action.package_show(id=name)
        assert not dataset["private"] and dataset["resources"] == []
        assert dataset["title_translated"]["en"].startswith("[WITHDRAWN] ")
        assert "2026-12-02" in dataset["withdrawal_translated"]["it"]
        assert reason in dataset["withdrawal_translated"]["en"]
        entry = next(e for e in changelog(ckan, name) if e["edition"] == "f2")
        assert entry["status"] == "withdrawn" and entry["reason"] == reason
        page = requests.get(f"{portal.url}/dataset/{name}", timeout=30).text
        assert "odata-withdrawn" in page and "Motivo" in page
        rdf = requests.get(f"{portal.url}/dataset/{name}.ttl", timeout=30).text
        assert "dataset-status/WITHDRAWN" in rdf and "versionNotes" in rdf
    for resource in old:  # neither the file nor the table is served any more
        answer = requests.get(resource["url"], timeout=30)
        assert answer.status_code == 404 or answer.content == b"Ritirata / Withdrawn\n"
        if resource["name"] == "catalogo":
            with pytest.raises(ckanapi.NotFound):
                anonymous.action.datastore_search(resource_id=resource["id"])
    assert anonymous.action.package_show(id=f"{PACKAGE}-f1")["resources"]  # others stay

    with pytest.raises(DataError, match="was withdrawn"):
        publish_checked(settings, second)
    third = another_release(release, "f3")
    publish_checked(settings, third)  # the correction restores the latest dataset
    check_correct(ckan, third, (PACKAGE, f"{PACKAGE}-f3"))
    latest = anonymous.action.package_show(id=PACKAGE)
    assert not latest.get("withdrawal_translated") and "[" not in latest["title"]
    assert [e["status"] for e in changelog(ckan, PACKAGE)] == [
        "published",
        "withdrawn",
        "published",
    ]
    assert sorted(r["name"] for r in latest["resources"]) == sorted(wanted(third))


def test_a_withdrawal_reason_with_personal_data_is_refused(
    release: Path, proxy: FaultProxy, portal: Portal
) -> None:
    settings = settings_for(release, proxy.url, portal.token)
    with pytest.raises(DisclosureError):
        withdraw_edition(settings, "f1", "dati di RSSMRA80A01H501U pubblicati per errore")
    with pytest.raises(UsageError, match="no dataset of edition"):
        withdraw_edition(settings, "f9", "errore / error")
    assert proxy.traffic.total_writes == 0
