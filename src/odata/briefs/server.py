"""The web server behind ``odata briefs serve``: Voilà, cut down to three public briefs.

Voilà runs in-process (a subclass of ``voila.app.Voila``) over ``dashboards/`` in directory mode,
so one server and one kernel pool per notebook hold all three briefs. Everything a rendered page
does not need is dropped: no file tree, no ``/voila/render``, ``/voila/files`` or contents API.

A visitor never cold-starts a kernel (~10 s of CPU each on the reference machine, see
``notes/briefs.md``): ``/<brief>`` is the live page only when a pre-heated kernel is ready and
fewer than ``max_kernels`` kernels are held by visitors; otherwise it is the pre-rendered static
page, which reloads itself every ``refresh_seconds`` until a kernel is free.

The live page is our template (``template/index.html.j2``) and our front end
(``frontend/``, built into ``template/static``): the ipywidgets manager alone, ~1 MB, where
Voilà's lab template loads JupyterLab's application (~5 MB, ~1.5 s of main thread on two
cores). Voilà still takes the kernel, runs the notebook and streams the page.

Content-Security-Policy, source by source; ``tests/browser/test_server.py`` fails on any
violation in Debian's Chromium:

- ``default-src 'self'``: every asset is ours.
- ``script-src 'self'``: the page runs one script file, ours; no inline script, no eval.
- ``style-src 'self' 'unsafe-inline'``: the widgets set ``style`` attributes and the briefs'
  stylesheet is a ``<style>`` element inside their HTML.
- ``img-src 'self' data:``: the favicon is ``data:;base64,=`` and the widgets' CSS has
  ``data:`` SVG icons.
- ``font-src 'self'``, ``connect-src 'self'``: Chromium matches the kernel's ``ws://`` (or
  ``wss://``) socket on the same host and port to ``'self'``; the kernel's request-info
  socket is server-side.
- ``object-src 'none'``, ``frame-ancestors 'none'``, ``base-uri 'self'``,
  ``form-action 'self'``: nothing embeds the briefs, and injected markup cannot load plugins,
  re-base links or post elsewhere.

The server writes the visitor's language and the brief's title into the page's head and,
when the visitor asked for the default view, that view drawn in advance right after
``<body>`` (``static.py``'s preview), hidden by CSS once the widgets are drawn.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import tornado.ioloop
import tornado.web
from jupyter_core.utils import ensure_async, run_sync
from traitlets.config import Config
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from odata.briefs.i18n import t
from odata.briefs.pool import TRIM_EVERY_S, Demand, grow_pool, kernel_ready, trim_pools
from odata.briefs.settings import BRIEFS, LANGUAGES

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FRONTEND_BUNDLE",
    "ServeOptions",
    "briefs_urls",
    "options_json",
    "serve",
]

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Voilà's own routes a rendered page uses; anything else Voilà registers is dropped.
KEPT_VOILA_ROUTES = (
    "/api/kernels/",
    "/voila/static/",
    "/voila/query/",
    "/voila/api/shutdown/",
)
VOILA_ARGUMENTS = ("template", "theme")  # they make Voilà bypass the pre-heated kernel
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class ServeOptions:
    """What ``serve`` needs; ``max_kernels`` counts kernels held by visitors, pools come on top."""

    dashboards_dir: Path
    static_dir: Path
    host: str = "127.0.0.1"
    port: int = 8866
    pool_size: int = 2
    #: seconds before a used kernel is replaced while visitors are waiting for one (Voilà's
    #: default), and when demand is calm: starting a kernel takes both cores for ~3 s, right
    #: when the visitor who took one is loading the page. A fixed 8 s helped that visitor but
    #: left a crowd of 10 waiting twice as long for live kernels (session 4); see ``Demand``.
    refill_delay: float = 1.0
    calm_refill_delay: float = 8.0
    max_starting: int = 4  # kernels starting at once when the pools grow for waiting visitors
    max_kernels: int = 12
    cull_idle_timeout: int = 300
    cull_interval: int = 60
    refresh_seconds: int = 5
    kernel_env: dict[str, str] = field(default_factory=dict)
    guides_dir: Path | None = None  # the release's cassetto guides, served when offline


def briefs_urls(options: ServeOptions) -> dict[str, str]:
    """The public address of each brief's live page."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return {brief: f"http://{host}:{options.port}/{brief}" for brief in BRIEFS}


def serve(options: ServeOptions) -> None:
    """Serve the briefs until SIGTERM or SIGINT, then shut every kernel down.

    ``kernel_env`` goes into ``os.environ`` first: Voilà starts kernels with a copy of it.
    """
    os.environ.update(options.kernel_env)
    app = BriefsVoila(options, config=voila_config(options))
    app.initialize([])
    app.start()


#: the live page's template and its built front end (``frontend/``, ``make setup`` builds it)
TEMPLATE_DIR = Path(__file__).with_name("template")
FRONTEND_BUNDLE = TEMPLATE_DIR / "static" / "odata-live.js"
TEMPLATE_HTML_TAG = '<html lang="it">'  # the template's; the page gets the visitor's language


def voila_config(options: ServeOptions) -> Config:
    """Traitlets configuration: pre-heated pools for the three briefs only, culling, no auth."""
    config = Config()
    config.Voila.root_dir = str(options.dashboards_dir.resolve())
    config.Voila.ip = options.host
    config.Voila.port = options.port
    config.Voila.port_retries = 0  # a busy port is an error, not a reason to move elsewhere
    config.Voila.open_browser = False
    config.Voila.tornado_settings = {"xsrf_cookie_kwargs": {"samesite": "Strict"}}
    config.Voila.config_file_paths = []  # no voila.json/voila.py picked up from cwd or ~/.jupyter
    config.VoilaConfiguration.preheat_kernel = True
    config.VoilaConfiguration.default_pool_size = options.pool_size
    config.VoilaConfiguration.show_tracebacks = False
    config.VoilaConfiguration.strip_sources = True
    config.VoilaConfiguration.allow_template_override = "NO"
    config.VoilaConfiguration.allow_theme_override = "NO"
    config.VoilaConfiguration.extension_allowlist = []  # our page loads no lab extension
    pools = {f"{brief}.ipynb": {"pool_size": options.pool_size} for brief in BRIEFS}
    config.VoilaKernelManager.kernel_pools_config = {"default": {"pool_size": 0}, **pools}
    config.VoilaKernelManager.fill_delay = options.refill_delay
    config.MappingKernelManager.cull_idle_timeout = options.cull_idle_timeout
    config.MappingKernelManager.cull_interval = options.cull_interval
    config.MappingKernelManager.cull_connected = True  # an open, forgotten tab is idle too
    return config


class BriefsVoila(Voila):  # type: ignore[misc]
    """Voilà with our page, our routes, our headers and a clean stop on SIGTERM/SIGINT."""

    template_paths: list[str]  # Voilà's traits, annotated for mypy
    static_paths: list[str]

    def __init__(self, options: ServeOptions, **kwargs: Any) -> None:
        self.briefs = options
        super().__init__(**kwargs)

    def initialize(self, argv: Sequence[str] | None = None) -> None:
        super().initialize(list(argv or []))
        signal.signal(signal.SIGINT, self._handle_signal_stop)

    def setup_template_dirs(self) -> None:
        """Our page template and front end come first; Voilà's lab template stays behind them
        for the macros and static files a Voilà route may still ask for."""
        super().setup_template_dirs()
        self.template_paths = [str(TEMPLATE_DIR), *self.template_paths]
        self.static_paths = [str(TEMPLATE_DIR / "static"), *self.static_paths]

    def stop(self) -> None:
        """Shut every kernel down, also when one vanishes meanwhile: a visitor's beacon or a
        pool still starting a kernel at SIGTERM made Voilà's ``shutdown_all`` raise a 404
        for a kernel it had just listed, and the server exit with a traceback."""
        shutil.rmtree(self.connection_dir, ignore_errors=True)
        run_sync(self._shut_kernels_down)()

    async def _shut_kernels_down(self, attempts: int = 10) -> None:
        for _ in range(attempts):
            try:
                await ensure_async(self.kernel_manager.shutdown_all())
                return
            except (tornado.web.HTTPError, KeyError) as error:
                log.info("A kernel went away during the shutdown (%s): once more.", error)
                await asyncio.sleep(0.5)  # let the shutdowns under way finish
        log.warning("Some kernels may still be running after %s attempts.", attempts)

    def _handle_signal_stop(self, sig: int, frame: FrameType | None) -> None:
        """Stop the loop thread-safely (Voilà's version uses a deprecated tornado call)."""
        loop = getattr(self, "ioloop", None)
        if loop is None:
            raise SystemExit(0)  # not listening yet: no kernel has been started
        log.info("Signal %s: stopping and shutting kernels down.", sig)
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)

    def init_handlers(self) -> list[tuple[Any, ...]]:
        # No gzip here: the reverse proxy compresses (and can cache what it compressed).
        # Compressing the ~50 files of a first visit on the fly in this single-threaded
        # server took ~0.2 s off every live page's time to interactive (median 2.60 -> 2.41 s).
        kept = [_harden_route(r) for r in super().init_handlers() if _is_kept(r[0])]
        demand = Demand(self.briefs)
        trim = partial(trim_pools, self.kernel_manager, demand, self.briefs)
        tornado.ioloop.PeriodicCallback(trim, TRIM_EVERY_S * 1000).start()
        return kept + brief_routes(self.briefs, self._voila_handler_kwargs(), demand)

    def _voila_handler_kwargs(self) -> dict[str, Any]:
        return {
            "template_paths": self.template_paths,
            "config": self.config,
            "voila_configuration": self.voila_configuration,
        }


def brief_routes(
    options: ServeOptions, voila_kwargs: dict[str, Any], demand: Demand
) -> list[tuple[Any, ...]]:
    """Index, live, static and download routes; anything else is a 404."""
    routes: list[tuple[Any, ...]] = [(r"/", IndexHandler)]
    for brief in BRIEFS:
        common = {"brief": brief, "options": options}
        live = {**voila_kwargs, **common, "notebook_path": f"{brief}.ipynb", "demand": demand}
        files = rf"/{brief}/static/({brief}\.(?:it|en)\.(?:html|zip))"
        routes += [
            (rf"/{brief}", LiveBriefHandler, live),
            (rf"/{brief}/static", StaticBriefHandler, common),
            (files, BriefFileHandler, {"path": str(options.static_dir)}),
        ]
    if options.guides_dir is not None:  # offline: the cassetto's guides come from the release
        guide = r"/cassetto/guide/([a-z0-9][a-z0-9-]*\.(?:html|pdf))"
        routes.append((guide, BriefFileHandler, {"path": str(options.guides_dir)}))
    return [*routes, (r"/.*", NotFoundHandler)]


def _is_kept(pattern: Any) -> bool:
    return isinstance(pattern, str) and pattern.startswith(KEPT_VOILA_ROUTES)


def _harden_route(route: tuple[Any, ...]) -> tuple[Any, ...]:
    pattern, handler, *rest = route
    hardened = type(f"Hardened{handler.__name__}", (HardenedHandler, handler), {})
    return (pattern, hardened, *rest)


# ---------------------------------------------------------------------------------------------
# Pages


def page(title: str, body: str, lang: str = "it", refresh: int | None = None) -> str:
    """A small self-contained HTML page (no script, no external asset)."""
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5}</style></head>"
        f"<body>{body}</body></html>"
    )


def index_page() -> str:
    """The bilingual list of briefs."""
    sections = []
    for lang, heading in (("it", "Schede informative"), ("en", "Briefs")):
        query = "" if lang == "it" else "?lang=en"
        items = "".join(
            f'<li><a href="/{brief}{query}">{html.escape(t(f"{brief}.title", lang))}</a></li>'
            for brief in BRIEFS
        )
        sections.append(f'<section lang="{lang}"><h1>{heading}</h1><ul>{items}</ul></section>')
    return page("Schede informative · Briefs", "".join(sections))


ERROR_TEXT = {
    404: ("Pagina non trovata.", "Page not found."),
    503: (
        "Il servizio è occupato: riprova tra poco.",
        "The service is busy: please try again shortly.",
    ),
}


def error_page(status: int, refresh: int | None = None) -> str:
    """A bilingual error page that never carries a traceback or a path."""
    italian, english = ERROR_TEXT.get(
        status, ("Si è verificato un errore.", "Something went wrong.")
    )
    body = (
        f'<h1>{status}</h1><p lang="it">{italian}</p><p lang="en">{english}</p>'
        '<p><a href="/">Schede informative · Briefs</a></p>'
    )
    return page(f"{status}", body, refresh=refresh)


def static_page(options: ServeOptions, brief: str, lang: str, busy: bool) -> str | None:
    """The pre-rendered page; when ``busy``, with a notice and a reload towards the live page."""
    path = options.static_dir / f"{brief}.{lang}.html"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    if not busy:
        return text
    meta = f'<meta http-equiv="refresh" content="{options.refresh_seconds}">'
    notice = f'<p role="status" class="odata-busy">{html.escape(t("static_note", lang))}</p>'
    text = _insert_after(_HEAD, text, meta) or meta + text
    return _insert_after(_BODY, text, notice) or text + notice


def _insert_after(tag: re.Pattern[str], text: str, insert: str) -> str | None:
    found = tag.search(text)
    return None if found is None else text[: found.end()] + insert + text[found.end() :]


def preview_fragment(options: ServeOptions, brief: str, query: str) -> str | None:
    """The default view drawn in advance, for a live page that will show it: the query may
    only name the default values (what is absent is the default). Any other view would not
    match the preview, so it gets Voilà's spinner until its widgets are drawn."""
    try:
        views = json.loads((options.static_dir / f"{brief}.views.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    asked = parse_qsl(query, keep_blank_values=True)
    lang = dict(asked).get("lang", "it")
    default = views.get(lang) if isinstance(views, dict) else None
    if not isinstance(default, dict) or any(default.get(k) != v for k, v in asked):
        return None
    try:
        return (options.static_dir / f"{brief}.{lang}.preview.html").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def query_language(handler: tornado.web.RequestHandler) -> str:
    lang = handler.get_query_argument("lang", "it")
    return lang if lang in LANGUAGES else "it"


# ---------------------------------------------------------------------------------------------
# Handlers


class HardenedHandler(tornado.web.RequestHandler):
    """Mixed into every handler: security headers, no Server header, no traceback on errors."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.clear_header("Server")
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 403:  # tornado's "outside the static root": do not confirm a path
            status_code = 404
            self.set_status(status_code)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(error_page(status_code))


class IndexHandler(HardenedHandler):
    def get(self) -> None:
        self.finish(index_page())


class NotFoundHandler(HardenedHandler):
    """Every path we do not serve, whatever the method."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class StaticPageMixin(HardenedHandler):
    """Writes a brief's static page (or a 503 'busy' page when it has not been built)."""

    brief: str
    serve_options: ServeOptions  # not `options`: that is the HTTP OPTIONS method

    def write_static(self, busy: bool) -> None:
        text = static_page(self.serve_options, self.brief, query_language(self), busy)
        self.set_header("Cache-Control", "no-store")
        if text is None:
            self.set_status(503)
            self.set_header("Retry-After", str(self.serve_options.refresh_seconds))
            text = error_page(503, refresh=self.serve_options.refresh_seconds)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(text)


class StaticBriefHandler(StaticPageMixin):
    def initialize(self, brief: str, options: ServeOptions) -> None:
        self.brief = brief
        self.serve_options = options

    def get(self) -> None:
        self.write_static(busy=False)


class BriefFileHandler(HardenedHandler, tornado.web.StaticFileHandler):
    """``<brief>.<lang>.html|zip`` from the static folder; the route admits no other name."""

    def set_extra_headers(self, path: str) -> None:
        if path.endswith(".zip"):
            self.set_header("Content-Disposition", f'attachment; filename="{path}"')


class LiveBriefHandler(StaticPageMixin, TornadoVoilaHandler):  # type: ignore[misc]
    """The live Voilà page, only on a ready pre-heated kernel; otherwise the static page."""

    def initialize(self, **kwargs: Any) -> None:
        self.brief = kwargs.pop("brief")
        self.serve_options = kwargs.pop("options")
        self.demand: Demand = kwargs.pop("demand")
        self._head_pending = False  # set when the live page is served; the static one has ours
        self._after_body = ""
        super().initialize(**kwargs)

    async def get(self, path: str | None = None) -> None:
        manager = self.kernel_manager
        ready = kernel_ready(manager, self.notebook_path, self.serve_options.max_kernels)
        if not ready:
            self.demand.turned_away(self.brief)
            grow_pool(
                manager, self.notebook_path, self.serve_options, self.demand.waiting(self.brief)
            )
            self.write_static(busy=True)
            return
        # Voilà reads it when it takes the kernel below and schedules the refill
        manager.fill_delay = self.demand.refill_delay(self.brief, ready_left=ready - 1)
        self._drop_voila_arguments()
        preview = preview_fragment(self.serve_options, self.brief, self.request.query)
        self._head_pending = True
        self._after_body = preview or ""
        # The front end's beacon posts the `_xsrf` cookie to /voila/api/shutdown when the
        # visitor leaves, but Voilà never sets that cookie: without this the kernel would be
        # freed only by culling.
        _ = self.xsrf_token
        await TornadoVoilaHandler.get(self)

    def write(self, chunk: str | bytes | dict[str, Any]) -> None:
        if isinstance(chunk, str):
            chunk = self._with_ours(chunk)
        super().write(chunk)

    def _with_ours(self, chunk: str) -> str:
        """The visitor's language and the brief's title in the head; the preview right after
        ``<body>`` (each inserted once, in whichever chunk holds its tag)."""
        if self._head_pending and (head := _HEAD.search(chunk)) is not None:
            lang = query_language(self)
            title = f"<title>{html.escape(t(f'{self.brief}.title', lang))}</title>"
            chunk = chunk[: head.end()] + title + chunk[head.end() :]
            chunk = chunk.replace(TEMPLATE_HTML_TAG, f'<html lang="{lang}">', 1)
            self._head_pending = False
        if self._after_body and (with_ours := _insert_after(_BODY, chunk, self._after_body)):
            chunk, self._after_body = with_ours, ""
        return chunk

    def _drop_voila_arguments(self) -> None:
        """Remove ``template``/``theme`` (Voilà would cold-start a kernel for them)."""
        request = self.request
        if not any(name in request.query_arguments for name in VOILA_ARGUMENTS):
            return
        for name in VOILA_ARGUMENTS:
            request.arguments.pop(name, None)
            request.query_arguments.pop(name, None)
        pairs = parse_qsl(request.query, keep_blank_values=True)
        request.query = urlencode([(k, v) for k, v in pairs if k not in VOILA_ARGUMENTS])
        request.uri = request.path + (f"?{request.query}" if request.query else "")


def _main(argv: Sequence[str]) -> None:
    """``python -m odata.briefs.server '<ServeOptions as JSON>'``: used by the browser tests."""
    raw = json.loads(argv[0])
    for key in ("dashboards_dir", "static_dir", "guides_dir"):
        raw[key] = Path(raw[key]) if raw.get(key) else None
    serve(ServeOptions(**raw))


def options_json(options: ServeOptions) -> str:
    """The argument ``_main`` reads back."""
    return json.dumps(asdict(options), default=str)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    _main(sys.argv[1:])
