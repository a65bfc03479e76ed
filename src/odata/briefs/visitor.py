"""A visitor without a browser: the Jupyter messages ipywidgets' front end sends a kernel.

`make bench` uses it to bring 10–20 visitors to the server at once (browsers would measure
the 2 cores, not the server), and the browser tier uses it to send the kernel widget messages
no honest page would (forged values must fall back to defaults, never break the page).
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import uuid
from typing import Any

__all__ = ["WidgetClient", "decode", "has_chart", "jupyter_message"]


def jupyter_message(
    msg_type: str, content: dict[str, Any], session: str, metadata: dict[str, Any] | None = None
) -> str:
    """One shell-channel message in the websocket's JSON form."""
    header = {
        "msg_id": uuid.uuid4().hex,
        "username": "visitor",
        "session": session,
        "msg_type": msg_type,
        "version": "5.3",
        "date": "",
    }
    message = {
        "header": header,
        "parent_header": {},
        "metadata": metadata or {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }
    return json.dumps(message)


def decode(raw: str | bytes) -> dict[str, Any]:
    """A kernel websocket message, text or binary (JSON part first, then buffers)."""
    if isinstance(raw, str):
        return dict(json.loads(raw))
    count = struct.unpack("!I", raw[:4])[0]
    offsets = [*struct.unpack("!" + "I" * count, raw[4 : 4 * (count + 1)]), len(raw)]
    return dict(json.loads(raw[offsets[0] : offsets[1]].decode("utf-8")))


def has_chart(states: dict[str, Any]) -> bool:
    """Whether any HTML widget of ``states`` holds a drawn chart."""
    for model in states.values():
        value = model.get("state", {}).get("value")
        if isinstance(value, str) and "<svg" in value:
            return True
    return False


class WidgetClient:
    """The kernel socket of one live page, spoken to as ipywidgets' manager does."""

    def __init__(self, base_url: str, kernel: str) -> None:
        self.url = base_url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
        self.session = uuid.uuid4().hex
        self.comm = uuid.uuid4().hex
        self.socket: Any = None

    async def connect(self, timeout: float = 60) -> None:
        from tornado import httpclient, websocket

        request = httpclient.HTTPRequest(
            f"{self.url}?session_id={self.session}", connect_timeout=timeout
        )
        self.socket = await websocket.websocket_connect(request, max_message_size=256 << 20)
        opened = {"comm_id": self.comm, "target_name": "jupyter.widget.control", "data": {}}
        await self.send("comm_open", opened, {"version": "1.0.0"})

    async def send(
        self, msg_type: str, content: dict[str, Any], metadata: dict[str, Any] | None = None
    ) -> None:
        await self.socket.write_message(jupyter_message(msg_type, content, self.session, metadata))

    async def states(self, timeout: float = 60) -> dict[str, Any]:
        """Every widget's state, as the front end asks for it when a page opens."""
        await self.send("comm_msg", {"comm_id": self.comm, "data": {"method": "request_states"}})
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(self.socket.read_message(), deadline - time.monotonic())
            if raw is None:
                raise ConnectionError("the kernel socket closed")
            message = decode(raw)
            data = message.get("content", {}).get("data", {})
            if message.get("msg_type") == "comm_msg" and data.get("method") == "update_states":
                return dict(data.get("states", {}))

    async def update(self, model: str, state: dict[str, Any]) -> None:
        """Set a widget's state from the "browser" (what a select or a button does)."""
        content = {"comm_id": model, "data": {"method": "update", "state": state,
                                               "buffer_paths": []}}  # fmt: skip
        await self.send("comm_msg", content)

    async def close(self, timeout: float = 10) -> None:
        """Close the socket and wait until it is closed: one still open when the caller's event
        loop ends is left to the garbage collector (pytest reported it at a later test, once
        tornado dropped the closed loop that still held it)."""
        if self.socket is None:
            return
        self.socket.close()
        deadline = time.monotonic() + timeout
        try:
            while await asyncio.wait_for(self.socket.read_message(), deadline - time.monotonic()):
                pass  # messages that were on their way; None once the server has closed too
        except TimeoutError:
            stream = getattr(self.socket, "stream", None)
            if stream is not None:
                stream.close()
