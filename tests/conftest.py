"""Shared fixtures. Test tiers are markers: `integration` (a real local CKAN) and `browser`
(Voilà in Debian's Chromium) run in `make test`; `make test-fast` runs tests/unit only."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RIFERIMENTI = REPO / "datapackage" / "riferimenti"


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Collect garbage after every test: a socket or file a test left open is then reported
    (as an error, see filterwarnings) at the next test, not wherever the collector happens to
    run (CI found one at an unrelated test four runs in a row: docs/decisions.md)."""
    gc.collect()


@pytest.fixture
def riferimenti_copy(tmp_path: Path) -> Path:
    """A private copy of the riferimenti package that a test may break."""
    target = tmp_path / "riferimenti"
    shutil.copytree(RIFERIMENTI, target)
    return target


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up the developer's own ODATA_* variables."""
    for var in (
        "ODATA_CONFIG",
        "ODATA_RELEASE",
        "ODATA_CKAN_URL",
        "ODATA_CKAN_ORG",
        "ODATA_CKAN_TOKEN",
        "ODATA_PSEUDONYM_KEY",
        "ODATA_SOURCES_DIR",
        "ODATA_STATE_DIR",
        "ODATA_BUILD_DIR",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def brief_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release built from seeded synthetic sources, as `make demo` builds it (scale 5), for
    the briefs' unit and browser tests. Its private state stays in the same temporary root."""
    from odata.build import build_release
    from odata.config import load_settings
    from odata.sources.synthetic import generate

    root = tmp_path_factory.mktemp("brief-release")
    settings = load_settings(
        None,
        environ={"ODATA_PSEUDONYM_KEY": "0123456789abcdef" * 4},
        overrides={
            "paths": {
                "sources": str(root / "sources"),
                "build": str(root / "build"),
                "state": str(root / "state"),
            },
            "release": {"id": "t1"},
        },
    )
    generate(root / "sources", seed=1, scale=5, settings=settings)
    return build_release(settings).path
