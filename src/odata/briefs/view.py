"""The parts every brief shares: filters and their URL state, panels, their HTML and the ZIP.

A brief is a function from a validated state (filters + language) to panels. The live page
(widgets), the static page and the download all render the same panels, so what a visitor
sees, what the static fallback shows and what the ZIP holds cannot drift apart.
"""

from __future__ import annotations

import html
import io
import urllib.parse
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from odata.briefs import charts
from odata.briefs.data import csv_text
from odata.briefs.i18n import CONFIDENTIAL, t
from odata.briefs.settings import LANGUAGES

__all__ = ["Filter", "Panel", "Provenance", "State", "parse_state", "query_of", "shown"]

State = dict[str, str]
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed: the same view always gives the same bytes


@dataclass(frozen=True)
class Filter:
    """A choice the visitor makes; only ``options`` values are ever accepted."""

    key: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label shown)
    default: str
    free_text: int = 0  # > 0: a search box taking at most this many characters

    def accept(self, value: object) -> str:
        """``value`` if it is one of the options, else the default (never an error)."""
        if self.free_text:
            if not isinstance(value, str):
                return self.default
            return "".join(c for c in value if c.isprintable())[: self.free_text].strip()
        allowed = {option for option, _ in self.options}
        return value if isinstance(value, str) and value in allowed else self.default


def parse_state(query: str | Mapping[str, object], filters: Sequence[Filter]) -> State:
    """Filters and language from a URL query string or widget values, each checked."""
    if isinstance(query, str):
        pairs = urllib.parse.parse_qs(query.lstrip("?"), keep_blank_values=True)
        values: Mapping[str, object] = {k: v[0] for k, v in pairs.items() if v}
    else:
        values = query
    lang = values.get("lang")
    state = {"lang": lang if isinstance(lang, str) and lang in LANGUAGES else "it"}
    state.update({f.key: f.accept(values.get(f.key)) for f in filters})
    return state


def query_of(state: State, filters: Sequence[Filter]) -> str:
    """The query string that reproduces ``state`` (defaults left out, language always in)."""
    pairs = [("lang", state["lang"])]
    pairs += [(f.key, state[f.key]) for f in filters if state[f.key] != f.default]
    return urllib.parse.urlencode(pairs)


@dataclass(frozen=True)
class Provenance:
    """Where a panel's numbers come from: a published table of a dataset edition."""

    package: str
    resource: str
    title: str
    edition: str
    licence: str
    dataset_url: str
    released: str = ""  # the release's date (ISO)


@dataclass
class Panel:
    """One chart (or list) with its data, text alternative and provenance."""

    key: str
    title: str
    data: pd.DataFrame  # what the chart shows: codes, labels, value, obs_status
    alt: str
    sources: list[Provenance]
    chart: dict[str, Any] | None = None
    body_html: str = ""  # for panels that are a list rather than a chart
    table_columns: dict[str, str] = field(default_factory=dict)  # column -> heading
    table_rows: list[dict[str, Any]] = field(default_factory=list)  # the printed table

    def with_table(self, rows: list[dict[str, Any]]) -> Panel:
        """The same panel with its fallback table (printed values, "riservato" included)."""
        self.table_rows = rows
        return self


def fmt(value: float | None, lang: str, decimals: int = 0) -> str:
    """A number the way a reader of ``lang`` writes it (Italian: 1.234,5)."""
    if value is None or pd.isna(value):
        return CONFIDENTIAL[lang]
    text = f"{value:,.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def shown(value: float | None, status: str, lang: str, decimals: int = 0) -> str:
    """The printed value: the number, or "riservato / confidential" for a suppressed cell."""
    if status == "C" or value is None or pd.isna(value):
        return CONFIDENTIAL[lang]
    return fmt(value, lang, decimals)


def series_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The fallback table of a line chart: one row per point, confidential points included."""
    return [{"x": r["x"], "series": r["series"], "shown": r["shown"]} for r in rows]


def series_columns(lang: str) -> dict[str, str]:
    return {"x": t("period", lang), "series": t("series", lang), "shown": t("value", lang)}


def panel_html(panel: Panel, lang: str) -> str:
    """A panel as an accessible figure: chart, text alternative, table fallback, source."""
    chart = charts.svg(panel.chart) if panel.chart is not None else ""
    parts = [
        f'<figure class="odata-panel" id="panel-{panel.key}" data-panel="{panel.key}">',
        f"<h3>{html.escape(panel.title)}</h3>",
        f'<div class="odata-chart">{chart}</div>' if chart else "",
        panel.body_html,
        f'<p class="odata-alt">{html.escape(panel.alt)}</p>',
        _table_html(panel, lang) if panel.table_rows else "",
        f'<figcaption class="odata-source">{_sources_html(panel.sources, lang)}</figcaption>',
        "</figure>",
    ]
    return "".join(parts)


def _table_html(panel: Panel, lang: str) -> str:
    columns = panel.table_columns
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in columns.values())
    rows = []
    for record in panel.table_rows:
        cells = "".join(f"<td>{html.escape(str(record.get(c, '')))}</td>" for c in columns)
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<details class="odata-table"><summary>{t("table", lang)}</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


def _sources_html(sources: Sequence[Provenance], lang: str) -> str:
    seen: list[str] = []
    for source in sources:
        link = (
            f' · <a href="{html.escape(source.dataset_url)}">{t("dataset", lang)}</a>'
            if source.dataset_url
            else ""
        )
        seen.append(
            f"{t('source', lang)}: {html.escape(source.title)}, "
            f"<code>{html.escape(source.resource)}</code> · {t('licence', lang)} "
            f"{html.escape(source.licence)} · {t('edition', lang)} "
            f"{html.escape(source.edition)}"
            + (
                f" ({t('released', lang)} {html.escape(source.released)})"
                if source.released
                else ""
            )
            + link
        )
    return "<br>".join(dict.fromkeys(seen))


def view_zip(panels: Sequence[Panel], state: State, query: str, brief: str) -> bytes:
    """The ZIP a visitor downloads: one CSV per panel (with obs_status), licence, citation."""
    lang = state["lang"]
    sources = list(dict.fromkeys(s for p in panels for s in p.sources))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for panel in panels:
            _write(archive, f"{panel.key}.csv", csv_text(_export(panel.data)))
        _write(archive, "LICENSE.txt", _licence(sources))
        _write(archive, "CITATION.txt", _citation(sources, lang))
        _write(archive, "README.txt", _readme(brief, state, query, sources, lang))
    return buffer.getvalue()


def _export(frame: pd.DataFrame) -> pd.DataFrame:
    """The view's table as published: numbers with their digits, empty when confidential."""
    out = frame.copy()
    if "value" in out:
        out["value"] = [
            "" if pd.isna(v) else (f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}")
            for v in out["value"]
        ]
    return out


def _write(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def _licence(sources: Sequence[Provenance]) -> str:
    licences = sorted({s.licence for s in sources})
    return (
        f"Licence / Licenza: {', '.join(licences)}\n"
        "https://creativecommons.org/licenses/by/4.0/\n\n"
        "You may share and adapt these data for any purpose, giving appropriate credit "
        "(see CITATION.txt) and indicating changes.\n"
        "Puoi condividere e modificare questi dati per qualsiasi fine, citando la fonte "
        "(vedi CITATION.txt) e indicando le modifiche.\n"
    )


def _citation(sources: Sequence[Provenance], lang: str) -> str:
    lines = []
    for source in dict.fromkeys((s.title, s.edition, s.dataset_url, s.licence) for s in sources):
        title, edition, url, licence = source
        edition_word = "edizione" if lang == "it" else "edition"
        lines.append(
            f"Unioncamere, Osservatorio sull'imprenditoria migrante. {title}, "
            f"{edition_word} {edition}. {licence}. {url}".rstrip()
        )
    return "\n".join(lines) + "\n"


def _readme(brief: str, state: State, query: str, sources: Sequence[Provenance], lang: str) -> str:
    editions = sorted({f"{s.package} {s.edition}" for s in sources})
    resources = sorted({f"{s.package}/{s.resource}" for s in sources})
    return (
        f"brief: {brief}\nview: ?{query}\nfilters: "
        + ", ".join(f"{k}={v}" for k, v in sorted(state.items()))
        + "\neditions: "
        + "; ".join(editions)
        + "\nresources: "
        + "; ".join(resources)
        + f"\n\n{t('confidential_note', lang)}\n"
        "obs_status C = confidential (value empty) / riservato (valore vuoto)\n"
    )
