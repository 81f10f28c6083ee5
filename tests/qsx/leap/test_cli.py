"""The command line's LEAP side: `serve` with LEAP and pairing, `issue-cert`, and their errors."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import re
import signal

from pylutron_caseta.smartbridge import Smartbridge
import pytest

from custom_components.homeworks_qsx.qsx import __main__ as cli
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.leap.client import LeapCertificates, LeapClient
from tests.qsx.serving import WAIT, busy_port, run_serve, start_serve, wait_for

CLI_FILES = ("key", "cert", "ca")
SERVING = re.compile(r"LEAP on [\d.]+:(\d+) \((\w+)\), pairing on [\d.]+:(\d+)")


def test_issue_cert_writes_the_three_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LP21: `issue-cert` creates the CA beside the state, writes lutron_caseta's three files, prints their use."""
    state = tmp_path / "house.json"
    out = tmp_path / "certs"
    assert (
        cli.main(
            ["issue-cert", "--state", str(state), "--out", str(out), "--id", "qsx"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Created the emulator's LEAP certificate authority" in printed
    # lutron_caseta names the files after the host: the example dials the --id unless --host says otherwise.
    assert "Smartbridge.create_tls('qsx'" in printed
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "lutron_caseta-qsx-ca.pem",
        "lutron_caseta-qsx-cert.pem",
        "lutron_caseta-qsx-key.pem",
    ]
    assert (out / "lutron_caseta-qsx-key.pem").stat().st_mode & 0o777 == 0o600
    credentials, created = LeapCredentials.load_or_create(
        LeapCredentials.companion_path(state)
    )
    assert not created
    assert (out / "lutron_caseta-qsx-ca.pem").read_text() == credentials.ca_cert_pem
    assert (
        cli.main(
            [
                "issue-cert",
                "--state",
                str(state),
                "--out",
                str(out),
                "--leap-port",
                "9000",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Created" not in printed
    assert "port=9000" in printed


def test_issue_cert_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged credentials file, or a folder that cannot be made, exits 2 naming the cause."""
    state = tmp_path / "house.json"
    LeapCredentials.companion_path(state).write_text("{broken")
    assert (
        cli.main(["issue-cert", "--state", str(state), "--out", str(tmp_path / "c")])
        == 2
    )
    assert "cannot read the LEAP credentials" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert (
        cli.main(
            [
                "issue-cert",
                "--state",
                str(tmp_path / "s.json"),
                "--out",
                str(blocker / "sub"),
            ]
        )
        == 2
    )
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-lip", "--no-leap"], "nothing to serve"),
        (["--no-lip", "--pairing-window", "-1"], "--pairing-window cannot be negative"),
    ],
)
def test_serve_leap_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Contradictory LEAP options exit 2."""
    assert cli.main(["serve", "--modules", "1", *args]) == 2
    assert message in capsys.readouterr().err


def test_serve_with_damaged_credentials_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A credentials file that cannot be read stops `serve` before it listens."""
    state = tmp_path / "state.json"
    LeapCredentials.companion_path(state).write_text("[]")
    assert cli.main(["serve", "--state", str(state), "--no-lip"]) == 2
    assert "not an object" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--leap-ca", "--state"])
def test_serve_when_the_ca_cannot_be_written_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    """A CA that cannot be written (here its folder is a file) stops `serve` with one `error:` line, no traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["serve", option, str(blocker / "x.json"), "--no-lip"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ")
    assert "cannot write the LEAP credentials" in error
    assert "Traceback" not in error
    assert len(error.splitlines()) == 1


def test_serve_with_a_ca_key_that_is_not_its_certificates_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CA whose key does not match its certificate stops `serve` before it listens (LP4)."""
    state = tmp_path / "state.json"
    good, other = LeapCredentials.generate(), LeapCredentials.generate()
    good_dict = good.to_dict()
    good_dict["ca_key"] = other.ca_key_pem
    LeapCredentials.companion_path(state).write_text(json.dumps(good_dict))
    assert cli.main(["serve", "--state", str(state), "--no-lip"]) == 2
    assert "the CA's key does not match" in capsys.readouterr().err


async def test_serve_leap_only_with_issued_certificate(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --no-lip` with LEAP and pairing on free ports; a certificate from `issue-cert` logs pylutron-caseta in."""
    state = tmp_path / "state.json"
    issue = ["issue-cert", "--state", str(state), "--out", str(tmp_path), "--id", "t"]
    assert await cli.issue_cert(cli.build_parser().parse_args(issue)) == 0
    task, output = await start_serve(
        [
            "serve",
            "--modules",
            "2",
            "--state",
            str(state),
            "--no-lip",
            "--leap-port",
            "0",
            "--pairing-port",
            "0",
            "--pairing-window",
            "60",
            "--leap-profile",
            "anonymous",
        ],
        capsys,
    )
    match = SERVING.search(output)
    assert match, output
    assert match[2] == "anonymous"
    assert "window open 60 s" in output
    assert "LIP on" not in output
    key, cert, ca = (
        str(tmp_path / f"lutron_caseta-t-{kind}.pem") for kind in ("key", "cert", "ca")
    )
    bridge = Smartbridge.create_tls("127.0.0.1", key, cert, ca, port=int(match[1]))
    await asyncio.wait_for(bridge.connect(), WAIT)
    tasks = [bridge._monitor_task, bridge._ping_task]  # noqa: SLF001
    assert len(bridge.get_devices_by_domain("switch")) == 10
    await bridge.close()  # type: ignore[no-untyped-call]
    await asyncio.wait([task for task in tasks if task is not None], timeout=WAIT)
    os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler stops it
    assert await asyncio.wait_for(task, WAIT) == 0
    assert "Stopped." in capsys.readouterr().out


async def test_serve_without_state_warns_and_port_in_use_exits_1(
    socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --state the CA lives for one run (a warning says so); a LEAP port in use exits 1."""
    async with busy_port() as port:
        assert (
            await run_serve(
                [
                    "serve",
                    "--modules",
                    "1",
                    "--no-lip",
                    "--leap-port",
                    str(port),
                    "--pairing-port",
                    "0",
                ]
            )
            == 1
        )
        err = capsys.readouterr().err
        assert "no --state" in err
        assert "cannot listen" in err


async def test_serve_with_its_own_ca_file_saves_no_state(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LP4: `--leap-ca FILE` keeps the CA in its own file: the issued certificate opens LEAP, no state is saved."""
    ca_file = tmp_path / "ca.json"
    out = tmp_path / "certs"
    issue = ["issue-cert", "--leap-ca", str(ca_file), "--out", str(out), "--id", "t"]
    assert await cli.issue_cert(cli.build_parser().parse_args(issue)) == 0
    printed = capsys.readouterr().out
    assert f"authority in {ca_file}" in printed
    assert "serve with the same --leap-ca" in printed
    task, output = await start_serve(
        [
            "serve",
            "--modules",
            "1",
            "--leap-ca",
            str(ca_file),
            "--no-lip",
            "--leap-port",
            "0",
            "--pairing-port",
            "0",
        ],
        capsys,
    )
    match = SERVING.search(output)
    assert match, output
    key, cert, ca = (str(out / f"lutron_caseta-t-{kind}.pem") for kind in CLI_FILES)
    bridge = Smartbridge.create_tls("127.0.0.1", key, cert, ca, port=int(match[1]))
    await asyncio.wait_for(bridge.connect(), WAIT)
    tasks = [bridge._monitor_task, bridge._ping_task]  # noqa: SLF001
    switch = bridge.get_devices_by_domain("switch")[0]
    await bridge.turn_on(switch["device_id"])
    await wait_for(lambda: bridge.is_on(switch["device_id"]))
    await bridge.close()  # type: ignore[no-untyped-call]
    await asyncio.wait([task for task in tasks if task is not None], timeout=WAIT)
    os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler stops it
    assert await asyncio.wait_for(task, WAIT) == 0
    assert "no --state" not in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ca.json", "certs"]


async def test_serve_untagged_pushes_reach_the_client(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LP23: `serve --leap-push-form untagged` pushes as Caséta does; the client follows a change made by another."""
    ca_file = tmp_path / "ca.json"
    issue = [
        "issue-cert",
        "--leap-ca",
        str(ca_file),
        "--out",
        str(tmp_path),
        "--id",
        "t",
    ]
    assert await cli.issue_cert(cli.build_parser().parse_args(issue)) == 0
    task, output = await start_serve(
        [
            "serve",
            "--modules",
            "1",
            "--leap-ca",
            str(ca_file),
            "--no-lip",
            "--leap-port",
            "0",
            "--pairing-port",
            "0",
            "--leap-push-form",
            "untagged",
        ],
        capsys,
    )
    match = re.search(r"LEAP on [\d.]+:(\d+) \(full, untagged pushes\)", output)
    assert match, output
    key, cert, ca = (
        (tmp_path / f"lutron_caseta-t-{kind}.pem").read_text() for kind in CLI_FILES
    )
    certificates = LeapCertificates(key, cert, ca)
    commander, watcher = (
        LeapClient("127.0.0.1", certificates, port=int(match[1])) for _ in range(2)
    )
    await commander.connect()
    await watcher.connect()
    serial = watcher.description.modules[0].serial
    await commander.set_zone(serial, 2, True)
    await wait_for(lambda: watcher.state(serial).zones[1].on)
    # The zone's status, and possibly its area's after it (the client subscribes to areas too, LP43).
    assert watcher.diagnostics()["pushes"] in (1, 2)
    await commander.close()
    await watcher.close()
    os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler stops it
    assert await asyncio.wait_for(task, WAIT) == 0
