"""Docs stay honest: every command is documented, every problem code explained."""

from __future__ import annotations

import re
from pathlib import Path

from odata import errors
from odata.cli import cli

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_command_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"## `odata {name}`" in text, name
        for sub in getattr(command, "commands", {}):
            assert f"## `odata {name} {sub}`" in text, sub


def test_every_odata_problem_code_and_exit_code_is_in_troubleshooting() -> None:
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type)
        and issubclass(cls, errors.OdataError)
        and cls is not errors.OdataError
    }
    src = Path(errors.__file__).parent
    for path in src.rglob("*.py"):
        codes |= set(re.findall(r'code="([a-z-]+)"', path.read_text(encoding="utf-8")))
    missing = sorted(code for code in codes if f"`{code}`" not in text)
    assert not missing, missing
    for exit_code in errors.ExitCode:
        assert f"| {int(exit_code)} |" in text, exit_code
