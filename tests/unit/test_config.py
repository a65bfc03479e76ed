from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from odata.config import load_settings
from odata.errors import ConfigError

REPO_CONFIG = Path(__file__).resolve().parents[2] / "odata.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "odata.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_committed_config_loads_and_matches_the_programme() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    assert settings.programme.budget_eur == 3_220_820.00
    assert settings.programme.start == dt.date(2019, 5, 16)
    assert settings.programme.targets.firms == 60
    assert settings.disclosure.person_threshold == 5
    assert settings.path("build") == REPO_CONFIG.parent / "build"


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[release]\nid = "from-file"\n[portal]\nurl = "http://file"\n')
    env = {"ODATA_RELEASE": "from-env", "ODATA_CKAN_URL": "http://env"}
    settings = load_settings(path, environ=env, overrides={"release": {"id": "from-flag"}})
    assert settings.release.id == "from-flag"
    assert settings.portal.url == "http://env"


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    path = write(tmp_path, '[paths]\nsources = "raw"\n')
    assert load_settings(path, environ={}).path("sources") == tmp_path / "raw"


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[portal]\nurll = "http://x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.column == "portal.urll"
    assert info.value.file == str(path)


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[disclosure]\nperson_threshold = "five"\n')
    with pytest.raises(ConfigError, match=r"disclosure\.person_threshold must be int"):
        load_settings(path, environ={})


def test_not_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[portal\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, environ={})


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_secrets_come_from_environment_and_never_print(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    settings = load_settings(path, environ={"ODATA_CKAN_TOKEN": "tok-123-secret"})
    assert settings.ckan_token is not None
    assert settings.ckan_token.reveal() == "tok-123-secret"
    for text in (repr(settings), str(settings), str(settings.public_dict())):
        assert "tok-123-secret" not in text
    assert settings.public_dict()["secrets"]["ODATA_CKAN_TOKEN"] == "set"


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    path = write(tmp_path, '[paths]\nstate = "state"\n')
    secret = tmp_path / "state" / "secrets" / "ckan-token"
    secret.parent.mkdir(parents=True)
    secret.write_text("tok-from-file\n")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_settings(path, environ={})
    secret.chmod(0o600)
    token = load_settings(path, environ={}).ckan_token
    assert token is not None and token.reveal() == "tok-from-file"
