"""The LIP server's limits (docs/limits.md): logins, sockets, failed logins, idle sessions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
import logging
from typing import Any

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.limits import SocketBudget
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from tests.qsx.serving import wait_for

from .conftest import PASSWORD, USER, RawSession

SYSTEM_10 = ["~SYSTEM,03/14/2026,12:30:00"]


@pytest.fixture
async def start_server(
    emulator: Emulator, socket_enabled: None
) -> AsyncGenerator[Callable[..., Any]]:
    """Start LIP servers on 127.0.0.1 with the given limits; all are stopped at the end."""
    servers: list[LipServer] = []

    async def start(**limits: Any) -> LipServer:
        server = LipServer(
            emulator, "127.0.0.1", 0, USER, PASSWORD, **{"http_port": None, **limits}
        )
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@contextlib.asynccontextmanager
async def raw_sessions(port: int, count: int) -> AsyncGenerator[list[RawSession]]:
    """Open `count` raw connections that send nothing; close them at the end."""
    sessions = [await RawSession.open(port) for _ in range(count)]
    try:
        yield sessions
    finally:
        for session in sessions:
            await session.close()


async def test_connections_that_never_log_in_do_not_lock_logins_out(
    start_server: Callable[..., Any],
) -> None:
    """Only logged-in sessions count against the session cap: ten silent connections leave room for a login."""
    server: LipServer = await start_server(max_sessions=10)
    async with raw_sessions(server.port, 10) as silent:
        for session in silent:
            await session.read_until(b"login: ")
        late = await RawSession.open(server.port)
        await late.login()
        assert await late.command("?SYSTEM,10") == SYSTEM_10
        assert server.diagnostics()["logged_in_sessions"] == 1
        await late.close()


async def test_login_deadline_closes_a_trickling_connection(
    start_server: Callable[..., Any],
) -> None:
    """A connection that keeps sending bytes but never logs in is closed at the login deadline."""
    server: LipServer = await start_server(login_deadline=0.3)
    session = await RawSession.open(server.port)
    await session.read_until(b"login: ")
    async with asyncio.timeout(5):
        while not session.reader.at_eof():
            session.send(b"x")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    if not await session.reader.read(100):
                        break
    assert server.diagnostics()["lip_handshake_timeouts"] == 1
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
    await session.close()


async def test_pending_logins_are_bounded_oldest_gives_way(
    start_server: Callable[..., Any],
) -> None:
    """At the bound of connections still logging in, the oldest one is closed for the newcomer."""
    server: LipServer = await start_server(max_pending_logins=3)
    async with raw_sessions(server.port, 3) as waiting:
        for session in waiting:
            await session.read_until(b"login: ")
        newcomer = await RawSession.open(server.port)
        await waiting[0].read_eof()  # the oldest gave way
        await newcomer.login()
        assert server.diagnostics()["lip_displaced"] == 1
        assert server.diagnostics()["pending_logins"] == 2
        await newcomer.close()


async def test_leaked_silent_session_gives_its_slot_to_a_login(
    start_server: Callable[..., Any],
) -> None:
    """At the cap, a session silent for longer than the eviction time gives way; active ones never do."""
    server: LipServer = await start_server(max_sessions=2, idle_eviction_after=0.2)
    leaked, active = (
        await RawSession.open(server.port),
        await RawSession.open(server.port),
    )
    await leaked.login()
    await active.login()
    refused = await RawSession.open(server.port)
    await refused.send_credentials()
    assert (
        b"Too many sessions" in await refused.read_eof()
    )  # nobody silent long enough yet
    for _ in range(
        6
    ):  # the active session keeps talking while the leaked one stays silent
        assert await active.command("?SYSTEM,10") == SYSTEM_10
        await asyncio.sleep(0.05)
    newcomer = await RawSession.open(server.port)
    await newcomer.login()
    assert server.diagnostics()["evicted"] == 1
    await leaked.read_eof()  # the silent one was closed, oldest first
    assert await active.command("?SYSTEM,10") == SYSTEM_10
    assert await newcomer.command("?SYSTEM,10") == SYSTEM_10
    for session in (leaked, active, refused, newcomer):
        await session.close()


async def fail_login(port: int, attempts: int, user: str = "intruder") -> float:
    """Connect, fail `attempts` logins; return the seconds the last answer took."""
    session = await RawSession.open(port)
    await session.read_until(b"login: ")
    took = 0.0
    loop = asyncio.get_running_loop()
    for attempt in range(attempts):
        session.send(user)
        await session.read_until(b"password: ")
        session.send(f"guess{attempt}")
        start = loop.time()
        await session.read_until(b"bad login\r\n")
        took = loop.time() - start
    await session.close()
    return took


async def test_failed_logins_slow_down_per_address_and_log_a_summary(
    start_server: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Each failure from an address doubles the wait before its next attempt is judged.

    The delay belongs to the address, across reconnections; the log gets one line per address and interval with
    a count, never what was typed.
    """
    caplog.set_level(logging.DEBUG)
    server: LipServer = await start_server(failed_login_delay=0.1)
    assert await fail_login(server.port, 1, "typed-secret") < 0.1
    assert (
        await fail_login(server.port, 2, "typed-secret") >= 0.2
    )  # third failure: 0.1 * 2
    assert (
        await fail_login(server.port, 1, "typed-secret") >= 0.4
    )  # a new connection waits too
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "Failed LIP login from 127.0.0.1; further attempts from it wait 0.1 s"
    ]
    assert "typed-secret" not in caplog.text
    assert server.diagnostics()["failed_logins"] == 4
    session = await RawSession.open(server.port)
    await (
        session.login()
    )  # the right password still gets in after its wait, and clears the address
    await session.close()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert warnings[1].getMessage().startswith("3 failed LIP logins from 127.0.0.1")


async def test_lines_sent_blindly_during_a_login_wait_close_the_connection(
    start_server: Callable[..., Any],
) -> None:
    """While a login waits out its delay, a connection that keeps sending lines is closed, not buffered."""
    server: LipServer = await start_server(failed_login_delay=5.0)
    await fail_login(server.port, 1)
    session = await RawSession.open(server.port)
    await session.send_credentials("intruder", "guess")
    for _ in range(40):
        session.send("#OUTPUT,1,1,100")
    with contextlib.suppress(ConnectionError):
        assert await session.read_eof() == b""
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
    await session.close()


async def test_unfinished_telnet_subnegotiation_does_not_make_a_session_deaf(
    start_server: Callable[..., Any],
) -> None:
    """After `IAC SB` without `IAC SE`, the next line end ends the sub-negotiation: later lines are answered."""
    server: LipServer = await start_server()
    session = await RawSession.open(server.port)
    await session.login()
    session.send(b"\xff\xfa\x18\x01junk")
    assert await session.command("") == []
    assert await session.command("?SYSTEM,10") == SYSTEM_10
    assert await session.command("?BOGUS") == ["~ERROR,6"]
    await session.close()


async def half_open_http(port: int) -> RawSession:
    """Open an HTTP connection that sends part of a request head and stops."""
    session = await RawSession.open(port)
    session.send(b"GET /DbXmlInfo.xml HTTP/1.1\r\nHost: flood\r\n")
    return session


async def test_http_header_deadline(
    start_server: Callable[..., Any], http_session: aiohttp.ClientSession
) -> None:
    """An HTTP request whose head never ends is closed at the header deadline; a complete one is answered."""
    server: LipServer = await start_server(http_port=0, header_deadline=0.2)
    stalled = await half_open_http(server.http_port or 0)
    assert await stalled.read_eof() == b""
    assert server.diagnostics()["http_handshake_timeouts"] == 1
    async with http_session.get(
        f"http://127.0.0.1:{server.http_port}/missing"
    ) as response:
        assert response.status == 404
        assert response.headers["Connection"].lower() == "close"
    await stalled.close()


FLOOD = 200  # half-open connections per port


async def test_flood_of_half_open_connections_leaves_room_for_legitimate_clients(
    start_server: Callable[..., Any], http_session: aiohttp.ClientSession
) -> None:
    """A flood of half-open connections on both ports stays inside the shared socket budget.

    A LIP login and a database read still succeed while the flood holds its connections.
    """
    budget = SocketBudget(total=48, reserved=16)
    server: LipServer = await start_server(
        http_port=0, budget=budget, max_pending_logins=8, max_pending_requests=8
    )
    flood: list[RawSession] = []
    try:
        for _ in range(FLOOD):
            flood.append(await half_open_http(server.http_port or 0))
            flood.append(await RawSession.open(server.port))
        await wait_for(lambda: server.diagnostics()["http_displaced"] >= FLOOD - 8)
        assert budget.open_sockets <= 16
        assert server.diagnostics()["pending_logins"] == 8
        legit = await RawSession.open(server.port)
        await legit.login()
        assert await legit.command("?SYSTEM,10") == SYSTEM_10
        async with http_session.get(
            f"http://127.0.0.1:{server.http_port}/DbXmlInfo.xml"
        ) as response:
            assert response.status == 200
            assert b"<Project>" in await response.read()
        await legit.close()
    finally:
        for session in flood:
            await session.close()
    await wait_for(lambda: budget.open_sockets == 0)


async def test_http_refused_when_the_budget_is_spent(
    start_server: Callable[..., Any], http_session: aiohttp.ClientSession
) -> None:
    """With no socket left and no pending request to displace, HTTP answers 503 and closes."""
    budget = SocketBudget(total=2, reserved=1)
    server: LipServer = await start_server(http_port=0, budget=budget, reply_delay=0.5)
    url = f"http://127.0.0.1:{server.http_port}/DbXmlInfo.xml"

    async def read() -> int:
        async with http_session.get(url) as response:
            await response.read()
            return response.status

    in_flight = asyncio.create_task(
        read()
    )  # its request is being answered: not displaceable
    await wait_for(lambda: budget.open_sockets == 1 and not server._http_limits.pending)
    probe = await RawSession.open(server.http_port or 0)
    assert (await probe.read_eof()).startswith(b"HTTP/1.1 503 Service Unavailable")
    assert server.diagnostics()["http_refused"] == 1
    assert await in_flight == 200
    await probe.close()


FLOOD_LINES = 20_000


async def test_one_sessions_flood_does_not_hold_up_the_others(
    start_server: Callable[..., Any],
) -> None:
    """A long batch is handled in parts: another session is answered in between, and every line in order."""
    server: LipServer = await start_server()
    flooder, other = (
        await RawSession.open(server.port),
        await RawSession.open(server.port),
    )
    await flooder.login()
    await other.login()
    flooder.send("#MONITORING,12,2")
    await flooder.sync()
    flooder.send(b"?SYSTEM,10\r\n" * FLOOD_LINES + b"?SYSTEM,8\r\n")
    assert await other.command("?SYSTEM,8") == ["~SYSTEM,8,22.08.14f000"]
    # The flooder's answers were not all written yet when the other session got its own.
    assert server.diagnostics()["commands"] < FLOOD_LINES + 3
    data = await flooder.read_until(b"~SYSTEM,8,22.08.14f000\r\n", timeout=30)
    assert data.count(b"~SYSTEM,03/14/2026,12:30:00\r\n") == FLOOD_LINES
    await flooder.close()
    await other.close()


async def test_lip_refused_when_the_budget_is_spent(
    start_server: Callable[..., Any],
) -> None:
    """With no socket left and no login pending to displace, a LIP connection is told so and closed."""
    server: LipServer = await start_server(budget=SocketBudget(total=2, reserved=1))
    first = await RawSession.open(server.port)
    await first.login()
    second = await RawSession.open(server.port)
    assert (
        await second.read_eof() == b"Too many connections are open; try again later\r\n"
    )
    assert server.diagnostics()["refused"] == 1
    assert await first.command("?SYSTEM,10") == SYSTEM_10
    await second.close()
    await first.close()
