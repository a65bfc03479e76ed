"""What the three briefs have in common: their published tables, code labels and provenance."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from odata.briefs.data import Tables
from odata.briefs.settings import BriefSettings
from odata.briefs.view import Filter, Panel, Provenance, State, panel_html

__all__ = ["Brief", "province_topology"]


class Brief:
    """A brief: filters, and the panels a state gives. Subclasses name their tables."""

    name = ""
    package = ""
    tables_used: tuple[str, ...] = ()
    has_map = False  # draws the province map (its simplified boundaries are worth warming)

    def __init__(self, tables: Tables, settings: BriefSettings | None = None) -> None:
        self.tables = tables
        self.settings = settings or BriefSettings.from_environ()
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}
        self._cells: dict[tuple[str, str], dict[tuple[str, ...], float | None]] = {}
        self._dims: dict[tuple[str, str], list[str]] = {}
        self._html: dict[tuple[str, ...], str] = {}
        self._panels: dict[tuple[str, ...], Panel] = {}
        for table in self.tables_used:  # read everything up front: a kernel warms once
            self.frame(table)

    def frame(self, table: str, package: str | None = None) -> pd.DataFrame:
        key = (package or self.package, table)
        if key not in self._frames:
            self._frames[key] = self.tables.table(*key)
        return self._frames[key]

    def cell(self, table: str, package: str | None = None, **codes: str) -> float | None:
        """One published cell by its codes; None when confidential (or not published)."""
        key = (package or self.package, table)
        if key not in self._cells:
            frame = self.frame(table, package)
            dims = [c for c in frame.columns if c not in ("value", "obs_status")]
            values = [
                None if status == "C" or pd.isna(value) else float(value)
                for value, status in zip(frame["value"], frame["obs_status"], strict=True)
            ]
            keys = zip(*(frame[d] for d in dims), strict=True)
            self._cells[key] = dict(zip(keys, values, strict=True))
            self._dims[key] = dims
        dims = self._dims[key]
        return self._cells[key].get(tuple(codes[d] for d in dims))

    def labels(self, dimension: str, lang: str, package: str | None = None) -> dict[str, str]:
        """Code → label in ``lang`` from the published code list ``codici-<dimension>``."""
        codes = self.frame(f"codici-{dimension}", package)
        column = "label_en" if lang == "en" else "label_it"
        return dict(zip(codes["code"], codes[column], strict=True))

    def parents(self, dimension: str, package: str | None = None) -> dict[str, str]:
        codes = self.frame(f"codici-{dimension}", package)
        return dict(zip(codes["code"], codes["parent"], strict=True))

    def provenance(self, resource: str, lang: str, package: str | None = None) -> Provenance:
        package = package or self.package
        descriptor = self.tables.descriptor(package)
        titles = descriptor.get("title_translated", {})
        licences = descriptor.get("licenses", [{}])
        return Provenance(
            package=package,
            resource=resource,
            title=str(titles.get(lang, descriptor.get("title", package))),
            edition=str(descriptor.get("version", "")),
            licence=str(licences[0].get("name", "")),
            dataset_url=self.tables.dataset_url(package),
            released=str(descriptor.get("created", ""))[:10],
        )

    def topology(self) -> dict[str, Any]:
        return province_topology(reference_file(self.settings, "province.topojson"))

    def warm(self) -> None:
        """What a visitor's first filter change would otherwise wait for (a pooled kernel runs
        this before anyone arrives): simplifying the boundaries takes ~0.1 s."""
        if self.has_map:
            self.topology()

    def edition(self) -> str:
        return str(self.tables.descriptor(self.package).get("version", ""))

    def title(self, lang: str) -> str:
        from odata.briefs.i18n import t

        return t(f"{self.name}.title", lang)

    def filters(self, lang: str) -> list[Filter]:
        raise NotImplementedError

    # (panel key, method name, the filters the panel depends on besides the language)
    layout: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def panel(self, key: str, state: State) -> Panel:
        """A panel's data and chart spec, computed once per distinct input."""
        cache_key = (key, *self.depends(key, state))
        if cache_key not in self._panels:
            if len(self._panels) > 2000:
                self._panels.clear()
            method = {k: m for k, m, _ in self.layout}[key]
            self._panels[cache_key] = getattr(self, method)(state)
        return self._panels[cache_key]

    def panels(self, state: State) -> list[Panel]:
        return [self.panel(key, state) for key, _, _ in self.layout]

    def depends(self, key: str, state: State) -> tuple[str, ...]:
        """What a panel's content is a function of: its filters' values and the language."""
        deps = {k: d for k, _, d in self.layout}[key]
        return (state["lang"], *(state[d] for d in deps))

    def panel_html(self, key: str, state: State) -> str:
        """A panel's HTML, drawn once per distinct input (filter changes redraw only what moved)."""
        cache_key = (key, *self.depends(key, state))
        if cache_key not in self._html:
            if len(self._html) > 2000:
                self._html.clear()
            self._html[cache_key] = panel_html(self.panel(key, state), state["lang"])
        return self._html[cache_key]

    def drawn(self) -> list[tuple[list[str], str]]:
        """The panels drawn so far, as (input, HTML): what a static render hands to kernels."""
        return [(list(key), text) for key, text in self._html.items()]

    def preload(self, drawn: list[tuple[list[str], str]]) -> None:
        """Take panels drawn elsewhere (the static render of the same edition): a kernel then
        shows the default view without drawing it again."""
        self._html.update((tuple(key), text) for key, text in drawn)


def reference_file(settings: BriefSettings, name: str) -> Path:
    """A committed reference file (boundaries, chamber provinces): public, not statistics."""
    folder = settings.reference_dir or Path(__file__).resolve().parents[3] / "datapackage" / (
        "riferimenti/data"
    )
    return folder / name


#: Douglas-Peucker tolerance for the briefs' maps, in degrees (~900 m): about a quarter of a
#: pixel on the 300 px map of Italy. The committed file has ~16,600 points, far more than a
#: map that size can show; at full detail the map was 420 kB of the 620 kB a live page loads.
MAP_TOLERANCE_DEGREES = 0.008


@cache
def province_topology(path: Path) -> dict[str, Any]:
    """The committed province boundaries (reference data, not statistics), simplified for a
    screen-sized map, with every ring wound the way d3-geo (inside vega) reads spherical
    polygons: exterior rings clockwise. A ring wound the other way would be drawn as the
    whole globe minus the province; a ring simplified away to nothing is left out."""
    topology: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    _simplify_arcs(topology, MAP_TOLERANCE_DEGREES)
    arcs = _decoded_arcs(topology)
    for obj in topology["objects"].values():
        for geometry in obj["geometries"]:
            polygons = (
                geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
            )
            kept_polygons = []
            for polygon in polygons:
                kept = []
                for index, ring in enumerate(polygon):
                    area = _signed_area(_ring_points(ring, arcs))
                    if area == 0:  # an islet or a hole shrunk to a line
                        if index == 0:
                            break
                        continue
                    if (area < 0) != (index == 0):  # exterior clockwise, holes anticlockwise
                        ring = [~arc for arc in reversed(ring)]
                    kept.append(ring)
                if kept:
                    kept_polygons.append(kept)
            if geometry["type"] == "MultiPolygon":
                geometry["arcs"] = kept_polygons
            elif kept_polygons:
                geometry["arcs"] = kept_polygons[0]
    return topology


def _simplify_arcs(topology: dict[str, Any], tolerance_degrees: float) -> None:
    """Douglas-Peucker on each arc, in place. Arcs are shared by neighbouring provinces, so
    simplifying each arc once keeps the borders common: no gap or overlap appears."""
    sx, sy = topology["transform"]["scale"]
    tolerance = tolerance_degrees / max(sx, sy)  # in the file's quantized units
    simplified = []
    for arc in topology["arcs"]:
        points, x, y = [], 0, 0
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x, y))
        kept = _douglas_peucker(points, tolerance)
        simplified.append(
            [kept[0]] + [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(kept)]
        )
    topology["arcs"] = simplified


def _douglas_peucker(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """The points of a polyline that keep it within ``tolerance``; its ends always stay. A
    closed arc (an island) is split at its farthest point so that both halves have a chord."""
    if len(points) < 3:
        return points
    if points[0] == points[-1]:
        far = max(range(len(points)), key=lambda i: _distance2(points[i], points[0]))
        if far == 0:
            return [points[0], points[-1]]
        head = _douglas_peucker(points[: far + 1], tolerance)
        return head + _douglas_peucker(points[far:], tolerance)[1:]
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, 0
        for i in range(first + 1, last):
            gap = _segment_gap(points[i], points[first], points[last])
            if gap > worst:
                worst, index = gap, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _segment_gap(p: tuple[int, int], a: tuple[int, int], b: tuple[int, int]) -> float:
    """Distance from ``p`` to the segment ``ab``."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return float(((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5)


def _distance2(p: tuple[int, int], q: tuple[int, int]) -> int:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2


def _decoded_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring_points(
    ring: list[int], arcs: list[list[tuple[float, float]]]
) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for arc in ring:
        points += arcs[arc] if arc >= 0 else arcs[~arc][::-1]
    return points


def _signed_area(points: list[tuple[float, float]]) -> float:
    """Twice the planar signed area (shoelace): positive when anticlockwise, y pointing up."""
    return sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
    )


def pick(frame: pd.DataFrame, **where: str | Sequence[str]) -> pd.DataFrame:
    """Rows of ``frame`` whose columns equal (or are among) the given codes."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        if isinstance(wanted, str):
            mask &= frame[column] == wanted
        else:
            mask &= frame[column].isin(list(wanted))
    return frame[mask]
