"""`odata publish` against the real portal: create, unchanged re-run, update in place, gates."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import pytest

from odata.build import build_release
from odata.config import Settings, load_settings
from odata.errors import DataError, PortalError
from odata.publish import publish_release
from odata.sources.synthetic import generate

from .conftest import REPO, Portal

KEY = "0123456789abcdef" * 4
PACKAGES = ("cassetto-digitale", "imprese-migranti", "progetto-imprese-migranti")


@dataclass
class Published:
    root: Path
    settings: Settings
    first: object
    rerun: object


def settings_for(root: Path, portal: Portal, release: str, token: str | None = None) -> Settings:
    return load_settings(
        REPO / "odata.toml",
        environ={"ODATA_PSEUDONYM_KEY": KEY, "ODATA_CKAN_TOKEN": token or portal.token},
        overrides={
            "paths": {
                "sources": str(root / "sources"),
                "build": str(root / "build"),
                "state": str(root / "state"),
            },
            "release": {"id": release},
            "portal": {"url": portal.url, "organization": portal.settings.portal.organization},
        },
    )


@pytest.fixture(scope="module")
def published(
    portal: Portal, ckan: ckanapi.RemoteCKAN, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Published]:
    for package in PACKAGES:  # the test instance may keep datasets of an earlier run
        for name in (package, f"{package}-p1", f"{package}-p2"):
            with contextlib.suppress(ckanapi.NotFound):
                ckan.action.dataset_purge(id=name)
    root = tmp_path_factory.mktemp("publish")
    settings = settings_for(root, portal, "p1")
    generate(root / "sources", seed=1, scale=5, settings=settings)
    build_release(settings)
    plan = publish_release(settings, "p1", dry_run=True)
    assert plan.writes == 0 and {s.action for s in plan.steps} == {"create"}
    first = publish_release(settings, "p1")
    rerun = publish_release(settings, "p1")
    yield Published(root, settings, first, rerun)


def test_every_package_is_public_with_its_tables_in_the_datastore(
    published: Published, anonymous: ckanapi.RemoteCKAN
) -> None:
    for package in PACKAGES:
        for name in (package, f"{package}-p1"):
            dataset = anonymous.action.package_show(id=name)
            assert not dataset["private"] and dataset["license_id"] == "cc-by-4.0"
            names = [r["name"] for r in dataset["resources"]]
            assert len(names) == len(set(names)) and "datapackage" in names
    dataset = anonymous.action.package_show(id="imprese-migranti")
    table = next(r for r in dataset["resources"] if r["name"] == "imprese-attive-territorio")
    assert table["datastore_active"]
    found = anonymous.action.datastore_search(
        resource_id=table["id"], filters={"territorio": "063", "titolarita": "migrante"}
    )
    assert found["total"] >= 1
    assert all(r["territorio"] == "063" for r in found["records"])
    labels = {f["id"]: f.get("info", {}).get("label") for f in found["fields"]}
    assert labels["titolarita"] == "Titolarità / Ownership"


def test_an_unchanged_release_makes_no_write_call(published: Published) -> None:
    assert published.first.writes > 0  # type: ignore[attr-defined]
    assert published.rerun.writes == 0  # type: ignore[attr-defined]
    assert {s.action for s in published.rerun.steps} == {"unchanged"}  # type: ignore[attr-defined]


def test_briefs_read_the_same_numbers_from_the_portal_as_from_the_release(
    published: Published, portal: Portal, tmp_path: Path
) -> None:
    """The briefs' two sources agree to the last digit: every panel of every brief renders the
    same HTML from the DataStore as from the release; the cache then serves a portal outage."""
    from odata.briefs.app import _briefs
    from odata.briefs.data import PortalTables, ReleaseTables
    from odata.briefs.view import parse_state

    release = published.settings.path("build") / "releases" / "p1"
    sources = {
        "release": ReleaseTables(release, portal.url),
        "portal": PortalTables(portal.url, tmp_path / "cache"),
    }
    for name, make in _briefs().items():
        views = {}
        for kind, tables in sources.items():
            brief = make(tables)
            state = parse_state("lang=en", brief.filters("en"))
            # guides open from the portal, or from the briefs server when offline: links differ
            views[kind] = [
                re.sub(r'href="[^"]*"', "href", brief.panel_html(key, state))
                for key, _, _ in brief.layout
            ]
        assert views["portal"] == views["release"], name
    offline = PortalTables("http://127.0.0.1:9", tmp_path / "cache")  # nothing listens there
    cached = offline.table("progetto-imprese-migranti", "kpi")
    assert cached.equals(sources["release"].table("progetto-imprese-migranti", "kpi"))


def test_a_new_release_updates_the_latest_dataset_in_place(
    published: Published, portal: Portal, anonymous: ckanapi.RemoteCKAN
) -> None:
    before = {
        r["name"]: (r["id"], r["url"])
        for r in anonymous.action.package_show(id="progetto-imprese-migranti")["resources"]
    }
    settings = settings_for(published.root, portal, "p2")
    build_release(settings)  # same sources: new version, notes and descriptors; same tables
    result = publish_release(settings, "p2")
    actions = {(s.dataset, s.action) for s in result.steps if s.resource is None}
    assert ("progetto-imprese-migranti-p2", "create") in actions
    assert ("progetto-imprese-migranti", "update") in actions
    changed = {s.resource for s in result.steps if s.dataset == "progetto-imprese-migranti"}
    unchanged = {
        s.resource
        for s in result.steps
        if s.dataset == "progetto-imprese-migranti" and s.action == "unchanged"
    }
    assert "datapackage" in changed - unchanged and "kpi" in unchanged
    after = anonymous.action.package_show(id="progetto-imprese-migranti")
    assert after["version"] == "p2"
    now = {r["name"]: (r["id"], r["url"]) for r in after["resources"]}
    assert set(now) == set(before)
    assert all(now[name][0] == before[name][0] for name in now)  # stable ids
    assert anonymous.action.package_show(id="progetto-imprese-migranti-p1")["version"] == "p1"


def test_a_bad_token_is_refused_before_any_write(published: Published, portal: Portal) -> None:
    settings = settings_for(published.root, portal, "p1", token="not-a-token")
    with pytest.raises(PortalError, match="does not recognise the token"):
        publish_release(settings, "p1")


def test_a_release_that_fails_validation_is_refused(
    published: Published, portal: Portal, tmp_path: Path
) -> None:
    copy = tmp_path / "p1"
    shutil.copytree(published.root / "build" / "releases" / "p1", copy)
    table = copy / "imprese-migranti" / "data" / "imprese-attive-forma.csv"
    lines = table.read_text().splitlines()
    cells = lines[2].split(",")
    cells[-2] = str(int(cells[-2] or 0) + 1000)
    lines[2] = ",".join(cells)
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="does not validate"):
        publish_release(published.settings, copy)


def test_pull_round_trips_an_edition_byte_for_byte(published: Published, tmp_path: Path) -> None:
    from odata.publish.pull import pull_dataset
    from odata.validate import validate_package

    release = published.root / "build" / "releases" / "p1"
    for package in PACKAGES:
        out = tmp_path / package
        descriptor = pull_dataset(published.settings, f"{package}-p1", out)
        files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
        original = release / package
        assert files == sorted(p.relative_to(original) for p in original.rglob("*") if p.is_file())
        for name in files:
            assert (out / name).read_bytes() == (original / name).read_bytes(), name
        assert validate_package(descriptor) == []


def test_the_report_is_published_with_the_programmes_edition(
    published: Published, portal: Portal, anonymous: ckanapi.RemoteCKAN
) -> None:
    """`odata report` then `odata publish`: the edition and the latest programme dataset get
    the report's HTML and PDF, the same bytes, and nothing else is written again."""
    import hashlib

    from odata.report.build import build_report

    settings = settings_for(published.root, portal, "p2")
    report = build_report(settings, "p2")
    result = publish_release(settings, "p2")
    programme = ("progetto-imprese-migranti", "progetto-imprese-migranti-p2")
    changed = {(s.dataset, s.resource) for s in result.steps if s.action != "unchanged"}
    assert {r for r in changed if r[1] is not None} == {
        (name, f"rapporto-{kind}") for name in programme for kind in ("html", "pdf")
    }
    assert {name for name, _ in changed} == set(programme)
    for name in programme:
        resources = {r["name"]: r for r in anonymous.action.package_show(id=name)["resources"]}
        for path, kind in ((report.html, "html"), (report.pdf, "pdf")):
            resource = resources[f"rapporto-{kind}"]
            assert (
                resource["hash"].removeprefix("sha256:")
                == hashlib.sha256(path.read_bytes()).hexdigest()
            )
