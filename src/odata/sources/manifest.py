"""The sources manifest (``sources.toml``): which file is which source, chamber and dialect.

Data stewards declare each file's dialect rather than letting odata sniff it: a sniffer that
guesses wrong (``,`` for ``;``, Latin-1 for UTF-8) reads garbage without a word. Every entry is
checked before any file is opened, and all bad entries are reported together.

Keys a ``[[source]]`` table may omit, and their defaults:

* ``format``: from the file's suffix (``.csv`` or ``.xlsx``);
* ``encoding``: none, i.e. strict UTF-8 (a BOM is allowed), else strict Windows-1252;
* ``delimiter``/``decimal``/``date_format``: ``;``, ``,`` and ``%d/%m/%Y`` for the chambers'
  files (``registro``, ``eventi``, ``budget``); ``,``, ``.`` and ``%Y-%m-%d`` for the
  business-register extracts (``imprese``, ``titolari``), as InfoCamere writes them.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odata.errors import ConfigError, Problem, SourceError, display_path
from odata.reference import read_codes

__all__ = [
    "CHAMBER_KINDS",
    "ENCODINGS",
    "FORMATS",
    "KINDS",
    "SourceSpec",
    "load_manifest",
    "spec_for",
]

KINDS = ("registro", "eventi", "budget", "imprese", "titolari")
CHAMBER_KINDS = ("registro", "eventi")  # one file per chamber: the chamber is required
FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
DELIMITERS = (";", ",", "\t", "|")
DECIMALS = (",", ".")
_KEYS = ("kind", "chamber", "path", "format", "encoding", "delimiter", "decimal", "date_format")
_DATE_PART = re.compile(r"%[dmY]")
_REGISTER_KINDS = ("imprese", "titolari")


@dataclass(frozen=True)
class SourceSpec:
    """One raw file and how to read it; build it with :func:`load_manifest` or :func:`spec_for`.

    ``encoding`` None means "not declared": strict UTF-8 (BOM allowed), then strict cp1252.
    """

    kind: str
    path: Path
    chamber: str | None = None
    format: str = "csv"
    encoding: str | None = None
    delimiter: str = ";"
    decimal: str = ","
    date_format: str = "%d/%m/%Y"

    @property
    def name(self) -> str:
        """The source's key in results: ``registro/torino``, ``budget``, ``imprese``…"""
        return f"{self.kind}/{self.chamber}" if self.chamber else self.kind

    @property
    def label(self) -> str:
        """The file as problems name it (relative to the working directory when inside it)."""
        return display_path(self.path)


def load_manifest(path: Path) -> list[SourceSpec]:
    """Read ``sources.toml`` and check every entry; paths come back absolute.

    Raises:
        SourceError: the manifest itself is missing.
        ConfigError: it is not TOML, or an entry is wrong (unknown kind or chamber, missing
            file, bad dialect, the same source twice); every bad entry is listed in
            ``problems``.
    """
    label = display_path(path)
    raw = _read_toml(path, label)
    entries = raw.pop("source", None)
    problems: list[Problem] = []
    if raw:
        problems.append(_problem(f"unknown table [{sorted(raw)[0]}]", label, None))
    if not isinstance(entries, list) or not entries:
        problems.append(_problem("no [[source]] entry", label, "source"))
        entries = []
    specs: list[SourceSpec] = []
    for index, entry in enumerate(entries, start=1):
        spec, entry_problems = _entry(entry, index, path.resolve().parent, label)
        problems.extend(entry_problems)
        if spec is not None:
            specs.append(spec)
    problems.extend(_duplicates(specs, label))
    if problems:
        raise ConfigError(
            f"the sources manifest has {len(problems)} problem(s)",
            file=label,
            problems=problems,
            hint="each [[source]] needs kind, path and, for registro/eventi, chamber",
        )
    return specs


def spec_for(
    path: Path,
    *,
    kind: str,
    chamber: str | None = None,
    **dialect: str,
) -> SourceSpec:
    """A spec for one file outside any manifest (``odata sources check FILE``).

    ``dialect`` takes the manifest's keys (``format``, ``encoding``, ``delimiter``,
    ``decimal``, ``date_format``); omitted ones get the manifest's defaults.

    Raises:
        ConfigError: a value is not allowed, listed in ``problems``.
        SourceError: the file does not exist.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise SourceError("file not found", file=display_path(path))
    entry: dict[str, Any] = {"kind": kind, "path": str(path), **dialect}
    if chamber is not None:
        entry["chamber"] = chamber
    spec, problems = _entry(entry, None, path.parent, display_path(path))
    if problems or spec is None:
        raise ConfigError("cannot read the file as declared", problems=problems)
    return spec


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except FileNotFoundError:
        raise SourceError(
            "sources manifest not found",
            file=label,
            hint="write one [[source]] table per file (docs/sources.md)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the sources manifest is not valid TOML: {exc}", file=label) from None
    return data


def _problem(reason: str, label: str, column: str | None, hint: str | None = None) -> Problem:
    return Problem(code="bad-manifest", reason=reason, file=label, column=column, hint=hint)


def _entry(
    entry: object, index: int | None, base: Path, label: str
) -> tuple[SourceSpec | None, list[Problem]]:
    """One ``[[source]]`` table as a spec, or the problems that prevent it."""
    where = f"source[{index}]." if index is not None else ""
    if not isinstance(entry, Mapping):
        return None, [_problem("[[source]] must be a table", label, where.rstrip("."))]
    problems = [
        _problem(f"unknown key {key!r}", label, where + str(key), hint=f"keys: {', '.join(_KEYS)}")
        for key in entry
        if key not in _KEYS
    ]
    values = {key: entry.get(key) for key in _KEYS}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            problems.append(_problem(f"{key} must be a string", label, where + key))
    if problems:
        return None, problems
    kind = _check_kind(values["kind"], label, where, problems)
    chamber = _check_chamber(kind, values["chamber"], label, where, problems)
    path = _check_path(values["path"], base, label, where, problems)
    fmt = _check_format(values["format"], values["path"], label, where, problems)
    dialect = _check_dialect(values, kind, fmt, label, where, problems)
    if problems or kind is None or path is None or fmt is None:
        return None, problems
    return SourceSpec(kind=kind, path=path, chamber=chamber, format=fmt, **dialect), []


def _check_kind(value: str | None, label: str, where: str, problems: list[Problem]) -> str | None:
    if value in KINDS:
        return value
    reason = "kind is missing" if value is None else f"unknown kind {value!r}"
    problems.append(
        Problem(
            code="unknown-kind",
            reason=reason,
            file=label,
            column=where + "kind",
            hint=f"kinds: {', '.join(KINDS)}",
        )
    )
    return None


def _check_chamber(
    kind: str | None, value: str | None, label: str, where: str, problems: list[Problem]
) -> str | None:
    if kind not in CHAMBER_KINDS:
        if value is not None and kind is not None:
            problems.append(_problem(f"a {kind} source has no chamber", label, where + "chamber"))
        return None
    known = {row["code"] for row in read_codes("camere_commercio")}
    if value in known:
        return value
    reason = f"a {kind} source needs a chamber" if value is None else f"unknown chamber {value!r}"
    problems.append(
        Problem(
            code="unknown-chamber",
            reason=reason,
            file=label,
            column=where + "chamber",
            hint="use a code of datapackage/riferimenti/data/camere_commercio.csv (e.g. torino)",
        )
    )
    return None


def _check_path(
    value: str | None, base: Path, label: str, where: str, problems: list[Problem]
) -> Path | None:
    if not value:
        problems.append(_problem("path is missing", label, where + "path"))
        return None
    path = (base / value).resolve()
    if not path.is_file():
        problems.append(
            Problem(
                code="missing-file",
                reason=f"file not found: {value}",
                file=label,
                column=where + "path",
                hint="paths are relative to the folder of sources.toml",
            )
        )
        return None
    return path


def _check_format(
    value: str | None, path: str | None, label: str, where: str, problems: list[Problem]
) -> str | None:
    if value is None and path:
        value = Path(path).suffix.lower().lstrip(".")
    if value in FORMATS:
        return value
    if value is None:
        return None  # no path: already reported
    problems.append(
        _problem(f"unknown format {value!r}", label, where + "format", hint="csv or xlsx")
    )
    return None


def _check_dialect(
    values: Mapping[str, str | None],
    kind: str | None,
    fmt: str | None,
    label: str,
    where: str,
    problems: list[Problem],
) -> dict[str, Any]:
    """encoding, delimiter, decimal and date_format, with the kind's defaults."""
    register = kind in _REGISTER_KINDS
    dialect: dict[str, Any] = {
        "encoding": _check_encoding(values["encoding"], fmt, label, where, problems),
        "delimiter": values["delimiter"] or ("," if register else ";"),
        "decimal": values["decimal"] or ("." if register else ","),
        "date_format": values["date_format"] or ("%Y-%m-%d" if register else "%d/%m/%Y"),
    }
    if dialect["delimiter"] not in DELIMITERS:
        problems.append(
            _problem("unknown delimiter", label, where + "delimiter", hint='";", ",", tab or "|"')
        )
    if dialect["decimal"] not in DECIMALS:
        problems.append(_problem('decimal must be "," or "."', label, where + "decimal"))
    elif dialect["decimal"] == dialect["delimiter"]:
        problems.append(
            _problem("decimal and delimiter cannot be the same", label, where + "decimal")
        )
    if not _date_format_ok(dialect["date_format"]):
        problems.append(
            _problem(
                "date_format must use %d, %m and %Y once each",
                label,
                where + "date_format",
                hint='for example "%d/%m/%Y" or "%Y-%m-%d"',
            )
        )
    return dialect


def _check_encoding(
    value: str | None, fmt: str | None, label: str, where: str, problems: list[Problem]
) -> str | None:
    if value is None:
        return None
    if fmt == "xlsx":
        problems.append(_problem("encoding applies to CSV files only", label, where + "encoding"))
        return None
    try:
        name = codecs.lookup(value).name
    except LookupError:
        name = value
    canonical = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}.get(name)
    if canonical is None:
        problems.append(
            _problem(
                f"unsupported encoding {value!r}",
                label,
                where + "encoding",
                hint=f"one of {', '.join(ENCODINGS)}; leave it out to try UTF-8 then cp1252",
            )
        )
    return canonical


def _date_format_ok(fmt: str) -> bool:
    """Only %d, %m and %Y (each once) between literal characters: what the readers parse."""
    parts = _DATE_PART.findall(fmt)
    literal = _DATE_PART.sub("", fmt)
    return sorted(parts) == ["%Y", "%d", "%m"] and "%" not in literal


def _duplicates(specs: list[SourceSpec], label: str) -> list[Problem]:
    """The same source (kind + chamber) or the same file declared twice."""
    problems: list[Problem] = []
    names: set[str] = set()
    paths: set[Path] = set()
    for spec in specs:
        if spec.name in names or spec.path in paths:
            problems.append(
                Problem(
                    code="duplicate-source",
                    reason=f"{spec.name} ({spec.path.name}) is declared twice",
                    file=label,
                    hint="one [[source]] per file, one file per source and chamber",
                )
            )
        names.add(spec.name)
        paths.add(spec.path)
    return problems
