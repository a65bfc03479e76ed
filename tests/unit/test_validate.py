"""Validation reports broken code lists with file, row and column (never with values)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from odata.validate import validate_package

from ..conftest import RIFERIMENTI


def locations(problems: list) -> list[tuple[str, int | None, str | None, str]]:
    return [(Path(p.file).name, p.row, p.column, p.code) for p in problems]


def edit_line(
    csv: Path, starts_with: str, new_line: str | None = None, *, append: bool = False
) -> int:
    """Replace (or duplicate) the first line starting with ``starts_with``; return its row."""
    lines = csv.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(starts_with))
    if append:
        lines.append(lines[index])
        row = len(lines)
    else:
        lines[index] = new_line if new_line is not None else lines[index]
        row = index + 1
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return row


def test_riferimenti_is_valid() -> None:
    assert validate_package(RIFERIMENTI / "datapackage.yaml") == []


def test_duplicate_key_is_reported_at_the_second_row(riferimenti_copy: Path) -> None:
    csv = riferimenti_copy / "data" / "territori.csv"
    row = edit_line(csv, "063,", append=True)
    problems = validate_package(riferimenti_copy / "datapackage.yaml")
    assert ("territori.csv", row, "code", "primary-key") in locations(problems)


def test_leading_zero_lost_in_a_province_code_is_reported(riferimenti_copy: Path) -> None:
    csv = riferimenti_copy / "data" / "territori.csv"
    line = next(x for x in csv.read_text().splitlines() if x.startswith("063,"))
    row = edit_line(csv, "063,", "63," + line.split(",", 1)[1])
    problems = validate_package(riferimenti_copy / "datapackage.yaml")
    assert ("territori.csv", row, "code", "constraint-error") in locations(problems)


def test_leading_zero_lost_in_a_foreign_key_is_reported(riferimenti_copy: Path) -> None:
    csv = riferimenti_copy / "data" / "camere_province.csv"
    row = edit_line(csv, "napoli,063", "napoli,63")
    found = locations(validate_package(riferimenti_copy / "datapackage.yaml"))
    assert ("camere_province.csv", row, "province", "constraint-error") in found
    assert ("camere_province.csv", row, "province", "foreign-key") in found


def test_na_erased_by_a_careless_export_is_reported(riferimenti_copy: Path) -> None:
    """A tool that reads "NA" (Namibia) as missing writes an empty code back."""
    csv = riferimenti_copy / "data" / "paesi.csv"
    line = next(x for x in csv.read_text().splitlines() if x.startswith("NA,"))
    row = edit_line(csv, "NA,", line[2:])
    found = locations(validate_package(riferimenti_copy / "datapackage.yaml"))
    assert ("paesi.csv", row, "code", "constraint-error") in found


def test_declaring_na_as_missing_is_refused(riferimenti_copy: Path) -> None:
    descriptor = riferimenti_copy / "datapackage.yaml"
    text = descriptor.read_text(encoding="utf-8")
    descriptor.write_text(
        text.replace('missingValues: [""]', 'missingValues: ["", "NA"]'), encoding="utf-8"
    )
    problems = validate_package(descriptor)
    found = locations(problems)
    assert ("datapackage.yaml", None, "paesi.schema.missingValues", "missing-values") in found
    namibia = next(
        i
        for i, x in enumerate((riferimenti_copy / "data/paesi.csv").read_text().splitlines(), 1)
        if x.startswith("NA,")
    )
    assert ("paesi.csv", namibia, "code", "constraint-error") in found


def test_problems_never_carry_cell_values(riferimenti_copy: Path) -> None:
    csv = riferimenti_copy / "data" / "azioni.csv"
    edit_line(csv, "mentoring,", "mentoring,SECRETVALUE,Mentoring,Mentoring,x,y")
    problems = validate_package(riferimenti_copy / "datapackage.yaml")
    assert [(Path(p.file).name, p.column, p.code) for p in problems] == [
        ("azioni.csv", "position", "type-error")
    ]
    assert all("SECRETVALUE" not in str(p) for p in problems)


def test_a_missing_file_is_a_located_problem(riferimenti_copy: Path) -> None:
    (riferimenti_copy / "data" / "aree.csv").unlink()
    problems = validate_package(riferimenti_copy / "datapackage.yaml")
    assert any(Path(p.file).name == "aree.csv" and p.code == "scheme-error" for p in problems)


@pytest.mark.parametrize("target", ["datapackage/riferimenti", "riferimenti"])
def test_package_is_found_by_folder_or_name(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from odata.descriptors import locate_package

    monkeypatch.chdir(RIFERIMENTI.parents[1])
    assert locate_package(target, Path("datapackage")) == Path(
        os.path.join("datapackage", "riferimenti", "datapackage.yaml")
    )
