"""The briefs' views on a built release: numbers equal the published cells, confidential cells
read "riservato / confidential" (never 0), unexpected input falls back to defaults, every chart
is valid Vega-Lite, the download holds the view with its licence and edition, and the briefs
read nothing but the release's published files."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pytest

from odata.briefs.app import _briefs
from odata.briefs.brief import Brief
from odata.briefs.data import ReleaseTables
from odata.briefs.static import render_static
from odata.briefs.view import parse_state, query_of, view_zip

PORTAL = "http://portal.example"


@pytest.fixture(scope="module")
def briefs(brief_release: Path) -> dict[str, Brief]:
    tables = ReleaseTables(brief_release, PORTAL)
    return {name: make(tables) for name, make in _briefs().items()}


def published(release: Path, package: str, table: str) -> pd.DataFrame:
    return pd.read_csv(
        release / package / "data" / f"{table}.csv", dtype=str, keep_default_na=False
    )


def test_share_of_migrant_firms_equals_the_published_cells(
    briefs: dict[str, Brief], brief_release: Path
) -> None:
    frame = published(brief_release, "imprese-migranti", "imprese-attive-territorio")
    year = max(frame["anno"])
    brief = briefs["imprese"]
    panel = brief.panel("confronto", parse_state(f"anno={year}", brief.filters("it")))
    migrant = frame[
        (frame.anno == year) & (frame.territorio == "_T") & (frame.titolarita == "migrante")
    ]
    total = frame[(frame.anno == year) & (frame.territorio == "_T") & (frame.titolarita == "_T")]
    expected = 100 * float(migrant.value.iloc[0]) / float(total.value.iloc[0])
    assert panel.data["value"].iloc[0] == pytest.approx(expected)
    assert panel.data["imprese_migranti"].iloc[0] == float(migrant.value.iloc[0])


def test_kpi_progress_equals_the_published_kpi_table(
    briefs: dict[str, Brief], brief_release: Path
) -> None:
    kpi = published(brief_release, "progetto-imprese-migranti", "kpi")
    brief = briefs["progetto"]
    panel = brief.panel("obiettivi", parse_state("", brief.filters("it")))
    for row in panel.data.to_dict("records"):
        cells = kpi[(kpi.camera == "_T") & (kpi.indicatore == row["indicatore"])]
        reached = float(cells[cells.misura == "raggiunto"].value.iloc[0])
        target = float(cells[cells.misura == "obiettivo"].value.iloc[0])
        assert row["raggiunto"] == reached and row["obiettivo"] == target


def test_a_confidential_cell_is_shown_as_confidential_never_as_zero(
    briefs: dict[str, Brief], brief_release: Path
) -> None:
    frame = published(brief_release, "imprese-migranti", "imprese-attive-territorio")
    hidden = frame[(frame.obs_status == "C") & (frame.titolarita == "migrante")].iloc[0]
    brief = briefs["imprese"]
    for lang, word in (("it", "riservato"), ("en", "confidential")):
        state = parse_state(
            f"lang={lang}&anno={hidden.anno}&territorio={hidden.territorio}", brief.filters(lang)
        )
        panel = brief.panel("confronto", state)
        first = panel.data.iloc[0]
        assert first["territorio"] == hidden.territorio
        assert first["obs_status"] == "C" and pd.isna(first["value"])
        assert panel.table_rows[0]["share"] == word
        assert word in brief.panel_html("confronto", state)


def test_unexpected_query_values_fall_back_to_the_defaults(briefs: dict[str, Brief]) -> None:
    brief = briefs["imprese"]
    filters = brief.filters("it")
    default = parse_state("", filters)
    forged = parse_state("lang=xx&anno=1900&territorio=<script>&settore=;DROP&extra=1", filters)
    assert forged == default
    assert parse_state({"anno": ["2020"], "territorio": None}, filters) == default
    search = briefs["cassetto"].filters("it")
    long = parse_state("cerca=" + "a" * 500 + "%00%1b", search)["cerca"]
    assert len(long) == 80 and long.isprintable()


def test_the_permalink_reproduces_the_state(briefs: dict[str, Brief]) -> None:
    brief = briefs["progetto"]
    filters = brief.filters("en")
    state = parse_state("lang=en&camera=bari&azione=formazione", filters)
    assert state["camera"] == "bari"
    assert parse_state(query_of(state, filters), filters) == state


def test_every_chart_is_valid_vega_lite(briefs: dict[str, Brief]) -> None:
    validator = jsonschema.Draft7Validator(alt.vegalite.v6.schema.core.load_schema())
    charts = [
        p.chart
        for brief in briefs.values()
        for lang in ("it", "en")
        for p in brief.panels(parse_state(f"lang={lang}", brief.filters(lang)))
        if p.chart is not None
    ]
    assert len(charts) >= 15
    for chart in charts:
        assert not [e.message for e in validator.iter_errors(chart)]
    broken = dict(charts[0], mark="no-such-mark")
    assert list(validator.iter_errors(broken))  # the check can fail


def test_the_download_holds_the_view_licence_citation_and_edition(
    briefs: dict[str, Brief], brief_release: Path
) -> None:
    brief = briefs["imprese"]
    filters = brief.filters("it")
    state = parse_state("territorio=001", filters)
    panels = brief.panels(state)
    archive = zipfile.ZipFile(
        io.BytesIO(view_zip(panels, state, query_of(state, filters), "imprese"))
    )
    names = set(archive.namelist())
    assert {f"{p.key}.csv" for p in panels} | {"LICENSE.txt", "CITATION.txt", "README.txt"} == names
    rows = list(csv.DictReader(io.StringIO(archive.read("confronto.csv").decode())))
    assert [r["territorio"] for r in rows] == ["001", "01", "_T"]
    assert "obs_status" in rows[0]
    edition = brief_release.name
    assert f"edizione {edition}" in archive.read("CITATION.txt").decode()
    assert "CC-BY-4.0" in archive.read("LICENSE.txt").decode()
    assert "territorio=001" in archive.read("README.txt").decode()


def test_static_pages_hold_every_panel_and_no_script(brief_release: Path, tmp_path: Path) -> None:
    written = render_static(ReleaseTables(brief_release, PORTAL), tmp_path, ("progetto",))
    assert {p.name for p in written} == {
        "progetto.it.html",
        "progetto.en.html",
        "progetto.it.zip",
        "progetto.en.zip",
        "progetto.it.preview.html",
        "progetto.en.preview.html",
        "progetto.views.json",
        "progetto.panels.json",
    }
    page = (tmp_path / "progetto.en.html").read_text()
    assert '<html lang="en">' in page and "<script" not in page
    assert page.count('class="odata-panel"') == len(_briefs()["progetto"].layout)
    assert "Cells it rests on" in page and f"{PORTAL}/dataset/progetto-imprese-migranti-" in page
    # the preview is the same view for the live page: the same panels, its own ids
    preview = (tmp_path / "progetto.en.preview.html").read_text()
    assert "<script" not in preview and "<html" not in preview and "odata-static" not in preview
    assert preview.count('class="odata-panel"') == page.count('class="odata-panel"')
    assert "interactive filters are loading" in preview
    assert 'id="preview-' in preview and not re.search(r'\bid="(?!preview-)', preview)
    assert json.loads((tmp_path / "progetto.views.json").read_text())["en"]["lang"] == "en"


def test_the_briefs_read_only_the_published_release(brief_release: Path, tmp_path: Path) -> None:
    """Every file a brief's kernel code opens is in the release or the committed reference
    data (boundaries, chamber provinces) or the installed software: never sources or state."""
    script = f"""
import sys, json
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.append(args[0])
sys.addaudithook(hook)
from odata.briefs.settings import BriefSettings
from odata.briefs.app import prepare
from odata.briefs.view import parse_state
settings = BriefSettings("release", __import__("pathlib").Path({str(brief_release)!r}), "", None)
for name in ("imprese", "progetto", "cassetto"):
    app = prepare(name, settings)
    app.set_query("lang=en")
print(json.dumps(opened))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    opened = {Path(p).resolve() for p in json.loads(result.stdout.splitlines()[-1])}
    root = brief_release.parents[2]  # the fixture's root: sources/, state/ and build/ beside
    data_files = {p for p in opened if p.is_relative_to(root)}
    assert data_files and all(p.is_relative_to(brief_release) for p in data_files)
    assert not any(
        p.is_relative_to(root / "sources") or p.is_relative_to(root / "state") for p in opened
    )
    repo = Path(__file__).resolve().parents[2]
    committed = {
        p for p in opened if p.is_relative_to(repo) and not p.is_relative_to(repo / ".venv")
    }
    allowed = (repo / "datapackage" / "riferimenti" / "data", repo / "src", repo / "odata.toml")
    assert all(any(p == a or p.is_relative_to(a) for a in allowed) for p in committed), committed


def test_kernels_take_the_default_view_from_the_static_render(
    brief_release: Path, tmp_path: Path
) -> None:
    from odata.briefs import app as live
    from odata.briefs.settings import BriefSettings

    settings = BriefSettings("release", brief_release, PORTAL, None, static_dir=tmp_path)
    render_static(ReleaseTables(brief_release, PORTAL), tmp_path, ("cassetto",), settings)
    drawn = json.loads((tmp_path / "cassetto.panels.json").read_text())
    assert drawn["edition"] == brief_release.name and drawn["panels"]
    app = live.prepare("cassetto", settings)
    assert isinstance(app, live.BriefApp)
    assert {tuple(key) for key, _ in drawn["panels"]} <= set(app.brief._html)
    drawn["edition"] = "another-edition"  # a stale render is ignored, never shown
    (tmp_path / "cassetto.panels.json").write_text(json.dumps(drawn))
    fresh = live.prepare("cassetto", settings)
    assert isinstance(fresh, live.BriefApp)
    assert len(fresh.brief._html) == len(fresh.brief.layout)  # drawn by the kernel itself


def test_the_cassetto_lists_each_guide_once_with_its_pdf(
    briefs: dict[str, Brief], brief_release: Path
) -> None:
    """The catalogue has a row per format; the brief counts guides, and links each PDF."""
    brief = briefs["cassetto"]
    state = parse_state("lang=en", brief.filters("en"))
    text = (brief_release / "cassetto-digitale/data/catalogo.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    html_rows = [r for r in rows if r["formato"] == "html"]
    assert len(rows) == 2 * len(html_rows)
    counts = brief.panel("guide-argomento", state).data
    assert int(counts.select_dtypes("number").sum().sum()) == len(html_rows)
    page = brief.panel_html("catalogo", state)
    assert page.count('class="odata-guide-pdf"') == len({r["argomento"] for r in html_rows})
    assert 'href="/cassetto/guide/aprire-impresa-en.pdf"' in page
