"""Pseudonyms: link one person across registers without keeping who the person is.

A pseudonym is the HMAC-SHA256 of the normalized codice fiscale under a secret 32-byte key
(``ODATA_PSEUDONYM_KEY``, or the owner-only file ``<state>/secrets/pseudonym-key``). A plain
hash would be reversible: the structure of a codice fiscale leaves about 1e11 candidates, which
a GPU hashes in minutes; without the key nobody can recompute or test a pseudonym.

**Pseudonyms are internal.** They exist only in memory while ``odata build`` counts unique
persons per action and across chambers; they are never written to a release, a report, a
brief, a log or an error message, and no command prints them. Rotating the key changes every
pseudonym: see ``docs/privacy-operations.md`` for what that does to counts across releases.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from odata.config import SECRETS, Settings
from odata.errors import ConfigError
from odata.sources.codice_fiscale import OMOCODE, check_character

__all__ = ["KEY_BYTES", "KEY_VARIABLE", "key_path", "load_key", "normalize_code", "pseudonymize"]

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_VARIABLE = "ODATA_PSEUDONYM_KEY"
#: Positions (0-based) of the digits of a codice fiscale: year, day, place-code number.
_DIGIT_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_TO_DIGIT = str.maketrans(OMOCODE, "0123456789")
_SPACES = re.compile(r"\s+")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_FORMAT_HINT = (
    "give 64 hexadecimal digits or the base64 of exactly 32 random bytes, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_hex(32))'"
)


def key_path(settings: Settings) -> Path:
    """The owner-only file that holds the key when the environment variable is not set."""
    return settings.path("state") / "secrets" / SECRETS[KEY_VARIABLE]


def load_key(settings: Settings, *, create: bool = False) -> bytes:
    """The 32-byte pseudonym key.

    From ``settings.pseudonym_key`` (the environment variable, else the key file as
    :func:`odata.config.load_settings` read it), else from :func:`key_path`. With ``create``
    (the demo only) and no key anywhere, a throwaway key of 32 random bytes is written
    hex-encoded to :func:`key_path` with mode 0600, atomically and never over an existing file,
    and a warning says so. The key itself is never logged or shown.

    Raises:
        ConfigError: the key is not 64 hex digits or base64 of exactly 32 bytes (the message
            names the variable or file, never the value), the key file is readable by other
            users, or there is no key and ``create`` is False.
    """
    path = key_path(settings)
    if settings.pseudonym_key is not None:
        text = settings.pseudonym_key.reveal()
        from_file = (  # only to name the file in an error: the variable may be set too
            path.is_file()
            and not path.stat().st_mode & 0o077
            and path.read_text(encoding="utf-8").strip() == text.strip()
        )
        return _decode_key(text, file=str(path) if from_file else None)
    if path.is_file():
        return _decode_key(_read_owner_only(path), file=str(path))
    if not create:
        raise ConfigError(
            f"no pseudonym key: {KEY_VARIABLE} is not set and {path} does not exist",
            column=KEY_VARIABLE,
            hint=f"set {KEY_VARIABLE}, or write the key to {path} with mode 0600; {_FORMAT_HINT}",
        )
    return _create_key(path)


def normalize_code(code: str) -> str:
    """A codice fiscale in the form every copy of it shares.

    Spaces removed, upper case, and the omocodic letters (``LMNPQRSTUV``, used when two people
    would share a code) in digit positions mapped back to their digits with the check character
    recomputed, so the base code and each omocodic variant give one pseudonym. A string that is
    not 16 characters long is only stripped and upper-cased (ingest has already rejected it).
    """
    text = _SPACES.sub("", code).upper()
    if len(text) != 16:
        return text
    chars = list(text)
    for i in _DIGIT_POSITIONS:
        chars[i] = chars[i].translate(_TO_DIGIT)
    first15 = "".join(chars[:15])
    if first15 == text[:15]:
        return text
    return first15 + check_character(first15)


def pseudonymize(codes: pa.Array | pa.ChunkedArray | Sequence[str | None], key: bytes) -> pa.Array:
    """The pseudonym of each codice fiscale: 64 hex digits of HMAC-SHA256(key, normalized code).

    Nulls stay null. The HMAC is computed once per distinct value, so 100,000 rows of 10,000
    persons cost 10,000 HMACs. The result is for counting and joining in memory only.

    Raises:
        ValueError: ``key`` is not 32 bytes.
    """
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"the pseudonym key must be {KEY_BYTES} bytes")
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    elif not isinstance(codes, pa.Array):
        codes = pa.array(list(codes), type=pa.string())
    if not pa.types.is_string(codes.type) and not pa.types.is_large_string(codes.type):
        codes = codes.cast(pa.string())
    encoded = pc.dictionary_encode(codes)
    if isinstance(encoded, pa.ChunkedArray):  # pragma: no cover - combine_chunks above
        encoded = encoded.combine_chunks()
    cache: dict[str, str] = {}
    digests = []
    for value in encoded.dictionary.to_pylist():
        normal = normalize_code(value)
        if normal not in cache:
            cache[normal] = hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()
        digests.append(cache[normal])
    result: pa.Array = pc.take(pa.array(digests, type=pa.string()), encoded.indices)
    return result


def _read_owner_only(path: Path) -> str:
    """The stripped text of a secret file, refusing one that others can read or write."""
    if path.stat().st_mode & 0o077:
        raise ConfigError(
            "secret file is readable by other users",
            file=str(path),
            column=KEY_VARIABLE,
            hint=f"run: chmod 600 {path}",
        )
    return path.read_text(encoding="utf-8").strip()


def _decode_key(text: str, *, file: str | None) -> bytes:
    """32 bytes from hex or base64 text; errors name the variable (or file), never the value."""
    where = f"{KEY_VARIABLE} (from {file})" if file else KEY_VARIABLE
    text = text.strip()
    key: bytes | None = None
    if _HEX_KEY.fullmatch(text):
        key = bytes.fromhex(text)
    else:
        padded = text + "=" * (-len(text) % 4)
        for altchars in (None, b"-_"):  # standard, then URL-safe alphabet
            try:
                key = base64.b64decode(padded.encode("ascii"), altchars, validate=True)
            except (binascii.Error, ValueError, UnicodeEncodeError):
                continue
            break
    if key is None or len(key) != KEY_BYTES:
        size = "" if key is None else f" (it decodes to {len(key)} bytes)"
        raise ConfigError(
            f"{where} is not a {KEY_BYTES}-byte key{size}",
            file=file,
            column=KEY_VARIABLE,
            hint=_FORMAT_HINT,
        )
    if len(set(key)) == 1:
        raise ConfigError(
            f"{where} is a placeholder (every byte the same), not a random key",
            file=file,
            column=KEY_VARIABLE,
            hint=_FORMAT_HINT,
        )
    return key


def _create_key(path: Path) -> bytes:
    """Write a new random key to ``path`` (mode 0600) unless another process just did."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # atomic, and never replaces a key that already exists
        except FileExistsError:
            log.info("another process created the pseudonym key first; using it")
            return _decode_key(_read_owner_only(path), file=str(path))
    finally:
        temp.unlink(missing_ok=True)
    log.warning(
        "created a throwaway pseudonym key in %s (mode 0600) for the demo; for real data set "
        "%s or keep a backed-up key there (docs/privacy-operations.md)",
        path,
        KEY_VARIABLE,
    )
    return key
