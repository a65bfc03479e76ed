"""What a protected statistical table is, and how a release describes it to the audit.

Every published table is long ("tidy"): dimension columns (codes, as text), then ``value`` and
``obs_status`` (empty, or ``C`` for a confidential cell whose value is empty). ``_T`` is the
total code of every dimension. A :class:`TableSpec` says what the table counts (its
``population``), how it may be protected (``kind``) and how its dimensions add up; the release
writes these specs into each package's ``datapackage.json`` (under ``x-odata``) so that the
disclosure audit can rebuild every equation from the published files alone.

**Linking rule**: two published cells of the same ``population`` whose non-``_T`` coordinates
are equal are the same quantity, in one table, across tables of a release, and across releases.
So every table of one population must use the same dimension names and codes, and a
population id must keep its meaning from one release to the next.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CONFIDENTIAL",
    "TOTAL",
    "Dimension",
    "TableKind",
    "TableSpec",
    "cell_key",
    "read_specs",
    "spec_from_dict",
    "write_specs",
]

TOTAL = "_T"
CONFIDENTIAL = "C"
X_ODATA = "x-odata"

#: persons: counts of people (threshold 5); firms: counts of firms (threshold 3);
#: magnitude: sums such as employees (contributors and dominance rules).
TableKind = Literal["persons", "firms", "magnitude"]


@dataclass(frozen=True)
class Dimension:
    """One dimension of a table.

    ``hierarchy`` maps a code to its parent code for hierarchical dimensions (territory:
    province → region → ``_T``); flat dimensions leave it empty (every code's parent is
    ``_T``). ``additive`` is False when a total is not the sum of its parts (unique persons
    over actions): then each part ≤ its total ≤ the sum of its parts. ``total`` is False for
    time (``anno`` of a stock): no ``_T`` row is published along it, as SDMX never totals
    ``TIME_PERIOD``, and the years are protected as separate slices.
    """

    name: str
    additive: bool = True
    hierarchy: Mapping[str, str] = field(default_factory=dict)
    total: bool = True

    def parent(self, code: str) -> str | None:
        """The code one level up (``_T`` for a top-level code, None for ``_T`` itself)."""
        if code == TOTAL:
            return None
        return self.hierarchy.get(code, TOTAL)


@dataclass(frozen=True)
class TableSpec:
    """A published statistical table: its name, what it counts and how it adds up."""

    name: str
    package: str
    kind: TableKind
    population: str
    dimensions: tuple[Dimension, ...]
    title_it: str = ""
    title_en: str = ""
    question_it: str = ""
    question_en: str = ""

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["dimensions"] = [
            {
                "name": d.name,
                "additive": d.additive,
                "hierarchy": dict(d.hierarchy),
                "total": d.total,
            }
            for d in self.dimensions
        ]
        return data


def spec_from_dict(data: Mapping[str, Any]) -> TableSpec:
    """The inverse of :meth:`TableSpec.to_dict`."""
    dimensions = tuple(
        Dimension(
            d["name"],
            bool(d.get("additive", True)),
            dict(d.get("hierarchy") or {}),
            bool(d.get("total", True)),
        )
        for d in data["dimensions"]
    )
    fields = {k: v for k, v in data.items() if k != "dimensions"}
    return TableSpec(dimensions=dimensions, **fields)


def cell_key(spec: TableSpec, codes: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The identity of a cell under the linking rule: population + its non-total coordinates."""
    coordinates = tuple(sorted((n, codes[n]) for n in spec.dimension_names if codes[n] != TOTAL))
    return spec.population, coordinates


def write_specs(package_dir: Path, name: str, specs: Iterable[TableSpec]) -> Path:
    """Write a minimal ``datapackage.json`` listing the tables and their ``x-odata`` specs.

    The full descriptor (titles, schemas, licences) replaces it in the packages stage; the
    ``x-odata`` block must survive there, because the audit reads it.
    """
    resources = [
        {
            "name": spec.name,
            "path": f"data/{spec.name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            X_ODATA: spec.to_dict(),
        }
        for spec in specs
    ]
    path = package_dir / "datapackage.json"
    package_dir.mkdir(parents=True, exist_ok=True)
    descriptor = {"name": name, "resources": resources}
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return path


def read_specs(release_dir: Path) -> list[tuple[TableSpec, Path]]:
    """Every statistical table of a release folder: its spec and its CSV path."""
    found: list[tuple[TableSpec, Path]] = []
    for descriptor in sorted(release_dir.glob("*/datapackage.json")):
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        for resource in package.get("resources", []):
            if X_ODATA in resource:
                found.append(
                    (spec_from_dict(resource[X_ODATA]), descriptor.parent / resource["path"])
                )
    return found
