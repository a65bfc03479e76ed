"""Validate data packages and return located problems (never raise for bad data).

Two engines give the same problems (code, file, row, column, reason): ``"fast"`` (the
default; pyarrow + polars, see :mod:`.fast`) and ``"frictionless"`` (the standard library,
the authority; see :mod:`.engine`). odata adds the conventions of DESIGN.md that the standard
cannot express (see :mod:`.checks`), and the fast engine the rules of statistical tables
(margins, obs_status/value). docs/validation.md lists where the two engines differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from odata.errors import Problem

__all__ = ["ENGINES", "Engine", "validate_package"]

Engine = Literal["fast", "frictionless"]
ENGINES: tuple[Engine, ...] = ("fast", "frictionless")


def validate_package(descriptor: Path, engine: Engine = "fast") -> list[Problem]:
    """Validate the data package described by ``descriptor``; an empty list means valid.

    Raises ValueError for an unknown ``engine``; bad data or a bad descriptor are Problems.
    """
    if engine == "fast":
        from odata.validate.fast import validate_package_fast

        return validate_package_fast(descriptor)
    if engine == "frictionless":
        from odata.validate.engine import validate_package as validate_with_frictionless

        return validate_with_frictionless(descriptor)
    raise ValueError(f"unknown validation engine {engine!r}: use one of {', '.join(ENGINES)}")
