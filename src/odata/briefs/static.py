"""Pre-rendered default views: what a visitor sees at once while no kernel is free.

Each brief's default view, in Italian and in English, is written as one self-contained HTML
page (inline SVG charts, no script) plus the ZIP of that view. ``odata briefs serve`` writes
them before it starts and serves them when the pool of warm kernels is empty.

The same view is also written as a *preview*: the page's body alone, which the live page
shows while Voilà's JavaScript loads (about 3 s on two cores) and hides once the widgets are
drawn, with the default query string it stands for (``<brief>.views.json``).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

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
        views: dict[str, dict[str, str]] = {}
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
            views[lang] = dict(parse_qsl(query, keep_blank_values=True))
            body = _BODY.format(
                title=html.escape(brief.title(lang)),
                lead=html.escape(t(f"{name}.lead", lang)),
                note="{note}",
                confidential=html.escape(t("confidential_note", lang)),
                filters=chosen,
                switch=_switch(lang),
                download=html.escape(t("download", lang)),
                zip=f"/{name}/static/{zip_path.name}",
                panels=panels,
            )
            page = _PAGE.format(
                lang=lang,
                title=html.escape(brief.title(lang)),
                css=CSS,
                body=body.replace("{note}", html.escape(t("static_note", lang)), 1),
            )
            preview = folder / f"{name}.{lang}.preview.html"
            note = html.escape(t("preview_note", lang))
            preview.write_text(_preview(body.replace("{note}", note, 1)), encoding="utf-8")
            written.append(preview)
            html_path = folder / f"{name}.{lang}.html"
            html_path.write_text(page, encoding="utf-8")
            written += [html_path, zip_path]
        views_path = folder / f"{name}.views.json"
        views_path.write_text(json.dumps(views, sort_keys=True), encoding="utf-8")
        written.append(views_path)
        drawn = {"edition": brief.edition(), "panels": brief.drawn()}
        cache = folder / f"{name}.panels.json"
        cache.write_text(json.dumps(drawn, ensure_ascii=False), encoding="utf-8")
        written.append(cache)
    return written


def _switch(lang: str) -> str:
    other = "en" if lang == "it" else "it"
    label = "English" if other == "en" else "Italiano"
    return f'<a class="odata-switch" href="?lang={other}" hreflang="{other}">{label}</a>'


def _preview(body: str) -> str:
    """The default view as a fragment for the live page: its own style, its element ids
    renamed (the live charts reuse them, and a gradient whose first definition sits in a
    hidden subtree is not drawn), hidden by CSS once the live widgets (``.odata-live``) exist,
    and the live page's "loading" line hidden while it shows."""
    renamed = re.sub(r'\bid="', 'id="preview-', body)
    renamed = renamed.replace("url(#", "url(#preview-").replace('href="#', 'href="#preview-')
    return (
        "<style>"
        + CSS
        + "body:has(.odata-preview) #odata-loading { display: none; }"
        + "body:has(.odata-live) .odata-preview { display: none; }"
        + '</style><main class="odata-brief odata-preview" aria-busy="true">'
        + renamed
        + "</main>"
    )


_BODY = """<h1>{title}</h1>
<p class="odata-lead">{lead}</p>
<p class="odata-note" role="status">{note}</p>
<p class="odata-note">{confidential}</p>
<p class="odata-filters">{filters}</p>
<div class="odata-links">{switch}
<a class="odata-download" href="{zip}" download>{download}</a></div>
<div class="odata-panels">{panels}</div>
"""

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
{body}</main>
</body>
</html>
"""
