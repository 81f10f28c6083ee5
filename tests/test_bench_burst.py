"""The burst benchmark (`scripts/bench burst`) runs to its end: it waits for the states a burst sets, not for a count.

Opening and closing the contact also moves energy counters, by amounts that depend on timing; a benchmark that
waited for as many changed states as its warm-up saw timed out. It prints its figures; what they are is not
checked here (performance is `scripts/bench`'s business).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
import subprocess
import sys

from custom_components.homeworks_qsx.qsx.const import (
    MAX_CCI_GROUP_SIZE,
    ZONES_PER_MODULE,
)

ROOT = Path(__file__).resolve().parents[1]
# Per module of the group: its zones, override input, operating mode, load current and power; and the total power.
STATES_SET = MAX_CCI_GROUP_SIZE * (ZONES_PER_MODULE + 4) + 1


def test_burst_benchmark_waits_for_the_states_a_burst_sets(tmp_path: Path) -> None:
    """Both backends and the floor measured; each row counts the states the burst sets, whatever else changed."""
    results = tmp_path / "burst.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_burst",
            "--bursts",
            "4",
            "--json",
            str(results),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(results.read_text(encoding="utf-8"))
    assert [row["figure"] for row in rows] == [
        f"32-module CCI opens: {STATES_SET} states set, {backend}"
        for backend in ("emulated", "live")
    ]
    for row in rows:
        assert row["ours"] is not None
        assert math.isfinite(row["ours"])
        assert row["ours"] > 0
        assert row["reference"] > 0
