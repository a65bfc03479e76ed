"""Structural problems of a source file: what makes it unreadable as declared (exit 3).

Shared by the CSV and XLSX readers. Header labels the schema does not know are named by their
position, never by their text: a file without its header would otherwise print a row of
personal data as "labels".
"""

from __future__ import annotations

from collections.abc import Sequence

from odata.errors import Problem, SourceError
from odata.ingest.schemas import Schema
from odata.sources.manifest import SourceSpec

__all__ = [
    "check_size",
    "empty_file",
    "fold_label",
    "header_only",
    "header_problems",
    "ragged_problem",
    "show_delimiter",
    "spreadsheet_column",
    "unreadable",
]


def fold_label(label: str) -> str:
    """A header label as compared with the schema: no BOM, no surrounding blanks, any case."""
    return label.replace("\ufeff", "").strip().casefold()


def unreadable(spec: SourceSpec, problems: Sequence[Problem], max_problems: int) -> SourceError:
    """The SourceError for these structural problems (its reason is the first one's)."""
    shown = list(problems[:max_problems])
    reason = shown[0].reason if len(shown) == 1 else f"{len(problems)} problems in the file"
    return SourceError(
        f"cannot read {spec.path.name} as a {spec.kind} source: {reason}",
        file=spec.label,
        problems=shown,
        hint=shown[0].hint if len(shown) == 1 else None,
    )


def check_size(spec: SourceSpec, max_bytes: int) -> None:
    try:
        size = spec.path.stat().st_size
    except OSError:
        problem = Problem(code="missing-file", reason="file not found", file=spec.label)
        raise unreadable(spec, [problem], 1) from None
    if size > max_bytes:
        problem = Problem(
            code="file-too-large",
            reason=f"the file has {size:,} bytes, more than the limit of {max_bytes:,}",
            file=spec.label,
            hint="check that it is the right file; split it or raise the limit",
        )
        raise unreadable(spec, [problem], 1)


def empty_file(spec: SourceSpec) -> SourceError:
    problem = Problem(
        code="empty-file",
        reason="the file is empty",
        file=spec.label,
        hint="export the data again, with the header row (see the blank templates)",
    )
    return unreadable(spec, [problem], 1)


def header_only(spec: SourceSpec, row: int) -> SourceError:
    """The error for a file whose header is followed by no data (or only empty lines)."""
    problem = Problem(
        code="header-only",
        reason="the file has a header but no data rows",
        file=spec.label,
        row=row,
        hint="export the data again: the rows are missing",
    )
    return unreadable(spec, [problem], 1)


def header_problems(
    labels: Sequence[str], schema: Schema, spec: SourceSpec, row: int
) -> list[Problem]:
    """Missing, renamed, extra and duplicated columns of a header.

    Unknown labels are named by position, not by text: a file without its header would
    otherwise print a row of personal data as "labels".
    """
    names = [fold_label(label) for label in labels]
    expected = list(schema.names)
    if not set(names) & set(expected):
        return [
            Problem(
                code="missing-header",
                reason="the first row is not the header: none of the expected column names is"
                " in it",
                file=spec.label,
                row=row,
                hint="the header row must hold: " + ", ".join(expected),
            )
        ]
    problems = _duplicated_labels(names, spec, row)
    missing = [name for name in expected if name not in names]
    for position, name in enumerate(names):
        if name in expected:
            continue
        wanted = expected[position] if position < len(expected) else None
        if wanted in missing:
            missing.remove(wanted)
            problems.append(_renamed(position, wanted, spec, row))
        else:
            problems.append(_extra(position, spec, row))
    problems.extend(
        Problem(
            code="missing-column",
            reason=f'the column "{name}" is missing',
            file=spec.label,
            row=row,
            column=name,
            hint="add the column with this exact name (see the blank templates)",
        )
        for name in missing
    )
    return problems


def _duplicated_labels(names: list[str], spec: SourceSpec, row: int) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for name in names:
        if name and name in seen:
            problems.append(
                Problem(
                    code="duplicate-column",
                    reason=f'the column "{name}" appears twice in the header',
                    file=spec.label,
                    row=row,
                    column=name,
                )
            )
        seen.add(name)
    return problems


def _renamed(position: int, wanted: str, spec: SourceSpec, row: int) -> Problem:
    return Problem(
        code="renamed-column",
        reason=f"column {spreadsheet_column(position)} of the header has another name where"
        f' "{wanted}" is expected',
        file=spec.label,
        row=row,
        column=wanted,
        hint=f'rename the header cell to "{wanted}"',
    )


def _extra(position: int, spec: SourceSpec, row: int) -> Problem:
    return Problem(
        code="extra-column",
        reason=f"column {spreadsheet_column(position)} of the header is not a column of a"
        f" {spec.kind} source",
        file=spec.label,
        row=row,
        hint="remove the column (or rename it if a column name is misspelt)",
    )


def spreadsheet_column(position: int) -> str:
    """0 → "A", 26 → "AA": how a steward finds a column in a spreadsheet."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def ragged_problem(spec: SourceSpec, row: int, width: int) -> Problem:
    return Problem(
        code="wrong-cell-count",
        reason=f"the row does not have {width} cells like the header",
        file=spec.label,
        row=row,
        hint=f"a cell may contain {show_delimiter(spec.delimiter)} without quotes,"
        " or a cell is missing",
    )


def show_delimiter(delimiter: str) -> str:
    """A delimiter as a message shows it (a tab is invisible)."""
    return '"\\t"' if delimiter == "\t" else f'"{delimiter}"'
