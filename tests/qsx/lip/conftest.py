"""Fixtures of the LIP tests: an emulator, a server on 127.0.0.1 with ephemeral ports, raw and real clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
import contextlib
from dataclasses import replace
import re
from typing import Any, Final

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    CcoType,
    LinkType,
    LoadType,
    OverrideLevel,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.lip.client import LIP_TIMINGS, LipClient
from custom_components.homeworks_qsx.qsx.model import (
    CcoDescription,
    DeviceDescription,
    LinkDescription,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
    switching_module,
)
from tests.qsx.serving import WAIT

USER = "lutron"
PASSWORD = "integration"


def hand_built_description() -> SystemDescription:
    """Two modules in one area and one in another, every optional field used, built without the parser."""

    def module(
        index: int, area: str, link: int, cco_type: CcoType
    ) -> DeviceDescription:
        base = 100 + 10 * index
        return switching_module(
            serial=f"{0x1A2B3C00 + index:08X}",
            integration_id=base,
            name=f"Panel {index}",
            area=area,
            link=link,
            address=index + 1,
            zones=tuple(
                ZoneDescription(
                    number,
                    base + number,
                    f"Zone {index}.{number}",
                    load_type=LoadType.ELV if number == 2 else LoadType.INCANDESCENT,
                    amps=1.25 * number,
                    override_level=OverrideLevel.OFF
                    if number == 4
                    else OverrideLevel.ON,
                )
                for number in range(1, 5)
            ),
            cco=CcoDescription(base + 5, f"Gate {index}", cco_type, 0.5),
            cci_group="emergency" if index < 2 else None,
            feed="feed-a" if index == 0 else None,
        )

    return SystemDescription(
        name="Test house",
        guid="7f3c2a10-5b1e-4c7a-9a51-2d0f6e8b4c11",
        processor=ProcessorDescription(serial="0ABCDEF1", firmware="22.08.14f000"),
        links=(LinkDescription(1, LinkType.QS, 120.0), LinkDescription(2)),
        devices=(
            module(0, "Kitchen", 1, CcoType.MAINTAINED),
            module(1, "Kitchen", 1, CcoType.MOMENTARY),
            module(2, "Garage", 2, CcoType.MAINTAINED),
        ),
        database_date="03/14/2026,12:30:00",
    )


@pytest.fixture
def description() -> SystemDescription:
    """Return a small system: two links, three modules."""
    return hand_built_description()


@pytest.fixture
def scheduler() -> ManualScheduler:
    """Return a clock that moves only when told to."""
    return ManualScheduler()


@pytest.fixture
def manual_emulator(
    description: SystemDescription, scheduler: ManualScheduler
) -> Generator[Emulator]:
    """Return an emulator on a manual clock (no sockets, no real time)."""
    emulator = Emulator(description, scheduler=scheduler)
    yield emulator
    emulator.close()


@pytest.fixture
def emulator(description: SystemDescription) -> Generator[Emulator]:
    """Return an emulator on the running event loop's clock."""
    emulator = Emulator(description)
    yield emulator
    emulator.close()


@pytest.fixture
async def server(socket_enabled: None, emulator: Emulator) -> AsyncGenerator[LipServer]:
    """Return a LIP server on 127.0.0.1 with ephemeral LIP and HTTP ports."""
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0)
    await server.start()
    yield server
    await server.stop()


class RawSession:
    """A bare TCP client that speaks LIP by hand, with bounded waits."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Wrap an open connection."""
        self.reader = reader
        self.writer = writer
        self.buffer = b""

    @classmethod
    async def open(cls, port: int, host: str = "127.0.0.1") -> RawSession:
        """Connect."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def read_until(self, marker: bytes, timeout: float = WAIT) -> bytes:
        """Return everything up to and including `marker`."""
        async with asyncio.timeout(timeout):
            while marker not in self.buffer:
                data = await self.reader.read(4096)
                if not data:
                    raise EOFError(self.buffer)
                self.buffer += data
        index = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:index], self.buffer[index:]
        return data

    async def read_eof(self, timeout: float = WAIT) -> bytes:
        """Read until the server closes the connection; return what came."""
        async with asyncio.timeout(timeout):
            while data := await self.reader.read(4096):
                self.buffer += data
        data, self.buffer = self.buffer, b""
        return data

    def send(self, text: str | bytes) -> None:
        """Send a line (CR LF added to text)."""
        self.writer.write(text if isinstance(text, bytes) else text.encode() + b"\r\n")

    async def send_credentials(
        self, user: str = USER, password: str = PASSWORD
    ) -> None:
        """Answer the login and password prompts (without waiting for the outcome)."""
        await self.read_until(b"login: ")
        self.send(user)
        await self.read_until(b"password: ")
        self.send(password)

    async def login(self, user: str = USER, password: str = PASSWORD) -> None:
        """Log in and wait for the prompt."""
        await self.send_credentials(user, password)
        await self.read_until(b"QNET> ")

    async def command(self, line: str) -> list[str]:
        """Send a line and return the lines answered before the next prompt."""
        self.send(line)
        data = await self.read_until(b"QNET> ")
        return [text for text in data[: -len(b"QNET> ")].decode().split("\r\n") if text]

    async def sync(self) -> list[str]:
        """Round trip with prompts off: return the lines received before the `?SYSTEM,10` answer."""
        self.send("?SYSTEM,10")
        data = await self.read_until(b"~SYSTEM,")
        await self.read_until(b"\r\n")
        return [
            text for text in data[: -len(b"~SYSTEM,")].decode().split("\r\n") if text
        ]

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


@pytest.fixture
async def raw(server: LipServer) -> AsyncGenerator[Callable[..., Any]]:
    """Open logged-in raw sessions to the server; all are closed at the end."""
    sessions: list[RawSession] = []

    async def open_session(*, login: bool = True) -> RawSession:
        session = await RawSession.open(server.port)
        sessions.append(session)
        if login:
            await session.login()
        return session

    yield open_session
    for session in sessions:
        await session.close()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return the caller's aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield session


FAST: Final = replace(
    LIP_TIMINGS,
    command_timeout=2.0,
    connect_timeout=2.0,
    keepalive_interval=30.0,
    reconnect_min=0.01,
    reconnect_max=0.05,
)


@pytest.fixture
async def client(
    server: LipServer, http_session: aiohttp.ClientSession
) -> AsyncGenerator[LipClient]:
    """Return a connected client of the server."""
    client = LipClient(
        "127.0.0.1",
        server.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=server.http_port or 0,
        timings=FAST,
    )
    await client.connect()
    yield client
    await client.close()


_LEVEL = re.compile(r"~OUTPUT,(\d+),1,(\d+\.\d\d)")


def levels(lines: list[str]) -> dict[int, float]:
    """Return the last level reported per output in `lines`."""
    result: dict[int, float] = {}
    for line in lines:
        if match := _LEVEL.fullmatch(line):
            result[int(match[1])] = float(match[2])
    return result


BARRIER_ANSWER = b"~SYSTEM,03/14/2026,12:30:00\r\n"


def answer_barriers(line: str) -> bytes | None:
    """Answer the `?SYSTEM,10` barrier and nothing else (a fake processor's default)."""
    return BARRIER_ANSWER if line.strip().upper() == "?SYSTEM,10" else None


class FakeProcessor:
    """A scripted LIP endpoint on 127.0.0.1: logs clients in, then answers each line through `handler`."""

    def __init__(
        self,
        handler: Callable[[str], bytes | None] = answer_barriers,
        *,
        greet: bool = True,
    ) -> None:
        """Answer lines with `handler`; without `greet` the login prompt is never sent."""
        self.handler = handler
        self.greet = greet
        self.lines: list[str] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on an ephemeral port."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writers.append(writer)
        try:
            if not self.greet:
                await reader.read()
                return
            writer.write(b"login: ")
            await reader.readline()
            writer.write(b"password: ")
            await reader.readline()
            writer.write(b"\r\nQNET> ")
            while line := await reader.readline():
                text = line.decode(errors="replace").strip()
                self.lines.append(text)
                if (answer := self.handler(text)) is not None:
                    writer.write(answer)
        except ConnectionError, asyncio.CancelledError:
            pass
        finally:
            writer.close()

    def push(self, data: bytes) -> None:
        """Send raw bytes to every connected client."""
        for writer in self.writers:
            if not writer.is_closing():
                writer.write(data)

    async def stop(self) -> None:
        """Close the listener and every connection."""
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def fake(socket_enabled: None) -> AsyncGenerator[FakeProcessor]:
    """Return a scripted processor (its database comes from the `server` fixture's HTTP port)."""
    fake = FakeProcessor()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def fake_client(
    fake: FakeProcessor, server: LipServer, http_session: aiohttp.ClientSession
) -> Callable[..., LipClient]:
    """Return a maker of clients of the scripted processor (the database from the server's HTTP port).

    Keyword arguments override the fast intervals of `FAST`; the client is not connected yet.
    """

    def make(**overrides: Any) -> LipClient:
        return LipClient(
            "127.0.0.1",
            fake.port,
            USER,
            PASSWORD,
            session=http_session,
            http_port=server.http_port or 0,
            timings=replace(FAST, **overrides),
        )

    return make
