"""Waiting on servers in tests: bounded polling, `serve` run in this process, and `serve` run as a process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
import contextlib
from pathlib import Path
import selectors
import signal
import subprocess

import pytest

from custom_components.homeworks_qsx.qsx import __main__ as cli

WAIT = 5.0  # upper bound of any single wait; tests normally finish far sooner


async def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait (bounded) until `predicate()` holds, checking every few milliseconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def start_serve(
    argv: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> tuple[asyncio.Task[int], str]:
    """Run the command line's `serve` (argv after the program name) in this process until it says it serves.

    Returns its task and what it printed so far.
    """
    task = asyncio.create_task(cli.serve(cli.build_parser().parse_args(argv)))
    output = ""

    def serving() -> bool:
        nonlocal output
        output += capsys.readouterr().out
        return "Serving" in output

    await wait_for(serving)
    return task, output


async def run_serve(argv: Sequence[str]) -> int:
    """Run the command line's `serve` (argv after the program name) in this process to its end; its exit status."""
    return await cli.serve(cli.build_parser().parse_args(argv))


@contextlib.asynccontextmanager
async def busy_port() -> AsyncGenerator[int]:
    """Yield a loopback port that is taken (a listener holds it and does nothing)."""
    blocker = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    try:
        yield blocker.sockets[0].getsockname()[1]
    finally:
        blocker.close()
        await blocker.wait_closed()


def read_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """Read one line of the process's output, waiting at most `timeout` seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "no output in time"
    return process.stdout.readline()


@contextlib.asynccontextmanager
async def served_process(
    argv: Sequence[str | Path], cwd: Path | None = None
) -> AsyncGenerator[str]:
    """Run a `serve` command as a process; yield its first line; then stop it with SIGTERM.

    On a clean exit the process must have ended with status 0 and said "Stopped.".
    """
    process = subprocess.Popen(  # noqa: S603, ASYNC220
        [str(arg) for arg in argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    loop = asyncio.get_running_loop()
    try:
        yield await loop.run_in_executor(None, read_line, process)
        process.send_signal(signal.SIGTERM)
        out, err = await loop.run_in_executor(
            None, lambda: process.communicate(timeout=30)
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Stopped." in out
