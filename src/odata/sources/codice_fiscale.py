"""The Italian codice fiscale: build one from its parts, and check one's structure.

Used to generate syntactically valid synthetic codes and to reject malformed ones at ingest.
A valid code says nothing about a real person; codes are personal data and never logged.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

__all__ = ["born_abroad", "build", "check_character", "is_valid"]

MONTHS = "ABCDEHLMPRST"
OMOCODE = "LMNPQRSTUV"  # digits 0-9 replaced by these letters when codes collide
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ODD_BY_LETTER = [
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
]  # the official 'odd position' values; digit n counts as letter n
_ODD = {
    **dict(zip(_LETTERS, _ODD_BY_LETTER, strict=True)),
    **{str(n): _ODD_BY_LETTER[n] for n in range(10)},
}
_EVEN = {c: (int(c) if c.isdigit() else ord(c) - ord("A")) for c in "0123456789" + _LETTERS}
_SHAPE = re.compile(
    r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}"
    r"[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
)


def check_character(first15: str) -> str:
    """The 16th character for the first 15 (positions 1, 3, … use the 'odd' table)."""
    total = sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(first15.upper()))
    return chr(ord("A") + total % 26)


def is_valid(code: str) -> bool:
    """Whether ``code`` has the right shape, a real birth date and the right check character."""
    code = code.strip().upper()
    if not _SHAPE.fullmatch(code) or check_character(code[:15]) != code[15]:
        return False
    digits = "".join(str(OMOCODE.index(c)) if c in OMOCODE else c for c in code[6:15])
    year, month, day = int(digits[0:2]), MONTHS.index(code[8]) + 1, int(digits[3:5]) % 40
    try:  # the century is unknown: 29 February must exist in one of the two candidates
        dt.date(2000 + year, month, day)
    except ValueError:
        try:
            dt.date(1900 + year, month, day)
        except ValueError:
            return False
    return True


def born_abroad(code: str) -> bool:
    """Whether the place-of-birth code is a foreign state's ("Z" + 3 digits)."""
    return code.strip().upper()[11] == "Z"


def build(surname: str, name: str, sex: str, birth: dt.date, place: str) -> str:
    """A codice fiscale for these parts; ``place`` is a cadastral (Belfiore) or "Z" code."""
    day = birth.day + (40 if sex.upper() == "F" else 0)
    first15 = (
        f"{_surname_part(surname)}{_name_part(name)}{birth.year % 100:02d}"
        f"{MONTHS[birth.month - 1]}{day:02d}{place.upper()}"
    )
    return first15 + check_character(first15)


def _letters(text: str) -> tuple[str, str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    letters = [c for c in plain if c.isalpha()]
    consonants = "".join(c for c in letters if c not in "AEIOU")
    vowels = "".join(c for c in letters if c in "AEIOU")
    return consonants, vowels


def _surname_part(surname: str) -> str:
    consonants, vowels = _letters(surname)
    return (consonants + vowels + "XXX")[:3]


def _name_part(name: str) -> str:
    consonants, vowels = _letters(name)
    if len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return (consonants + vowels + "XXX")[:3]
