"""Problems (data) and errors (control flow), with the exit codes of DESIGN.md.

A :class:`Problem` says where something is wrong (file, row, column) and why, in words a data
steward can act on. It never carries a cell value: values may be personal data. An
:class:`OdataError` stops a command; the CLI turns it into a message and its ``exit_code``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

__all__ = [
    "ConfigError",
    "DataError",
    "DisclosureError",
    "ExitCode",
    "OdataError",
    "PortalError",
    "Problem",
    "PublishError",
    "SourceError",
    "UsageError",
    "ValidationFailed",
    "display_path",
]


class ExitCode(IntEnum):
    """Process exit codes, so CI and cron can tell a bug from bad data from a portal outage."""

    OK = 0
    FAILURE = 1  # unexpected error: a bug
    USAGE = 2  # click's own code for bad arguments
    CONFIG = 3  # bad configuration, or an input that cannot be read at all
    DATA = 4  # readable data failed its checks (ingest, validation, disclosure audit)
    PUBLISH = 5  # the portal refused or failed
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One located problem, like a frictionless error minus the cell value.

    ``row`` is the physical row: the header is row 1, the first data row is row 2.
    """

    code: str
    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    @property
    def location(self) -> str:
        """``file:row:column`` with the parts that are known."""
        parts = [str(p) for p in (self.file, self.row, self.column) if p is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}[{self.code}] {self.reason}"

    def as_dict(self) -> dict[str, str | int | None]:
        """A JSON-ready mapping (for ``--json`` output)."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "reason": self.reason,
            "hint": self.hint,
        }


def display_path(path: str | Path) -> str:
    """``path`` as a problem shows it: relative to the working directory when inside it."""
    relative = os.path.relpath(Path(path).resolve(), Path.cwd())
    return str(path) if relative.startswith("..") else relative


class OdataError(Exception):
    """Root of every foreseeable failure; the CLI shows it without a traceback."""

    exit_code: ExitCode = ExitCode.FAILURE
    code: str = "error"

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.row = row
        self.column = column
        self.hint = hint
        self.problems = tuple(problems)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.row, self.column) if p is not None)
        return f"{where}: {self.reason}" if where else self.reason


class UsageError(OdataError):
    """Raised when an option's value is readable but makes no sense (a past embargo)."""

    exit_code = ExitCode.USAGE
    code = "bad-usage"


class ConfigError(OdataError):
    """Raised when odata.toml, an environment variable or a descriptor is missing or invalid."""

    exit_code = ExitCode.CONFIG
    code = "bad-config"


class SourceError(OdataError):
    """Raised when an input file is missing or cannot be read as its declared format."""

    exit_code = ExitCode.CONFIG
    code = "unreadable-source"


class DataError(OdataError):
    """Raised when readable input holds bad values (dates, codes, duplicates)."""

    exit_code = ExitCode.DATA
    code = "bad-data"


class ValidationFailed(DataError):
    """Raised by the CLI when validation returned problems; they are in ``problems``."""

    code = "validation-failed"


class DisclosureError(DataError):
    """Raised when the disclosure audit finds an unsafe cell, or the PII scan finds a hit."""

    code = "disclosure"


class PortalError(OdataError):
    """Raised when the local portal cannot be installed, started, reached or stopped."""

    exit_code = ExitCode.PUBLISH
    code = "portal-failed"


class PublishError(OdataError):
    """Raised when the portal refuses a request or cannot be reached in time."""

    exit_code = ExitCode.PUBLISH
    code = "publish-failed"
