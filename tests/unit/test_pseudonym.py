"""Pseudonyms: keyed, stable across the ways one codice fiscale is written, never a plain hash."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import logging
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from odata.anonymize import pseudonym
from odata.config import Secret, Settings, load_settings
from odata.errors import ConfigError
from odata.sources import codice_fiscale as cf

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def fake_code(name: str = "Prova", birth: dt.date = dt.date(1990, 2, 1)) -> str:
    """A codice fiscale of an obviously fake person, built (never written out literally)."""
    return cf.build("Esempio", name, "F", birth, "Z330")


def omocodic(code: str) -> str:
    """The variant of ``code`` whose last place digit is written as its omocodic letter."""
    first15 = code[:14] + cf.OMOCODE[int(code[14])]
    return first15 + cf.check_character(first15)


def settings_in(tmp_path: Path, key: str | None = None) -> Settings:
    settings = Settings(root=tmp_path)
    return dataclasses.replace(settings, pseudonym_key=Secret(key) if key is not None else None)


def test_the_same_code_written_differently_gives_one_pseudonym() -> None:
    code = fake_code()
    variant = omocodic(code)
    assert variant != code and cf.is_valid(variant)
    spaced = f"  {code[:6]} {code[6:11]} {code[11:]}  ".lower()
    result = pseudonym.pseudonymize([code, code.lower(), variant, variant.lower(), spaced], KEY)
    assert len(set(result.to_pylist())) == 1


def test_different_persons_and_different_keys_give_different_pseudonyms() -> None:
    codes = [fake_code("Prova"), fake_code("Esempio"), fake_code("Prova", dt.date(1991, 2, 1))]
    first = pseudonym.pseudonymize(codes, KEY).to_pylist()
    assert len(set(first)) == 3
    other = pseudonym.pseudonymize(codes, OTHER_KEY).to_pylist()
    assert not set(first) & set(other)


def test_a_pseudonym_is_a_keyed_hmac_not_a_plain_hash() -> None:
    code = fake_code()
    (value,) = pseudonym.pseudonymize([code], KEY).to_pylist()
    assert len(value) == 64 and int(value, 16) >= 0
    assert value != hashlib.sha256(code.encode()).hexdigest()
    assert value != hashlib.sha256(KEY + code.encode()).hexdigest()
    assert code not in value and code.lower() not in value


def test_arrow_columns_nulls_and_repeats() -> None:
    code = fake_code()
    column = pa.chunked_array([[code, None], [code.lower(), fake_code("Esempio")]])
    result = pseudonym.pseudonymize(column, KEY)
    assert isinstance(result, pa.Array) and result.type == pa.string()
    values = result.to_pylist()
    assert values[1] is None and values[0] == values[2] != values[3]


def test_a_key_that_is_not_32_bytes_is_refused_by_pseudonymize() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        pseudonym.pseudonymize([fake_code()], KEY[:16])


def test_normalize_maps_omocodic_letters_and_recomputes_the_check_character() -> None:
    code = fake_code()
    assert pseudonym.normalize_code(omocodic(code).lower()) == code
    assert pseudonym.normalize_code(" short ") == "SHORT"


@pytest.mark.parametrize(
    "text",
    [
        KEY.hex(),
        KEY.hex().upper(),
        base64.b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
    ],
)
def test_the_key_is_read_from_hex_or_base64(tmp_path: Path, text: str) -> None:
    assert pseudonym.load_key(settings_in(tmp_path, text)) == KEY


def test_the_key_comes_from_the_environment_through_load_settings(tmp_path: Path) -> None:
    config = tmp_path / "odata.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, environ={"ODATA_PSEUDONYM_KEY": f" {KEY.hex()}\n"})
    assert pseudonym.load_key(settings) == KEY


@pytest.mark.parametrize(
    "value",
    [
        "not-a-key-at-all",
        KEY.hex()[:-2],  # 31 bytes
        base64.b64encode(KEY[:16]).decode(),  # 16 bytes
        "00" * 32,  # a placeholder
    ],
)
def test_a_bad_key_names_the_variable_and_never_shows_the_value(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        pseudonym.load_key(settings_in(tmp_path, value))
    error = caught.value
    shown = " ".join(str(part) for part in (error, error.hint, error.column, error.file))
    assert "ODATA_PSEUDONYM_KEY" in shown
    assert value not in shown


def test_no_key_and_no_create_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ODATA_PSEUDONYM_KEY"):
        pseudonym.load_key(settings_in(tmp_path))
    assert not pseudonym.key_path(settings_in(tmp_path)).exists()


def test_the_demo_creates_an_owner_only_key_once_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_in(tmp_path)
    with caplog.at_level(logging.WARNING, logger="odata.anonymize.pseudonym"):
        key = pseudonym.load_key(settings, create=True)
    path = pseudonym.key_path(settings)
    assert path == tmp_path / ".odata" / "secrets" / "pseudonym-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="ascii").strip() == key.hex() and len(key) == 32
    assert "throwaway" in caplog.text and key.hex() not in caplog.text
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym-key"]  # no temp file left
    # the next run reads the same key, from the file or through load_settings
    assert pseudonym.load_key(settings, create=True) == key
    config = tmp_path / "odata.toml"
    config.write_text("", encoding="utf-8")
    assert pseudonym.load_key(load_settings(config, environ={})) == key


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    path = pseudonym.key_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text(KEY.hex(), encoding="ascii")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users") as caught:
        pseudonym.load_key(settings)
    assert KEY.hex() not in str(caught.value)


def test_a_bad_key_file_is_named_in_the_error(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    path = pseudonym.key_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text("too short", encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        pseudonym.load_key(settings)
    assert caught.value.file == str(path) and "too short" not in str(caught.value)


def test_the_key_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    settings = settings_in(tmp_path, KEY.hex())
    assert KEY.hex() not in repr(settings) and KEY.hex() not in str(settings.pseudonym_key)
