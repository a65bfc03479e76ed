"""The committed code lists are exactly what the build script makes from the registry packages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import REPO


@pytest.mark.slow
def test_committed_code_lists_match_a_fresh_build() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "odata.reference.build", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
