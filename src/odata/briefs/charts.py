"""Vega-Lite specs for the briefs and the report, drawn to SVG by vl-convert in the kernel.

The specs are plain Vega-Lite v6 dicts (the grammar altair writes), so a kernel does not pay
altair's ~3 s import for every visitor; the tests check each spec against altair's schema.
Drawing in the kernel means the browser runs no chart JavaScript: charts work offline, under a
strict Content-Security-Policy, and the SVG's text can be read by tests and screen readers.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PALETTE", "bars", "choropleth", "grouped_bars", "lines", "progress", "svg"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MISSING = "#BBBBBB"  # confidential cells, also marked by text
SEQUENTIAL = "blues"
VEGA_LITE = "6.4"  # the grammar the specs are written in (altair 6.3 writes 6.4.1)
WIDTH = 560
FONT = "DejaVu Sans, Arial, sans-serif"

Row = Mapping[str, Any]


LABEL_CHARS = 40


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """A label cut to fit beside a chart (the full text stays in the table and the alt text)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _shorten(rows: Sequence[Row]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        row = dict(row)
        for field in ("label", "series"):
            if isinstance(row.get(field), str):
                row[field] = short(row[field])
        out.append(row)
    return out


def _base(description: str, rows: Sequence[Row]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
        "description": description,
        "data": {"values": _shorten(rows)},
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            # no labelLimit: vega's truncation measures text glyph by glyph (~0.7 s a chart in
            # vl-convert); labels are shortened here instead, the tables keep them whole.
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 0},
            "legend": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
                "labelLimit": 0,
            },
            "range": {"category": PALETTE},
        },
    }


def bars(
    rows: Sequence[Row], *, value_title: str, description: str, percent: bool = False
) -> dict[str, Any]:
    """Horizontal bars, one per ``label``; a confidential row shows its ``shown`` text, no bar.

    Rows hold ``label``, ``value`` (None when confidential) and ``shown`` (the printed value).
    """
    spec = _base(description, rows)
    y = {"field": "label", "type": "nominal", "sort": None, "title": None}
    x = {
        "field": "value",
        "type": "quantitative",
        "title": value_title,
        "axis": {"format": ".1f" if percent else ",d"},
    }
    spec.update(
        width=WIDTH - 280,
        height={"step": 22},
        encoding={"y": y},
        layer=[
            {"mark": {"type": "bar", "color": PALETTE[0]}, "encoding": {"x": x}},
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                "encoding": {
                    "x": {"field": "position", "type": "quantitative"},
                    "text": {"field": "shown"},
                },
            },
        ],
    )
    for row in spec["data"]["values"]:
        row["position"] = row["value"] if row["value"] is not None else 0
    return spec


def grouped_bars(
    rows: Sequence[Row], *, value_title: str, description: str, series_title: str
) -> dict[str, Any]:
    """Horizontal bars per ``label`` split by ``series`` (e.g. planned / committed / spent)."""
    spec = _base(description, rows)
    spec.update(
        width=WIDTH - 280,
        height={"step": 14},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "label", "type": "nominal", "sort": None, "title": None},
            "yOffset": {"field": "series", "sort": None},
            "x": {"field": "value", "type": "quantitative", "title": value_title},
            "color": {"field": "series", "type": "nominal", "sort": None, "title": series_title},
            "tooltip": [{"field": "label"}, {"field": "series"}, {"field": "shown"}],
        },
    )
    return spec


def lines(
    rows: Sequence[Row], *, x_title: str, value_title: str, description: str, percent: bool = False
) -> dict[str, Any]:
    """One line per ``series`` over ``x`` (ordinal: years, quarters), points labelled."""
    spec = _base(description, rows)
    encoding = {
        "x": {"field": "x", "type": "ordinal", "title": x_title, "axis": {"labelAngle": 0}},
        "y": {
            "field": "value",
            "type": "quantitative",
            "title": value_title,
            "axis": {"format": ".1f" if percent else ",d"},
        },
        "color": {"field": "series", "type": "nominal", "sort": None, "title": None},
    }
    spec.update(
        width=WIDTH - 120,
        height=240,
        encoding=encoding,
        layer=[
            {"mark": {"type": "line", "point": True}},
            {
                "mark": {"type": "text", "dy": -9, "fontSize": 10},
                "encoding": {"text": {"field": "shown"}},
            },
        ],
    )
    return spec


def progress(rows: Sequence[Row], *, description: str, expected_title: str) -> dict[str, Any]:
    """Percent of target per ``label`` with a tick at the pace expected by now (``expected``)."""
    spec = _base(description, rows)
    x = {"field": "value", "type": "quantitative", "title": "%", "scale": {"domainMin": 0}}
    spec.update(
        width=WIDTH - 280,
        height={"step": 26},
        encoding={"y": {"field": "label", "type": "nominal", "sort": None, "title": None}},
        layer=[
            {"mark": {"type": "bar", "color": PALETTE[0]}, "encoding": {"x": x}},
            {
                "mark": {"type": "tick", "color": PALETTE[5], "thickness": 3, "size": 22},
                "encoding": {
                    "x": {"field": "expected", "type": "quantitative", "title": expected_title}
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                "encoding": {
                    "x": {"field": "position", "type": "quantitative"},
                    "text": {"field": "shown"},
                },
            },
        ],
    )
    for row in spec["data"]["values"]:
        row["position"] = row["value"] if row["value"] is not None else 0
    return spec


def choropleth(
    topology: Mapping[str, Any],
    values: Sequence[Row],
    *,
    legend_title: str,
    description: str,
    confidential: str,
) -> dict[str, Any]:
    """Provinces coloured by ``value`` (joined on ``code``); confidential or absent in grey.

    ``values`` rows hold ``code``, ``value``, ``shown`` and ``label``; the topology is the
    committed ``province.topojson`` (Openpolis / ISTAT, CC-BY 4.0).
    """
    spec = _base(description, [])
    known = {row["code"]: row for row in values}
    geometries = [
        g for g in topology["objects"]["province"]["geometries"] if g["properties"]["code"] in known
    ]
    slim = dict(topology)
    slim["objects"] = {"province": {"type": "GeometryCollection", "geometries": geometries}}
    lookup = {
        "lookup": "properties.code",
        "from": {
            "data": {"values": [dict(row) for row in values]},
            "key": "code",
            "fields": ["value", "shown", "label"],
        },
    }
    spec.update(
        width=300,
        height=380,
        data={"values": slim, "format": {"type": "topojson", "feature": "province"}},
        transform=[lookup],
        projection={"type": "mercator"},
        layer=[
            {
                "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.4},
                "encoding": {
                    "color": {
                        "field": "value",
                        "type": "quantitative",
                        "title": legend_title,
                        "scale": {"scheme": SEQUENTIAL},
                        "legend": {"orient": "right", "format": ".1f"},
                    },
                    "tooltip": [{"field": "label"}, {"field": "shown"}],
                },
            },
        ],
        config=spec["config"] | {"mark": {"invalid": None}},
    )
    spec["layer"][0]["encoding"]["color"]["condition"] = {
        "test": "!isValid(datum.value)",
        "value": MISSING,
    }
    spec["usermeta"] = {"confidential": confidential}
    return spec


_PATH_DATA = re.compile(r' d="([^"]*)"')
_ABSOLUTE_LINES = re.compile(r"[MLZ0-9.,\-]*")
_DECIMAL = re.compile(r"-?\d+\.\d{2,}")


def _rounded_paths(drawn: str) -> str:
    """Path coordinates to a tenth of a pixel (vega writes thousandths). Only paths of absolute
    moves and lines (the map's provinces) are touched, where rounding cannot add up; it takes
    a quarter off the map, the heaviest chart a page loads."""

    def rounded(found: re.Match[str]) -> str:
        data = found.group(1)
        if not _ABSOLUTE_LINES.fullmatch(data):
            return found.group(0)
        return ' d="' + _DECIMAL.sub(lambda n: f"{float(n.group(0)):.1f}", data) + '"'

    return _PATH_DATA.sub(rounded, drawn)


def _scoped(drawn: str) -> str:
    """Element ids named after the chart's content: vega numbers gradients and clip paths per
    process, so two charts on one page could share an id, and the same chart drawn by two
    kernels would differ. Ids are renumbered, then prefixed with a hash of the result."""
    ids = list(dict.fromkeys(re.findall(r'id="([^"]+)"', drawn)))
    for number, old in enumerate(ids):
        drawn = drawn.replace(f'id="{old}"', f'id="@{number}"').replace(f"#{old})", f"#@{number})")
    tag = hashlib.sha256(drawn.encode()).hexdigest()[:10]
    return drawn.replace('id="@', f'id="c{tag}-').replace("#@", f"#c{tag}-")


def warm() -> None:
    """Start vl-convert's JavaScript engine (~0.8 s once per process) before a visitor's first
    filter change needs it; a kernel runs this in a thread once its visitor has the page."""
    svg({"mark": "point", "data": {"values": [{"a": 1}]}})


def svg(spec: Mapping[str, Any]) -> str:
    """The chart as an inline SVG element, labelled for screen readers."""
    import vl_convert

    drawn = _scoped(_rounded_paths(vl_convert.vegalite_to_svg(dict(spec), vl_version=VEGA_LITE)))
    label = html.escape(str(spec.get("description", "")), quote=True)
    return re.sub(r"^<svg ", f'<svg role="img" aria-label="{label}" ', drawn, count=1)
