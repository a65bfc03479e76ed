"""A real local CKAN for the integration tier, started through `odata portal up`'s own code.

The tests' instance ("test": own port, databases, Redis and token) never touches the demo's.
It is stopped at the end of the session by PID, like `odata portal down`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ckanapi
import pytest

from odata.config import Settings, load_settings
from odata.portal import Instance, portal_down, portal_up

if TYPE_CHECKING:
    from .proxy import FaultProxy

from ..conftest import REPO


@dataclass(frozen=True)
class Portal:
    """A running portal: where it answers and a sysadmin token for it."""

    url: str
    token: str
    settings: Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def portal_settings(instance: str, port: int, **local: object) -> Settings:
    """Settings for a local portal instance of the tests' own."""
    return load_settings(
        REPO / "odata.toml",
        environ={},
        overrides={
            "portal": {
                "url": f"http://127.0.0.1:{port}",
                "organization": "odata-test",
                "local": {"instance": instance, "port": port, **local},
            }
        },
    )


@pytest.fixture(scope="session")
def portal() -> Iterator[Portal]:
    settings = portal_settings("test", free_port())
    status = portal_up(settings)
    token = Instance(settings).token_file.read_text().strip()
    try:
        yield Portal(url=status.url, token=token, settings=settings)
    finally:
        portal_down(settings)


@pytest.fixture(scope="session")
def ckan(portal: Portal) -> ckanapi.RemoteCKAN:
    """The portal's API as its sysadmin."""
    return ckanapi.RemoteCKAN(portal.url, apikey=portal.token, user_agent="odata-tests")


@pytest.fixture(scope="session")
def anonymous(portal: Portal) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(portal.url, user_agent="odata-tests")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is in the integration tier."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def release(brief_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small release ``f1`` of small.py."""
    from .small import cut_release

    return cut_release(brief_release, tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session")
def proxy(portal: Portal) -> Iterator[FaultProxy]:
    """The fault-injection proxy in front of the test portal (no fault until a test asks)."""
    from .proxy import FaultProxy

    with FaultProxy(portal.url) as running:
        yield running
