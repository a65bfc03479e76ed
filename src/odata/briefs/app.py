"""The live brief: ipywidgets wired to a :class:`Brief`, inside a Voilà kernel.

Everything the visitor can send (widget values, the URL's query string) goes through
:func:`parse_state`, which accepts only listed options and falls back to defaults, so a forged
message changes nothing but the view and never produces an error page.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from odata.briefs import charts
from odata.briefs.brief import Brief
from odata.briefs.data import DataUnavailable, open_tables
from odata.briefs.i18n import t
from odata.briefs.request import wait_for_request
from odata.briefs.settings import BriefSettings
from odata.briefs.style import CSS
from odata.briefs.view import Filter, State, parse_state, query_of, view_zip

__all__ = ["BriefApp", "prepare"]

log = logging.getLogger(__name__)


def _briefs() -> dict[str, Callable[..., Brief]]:
    from odata.briefs.cassetto import Cassetto
    from odata.briefs.imprese import Imprese
    from odata.briefs.progetto import Progetto

    return {"imprese": Imprese, "progetto": Progetto, "cassetto": Cassetto}


def prepare(name: str, settings: BriefSettings | None = None) -> BriefApp | Unavailable:
    """Load a brief's tables and draw its default view (the part a pre-heated kernel does
    before any visitor arrives)."""
    settings = settings or BriefSettings.from_environ()
    try:
        brief = _briefs()[name](open_tables(settings), settings)
        _preload(brief, settings)
        app = BriefApp(brief, settings.language)
        app.warm()
        brief.warm()
        # vl-convert's engine (~0.8 s, ~100 MB) starts here, in the pooled kernel, so that
        # nothing heavy runs on a visitor's path: started after the request, it held the GIL
        # while Voilà waited for the page and the browser for the widgets (~0.8 s each), and
        # the visitor's first filter change would wait for it too.
        charts.warm()
        return app
    except DataUnavailable as error:
        log.warning("brief %s: data unavailable: %s", name, error)
        return Unavailable(settings.language)


def _preload(brief: Brief, settings: BriefSettings) -> None:
    """Default panels drawn by the static render of the same edition, if there is one."""
    if settings.static_dir is None:
        return
    try:
        drawn = json.loads((settings.static_dir / f"{brief.name}.panels.json").read_text("utf-8"))
    except (OSError, ValueError):
        return
    if drawn.get("edition") == brief.edition():
        brief.preload(drawn["panels"])


def request_query() -> str:
    """The visitor's query string: Voilà hands it to a pre-heated kernel on request."""
    wait_for_request()
    return os.environ.get("QUERY_STRING", "")


class Unavailable:
    """Shown instead of a brief when its data cannot be read: a message, never a traceback."""

    def __init__(self, language: str) -> None:
        self.language = language

    def show(self, query: str | None = None) -> None:
        from IPython.display import display

        query = request_query() if query is None else query
        lang = parse_state(query, [])["lang"]
        display(
            widgets.HTML(
                f'<style>{CSS}</style><div class="odata-brief"><p class="odata-error" '
                f'role="alert">{html.escape(t("unavailable", lang))}</p></div>'
            )
        )  # type: ignore[no-untyped-call]


class BriefApp:
    """Filters, language switch, panels, download link and permalink of one brief."""

    def __init__(self, brief: Brief, language: str = "it") -> None:
        self.brief = brief
        self.state: State = parse_state({"lang": language}, brief.filters(language))
        self._busy = False
        self.header = widgets.HTML()
        self.language = widgets.ToggleButtons(
            options=[("Italiano", "it"), ("English", "en")], value=self.state["lang"]
        )
        self.language.add_class("odata-language")
        self.controls: dict[str, widgets.ValueWidget] = {}
        self.panels = {key: widgets.HTML() for key, _, _ in brief.layout}
        for key, box in self.panels.items():
            box.add_class(f"odata-panel-{key}")
        self.links = widgets.HTML()
        self._build_controls()

    # -- state -------------------------------------------------------------------------------
    def filters(self) -> list[Filter]:
        return self.brief.filters(self.state["lang"])

    def set_query(self, query: str) -> None:
        self._apply(parse_state(query, self.filters()))

    def warm(self) -> None:
        """Draw the default view once, so the first visitor's panels come from the cache."""
        self._render_panels(force=True)

    def _build_controls(self) -> None:
        for f in self.filters():
            control: widgets.ValueWidget
            if f.free_text:
                control = widgets.Text(
                    value=self.state[f.key],
                    description=f.label,
                    continuous_update=False,
                    style={"description_width": "initial"},
                )
            else:
                control = widgets.Dropdown(
                    options=[(label, value) for value, label in f.options],
                    value=self.state[f.key],
                    description=f.label,
                    style={"description_width": "initial"},
                )
            control.add_class(f"odata-filter-{f.key}")
            control.observe(self._on_change, names="value")
            self.controls[f.key] = control
        self.language.observe(self._on_change, names="value")

    def _on_change(self, _change: dict[str, Any]) -> None:
        if self._busy:
            return
        values: dict[str, object] = {k: w.value for k, w in self.controls.items()}
        values["lang"] = self.language.value
        try:
            self._apply(parse_state(values, self.brief.filters(str(values["lang"]))))
        except Exception:  # a visitor's input must never reach them as an error page
            log.exception("brief %s: could not apply a change", self.brief.name)

    def _apply(self, state: State) -> None:
        language_changed = state["lang"] != self.state["lang"]
        self.state = state
        self._busy = True
        try:
            self.language.value = state["lang"]
            for f in self.filters():
                control = self.controls[f.key]
                if language_changed and not f.free_text:
                    control.options = [(label, value) for value, label in f.options]
                    control.description = f.label
                control.value = state[f.key]
        finally:
            self._busy = False
        self._render_panels()

    # -- drawing -----------------------------------------------------------------------------
    def _render_panels(self, force: bool = False) -> None:
        for key, box in self.panels.items():
            content = self.brief.panel_html(key, self.state)
            if force or box.value != content:
                box.value = content
        self._render_frame()

    def _render_frame(self) -> None:
        lang = self.state["lang"]
        filters = self.filters()
        query = query_of(self.state, filters)
        self.header.value = (
            f'<style>{CSS}</style><div class="odata-brief">'
            f"<h1>{html.escape(self.brief.title(lang))}"
            f'</h1><p class="odata-lead">{html.escape(t(f"{self.brief.name}.lead", lang))}</p>'
            f'<p class="odata-note">{html.escape(t("confidential_note", lang))}</p></div>'
        )
        archive = view_zip(self.brief.panels(self.state), self.state, query, self.brief.name)
        href = "data:application/zip;base64," + base64.b64encode(archive).decode()
        self.links.value = (
            f'<div class="odata-brief odata-links"><a class="odata-download" download='
            f'"{self.brief.name}-{self.brief.edition()}.zip" href="{href}">'
            f'{html.escape(t("download", lang))}</a><a class="odata-permalink" href="?'
            f'{html.escape(query)}">{html.escape(t("permalink", lang))}</a></div>'
        )  # the live page's own script keeps the address bar equal to this permalink

    def widget(self) -> widgets.Widget:
        controls = widgets.HBox(
            [self.language, *self.controls.values()],
            layout=widgets.Layout(flex_flow="row wrap", gap="0.5rem"),
        )
        panels = widgets.Box(
            list(self.panels.values()),
            layout=widgets.Layout(display="flex", flex_flow="row wrap", gap="1rem"),
        )
        page = widgets.VBox([self.header, controls, self.links, panels])
        page.add_class("odata-live")
        return page

    def show(self, query: str | None = None) -> None:
        """Apply the visitor's query string and display the brief."""
        from IPython.display import display

        self.set_query(request_query() if query is None else query)
        display(self.widget())  # type: ignore[no-untyped-call]
