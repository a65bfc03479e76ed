"""The local CKAN portal: ``up``, ``down``, ``status`` and ``reset``, all idempotent.

One *instance* (``portal.local.instance``) has its own port, databases, Redis, file store and
sysadmin token under ``<home>/<instance>/``; the CKAN venv ``<home>/venv`` is shared. PIDs of
what we start are recorded there, and ``down`` stops only those.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odata.config import LocalPortal, Settings, local_portal_dir
from odata.errors import PortalError
from odata.portal import database, processes, system
from odata.portal.api import ensure_organization
from odata.portal.ckan import PORTAL_SOURCES, Ckan, ensure_venv
from odata.portal.options import ckan_options

__all__ = ["Instance", "PortalStatus", "portal_down", "portal_reset", "portal_status", "portal_up"]

GUNICORN = "gunicorn"
REDIS = "redis-server"
START_TIMEOUT = 180


@dataclass(frozen=True)
class Instance:
    """Where one local portal instance keeps its files, and how it is reached."""

    settings: Settings

    @property
    def local(self) -> LocalPortal:
        return self.settings.portal.local

    @property
    def home(self) -> Path:
        return local_portal_dir(self.settings).parent

    @property
    def folder(self) -> Path:
        return local_portal_dir(self.settings)

    @property
    def venv(self) -> Path:
        return self.home / "venv"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.local.port}"

    @property
    def token_file(self) -> Path:
        return self.folder / "secrets" / "ckan-token"

    def pid_file(self, name: str) -> Path:
        return self.folder / "run" / f"{name}.pid"

    @property
    def postgres_record(self) -> Path:
        return self.home / "run" / "postgres.pid"

    @property
    def redis_socket(self) -> Path:
        return self.folder / "run" / "redis.sock"


@dataclass
class PortalStatus:
    """What runs and what answers, part by part."""

    url: str
    parts: dict[str, str] = field(default_factory=dict)
    healthy: bool = False
    seconds: float = 0.0


def portal_up(settings: Settings, *, progress: Any = None) -> PortalStatus:
    """Install (once), configure and start the local portal; a fast no-op when it is up."""
    start = time.monotonic()
    inst = _checked(settings)
    step = progress or (lambda message: None)
    if _answers(inst) and inst.token_file.is_file():
        step("already up")
        status = portal_status(settings)
        status.seconds = time.monotonic() - start
        return status
    if processes.port_in_use(inst.local.port) and not _ours_running(inst):
        raise PortalError(
            f"port {inst.local.port} is already in use by another program",
            hint="stop that program or set portal.local.port (ODATA_PORTAL_PORT)",
        )
    step("system packages")
    system.ensure_packages(system.PORTAL_PACKAGES)
    step("PostgreSQL")
    database.ensure_running(inst.local, inst.postgres_record)
    step("CKAN venv (first time: about a minute)")
    inst.folder.mkdir(parents=True, exist_ok=True)
    ensure_venv(inst.venv, PORTAL_SOURCES, log=inst.folder / "log" / "setup.log")
    step("Redis")
    _start_redis(inst)
    db = _database(inst)
    step("databases")
    database.ensure_databases(db, inst.local)
    ckan = Ckan(inst.venv, inst.folder)
    ckan.configure(ckan_options(inst, db))
    _init_once(inst, ckan, db)
    if not inst.token_file.is_file():
        step("sysadmin and API token")
        ckan.create_sysadmin(inst.token_file)
    step("CKAN (gunicorn)")
    _start_gunicorn(inst)
    step("organization")
    _ensure_organization(inst)
    status = portal_status(settings)
    status.seconds = time.monotonic() - start
    return status


def portal_down(settings: Settings) -> dict[str, bool]:
    """Stop what ``up`` started for this instance, by PID; PostgreSQL only if we started it
    and no other instance of ours still runs. Returns which parts were stopped."""
    inst = _checked(settings)
    stopped = {
        "ckan": processes.stop(inst.pid_file("gunicorn"), GUNICORN),
        "redis": processes.stop(inst.pid_file("redis"), REDIS),
    }
    others = [p for p in inst.home.glob("*/run/gunicorn.pid") if processes.read_pid(p, GUNICORN)]
    stopped["postgresql"] = not others and database.stop_if_started(inst.postgres_record)
    return stopped


def portal_status(settings: Settings) -> PortalStatus:
    """Report each part: venv, PostgreSQL, Redis, CKAN, API, token."""
    inst = _checked(settings)
    parts = {
        "venv": "installed" if (inst.venv / ".odata-installed").is_file() else "not installed",
        "postgresql": _up_down(
            processes.tcp_open(inst.local.pg_host, inst.local.pg_port),
            f"{inst.local.pg_host}:{inst.local.pg_port}",
        ),
        "redis": _pid_state(inst, "redis", REDIS),
        "ckan": _pid_state(inst, "gunicorn", GUNICORN),
        "token": "present" if inst.token_file.is_file() else "missing",
    }
    try:
        answer = processes.http_json(f"{inst.url}/api/3/action/status_show")
        parts["api"] = f"answers (CKAN {answer['result']['ckan_version']})"  # type: ignore[index]
    except PortalError:
        parts["api"] = "no answer"
    healthy = parts["api"].startswith("answers") and parts["token"] == "present"
    return PortalStatus(url=inst.url, parts=parts, healthy=healthy)


def portal_reset(settings: Settings) -> None:
    """Stop the instance and delete its databases, file store, config and token."""
    inst = _checked(settings)
    processes.stop(inst.pid_file("gunicorn"), GUNICORN)
    processes.stop(inst.pid_file("redis"), REDIS)
    secrets_file = inst.folder / "secrets" / "db.json"
    if secrets_file.is_file():
        database.ensure_running(inst.local, inst.postgres_record)
        database.drop(_database(inst), inst.local)
    shutil.rmtree(inst.folder, ignore_errors=True)


def _checked(settings: Settings) -> Instance:
    inst = Instance(settings)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", inst.local.instance):
        raise PortalError(
            f"portal.local.instance must be lower-case letters, digits or _, not "
            f"{inst.local.instance!r}"
        )
    if not 1024 <= inst.local.port <= 65535:
        raise PortalError(
            f"portal.local.port must be between 1024 and 65535, not {inst.local.port}",
            hint="set portal.local.port in odata.toml or ODATA_PORTAL_PORT",
        )
    return inst


def _answers(inst: Instance) -> bool:
    if not processes.read_pid(inst.pid_file("gunicorn"), GUNICORN):
        return False
    try:
        processes.http_json(f"{inst.url}/api/3/action/status_show", timeout=3)
    except PortalError:
        return False
    return True


def _ours_running(inst: Instance) -> bool:
    return processes.read_pid(inst.pid_file("gunicorn"), GUNICORN) is not None


def _database(inst: Instance) -> database.Database:
    """The instance's database credentials, generated once and kept owner-only."""
    path = inst.folder / "secrets" / "db.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {key: secrets.token_hex(16) for key in ("ckan", "ds", "ro")}
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(values, handle)
    values = json.loads(path.read_text())
    return database.Database(inst.local.instance, values["ckan"], values["ds"], values["ro"])


def _init_once(inst: Instance, ckan: Ckan, db: database.Database) -> None:
    stamp = inst.folder / "run" / "db-initialised"
    if stamp.is_file():
        return
    permissions = ckan.init_db()
    database.grant_datastore(db, inst.local, permissions)
    stamp.write_text("ok\n")


def _start_redis(inst: Instance) -> None:
    if processes.read_pid(inst.pid_file("redis"), REDIS):
        return
    inst.redis_socket.parent.mkdir(parents=True, exist_ok=True)
    inst.redis_socket.unlink(missing_ok=True)
    log = inst.folder / "log" / "redis.log"
    command = [
        "redis-server",
        "--port",
        "0",
        "--unixsocket",
        str(inst.redis_socket),
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(inst.redis_socket.parent),
        "--daemonize",
        "yes",
        "--pidfile",
        str(inst.pid_file("redis")),
        "--logfile",
        str(log),
    ]
    processes.start_daemon(
        command,
        pid_file=inst.pid_file("redis"),
        log_file=log,
        cwd=inst.folder,
        env=dict(os.environ),
        expect=REDIS,
    )
    if not processes.wait_until(inst.redis_socket.exists, 20):
        raise PortalError("Redis did not open its socket", file=str(log))


def _start_gunicorn(inst: Instance) -> None:
    log = inst.folder / "log" / "ckan.log"
    if not processes.read_pid(inst.pid_file("gunicorn"), GUNICORN):
        command = [
            str(inst.venv / "bin" / "gunicorn"),
            "--workers",
            str(inst.local.workers),
            "--timeout",
            str(inst.local.timeout),
            "--bind",
            f"127.0.0.1:{inst.local.port}",
            "--chdir",
            str(inst.folder),
            "--daemon",
            "--pid",
            str(inst.pid_file("gunicorn")),
            "--error-logfile",
            str(log),
            "--capture-output",
            "wsgi:application",
        ]
        env = {**os.environ, "CKAN_INI": str(inst.folder / "ckan.ini")}
        env.pop("ODATA_CKAN_TOKEN", None)
        processes.start_daemon(
            command,
            pid_file=inst.pid_file("gunicorn"),
            log_file=log,
            cwd=inst.folder,
            env=env,
            expect=GUNICORN,
        )

    def ready() -> bool:
        if not processes.read_pid(inst.pid_file("gunicorn"), GUNICORN):
            raise PortalError(
                "CKAN stopped while starting",
                file=str(log),
                hint="the log file named above says why",
            )
        return _answers(inst)

    if not processes.wait_until(ready, START_TIMEOUT, step=0.5):
        raise PortalError(f"CKAN did not answer within {START_TIMEOUT} s", file=str(log))


def _ensure_organization(inst: Instance) -> None:
    portal = inst.settings.portal
    ensure_organization(
        inst.url,
        inst.token_file.read_text().strip(),
        portal.organization,
        portal.organization_title,
    )


def _up_down(up: bool, where: str) -> str:
    return f"{'up' if up else 'down'} ({where})"


def _pid_state(inst: Instance, name: str, expect: str) -> str:
    pid = processes.read_pid(inst.pid_file(name), expect)
    return f"running (pid {pid})" if pid else "stopped"
