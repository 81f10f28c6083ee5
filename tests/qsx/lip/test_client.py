"""The LIP client against the real server on 127.0.0.1, and against scripted processors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from dataclasses import replace
import logging
import socket
import struct
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.homeworks_qsx.qsx.const import (
    Button,
    Fault,
    IgnoredReason,
    LedState,
    OperatingMode,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import new_module
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    InvalidDatabaseError,
    NotSupportedError,
    QsxError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip import client as client_module
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.model import DeviceDescription, DeviceState
from tests.qsx.serving import wait_for

from .conftest import (
    BARRIER_ANSWER,
    FAST,
    PASSWORD,
    USER,
    FakeProcessor,
    answer_barriers,
)


def same_state(live: DeviceState, emulated: DeviceState) -> bool:
    """Everything a live processor can tell matches (relay counts, temperature and bypass cannot be told)."""
    return (
        [zone.on for zone in live.zones] == [zone.on for zone in emulated.zones]
        and (
            live.cci_open,
            live.override_active,
            live.cco_closed,
            live.powered,
            live.link_up,
        )
        == (
            emulated.cci_open,
            emulated.override_active,
            emulated.cco_closed,
            emulated.powered,
            emulated.link_up,
        )
        and (live.program_mode, live.zone_leds, live.prog_led, live.mode)
        == (emulated.program_mode, emulated.zone_leds, emulated.prog_led, emulated.mode)
    )


def in_sync(client: LipClient, emulator: Emulator) -> bool:
    """Tell whether the client's model matches the emulator, module by module."""
    return client.description == emulator.description and all(
        same_state(client.state(module.serial), emulator.state(module.serial))
        for module in emulator.description.modules
    )


def make_client(
    server: LipServer, session: aiohttp.ClientSession, **options: Any
) -> LipClient:
    """Return a client of `server` with fast timings."""
    return LipClient(
        "127.0.0.1",
        server.port,
        options.pop("username", USER),
        options.pop("password", PASSWORD),
        session=session,
        http_port=options.pop("http_port", server.http_port),
        timings=replace(FAST, **options),
    )


@pytest.fixture
def module(emulator: Emulator) -> DeviceDescription:
    """Return the first module (maintained CCO, CCI group `emergency`)."""
    return emulator.description.modules[0]


@pytest.fixture
def momentary(emulator: Emulator) -> DeviceDescription:
    """Return the second module (momentary CCO)."""
    return emulator.description.modules[1]


async def test_connect_reads_database_and_states(
    server: LipServer,
    emulator: Emulator,
    http_session: aiohttp.ClientSession,
    module: DeviceDescription,
) -> None:
    """The client rebuilds the exact description and every state; what a live system cannot tell is None."""
    emulator.set_zone(module.serial, 2, True)
    emulator.set_cci(emulator.description.modules[2].serial, True)
    emulator.set_link(module.serial, False)
    client = make_client(server, http_session)
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    await client.connect()
    assert client.connected
    assert changes == [True]
    assert in_sync(client, emulator)
    state = client.state(module.serial)
    assert [zone.relay_operations for zone in state.zones] == [None] * 4
    assert state.temperature_c is None
    diagnostics = client.diagnostics()
    assert diagnostics["connected"] is True
    assert diagnostics["modules"] == 3
    assert diagnostics["connects"] == 1
    assert "password" not in str(diagnostics).lower()
    assert PASSWORD not in str(diagnostics)
    with pytest.raises(QsxError, match="Already connected"):
        await client.connect()
    await client.close()
    assert changes == [True, False]
    assert not client.connected
    await client.close()
    assert client.diagnostics()["connected_for_s"] is None


async def test_bad_credentials(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """Bad credentials are `AuthenticationError`, distinct from a connection failure."""
    client = make_client(server, http_session, password="wrong")
    with pytest.raises(AuthenticationError):
        await client.connect()
    assert not client.connected
    client = make_client(server, http_session, username="nobody")
    with pytest.raises(AuthenticationError):
        await client.connect()


async def test_authentication_error_when_closed_after_bad_login(
    fake: FakeProcessor, server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """A processor that answers `bad login` and hangs up is an authentication error too."""

    class Refusing(FakeProcessor):
        async def _serve(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            writer.write(b"login: ")
            await reader.readline()
            writer.write(b"password: ")
            await reader.readline()
            writer.write(b"bad login\r\n")
            writer.close()

    refusing = Refusing()
    await refusing.start()
    client = LipClient(
        "127.0.0.1",
        refusing.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    with pytest.raises(AuthenticationError):
        await client.connect()
    await refusing.stop()


async def test_cannot_connect(
    http_session: aiohttp.ClientSession, server: LipServer
) -> None:
    """Nothing listening is `ConnectionFailedError`."""
    port = server.port
    await server.stop()
    client = LipClient(
        "127.0.0.1", port, USER, PASSWORD, session=http_session, timings=FAST
    )
    with pytest.raises(ConnectionFailedError, match="Cannot connect"):
        await client.connect()


async def test_login_timeout(
    http_session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """A peer that never shows the login prompt fails the connection in time."""
    silent = FakeProcessor(greet=False)
    await silent.start()
    client = LipClient(
        "127.0.0.1",
        silent.port,
        USER,
        PASSWORD,
        session=http_session,
        timings=replace(FAST, connect_timeout=0.05),
    )
    with pytest.raises(ConnectionFailedError, match="did not complete the login"):
        await client.connect()
    await silent.stop()


async def test_session_limit_refusal(
    emulator: Emulator, socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    """A processor that refuses the session (too many) is a connection failure that says why."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0, max_sessions=1
    )
    await server.start()
    first = make_client(server, http_session)
    await first.connect()
    second = make_client(server, http_session)
    with pytest.raises(ConnectionFailedError, match="Too many sessions"):
        await second.connect()
    await first.close()
    await server.stop()


@pytest.fixture
async def http_app(
    socket_enabled: None,
) -> AsyncGenerator[tuple[web.AppRunner, dict[str, bytes | int]]]:
    """Return a tiny HTTP server whose `/DbXmlInfo.xml` answers what the test sets."""
    reply: dict[str, bytes | int] = {"status": 200, "body": b"<Project/>"}

    async def database(request: web.Request) -> web.Response:
        return web.Response(status=int(reply["status"]), body=reply["body"])

    app = web.Application()
    app.router.add_get("/DbXmlInfo.xml", database)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield runner, reply
    await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (404, b"", InvalidDatabaseError, "HTTP 404"),
        (200, b"<Project", InvalidDatabaseError, "not well-formed"),
        (
            200,
            b"<Project>" + b" " * (17 * 1024 * 1024),
            InvalidDatabaseError,
            "larger than",
        ),
    ],
)
async def test_unreadable_database(
    *,
    server: LipServer,
    http_session: aiohttp.ClientSession,
    http_app: tuple[web.AppRunner, dict[str, bytes | int]],
    status: int,
    body: bytes,
    error: type[Exception],
    message: str,
) -> None:
    """An unreadable database is `InvalidDatabaseError`; the LIP session is closed again."""
    runner, reply = http_app
    reply.update(status=status, body=body)
    client = make_client(server, http_session, http_port=runner.addresses[0][1])
    with pytest.raises(error, match=message):
        await client.connect()
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)


async def test_database_port_closed(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """No HTTP server is a connection failure."""
    client = make_client(server, http_session, http_port=server.port + 0)
    with pytest.raises((ConnectionFailedError, InvalidDatabaseError)):
        await client.connect()
    runner_less = LipServer(
        server.emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None
    )
    await runner_less.start()
    port = runner_less.port
    await runner_less.stop()
    client = make_client(server, http_session, http_port=port)
    with pytest.raises(ConnectionFailedError, match="Cannot read"):
        await client.connect()


async def test_zone_commands(
    client: LipClient, emulator: Emulator, module: DeviceDescription
) -> None:
    """A command returns once the processor reported the resulting level."""
    await client.set_zone(module.serial, 3, True)
    assert client.state(module.serial).zones[2].on
    assert emulator.state(module.serial).zones[2].on
    await client.set_zone(module.serial, 3, True)  # already on: still answered
    await client.set_zone(module.serial, 3, False)
    assert not emulator.state(module.serial).zones[2].on
    assert client.state(module.serial).zone_leds[2] is LedState.OFF
    with pytest.raises(UnknownObjectError):
        await client.set_zone(module.serial, 5, True)
    with pytest.raises(UnknownObjectError):
        await client.set_zone("FFFFFFFF", 1, True)


async def test_cco_commands(
    client: LipClient,
    emulator: Emulator,
    module: DeviceDescription,
    momentary: DeviceDescription,
) -> None:
    """Maintained CCO closes and opens; a pulse is seen closing, then opening by itself."""
    await client.set_cco(module.serial, True)
    assert client.state(module.serial).cco_closed
    await client.set_cco(module.serial, False)
    assert not emulator.state(module.serial).cco_closed
    await client.pulse_cco(module.serial, 0.25)
    assert client.state(module.serial).cco_closed
    await wait_for(lambda: not client.state(module.serial).cco_closed)
    await client.pulse_cco(momentary.serial)
    assert client.state(momentary.serial).cco_closed
    await wait_for(lambda: not client.state(momentary.serial).cco_closed)
    await client.set_cco(momentary.serial, True)  # momentary: closing pulses
    await wait_for(lambda: not client.state(momentary.serial).cco_closed)
    with pytest.raises(ValueError, match="pulse lasts"):
        await client.pulse_cco(module.serial, 0.1)


async def test_buttons(
    client: LipClient, emulator: Emulator, module: DeviceDescription
) -> None:
    """A press toggles its zone (Prog: all four) and is published as a BUTTON event."""
    events: list[Event] = []
    client.events.subscribe(events.append)
    await client.press_button(module.serial, Button.ZONE_2)
    assert client.state(module.serial).zones[1].on
    await client.press_button(module.serial, Button.PROG)
    assert not any(zone.on for zone in client.state(module.serial).zones)
    assert [e.zone for e in events if e.kind is EventKind.BUTTON] == [2, 5]
    assert in_sync(client, emulator)


async def test_reports_from_elsewhere(
    client: LipClient, emulator: Emulator, module: DeviceDescription
) -> None:
    """Changes made by others reach the model and are published, in order."""
    events: list[Event] = []
    client.events.subscribe(events.append)
    emulator.set_zone(module.serial, 1, True)
    emulator.press_button(module.serial, Button.ZONE_4)
    await client.ping()
    assert client.state(module.serial).zones[0].on
    assert client.state(module.serial).zones[3].on
    assert [(e.kind, e.zone) for e in events] == [
        (EventKind.ZONE, 1),
        (EventKind.LED, 1),
        (EventKind.BUTTON, 4),
        (EventKind.ZONE, 4),
        (EventKind.LED, 4),
    ]


async def test_override_seen_and_commands_ignored(
    client: LipClient,
    emulator: Emulator,
    module: DeviceDescription,
    momentary: DeviceDescription,
) -> None:
    """C2/C3 over the wire: the CCI opens, the model shows override, commands come back ignored with the reason."""
    emulator.set_cci(module.serial, True)
    await client.ping()
    for serial in (module.serial, momentary.serial):  # C7: the whole group
        state = client.state(serial)
        assert state.cci_open
        assert state.override_active
        assert state.mode is OperatingMode.MANUAL_OVERRIDE
    with pytest.raises(CommandIgnoredError) as err:
        await client.set_zone(module.serial, 1, False)
    assert err.value.reason is IgnoredReason.MANUAL_OVERRIDE
    assert client.state(module.serial).zones[0].on
    with pytest.raises(CommandIgnoredError):
        await client.set_zone(
            module.serial, 1, True
        )  # ignored even though the level matches
    with pytest.raises(CommandIgnoredError):
        await client.press_button(module.serial, Button.PROG)
    with pytest.raises(CommandIgnoredError):
        await client.pulse_cco(module.serial)
    emulator.set_cci(module.serial, False)
    await client.ping()
    assert in_sync(client, emulator)
    await client.set_zone(module.serial, 1, True)


@pytest.mark.parametrize(
    ("fault", "value", "mode", "reason"),
    [
        (Fault.POWER, False, OperatingMode.NO_POWER, IgnoredReason.NO_POWER),
        (Fault.LINK, False, OperatingMode.NO_LINK, IgnoredReason.NO_LINK),
        (Fault.CCI, True, OperatingMode.MANUAL_OVERRIDE, IgnoredReason.MANUAL_OVERRIDE),
        (Fault.PROGRAM, True, OperatingMode.PROGRAM, None),
    ],
)
async def test_faults_injected_through_emulator_command(
    *,
    client: LipClient,
    emulator: Emulator,
    module: DeviceDescription,
    fault: Fault,
    value: bool,
    mode: OperatingMode,
    reason: IgnoredReason | None,
) -> None:
    """Faults at the panel are seen through the LEDs and the CCI: mode, and why commands are ignored."""
    emulator.simulate(module.serial, fault, value)
    await client.ping()
    assert client.state(module.serial).mode is mode
    assert in_sync(client, emulator)
    if reason is None:
        await client.set_zone(module.serial, 1, True)
    else:
        with pytest.raises(CommandIgnoredError) as err:
            await client.set_zone(module.serial, 1, True)
        assert err.value.reason is reason
    emulator.simulate(module.serial, fault, not value)
    await client.ping()
    assert client.state(module.serial).mode is OperatingMode.NORMAL
    assert in_sync(client, emulator)


async def test_invisible_faults(
    client: LipClient, emulator: Emulator, module: DeviceDescription
) -> None:
    """Temperature is not reported over LIP: the client's model leaves it unknown."""
    emulator.simulate(module.serial, Fault.TEMPERATURE, 70.0)
    await client.ping()
    assert emulator.state(module.serial).high_temperature
    assert client.state(module.serial).temperature_c is None


@pytest.mark.parametrize(
    ("code", "error"),
    [(b"2", UnknownObjectError), (b"3", QsxError), (b"6", NotSupportedError)],
)
async def test_error_answers(
    *,
    fake: FakeProcessor,
    module: DeviceDescription,
    code: bytes,
    error: type[Exception],
    fake_client: Callable[..., LipClient],
) -> None:
    """A command answered with `~ERROR` raises at once (the error belongs to the batch before the barrier)."""
    fake.handler = lambda line: (
        b"~ERROR," + code + b"\r\n" if line.startswith("#") else answer_barriers(line)
    )
    client = fake_client()
    await client.connect()
    with pytest.raises(error, match=f"ERROR,{code.decode()}|does not"):
        await client.set_zone(module.serial, 1, True)
    await client.close()


async def test_command_timeout(
    fake: FakeProcessor,
    module: DeviceDescription,
    fake_client: Callable[..., LipClient],
) -> None:
    """A processor that never reports the resulting level: `CommandTimeoutError` after the timeout."""
    client = fake_client(command_timeout=0.05)
    await client.connect()
    with pytest.raises(CommandTimeoutError):
        await client.set_zone(module.serial, 1, True)
    fake.handler = lambda line: None
    with pytest.raises(CommandTimeoutError):
        await client.ping()
    await client.close()


async def test_late_report_completes_command(
    fake: FakeProcessor,
    module: DeviceDescription,
    fake_client: Callable[..., LipClient],
) -> None:
    """A real processor may report after the barrier's answer: the command waits for the level."""
    zone = module.zones[0].integration_id
    client = fake_client()
    await client.connect()
    task = asyncio.create_task(client.set_zone(module.serial, 1, True))
    await wait_for(lambda: f"#OUTPUT,{zone},1,100" in fake.lines)
    await client.ping()
    assert not task.done()
    fake.push(
        f"~OUTPUT,{zone},1,0.00\r\n".encode()
    )  # not the level asked for: keep waiting
    await client.ping()
    assert not task.done()
    fake.push(f"~OUTPUT,{zone},1,100.00\r\n".encode())
    await asyncio.wait_for(task, 2)
    await client.close()


async def test_sync_with_errors_is_tolerated(
    fake: FakeProcessor,
    caplog: pytest.LogCaptureFixture,
    fake_client: Callable[..., LipClient],
) -> None:
    """A processor that does not know some queried objects is logged, not fatal."""
    fake.handler = lambda line: (
        b"~ERROR,2\r\n" if line.startswith("?DEVICE") else answer_barriers(line)
    )
    client = fake_client()
    await client.connect()
    assert "answered 18 state queries with an error" in caplog.text
    await client.close()


async def test_garbage_from_the_network(
    fake: FakeProcessor,
    module: DeviceDescription,
    fake_client: Callable[..., LipClient],
) -> None:
    """Whatever the network sends, nothing crashes, memory stays bounded, and valid reports still apply.

    Partial lines, several lines a packet, CR or LF only, NUL, telnet, unknown and bad `~` lines, junk, and an
    endless line.
    """
    client = fake_client()
    await client.connect()
    zone = module.zones[0].integration_id
    device = module.integration_id
    for chunk in (
        b"~OUT",
        f"PUT,{zone},1,100.00\r".encode(),
        b"\n~DEVICE,999,1,3\n~WHATEVER,1,2\r~OUTPUT,abc,1,1\r\n",
        b"\x00\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0garbage\xfe\r\n",
        b"QNET> QNET> ~DEVICE," + str(device).encode() + b",85,9,3\r\n",
        b"~DEVICE," + str(device).encode() + b",11,4\r\n",
        b"~ERROR,9\r\n~SYSTEM,1,12:00:00\r\n~DEVICE,1.5,2,3\r\n",
        b"A" * 100_000,
        b"\r\n",
    ):
        fake.push(chunk)
    await client.ping()
    state = client.state(module.serial)
    assert state.zones[0].on
    assert state.override_active
    assert client.diagnostics()["ignored_lines"] >= 7
    await client.close()


async def test_server_restart_with_changed_state(
    server: LipServer, emulator: Emulator, client: LipClient, module: DeviceDescription
) -> None:
    """The processor restarts while the state changes: the client reports lost, reconnects, resyncs, then restored."""
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    events: list[Event] = []
    client.events.subscribe(events.append)
    await server.stop()
    await wait_for(lambda: changes == [False])
    with pytest.raises(ConnectionFailedError):
        await client.set_zone(module.serial, 1, True)
    emulator.set_zone(module.serial, 2, True)
    emulator.set_cci(emulator.description.modules[2].serial, True)
    added = new_module(emulator.description, 2)
    emulator.add_module(added)
    await server.start()  # same ports
    await wait_for(lambda: changes == [False, True])
    assert in_sync(client, emulator)
    assert Event(EventKind.DEVICE_ADDED, added.serial, None, added) in events
    assert Event(EventKind.ZONE, module.serial, 2, True) in events
    await client.set_zone(added.serial, 1, True)
    assert client.diagnostics()["reconnect_attempts"] >= 1


async def test_server_killed_then_back(
    server: LipServer, emulator: Emulator, client: LipClient, module: DeviceDescription
) -> None:
    """The processor disappears (reconnection fails for a while), then returns: lost, then restored."""
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    port, http_port = server.port, server.http_port
    await server.stop()
    await wait_for(lambda: changes == [False])
    await wait_for(lambda: client.diagnostics()["reconnect_attempts"] >= 3)
    assert client.diagnostics()["last_error"] is not None
    emulator.remove_module(module.serial)
    replacement = LipServer(
        emulator, "127.0.0.1", port, USER, PASSWORD, http_port=http_port
    )
    await replacement.start()
    await wait_for(lambda: changes == [False, True])
    assert in_sync(client, emulator)
    with pytest.raises(UnknownObjectError):
        client.state(module.serial)
    await client.close()
    await replacement.stop()


async def test_keepalive_detects_a_dead_link(
    fake: FakeProcessor,
    fake_client: Callable[..., LipClient],
) -> None:
    """Keepalive `?SYSTEM,10`; two unanswered in a row mean a dead link; the client reconnects by itself."""
    client = fake_client(keepalive_interval=0.02)
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    await client.connect()
    await wait_for(lambda: fake.lines.count("?SYSTEM,10") >= 3)  # answered keepalives
    fake.handler = lambda line: None
    await wait_for(lambda: changes == [True, False])
    fake.handler = answer_barriers
    await wait_for(lambda: changes == [True, False, True])
    assert changes == [True, False, True]
    assert client.connected
    await client.close()


async def test_connection_lost_during_command(
    fake: FakeProcessor,
    module: DeviceDescription,
    fake_client: Callable[..., LipClient],
) -> None:
    """A command in flight when the link drops fails with `ConnectionFailedError`."""
    client = fake_client()
    await client.connect()
    fake.handler = lambda line: None
    task = asyncio.create_task(client.set_zone(module.serial, 1, True))
    await wait_for(lambda: any(line.startswith("#OUTPUT") for line in fake.lines))
    for writer in fake.writers:
        writer.close()
    with pytest.raises(ConnectionFailedError):
        await task
    with pytest.raises(ConnectionFailedError):
        await client.ping()
    await client.close()


async def test_close_while_reconnecting(server: LipServer, client: LipClient) -> None:
    """Closing during the reconnection loop stops it cleanly."""
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    unsubscribe = client.subscribe_connection(changes.append)
    unsubscribe()
    unsubscribe()
    await server.stop()
    await wait_for(lambda: client.diagnostics()["reconnect_attempts"] >= 1)
    await client.close()
    assert changes == [False]


async def test_description_changes_between_connections(
    server: LipServer, emulator: Emulator, client: LipClient, module: DeviceDescription
) -> None:
    """A module renamed while away is published as changed after the reconnection."""
    events: list[Event] = []
    client.events.subscribe(events.append)
    await server.stop()
    renamed = replace(module, name="Renamed")
    emulator.update_module(renamed)
    await server.start()
    await wait_for(
        lambda: client.connected and client.description.modules[0].name == "Renamed"
    )
    assert Event(EventKind.DEVICE_CHANGED, module.serial, None, renamed) in events


async def test_barrier_answer_without_request_is_ignored(
    fake: FakeProcessor,
    fake_client: Callable[..., LipClient],
) -> None:
    """Unsolicited `~SYSTEM` or `~ERROR` lines are counted and ignored."""
    client = fake_client()
    await client.connect()
    fake.push(BARRIER_ANSWER + b"~ERROR,1\r\n")
    await wait_for(lambda: client.diagnostics()["ignored_lines"] >= 2)
    assert client.diagnostics()["ignored_lines"] >= 2
    await client.ping()
    assert client.connected
    await client.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close a connection with an RST (linger 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_connection_reset_during_login(
    http_session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """A processor that resets the connection during the login fails the connection with the reason."""

    async def reset_after_prompt(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"login: ")
        await reader.readline()
        _reset(writer)

    listener = await asyncio.start_server(reset_after_prompt, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    client = LipClient(
        "127.0.0.1", port, USER, PASSWORD, session=http_session, timings=FAST
    )
    with pytest.raises(ConnectionFailedError, match="closed the connection: "):
        await client.connect()
    listener.close()
    await listener.wait_closed()


async def test_connection_reset_while_connected(
    fake: FakeProcessor,
    caplog: pytest.LogCaptureFixture,
    fake_client: Callable[..., LipClient],
) -> None:
    """A reset connection is lost, logged with its reason, and the client reconnects by itself."""
    caplog.set_level(logging.DEBUG, logger=client_module.__name__)
    client = fake_client()
    await client.connect()
    changes: list[bool] = []
    client.subscribe_connection(changes.append)
    for writer in list(fake.writers):
        _reset(writer)
    await wait_for(lambda: changes == [False, True])
    assert "failed" in caplog.text
    await client.ping()
    await client.close()


async def test_errors_name_their_cause(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """A time-out reads as one, never as an empty reason: the database read, and the connection."""

    async def never_answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    silent = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    client = make_client(
        server, http_session, http_port=silent_port, connect_timeout=0.2
    )
    with pytest.raises(ConnectionFailedError) as caught:
        await client.connect()
    assert str(caught.value).endswith("/DbXmlInfo.xml: no answer within 0.2 s")
    silent.close()
    await silent.wait_closed()

    # A listener that never accepts: once its backlog is full, a connection attempt gets no answer.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    backlog = []
    for _ in range(4):
        queued = socket.socket()
        queued.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            queued.connect(full.getsockname())
        backlog.append(queued)
    client = LipClient(
        "127.0.0.1",
        full.getsockname()[1],
        USER,
        PASSWORD,
        session=http_session,
        timings=replace(FAST, connect_timeout=0.2),
    )
    with pytest.raises(ConnectionFailedError) as caught:
        await client.connect()
    assert str(caught.value) == (
        f"Cannot connect to 127.0.0.1:{full.getsockname()[1]}: no answer within 0.2 s"
    )
    for queued in backlog:
        queued.close()
    full.close()
