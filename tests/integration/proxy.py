"""A fault-injection proxy in front of the real portal: it counts the write calls that reach
CKAN and, on chosen calls, answers 503, delays, or drops the connection before or after
forwarding (the last one loses an answer to a call that did happen).

Counting here, outside odata's client, is what proves an unchanged re-run writes nothing.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

READS = re.compile(r"_(show|list|search|info|list_for_user)$")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}

Kind = Literal["503", "delay", "drop-before", "drop-after"]


@dataclass(frozen=True)
class Fault:
    """What to do to the ``nth`` (1-based) call of ``action`` ("*" for any write call)."""

    action: str
    nth: int
    kind: Kind
    seconds: float = 0.0


@dataclass
class Traffic:
    """What went through: write calls that reached the portal, and faults injected."""

    writes: Counter[str] = field(default_factory=Counter)
    injected: list[tuple[str, Kind]] = field(default_factory=list)

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that forwards to ``upstream`` (the portal's URL)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.traffic = Traffic()
        #: called with (write number, action) before a write is forwarded: a hook to kill the
        #: portal or revoke a token between two calls
        self.before_write: Callable[[int, str], None] | None = None
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, *faults: Fault) -> None:
        with self._lock:
            self.faults = list(faults)
            self.traffic = Traffic()
            self._seen = Counter()

    def _decide(self, action: str | None) -> tuple[Fault | None, int]:
        """The fault for this call, if any, and its number among writes (0 for a read)."""
        if action is None or READS.search(action):
            return None, 0
        with self._lock:
            self._seen[action] += 1
            self._seen["*"] += 1
            counts = {action: self._seen[action], "*": self._seen["*"]}
            fault = next(
                (f for f in self.faults if counts.get(f.action) == f.nth),
                None,
            )
            if fault:
                self.traffic.injected.append((action, fault.kind))
            return fault, self._seen["*"]

    def _forwarded(self, action: str | None) -> None:
        if action is not None and not READS.search(action):
            with self._lock:
                self.traffic.writes[action] += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

            def _relay(self) -> None:
                found = re.search(r"/api/(?:\d+/)?action/(\w+)", self.path)
                action = found.group(1) if found else None
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault, number = proxy._decide(action)
                if number and proxy.before_write:
                    proxy.before_write(number, action or "")
                if fault and fault.kind == "503":
                    self._answer(503, b'{"success": false}', {"Content-Type": "application/json"})
                    return
                if fault and fault.kind == "drop-before":
                    self._drop()
                    return
                if fault and fault.kind == "delay":
                    time.sleep(fault.seconds)
                try:
                    status, headers, data = self._forward(body)
                except OSError:  # the portal itself is down: the client sees a dropped call
                    self._drop()
                    return
                proxy._forwarded(action)
                if fault and fault.kind == "drop-after":
                    self._drop()
                    return
                self._answer(status, data, headers)

            def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                up = proxy.upstream
                connection = http.client.HTTPConnection(up.hostname or "", up.port, timeout=300)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = up.netloc
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    kept = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
                    return answer.status, kept, data
                finally:
                    connection.close()

            def _answer(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.close()

        return Handler
