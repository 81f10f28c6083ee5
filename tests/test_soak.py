"""`scripts/soak` runs: a few seconds of it, in its own process, print its table (it never asserts itself)."""

from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def test_soak_runs_for_a_few_seconds() -> None:
    """Rows with RSS, descriptors and latencies, then the summary; no report lost or wrong on a short run."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--seconds", "4", "--interval", "2"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [
        line.split()
        for line in done.stdout.splitlines()
        if re.fullmatch(r"\s*\d+(\s+[-\d.]+){13}", line)
    ]
    assert len(rows) == 2
    for row in rows:
        assert float(row[1]) > 0  # RSS MiB
        assert int(row[2]) > 0  # descriptors
        assert int(row[3]) > 0  # commands
        assert (row[6], row[7], row[8]) == ("0", "0", "0")  # lost, wrong, HTTP failures
    assert re.search(r"lost 0, wrong 0", done.stdout)
