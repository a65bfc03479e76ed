"""A pre-heated kernel's wait for its visitor: the request Voilà hands over, as environment.

Voilà's own helper (``voila.utils.wait_for_request``) does the same, but importing it imports
the whole ``voila`` package and with it Jupyter Server, jupyter_events and a JSON-schema
grammar built with Lark: measured with py-spy, about 4.5 s of the ~7 s of CPU a pooled kernel
took to start. This module speaks the same small protocol with the same client library
(``websockets``, which Voilà depends on): connect to ``<server>/voila/query/<kernel id>`` and
wait for one JSON message, the visitor's CGI-like variables (``QUERY_STRING``,
``PATH_INFO``...).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Mapping

from websockets.exceptions import ConnectionClosed

__all__ = ["request_info_url", "wait_for_request"]

log = logging.getLogger(__name__)


def request_info_url(env: Mapping[str, str]) -> str | None:
    """Where Voilà will send this kernel's request (None outside a pre-heated kernel)."""
    if env.get("VOILA_PREHEAT", "False") == "False" or not env.get("VOILA_KERNEL_ID"):
        return None
    protocol = env.get("VOILA_WS_PROTOCOL", "ws")
    host = env.get("VOILA_APP_IP", "127.0.0.1")
    port = env.get("VOILA_APP_PORT", "8866")
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{host}:{port}{base}voila/query/{env['VOILA_KERNEL_ID']}"


def wait_for_request() -> None:
    """Block until the visitor's request arrives, then put its variables in ``os.environ``.

    The kernel's own event loop is busy running this cell, so the socket is read from a
    thread with a loop of its own (as Voilà does).
    """
    url = request_info_url(os.environ)
    if url is None:
        return
    received: dict[str, str] = {}

    def receive() -> None:
        loop = asyncio.new_event_loop()
        try:
            received.update(loop.run_until_complete(_receive(url)))
        except (OSError, TimeoutError, ValueError, ConnectionClosed) as error:
            log.warning("no request info from the server: %s", error)
        finally:
            loop.close()

    thread = threading.Thread(target=receive, name="voila-request-info")
    thread.start()
    thread.join()
    os.environ.update(received)


async def _receive(url: str) -> dict[str, str]:
    from websockets.asyncio.client import connect

    # leaving the block closes the socket (closing handshake included) before the loop ends
    async with connect(url, open_timeout=5) as socket:
        message = await socket.recv()
    info = json.loads(message)
    if not isinstance(info, dict):
        raise ValueError("the request info is not an object")
    return {str(key): str(value) for key, value in info.items()}
