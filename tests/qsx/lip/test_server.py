"""The LIP server on 127.0.0.1: login (T3, T4), prompts (T5), sessions (T6), broadcast, safety, HTTP database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.dbxml import parse_dbxml
from custom_components.homeworks_qsx.qsx.model import DeviceDescription
from tests.qsx.serving import wait_for

from .conftest import PASSWORD, USER, RawSession, levels

type Opener = Callable[..., Any]


@pytest.fixture
def module(emulator: Emulator) -> DeviceDescription:
    """Return the first module."""
    return emulator.description.modules[0]


async def test_login_exchange(server: LipServer) -> None:
    """T3: `login: `, user, `password: `, password, then CR LF and the `QNET> ` prompt."""
    session = await RawSession.open(server.port)
    assert await session.read_until(b": ") == b"login: "
    session.send(USER)
    assert await session.read_until(b": ") == b"password: "
    session.send(PASSWORD)
    assert await session.read_until(b"QNET> ") == b"\r\nQNET> "
    assert await session.command("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]
    await session.close()


async def test_login_with_telnet_negotiation(server: LipServer) -> None:
    """T2: telnet option bytes and NUL from the client are ignored, also during login."""
    session = await RawSession.open(server.port)
    await session.read_until(b"login: ")
    session.send(b"\xff\xfd\x01\xff\xfb\x18" + USER.encode() + b"\r\x00")
    await session.read_until(b"password: ")
    session.send(PASSWORD.encode() + b"\n")
    await session.read_until(b"QNET> ")
    (answer,) = await session.command("?SYSTEM,10")
    assert answer.startswith("~SYSTEM,")  # logged in: commands are answered
    await session.close()


async def test_bad_login_then_good(
    server: LipServer, caplog: pytest.LogCaptureFixture
) -> None:
    """T4: `bad login` and `login: ` again; the failure is logged without the password."""
    caplog.set_level(logging.WARNING)
    session = await RawSession.open(server.port)
    await session.read_until(b"login: ")
    session.send(USER)
    await session.read_until(b"password: ")
    session.send("wrong-secret")
    assert await session.read_until(b"login: ") == b"bad login\r\nlogin: "
    session.send(USER)
    await session.read_until(b"password: ")
    session.send(PASSWORD)
    await session.read_until(b"QNET> ")
    assert "wrong-secret" not in caplog.text
    assert USER not in caplog.text
    assert "Failed LIP login from 127.0.0.1" in caplog.text
    await session.close()


async def test_three_failures_close_the_connection(server: LipServer) -> None:
    """T4 (ours): after three failed logins the server closes the connection."""
    session = await RawSession.open(server.port)
    await session.read_until(b"login: ")
    for attempt in range(3):
        session.send("intruder")
        await session.read_until(b"password: ")
        session.send(f"guess{attempt}")
        if attempt < 2:
            await session.read_until(b"bad login\r\nlogin: ")
    assert await session.read_eof() == b"bad login\r\n"
    assert server.diagnostics()["failed_logins"] == 3
    await session.close()


async def test_overlong_line_at_login_is_a_failure(server: LipServer) -> None:
    """An over-long user name is discarded and counts as a failed login."""
    session = await RawSession.open(server.port)
    await session.read_until(b"login: ")
    session.send("x" * 5000)
    await session.read_until(b"password: ")
    session.send(PASSWORD)
    answer = await session.read_until(b"bad login\r\nlogin: ")
    assert b"QNET> " not in answer
    await session.close()


async def test_prompt_and_monitoring_settings(
    raw: Opener, module: DeviceDescription
) -> None:
    """T5: a prompt after each command until prompt monitoring (12) is off; an empty line gets the prompt."""
    session = await raw()
    assert await session.command("") == []
    assert await session.command("?MONITORING,12") == ["~MONITORING,12,1"]
    session.send("#MONITORING,12,2")
    assert await session.sync() == []
    session.send("")
    session.send(f"?OUTPUT,{module.zones[0].integration_id},1")
    assert await session.sync() == [f"~OUTPUT,{module.zones[0].integration_id},1,0.00"]
    assert session.buffer == b""


async def test_line_after_a_prompt_starts_a_new_line(
    raw: Opener, emulator: Emulator, module: DeviceDescription
) -> None:
    """A report that follows a prompt comes on a line of its own.

    A client that reads up to `QNET>` and leaves the trailing space unread (pylutron) still sees a line starting
    with `~`.
    """
    session = await raw()
    emulator.set_zone(module.serial, 4, True)
    zone = module.zones[3].integration_id
    assert (
        await session.read_until(b"9,1\r\n")
        == f"\r\n~OUTPUT,{zone},1,100.00\r\n~DEVICE,100,84,9,1\r\n".encode()
    )


async def test_logout_ends_the_session(raw: Opener, server: LipServer) -> None:
    """`LOGOUT` (any case, no prefix) closes the session without an error; it needs a login first."""
    session = await raw()
    session.send("logout")
    assert await session.read_eof() == b""
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
    early = await raw(login=False)
    await early.read_until(b"login: ")
    early.send("LOGOUT")  # taken as a user name, like anything typed at the prompt
    assert await early.read_until(b": ") == b"password: "


async def test_errors_do_not_close_the_session(raw: Opener) -> None:
    """A bad line is answered with `~ERROR` and the session goes on."""
    session = await raw()
    assert await session.command("hello") == ["~ERROR,5"]
    assert await session.command("#OUTPUT,9999,1,100") == ["~ERROR,2"]
    assert await session.command("#FOO") == ["~ERROR,6"]
    assert await session.command("?SYSTEM,8") == ["~SYSTEM,8,22.08.14f000"]


async def test_overlong_line_answered_and_discarded(raw: Opener) -> None:
    """A line longer than 1024 bytes gets `~ERROR,5`; the next line is served normally."""
    session = await raw()
    session.send("#OUTPUT," + "1" * 3000)
    assert await session.read_until(b"QNET> ") == b"\r\n~ERROR,5\r\nQNET> "
    assert await session.command("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]


async def test_change_reported_to_every_session(
    raw: Opener, module: DeviceDescription
) -> None:
    """Every change goes to every monitoring session, including the one that caused it."""
    first, second = await raw(), await raw()
    zone = module.zones[0].integration_id
    device = module.integration_id
    assert await first.command(f"#OUTPUT,{zone},1,100") == [
        f"~OUTPUT,{zone},1,100.00",
        f"~DEVICE,{device},81,9,1",
    ]
    assert await second.command("?SYSTEM,10") == [
        f"~OUTPUT,{zone},1,100.00",
        f"~DEVICE,{device},81,9,1",
        "~SYSTEM,03/14/2026,12:30:00",
    ]


async def test_monitoring_types_filter_reports(
    raw: Opener, module: DeviceDescription
) -> None:
    """Reports go only to sessions that monitor their type; the sender still gets its own level (reply)."""
    sender, watcher = await raw(), await raw()
    zone = module.zones[1].integration_id
    await sender.command("#MONITORING,5,2")
    await sender.command("#MONITORING,4,2")
    await watcher.command("#MONITORING,5,2")
    assert await sender.command(f"#OUTPUT,{zone},1,100") == [f"~OUTPUT,{zone},1,100.00"]
    assert await watcher.command("?SYSTEM,10") == [
        f"~DEVICE,{module.integration_id},82,9,1",
        "~SYSTEM,03/14/2026,12:30:00",
    ]
    await sender.command("#MONITORING,11,2")
    assert await sender.command(f"#OUTPUT,{zone},1,0") == []
    assert (
        await sender.command("?SYSTEM,10") == []
    )  # replies off: queries are not answered either


async def test_unchanged_level_still_answered_once(
    raw: Opener, module: DeviceDescription
) -> None:
    """A command that changes nothing is answered with the level, exactly once.

    It is reported to every session that monitors levels, as a change would be.
    """
    session, watcher, deaf = await raw(), await raw(), await raw()
    await deaf.command("#MONITORING,5,2")
    zone = module.zones[2].integration_id
    assert await session.command(f"#OUTPUT,{zone},1,0") == [f"~OUTPUT,{zone},1,0.00"]
    assert await watcher.command("?SYSTEM,10") == [
        f"~OUTPUT,{zone},1,0.00",
        "~SYSTEM,03/14/2026,12:30:00",
    ]
    assert await deaf.command("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]
    await session.command("#MONITORING,255,2")
    await session.command("#MONITORING,11,2")
    assert await session.command(f"#OUTPUT,{zone},1,100") == []
    assert await watcher.command("?SYSTEM,10") == [
        f"~OUTPUT,{zone},1,100.00",  # once: the change itself
        f"~DEVICE,{module.integration_id},83,9,1",
        "~SYSTEM,03/14/2026,12:30:00",
    ]


async def test_override_seen_through_the_wire(
    raw: Opener, emulator: Emulator, module: DeviceDescription
) -> None:
    """C2/C3 over LIP: CCI opening reports CCI, zones and LEDs; commands then answer the real level, no error."""
    session = await raw()
    device = module.integration_id
    lines = await session.command(f"#EMULATOR,{device},CCI,OPEN")
    assert lines[0] == f"~DEVICE,{device},11,4"
    assert f"~DEVICE,{device},85,9,3" in lines
    zone_levels = {
        z.integration_id: levels(lines).get(z.integration_id) for z in module.zones
    }
    assert list(zone_levels.values()) == [
        100.0,
        100.0,
        100.0,
        None,
    ]  # zone 4's override level: off
    zone = module.zones[0].integration_id
    assert await session.command(f"#OUTPUT,{zone},1,0") == [f"~OUTPUT,{zone},1,100.00"]
    assert await session.command(f"#DEVICE,{device},1,3") == [
        f"~OUTPUT,{zone},1,100.00"
    ]
    assert emulator.state(module.serial).zones[0].on


async def test_button_press_reports(raw: Opener, module: DeviceDescription) -> None:
    """A button press is reported as `~DEVICE,<m>,<n>,3` then `…,4`, then the zone it toggled."""
    session = await raw()
    device = module.integration_id
    assert await session.command(f"#DEVICE,{device},3,3") == [
        f"~DEVICE,{device},3,3",
        f"~DEVICE,{device},3,4",
        f"~OUTPUT,{module.zones[2].integration_id},1,100.00",
        f"~DEVICE,{device},83,9,1",
    ]


async def test_pulse_reported_closed_then_open(
    raw: Opener, module: DeviceDescription
) -> None:
    """A pulse is reported as 100.00 then, when it ends, 0.00."""
    session = await raw()
    cco = module.cco.integration_id
    assert await session.command(f"#OUTPUT,{cco},6,0.25") == [f"~OUTPUT,{cco},1,100.00"]
    assert (
        await session.read_until(b"0.00\r\n")
        == f"\r\n~OUTPUT,{cco},1,0.00\r\n".encode()
    )


async def test_changes_outside_commands_are_broadcast(
    raw: Opener, emulator: Emulator, module: DeviceDescription
) -> None:
    """Changes made at the emulator (or by its timers) reach the sessions too."""
    session = await raw()
    emulator.set_link(module.serial, False)
    lines = await session.command("?SYSTEM,10")
    assert [line for line in lines if ",9," in line] == [
        f"~DEVICE,{module.integration_id},8{n},9,2" for n in range(1, 5)
    ]


async def test_module_added_and_removed(
    raw: Opener, emulator: Emulator, module: DeviceDescription
) -> None:
    """The server follows structural changes: a removed module's ids are unknown, its events are silent."""
    session = await raw()
    emulator.remove_module(module.serial)
    assert await session.command(f"?OUTPUT,{module.zones[0].integration_id},1") == [
        "~ERROR,2"
    ]
    emulator.events.publish(Event(EventKind.ZONE, module.serial, 1, True))
    assert await session.command("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]


async def test_delayed_command_cancelled_by_stop(
    emulator: Emulator, socket_enabled: None, module: DeviceDescription
) -> None:
    """A delayed command runs later; stopping the server cancels the ones still waiting."""
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None)
    await server.start()
    session = await RawSession.open(server.port)
    await session.login()
    zone = module.zones[0].integration_id
    assert await session.command(f"#OUTPUT,{zone},1,100,0,0.25") == []
    assert (
        await session.read_until(b"9,1\r\n")
        == f"\r\n~OUTPUT,{zone},1,100.00\r\n~DEVICE,100,81,9,1\r\n".encode()
    )
    assert await session.command(f"#OUTPUT,{zone},1,0,0,3600") == []
    await session.close()
    await server.stop()
    assert emulator.state(module.serial).zones[0].on


async def test_session_limit(emulator: Emulator, socket_enabled: None) -> None:
    """T6: a login beyond the session limit is told so and closed; the others keep working."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None, max_sessions=2
    )
    await server.start()
    first, second = (
        await RawSession.open(server.port),
        await RawSession.open(server.port),
    )
    await first.login()
    await second.login()
    third = await RawSession.open(server.port)
    await third.send_credentials()
    assert await third.read_eof() == b"Too many sessions are open; try again later\r\n"
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 2)
    assert await first.command("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]
    await first.close()
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 1)
    fourth = await RawSession.open(server.port)
    await fourth.login()
    assert server.diagnostics()["refused"] == 1
    for session in (second, third, fourth):
        await session.close()
    await server.stop()


async def test_idle_session_closed(emulator: Emulator, socket_enabled: None) -> None:
    """T6: a session that sends nothing for the idle time is closed."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None, idle_timeout=0.05
    )
    await server.start()
    session = await RawSession.open(server.port)
    await session.login()
    assert await session.read_eof() == b""  # closed without another word
    assert session.reader.at_eof()
    await session.close()
    await server.stop()


async def test_peer_that_does_not_read_is_dropped(
    emulator: Emulator, socket_enabled: None, module: DeviceDescription
) -> None:
    """A session whose peer stops reading is dropped once its buffer is full; the others get every report."""
    server = LipServer(
        emulator,
        "127.0.0.1",
        0,
        USER,
        PASSWORD,
        http_port=None,
        write_buffer_limit=2048,
    )
    await server.start()
    reader_session = await RawSession.open(server.port)
    await reader_session.login()
    reader_session.send("#MONITORING,12,2")
    await reader_session.sync()
    sleeper_socket = socket.socket()
    sleeper_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sleeper_socket.setblocking(False)
    await asyncio.get_running_loop().sock_connect(
        sleeper_socket, ("127.0.0.1", server.port)
    )
    sleeper = RawSession(*await asyncio.open_connection(sock=sleeper_socket))
    await sleeper.login()
    await wait_for(lambda: len(server._sessions) == 2)
    for session in server._sessions:
        if session.peer != str(reader_session.writer.get_extra_info("sockname")):
            session.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, 2048
            )
    toggles = 0
    while server.diagnostics()["open_sessions"] == 2 and toggles < 20000:
        emulator.set_zone(module.serial, 1, toggles % 2 == 0)
        toggles += 1
        if toggles % 100 == 0:
            assert (
                len(await reader_session.sync()) >= 100
            )  # the reading session keeps up
    assert server.diagnostics()["open_sessions"] == 1
    assert server.diagnostics()["dropped"] == 1
    await reader_session.sync()
    await sleeper.close()
    await reader_session.close()
    await server.stop()


async def test_reply_delay(
    emulator: Emulator, socket_enabled: None, module: DeviceDescription
) -> None:
    """`reply_delay` postpones each reply; answers and their order are unchanged."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None, reply_delay=0.01
    )
    await server.start()
    session = await RawSession.open(server.port)
    await session.login()
    zone = module.zones[0].integration_id
    assert await session.command(f"#OUTPUT,{zone},1,100") == [
        f"~OUTPUT,{zone},1,100.00",
        f"~DEVICE,{module.integration_id},81,9,1",
    ]
    session.send("?SYSTEM,10")
    await session.close()  # the session goes away while its reply is delayed
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
    await server.stop()


async def test_stop_closes_sessions(emulator: Emulator, socket_enabled: None) -> None:
    """Stopping closes every session; starting twice or stopping twice is harmless."""
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None)
    await server.start()
    await server.start()
    session = await RawSession.open(server.port)
    await session.login()
    await server.stop()
    await session.read_eof()
    await server.stop()
    assert server.diagnostics()["listening"] is False
    await session.close()


async def test_http_database(
    server: LipServer, emulator: Emulator, http_session: aiohttp.ClientSession
) -> None:
    """`GET /DbXmlInfo.xml` returns the project database with Content-Length, then closes the connection."""
    url = f"http://127.0.0.1:{server.http_port}/DbXmlInfo.xml"
    async with http_session.get(url) as response:
        assert response.status == 200
        assert response.content_type == "text/xml"
        assert response.headers["Connection"].lower() == "close"
        body = await response.read()
        assert int(response.headers["Content-Length"]) == len(body)
    assert parse_dbxml(body) == emulator.description
    async with http_session.get(
        f"http://127.0.0.1:{server.http_port}/other"
    ) as response:
        assert response.status == 404


async def test_http_port_conflict(emulator: Emulator, server: LipServer) -> None:
    """A port in use is an `OSError` at start, and nothing stays open."""
    other = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=server.http_port
    )
    with pytest.raises(OSError):
        await other.start()
    assert other.diagnostics()["listening"] is False
    clash = LipServer(emulator, "127.0.0.1", server.port, USER, PASSWORD, http_port=0)
    with pytest.raises(OSError):
        await clash.start()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": USER, "password": ""}, "user name and a password"),
        ({"username": "", "password": PASSWORD}, "user name and a password"),
        ({"username": USER, "password": PASSWORD, "reply_delay": -1}, "negative"),
        (
            {"username": USER, "password": PASSWORD, "this_processor": "0000FFFF"},
            "cannot serve 0000FFFF",
        ),
    ],
)
def test_refuses_to_start_without_credentials(
    emulator: Emulator, kwargs: dict[str, Any], message: str
) -> None:
    """P7: credentials are required; an empty password is refused; a server is a processor of the project (P4)."""
    with pytest.raises(ValueError, match=message):
        LipServer(emulator, **kwargs)


def test_defaults_listen_on_loopback(emulator: Emulator) -> None:
    """P7: the default address is loopback only; ports are those of a real processor."""
    server = LipServer(emulator, username=USER, password=PASSWORD)
    assert (server.host, server.port, server.http_port) == ("127.0.0.1", 23, 80)
    assert server.diagnostics() == {
        "processor": emulator.description.processor.serial,
        "on_network": True,
        "host": "127.0.0.1",
        "lip_port": 23,
        "http_port": 80,
        "listening": False,
        "open_sessions": 0,
        "logged_in_sessions": 0,
        "pending_logins": 0,
        "max_sessions": 10,
        "open_sockets": 0,
        "reply_delay_s": 0.0,
        "pending_delayed_changes": 0,
        "sessions": 0,
        "refused": 0,
        "failed_logins": 0,
        "dropped": 0,
        "evicted": 0,
        "http_refused": 0,
        "commands": 0,
        "errors": 0,
        "lip_refused": 0,
        "lip_displaced": 0,
        "lip_handshake_timeouts": 0,
        "http_displaced": 0,
        "http_handshake_timeouts": 0,
    }


async def test_power_cut_reports_each_level_once(
    raw: Opener, module: DeviceDescription
) -> None:
    """M7/O3: cutting a module's power reports each output that went off once, to the sender and to the others.

    Also with a pulse running and in manual override (the cases where two causes switch the same output).
    """
    sender, watcher = await raw(), await raw()
    device, zone, cco = (
        module.integration_id,
        module.zones[0].integration_id,
        module.cco.integration_id,
    )
    for setup in (
        [f"#OUTPUT,{zone},1,100", f"#OUTPUT,{cco},6,5"],
        [f"#OUTPUT,{cco},1,100", f"#EMULATOR,{device},CCI,OPEN"],
    ):
        for line in setup:
            await sender.command(line)
        await watcher.command("?SYSTEM,10")
        cut = await sender.command(f"#EMULATOR,{device},POWER,OFF")
        seen = await watcher.command("?SYSTEM,10")
        for lines in (cut, seen):
            off = [line for line in lines if line.startswith("~OUTPUT")]
            assert len(off) == len(set(off))
            assert f"~OUTPUT,{zone},1,0.00" in off
            assert f"~OUTPUT,{cco},1,0.00" in off
        await sender.command(f"#EMULATOR,{device},POWER,ON")
