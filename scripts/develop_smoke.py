"""A newcomer's first `scripts/develop`: it starts, greets without an error, and stops on Ctrl+C.

Runs `bash scripts/develop --config DIR --port PORT` (its `scripts/setup` included) on an empty configuration folder,
waits until it says it is ready, then checks that Home Assistant answers on 127.0.0.1:PORT, that no persistent
notification greets the user (such as "Invalid config"), and that the log has no ERROR line; then stops it as Ctrl+C
does. `.ci/run` runs it with the network off (scripts/offline): after one `scripts/setup`, nothing here needs it.

Usage: python -m scripts.develop_smoke [--port 8123]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import signal
import subprocess
import sys
import tempfile
import time

import aiohttp

from .develop import PORT
from .ha_instance import (
    DEVELOPMENT_LOGIN,
    LOOPBACK,
    ROOT,
    HomeAssistantClient,
    HomeAssistantError,
    error_lines,
)

# `scripts/setup` (up to date: a second), Home Assistant's start, onboarding and the example house.
READY_TIMEOUT = 240.0
STOP_TIMEOUT = 60.0
READY = "develop: ready:"


def say(message: str) -> None:
    """Print one line of the check."""
    print(f"develop-smoke: {message}", flush=True)  # noqa: T201


def wait_until_ready(process: subprocess.Popen[bytes], log: Path) -> str | None:
    """Wait for the ready line, at most READY_TIMEOUT seconds; return why not, or None."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if READY in log.read_text(encoding="utf-8", errors="replace"):
            return None
        if (code := process.poll()) is not None:
            return f"scripts/develop exited with code {code} before it was ready"
        time.sleep(0.5)
    return f"scripts/develop was not ready within {READY_TIMEOUT} s"


async def greeting_problems(port: int) -> list[str]:
    """Log in as the developer; return what greets them that should not (notifications), or why that failed."""
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantClient(session, f"http://{LOOPBACK}:{port}")
        try:
            await client.log_in(DEVELOPMENT_LOGIN)
            config = await client.request("GET", "/api/config")
            notifications = await client.websocket(
                {"type": "persistent_notification/get"}
            )
        except (HomeAssistantError, aiohttp.ClientError, TimeoutError) as err:
            return [f"Home Assistant on {LOOPBACK}:{port}: {err}"]
    problems = []
    if config.get("state") != "RUNNING":
        problems.append(f"Home Assistant is {config.get('state')}, not RUNNING")
    problems += [
        f"notification {note.get('title')!r}: {note.get('message')!r}"
        for note in notifications
    ]
    return problems


def stop(process: subprocess.Popen[bytes]) -> str | None:
    """Press Ctrl+C (SIGINT to the process group, as a terminal does); return why it did not stop, or None."""
    if process.poll() is not None:
        return f"scripts/develop had already exited with code {process.returncode}"
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)
        return f"scripts/develop did not stop within {STOP_TIMEOUT} s of Ctrl+C"
    return None


def check(port: int, scratch: Path) -> tuple[list[str], str]:
    """Run the first `scripts/develop` in `scratch`; return what broke and its output."""
    log = scratch / "develop.log"
    with log.open("wb") as develop_output:
        process = subprocess.Popen(  # noqa: S603
            [
                "bash",
                str(ROOT / "scripts" / "develop"),
                "--config",
                str(scratch / "config"),
                "--port",
                str(port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=develop_output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    problems: list[str] = []
    try:
        if not_ready := wait_until_ready(process, log):
            problems.append(not_ready)
        else:
            problems += asyncio.run(greeting_problems(port))
    finally:
        running = log.read_text(encoding="utf-8", errors="replace")
        if not_stopped := stop(process):
            problems.append(not_stopped)
    problems += [f"logged: {line}" for line in error_lines(running)]
    output = log.read_text(encoding="utf-8", errors="replace")
    # Stopping cancels what is still starting (offline, Radio Browser retries its server): said, not counted.
    for line in error_lines(output[len(running) :]):
        say(f"while stopping: {line}")
    return problems, output


def main() -> int:
    """Run the check; print the output of `scripts/develop` when something breaks."""
    parser = argparse.ArgumentParser(prog="python -m scripts.develop_smoke")
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="homeworks-develop-") as scratch:
        problems, output = check(args.port, Path(scratch))
    if problems:
        print(output[-20_000:])  # noqa: T201
        for problem in problems:
            say(f"BROKEN: {problem}")
        return 1
    say(f"passed: ready on {LOOPBACK}:{args.port}, no notification, no ERROR line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
