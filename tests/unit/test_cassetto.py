"""The cassetto digitale: the catalogue matches the guides, every page renders accessibly, and
the package validates and holds no personal data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from odata.anonymize.pii import scan_paths
from odata.cassetto import read_guides, render, write_cassetto
from odata.config import load_settings
from odata.errors import ConfigError
from odata.validate import validate_package

REPO = Path(__file__).resolve().parents[2]


def test_every_claimed_language_exists_and_the_core_languages_are_there() -> None:
    catalogue, guides = read_guides(REPO / "cassetto")
    entries = catalogue["guides"] if isinstance(catalogue, dict) else catalogue
    assert len(entries) >= 6
    for entry in entries:
        assert {"it", "en"} <= set(entry["languages"]), entry["slug"]
    assert sum(1 for e in entries if {"fr", "ar", "zh"} <= set(e["languages"])) >= 3
    for guide in guides:
        assert guide.sources and all(url.startswith("https://") for _, url in guide.sources)


def test_pages_are_accessible_and_arabic_is_right_to_left() -> None:
    _, guides = read_guides(REPO / "cassetto")
    for guide in guides:
        page = render(guide)
        assert f'lang="{guide.language}"' in page
        assert ('dir="rtl"' in page) == (guide.language == "ar")
        assert "<h1>" in page or "<h2>" in page
        assert not re.search(r"<script|src=\"http|href=\"//", page)


def test_a_language_claimed_without_its_file_fails(tmp_path: Path) -> None:
    copy = tmp_path / "cassetto"
    shutil.copytree(REPO / "cassetto", copy)
    catalogue_path = copy / "catalogue.yaml"
    catalogue = yaml.safe_load(catalogue_path.read_text(encoding="utf-8"))
    entries = catalogue["guides"] if isinstance(catalogue, dict) else catalogue
    entries[0]["languages"].append("de")
    catalogue_path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="file is missing"):
        read_guides(copy)


def test_the_package_validates_and_has_no_personal_data(tmp_path: Path) -> None:
    settings = load_settings(None, environ={})
    descriptor = write_cassetto(tmp_path, settings)
    assert validate_package(descriptor) == []
    assert scan_paths([tmp_path]) == []
