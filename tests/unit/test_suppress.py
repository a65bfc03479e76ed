"""Primary and secondary suppression on small populations whose right answer is known."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from odata.anonymize.model import TOTAL, Dimension, TableKind, TableSpec, write_specs
from odata.anonymize.suppress import Population, Protected, protect

A = Dimension("a")
B = Dimension("b")
C = Dimension("c")


def population(
    dims: Sequence[Dimension],
    rows: Sequence[tuple[object, ...]],
    tables: Sequence[Sequence[Dimension]] | None = None,
    kind: TableKind = "persons",
    extra: Sequence[str] = (),
) -> Population:
    names = [d.name for d in dims]
    inner = pd.DataFrame(list(rows), columns=[*names, "value", *extra])
    specs = tuple(
        TableSpec(f"t{i}", "pkg", kind, "pop", tuple(t)) for i, t in enumerate(tables or [dims])
    )
    return Population("pop", kind, tuple(dims), inner, specs)


def grid(values: dict[tuple[str, ...], int], dims: Sequence[Dimension]) -> Population:
    return population(dims, [(*k, v) for k, v in values.items()])


def status(table: Protected) -> dict[tuple[str, ...], str]:
    names = list(table.spec.dimension_names)
    return {
        tuple(str(r[n]) for n in names): str(r["obs_status"])
        for r in table.cells.to_dict(orient="records")
    }


def suppressed(table: Protected) -> set[tuple[str, ...]]:
    return {k for k, v in status(table).items() if v == "C"}


# -- hand-built cases ------------------------------------------------------------------------


def test_lone_small_cell_gets_the_cheapest_rectangle() -> None:
    # a\b   1   2
    # x     3  20      the 3 is primary; row x and column 1 would give it away.
    # y    30  40      the rectangle through z is cheaper than through y.
    # z    25  35
    pop = grid(
        {
            ("x", "1"): 3,
            ("x", "2"): 20,
            ("y", "1"): 30,
            ("y", "2"): 40,
            ("z", "1"): 25,
            ("z", "2"): 35,
        },
        [A, B],
    )
    (table,), report = protect([pop])
    assert suppressed(table) == {("x", "1"), ("x", "2"), ("z", "1"), ("z", "2")}
    assert report.per_table["t0"]["primary"] == 1
    assert report.per_table["t0"]["secondary"] == 3
    values = dict(zip(table.cells["a"] + table.cells["b"], table.cells["value"], strict=True))
    assert values["x1"] is pd.NA and values["_T_T"] == 153


def test_output_shape() -> None:
    pop = grid({("x", "1"): 3, ("x", "2"): 20, ("y", "1"): 30, ("y", "2"): 40}, [A, B])
    (table,), _ = protect([pop])
    assert list(table.cells.columns) == ["a", "b", "value", "obs_status"]
    assert str(table.cells["value"].dtype) == "Int64"
    assert len(table.cells) == 9  # full crossing with _T
    hidden = table.cells["obs_status"] == "C"
    assert table.cells.loc[hidden, "value"].isna().all()
    assert table.cells.loc[~hidden, "value"].notna().all()


def test_hierarchy_region_province() -> None:
    territory = Dimension("t", hierarchy={"p1": "R1", "p2": "R1", "p3": "R2", "p4": "R2"})
    sex = Dimension("s")
    values = {
        ("p1", "F"): 2, ("p1", "M"): 30, ("p2", "F"): 25, ("p2", "M"): 28,
        ("p3", "F"): 40, ("p3", "M"): 50, ("p4", "F"): 45, ("p4", "M"): 60,
    }  # fmt: skip
    (table,), _ = protect([grid(values, [territory, sex])])
    hidden = suppressed(table)
    assert ("p1", "F") in hidden
    # Regions are national margins: published. The partner is inside region R1.
    assert ("R1", "F") not in hidden and ("R1", TOTAL) not in hidden
    assert hidden == {("p1", "F"), ("p1", "M"), ("p2", "F"), ("p2", "M")}
    assert_safe(table_list=[table], pop=grid(values, [territory, sex]))


def test_two_linked_tables_sharing_a_margin_are_protected_together() -> None:
    # Table 1: a × b, table 2: a × c. They share the a-margin (x, _T), (y, _T), ...
    rows = []
    rng = np.random.default_rng(3)
    for a, b, c in itertools.product("xyz", "12", "uv"):
        rows.append((a, b, c, int(rng.integers(8, 30))))
    rows[0] = ("x", "1", "u", 1)
    rows[1] = ("x", "1", "v", 1)  # (x, 1) = 2 in table 1: primary
    pop = population([A, B, C], rows, tables=[[A, B], [A, C]])
    tables, report = protect([pop])
    t1 = tables[0]
    assert ("x", "1") in suppressed(t1)
    assert report.per_table["t0"]["primary"] == 1
    assert_safe(tables, pop)


def test_one_person_cell_in_a_margin() -> None:
    # Column 2 holds a single person: its margin (_T, 2) = 1 is primary, and so is (x, 2).
    values = {
        ("x", "1"): 20,
        ("x", "2"): 1,
        ("y", "1"): 30,
        ("y", "2"): 0,
        ("z", "1"): 9,
        ("z", "2"): 0,
    }
    (table,), report = protect([grid(values, [A, B])])
    hidden = suppressed(table)
    assert {("x", "2"), (TOTAL, "2")} <= hidden
    # (_T, 2) is a national margin but primary: it stays suppressed.
    assert report.per_population["pop"]["forced_suppressed"] >= 0
    assert_safe([table], grid(values, [A, B]))


def test_zero_row_is_published() -> None:
    values = {
        ("x", "1"): 0,
        ("x", "2"): 0,
        ("y", "1"): 3,
        ("y", "2"): 40,
        ("z", "1"): 25,
        ("z", "2"): 35,
    }
    (table,), _ = protect([grid(values, [A, B])])
    st_ = status(table)
    assert st_[("x", "1")] == st_[("x", "2")] == st_[("x", TOTAL)] == ""
    assert ("y", "1") in suppressed(table)
    assert_safe([table], grid(values, [A, B]))


def test_grand_total_and_national_margins_are_never_suppressed() -> None:
    # Column 2 is all small cells: the cheap way out would be to hide its margin, which is a
    # national margin and must stay published.
    rows = {"w": (40, 4, 0), "x": (4, 2, 30), "y": (3, 1, 25), "z": (20, 1, 12)}
    values = {(a, str(j + 1)): v for a, vs in rows.items() for j, v in enumerate(vs)}
    (table,), report = protect([grid(values, [A, B])])
    hidden = suppressed(table)
    national = {k for k in status(table) if sum(code != TOTAL for code in k) <= 1}
    assert national and not national & hidden
    assert {("w", "2"), ("x", "2"), ("y", "2"), ("z", "2")} <= hidden
    assert report.per_population["pop"]["forced_suppressed"] == 0
    assert_safe([table], grid(values, [A, B]))


def test_forced_margin_gives_way_only_to_protect_a_primary_margin() -> None:
    # z's row margin is 3 (primary); with the total and the other row margins published,
    # one more row margin must be hidden, or z's would be their difference.
    values = {("w", "1"): 40, ("w", "2"): 4, ("x", "1"): 4, ("x", "2"): 25}
    values |= {("y", "1"): 3, ("y", "2"): 26, ("z", "1"): 2, ("z", "2"): 1}
    (table,), report = protect([grid(values, [A, B])])
    hidden = suppressed(table)
    assert ("z", TOTAL) in hidden
    assert report.per_population["pop"]["forced_suppressed"] == 1
    assert any("forced" in w for w in report.warnings)
    assert_safe([table], grid(values, [A, B]))


def test_national_total_of_three_stays_primary() -> None:
    values = {("x", "1"): 1, ("x", "2"): 2, ("y", "1"): 0, ("y", "2"): 0}
    (table,), report = protect([grid(values, [A, B])])
    assert (TOTAL, TOTAL) in suppressed(table)
    assert report.per_table["t0"]["primary"] >= 1


def test_magnitude_contributors_and_p_percent() -> None:
    rows = [
        # a, b, value, contributors, largest, second
        ("x", "1", 100.0, 2, 60.0, 40.0),  # too few contributors
        ("x", "2", 500.0, 10, 480.0, 5.0),  # dominated: rest 15 < 10% of 480
        ("y", "1", 300.0, 10, 50.0, 40.0),
        ("y", "2", 400.0, 12, 60.0, 50.0),
        ("z", "1", 350.0, 9, 70.0, 60.0),
        ("z", "2", 450.0, 11, 80.0, 70.0),
    ]
    pop = population([A, B], rows, kind="magnitude", extra=["contributors", "largest", "second"])
    (table,), report = protect([pop])
    hidden = suppressed(table)
    assert {("x", "1"), ("x", "2")} <= hidden
    assert report.per_table["t0"]["primary"] == 2
    assert table.cells["value"].dtype == np.float64
    # (x, _T) = 600 has 12 contributors and passes the p%-rule (600 - 480 - 60 ≥ 48).
    assert ("x", TOTAL) not in hidden
    assert_safe([table], pop, kind="magnitude")


def test_previous_suppressions_are_kept() -> None:
    values = {
        ("x", "1"): 8,
        ("x", "2"): 20,
        ("y", "1"): 30,
        ("y", "2"): 40,
        ("z", "1"): 25,
        ("z", "2"): 35,
    }
    pop = grid(values, [A, B])
    (first,), _ = protect([pop])
    assert not suppressed(first)
    cells = first.cells.copy()
    hidden = (cells["a"] == "y") & (cells["b"] == "2")
    cells.loc[hidden, "value"] = pd.NA
    cells.loc[hidden, "obs_status"] = "C"
    old = Protected(first.spec, cells)
    (second,), _ = protect([pop], previous=[old])
    assert ("y", "2") in suppressed(second)
    assert len(suppressed(second)) == 4


def test_forced_cell_is_published() -> None:
    values = {
        ("x", "1"): 3,
        ("x", "2"): 20,
        ("y", "1"): 30,
        ("y", "2"): 40,
        ("z", "1"): 25,
        ("z", "2"): 35,
    }
    forced = [("pop", (("a", "z"), ("b", "1")))]
    (table,), _ = protect([grid(values, [A, B])], forced=forced)
    assert ("z", "1") not in suppressed(table)
    assert ("x", "1") in suppressed(table)
    assert_safe([table], grid(values, [A, B]))


def test_singleton_line_gets_a_third_suppression() -> None:
    # Row x: 1 and 2 are primary; the person in the 1 knows it and would compute the 2.
    values = {
        ("x", "1"): 1, ("x", "2"): 2, ("x", "3"): 30, ("x", "4"): 31,
        ("y", "1"): 20, ("y", "2"): 21, ("y", "3"): 22, ("y", "4"): 23,
        ("z", "1"): 24, ("z", "2"): 25, ("z", "3"): 26, ("z", "4"): 27,
    }  # fmt: skip
    (table,), _ = protect([grid(values, [A, B])])
    hidden = suppressed(table)
    row_x = {k for k in hidden if k[0] == "x" and k[1] != TOTAL}
    assert len(row_x) >= 3


def test_non_additive_dimension() -> None:
    action = Dimension("action", additive=False)
    sex = Dimension("sex")
    rows = [
        ("info", "F", 12), ("info", "M", 14), ("training", "F", 2), ("training", "M", 9),
        ("mentoring", "F", 6), ("mentoring", "M", 7),
        (TOTAL, "F", 15), (TOTAL, "M", 20),  # unique persons: fewer than the sum of actions
    ]  # fmt: skip
    pop = population([action, sex], rows)
    (table,), _ = protect([pop])
    values = dict(
        zip(
            zip(table.cells["action"], table.cells["sex"], strict=True),
            table.cells["value"],
            strict=True,
        )
    )
    assert (("training", "F")) in suppressed(table)
    assert values[(TOTAL, "F")] == 15
    assert values[(TOTAL, TOTAL)] == 35
    assert values[("info", TOTAL)] == 26
    assert_safe([table], pop)


def test_missing_total_of_a_non_additive_dimension_is_an_error() -> None:
    from odata.errors import DataError

    action = Dimension("action", additive=False)
    pop = population([action, A], [("info", "x", 3), ("training", "x", 5)])
    with pytest.raises(DataError, match="non-additive"):
        protect([pop])


def test_two_ones_under_a_published_total_of_two_are_widened() -> None:
    # a\b   1   2   3
    # x     1   1  30      x1 and x2 are primaries: with x3 and the row total published, an
    # y    20  25  35      attacker who knows each C is >= 1 pins both at 1 (x1 + x2 = 2).
    values = {
        ("x", "1"): 1, ("x", "2"): 1, ("x", "3"): 30,
        ("y", "1"): 20, ("y", "2"): 25, ("y", "3"): 35,
    }  # fmt: skip
    pop = grid(values, [A, B])
    (table,), _ = protect([pop])
    assert {("x", "1"), ("x", "2")} <= suppressed(table)
    assert ("x", "3") in suppressed(table) or ("x", TOTAL) in suppressed(table)
    assert_safe([table], pop)


def test_a_year_without_total_is_protected_slice_by_slice() -> None:
    year = Dimension("y", additive=False, total=False)
    rows = [
        (y, a, b, v)
        for y, base in (("2023", 0), ("2024", 1))
        for (a, b), v in {
            ("x", "1"): 3 + base, ("x", "2"): 20, ("z", "1"): 25, ("z", "2"): 35,
        }.items()
    ]  # fmt: skip
    totals = [(TOTAL, a, b, v + 5) for (_, a, b, v) in rows[:4]]
    pop = population([year, A, B], [*rows, *totals])
    (table,), _ = protect([pop])
    assert set(table.cells["y"]) == {"2023", "2024"}  # no _T row along the year
    hidden = suppressed(table)
    for y in ("2023", "2024"):
        assert {(y, "x", "1"), (y, "x", "2"), (y, "z", "1"), (y, "z", "2")} <= hidden
    assert (("2023", TOTAL, TOTAL)) not in hidden


def test_deterministic() -> None:
    rng = np.random.default_rng(11)
    values = {k: int(rng.negative_binomial(1, 0.2)) for k in itertools.product("uvwxyz", "1234")}
    pop = grid(values, [A, B])
    first, _ = protect([pop])
    for _ in range(3):
        again, _ = protect([grid(dict(reversed(list(values.items()))), [A, B])])
        assert again[0].cells.equals(first[0].cells)


def test_report_figures() -> None:
    values = {
        ("x", "1"): 3,
        ("x", "2"): 20,
        ("y", "1"): 30,
        ("y", "2"): 40,
        ("z", "1"): 25,
        ("z", "2"): 35,
    }
    _, report = protect([grid(values, [A, B])])
    figures = report.per_table["t0"]
    assert figures["cells"] == 12
    assert figures["share_cells"] == pytest.approx(4 / 12)
    assert figures["share_units_hidden"] == pytest.approx((3 + 20 + 25 + 35) / 153)
    assert figures["share_units_hidden_secondary"] == pytest.approx((20 + 25 + 35) / 153)


# -- an independent check: the attacker's LP over the inner cells -----------------------------


def _ancestors(dim: Dimension, code: str) -> list[str]:
    out = [code]  # the code and every code above it, up to _T
    while (up := dim.parent(out[-1])) is not None:
        out.append(up)
    return out


def assert_safe(
    table_list: Sequence[Protected],
    pop: Population,
    kind: str = "persons",
    threshold: int = 5,
    primaries_only: bool = False,
) -> None:
    """No small count shown; every suppressed cell ≥ 2 wide given the published cells.

    Built from scratch: each published cell is a 0/1 row over the inner rows of ``pop``; an
    additive dimension's code covers its descendants; a non-additive one only itself.
    """
    inner = pop.inner
    membership: dict[tuple[tuple[str, str], ...], tuple[np.ndarray, bool, float]] = {}
    for table in table_list:
        names = list(table.spec.dimension_names)
        for record in table.cells.to_dict(orient="records"):
            key = tuple(sorted((n, str(record[n])) for n in names if record[n] != TOTAL))
            covered = np.ones(len(inner), dtype=bool)
            for dim in pop.dimensions:
                code = str(record[dim.name]) if dim.name in names else TOTAL
                column = inner[dim.name].astype(str)
                if dim.additive:
                    covered &= column.map(lambda c, code=code, dim=dim: code in _ancestors(dim, c))
                else:
                    covered &= column == code
            hidden = record["obs_status"] == "C"
            value = math.nan if hidden else float(record["value"])
            membership[key] = (covered.to_numpy(dtype=float), hidden, value)
    truth = inner["value"].to_numpy(dtype=float)
    published = [k for k in sorted(membership) if not membership[k][1]]
    hidden_keys = [k for k in sorted(membership) if membership[k][1]]
    if kind != "magnitude":
        for k in published:
            assert not 1 <= membership[k][2] < threshold, f"small count shown: {k}"
    if not hidden_keys:
        return
    a_eq = np.array([membership[k][0] for k in published]) if published else None
    b_eq = np.array([membership[k][2] for k in published]) if published else None
    a_ub = b_ub = None
    if kind != "magnitude":  # zeros are never hidden, so the attacker knows each C is ≥ 1
        for k in hidden_keys:
            assert membership[k][0] @ truth >= 1, f"a zero was suppressed: {k}"
        a_ub = -np.array([membership[k][0] for k in hidden_keys])
        b_ub = -np.ones(len(hidden_keys))
    for k in hidden_keys:
        row = membership[k][0]
        if primaries_only and not 1 <= row @ truth < threshold:
            continue
        lp = {"A_eq": a_eq, "b_eq": b_eq, "A_ub": a_ub, "b_ub": b_ub, "bounds": (0, None)}
        low = linprog(row, method="highs", **lp)
        high = linprog(-row, method="highs", **lp)
        assert low.status == 0, k
        top = math.inf if high.status == 3 else -high.fun
        if kind == "magnitude" or math.isinf(top):
            width = top - low.fun
        else:
            width = math.floor(top + 1e-6) - math.ceil(low.fun - 1e-6)
        assert width >= 2 - 1e-6, f"{k}: true {row @ truth}, interval [{low.fun}, {top}]"


# -- property-based ---------------------------------------------------------------------------


@st.composite
def populations(draw: st.DrawFn) -> Population:
    ndim = draw(st.integers(2, 3))
    dims: list[Dimension] = []
    codes: list[list[str]] = []
    for i in range(ndim):
        size = draw(st.integers(2, 3 if ndim == 3 else 4))
        if draw(st.booleans()) and draw(st.booleans()):
            leaves = [f"{i}{j}" for j in range(4)]
            dims.append(
                Dimension(f"d{i}", hierarchy={c: f"G{i}{j // 2}" for j, c in enumerate(leaves)})
            )
        else:
            leaves = [f"{i}{j}" for j in range(size)]
            dims.append(Dimension(f"d{i}"))
        codes.append(leaves)
    combos = list(itertools.product(*codes))
    values = draw(
        st.lists(
            st.one_of(st.integers(0, 4), st.integers(0, 40)),
            min_size=len(combos),
            max_size=len(combos),
        )
    )
    rows = [(*c, v) for c, v in zip(combos, values, strict=True)]
    linked = ndim == 3 and draw(st.booleans())
    tables = [[dims[0], dims[1]], [dims[0], dims[2]]] if linked else [dims]
    return population(dims, rows, tables=tables)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_protected_tables_pass_an_independent_lp_check(pop: Population) -> None:
    tables, report = protect([pop])
    assert not report.warnings or all("narrower" not in w for w in report.warnings)
    assert_safe(tables, pop, primaries_only=True)


def test_audit_release_agrees(tmp_path: Path) -> None:
    """The official audit, reading only the written files, passes a protected release."""
    audit = pytest.importorskip("odata.anonymize.audit")
    rng = np.random.default_rng(2)
    territory = Dimension("t", hierarchy={"p1": "R1", "p2": "R1", "p3": "R2", "p4": "R2"})
    rows = [
        (t, a, b, int(rng.negative_binomial(1, 0.15)))
        for t, a, b in itertools.product(["p1", "p2", "p3", "p4"], "xyz", "12")
    ]
    pop = population([territory, A, B], rows, tables=[[territory, A], [territory, B], [A, B]])
    tables, _ = protect([pop])
    package = tmp_path / "release" / "pkg"
    write_specs(package, "pkg", [t.spec for t in tables])
    (package / "data").mkdir()
    for t in tables:
        t.cells.to_csv(package / "data" / f"{t.spec.name}.csv", index=False)
    result = audit.audit_release(tmp_path / "release", count_floor=1)
    assert result.passed, result.per_table
