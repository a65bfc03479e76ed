"""A real briefs server in a subprocess, over throw-away notebooks, and Debian's Chromium.

The server runs ``odata.briefs.server`` exactly as ``odata briefs serve`` does. Its TMPDIR is
the test's own folder, so Voilà's connection files (and so every kernel's command line) name
that folder: that is how the finalizer proves no kernel outlived the server.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from odata.briefs.server import ServeOptions, options_json
from odata.briefs.settings import BRIEFS

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT = 240.0  # three kernels per pool on a busy 2-core machine
STATIC_MARKER = "static-page-of"
NOTEBOOK_CODE = (
    "from voila.utils import wait_for_request\n"
    "wait_for_request()\n"
    "import os, ipywidgets as w\n"
    'print("QUERY_STRING=" + os.environ.get("QUERY_STRING", ""))\n'
    'display(w.HTML("<p id=\'q\'>" + os.environ.get("QUERY_STRING", "") + "</p>"))\n'
    # controls under the policy, and a permalink the page's script copies to the address bar
    "box = w.VBox([w.Dropdown(options=['a', 'b']), w.HTML('<a class=\"odata-permalink\" "
    'href="?x=1&amp;y=2">link</a>\')])\n'
    "box.add_class('odata-live')\n"
    "display(box)"
)


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def notebook(brief: str) -> dict[str, Any]:
    cells = [
        {"cell_type": "markdown", "id": "title", "metadata": {}, "source": f"# Brief {brief}"},
        {
            "cell_type": "code",
            "id": "query",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": NOTEBOOK_CODE,
        },
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4,
            "nbformat_minor": 5}  # fmt: skip


def write_dashboards(folder: Path) -> Path:
    folder.mkdir()
    for brief in BRIEFS:
        (folder / f"{brief}.ipynb").write_text(json.dumps(notebook(brief)), encoding="utf-8")
    (folder / "secret.txt").write_text("not for visitors", encoding="utf-8")
    return folder


def write_static(folder: Path, briefs: tuple[str, ...]) -> Path:
    """Static pages for ``briefs`` only, so a brief without one shows the 503 page."""
    folder.mkdir()
    for brief in briefs:
        for lang in ("it", "en"):
            text = (
                f'<!DOCTYPE html><html lang="{lang}"><head><title>{brief}</title></head>'
                f'<body><p id="{STATIC_MARKER}">{STATIC_MARKER} {brief} {lang}</p></body></html>'
            )
            (folder / f"{brief}.{lang}.html").write_text(text, encoding="utf-8")
            with zipfile.ZipFile(folder / f"{brief}.{lang}.zip", "w") as archive:
                archive.writestr("data.csv", "a,b\n1,2\n")
    (folder / "other.txt").write_text("not for visitors", encoding="utf-8")
    return folder


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def body(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


@dataclass
class BriefsServer:
    """A running server: its address, process, log and the folder its kernels mention."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    root: Path
    started: float
    pools_filled: float = 0.0

    def get(self, path: str, timeout: float = 120.0) -> Response:
        """GET ``path`` exactly as written (no normalisation of ``..``)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def get_live(self, path: str, timeout: float = 180.0) -> Response:
        """GET a brief until it answers with the live page (kernels may still be refilling)."""

        def attempt() -> Response | None:
            answer = self.get(path)
            return None if STATIC_MARKER in answer.body else answer

        result: Response = wait_until(attempt, timeout, f"a live page at {path}", every=2)
        return result

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kernel_processes(self) -> list[int]:
        """PIDs whose command line names this server's folder (its kernels)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.process.pid:
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if str(self.root).encode() in cmdline and b"ipykernel" in cmdline:
                found.append(int(entry.name))
        return found


def start_server(
    root: Path,
    pool_size: int,
    max_kernels: int,
    *,
    dashboards: Path | None = None,
    static: Path | None = None,
    kernel_env: dict[str, str] | None = None,
    guides: Path | None = None,
) -> BriefsServer:
    """Start the server (over throw-away notebooks unless ``dashboards`` is given) and wait
    until every pool is pre-rendered."""
    port = free_port()
    options = ServeOptions(
        dashboards_dir=dashboards or write_dashboards(root / "dashboards"),
        static_dir=static or write_static(root / "static", briefs=("imprese", "progetto")),
        port=port,
        pool_size=pool_size,
        max_kernels=max_kernels,
        refresh_seconds=3,
        kernel_env=kernel_env or {"ODATA_BRIEFS_SOURCE": "release"},
        guides_dir=guides,
    )
    log = root / "server.log"
    env = {**os.environ, "TMPDIR": str(root), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "odata.briefs.server", options_json(options)],
            cwd=root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = BriefsServer(f"http://127.0.0.1:{port}", port, process, log, root, time.monotonic())

    def pools_prerendered() -> bool:
        """Every pooled kernel has run up to ``wait_for_request()`` and called back."""
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{server.log_text()}")
        return server.log_text().count("GET /voila/query/") >= pool_size * len(BRIEFS)

    wait_until(pools_prerendered, START_TIMEOUT, "the kernel pools to pre-render")
    server.pools_filled = time.monotonic() - server.started
    return server


def stop_server(server: BriefsServer) -> None:
    """SIGTERM by PID, as `odata briefs serve` is stopped; then no kernel may be left."""
    kernels_before = server.kernel_processes()
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        pytest.fail(f"server ignored SIGTERM:\n{server.log_text()}")
    assert kernels_before, "the server never started a kernel"
    wait_until(lambda: not server.kernel_processes(), 30, "the kernels to exit")
    assert server.process.returncode == 0, server.log_text()


@pytest.fixture(scope="module")
def briefs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BriefsServer]:
    """Pools of two per brief and room for twelve visitors."""
    server = start_server(tmp_path_factory.mktemp("briefs"), pool_size=2, max_kernels=12)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BriefsServer]:
    """One pre-heated kernel per brief and room for a single visitor."""
    server = start_server(tmp_path_factory.mktemp("busy"), pool_size=1, max_kernels=1)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one (`playwright install` needs the network)."""
    if not CHROMIUM.exists():  # `make test` installs it: a missing browser is a failure
        pytest.fail("Debian's chromium is not installed at /usr/bin/chromium")
    args = ["--headless=new", "--no-sandbox", "--disable-gpu"]
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}
