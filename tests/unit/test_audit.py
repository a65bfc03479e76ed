"""The independent disclosure audit, on tiny hand-built releases whose answer is known."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from odata.anonymize.audit import (
    AuditResult,
    audit_release,
    private_report,
    summary,
)
from odata.anonymize.model import TOTAL, Dimension, TableSpec, write_specs
from odata.errors import DataError, SourceError

T = TOTAL
C = None  # a confidential cell
Row = tuple[object, ...]  # codes..., value (None = C)


def spec(
    name: str,
    dims: Sequence[str | Dimension],
    *,
    kind: str = "persons",
    population: str = "people",
    package: str = "pkg",
) -> TableSpec:
    dimensions = tuple(d if isinstance(d, Dimension) else Dimension(d) for d in dims)
    return TableSpec(name, package, kind, population, dimensions)  # type: ignore[arg-type]


def make_release(root: Path, tables: Sequence[tuple[TableSpec, Sequence[Row]]]) -> Path:
    """Write a release folder the way the build publishes it: specs + long CSV tables."""
    packages: dict[str, list[tuple[TableSpec, Sequence[Row]]]] = {}
    for table_spec, rows in tables:
        packages.setdefault(table_spec.package, []).append((table_spec, rows))
    for package, items in packages.items():
        write_specs(root / package, package, [s for s, _ in items])
        for table_spec, rows in items:
            path = root / package / "data" / f"{table_spec.name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow([*table_spec.dimension_names, "value", "obs_status"])
                for row in rows:
                    *codes, value = row
                    writer.writerow(
                        [*codes, "" if value is None else value, "C" if value is None else ""]
                    )
    return root


def intervals(
    result: AuditResult, table: str | None = None
) -> dict[tuple[str, ...], tuple[float, float]]:
    """Interval per suppressed cell, keyed by its codes in dimension order."""
    return {
        tuple(i.codes.values()): (i.low, i.high)
        for i in result.intervals
        if table is None or i.table == table
    }


def two_by_two(cells: dict[tuple[str, str], int | None], margins: bool = True) -> list[Row]:
    """A 2×2 table a×b with all margins published (values of the inner cells given)."""
    true = {"a1b1": 3, "a1b2": 10, "a2b1": 8, "a2b2": 12}
    rows: list[Row] = []
    for a in ("a1", "a2"):
        for b in ("b1", "b2"):
            rows.append((a, b, cells.get((a, b), true[a + b])))
    if margins:
        rows += [("a1", T, 13), ("a2", T, 20), (T, "b1", 11), (T, "b2", 22), (T, T, 33)]
    return rows


# (a) primary suppression alone: the lone C cell of its row is the margin minus the rest
def test_lone_suppressed_cell_is_exactly_recomputable(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r", [(spec("t", ["a", "b"]), two_by_two({("a1", "b1"): C}))])
    result = audit_release(release)
    assert intervals(result) == {("a1", "b1"): (3, 3)}
    assert (result.exact, result.narrow, result.below_threshold) == (1, 1, 1)
    assert result.per_table["t"]["exact"] == 1
    assert not result.passed


# (b) four C cells in a 2×2 with margins: one degree of freedom, t = a1b1 in [0, 11]
def test_protected_two_by_two_passes_with_known_intervals(tmp_path: Path) -> None:
    hidden = {(a, b): C for a in ("a1", "a2") for b in ("b1", "b2")}
    release = make_release(tmp_path / "r", [(spec("t", ["a", "b"]), two_by_two(hidden))])
    result = audit_release(release)
    assert intervals(result) == {
        ("a1", "b1"): (0, 11),
        ("a1", "b2"): (2, 13),
        ("a2", "b1"): (0, 11),
        ("a2", "b2"): (9, 20),
    }
    assert (result.exact, result.narrow, result.below_threshold, result.small_published) == (
        0,
        0,
        0,
        0,
    )
    assert result.passed
    solved = audit_release(release, exact_intervals=True)
    assert intervals(solved) == intervals(result)
    assert all(i.tight for i in solved.intervals)


# (c) two tables of one population share the margin "F": safe alone, exact jointly
def test_linked_tables_reveal_a_shared_margin(tmp_path: Path) -> None:
    by_age: list[Row] = [
        ("F", "y", C), ("F", "o", C), ("F", T, C),
        ("M", "y", C), ("M", "o", C), ("M", T, C),
        (T, "y", 9), (T, "o", 16), (T, T, 25),
    ]  # fmt: skip
    by_sex: list[Row] = [("F", 10), ("M", 15), (T, 25)]
    alone = audit_release(make_release(tmp_path / "a", [(spec("age", ["sex", "age"]), by_age)]))
    assert alone.passed
    assert intervals(alone)[("F", T)] == (0, 25)

    both = make_release(
        tmp_path / "b",
        [(spec("age", ["sex", "age"]), by_age), (spec("sex", ["sex"]), by_sex)],
    )
    joint = audit_release(both)
    found = intervals(joint, "age")
    assert found[("F", T)] == (10, 10)
    assert found[("M", T)] == (15, 15)
    assert found[("F", "y")] == (0, 9)
    assert joint.exact == 2
    assert not joint.passed


# (c') a different population is a different quantity: no link
def test_tables_of_different_populations_are_not_linked(tmp_path: Path) -> None:
    by_age: list[Row] = [
        ("F", "y", C), ("F", "o", C), ("F", T, C),
        ("M", "y", C), ("M", "o", C), ("M", T, C),
        (T, "y", 9), (T, "o", 16), (T, T, 25),
    ]  # fmt: skip
    release = make_release(
        tmp_path / "r",
        [
            (spec("age", ["sex", "age"]), by_age),
            (
                spec("sex", ["sex"], population="firms", kind="firms"),
                [("F", 10), ("M", 15), (T, 25)],
            ),
        ],
    )
    assert audit_release(release).passed


TERRITORY = Dimension("territory", hierarchy={"P1": "R1", "P2": "R1", "P3": "R2", "P4": "R2"})


# (d) hierarchy: region = Σ provinces, Italy = Σ regions
def test_hierarchy_lone_province_is_revealed_by_its_region(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("P1", C), ("P2", 10), ("P3", 7), ("P4", 8), ("R1", 13), ("R2", 15), (T, 28),
    ]  # fmt: skip
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [TERRITORY]), rows)]))
    assert intervals(result) == {("P1",): (3, 3)}


def test_hierarchy_suppressed_regions_bound_each_other(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("P1", C), ("P2", 10), ("P3", C), ("P4", 15), ("R1", C), ("R2", C), (T, 28),
    ]  # fmt: skip
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [TERRITORY]), rows)]))
    # P1 + P3 = 28 - 10 - 15 = 3
    assert intervals(result) == {
        ("P1",): (0, 3),
        ("P3",): (0, 3),
        ("R1",): (10, 13),
        ("R2",): (15, 18),
    }
    assert result.passed  # width 3 ≥ 2 ...
    assert result.below_threshold == 4  # ... but below T = 5: a warning


def test_hierarchy_level_left_out_is_implied(tmp_path: Path) -> None:
    rows: list[Row] = [("P1", C), ("P2", 10), ("P3", 7), ("P4", 8), (T, 28)]
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [TERRITORY]), rows)]))
    assert intervals(result) == {("P1",): (3, 3)}
    assert [i.table for i in result.intervals] == ["t"]  # implied regions are not audited


# (e) a published zero row pins its suppressed cells to 0, and so their neighbours
def test_zero_row_pins_neighbours(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("a1", "b1", C), ("a1", "b2", C), ("a1", T, 10),
        ("a2", "b1", C), ("a2", "b2", C), ("a2", T, 0),
        (T, "b1", 4), (T, "b2", 6), (T, T, 10),
    ]  # fmt: skip
    result = audit_release(make_release(tmp_path / "r", [(spec("t", ["a", "b"]), rows)]))
    assert intervals(result) == {
        ("a1", "b1"): (4, 4),
        ("a1", "b2"): (6, 6),
        ("a2", "b1"): (0, 0),
        ("a2", "b2"): (0, 0),
    }
    assert result.exact == 4


# (f) differencing against the previous release
def test_previous_release_reveals_a_cell_only_when_given(tmp_path: Path) -> None:
    table = spec("chambers", ["chamber"])
    current = make_release(
        tmp_path / "2026-q2", [(table, [("c1", C), ("c2", C), ("c3", 20), (T, 27)])]
    )
    previous = make_release(
        tmp_path / "2026-q1", [(table, [("c1", C), ("c2", 4), ("c3", C), (T, 27)])]
    )
    alone = audit_release(current)
    assert alone.passed
    assert intervals(alone) == {("c1",): (0, 7), ("c2",): (0, 7)}

    joint = audit_release(current, previous=previous)
    assert intervals(joint) == {("c1",): (3, 3), ("c2",): (4, 4)}
    assert joint.exact == 2
    assert not joint.passed
    assert joint.previous == "2026-q1"


def test_revised_cell_in_previous_release_does_not_break_the_system(tmp_path: Path) -> None:
    table = spec("chambers", ["chamber"])
    current = make_release(tmp_path / "now", [(table, [("c1", C), ("c2", C), ("c3", 20), (T, 27)])])
    previous = make_release(
        tmp_path / "before", [(table, [("c1", C), ("c2", C), ("c3", 19), (T, 26)])]
    )
    result = audit_release(current, previous=previous)
    assert result.passed
    assert result.inconsistent == 0
    assert intervals(result) == {("c1",): (0, 7), ("c2",): (0, 7)}


# (g) non-additive dimension: each part ≤ total ≤ Σ parts
def test_non_additive_dimension_gives_bounds(tmp_path: Path) -> None:
    action = Dimension("action", additive=False)
    rows: list[Row] = [("info", C), ("training", 10), (T, 12)]  # one person did both
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [action]), rows)]))
    assert intervals(result) == {("info",): (2, 12)}
    assert result.passed
    assert result.inconsistent == 0


def test_non_additive_dimension_with_an_additive_one(tmp_path: Path) -> None:
    action = Dimension("action", additive=False)
    rows: list[Row] = [
        ("info", "F", C), ("info", "M", C), ("info", T, 9),
        ("training", "F", 6), ("training", "M", 5), ("training", T, 11),
        (T, "F", 8), (T, "M", 10), (T, T, 18),
    ]  # fmt: skip
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [action, "sex"]), rows)]))
    # info_F + info_M = 9 (sex adds up); along action, 8 ≤ info_F + 6 and 10 ≤ info_M + 5
    assert intervals(result) == {("info", "F"): (2, 4), ("info", "M"): (5, 7)}


# (h) small published counts
def test_published_small_person_count_fails(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", 3), ("a2", 12), (T, 15)]
    result = audit_release(make_release(tmp_path / "r", [(spec("t", ["a"]), rows)]))
    assert result.small_published == 1
    assert result.per_table["t"]["small_published"] == 1
    assert not result.passed


def test_small_firm_counts_use_the_firm_threshold(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", 2), ("a2", 3), ("a3", 0), (T, 5)]
    firms = spec("t", ["a"], kind="firms", population="firms")
    result = audit_release(make_release(tmp_path / "r", [(firms, rows)]))
    assert result.small_published == 1  # 2 only: 3 is at the threshold, 0 is a zero


def test_magnitude_intervals_are_not_rounded(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", C), ("a2", C), ("a3", 7.25), (T, 10.75)]
    employees = spec("emp", ["a"], kind="magnitude", population="employees")
    result = audit_release(make_release(tmp_path / "r", [(employees, rows)]))
    assert intervals(result) == {("a1",): (0, 3.5), ("a2",): (0, 3.5)}
    assert result.below_threshold == 0  # no count threshold for magnitudes
    assert result.passed


def test_integer_counts_round_bounds_inwards(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", C), ("a2", C), (T, 1)]
    result = audit_release(make_release(tmp_path / "r", [(spec("t", ["a"]), rows)]))
    assert intervals(result) == {("a1",): (0, 1), ("a2",): (0, 1)}
    assert result.narrow == 2


def test_count_floor_one_is_the_stronger_attacker(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", C), ("a2", C), ("a3", 20), (T, 22)]
    release = make_release(tmp_path / "r", [(spec("t", ["a"]), rows)])
    assert audit_release(release).passed  # [0, 2] each
    strong = audit_release(release, count_floor=1)
    assert intervals(strong) == {("a1",): (1, 1), ("a2",): (1, 1)}
    assert not strong.passed


def test_count_floor_one_falls_back_where_a_zero_was_suppressed(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", C), ("a2", C), ("a3", 20), (T, 21)]  # 1 and a hidden 0
    release = make_release(tmp_path / "r", [(spec("t", ["a"]), rows)])
    result = audit_release(release, count_floor=1)
    assert result.inconsistent == 0
    assert intervals(result) == {("a1",): (0, 1), ("a2",): (0, 1)}


def test_inconsistent_margins_fail_the_audit(tmp_path: Path) -> None:
    rows: list[Row] = [("a1", 7), ("a2", 12), (T, 20)]
    result = audit_release(make_release(tmp_path / "r", [(spec("t", ["a"]), rows)]))
    assert result.inconsistent == 1
    assert not result.passed


def test_same_cell_published_twice_with_different_values_is_inconsistent(tmp_path: Path) -> None:
    release = make_release(
        tmp_path / "r",
        [
            (spec("one", ["a"]), [("a1", 7), ("a2", 12), (T, 19)]),
            (spec("two", ["a"]), [("a1", 7), ("a2", 13), (T, 20)]),
        ],
    )
    result = audit_release(release)
    assert result.inconsistent > 0
    assert not result.passed


def test_cell_suppressed_in_one_table_but_published_in_another(tmp_path: Path) -> None:
    release = make_release(
        tmp_path / "r",
        [
            (spec("one", ["a"]), [("a1", C), ("a2", C), (T, 19)]),
            (spec("two", ["a", "b"]), [("a1", T, 7), ("a2", T, 12), (T, T, 19)]),
        ],
    )
    result = audit_release(release)
    assert intervals(result, "one") == {("a1",): (7, 7), ("a2",): (12, 12)}
    assert result.exact == 2


def test_unbounded_cell_has_infinite_width(tmp_path: Path) -> None:
    action = Dimension("action", additive=False)
    rows: list[Row] = [("info", C), ("training", 10), (T, C)]
    result = audit_release(make_release(tmp_path / "r", [(spec("t", [action]), rows)]))
    found = intervals(result)
    assert found[("info",)] == (0, float("inf"))
    assert found[(T,)] == (10, float("inf"))
    assert result.passed
    report = private_report(result)
    assert json.loads(json.dumps(report, allow_nan=False))["intervals"][0]["high"] is None


def grid(n: int, m: int, hidden: set[tuple[int, int]]) -> list[Row]:
    """An n×m table with values i + 2j + 1 and all margins published."""
    rows: list[Row] = []
    for i in range(n):
        for j in range(m):
            rows.append((f"r{i}", f"c{j}", C if (i, j) in hidden else i + 2 * j + 1))
        rows.append((f"r{i}", T, sum(i + 2 * j + 1 for j in range(m))))
    for j in range(m):
        rows.append((T, f"c{j}", sum(i + 2 * j + 1 for i in range(n))))
    rows.append((T, T, sum(i + 2 * j + 1 for i in range(n) for j in range(m))))
    return rows


def test_probing_agrees_with_solving_every_lp(tmp_path: Path) -> None:
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (4, 0), (4, 3)}
    hidden |= {(0, 3), (4, 1), (1, 4), (3, 4), (5, 5), (5, 4), (0, 5)}
    release = make_release(tmp_path / "r", [(spec("t", ["r", "c"]), grid(6, 6, hidden))])
    fast = audit_release(release)
    slow = audit_release(release, exact_intervals=True)
    assert fast.per_table == slow.per_table
    assert all(i.tight for i in slow.intervals)
    for quick, full in zip(fast.intervals, slow.intervals, strict=True):
        assert quick.codes == full.codes
        if quick.tight:
            assert (quick.low, quick.high) == (full.low, full.high)
        else:  # an inner bound, only for cells proven wide enough
            assert full.low <= quick.low <= quick.high <= full.high
            assert quick.width >= 5
    assert fast.stats["lps"] <= slow.stats["lps"]


def test_results_are_deterministic(tmp_path: Path) -> None:
    hidden = {(i, j) for i in range(5) for j in range(5) if (i * 7 + j * 3) % 4 == 0}
    release = make_release(tmp_path / "r", [(spec("t", ["r", "c"]), grid(5, 5, hidden))])
    first, second = audit_release(release), audit_release(release)
    assert first.intervals == second.intervals


def test_summary_is_public_and_private_report_is_not(tmp_path: Path) -> None:
    hidden = {(a, b): C for a in ("a1", "a2") for b in ("b1", "b2")}
    release = make_release(tmp_path / "r", [(spec("t", ["a", "b"]), two_by_two(hidden))])
    result = audit_release(release)
    public = summary(result)
    assert public["passed"] is True
    assert public["tables"] == {"t": {"cells": 9, "suppressed": 4}}
    assert (public["cells"], public["suppressed"]) == (9, 4)
    text = json.dumps(public)
    assert "interval" not in text and "low" not in text and "below" not in text
    private = private_report(result)
    assert len(private["intervals"]) == 4
    assert private["intervals"][0] == {
        "table": "t",
        "codes": {"a": "a1", "b": "b1"},
        "low": 0.0,
        "high": 11.0,
        "width": 11.0,
        "tight": True,
    }
    json.dumps(private, allow_nan=False)


def test_confidential_cell_with_a_value_is_refused(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r", [(spec("t", ["a"]), [("a1", 3), (T, 3)])])
    path = release / "pkg" / "data" / "t.csv"
    path.write_text("a,value,obs_status\na1,3,C\n_T,3,\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        audit_release(release)
    assert [(p.row, p.column, p.code) for p in caught.value.problems] == [
        (2, "value", "value-in-confidential-cell")
    ]


def test_missing_column_and_missing_release(tmp_path: Path) -> None:
    release = make_release(tmp_path / "r", [(spec("t", ["a"]), [("a1", 3), (T, 3)])])
    (release / "pkg" / "data" / "t.csv").write_text("a,value\na1,3\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        audit_release(release)
    assert caught.value.column == "obs_status"
    with pytest.raises(SourceError):
        audit_release(tmp_path / "nowhere")


def test_large_component_path_agrees_with_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import odata.anonymize.audit as audit

    hidden = {(i, j) for i in range(6) for j in range(6) if (i + 2 * j) % 3 != 1}
    release = make_release(tmp_path / "r", [(spec("t", ["r", "c"]), grid(6, 6, hidden))])
    reference = audit_release(release, exact_intervals=True)
    monkeypatch.setattr(audit, "_LARGE_VARS", 5)  # interior point LPs and an LP budget
    result = audit_release(release)
    assert result.per_table == reference.per_table
    for fast, full in zip(result.intervals, reference.intervals, strict=True):
        assert full.low <= fast.low <= fast.high <= full.high


def test_cells_left_open_by_the_budget_are_unproven(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import odata.anonymize.audit as audit

    hidden = {(a, b): C for a in ("a1", "a2") for b in ("b1", "b2")}
    release = make_release(tmp_path / "r", [(spec("t", ["a", "b"]), two_by_two(hidden))])
    for name in ("_LARGE_VARS", "_LARGE_PROBES", "_LARGE_LPS", "_LARGE_WORK"):
        monkeypatch.setattr(audit, name, 0)
    starved = audit_release(release)
    assert (starved.unproven, starved.narrow) == (4, 0)
    assert not starved.passed
    assert summary(starved)["not_proven_safe"] == 4
    assert audit_release(release, exact_intervals=True).passed


def test_worker_processes_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import odata.anonymize.audit as audit

    first = {(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0}
    release = make_release(
        tmp_path / "r",
        [
            (spec("one", ["r", "c"]), grid(4, 4, first)),
            (spec("two", ["r", "c"], population="other"), grid(4, 4, first)),
        ],
    )
    alone = audit_release(release, workers=1)
    monkeypatch.setattr(audit, "_POOL_VARS", 0)
    pooled = audit_release(release, workers=2)
    assert pooled.intervals == alone.intervals
    assert pooled.per_table == alone.per_table
