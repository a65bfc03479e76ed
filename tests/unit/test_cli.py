"""The command line as a data steward meets it: exit codes and first error lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPO


def odata(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odata", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_help_lists_only_working_commands() -> None:
    result = odata("--help")
    assert result.returncode == 0
    listing = result.stdout.split("Commands:")[1].strip().splitlines()
    assert [line.split()[0] for line in listing] == [
        "audit",
        "briefs",
        "build",
        "config",
        "portal",
        "publish",
        "pull",
        "report",
        "sources",
        "validate",
        "withdraw",
    ]


def test_every_command_has_help_with_an_example() -> None:
    from odata.cli import cli

    commands = dict(cli.commands)
    for group in [c for c in commands.values() if hasattr(c, "commands")]:
        commands.update({f"{group.name} {n}": c for n, c in group.commands.items()})
    for name, command in commands.items():
        assert command.help and "Example:" in command.help, name


def test_validate_riferimenti_exits_zero() -> None:
    result = odata("validate", "datapackage/riferimenti")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_validate_json_is_machine_readable() -> None:
    result = odata("validate", "riferimenti", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == [
        {"package": "datapackage/riferimenti/datapackage.yaml", "valid": True, "problems": []}
    ]


def test_invalid_data_exits_4_with_a_problem_table(riferimenti_copy: Path) -> None:
    csv = riferimenti_copy / "data" / "azioni.csv"
    csv.write_text(csv.read_text().replace(",1,Informazione", ",one,Informazione"))
    result = odata("validate", str(riferimenti_copy))
    assert result.returncode == 4
    assert "azioni.csv" in result.stderr and "type-error" in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-2]
        .startswith("Error: validation failed: 1 problem in 1 of 1 package")
    )
    assert "Traceback" not in result.stderr


def test_missing_package_exits_3_without_traceback(tmp_path: Path) -> None:
    result = odata("validate", str(tmp_path / "nowhere"))
    assert result.returncode == 3
    assert result.stderr.startswith("Error: ")
    assert "no data package descriptor found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_exits_3_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "odata.toml"
    bad.write_text("[portal]\nurll = 1\n")
    result = odata("--config", str(bad), "config")
    assert result.returncode == 3
    assert result.stderr.startswith("Error: ") and "portal.urll" in result.stderr
    assert "Traceback" not in result.stderr
    debug = odata("--debug", "--config", str(bad), "config")
    assert debug.returncode == 3 and "Traceback" in debug.stderr


def test_usage_error_exits_2() -> None:
    assert odata("no-such-command").returncode == 2


def test_config_never_prints_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODATA_CKAN_TOKEN", "very-secret-token-value")
    result = odata("config")
    assert result.returncode == 0
    assert "very-secret-token-value" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["secrets"]["ODATA_CKAN_TOKEN"] == "set"


def test_an_unexpected_error_is_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import odata.cli as cli_module

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom with private detail")

    monkeypatch.setattr(cli_module, "load_settings", explode)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["config"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "unexpected error (please report): RuntimeError" in err
    assert "private detail" not in err and "Traceback" not in err


def test_generated_sources_pass_every_check_and_regenerate_identically(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        result = odata("sources", "generate", "--seed", "3", "--scale", "0.2", "--out", str(folder))
        assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) > 30
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    check = odata("sources", "check", "--manifest", str(first / "sources.toml"))
    assert check.returncode == 0, check.stderr
    assert "problem" not in check.stdout


def test_sources_check_names_file_row_column_and_exits_4() -> None:
    result = odata(
        "sources",
        "check",
        "tests/data/sources/bad-date.csv",
        "--kind",
        "registro",
        "--chamber",
        "torino",
    )
    assert result.returncode == 4
    assert "tests/data/sources/bad-date.csv:3:data_azione: [bad-date]" in result.stderr
