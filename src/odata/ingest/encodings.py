"""Which codec reads a CSV file, decided strictly and never guessed silently.

When none is declared: strict UTF-8 (a BOM is allowed), then strict Windows-1252. A file that
is neither, or mixes the two, is refused with the row of the first bad byte. Latin-1 is never
a fallback: it decodes any byte, so it hides every mistake. The full scan of the bytes runs
only when needed: pyarrow validates UTF-8 itself while parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from odata.errors import Problem, SourceError
from odata.ingest.structure import unreadable
from odata.sources.manifest import SourceSpec

__all__ = ["Scan", "choose_encoding", "encoding_verdict", "scan"]

_SCAN_CHUNK = 4 * 1024**2
# a valid multi-byte UTF-8 character: its presence means the file was (partly) written as UTF-8
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


@dataclass(frozen=True)
class Scan:
    """What one pass over the bytes found (rows are physical, header = 1)."""

    utf8_error_row: int | None
    utf8_multibyte: bool
    cp1252_error_row: int | None


def choose_encoding(spec: SourceSpec, head: bytes) -> str:
    """The codec to parse with. UTF-8 is only tentative: pyarrow validates the whole file
    while parsing, and the full scan runs only when that fails."""
    if spec.encoding == "cp1252":
        return encoding_verdict(spec, scan(spec.path))
    line = head.split(b"\n", 1)[0]
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return encoding_verdict(spec, scan(spec.path))
    return "utf-8"


def encoding_verdict(spec: SourceSpec, scan: Scan) -> str:
    """The codec for a file whose bytes were scanned, or the SourceError saying why none."""
    declared = spec.encoding
    if declared == "cp1252":
        if scan.cp1252_error_row is not None:
            raise _encoding_error(spec, scan.cp1252_error_row, "Windows-1252", code="bad-encoding")
        if scan.utf8_error_row is None and scan.utf8_multibyte:
            raise _encoding_error(spec, None, "Windows-1252", code="wrong-encoding")
        return "cp1252"
    if scan.utf8_error_row is None:
        return "utf-8"
    if scan.utf8_multibyte:
        raise _encoding_error(spec, scan.utf8_error_row, "UTF-8", code="mixed-encoding")
    if declared is None and scan.cp1252_error_row is None:
        return "cp1252"
    raise _encoding_error(spec, scan.utf8_error_row, declared or "UTF-8", code="bad-encoding")


def _encoding_error(spec: SourceSpec, row: int | None, expected: str, *, code: str) -> SourceError:
    if code == "mixed-encoding":
        reason = (
            "the file mixes encodings: it is UTF-8, but this row has characters saved as"
            " Windows-1252"
        )
        hint = "re-type the accented letters of this row, or export the whole file again as UTF-8"
    elif code == "wrong-encoding":
        reason = "the file is declared Windows-1252 but is UTF-8: accented letters would be garbled"
        hint = 'set encoding = "utf-8" for this file in sources.toml'
    elif spec.encoding is None:
        reason = "the file is neither UTF-8 nor Windows-1252 from this row on"
        hint = "export it again as CSV UTF-8"
    else:
        reason = f"this row is not valid {expected}, the encoding declared for the file"
        hint = (
            'it reads as Windows-1252: set encoding = "cp1252" in sources.toml'
            if expected != "Windows-1252"
            else "check the declared encoding, or export the file again as CSV UTF-8"
        )
    problem = Problem(code=code, reason=reason, file=spec.label, row=row, hint=hint)
    return unreadable(spec, [problem], 1)


def scan(path: Path) -> Scan:
    """One streaming pass: the first invalid UTF-8 byte, whether valid multi-byte UTF-8
    characters occur, and the first byte Windows-1252 does not define."""
    utf8_row: int | None = None
    cp1252_row: int | None = None
    multibyte = False
    lines = 0  # newlines before ``data``
    carry = b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_SCAN_CHUNK)
            data, carry = carry + chunk, b""
            if utf8_row is None:
                bad, carry = _utf8_error(data, last=not chunk)
                if bad is not None:
                    utf8_row = lines + data.count(b"\n", 0, bad) + 1
                data = data[: len(data) - len(carry)]
            multibyte = multibyte or _UTF8_MULTIBYTE.search(data) is not None
            undefined = _CP1252_UNDEFINED.search(data) if cp1252_row is None else None
            if undefined is not None:
                cp1252_row = lines + data.count(b"\n", 0, undefined.start()) + 1
            lines += data.count(b"\n")
            if not chunk:
                break
    return Scan(utf8_row, multibyte, cp1252_row)


def _utf8_error(data: bytes, *, last: bool) -> tuple[int | None, bytes]:
    """The offset of the first invalid UTF-8 byte in ``data`` (None if valid), and the bytes
    of a character cut by the chunk boundary, to carry into the next chunk."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not last and exc.reason == "unexpected end of data":
            return None, data[exc.start :]
        return exc.start, b""
    return None, b""
