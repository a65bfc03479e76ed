"""The cassetto digitale: the catalogue matches the guides, every page renders accessibly, every
guide is also a PDF with real glyphs in every script, and the package validates and holds no
personal data (in its PDFs' text too)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from odata.anonymize.pii import scan_paths
from odata.cassetto import FORMATS, read_guides, render, write_cassetto
from odata.config import Settings, load_settings
from odata.errors import ConfigError
from odata.pdf import pdf_text, print_pdf
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


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(None, environ={})


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    """The package as a build writes it (HTML and PDFs); its descriptor."""
    return write_cassetto(tmp_path_factory.mktemp("cassetto"), settings)


def test_the_package_validates_and_has_no_personal_data(package: Path) -> None:
    for engine in ("fast", "frictionless"):
        assert validate_package(package, engine=engine) == [], engine
    assert scan_paths([package.parent]) == []  # the PDFs' text included


def test_every_guide_is_a_pdf_in_every_language_the_catalogue_claims(package: Path) -> None:
    folder = package.parent
    catalogue, _ = read_guides(REPO / "cassetto")
    entries = catalogue["guides"] if isinstance(catalogue, dict) else catalogue
    claimed = {(e["slug"], language) for e in entries for language in e["languages"]}
    with (folder / "data" / "catalogo.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["argomento"], r["lingua"], r["formato"]) for r in rows} == {
        (topic, language, fmt) for topic, language in claimed for fmt in FORMATS
    }
    resources = {r["name"]: r for r in json.loads(package.read_text())["resources"]}
    assert {r["risorsa"] for r in rows} <= set(resources)
    for row in rows:
        resource = resources[row["risorsa"]]
        assert (resource["format"], resource["languages"]) == (row["formato"], [row["lingua"]])
        data = (folder / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        if row["formato"] == "pdf":
            assert resource["mediatype"] == "application/pdf"
            assert resource["path"] == f"guides/{row['argomento']}-{row['lingua']}.pdf"
            reader = PdfReader(folder / resource["path"])
            assert len(reader.pages) >= 1
            assert reader.trailer["/Root"]["/Lang"] == row["lingua"]  # tagged, in its language
            assert "/StructTreeRoot" in reader.trailer["/Root"]
            assert reader.metadata is not None and reader.metadata.title == row["titolo"]


def test_the_pdf_text_has_real_glyphs_in_every_script(package: Path) -> None:
    """Characters printed as missing-glyph boxes, or mapped to look-alikes (Kangxi radicals
    for ideographs), do not come back as the guide's own characters."""
    _, guides = read_guides(REPO / "cassetto")
    for guide in guides:
        text = pdf_text(package.parent / guide.path_of("pdf"))
        assert "\ufffd" not in text and "\u25a1" not in text, guide.resource
        if guide.language == "zh":
            assert re.search(r"[\u4e00-\u9fff]", text), guide.resource
            assert not re.search(r"[\u2e80-\u2fdf]", text), guide.resource  # radicals
            assert guide.title in "".join(text.split()), guide.resource
            missing = set(re.findall(r"[\u4e00-\u9fff]", guide.body)) - set(text)
            assert not missing, (guide.resource, missing)
        elif guide.language == "ar":
            # Chromium prints shaped letters (presentation forms); NFKC gives them back
            letters = unicodedata.normalize("NFKC", text)
            assert re.search(r"[\u0600-\u06ff]", letters), guide.resource
            for word in re.findall(r"[\u0600-\u06ff]+", guide.title):
                assert word in letters, (guide.resource, word)
        else:
            assert " ".join(guide.title.split()[:3]) in " ".join(text.split()), guide.resource


def test_the_pdfs_are_dated_with_the_release_not_the_clock(
    package: Path, settings: Settings
) -> None:
    stamp = f"D:{settings.release.created:%Y%m%d}000000+00'00'"
    for pdf in sorted((package.parent / "guides").glob("*.pdf")):
        info = PdfReader(pdf).metadata
        assert info is not None
        assert (info["/CreationDate"], info["/ModDate"]) == (stamp, stamp), pdf.name
        assert info["/Creator"] == "odata cassetto", pdf.name


def test_a_codice_fiscale_planted_in_a_guide_is_found_in_its_pdf(tmp_path: Path) -> None:
    _, guides = read_guides(REPO / "cassetto")
    guide = next(g for g in guides if g.language == "zh")
    planted = dataclasses.replace(guide, body=guide.body + "\n\n联系人：RSSMRA85T10A562S\n")
    page, pdf = tmp_path / "guida.html", tmp_path / "guida.pdf"
    page.write_text(render(planted), encoding="utf-8")
    print_pdf(page, pdf, guide.reviewed, tagged=True)
    page.unlink()  # the PDF alone: its text is what is scanned
    problems = scan_paths([tmp_path])
    assert [(Path(p.file or "").name, p.column) for p in problems] == [
        ("guida.pdf", "codice-fiscale")
    ]
