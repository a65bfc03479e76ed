"""Settings: code defaults < ``odata.toml`` < ``ODATA_*`` environment < command-line flags.

This is the only module that reads the environment. ``odata.toml`` holds public settings
only; secrets come from environment variables or from owner-only files under
``<state>/secrets/`` and are wrapped in :class:`Secret` so they never show in a repr or log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odata.errors import ConfigError

__all__ = [
    "CONFIG_FILENAME",
    "Secret",
    "Settings",
    "find_config",
    "load_settings",
    "local_portal_dir",
]

CONFIG_FILENAME = "odata.toml"

#: Environment variables that override a setting, and the setting they override.
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "ODATA_RELEASE": ("release", "id"),
    "ODATA_CKAN_URL": ("portal", "url"),
    "ODATA_CKAN_ORG": ("portal", "organization"),
    "ODATA_SOURCES_DIR": ("paths", "sources"),
    "ODATA_STATE_DIR": ("paths", "state"),
    "ODATA_BUILD_DIR": ("paths", "build"),
    "ODATA_PORTAL_INSTANCE": ("portal", "local", "instance"),
    "ODATA_PORTAL_PORT": ("portal", "local", "port"),
    "ODATA_BRIEFS_PORT": ("briefs", "port"),
}

#: Secrets: environment variable → file name under ``<state>/secrets/``.
SECRETS: dict[str, str] = {
    "ODATA_CKAN_TOKEN": "ckan-token",
    "ODATA_PSEUDONYM_KEY": "pseudonym-key",
}


class Secret:
    """A string that never prints itself; call :meth:`reveal` where it is really used."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Paths:
    """Where things live; relative paths are resolved against the config file's folder."""

    state: Path = Path(".odata")
    sources: Path = Path(".odata/sources")
    datapackages: Path = Path("datapackage")
    build: Path = Path("build")
    cassetto: Path = Path("cassetto")  # the guides of the cassetto digitale (Markdown)


@dataclass(frozen=True)
class Release:
    """The release being built; ``created`` is the only date written inside release files."""

    id: str = "2026-q3"
    created: dt.date = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class LocalPortal:
    """The local CKAN that ``odata portal up`` runs for the demo and the tests."""

    instance: str = "demo"
    port: int = 5050
    home: Path = Path(".portal")
    workers: int = 2
    timeout: int = 600
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_cluster: str = "15/main"
    solr_url: str = ""


@dataclass(frozen=True)
class Portal:
    """The CKAN portal that releases are published to."""

    url: str = "http://127.0.0.1:5050"
    organization: str = "osservatorio-imprese-migranti"
    organization_title: str = "Osservatorio sull'imprenditoria migrante"
    #: seconds one API call may take before it counts as a timeout (and is retried)
    request_timeout: float = 120.0
    #: seconds after which a call that keeps failing transiently gives up
    deadline: float = 600.0
    local: LocalPortal = field(default_factory=LocalPortal)


@dataclass(frozen=True)
class Publisher:
    """Who publishes and who holds the rights (DCAT-AP_IT agents; IPA codes unverified)."""

    name: str = "Unioncamere"
    ipa: str = "unioncamere"
    email: str = "osservatorio@example.org"
    holder_name: str = "Ministero del Lavoro e delle Politiche Sociali"
    holder_ipa: str = "m_lps"


@dataclass(frozen=True)
class Targets:
    """The programme's targets (minimum numbers of persons or firms)."""

    informed: int = 2000
    oriented: int = 1200
    trained: int = 800
    business_plans: int = 400
    firms: int = 60


@dataclass(frozen=True)
class Programme:
    """Facts about the programme that monitoring compares the data against."""

    start: dt.date = dt.date(2019, 5, 16)
    end: dt.date = dt.date(2022, 11, 30)
    budget_eur: float = 3_220_820.00
    targets: Targets = field(default_factory=Targets)


@dataclass(frozen=True)
class Disclosure:
    """Public floor thresholds of disclosure control (private parameters live elsewhere)."""

    person_threshold: int = 5
    firm_threshold: int = 3
    magnitude_min_contributors: int = 3
    audit_min_width: int = 2


@dataclass(frozen=True)
class Limits:
    """Size limits that keep the portal and the audit fast."""

    max_table_rows: int = 50_000


@dataclass(frozen=True)
class Briefs:
    """How `odata briefs serve` serves the public briefs (see docs/briefs.md)."""

    source: str = "release"  # "release": the built release (offline); "portal": DataStore API
    host: str = "127.0.0.1"  # behind a reverse proxy in production
    port: int = 8866
    pool_size: int = 2  # warm kernels kept ready per brief
    max_kernels: int = 12  # beyond this, visitors get the static view until a kernel frees
    cull_idle_timeout: int = 300  # seconds before an idle visitor's kernel is shut down


@dataclass(frozen=True)
class Settings:
    """Every setting odata uses. Build it with :func:`load_settings`."""

    root: Path = Path(".")
    config_file: Path | None = None
    paths: Paths = field(default_factory=Paths)
    release: Release = field(default_factory=Release)
    portal: Portal = field(default_factory=Portal)
    publisher: Publisher = field(default_factory=Publisher)
    programme: Programme = field(default_factory=Programme)
    disclosure: Disclosure = field(default_factory=Disclosure)
    limits: Limits = field(default_factory=Limits)
    briefs: Briefs = field(default_factory=Briefs)
    ckan_token: Secret | None = field(default=None, repr=False)
    pseudonym_key: Secret | None = field(default=None, repr=False)

    def path(self, name: str) -> Path:
        """An absolute path from the ``[paths]`` section."""
        value: Path = getattr(self.paths, name)
        return value if value.is_absolute() else self.root / value

    def public_dict(self) -> dict[str, Any]:
        """Every setting except secrets, as plain JSON-ready values."""
        data = dataclasses.asdict(self)
        data.pop("ckan_token")
        data.pop("pseudonym_key")
        data["secrets"] = {
            "ODATA_CKAN_TOKEN": "set" if self.ckan_token else "not set",
            "ODATA_PSEUDONYM_KEY": "set" if self.pseudonym_key else "not set",
        }
        public: dict[str, Any] = _jsonable(data)
        return public


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``odata.toml`` in ``start`` or its parents, or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Read defaults, then ``odata.toml``, then the environment, then ``overrides`` (CLI flags).

    Raises:
        ConfigError: the file is missing, not TOML, has an unknown key or a value of the wrong
            type, or a secret file is readable by others.
    """
    env = os.environ if environ is None else environ
    if config_file is None and env.get("ODATA_CONFIG"):
        config_file = Path(env["ODATA_CONFIG"])
    if config_file is None:
        config_file = find_config()
    raw: dict[str, Any] = _read_toml(config_file) if config_file else {}
    for var, keys in ENV_OVERRIDES.items():
        if env.get(var):
            _set(raw, keys, env[var])
    for section, values in (overrides or {}).items():
        for key, value in values.items():
            if isinstance(value, Mapping):
                for inner, inner_value in value.items():
                    _set(raw, (section, key, inner), inner_value)
            else:
                _set(raw, (section, key), value)
    label = str(config_file) if config_file else "defaults"
    sections = {
        name: _build(kind, raw.pop(name, {}), label, name) for name, kind in _sections().items()
    }
    if raw:
        unknown = ", ".join(sorted(raw))
        raise ConfigError(f"unknown section [{unknown}]", file=label, hint=_sections_hint())
    root = config_file.resolve().parent if config_file else Path.cwd()
    settings = Settings(root=root, config_file=config_file, **sections)
    return dataclasses.replace(
        settings,
        ckan_token=_secret("ODATA_CKAN_TOKEN", env, settings),
        pseudonym_key=_secret("ODATA_PSEUDONYM_KEY", env, settings),
    )


def _set(raw: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    """Set ``raw[k1][k2]...`` to ``value`` (None leaves it unset: an absent CLI flag)."""
    if value is None:
        return
    for key in keys[:-1]:
        raw = raw.setdefault(key, {})
    raw[keys[-1]] = value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except FileNotFoundError:
        raise ConfigError("configuration file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None


def _build(cls: Any, values: Any, label: str, where: str) -> Any:
    """Instantiate a settings dataclass from a TOML table, checking keys and types."""
    if not isinstance(values, dict):
        raise ConfigError(f"[{where}] must be a table", file=label, column=where)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"unknown setting {where}.{unknown[0]}",
            file=label,
            column=f"{where}.{unknown[0]}",
            hint=f"settings of [{where}]: {', '.join(sorted(known))}",
        )
    kwargs = {
        key: _coerce(hints[key], value, label, f"{where}.{key}") for key, value in values.items()
    }
    return cls(**kwargs)


def _coerce(kind: Any, value: Any, label: str, where: str) -> Any:
    """Convert one TOML or environment value to the declared type, or raise ConfigError."""
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, label, where)
    if isinstance(kind, types.UnionType):  # e.g. Path | None
        kind = next(k for k in typing.get_args(kind) if k is not type(None))
    try:
        if kind is Path:
            return Path(_expect(value, str))
        if kind is dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        if kind is int:
            return int(_expect(value, int, str))
        if kind is float:
            return float(_expect(value, int, float, str))
        if kind is str:
            return _expect(value, str)
    except (TypeError, ValueError):
        pass
    else:
        raise AssertionError(f"no coercion for {kind!r}")
    raise ConfigError(
        f"{where} must be {getattr(kind, '__name__', kind)}, not {type(value).__name__}",
        file=label,
        column=where,
    )


def _expect(value: Any, *kinds: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(value)
    return value


def local_portal_dir(settings: Settings) -> Path:
    """The folder of the local portal instance (its ckan.ini, data, token)."""
    home = settings.portal.local.home
    home = home if home.is_absolute() else settings.root / home
    return home / settings.portal.local.instance


def _secret(var: str, env: Mapping[str, str], settings: Settings) -> Secret | None:
    """A secret from the environment, else from its owner-only file under <state>/secrets/
    (the CKAN token also from the local portal, which writes one for its sysadmin)."""
    if env.get(var):
        return Secret(env[var].strip())
    candidates = [settings.path("state") / "secrets" / SECRETS[var]]
    if var == "ODATA_CKAN_TOKEN":
        candidates.append(local_portal_dir(settings) / "secrets" / SECRETS[var])
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return None
    if path.stat().st_mode & 0o077:
        raise ConfigError(
            "secret file is readable by other users",
            file=str(path),
            hint=f"run: chmod 600 {path}",
        )
    return Secret(path.read_text(encoding="utf-8").strip())


def _sections() -> dict[str, Any]:
    """The TOML tables of ``Settings``: its dataclass-typed fields."""
    hints = typing.get_type_hints(Settings)
    return {name: kind for name, kind in hints.items() if dataclasses.is_dataclass(kind)}


def _sections_hint() -> str:
    return "known sections: " + ", ".join(_sections())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, Path | dt.date):
        return str(value)
    return value
