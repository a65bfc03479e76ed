"""The briefs' province map: boundaries simplified for the screen without losing a province,
a shared border or the winding d3-geo needs; chart paths rounded only where it is safe."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

from odata.briefs import brief
from odata.briefs.charts import _rounded_paths

BOUNDARIES = Path(__file__).resolve().parents[2] / "datapackage/riferimenti/data/province.topojson"


def _points(arc: list[list[int]]) -> list[tuple[int, int]]:
    x = y = 0
    points = []
    for dx, dy in arc:
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


def test_simplified_boundaries_keep_every_province_and_stay_within_the_tolerance() -> None:
    original = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    simplified = brief.province_topology(BOUNDARIES)
    scale = max(original["transform"]["scale"])
    tolerance = brief.MAP_TOLERANCE_DEGREES / scale

    def codes(topology: dict[str, object]) -> list[str]:
        return [g["properties"]["code"] for g in topology["objects"]["province"]["geometries"]]  # type: ignore[index]

    assert codes(simplified) == codes(original)
    assert all(g["arcs"] for g in simplified["objects"]["province"]["geometries"])
    before = sum(len(arc) for arc in original["arcs"])
    after = sum(len(arc) for arc in simplified["arcs"])
    assert after < before / 2
    # the same arcs, end to end: neighbouring provinces still share every border point kept
    assert len(simplified["arcs"]) == len(original["arcs"])
    for old, new in zip(original["arcs"], simplified["arcs"], strict=True):
        full, kept = _points(old), _points(new)
        assert (kept[0], kept[-1]) == (full[0], full[-1])
        assert set(kept) <= set(full)
        for point in full:  # no original point is further than the tolerance from the line
            gap = (
                min(brief._segment_gap(point, a, b) for a, b in itertools.pairwise(kept))
                if len(kept) > 1
                else math.dist(point, kept[0])
            )
            assert gap <= tolerance + 1e-9


def test_simplified_rings_are_still_wound_for_d3() -> None:
    topology = brief.province_topology(BOUNDARIES)
    arcs = brief._decoded_arcs(topology)
    for geometry in topology["objects"]["province"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                area = brief._signed_area(brief._ring_points(ring, arcs))
                assert area != 0
                assert (area < 0) == (index == 0), geometry["properties"]["code"]


def test_douglas_peucker_keeps_a_corner_and_drops_a_wobble() -> None:
    line = [(0, 0), (5, 1), (10, 0), (10, 10)]
    assert brief._douglas_peucker(line, 2) == [(0, 0), (10, 0), (10, 10)]
    assert brief._douglas_peucker(line, 0.5) == line
    island = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert brief._douglas_peucker(island, 1) == island


def test_only_paths_of_absolute_lines_are_rounded() -> None:
    svg = (  # a province, a bar (relative steps: left alone), a line
        '<path d="M1.234,5.678L9.87,6.05Z"/>'
        '<path d="M0,0h10.256v5.125h-10.256Z"/>'
        '<path d="M1.25,2.5L3,4"/>'
    )
    assert _rounded_paths(svg) == (
        '<path d="M1.2,5.7L9.9,6.0Z"/>'
        '<path d="M0,0h10.256v5.125h-10.256Z"/>'
        '<path d="M1.2,2.5L3,4"/>'
    )
