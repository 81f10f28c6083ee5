"""The command line `homeworks-qsx serve` (here run as `python -m`): in a subprocess, and in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import os
from pathlib import Path
import re
import signal
import subprocess
import sys

import pytest

from custom_components.homeworks_qsx.qsx import __main__ as cli
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import build_description
from tests.qsx.serving import (
    busy_port,
    run_serve,
    served_process,
    start_serve,
    wait_for,
)

from .conftest import RawSession

ROOT = Path(__file__).resolve().parents[3]
SERVING = re.compile(
    r"LIP on [\d.]+:(\d+), database on http://[\d.]+:(\d+)/DbXmlInfo.xml"
)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the command line to completion."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "custom_components.homeworks_qsx.qsx", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_documents_every_option() -> None:
    """`serve --help` documents every option and exits 0."""
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for option in (
        "--system",
        "--modules",
        "--host",
        "--lip-port",
        "--http-port",
        "--username",
        "--password",
        "--state",
        "--reply-delay-ms",
        "--log-level",
    ):
        assert option in result.stdout


async def test_serve_in_a_subprocess(socket_enabled: None, tmp_path: Path) -> None:
    """The CLI serves examples/house.yaml on ephemeral ports, answers LIP, saves its state at SIGTERM, exits 0."""
    state = tmp_path / "state.json"
    argv = [
        sys.executable,
        "-m",
        "custom_components.homeworks_qsx.qsx",
        "serve",
        "--system",
        "examples/house.yaml",
        "--lip-port",
        "0",
        "--http-port",
        "0",
        "--password",
        "secret",
        "--state",
        str(state),
        "--no-leap",
    ]
    async with served_process(argv, cwd=ROOT) as line:
        match = SERVING.search(line)
        assert match, line
        assert "Maple Street house" in line
        session = await RawSession.open(int(match[1]))
        await session.login("lutron", "secret")
        assert await session.command("?OUTPUT,11,1") == ["~OUTPUT,11,1,0.00"]
        assert (await session.command("#OUTPUT,11,1,100"))[0] == "~OUTPUT,11,1,100.00"
        await session.close()
    restored = Emulator.from_export(json.loads(state.read_text()))
    # The house's timeclock arms a timer on this loop.
    restored.close()
    assert (
        restored.state(restored.description.device_by_integration_id(10).serial)
        .zones[0]
        .on
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--modules", "2"], "a password is required"),
        (
            ["serve", "--modules", "2", "--password", "x", "--reply-delay-ms", "-1"],
            "cannot be negative",
        ),
        (
            ["serve", "--system", "missing.yaml", "--password", "x"],
            "cannot read the file",
        ),
    ],
)
def test_configuration_errors_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A missing password, a bad option value or an unreadable description exits 2 with a message."""
    monkeypatch.delenv("QSX_PASSWORD", raising=False)
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("modules", ["x", "1,2,3", "-1"])
def test_bad_module_counts(modules: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--modules` takes one or two counts."""
    with pytest.raises(SystemExit) as err:
        cli.main(["serve", "--modules", modules, "--password", "x"])
    assert err.value.code == 2
    assert "--modules" in capsys.readouterr().err


def test_unreadable_state_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state file that is not valid JSON is refused."""
    state = tmp_path / "state.json"
    state.write_text("{not json")
    assert cli.main(["serve", "--state", str(state), "--password", "x"]) == 2
    assert "cannot read the state" in capsys.readouterr().err


async def test_port_in_use_exits_1(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """An address that cannot be bound exits 1."""
    async with busy_port() as port:
        assert (
            await run_serve(
                [
                    "serve",
                    "--lip-port",
                    str(port),
                    "--http-port",
                    "0",
                    "--password",
                    "x",
                    "--no-leap",
                ]
            )
            == 1
        )
        assert "cannot listen" in capsys.readouterr().err


@pytest.fixture
async def in_process(
    socket_enabled: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncGenerator[tuple[asyncio.Task[int], int, Path]]:
    """`serve` running in this process with a state file; yields (task, LIP port, state path)."""
    monkeypatch.setattr(cli, "SAVE_DELAY_SECONDS", 0.01)
    state = tmp_path / "state.json"
    state.write_text(json.dumps(Emulator(build_description([1, 1])).export_state()))
    task, output = await start_serve(
        [
            "serve",
            "--state",
            str(state),
            "--lip-port",
            "0",
            "--http-port",
            "0",
            "--password",
            "pw",
            "--reply-delay-ms",
            "1",
            "--no-leap",
        ],
        capsys,
    )
    match = SERVING.search(output)
    assert match
    yield task, int(match[1]), state
    if not task.done():
        task.cancel()
        await asyncio.wait([task])


async def test_serve_in_process_saves_changes(
    in_process: tuple[asyncio.Task[int], int, Path],
) -> None:
    """Changes are saved shortly after they happen, and again at exit; SIGTERM stops the server with status 0."""
    task, port, state = in_process
    session = await RawSession.open(port)
    await session.login("lutron", "pw")
    await session.command("#OUTPUT,11,1,100")

    def saved_on() -> bool:
        data = json.loads(state.read_text())
        return any(module["levels"][0] for module in data["modules"].values())

    await wait_for(saved_on)
    await session.command("#OUTPUT,11,1,0")
    await session.close()
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 0
    assert not saved_on()


async def test_save_failure_is_logged(
    in_process: tuple[asyncio.Task[int], int, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A state file that cannot be written is logged; serving goes on."""
    task, port, state = in_process
    state.unlink()
    state.mkdir()  # the temporary file can be written, the rename onto a directory fails
    session = await RawSession.open(port)
    await session.login("lutron", "pw")
    await session.command("#OUTPUT,11,1,100")
    await wait_for(lambda: "Cannot save the state" in caplog.text)
    await session.close()
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 0
