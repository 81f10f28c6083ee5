"""Serving a project of several processors: each on its own bind with its own CA; one cut off and back (LP53, P4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
import json
import logging
import os
from pathlib import Path
import re
import signal
import ssl

from pylutron_caseta.smartbridge import Smartbridge
import pytest
import pytest_socket

from custom_components.homeworks_qsx.qsx import __main__ as cli
from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.serving import (
    PORT_STEP,
    LipLogin,
    LipSettings,
    ProcessorBind,
    ProjectLeap,
    ProjectServers,
    create_project_servers,
    create_servers,
    project_binds,
)
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.lip.protocol import LOGIN_PROMPT

from .house import POOL_HOUSE, house_description, two_processor_house
from .lip.conftest import RawSession
from .serving import WAIT, busy_port, start_serve, wait_for

MAIN = "0A0B0C0D"
MAIN_HOST, POOL_HOST = "127.0.0.2", "127.0.0.3"
USER, PASSWORD = "lutron", "integration"


@pytest.fixture(scope="module")
def credentials() -> dict[str, LeapCredentials]:
    """Return a CA for each processor of the project (LP53: each has its own)."""
    return {MAIN: LeapCredentials.generate(), POOL_HOUSE: LeapCredentials.generate()}


@pytest.fixture
def loopback(socket_enabled: None) -> Iterator[None]:
    """Let the test connect to the processors' own loopback addresses."""
    pytest_socket.socket_allow_hosts([MAIN_HOST, POOL_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def project(
    loopback: None, credentials: dict[str, LeapCredentials]
) -> AsyncGenerator[tuple[Emulator, ProjectServers]]:
    """Serve the two-processor house, each processor on its own loopback address, on free ports."""
    emulator = Emulator(two_processor_house(), scheduler=ManualScheduler())
    binds = project_binds(
        emulator.description,
        ProcessorBind(MAIN_HOST, 0, 0, 0, 0),
        {POOL_HOUSE: POOL_HOST},
    )
    servers = create_project_servers(
        emulator,
        binds,
        lip=LipLogin(USER, PASSWORD),
        leap=ProjectLeap(credentials, Profile.FULL),
    )
    await servers.async_start()
    try:
        yield emulator, servers
    finally:
        await servers.async_stop()


async def lip_session(
    host: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a LIP connection and read its login prompt."""
    reader, writer = await asyncio.open_connection(host, port)
    async with asyncio.timeout(WAIT):
        prompt = await reader.readexactly(len(LOGIN_PROMPT))
    assert prompt.decode() == LOGIN_PROMPT
    return reader, writer


async def leap_session(
    host: str, port: int, credentials: LeapCredentials
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a LEAP connection with a client certificate of `credentials`' CA (the TLS handshake done)."""
    context = credentials.client_context(*credentials.issue_client())
    async with asyncio.timeout(WAIT):
        return await asyncio.open_connection(
            host, port, ssl=context, server_hostname=""
        )


async def ended(reader: asyncio.StreamReader) -> bool:
    """Whether the peer ended the connection (end of stream or a reset), waiting at most `WAIT`."""
    try:
        async with asyncio.timeout(WAIT):
            return await reader.read() == b""
    except ConnectionError, ssl.SSLError:
        return True


async def refused(host: str, port: int) -> bool:
    """Whether a connection to `host`:`port` is refused."""
    try:
        _, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


def close(*writers: asyncio.StreamWriter) -> None:
    """Close client connections."""
    for writer in writers:
        writer.close()


async def test_lp53_each_processor_is_served_on_its_own_bind_with_its_own_ca(
    project: tuple[Emulator, ProjectServers], credentials: dict[str, LeapCredentials]
) -> None:
    """LP53: every processor has its own LIP, HTTP, LEAP and pairing listeners; a CA opens only its processor."""
    _, servers = project
    assert list(servers.processors) == [MAIN, POOL_HOUSE]
    main, pool = servers.processors[MAIN], servers.processors[POOL_HOUSE]
    assert (main.host, pool.host) == (MAIN_HOST, POOL_HOST)
    assert main.leap is not None and pool.leap is not None
    assert pool.leap.credentials is credentials[POOL_HOUSE]
    assert main.leap.credentials is credentials[MAIN]
    assert servers.ports == main.ports | pool.ports
    assert len(pool.ports) == 4
    _, writer = await leap_session(POOL_HOST, pool.leap.port, credentials[POOL_HOUSE])
    close(writer)
    # A client that trusts the first processor's CA does not take the second's certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        await leap_session(POOL_HOST, pool.leap.port, credentials[MAIN])
    diagnostics = servers.diagnostics()
    assert diagnostics[POOL_HOUSE]["processor"] == POOL_HOUSE
    assert diagnostics[POOL_HOUSE]["listening"] is True
    assert "BEGIN" not in repr(diagnostics)  # no key nor certificate


async def test_lp53_a_processor_cut_off_drops_its_sessions_refuses_new_ones_and_returns(
    project: tuple[Emulator, ProjectServers], credentials: dict[str, LeapCredentials]
) -> None:
    """LP53: cut off, a processor's own ports refuse and its sessions end; the other keeps serving; then it returns."""
    emulator, servers = project
    main, pool = servers.processors[MAIN], servers.processors[POOL_HOUSE]
    assert main.lip is not None and main.leap is not None
    assert pool.lip is not None and pool.leap is not None and pool.pairing is not None
    pool_ports = sorted(pool.ports)
    assert pool.lip.http_port is not None
    pool_lip, pool_lip_writer = await lip_session(POOL_HOST, pool.lip.port)
    pool_leap, pool_leap_writer = await leap_session(
        POOL_HOST, pool.leap.port, credentials[POOL_HOUSE]
    )
    main_lip, main_lip_writer = await lip_session(MAIN_HOST, main.lip.port)
    try:
        emulator.simulate(POOL_HOUSE, Fault.PROCESSOR, False)
        await wait_for(lambda: not pool.listening)
        assert await ended(pool_lip)
        assert await ended(pool_leap)
        for port in (pool.leap.port, pool.pairing.port):
            assert await refused(POOL_HOST, port), port
        for port in (pool.lip.port, pool.lip.http_port):  # closed at once
            reader, writer = await asyncio.open_connection(POOL_HOST, port)
            assert await ended(reader), port
            close(writer)
        assert sorted(pool.ports) == pool_ports  # kept for its return
        # The other processor's session goes on, and it takes new ones.
        main_lip_writer.write(f"{USER}\r\n".encode())
        async with asyncio.timeout(WAIT):
            assert b"password" in await main_lip.readuntil(b": ")
        _, writer = await leap_session(MAIN_HOST, main.leap.port, credentials[MAIN])
        close(writer)

        emulator.set_processor_online(POOL_HOUSE, True)
        await wait_for(lambda: pool.listening)
        assert sorted(pool.ports) == pool_ports
        _, writer = await lip_session(POOL_HOST, pool.lip.port)
        _, leap_writer = await leap_session(
            POOL_HOST, pool.leap.port, credentials[POOL_HOUSE]
        )
        close(writer, leap_writer)
        diagnostics = pool.diagnostics()
        assert (diagnostics["cut_offs"], diagnostics["returns"]) == (1, 1)
    finally:
        close(pool_lip_writer, pool_leap_writer, main_lip_writer)


async def test_lp53_quick_changes_end_in_the_processors_last_condition(
    project: tuple[Emulator, ProjectServers],
) -> None:
    """LP53: changes in a row are followed one after the other, ending as the processor is now (no flapping)."""
    emulator, servers = project
    pool = servers.processors[POOL_HOUSE]
    for online in (False, True, False):
        emulator.set_processor_online(POOL_HOUSE, online)
    await wait_for(lambda: not pool.listening)
    await servers.async_stop()  # waits for the changes still being followed
    diagnostics = pool.diagnostics()
    assert (diagnostics["cut_offs"], diagnostics["returns"]) == (1, 0)
    assert not pool.listening


async def test_lp53_servers_of_a_processor_a_restore_removed_raise_nothing(
    loopback: None,
    credentials: dict[str, LeapCredentials],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LP53: a processor a restore dropped is off the network: its servers close and push nothing, raising nothing."""
    emulator = Emulator(two_processor_house(), scheduler=ManualScheduler())
    servers = create_project_servers(
        emulator,
        project_binds(emulator.description, ProcessorBind(MAIN_HOST, 0, 0, 0, None)),
        lip=LipLogin(USER, PASSWORD),
        leap=ProjectLeap(credentials, Profile.FULL),
    )
    await servers.async_start()
    try:
        single = Emulator(house_description(), scheduler=ManualScheduler())
        emulator.restore_state(single.export_state())
        module = emulator.description.modules[0]
        emulator.set_zone(
            module.serial, 1, not emulator.state(module.serial).zones[0].on
        )
        for _ in range(3):  # pushes go out at the loop's next turns
            await asyncio.sleep(0)
        await wait_for(lambda: not servers.processors[POOL_HOUSE].listening)
        pool = servers.processors[POOL_HOUSE].diagnostics()
        assert pool["lip"]["on_network"] is False
        assert pool["leap"]["orphaned_pushes"] >= 1
        assert servers.processors[MAIN].diagnostics()["leap"]["orphaned_pushes"] == 0
    finally:
        await servers.async_stop()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_lp53_a_processor_cut_off_before_serving_starts_closed(
    loopback: None, credentials: dict[str, LeapCredentials]
) -> None:
    """LP53: a processor already cut off (a restored state) binds its ports once, then waits closed for its return."""
    emulator = Emulator(two_processor_house(), scheduler=ManualScheduler())
    emulator.set_processor_online(POOL_HOUSE, False)
    servers = create_project_servers(
        emulator,
        project_binds(emulator.description, ProcessorBind(MAIN_HOST, 0, 0, 0, None)),
        lip=None,
        leap=ProjectLeap(credentials, Profile.FULL),
    )
    await servers.async_start()
    try:
        pool = servers.processors[POOL_HOUSE]
        assert not pool.listening
        assert pool.leap is not None
        assert await refused(MAIN_HOST, pool.leap.port)
        emulator.set_processor_online(POOL_HOUSE, True)
        await wait_for(lambda: pool.listening)
        assert not await refused(MAIN_HOST, pool.leap.port)
        await servers.async_start()  # started already: nothing changes
        assert pool.listening
        emulator.set_processor_online(POOL_HOUSE, False)
        await servers.async_stop()  # at once: the change is not followed any more
        assert pool.diagnostics()["cut_offs"] == 0
    finally:
        await servers.async_stop()


async def test_lp53_a_port_taken_while_cut_off_is_logged_and_tried_again(
    project: tuple[Emulator, ProjectServers], caplog: pytest.LogCaptureFixture
) -> None:
    """LP53: a processor back whose port was taken stays unreachable, says why, and listens at its next return."""
    emulator, servers = project
    pool = servers.processors[POOL_HOUSE]
    assert pool.leap is not None
    port = pool.leap.port
    emulator.set_processor_online(POOL_HOUSE, False)
    await wait_for(lambda: not pool.listening)
    blocker = await asyncio.start_server(lambda _r, _w: None, POOL_HOST, port)
    try:
        with caplog.at_level(logging.ERROR):
            emulator.set_processor_online(POOL_HOUSE, True)
            await wait_for(lambda: pool.diagnostics()["failed_returns"] == 1)
        assert not pool.listening
        assert f"Processor {POOL_HOUSE} is back but cannot listen" in caplog.text
    finally:
        blocker.close()
        await blocker.wait_closed()
    emulator.set_processor_online(POOL_HOUSE, False)
    emulator.set_processor_online(POOL_HOUSE, True)
    await wait_for(lambda: pool.listening)
    assert pool.leap.port == port


async def test_a_project_that_cannot_bind_closes_every_processor(
    loopback: None, credentials: dict[str, LeapCredentials]
) -> None:
    """P4: a port of the second processor already taken: `OSError`, and the first's ports are free again."""
    emulator = Emulator(two_processor_house(), scheduler=ManualScheduler())
    async with busy_port() as taken:
        binds = project_binds(
            emulator.description, ProcessorBind("127.0.0.1", 0, 0, 0, None)
        )
        binds[POOL_HOUSE] = ProcessorBind("127.0.0.1", 0, 0, taken, None)
        servers = create_project_servers(
            emulator,
            binds,
            lip=LipLogin(USER, PASSWORD),
            leap=ProjectLeap(credentials, Profile.FULL),
        )
        with pytest.raises(OSError, match=str(taken)):
            await servers.async_start()
    first = servers.processors[MAIN]
    assert not first.listening
    assert first.leap is not None
    assert await refused("127.0.0.1", first.leap.port)


def test_p4_default_binds_move_the_other_processors_ports_or_give_them_an_address() -> (
    None
):
    """P4: on the first's address, another processor's ports are moved by `PORT_STEP` per place; on its own, kept."""
    description = two_processor_house()
    first = ProcessorBind("127.0.0.1", 8081, 8083, 2323, 8080)
    binds = project_binds(description, first)
    assert binds == {
        MAIN: first,
        POOL_HOUSE: ProcessorBind(
            "127.0.0.1",
            8081 + PORT_STEP,
            8083 + PORT_STEP,
            2323 + PORT_STEP,
            8080 + PORT_STEP,
        ),
    }
    assert project_binds(description, ProcessorBind("127.0.0.1", 0, 0, 0, None))[
        POOL_HOUSE
    ] == ProcessorBind("127.0.0.1", 0, 0, 0, None)
    own = project_binds(description, first, {POOL_HOUSE.lower(): "127.0.0.3"})
    assert own[POOL_HOUSE] == ProcessorBind("127.0.0.3", 8081, 8083, 2323, 8080)
    with pytest.raises(UnknownObjectError):
        project_binds(description, first, {"FFFFFFFF": "127.0.0.4"})


def test_project_servers_refuse_what_cannot_be_served(
    credentials: dict[str, LeapCredentials],
) -> None:
    """A processor without a CA, a serial outside the project, or nothing to serve is refused before listening."""
    emulator = Emulator(two_processor_house(), scheduler=ManualScheduler())
    binds = project_binds(emulator.description, ProcessorBind())
    with pytest.raises(ValueError, match=f"processor {POOL_HOUSE} has no LEAP CA"):
        create_project_servers(
            emulator,
            binds,
            lip=None,
            leap=ProjectLeap({MAIN: credentials[MAIN]}, Profile.FULL),
        )
    with pytest.raises(UnknownObjectError):
        create_project_servers(
            emulator,
            {"FFFFFFFF": ProcessorBind()},
            lip=LipLogin(USER, PASSWORD),
            leap=None,
        )
    with pytest.raises(ValueError, match="at least one processor"):
        create_project_servers(emulator, {}, lip=LipLogin(USER, PASSWORD), leap=None)
    with pytest.raises(UnknownObjectError):
        create_servers(
            emulator,
            "127.0.0.1",
            lip=LipSettings(0, None, USER, PASSWORD),
            leap=None,
            this_processor="FFFFFFFF",
        )
    only_second = create_project_servers(
        emulator,
        {POOL_HOUSE: ProcessorBind()},
        lip=LipLogin(USER, PASSWORD),
        leap=None,
    )
    assert only_second.first.processor == POOL_HOUSE


PROJECT = Path(__file__).parents[2] / "examples" / "project.yaml"
POOL = "504F4F4C"  # the example project's second processor
OTHER = re.compile(
    rf"Processor {POOL}(?P<cut> \(cut off the network\))?: LIP on 127\.0\.0\.3:\d+, "
    r"database on http://127\.0\.0\.3:\d+/DbXmlInfo\.xml; "
    r"LEAP on 127\.0\.0\.3:(?P<leap>\d+) \(full\), pairing on 127\.0\.0\.3:(?P<pairing>\d+)"
)
FIRST_LIP = re.compile(
    r"Serving .*\(\d+ modules, 2 processors\): LIP on 127\.0\.0\.2:(\d+)"
)


def serve_argv(state: Path) -> list[str]:
    """Return `serve` of the example project: the first processor on MAIN_HOST, the second on POOL_HOST."""
    return [
        "serve",
        "--system",
        str(PROJECT),
        "--state",
        str(state),
        "--password",
        PASSWORD,
        "--host",
        MAIN_HOST,
        "--processor-host",
        f"{POOL}={POOL_HOST}",
        *("--lip-port", "0", "--http-port", "0", "--leap-port", "0"),
        *("--pairing-port", "0"),
    ]


async def test_lp53_serve_serves_every_processor_and_one_is_cut_off_over_lip(
    loopback: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LP53: `serve` serves each processor on its own address with its own CA; one cut off, saved, served cut off."""
    pool_id = load_description(PROJECT).processor_by_serial(POOL).integration_id
    state = tmp_path / "project.json"
    task, output = await start_serve(serve_argv(state), capsys)
    other, first = OTHER.search(output), FIRST_LIP.search(output)
    assert other and first, output
    assert other["cut"] is None
    leap_port = int(other["leap"])
    # A certificate of the second processor's own CA opens its LEAP server.
    out = tmp_path / "certs"
    issue = ["issue-cert", "--state", str(state), "--processor", POOL.lower()]
    issue += ["--out", str(out), "--id", POOL_HOST]
    assert await cli.issue_cert(cli.build_parser().parse_args(issue)) == 0
    key, cert, ca = (
        str(out / f"lutron_caseta-{POOL_HOST}-{kind}.pem")
        for kind in ("key", "cert", "ca")
    )
    bridge = Smartbridge.create_tls(POOL_HOST, key, cert, ca, port=leap_port)
    await asyncio.wait_for(bridge.connect(), WAIT)
    assert bridge.get_devices_by_domain(
        "switch"
    )  # the whole project, from the second processor
    await bridge.close()  # type: ignore[no-untyped-call]
    # Cut off through the first processor's LIP: the second's LEAP port refuses.
    session = await RawSession.open(int(first[1]), MAIN_HOST)
    await session.login(USER, PASSWORD)
    await session.command(f"#EMULATOR,{pool_id},NETWORK,DOWN")
    async with asyncio.timeout(WAIT):
        while not await refused(POOL_HOST, leap_port):
            await asyncio.sleep(0.01)
    await session.close()
    os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler stops it
    assert await asyncio.wait_for(task, WAIT) == 0
    assert json.loads(state.read_text())["offline_processors"] == [POOL]
    # Served again from its state: the second processor starts cut off, its LEAP port refused; the pairing
    # window opens on the processors on the network only.
    task, output = await start_serve(
        [*serve_argv(state), "--pairing-window", "30"], capsys
    )
    other = OTHER.search(output)
    assert other and other["cut"], output
    assert await refused(POOL_HOST, int(other["leap"]))
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, WAIT) == 0


def test_issue_cert_for_a_processor_needs_its_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """LP53: `issue-cert --processor` before the project was served, or for a processor without a CA, exits 2."""
    ca = tmp_path / "ca.json"
    argv = ["issue-cert", "--leap-ca", str(ca), "--out", str(tmp_path / "out")]
    assert cli.main([*argv, "--processor", POOL]) == 2
    assert "serve the project once" in capsys.readouterr().err
    assert cli.main(argv) == 0  # the first processor's CA, made now
    assert cli.main([*argv, "--processor", POOL]) == 2
    assert f"holds no CA of processor {POOL!r}" in capsys.readouterr().err
    ca.write_text("[]")
    assert cli.main([*argv, "--processor", POOL]) == 2
    ca.write_text("{broken")
    assert cli.main([*argv, "--processor", POOL]) == 2
    assert "cannot read the LEAP credentials" in capsys.readouterr().err


def test_processor_host_takes_serial_and_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--processor-host` is SERIAL=ADDRESS; anything else is a usage error."""
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["serve", "--processor-host", "127.0.0.3"])
    assert "is not SERIAL=ADDRESS" in capsys.readouterr().err
