"""Validate data packages and return located problems (never raise for bad data).

Frictionless is the authority on the standard (types, constraints, keys, hashes); odata adds
the conventions of DESIGN.md that the standard cannot express (see :mod:`.checks`).
"""

from __future__ import annotations

from odata.validate.engine import validate_package

__all__ = ["validate_package"]
