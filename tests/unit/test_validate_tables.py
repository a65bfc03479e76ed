"""The fast engine's odata-only checks on statistical tables: margins and obs_status/value."""

from __future__ import annotations

import json
from pathlib import Path

from odata.validate import validate_package

TERRITORY = {"01": "_T", "02": "_T", "001": "01", "002": "01", "003": "02"}
# year × territory (region → province) × ownership, with every margin
CELLS = {
    ("001", "m"): 3, ("001", "n"): 7, ("002", "m"): 5, ("002", "n"): 5, ("003", "m"): 1,
    ("003", "n"): 9,
}  # fmt: skip


def table_rows() -> list[list[str]]:
    values: dict[tuple[str, str], int] = {}
    for (province, owner), value in CELLS.items():
        for territory in (province, TERRITORY[province], "_T"):
            for who in (owner, "_T"):
                values[territory, who] = values.get((territory, who), 0) + value
    return [["2024", t, o, str(v), ""] for (t, o), v in sorted(values.items())]


def write(folder: Path, rows: list[list[str]], *, additive: bool = True) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    lines = ["anno,territorio,titolarita,value,obs_status"] + [",".join(r) for r in rows]
    (folder / "data" / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = {
        "name": "t",
        "package": "p",
        "kind": "firms",
        "population": "imprese",
        "dimensions": [
            {"name": "anno", "additive": False, "hierarchy": {}, "total": False},
            {"name": "territorio", "additive": True, "hierarchy": TERRITORY, "total": True},
            {"name": "titolarita", "additive": additive, "hierarchy": {}, "total": True},
        ],
    }
    descriptor = {
        "name": "p",
        "resources": [
            {"name": "t", "path": "data/t.csv", "format": "csv", "x-odata": spec},
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def locations(descriptor: Path) -> set[tuple[int | None, str | None, str]]:
    return {(p.row, p.column, p.code) for p in validate_package(descriptor)}


def row_of(rows: list[list[str]], territory: str, owner: str) -> int:
    return next(i for i, r in enumerate(rows) if r[1:3] == [territory, owner]) + 2


def test_a_table_whose_margins_add_up_is_valid(tmp_path: Path) -> None:
    assert locations(write(tmp_path, table_rows())) == set()


def test_a_wrong_total_is_a_margin_mismatch_at_the_total_row(tmp_path: Path) -> None:
    rows = table_rows()
    row = row_of(rows, "01", "m")
    rows[row - 2][3] = str(int(rows[row - 2][3]) + 1)
    found = locations(write(tmp_path, rows))
    # region 01 ≠ its provinces; and _T (territory) ≠ the regions; 01 ≠ its owners' parts
    assert (row, "value", "margin-mismatch") in found
    assert (row_of(rows, "_T", "m"), "value", "margin-mismatch") in found
    assert {code for _, _, code in found} == {"margin-mismatch"}


def test_a_confidential_part_suspends_the_margin_check(tmp_path: Path) -> None:
    rows = table_rows()
    k = row_of(rows, "001", "m") - 2
    rows[k][3:5] = ["", "C"]
    assert locations(write(tmp_path, rows)) == set()


def test_status_and_value_must_agree(tmp_path: Path) -> None:
    rows = table_rows()
    a, b, c = (row_of(rows, t, o) for t, o in (("001", "m"), ("002", "n"), ("003", "m")))
    rows[a - 2][4] = "C"  # a value in a confidential cell
    rows[b - 2][3] = ""  # a shown cell without a number
    rows[c - 2][4] = "X"  # an unknown status
    found = locations(write(tmp_path, rows))
    assert {(a, "value", "status-value"), (b, "value", "status-value")} <= found
    assert (c, "obs_status", "status-value") in found


def test_a_non_additive_total_may_be_below_the_sum_but_not_below_a_part(tmp_path: Path) -> None:
    rows = table_rows()
    k = row_of(rows, "001", "_T") - 2
    rows[k][3] = "8"  # parts 3 and 7: below their sum (fine), not below the part 7
    found = locations(write(tmp_path, rows, additive=False))
    assert (k + 2, "value", "margin-mismatch") not in found
    rows[k][3] = "6"
    found = locations(write(tmp_path, rows, additive=False))
    assert (k + 2, "value", "margin-mismatch") in found
