"""Run every benchmark, each in its own process, and print one table: figure, ours, reference, ratio, goal.

The same rows are written as JSON to ``benchmarks/results/<UTC time>.json`` and ``benchmarks/results/latest.json``.
``scripts/bench`` calls this after ``scripts/setup``; extra arguments select benchmarks by name, for example
``scripts/bench roundtrip startup``. ``--markdown`` also prints the table in Markdown (as in docs/performance.md).

Run from the repository root: ``.venv/bin/python -m benchmarks.run``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.common import ROOT, format_ratio, format_value

# (name, module, extra arguments, what it measures)
BENCHMARKS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("roundtrip", "benchmarks.bench_roundtrip", (), "1 command round trip over LIP"),
    ("startup", "benchmarks.bench_startup", (), "2 start-up of a live connection"),
    ("ha_setup", "benchmarks.bench_ha_setup", (), "3 Home Assistant set-up time"),
    (
        "ha_memory",
        "benchmarks.bench_ha_setup",
        ("--memory",),
        "3 Home Assistant memory",
    ),
    ("burst", "benchmarks.bench_burst", (), "4 burst of 128 zones"),
    ("capacity", "benchmarks.bench_capacity", (), "5 emulator server capacity"),
    ("emulator", "benchmarks.bench_emulator", (), "emulation core alone"),
    (
        "leap",
        "benchmarks.bench_leap",
        (),
        "6 LEAP round trip and pylutron-caseta login",
    ),
    (
        "leap_startup",
        "benchmarks.bench_leap_startup",
        (),
        "7 start-up of a LEAP connection",
    ),
    (
        "ha_leap",
        "benchmarks.bench_ha_leap",
        (),
        "8 Home Assistant set-up of a LEAP entry",
    ),
    (
        "keypad",
        "benchmarks.bench_ha_keypad",
        (),
        "9 keypad press to a Home Assistant event",
    ),
)
RESULTS = ROOT / "benchmarks" / "results"
LIMIT_SECONDS = 300  # a benchmark normally ends within two minutes


def run_one(
    module: str, extra: tuple[str, ...]
) -> tuple[list[dict[str, Any]], float, str]:
    """Run one benchmark; return its rows, its duration and, when it failed, its last output lines."""
    with tempfile.TemporaryDirectory(prefix="qsx-bench-") as folder:
        path = Path(folder) / "rows.json"
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", module, "--json", str(path), *extra],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=LIMIT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [], time.perf_counter() - start, f"timed out after {LIMIT_SECONDS} s"
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not path.exists():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            return [], seconds, f"exit {done.returncode}:\n{tail}"
        rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return rows, seconds, ""


def table(rows: list[dict[str, Any]], markdown: bool) -> str:
    """Format rows as a plain or Markdown table."""
    header = ("figure", "ours", "reference", "ours/ref", "goal", "")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        met = "" if row["met"] is None else ("met" if row["met"] else "MISSED")
        reference = (
            f"{format_value(row['reference'], row['unit'])} {row['reference_name']}"
        )
        lines.append(
            (
                row["figure"],
                format_value(row["ours"], row["unit"]),
                reference.strip() if row["reference"] is not None else "-",
                format_ratio(row["ratio"]),
                row["goal"],
                met,
            )
        )
    if markdown:
        out = ["| " + " | ".join(header[:-1]) + " | met |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [
        max(len(line[i]) for line in (header, *lines)) for i in range(len(header))
    ]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in (header, *lines)
    )


def main() -> int:
    """Run the benchmarks asked for (all by default); exit 1 when one of them failed to run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "names",
        nargs="*",
        help=f"benchmarks to run: {', '.join(b[0] for b in BENCHMARKS)}",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the table in Markdown"
    )
    args = parser.parse_args()
    unknown = set(args.names) - {name for name, *_ in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    print(
        f"Python {platform.python_version()} on {os.cpu_count()} cores; {platform.platform()}",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    durations: dict[str, float] = {}
    for name, module, extra, what in BENCHMARKS:
        if args.names and name not in args.names:
            continue
        print(f"== {what} ({name})", flush=True)
        found, seconds, error = run_one(module, extra)
        durations[name] = round(seconds, 1)
        print(f"   {len(found)} figures in {seconds:.1f} s", flush=True)
        if error:
            failures.append(name)
            print(f"   FAILED: {error}", flush=True)
        rows.extend({**row, "benchmark_name": name} for row in found)
    print()
    print(table(rows, markdown=False))
    if args.markdown:
        print()
        print(table(rows, markdown=True))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "time": stamp,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "durations_s": durations,
        "failed": failures,
        "rows": rows,
    }
    text = json.dumps(document, indent=1)
    (RESULTS / f"{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    missed = [row["figure"] for row in rows if row["met"] is False]
    print(
        f"\n{len(rows)} figures, {len(missed)} goals missed; written to {RESULTS / (stamp + '.json')}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
