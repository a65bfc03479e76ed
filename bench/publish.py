"""Publishing speed on the local portal: the demo release from scratch, then unchanged.

    .venv/bin/python bench/publish.py

Uses the demo's local portal (`odata portal up`, started if needed) and the release of
odata.toml (built if missing, as `make demo` does). Purges that release's datasets first so
the first run starts from scratch. Prints seconds, write calls, DataStore rows per second
against the measured anchor (notes/ckan.md: ~2,000 rows/s insert on CKAN 2.11.6), and the
unchanged re-run against the ≤ 5 s target. Nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import csv
import sys
import time

import ckanapi

from odata.build import build_release, releases_dir
from odata.config import load_settings
from odata.portal import portal_up
from odata.publish import publish_release
from odata.publish.mapping import datasets_of_release

ANCHOR_ROWS_PER_S = 2_000
TARGET_UNCHANGED_S = 5.0


def main() -> int:
    settings = load_settings()
    portal_up(settings)
    settings = load_settings()  # picks up the portal's token file
    release = settings.release.id
    if not (releases_dir(settings) / release).is_dir():
        build_release(settings, create_key=True)
    folder = releases_dir(settings) / release
    assert settings.ckan_token is not None
    ckan = ckanapi.RemoteCKAN(settings.portal.url, apikey=settings.ckan_token.reveal())
    specs = datasets_of_release(folder, settings)
    for spec in specs:
        with contextlib.suppress(ckanapi.NotFound):
            ckan.action.dataset_purge(id=spec.name)
    rows = sum(_rows(r.path) for spec in specs for r in spec.resources if r.datastore)
    start = time.perf_counter()
    first = publish_release(settings, release)
    scratch = time.perf_counter() - start
    start = time.perf_counter()
    again = publish_release(settings, release)
    unchanged = time.perf_counter() - start
    print(f"publish · release {release} · {len(specs)} datasets, {rows:,} DataStore rows")
    print(
        f"  from scratch {scratch:.1f} s, {first.writes} write calls; "
        f"{rows / scratch:,.0f} rows/s overall = {rows / scratch / ANCHOR_ROWS_PER_S:.2f} × "
        f"the DataStore insert anchor ({ANCHOR_ROWS_PER_S:,} rows/s, uploads and checks included)"
    )
    print(
        f"  unchanged re-run {unchanged:.1f} s = {unchanged / TARGET_UNCHANGED_S:.2f} × the "
        f"{TARGET_UNCHANGED_S:.0f} s target, {again.writes} write calls"
    )
    return 0


def _rows(path: object) -> int:
    with open(str(path), encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


if __name__ == "__main__":
    sys.exit(main())
