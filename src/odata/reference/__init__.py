"""Code lists: territories, countries, ATECO, chambers, actions, and the internal lists
(municipalities with cadastral codes, foreign "Z" codes) needed to read and generate sources.

The public lists live in ``datapackage/riferimenti/data/``; the internal ones ship inside the
package. Both are read as text, so "NA" stays Napoli (or Namibia) and "063" keeps its zero.
``python -m odata.reference.build`` regenerates them from their registry packages.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from odata.errors import ConfigError

__all__ = ["INTERNAL", "PUBLIC", "read_codes"]

PUBLIC = Path(__file__).resolve().parents[3] / "datapackage" / "riferimenti" / "data"
INTERNAL = Path(__file__).resolve().parent / "data"


@cache
def read_codes(name: str) -> tuple[dict[str, str], ...]:
    """Rows of the code list ``name`` (e.g. "territori", "comuni"), every value a string.

    Raises:
        ConfigError: no public or internal code list has that name.
    """
    for folder in (PUBLIC, INTERNAL):
        path = folder / f"{name}.csv"
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                return tuple(csv.DictReader(handle))
    raise ConfigError(f"no code list named {name!r}", file=str(PUBLIC))
