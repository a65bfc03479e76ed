"""The live page's template, rendered by Jinja as Voilà renders it, without a server: only the
widgets reach the page, never a print, a warning or a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from odata.briefs import service
from odata.briefs.server import FRONTEND_BUNDLE, TEMPLATE_DIR, TEMPLATE_HTML_TAG
from odata.briefs.service import BriefsError, require_frontend

WIDGET = "application/vnd.jupyter.widget-view+json"


def render(outputs: list[dict[str, Any]]) -> str:
    """The page for one cell with ``outputs``, with Voilà's template context."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR))

    def cells(nb: Any, kernel_id: str) -> Iterator[dict[str, Any]]:
        yield {"cell_type": "code", "outputs": outputs}

    return environment.get_template("index.html.j2").render(
        nb={},
        resources={"base_url": "/"},
        page_config={"appName": "Voila"},
        kernel_start=lambda nb: "0e7c2b5a-0000-4000-8000-000000000001",
        cell_generator=cells,
    )


def test_widgets_become_places_for_the_front_end() -> None:
    page = render(
        [
            {"output_type": "display_data", "data": {WIDGET: {"model_id": "abc"}}},
            {"output_type": "display_data", "data": {WIDGET: {"model_id": 'd"><x'}}},
        ]
    )
    assert '<div class="odata-widget" data-model-id="abc"></div>' in page
    assert 'data-model-id="d&#34;&gt;&lt;x"' in page  # escaped, never markup
    config = re.search(r'id="jupyter-config-data" type="application/json">(.*?)</script>', page)
    assert config
    assert json.loads(config.group(1)) == {
        "appName": "Voila",
        "baseUrl": "/",
        "kernelId": "0e7c2b5a-0000-4000-8000-000000000001",
    }
    assert page.count(TEMPLATE_HTML_TAG) == 1  # the server swaps it for the visitor's language
    assert re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page) == ["/voila/static/odata-live.js"]


def test_prints_html_and_tracebacks_never_reach_the_page() -> None:
    page = render(
        [
            {"output_type": "stream", "name": "stdout", "text": "QUERY_STRING=secret"},
            {"output_type": "stream", "name": "stderr", "text": "UserWarning: /srv/odata"},
            {"output_type": "display_data", "data": {"text/html": "<b>raw html</b>"}},
            {
                "output_type": "error",
                "ename": "KeyError",
                "evalue": "'/srv/odata/.odata/secrets'",
                "traceback": ["Traceback (most recent call last):", "KeyError"],
            },
        ]
    )
    for leak in ("QUERY_STRING", "UserWarning", "raw html", "KeyError", "Traceback", "/srv"):
        assert leak not in page
    assert 'class="odata-error" role="alert"' in page
    assert "Something went wrong" in page


def test_serving_without_the_built_front_end_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert FRONTEND_BUNDLE.is_file(), "make setup builds it"
    require_frontend()
    monkeypatch.setattr(service, "FRONTEND_BUNDLE", tmp_path / "odata-live.js")
    with pytest.raises(BriefsError, match="front end is not built") as raised:
        require_frontend()
    assert "make setup" in str(raised.value.hint)
