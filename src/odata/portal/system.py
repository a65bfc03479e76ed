"""Debian packages the local portal needs, installed with apt-get when missing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from odata.errors import PortalError

__all__ = ["PORTAL_PACKAGES", "ensure_packages", "missing_packages"]

#: Redis for CKAN, libpq headers and a compiler for psycopg2, PostgreSQL's cluster tools.
PORTAL_PACKAGES = ("redis-server", "libpq-dev", "gcc", "postgresql-common")


def missing_packages(names: Sequence[str]) -> list[str]:
    """The packages of ``names`` that dpkg does not list as installed."""
    missing = []
    for name in names:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_packages(names: Sequence[str]) -> list[str]:
    """Install the missing ones with apt-get (as root, or with passwordless sudo)."""
    missing = missing_packages(names)
    if not missing:
        return []
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        result = subprocess.run(
            [*sudo, *command], capture_output=True, text=True, env=env, check=False
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise PortalError(
                f"cannot install {', '.join(missing)}: {last}",
                hint=f"install them yourself: apt-get install {' '.join(missing)}",
            )
    return missing
