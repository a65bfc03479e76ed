"""Install and configure CKAN for one local portal instance.

CKAN lives in its own virtual environment (``<home>/venv``): when ckan is importable, ckanapi
changes its error classes, so it must never share odata's venv. Every step is idempotent and
skipped when a stamp says it is already done for the same inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from odata.errors import PortalError

__all__ = ["CKAN_USER", "PORTAL_SOURCES", "Ckan", "ensure_venv"]

CKAN_USER = "odata_admin"
WSGI = '''"""WSGI entry point for gunicorn, written by `odata portal up`."""
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

_ini = os.environ["CKAN_INI"]
fileConfig(_ini, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(_ini).get_config())
'''


#: The repository's portal/ folder: our CKAN plugin and the portal's pinned requirements.
PORTAL_SOURCES = Path(__file__).resolve().parents[3] / "portal"


def ensure_venv(venv: Path, portal_src: Path, *, log: Path) -> bool:
    """Create the portal venv with pinned CKAN and our plugin; True if anything was installed."""
    inputs = [
        portal_src / "requirements.txt",
        portal_src / "constraints.txt",
        portal_src / "ckanext-odata" / "pyproject.toml",
    ]
    stamp = venv / ".odata-installed"
    digest = _digest(inputs)
    if stamp.is_file() and stamp.read_text() == digest:
        return False
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)], "create the portal venv", log=log)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "install", "--upgrade", "pip"], "upgrade pip in the portal venv", log=log)
    _run([*pip, "install", "-r", str(inputs[0]), "-c", str(inputs[1])], "install CKAN", log=log)
    _run(
        [*pip, "install", "--no-deps", "-e", str(portal_src / "ckanext-odata")],
        "install the ckanext-odata plugin",
        log=log,
    )
    stamp.write_text(digest)
    return True


class Ckan:
    """The ``ckan`` command of one instance: configure, initialise, create users."""

    def __init__(self, venv: Path, folder: Path) -> None:
        self.venv = venv
        self.folder = folder
        self.ini = folder / "ckan.ini"
        self.log = folder / "log" / "setup.log"

    def run(self, *args: str, what: str, stdin: str | None = None) -> str:
        return _run(
            [str(self.venv / "bin" / "ckan"), "-c", str(self.ini), *args],
            what,
            log=self.log,
            stdin=stdin,
        )

    def configure(self, options: Mapping[str, str]) -> bool:
        """Write ckan.ini with ``options``; True if it changed. Secrets in it stay 0600."""
        if not self.ini.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            _run(
                [str(self.venv / "bin" / "ckan"), "generate", "config", str(self.ini)],
                "generate ckan.ini",
                log=self.log,
            )
            self.ini.chmod(0o600)
            (self.folder / "wsgi.py").write_text(WSGI)
        stamp = self.folder / "run" / "config.sha256"
        digest = hashlib.sha256(json.dumps(dict(options), sort_keys=True).encode()).hexdigest()
        if stamp.is_file() and stamp.read_text() == digest:
            return False
        pairs = [f"{key}={value}" for key, value in options.items()]
        _run(
            [str(self.venv / "bin" / "ckan"), "config-tool", str(self.ini), *pairs],
            "write ckan.ini",
            log=self.log,
        )
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
        return True

    def init_db(self) -> str:
        """Create or migrate CKAN's tables; return the DataStore permission SQL to apply."""
        self.run("db", "init", what="initialise the CKAN database")
        return self.run("datastore", "set-permissions", what="prepare DataStore permissions")

    def create_sysadmin(self, token_file: Path) -> None:
        """Create the sysadmin and write its API token to an owner-only file."""
        users = self.run("user", "list", what="list CKAN users")
        if not re.search(rf"^name={CKAN_USER}( |$)", users, re.MULTILINE):
            password = secrets.token_urlsafe(24)
            self.run(
                "user",
                "add",
                CKAN_USER,
                "email=odata-admin@localhost",
                f"password={password}",
                what="create the sysadmin",
            )
        self.run("sysadmin", "add", CKAN_USER, what="make the user a sysadmin")
        output = self.run("user", "token", "add", CKAN_USER, "odata", what="create an API token")
        token = output.strip().splitlines()[-1].strip()
        token_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(token + "\n")


def _digest(paths: Sequence[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _run(command: Sequence[str], what: str, *, log: Path, stdin: str | None = None) -> str:
    """Run a setup command, appending its output to ``log``; PortalError if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(list(command), input=stdin, capture_output=True, text=True, check=False)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {command[0]} {' '.join(command[1:3])} …\n{result.stderr[-4000:]}\n")
    if result.returncode != 0:
        raise PortalError(
            f"cannot {what} (exit {result.returncode})",
            file=str(log),
            hint="the log file named above has the details",
        )
    return result.stdout
