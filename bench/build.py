"""`odata build` end to end on generated sources: seconds per stage, against the target.

    .venv/bin/python bench/build.py           # the demo release (seed 1, scale 5: 50k firms)
    .venv/bin/python bench/build.py --full    # and the national register (scale 600: 6M firms)

Target (issue 6): the whole release (ingest, tables, suppression, audit, PII scan) in at most
60 s on 2 cores. Each scale runs in a temporary folder with its own sources, key and state, so
nothing touches the demo. Prints stage timings, suppressed cells, the audit's verdict and the
ratio to the target; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

from odata.build import build_release
from odata.config import Settings, load_settings
from odata.sources.synthetic import generate

TARGET_S = 60.0


def settings_for(root: Path) -> Settings:
    paths = {
        "sources": str(root / "sources"),
        "build": str(root / "build"),
        "state": str(root / "state"),
    }
    return load_settings(
        None,
        environ={"ODATA_PSEUDONYM_KEY": secrets.token_hex(32)},
        overrides={"paths": paths, "release": {"id": "bench"}},
    )


def run(scale: float) -> None:
    with tempfile.TemporaryDirectory(prefix="odata-bench-build-") as tmp:
        root = Path(tmp)
        settings = settings_for(root)
        start = time.perf_counter()
        generate(root / "sources", seed=1, scale=scale, settings=settings)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        result = build_release(settings)
        total = time.perf_counter() - start
    stages = " · ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    suppressed = sum(result.suppressed.values())
    cells = sum(result.rows.values())
    print(f"build · scale {scale:g} ({scale * 10_000:,.0f} firms; sources in {generated:.1f} s)")
    print(f"  {stages}")
    print(
        f"  total {total:.1f} s = {total / TARGET_S:.2f} × the {TARGET_S:.0f} s target · "
        f"{cells:,} cells, {suppressed:,} suppressed · audit "
        f"{'passed' if result.audit.passed else 'FAILED'}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also the 6M-firm register")
    args = parser.parse_args(argv)
    run(5)
    if args.full:
        run(600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
