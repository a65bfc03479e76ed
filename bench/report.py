"""The Observatory report's build time on the demo release.

    .venv/bin/python bench/report.py

Builds the release of odata.toml if missing (as `make demo` does), then runs `odata report`
twice (the first run also warms the disk cache) and prints each run's seconds and pages.
There is no target in the issue; the figure is printed to watch for regressions.
"""

from __future__ import annotations

import sys

from odata.build import build_release, releases_dir
from odata.config import load_settings
from odata.report.build import build_report


def main() -> int:
    settings = load_settings()
    if not (releases_dir(settings) / settings.release.id).is_dir():
        build_release(settings, create_key=True)
    for run in (1, 2):
        result = build_report(settings)
        print(f"report run {run}: {result.seconds:.1f} s, {result.pages} pages (HTML + PDF)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
