"""The sources manifest: every bad entry is reported at once, with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from odata.errors import ConfigError, ExitCode, SourceError
from odata.sources.manifest import SourceSpec, load_manifest, spec_for

CORPUS = Path(__file__).resolve().parents[1] / "data" / "sources"


def manifest(tmp_path: Path, text: str) -> Path:
    for name in ("torino.csv", "roma.xlsx", "imprese.csv"):
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_manifest_gives_absolute_paths_and_dialect_defaults(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        """
[[source]]
kind = "registro"
chamber = "torino"
path = "torino.csv"
encoding = "windows-1252"

[[source]]
kind = "registro"
chamber = "roma"
path = "roma.xlsx"

[[source]]
kind = "imprese"
path = "imprese.csv"
""",
    )
    torino, roma, imprese = load_manifest(path)
    assert torino == SourceSpec(
        kind="registro",
        path=(tmp_path / "torino.csv").resolve(),
        chamber="torino",
        format="csv",
        encoding="cp1252",
        delimiter=";",
        decimal=",",
        date_format="%d/%m/%Y",
    )
    assert torino.name == "registro/torino"
    assert (roma.format, roma.encoding) == ("xlsx", None)
    assert (imprese.name, imprese.delimiter, imprese.decimal) == ("imprese", ",", ".")
    assert imprese.date_format == "%Y-%m-%d"


def test_every_bad_entry_is_reported(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        """
[[source]]
kind = "registri"
path = "torino.csv"

[[source]]
kind = "registro"
chamber = "atlantide"
path = "missing.csv"

[[source]]
kind = "eventi"
chamber = "torino"
path = "torino.csv"
encoding = "latin-1"
delimiter = ","
decimal = ","
date_format = "%d/%m/%y"
colour = "blue"

[[source]]
kind = "budget"
chamber = "torino"
path = "imprese.csv"
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_manifest(path)
    assert caught.value.exit_code == ExitCode.CONFIG
    assert [(p.column, p.code) for p in caught.value.problems] == [
        ("source[1].kind", "unknown-kind"),
        ("source[2].chamber", "unknown-chamber"),
        ("source[2].path", "missing-file"),
        ("source[3].colour", "bad-manifest"),
        ("source[4].chamber", "bad-manifest"),
    ]
    assert all(
        p.file == path.name or p.file.endswith("sources.toml") for p in caught.value.problems
    )


def test_dialect_values_are_checked(tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        """
[[source]]
kind = "eventi"
chamber = "torino"
path = "torino.csv"
encoding = "latin-1"
delimiter = ","
decimal = ","
date_format = "%d/%m/%y"
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_manifest(path)
    assert [p.column for p in caught.value.problems] == [
        "source[1].encoding",
        "source[1].decimal",
        "source[1].date_format",
    ]


def test_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    entry = '[[source]]\nkind = "imprese"\npath = "imprese.csv"\n\n'
    with pytest.raises(ConfigError) as caught:
        load_manifest(manifest(tmp_path, entry * 2))
    assert [p.code for p in caught.value.problems] == ["duplicate-source"]


def test_a_missing_or_broken_manifest(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        load_manifest(tmp_path / "sources.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_manifest(manifest(tmp_path, "[[source]\n"))
    with pytest.raises(ConfigError) as caught:
        load_manifest(manifest(tmp_path, ""))
    assert [p.column for p in caught.value.problems] == ["source"]


def test_spec_for_one_file() -> None:
    source = spec_for(CORPUS / "registro-ok.xlsx", kind="registro", chamber="torino")
    assert (source.format, source.name) == ("xlsx", "registro/torino")
    with pytest.raises(ConfigError):
        spec_for(CORPUS / "registro-ok.csv", kind="registro")  # a register needs its chamber
    with pytest.raises(SourceError):
        spec_for(CORPUS / "nothing.csv", kind="budget")
