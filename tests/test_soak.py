"""`scripts/soak` runs: a few seconds of it, in its own process, print its table (it never asserts itself)."""

from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def soak(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the soak with `arguments` (bounded in time)."""
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", *arguments],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def rows(output: str) -> list[list[list[str]]]:
    """Return the table's rows, each split into its parts: server, LIP, LEAP, abuse."""
    return [
        [part.split() for part in line.split("|")]
        for line in output.splitlines()
        if re.fullmatch(r"\s*\d+(\s+[-\d.]+){6} \|.*\|.*\|.*", line)
    ]


def test_soak_runs_on_both_protocols_for_a_few_seconds() -> None:
    """Rows with RSS, descriptors and each protocol's latencies, then the goals; no report lost or wrong.

    Every address is an option: the server on its own loopback address and free ports, the abuser on another.
    """
    done = soak(
        "--seconds",
        "4",
        "--interval",
        "2",
        "--host",
        "127.0.0.9",
        "--abuser",
        "127.0.0.10",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "on 127.0.0.9 (LIP " in done.stdout
    assert "abuser from 127.0.0.10" in done.stdout
    table = rows(done.stdout)
    assert len(table) == 2, done.stdout
    for server, lip, leap, abuse in table:
        assert float(server[4]) > 0  # RSS MiB
        assert int(server[5]) > 0  # descriptors
        assert int(lip[0]) > 0  # commands
        assert int(leap[0]) > 0
        assert (lip[3], lip[4], lip[5]) == ("0", "0", "0")  # lost, wrong, HTTP failures
        assert (leap[3], leap[4]) == ("0", "0")  # lost, wrong
        # A new LEAP client at the cap waits while the abuser's idle sessions are younger than the eviction age.
        assert leap[5] in {"ok", "wait"}
        assert int(abuse[1]) > 0  # half-open connections
    assert sum(int(abuse[4]) for *_, abuse in table) > 0  # reads pipelined on LEAP
    assert re.search(r"^LIP: .*lost 0, wrong 0 \(goal 0\)", done.stdout, re.MULTILINE)
    assert re.search(r"^LEAP: .*lost 0, wrong 0 \(goal 0\)", done.stdout, re.MULTILINE)
    # Lone surrogates in a tag or a URL, refused and never echoed: no traceback in the server's log.
    assert re.search(
        r"^server: RSS .* MiB .* with 0 tracebacks", done.stdout, re.MULTILINE
    ), done.stdout


def test_soak_refuses_an_abuser_on_the_clients_address() -> None:
    """The abuser's failed logins would delay the clients' own: it must come from an address of its own."""
    done = soak("--seconds", "1", "--client", "127.0.0.3", "--abuser", "127.0.0.3")
    assert done.returncode == 2
    assert "the abuser needs an address of its own" in done.stderr
