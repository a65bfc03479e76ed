"""The briefs server from the outside: plain HTTP and Debian's Chromium, never mocks.

Each test names the promise it checks: only three notebooks are reachable, a visitor never
cold-starts a kernel, the kernel gets the query string, every answer carries the security
headers, error pages leak nothing, and the page needs nothing beyond 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from odata.briefs.i18n import t
from odata.briefs.server import (
    CONTENT_SECURITY_POLICY,
    ServeOptions,
    briefs_urls,
)
from odata.briefs.settings import BRIEFS

from .conftest import (
    STATIC_MARKER,
    BriefsServer,
    Response,
    start_server,
    stop_server,
    wait_until,
)

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 180_000
NOT_FOUND = [
    "/voila/tree",
    "/voila/tree/",
    "/voila/render/imprese.ipynb",
    "/voila/files/imprese.ipynb",
    "/voila/files/secret.txt",
    "/voila/api/contents",
    "/voila/api/contents/imprese.ipynb",
    "/api/contents",
    "/api/kernels",
    "/api/kernelspecs",
    "/api/sessions",
    "/login",
    "/tree",
    "/imprese.ipynb",
    "/secret.txt",
    "/imprese/",
    "/../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/imprese/static/../../x",
    "/imprese/static/..%2f..%2fserver.log",
    "/imprese/static/other.txt",
    "/imprese/static/progetto.it.html",
    "/imprese/static/imprese.fr.html",
    "/imprese/static/",
    "/voila/static/../../../../../../etc/passwd",
    "/voila/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
]
LEAKS = ("Traceback", 'File "', "nbformat", "not for visitors", "root:", "Index of", "<li>")


def assert_safe_error(answer: Response, status: int) -> None:
    assert answer.status == status, answer.body[:300]
    assert "Page not found" in answer.body or status != 404
    for leak in LEAKS:
        assert leak not in answer.body, leak


def assert_security_headers(answer: Response) -> None:
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Server" not in answer.headers


def is_static(answer: Response, brief: str, lang: str = "it") -> bool:
    return f"{STATIC_MARKER} {brief} {lang}" in answer.body


def test_briefs_urls() -> None:
    options = ServeOptions(dashboards_dir=Path("d"), static_dir=Path("s"), port=9000)
    assert briefs_urls(options) == {b: f"http://127.0.0.1:9000/{b}" for b in BRIEFS}


def test_index_lists_the_three_briefs_in_both_languages(briefs_server: BriefsServer) -> None:
    answer = briefs_server.get("/")
    assert answer.status == 200
    assert_security_headers(answer)
    links = re.findall(r'href="(/[^"]*)"', answer.body)
    assert links == [f"/{b}" for b in BRIEFS] + [f"/{b}?lang=en" for b in BRIEFS]
    for brief in BRIEFS:
        assert t(f"{brief}.title", "it") in answer.body
        assert t(f"{brief}.title", "en") in answer.body


def test_live_page_hands_the_query_string_to_a_preheated_kernel(
    briefs_server: BriefsServer,
) -> None:
    answer = briefs_server.get_live("/imprese?x=1&template=classic&theme=dark")
    assert answer.status == 200
    assert_security_headers(answer)
    # template/theme were dropped before Voilà saw them, so the pooled kernel was used (the
    # Chromium test below sees the kernel read "x=1")
    assert "Using pre-heated kernel" in briefs_server.log_text()
    # no code, and no output but widgets: the probe's print() never reaches the page
    for leak in ("Traceback", "wait_for_request", "QUERY_STRING="):
        assert leak not in answer.body
    # our page: the visitor's language, the brief's title, one script (our front end), no
    # JupyterLab application and no inline script (the CSP allows none)
    assert '<html lang="it">' in answer.body
    assert f"<title>{t('imprese.title', 'it')}</title>" in answer.body
    scripts = re.findall(r"<script\b([^>]*)>", answer.body)
    executable = [s for s in scripts if "application/json" not in s]
    assert executable == [' defer src="/voila/static/odata-live.js"'], scripts
    assert "voila.js" not in answer.body


def test_live_page_speaks_the_visitors_language(briefs_server: BriefsServer) -> None:
    answer = briefs_server.get_live("/progetto?lang=en")
    assert answer.status == 200
    assert '<html lang="en">' in answer.body
    assert f"<title>{t('progetto.title', 'en')}</title>" in answer.body


@pytest.mark.parametrize("path", NOT_FOUND)
def test_everything_else_is_a_plain_404(briefs_server: BriefsServer, path: str) -> None:
    answer = briefs_server.get(path)
    assert_safe_error(answer, 404)
    assert "Pagina non trovata" in answer.body
    assert_security_headers(answer)


@pytest.mark.parametrize(
    "path", ["/voila/templates/nonsense", "/api/kernels/00000000-0000-0000-0000-000000000000"]
)
def test_voila_errors_show_no_traceback(briefs_server: BriefsServer, path: str) -> None:
    answer = briefs_server.get(path)
    assert answer.status >= 400
    assert_security_headers(answer)
    for leak in LEAKS:
        assert leak not in answer.body


def test_static_page_follows_the_language(briefs_server: BriefsServer) -> None:
    for query, lang in (("", "it"), ("?lang=en", "en"), ("?lang=xx", "it")):
        answer = briefs_server.get(f"/imprese/static{query}")
        assert answer.status == 200
        assert is_static(answer, "imprese", lang)
        assert "http-equiv" not in answer.body  # the explicit static page never reloads
        assert_security_headers(answer)


def test_static_files_are_served_by_exact_name(briefs_server: BriefsServer) -> None:
    page = briefs_server.get("/progetto/static/progetto.en.html")
    assert page.status == 200 and is_static(page, "progetto", "en")
    archive = briefs_server.get("/progetto/static/progetto.it.zip")
    assert archive.status == 200
    assert archive.headers["Content-Type"] == "application/zip"
    assert "attachment" in archive.headers["Content-Disposition"]
    assert archive.raw.startswith(b"PK")
    assert_security_headers(archive)


def test_missing_static_page_is_a_bilingual_503(briefs_server: BriefsServer) -> None:
    answer = briefs_server.get("/cassetto/static")  # the fixture built no static cassetto
    assert_safe_error(answer, 503)
    assert "riprova" in answer.body and "try again" in answer.body
    assert '<meta http-equiv="refresh" content="3">' in answer.body
    assert answer.headers["Retry-After"] == "3"
    assert_security_headers(answer)


@dataclass
class Guard:
    """What a page asked of the world outside 127.0.0.1, and the CSP violations it logged."""

    port: int
    aborted: list[str] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        if route.request.url.startswith(f"http://127.0.0.1:{self.port}/"):
            route.continue_()
        else:
            self.aborted.append(route.request.url)
            route.abort()

    def watch(self, page: Page) -> None:
        page.on("console", lambda message: self.console.append(message.text))
        page.on("requestfinished", self._finished)

    def _finished(self, request: object) -> None:
        url = str(getattr(request, "url", ""))
        if not url.startswith(f"http://127.0.0.1:{self.port}/"):
            self.reached.append(url)

    def violations(self, page: Page) -> list[str]:
        events: list[str] = page.evaluate("window.__cspViolations")
        logged = [text for text in self.console if "Content Security Policy" in text]
        return events + logged


def guarded_context(browser: Browser, port: int) -> tuple[BrowserContext, Guard]:
    guard = Guard(port)
    context = browser.new_context()
    context.route("**/*", guard.route)
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return context, guard


@pytest.fixture
def guarded_page(browser: Browser, briefs_server: BriefsServer) -> Iterator[tuple[Page, Guard]]:
    context, guard = guarded_context(browser, briefs_server.port)
    page = context.new_page()
    guard.watch(page)
    yield page, guard
    context.close()


def test_live_page_in_chromium_stays_on_127_0_0_1_without_csp_violations(
    briefs_server: BriefsServer, guarded_page: tuple[Page, Guard]
) -> None:
    page, guard = guarded_page
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{briefs_server.url}/progetto?x=1&theme=dark", timeout=LIVE_TIMEOUT_MS)
    query = page.locator("#q")
    query.wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    assert query.inner_text() == "x=1"
    page.locator(".odata-live select").wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    page.wait_for_url("**/progetto?x=1&y=2", timeout=LIVE_TIMEOUT_MS)  # the permalink, copied
    page.wait_for_load_state("networkidle", timeout=LIVE_TIMEOUT_MS)
    assert guard.violations(page) == []
    assert guard.aborted == [] and guard.reached == []
    assert sockets and all(u.startswith(f"ws://127.0.0.1:{briefs_server.port}/") for u in sockets)


@pytest.mark.parametrize("path", ["/", "/imprese/static?lang=en", "/nowhere"])
def test_our_own_pages_in_chromium_have_no_csp_violations(
    briefs_server: BriefsServer, guarded_page: tuple[Page, Guard], path: str
) -> None:
    page, guard = guarded_page
    page.goto(f"{briefs_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert guard.violations(page) == []
    assert guard.aborted == [] and guard.reached == []


def test_exhausted_pool_serves_the_static_page_then_the_live_one(
    busy_server: BriefsServer, browser: Browser
) -> None:
    first_context, _ = guarded_context(browser, busy_server.port)
    first = first_context.new_page()
    first.goto(f"{busy_server.url}/imprese?who=first", timeout=LIVE_TIMEOUT_MS)
    first.locator("#q").wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    # three pools of one, then one refill for the kernel the first visitor took
    started = lambda: busy_server.log_text().count("Kernel started")  # noqa: E731
    wait_until(lambda: started() == len(BRIEFS) + 1, 120, "the pool refill to start")

    for brief in ("imprese", "progetto"):  # the cap counts visitors of every brief
        answer = busy_server.get(f"/{brief}?who=second")
        assert answer.status == 200
        assert is_static(answer, brief)
        assert '<meta http-equiv="refresh" content="3">' in answer.body
        assert t("static_note", "it") in answer.body
        assert_security_headers(answer)
    assert started() == len(BRIEFS) + 1, "a visitor made the server start a kernel"

    second_context, guard = guarded_context(browser, busy_server.port)
    second = second_context.new_page()
    second.goto(f"{busy_server.url}/imprese?who=second&lang=en")
    assert STATIC_MARKER in second.content()
    # Leaving the page sends our front end's beacon, which shuts the kernel down.
    # (Closing the page or context at once drops the beacon, as notes/briefs.md found.)
    first.goto(f"{busy_server.url}/")
    wait_until(lambda: "POST /voila/api/shutdown/" in busy_server.log_text(), 60, "the beacon")
    first_context.close()
    # the meta refresh brings the second visitor to the live page once a kernel is free
    second.locator("#q").wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    assert second.locator("#q").inner_text() == "who=second&lang=en"
    assert guard.violations(second) == []
    second_context.close()


@pytest.fixture(scope="module")
def crowd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BriefsServer]:
    """One pre-heated kernel per brief and room for four visitors."""
    server = start_server(tmp_path_factory.mktemp("crowd"), pool_size=1, max_kernels=4)
    yield server
    stop_server(server)


def test_waiting_visitors_grow_the_pool_at_once(crowd_server: BriefsServer) -> None:
    log = crowd_server.log_text
    assert not is_static(crowd_server.get("/imprese?who=first"), "imprese")
    # the refill of the taken kernel waits a second: these two find no kernel ready
    turned_away = [crowd_server.get(f"/imprese?who={who}") for who in ("second", "third")]
    assert all(is_static(answer, "imprese") for answer in turned_away)
    assert "Pool of imprese.ipynb grown to 3 kernels for 2 waiting" in log()
    # three pools of one, the refill, and one kernel for each visitor waiting, all pre-rendered
    wait_until(lambda: log().count("GET /voila/query/") == len(BRIEFS) + 3, 120, "3 kernels")
    assert log().count("Kernel started") == len(BRIEFS) + 3
    for who in ("second", "third", "fourth"):  # no one waits for another kernel to start
        assert not is_static(crowd_server.get(f"/imprese?who={who}"), "imprese"), who
