"""`odata report` on a release built like the demo's: the chapters execute as notebooks, every
KPI in the report equals the published table, every quoted figure names a table of the
release, the PDF has its pages and readable text, and the PII scan guards both files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from odata.config import Settings, load_settings
from odata.errors import DisclosureError
from odata.report.build import ReportResult, _scan, build_report

from ..conftest import REPO


def settings_for(release: Path) -> Settings:
    build = release.parents[1]
    return load_settings(
        REPO / "odata.toml",
        environ={},
        overrides={"paths": {"build": str(build), "state": str(build.parent / "state")}},
    )


@pytest.fixture(scope="module")
def report(brief_release: Path) -> ReportResult:
    return build_report(settings_for(brief_release), brief_release.name)


def test_the_report_is_written_into_the_programmes_package(
    report: ReportResult, brief_release: Path
) -> None:
    folder = brief_release / "progetto-imprese-migranti" / "rapporto"
    assert report.html == folder / f"rapporto-{brief_release.name}.html"
    assert report.pdf.is_file() and report.pages >= 10
    page = report.html.read_text(encoding="utf-8")
    assert "<script" not in page and "src=" not in page  # self-contained: loads nothing
    portal = settings_for(brief_release).portal.url
    assert {link.split("/dataset/")[0] for link in re.findall(r'href="(http[^"]+)"', page)} == {
        portal
    }  # links (not requests) only to the dataset editions on the portal
    for heading in ("Executive summary", "Sintesi", "Per la Cabina di Regia", "Metodologia"):
        assert heading in page


def test_every_kpi_in_the_report_equals_the_published_table(
    report: ReportResult, brief_release: Path
) -> None:
    with (brief_release / "progetto-imprese-migranti" / "data" / "kpi.csv").open() as handle:
        kpi = {
            (r["indicatore"], r["misura"]): r["value"]
            for r in csv.DictReader(handle)
            if r["camera"] == "_T"
        }
    rows = re.findall(
        r'<tr data-indicatore="([^"]+)" data-raggiunto="([^"]*)" data-obiettivo="([^"]*)">',
        report.html.read_text(encoding="utf-8"),
    )
    assert len(rows) == 5
    for indicator, reached, target in rows:
        assert float(reached) == float(kpi[(indicator, "raggiunto")])
        assert float(target) == float(kpi[(indicator, "obiettivo")])


def test_every_quoted_figure_names_a_published_table(
    report: ReportResult, brief_release: Path
) -> None:
    cited = re.findall(
        r'class="odata-figure" data-package="([^"]+)" data-table="([^"]+)"',
        report.html.read_text(encoding="utf-8"),
    )
    assert len(cited) >= 15
    for package, table in set(cited):
        assert (brief_release / package / "data" / f"{table}.csv").is_file()


def test_the_pdf_text_is_complete_with_no_missing_glyphs(report: ReportResult) -> None:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(report.pdf).pages)
    for words in ("Executive summary", "attività", "Cabina di Regia", "riservato", "Fonte:"):
        assert words in text
    assert "\ufffd" not in text and "\u25a1" not in text  # replacement char, empty box


def test_the_scan_refuses_a_report_with_personal_data(report: ReportResult, tmp_path: Path) -> None:
    settings = settings_for(report.html.parents[2])
    _scan(report.html, report.pdf, settings)  # the real report passes
    leaky = tmp_path / "leaky.html"
    leaky.write_text(  # a fictitious codice fiscale in a chapter's text
        report.html.read_text(encoding="utf-8").replace("Sintesi", "Sintesi RSSMRA85T10A562S"),
        encoding="utf-8",
    )
    with pytest.raises(DisclosureError):
        _scan(leaky, report.pdf, settings)


def test_the_same_release_gives_the_same_report_bytes(
    report: ReportResult, brief_release: Path
) -> None:
    before = (report.html.read_bytes(), report.pdf.read_bytes())
    again = build_report(settings_for(brief_release), brief_release.name)
    assert (again.html.read_bytes(), again.pdf.read_bytes()) == before
