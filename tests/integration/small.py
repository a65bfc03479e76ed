"""A small package to publish in seconds: the cassetto's catalogue and three guides, renamed
``prova-guasti``, as release ``f1`` (and copies as later releases). It holds no statistical
table, so tests publish it with `publish_checked` (the validation and audit gate is tested in
test_publish.py). Helpers check the portal's state against it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import ckanapi
import requests

from odata.config import Settings, load_settings

from .conftest import REPO

PACKAGE = "prova-guasti"
DATASETS = (PACKAGE, f"{PACKAGE}-f1")
KEY = "0123456789abcdef" * 4
KEEP = ("catalogo", "aprire-impresa-it", "aprire-impresa-en", "registro-imprese-it")


def settings_for(release: Path, url: str, token: str) -> Settings:
    root = release.parents[2]
    return load_settings(
        REPO / "odata.toml",
        environ={"ODATA_PSEUDONYM_KEY": KEY, "ODATA_CKAN_TOKEN": token},
        overrides={
            "paths": {"build": str(root / "build"), "state": str(root / "state")},
            "release": {"id": "f1"},
            "portal": {
                "url": url,
                "organization": "odata-test",
                "request_timeout": 3.0,
                "deadline": 8.0,
            },
        },
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wanted(release: Path) -> dict[str, str]:
    """Resource name → sha256 of what the portal must hold."""
    descriptor = release / PACKAGE / "datapackage.json"
    out = {
        r["name"]: str(r["hash"]).removeprefix("sha256:")
        for r in json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
    }
    out["datapackage"] = sha256(descriptor.read_bytes())
    return out


def rows(release: Path) -> int:
    with (release / PACKAGE / "data" / "catalogo.csv").open(encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def check_complete(ckan: ckanapi.RemoteCKAN, release: Path, name: str) -> None:
    """``name`` holds exactly the release: names, bytes and DataStore rows."""
    dataset = ckan.action.package_show(id=name)
    names = [r["name"] for r in dataset["resources"]]
    assert sorted(names) == sorted(wanted(release)), f"{name}: {names}"
    for resource in dataset["resources"]:
        expected = wanted(release)[resource["name"]]
        assert resource["hash"] == f"sha256:{expected}", resource["name"]
        data = requests.get(resource["url"], timeout=30).content
        assert sha256(data) == expected, resource["name"]
        if resource["name"] == "catalogo":
            found = ckan.action.datastore_search(resource_id=resource["id"], limit=1)
            assert found["total"] == rows(release)


def check_correct(
    ckan: ckanapi.RemoteCKAN, release: Path, datasets: tuple[str, ...] = DATASETS
) -> None:
    for name in datasets:
        assert not ckan.action.package_show(id=name)["private"], name
        check_complete(ckan, release, name)


def check_nothing_public_is_partial(ckan: ckanapi.RemoteCKAN, release: Path) -> None:
    for name in DATASETS:
        try:
            dataset = ckan.action.package_show(id=name)
        except ckanapi.NotFound:
            continue
        if not dataset["private"]:
            check_complete(ckan, release, name)


def cut_release(brief_release: Path, root: Path) -> Path:
    """Release ``f1`` under ``root``: one package cut from the cassetto of ``brief_release``."""
    folder = root / "build" / "releases" / "f1" / PACKAGE
    shutil.copytree(brief_release / "cassetto-digitale", folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = PACKAGE
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] in KEEP]
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    shutil.copytree(brief_release.parents[2] / "state", root / "state")
    return folder.parent


def another_release(release: Path, edition: str) -> Path:
    """A copy of ``release`` as release ``edition`` (same data, a new edition)."""
    copy = release.parent / edition
    if not copy.exists():
        shutil.copytree(release, copy)
    return copy
