"""Pre-rendered default views: what a visitor sees at once while no kernel is free.

Each brief's default view, in Italian and in English, is written as one self-contained HTML
page (inline SVG charts, no script) plus the ZIP of that view. ``odata briefs serve`` writes
them before it starts and serves them when the pool of warm kernels is empty.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from odata.briefs.app import _briefs
from odata.briefs.data import Tables
from odata.briefs.i18n import t
from odata.briefs.settings import BRIEFS, LANGUAGES, BriefSettings
from odata.briefs.style import CSS
from odata.briefs.view import parse_state, query_of, view_zip

__all__ = ["render_static"]


def render_static(
    tables: Tables,
    folder: Path,
    briefs: tuple[str, ...] = BRIEFS,
    settings: BriefSettings | None = None,
) -> list[Path]:
    """Write ``<brief>.<lang>.html`` and ``<brief>.<lang>.zip`` for every brief and language,
    and ``<brief>.panels.json``: the drawn default panels, which kernels load instead of
    drawing them again."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in briefs:
        brief = _briefs()[name](tables, settings)
        for lang in LANGUAGES:
            filters = brief.filters(lang)
            state = parse_state({"lang": lang}, filters)
            query = query_of(state, filters)
            archive = view_zip(brief.panels(state), state, query, name)
            zip_path = folder / f"{name}.{lang}.zip"
            zip_path.write_bytes(archive)
            panels = "".join(brief.panel_html(key, state) for key, _, _ in brief.layout)
            chosen = " · ".join(
                f"{html.escape(f.label)}: "
                f"{html.escape(dict(f.options).get(state[f.key], state[f.key]) or '—')}"
                for f in filters
            )
            page = _PAGE.format(
                lang=lang,
                title=html.escape(brief.title(lang)),
                css=CSS,
                lead=html.escape(t(f"{name}.lead", lang)),
                note=html.escape(t("static_note", lang)),
                confidential=html.escape(t("confidential_note", lang)),
                filters=chosen,
                switch=_switch(lang),
                download=html.escape(t("download", lang)),
                zip=f"/{name}/static/{zip_path.name}",
                panels=panels,
            )
            html_path = folder / f"{name}.{lang}.html"
            html_path.write_text(page, encoding="utf-8")
            written += [html_path, zip_path]
        drawn = {"edition": brief.edition(), "panels": brief.drawn()}
        cache = folder / f"{name}.panels.json"
        cache.write_text(json.dumps(drawn, ensure_ascii=False), encoding="utf-8")
        written.append(cache)
    return written


def _switch(lang: str) -> str:
    other = "en" if lang == "it" else "it"
    label = "English" if other == "en" else "Italiano"
    return f'<a class="odata-switch" href="?lang={other}" hreflang="{other}">{label}</a>'


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<!--refresh-->
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main class="odata-brief odata-static">
<h1>{title}</h1>
<p class="odata-lead">{lead}</p>
<p class="odata-note" role="status">{note}</p>
<p class="odata-note">{confidential}</p>
<p class="odata-filters">{filters}</p>
<div class="odata-links">{switch}
<a class="odata-download" href="{zip}" download>{download}</a></div>
<div class="odata-panels">{panels}</div>
</main>
</body>
</html>
"""
