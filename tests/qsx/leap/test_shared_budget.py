"""One socket budget for every listener of an emulator: a flood on one port never starves another (limits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from dataclasses import dataclass
import ssl

import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.pairing_server import (
    PairingServer,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.limits import SocketBudget
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from tests.qsx.lip.conftest import PASSWORD, USER, RawSession
from tests.qsx.serving import WAIT

from .conftest import LeapSession

FLOOD = 40  # half-open connections on the flooded port
RESERVED = 4  # sockets each of the four listeners always has
SHARED = 4  # sockets beyond the reservations, for whichever listener needs them
PENDING = 3  # connections of one listener still in their handshake


@dataclass
class Servers:
    """The emulator's four listeners (LIP, HTTP, LEAP, pairing) on one budget, as `serve` composes them."""

    budget: SocketBudget
    lip: LipServer
    leap: LeapServer
    pairing: PairingServer


@pytest.fixture
async def servers(
    socket_enabled: None, emulator: Emulator, credentials: LeapCredentials
) -> AsyncGenerator[Servers]:
    """Start every listener on ephemeral loopback ports with low limits."""
    budget = SocketBudget(total=4 * RESERVED + SHARED, reserved=RESERVED)
    lip = LipServer(
        emulator,
        "127.0.0.1",
        0,
        USER,
        PASSWORD,
        http_port=0,
        budget=budget,
        max_pending_logins=PENDING,
        max_pending_requests=PENDING,
    )
    leap = LeapServer(
        emulator,
        credentials,
        "127.0.0.1",
        0,
        budget=budget,
        max_pending_handshakes=PENDING,
    )
    pairing = PairingServer(
        credentials, "127.0.0.1", 0, budget=budget, max_pending_handshakes=PENDING
    )
    for server in (lip, leap, pairing):
        await server.start()
    yield Servers(budget, lip, leap, pairing)
    for server in (lip, leap, pairing):
        await server.stop()


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


async def _half_open(port: int, count: int) -> list[asyncio.StreamWriter]:
    """Connect `count` times and send nothing (no TLS hello, no login)."""
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writers.append(writer)
    return writers


async def _close(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _leap_ping(servers: Servers, context: ssl.SSLContext) -> None:
    session = await LeapSession.open(servers.leap.port, context)
    reply = await session.request("ReadRequest", "/server/1/status/ping")
    assert reply["Header"]["StatusCode"] == "200 OK"
    await session.close()


async def _lip_login(servers: Servers) -> None:
    session = await RawSession.open(servers.lip.port)
    await session.login()
    assert await session.command("?SYSTEM,8") == ["~SYSTEM,8,22.08.14f000"]
    await session.close()


async def test_leap_flood_leaves_lip_and_leap_clients_served(
    servers: Servers, client_context: ssl.SSLContext
) -> None:
    """Half-open TLS connections on the LEAP port hold no more than LEAP's share of the budget.

    A LIP login and a LEAP ping on another connection still succeed while the flood holds its connections.
    """
    flood = await _half_open(servers.leap.port, FLOOD)
    try:
        await _until(
            lambda: servers.leap.diagnostics()["tls_displaced"] >= FLOOD - PENDING
        )
        # LEAP's sockets are counted in the budget the LIP and HTTP listeners use, within LEAP's share.
        assert PENDING <= servers.budget.open_sockets <= RESERVED + SHARED
        assert servers.leap.diagnostics()["pending_handshakes"] == PENDING
        await _lip_login(servers)
        await _leap_ping(servers, client_context)
        assert servers.lip.diagnostics()["refused"] == 0
    finally:
        await _close(flood)
    await _until(lambda: servers.budget.open_sockets == 0)


async def test_lip_flood_leaves_leap_clients_served(
    servers: Servers, client_context: ssl.SSLContext
) -> None:
    """Connections that never log in on the LIP port do not stop a LEAP session, nor a LIP login."""
    flood = await _half_open(servers.lip.port, FLOOD)
    try:
        await _until(
            lambda: servers.lip.diagnostics()["lip_displaced"] >= FLOOD - PENDING
        )
        assert servers.budget.open_sockets <= RESERVED + SHARED
        await _leap_ping(servers, client_context)
        await _lip_login(servers)
        assert servers.leap.diagnostics()["tls_refused"] == 0
    finally:
        await _close(flood)
    await _until(lambda: servers.budget.open_sockets == 0)
