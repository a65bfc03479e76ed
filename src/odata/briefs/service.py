"""`odata briefs render|serve|stop`: from odata's settings to a running briefs server.

Rendering the static default views comes first (the server falls back on them), then the
server runs in the foreground, or as a background process recorded by PID (``make demo``).
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from odata.briefs.data import DataUnavailable, open_tables
from odata.briefs.server import (
    FRONTEND_BUNDLE,
    ServeOptions,
    briefs_urls,
    options_json,
    serve,
)
from odata.briefs.settings import BriefSettings
from odata.briefs.static import render_static
from odata.build import resolve_release
from odata.config import Settings
from odata.errors import ConfigError, OdataError
from odata.portal.processes import read_pid, stop, wait_until

__all__ = ["BriefsError", "Plan", "plan", "render", "start_background", "stop_background"]

_EXPECT = "odata.briefs.server"


class BriefsError(OdataError):
    """The briefs cannot be rendered or served (no release, no data, port taken)."""

    code = "briefs-failed"


@dataclass(frozen=True)
class Plan:
    """Where the briefs read their data, where the static views go, how the server runs."""

    kernel: BriefSettings
    options: ServeOptions


def plan(settings: Settings, *, release: str | None, source: str | None, port: int | None) -> Plan:
    """Resolve the release and the data source, and the server's options."""
    chosen = source or settings.briefs.source
    try:
        release_dir = resolve_release(settings, release or settings.release.id)
    except ConfigError:
        if chosen == "release":
            raise
        release_dir = None
    build = settings.path("build")
    edition = release_dir.name if release_dir else "portal"
    static_dir = build / "briefs" / edition
    kernel = BriefSettings.from_settings(
        settings,
        source=chosen,
        cache_dir=build / "briefs-cache",
        release_dir=release_dir,
        static_dir=static_dir,
    )
    options = ServeOptions(
        dashboards_dir=settings.root / "dashboards",
        static_dir=static_dir,
        host=settings.briefs.host,
        port=port or settings.briefs.port,
        pool_size=settings.briefs.pool_size,
        max_kernels=settings.briefs.max_kernels,
        cull_idle_timeout=settings.briefs.cull_idle_timeout,
        kernel_env=kernel.environ(),
        guides_dir=release_dir / "cassetto-digitale" / "guides" if release_dir else None,
    )
    return Plan(kernel, options)


def render(chosen: Plan) -> list[Path]:
    """Write the static default views (the fallback the server needs before it starts)."""
    try:
        return render_static(
            open_tables(chosen.kernel), chosen.options.static_dir, settings=chosen.kernel
        )
    except DataUnavailable as error:
        raise BriefsError(
            f"the published tables cannot be read: {error}",
            hint="build a release (`odata build`) or start and publish to the portal",
        ) from error


def require_frontend() -> None:
    """The live page needs its built front end: an install without it would serve pages that
    never draw their widgets."""
    if not FRONTEND_BUNDLE.is_file():
        raise BriefsError(
            "the live page's front end is not built",
            file=str(FRONTEND_BUNDLE),
            hint="run `make setup`: it builds frontend/ with npm",
        )


def run(chosen: Plan) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM."""
    require_frontend()
    serve(chosen.options)


def pid_file(settings: Settings, port: int) -> Path:
    return settings.path("state") / "briefs" / f"server-{port}.pid"


def start_background(settings: Settings, chosen: Plan, *, timeout: float = 120) -> dict[str, str]:
    """Start the server as a background process, record its PID and wait until it answers."""
    require_frontend()
    port = chosen.options.port
    pids = pid_file(settings, port)
    stop(pids, _EXPECT)
    log_file = settings.path("state") / "briefs" / f"server-{port}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", _EXPECT, options_json(chosen.options)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=settings.root,
        )
    pids.write_text(f"{process.pid}\n")
    index = f"http://{chosen.options.host}:{port}/"
    if not wait_until(lambda: process.poll() is not None or _answers(index), timeout):
        stop(pids, _EXPECT)
        raise BriefsError(
            f"the briefs server did not answer within {timeout:.0f} s", file=str(log_file)
        )
    if process.poll() is not None:
        pids.unlink(missing_ok=True)
        raise BriefsError("the briefs server stopped at start", file=str(log_file))
    return briefs_urls(chosen.options)


def stop_background(settings: Settings, port: int) -> bool:
    """Stop the background server of ``port`` (only the process we recorded)."""
    return stop(pid_file(settings, port), _EXPECT)


def running(settings: Settings, port: int) -> int | None:
    return read_pid(pid_file(settings, port), _EXPECT)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False
