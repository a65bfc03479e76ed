"""What the three briefs have in common: their published tables, code labels and provenance."""

from __future__ import annotations

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


@cache
def province_topology(path: Path) -> dict[str, Any]:
    """The committed province boundaries (reference data, not statistics), with every ring
    wound the way d3-geo (inside vega) reads spherical polygons: exterior rings clockwise.
    A ring wound the other way would be drawn as the whole globe minus the province."""
    topology: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decoded_arcs(topology)
    for obj in topology["objects"].values():
        for geometry in obj["geometries"]:
            polygons = (
                geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
            )
            for polygon in polygons:
                for index, ring in enumerate(polygon):
                    clockwise = _signed_area(_ring_points(ring, arcs)) < 0
                    if clockwise != (index == 0):  # exterior clockwise, holes anticlockwise
                        polygon[index] = [~arc for arc in reversed(ring)]
    return topology


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
