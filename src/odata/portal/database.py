"""PostgreSQL for the local portal: start the cluster if needed, create roles and databases.

Each instance gets its own roles and databases (``odata_<instance>_*``), so the tests' portal
never touches the demo's. Administration runs as the ``postgres`` superuser over the local
socket, which is why the local portal needs root or passwordless sudo to that user.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from odata.config import LocalPortal
from odata.errors import PortalError
from odata.portal.processes import alive, read_pid, tcp_open, wait_until

__all__ = ["Database", "drop", "ensure_databases", "ensure_running", "stop_if_started"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Database:
    """Names and passwords of one instance's roles and databases."""

    instance: str
    ckan_password: str
    ds_password: str
    ro_password: str

    @property
    def ckan(self) -> str:
        return f"odata_{self.instance}_ckan"

    @property
    def datastore(self) -> str:
        return f"odata_{self.instance}_datastore"

    @property
    def ds_role(self) -> str:
        return f"odata_{self.instance}_ds"

    @property
    def ro_role(self) -> str:
        return f"odata_{self.instance}_ds_ro"

    def url(self, local: LocalPortal, role: str, password: str, database: str) -> str:
        return f"postgresql://{role}:{password}@{local.pg_host}:{local.pg_port}/{database}"


def ensure_running(local: LocalPortal, pid_record: Path) -> bool:
    """Make PostgreSQL answer at ``pg_host:pg_port``; True if we had to start it."""
    if tcp_open(local.pg_host, local.pg_port):
        return False
    where = f"{local.pg_host}:{local.pg_port}"
    if local.pg_host not in LOCAL_HOSTS or not local.pg_cluster:
        raise PortalError(
            f"PostgreSQL is not reachable at {where}",
            hint="start it, or set portal.local.pg_host and pg_port in odata.toml",
        )
    version, _, name = local.pg_cluster.partition("/")
    port = _cluster_port(version, name)
    if port is None:
        raise PortalError(
            f"PostgreSQL is not reachable at {where} and cluster {local.pg_cluster} does not exist",
            hint="see `pg_lsclusters`; set portal.local.pg_cluster and pg_port to an existing one",
        )
    if port != local.pg_port:
        raise PortalError(
            f"PostgreSQL is not reachable at {where}; cluster {local.pg_cluster} uses port {port}",
            hint="set portal.local.pg_port to the cluster's port",
        )
    _run(["pg_ctlcluster", version, name, "start"], "start PostgreSQL")
    if not wait_until(lambda: tcp_open(local.pg_host, local.pg_port), 60):
        raise PortalError(f"PostgreSQL {local.pg_cluster} started but does not answer at {where}")
    pid_file = Path(f"/var/run/postgresql/{version}-{name}.pid")
    pid_record.parent.mkdir(parents=True, exist_ok=True)
    pid_record.write_text(pid_file.read_text().split()[0] + "\n")
    return True


def stop_if_started(pid_record: Path) -> bool:
    """Stop PostgreSQL if our record says we started it (fast shutdown); True if stopped."""
    pid = read_pid(pid_record, "postgres")
    pid_record.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    wait_until(lambda: not alive(pid, "postgres"), 30)
    return True


def ensure_databases(db: Database, local: LocalPortal) -> None:
    """Create (or update the passwords of) the instance's three roles and two databases."""
    roles = (
        (db.ckan, db.ckan_password),
        (db.ds_role, db.ds_password),
        (db.ro_role, db.ro_password),
    )
    statements = [_role_sql(role, password) for role, password in roles]
    _psql(local, "postgres", "\n".join(statements))
    for database, owner in ((db.ckan, db.ckan), (db.datastore, db.ds_role)):
        exists = _psql(local, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
        if not exists.strip():
            _psql(
                local,
                "postgres",
                f'CREATE DATABASE "{database}" OWNER "{owner}" ENCODING \'utf-8\'',
            )


def grant_datastore(db: Database, local: LocalPortal, permissions_sql: str) -> None:
    """Apply CKAN's DataStore permission script to the DataStore database."""
    _psql(local, db.datastore, permissions_sql)


def drop(db: Database, local: LocalPortal) -> None:
    """Drop the instance's databases and roles (reset)."""
    statements = [
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);' for name in (db.ckan, db.datastore)
    ]
    statements += [f'DROP ROLE IF EXISTS "{r}";' for r in (db.ro_role, db.ds_role, db.ckan)]
    for statement in statements:  # DROP DATABASE cannot run inside a transaction block
        _psql(local, "postgres", statement)


def _role_sql(role: str, password: str) -> str:
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'; ELSE "
        f"ALTER ROLE \"{role}\" LOGIN PASSWORD '{password}'; END IF; END $$;"
    )


def _cluster_port(version: str, name: str) -> int | None:
    result = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        fields = line.split()
        if fields[:2] == [version, name]:
            return int(fields[2])
    return None


def _psql(local: LocalPortal, database: str, sql: str) -> str:
    """Run ``sql`` as the postgres superuser over the local socket; return its output."""
    as_postgres = (
        ["runuser", "-u", "postgres", "--"]
        if os.geteuid() == 0
        else ["sudo", "-n", "-u", "postgres"]
    )
    command = [
        *as_postgres,
        "psql",
        "-X",
        "-q",
        "-t",
        "-A",
        "-v",
        "ON_ERROR_STOP=1",
        "-p",
        str(local.pg_port),
        "-d",
        database,
    ]
    return _run(command, f"run SQL on {database}", stdin=sql)


def _run(command: list[str], what: str, *, stdin: str | None = None) -> str:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise PortalError(f"cannot {what}: {command[0]} is not installed") from exc
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise PortalError(f"cannot {what}: {last}")
    return result.stdout
