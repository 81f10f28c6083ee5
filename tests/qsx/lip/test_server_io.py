"""How the server reads and writes.

Lines are answered in order whatever the batching; the reply delay is a latency (lines sent together wait once,
not once each); the project database is built once per system.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import logging
import socket
import struct
from typing import Any

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import new_module
from custom_components.homeworks_qsx.qsx.emulator.lip import (
    http as http_module,
    server as server_module,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.emulator.lip.session import FLUSH_LINES
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.serving import WAIT, wait_for

from .conftest import PASSWORD, USER, RawSession, levels

DELAY = 0.01


@pytest.fixture
async def delayed(
    socket_enabled: None, emulator: Emulator
) -> AsyncGenerator[LipServer]:
    """Return a server that answers each line a short delay after it arrived."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0, reply_delay=DELAY
    )
    await server.start()
    yield server
    await server.stop()


def _queries(description: SystemDescription) -> list[str]:
    return [
        f"?OUTPUT,{zone.integration_id},1"
        for module in description.modules
        for zone in module.zones
    ]


async def test_delayed_lines_keep_their_order(
    delayed: LipServer, description: SystemDescription
) -> None:
    """Login and commands go through the delay; lines sent while others wait are answered after them, in order."""
    session = await RawSession.open(delayed.port)
    await session.login()
    session.send("#MONITORING,12,2")
    queries = _queries(description)
    session.send("\r\n".join(queries[:6]).encode() + b"\r\n")
    session.send("\r\n".join(queries[6:]).encode() + b"\r\n")
    lines = await session.sync()
    assert [line.split(",")[1] for line in lines] == [
        query.split(",")[1] for query in queries
    ]
    await session.close()


async def test_failed_logins_with_a_delay_close_the_connection(
    delayed: LipServer,
) -> None:
    """Three wrong passwords sent at once are each refused, then the connection closes."""
    session = await RawSession.open(delayed.port)
    await session.read_until(b"login: ")
    session.send(b"lutron\r\nwrong\r\n" * 3)
    data = await session.read_eof()
    assert data.count(b"bad login") == 3
    await wait_for(lambda: delayed.diagnostics()["open_sessions"] == 0)
    await session.close()


async def test_long_batch_is_answered_completely(
    raw: Callable[..., Any], description: SystemDescription
) -> None:
    """More lines than one write holds are all answered, in order."""
    session = await raw()
    session.send("#MONITORING,12,2")
    queries = _queries(description) * (FLUSH_LINES // 8 + 1)
    assert len(queries) > FLUSH_LINES
    session.send("\r\n".join(queries).encode() + b"\r\n")
    lines = await session.sync()
    assert len(lines) == len(queries)
    assert levels(lines) == {
        int(query.split(",")[1]): 0.0 for query in _queries(description)
    }


async def test_changes_made_outside_a_session_are_reported(
    raw: Callable[..., Any], emulator: Emulator, description: SystemDescription
) -> None:
    """A change made directly on the emulator (a person at the panel, a timer) reaches monitoring sessions."""
    session = await raw()
    session.send("#MONITORING,12,2")
    await session.sync()
    module = description.modules[0]
    emulator.set_zone(module.serial, 1, True)
    emulator.set_zone(module.serial, 2, True)
    reports = await session.read_until(
        f"~OUTPUT,{module.zones[1].integration_id},1,100.00".encode()
    )
    assert f"~OUTPUT,{module.zones[0].integration_id},1,100.00".encode() in reports


async def test_database_built_once_per_system(
    delayed: LipServer,
    emulator: Emulator,
    http_session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The document is built on the first request after each change of the system, then served as it is."""
    built: list[SystemDescription] = []
    build = build_dbxml

    def counting(description: SystemDescription) -> bytes:
        built.append(description)
        return build(description)

    monkeypatch.setattr(http_module, "build_dbxml", counting)
    url = f"http://127.0.0.1:{delayed.http_port}/DbXmlInfo.xml"

    async def fetch() -> bytes:
        async with http_session.get(url) as response:
            return await response.read()

    first = await fetch()
    assert await fetch() == first
    assert len(built) == 1
    emulator.add_module(new_module(emulator.description, 1))
    assert await fetch() != first
    assert len(built) == 2


async def test_active_session_is_not_closed_for_idleness(
    socket_enabled: None, emulator: Emulator
) -> None:
    """T6: the idle time counts from the last line, so a session that keeps talking stays open."""
    server = LipServer(
        emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None, idle_timeout=0.4
    )
    await server.start()
    session = await RawSession.open(server.port)
    await session.login()
    session.send("#MONITORING,12,2")
    for _ in range(12):  # 0.6 s of traffic: longer than the idle time
        assert await session.sync() == []
        await asyncio.sleep(0.05)
    assert server.diagnostics()["open_sessions"] == 1
    await session.read_eof()  # then silence: closed
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
    await session.close()
    await server.stop()


async def test_reset_connection_ends_its_session(
    socket_enabled: None, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A peer that resets the connection ends its session; the server carries on with the others."""
    caplog.set_level(logging.DEBUG, logger=server_module.__name__)
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=None)
    await server.start()
    other = await RawSession.open(server.port)
    await other.login()
    resetting = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 2)
    resetting.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    resetting.close()  # linger 0: an RST instead of a FIN
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 1)
    assert "failed" in caplog.text
    other.send("#MONITORING,12,2")
    assert await other.sync() == []
    await other.close()
    await server.stop()
