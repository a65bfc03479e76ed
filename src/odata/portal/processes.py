"""Start, find and stop the portal's background processes by the PIDs we recorded.

Only processes whose PID file we wrote are ever signalled, and a PID is trusted only while its
command line still matches what we started (PIDs are reused after a reboot).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from odata.errors import PortalError

__all__ = [
    "alive",
    "http_json",
    "port_in_use",
    "read_pid",
    "start_daemon",
    "stop",
    "tcp_open",
    "wait_until",
]


def read_pid(pid_file: Path, expect: str) -> int | None:
    """The PID in ``pid_file`` if that process runs and its command line contains ``expect``."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if alive(pid, expect) else None


def alive(pid: int, expect: str = "") -> bool:
    """Whether process ``pid`` exists and its command line contains ``expect``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    return state != "Z" and expect in cmdline


def start_daemon(
    command: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    cwd: Path,
    env: dict[str, str],
    expect: str,
    timeout: float = 30,
) -> int:
    """Run a server in its own daemon mode (it forks, detaches and writes ``pid_file``), so it
    outlives odata; return the PID it recorded once that process is alive."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.unlink(missing_ok=True)
    with log_file.open("ab") as log:
        result = subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=60,
        )
    if result.returncode != 0 or not wait_until(lambda: read_pid(pid_file, expect), timeout):
        raise PortalError(
            f"{Path(command[0]).name} did not start",
            file=str(log_file),
            hint="the log file named above says why",
        )
    pid = read_pid(pid_file, expect)
    assert pid is not None
    return pid


def stop(pid_file: Path, expect: str, *, sig: int = signal.SIGTERM, grace: float = 20) -> bool:
    """Stop the process recorded in ``pid_file``; True if one was running. Removes the file."""
    pid = read_pid(pid_file, expect)
    if pid is not None:
        os.kill(pid, sig)
        if not wait_until(lambda: not alive(pid, expect), grace):
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not alive(pid, expect), 5)
    pid_file.unlink(missing_ok=True)
    return pid is not None


def wait_until(ready: object, seconds: float, *, step: float = 0.25) -> bool:
    """Poll the callable ``ready`` until it returns true or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        if ready():  # type: ignore[operator]
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def tcp_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` cannot be bound on ``host`` (another program holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def http_json(url: str, *, timeout: float = 5.0, token: str | None = None) -> dict[str, object]:
    """GET ``url`` and decode its JSON body; PortalError if it cannot be read."""
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: dict[str, object] = json.load(response)
            return data
    except (OSError, ValueError) as exc:
        raise PortalError(f"no answer from {url}: {type(exc).__name__}") from exc
