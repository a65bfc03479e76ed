"""The three real briefs in Debian's Chromium, served from a built release as `make demo` does.

Each test loads a live page (pre-heated kernel) and checks what a visitor sees: charts drawn
with their data labels, a filter redrawing its chart, the language switch, the permalink, the
download matching the view, no request leaving 127.0.0.1, and a clear message (no traceback)
when the data source is down. Screenshots (desktop and phone) go to build/test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from odata.briefs.data import ReleaseTables
from odata.briefs.settings import BriefSettings
from odata.briefs.static import render_static
from odata.briefs.view import fmt

from .conftest import BriefsServer, start_server, stop_server
from .test_server import Guard, guarded_context

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "build" / "test-artifacts" / "briefs"
PORTAL = "http://portal.example"
LIVE_MS = 240_000
PHONE = {"width": 390, "height": 844}


def kernel_settings(
    release: Path | None,
    source: str = "release",
    portal: str = PORTAL,
    static: Path | None = None,
) -> BriefSettings:
    return BriefSettings(
        source="portal" if source == "portal" else "release",
        release_dir=release,
        portal_url=portal,
        cache_dir=None,
        reference_dir=REPO / "datapackage" / "riferimenti" / "data",
        programme=(date(2019, 5, 16), date(2022, 11, 30)),
        static_dir=static,
    )


@pytest.fixture(scope="module")
def live(brief_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BriefsServer]:
    root = tmp_path_factory.mktemp("live-briefs")
    settings = kernel_settings(brief_release, static=root / "static")
    render_static(ReleaseTables(brief_release, PORTAL), root / "static", settings=settings)
    server = start_server(
        root,
        pool_size=2,
        max_kernels=12,
        dashboards=REPO / "dashboards",
        static=root / "static",
        kernel_env=settings.environ(),
        guides=brief_release / "cassetto-digitale" / "guides",
    )
    yield server
    stop_server(server)


@pytest.fixture
def visitor(browser: Browser, live: BriefsServer) -> Iterator[tuple[Page, Guard]]:
    context, guard = guarded_context(browser, live.port)
    page = context.new_page()
    guard.watch(page)
    yield page, guard
    context.close()


def open_live(page: Page, url: str) -> None:
    """Open a brief and wait for its live widgets (the static view reloads until a kernel
    is free, so a busy pool only delays this)."""
    page.goto(url, timeout=LIVE_MS)
    page.locator(".odata-live .widget-dropdown select").first.wait_for(timeout=LIVE_MS)
    page.locator(".odata-live .odata-chart svg").first.wait_for(timeout=LIVE_MS)


def panel(page: Page, key: str) -> str:
    return page.locator(f".odata-panel-{key}").inner_text()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=ARTIFACTS / f"{name}-phone.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 40, f"{name}: the phone layout scrolls sideways ({width}px)"


@pytest.mark.parametrize(
    ("brief", "expected"),
    [
        ("imprese", ["Imprese migranti", "Italia", "riservato"]),
        ("progetto", ["Obiettivi", "Persone informate", "Avvisi per la Cabina di Regia"]),
        ("cassetto", ["Catalogo delle guide", "Aprire un'impresa e la partita IVA"]),
    ],
)
def test_each_brief_loads_with_charts_labels_and_sources_offline(
    visitor: tuple[Page, Guard], live: BriefsServer, brief: str, expected: list[str]
) -> None:
    page, guard = visitor
    open_live(page, f"{live.url}/{brief}")
    charts = page.locator(".odata-live .odata-chart svg")
    assert charts.count() >= 1
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50
    assert page.locator(".odata-live .odata-chart svg text").count() > 5  # axis, data labels
    text = page.locator("body").inner_text()
    for words in expected:
        assert words in text
    assert "Fonte:" in text and "CC-BY-4.0" in text and "Edizione" in text
    assert "Traceback" not in text and "wait_for_request" not in page.content()
    assert not guard.aborted, guard.aborted  # nothing asked for outside 127.0.0.1
    assert not guard.violations(page)
    shoot(page, brief)


def test_a_filter_redraws_its_chart_and_the_url_keeps_it(
    visitor: tuple[Page, Guard], live: BriefsServer, browser: Browser
) -> None:
    page, _ = visitor
    open_live(page, f"{live.url}/imprese")
    assert "Torino" not in panel(page, "confronto")
    page.locator(".odata-filter-territorio select").select_option(label="\u2003Torino")
    page.locator(".odata-panel-confronto").filter(has_text="Torino").wait_for(timeout=30_000)
    assert "Piemonte" in panel(page, "confronto")  # its region and Italy beside it
    page.wait_for_url("**territorio=001**", timeout=30_000)
    permalink = page.url
    context, _ = guarded_context(browser, live.port)
    again = context.new_page()
    open_live(again, permalink)
    assert "Torino" in panel(again, "confronto")
    selected = again.locator(".odata-filter-territorio select option:checked").inner_text()
    assert selected.strip() == "Torino"
    context.close()


def test_the_language_switch_changes_titles_labels_and_filters(
    visitor: tuple[Page, Guard], live: BriefsServer
) -> None:
    page, _ = visitor
    open_live(page, f"{live.url}/progetto")
    page.get_by_role("button", name="English").click()
    page.locator("h1", has_text="Migrant entrepreneurship programme").wait_for(timeout=30_000)
    text = page.locator("body").inner_text()
    assert "Persons informed" in text and "Alerts for the steering committee" in text
    assert "Source:" in text and "Chamber of commerce" in text
    page.wait_for_url("**lang=en**", timeout=30_000)
    # the page's own language and title follow, for screen readers and bookmarks
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=30_000)
    assert page.title() == "Migrant entrepreneurship programme"


def test_the_download_is_the_view_with_licence_citation_and_edition(
    visitor: tuple[Page, Guard], live: BriefsServer, brief_release: Path
) -> None:
    page, _ = visitor
    open_live(page, f"{live.url}/imprese?territorio=001")
    page.locator(".odata-panel-confronto").filter(has_text="Torino").wait_for(timeout=30_000)
    with page.expect_download(timeout=60_000) as download:
        page.locator("a.odata-download").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(csv.DictReader(io.StringIO(archive.read("confronto.csv").decode())))
    assert [r["territorio"] for r in rows] == ["001", "01", "_T"]
    shown = panel(page, "confronto")
    for row in rows:
        if row["obs_status"] != "C":
            assert fmt(float(row["value"]), "it", 1) in shown
    assert f"edizione {brief_release.name}" in archive.read("CITATION.txt").decode()
    assert "territorio=001" in archive.read("README.txt").decode()
    assert {"LICENSE.txt", "mappa.csv", "andamento.csv"} <= set(archive.namelist())


def test_the_cassetto_search_finds_a_guide_that_opens_in_the_readers_language(
    visitor: tuple[Page, Guard], live: BriefsServer
) -> None:
    page, guard = visitor
    open_live(page, f"{live.url}/cassetto?lang=en")
    search = page.locator(".odata-filter-cerca input")
    search.fill("microcredit")
    search.press("Enter")
    catalogue = page.locator(".odata-panel-catalogo")
    page.wait_for_url("**cerca=microcredit**", timeout=30_000)  # set once the view is drawn
    assert catalogue.locator(".odata-guide").count() == 1
    main = catalogue.locator("a.odata-guide-main")
    assert main.get_attribute("lang") == "en"
    href = main.get_attribute("href")
    assert href is not None and href.endswith("-en.html")
    answer = page.request.get(f"{live.url}{href}")
    assert answer.status == 200 and "<h1" in answer.text()
    pdf = catalogue.locator("a.odata-guide-pdf").get_attribute("href")
    assert pdf is not None and pdf.endswith("-en.pdf")
    printed = page.request.get(f"{live.url}{pdf}")
    assert printed.status == 200 and printed.body().startswith(b"%PDF-")
    assert not guard.aborted


def test_the_static_view_has_every_chart_and_no_script(live: BriefsServer) -> None:
    for brief, panels in (("imprese", 10), ("progetto", 8), ("cassetto", 1)):
        answer = live.get(f"/{brief}/static")
        assert answer.status == 200 and "<script" not in answer.body
        assert answer.body.count("<svg") >= panels


@pytest.fixture(scope="module")
def no_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BriefsServer]:
    """The briefs pointed at a portal that does not answer, with no cache."""
    root = tmp_path_factory.mktemp("no-data")
    (root / "static").mkdir()
    settings = kernel_settings(None, source="portal", portal="http://127.0.0.1:9")
    server = start_server(
        root,
        pool_size=1,
        max_kernels=4,
        dashboards=REPO / "dashboards",
        static=root / "static",
        kernel_env=settings.environ(),
    )
    yield server
    stop_server(server)


def test_a_data_source_down_gives_a_clear_message_not_a_traceback(
    browser: Browser, no_data: BriefsServer
) -> None:
    context, _ = guarded_context(browser, no_data.port)
    page = context.new_page()
    page.goto(f"{no_data.url}/imprese?lang=en", timeout=LIVE_MS)
    page.locator(".odata-error").wait_for(timeout=LIVE_MS)
    text = page.locator("body").inner_text()
    assert "The data cannot be reached right now" in text
    assert "Traceback" not in text and "Exception" not in text
    context.close()


def test_forged_widget_messages_fall_back_to_the_default_view(live: BriefsServer) -> None:
    """What no honest page sends: an out-of-range option, a value that is no option, a wrong
    type. The kernel keeps serving the default view, and a real choice still works after."""
    import asyncio
    import re

    from odata.briefs.visitor import WidgetClient

    page = live.get_live("/imprese")
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.body)
    assert kernel, "no kernel id in the live page"

    def model(states: dict[str, Any], css: str) -> tuple[str, dict[str, Any]]:
        for model_id, found in states.items():
            if css in found["state"].get("_dom_classes", []):
                return model_id, found["state"]
        raise AssertionError(f"no widget with class {css}")

    async def visit() -> tuple[str, str, str]:
        client = WidgetClient(live.url, kernel.group(1))
        await client.connect()
        try:
            states = await client.states()
            dropdown, state = model(states, "odata-filter-territorio")
            panel, _ = model(states, "odata-panel-confronto")
            before = states[panel]["state"]["value"]
            for forged in ({"index": 99_999}, {"index": "<script>"}, {"value": ["x"]}):
                await client.update(dropdown, forged)
            language, _ = model(states, "odata-language")
            await client.update(language, {"index": -7})
            after = (await client.states())[panel]["state"]["value"]
            torino = [label.strip() for label in state["_options_labels"]].index("Torino")
            await client.update(dropdown, {"index": torino})
            for _ in range(60):  # the redraw takes a moment
                chosen = (await client.states())[panel]["state"]["value"]
                if "Torino" in chosen:
                    break
                await asyncio.sleep(0.5)
            return before, after, chosen
        finally:
            await client.close()

    # a thread of its own: the session's Playwright (sync API) keeps a loop running here
    with ThreadPoolExecutor(max_workers=1) as worker:
        before, after, chosen = worker.submit(lambda: asyncio.run(visit())).result()
    assert after == before and "Italia" in after  # the default view, untouched
    assert "Torino" in chosen and "Traceback" not in chosen
