"""Fixtures of the LEAP tests: an emulator, its CA, a LEAP server on 127.0.0.1 (ephemeral port), raw TLS clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
import contextlib
import json
from pathlib import Path
import ssl
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.serving import WAIT

# Three modules on link 1 (two in one room, sharing an override group), one on link 2, one CCO momentary.
SYSTEM: dict[str, Any] = {
    "name": "Leap house",
    "processor": {"serial": "0A0B0C0D", "model": "HQP7-2"},
    "modules": [
        {
            "serial": "000000A1",
            "name": "Kitchen panel",
            "area": "Kitchen",
            "address": 1,
            "cci_group": "emergency",
            "zones": [
                {"name": "Island"},
                {"name": "Pantry", "override": "off"},
                {"name": "Hood", "load_type": "motor"},
                {"name": "Counter"},
            ],
            "cco": {"name": "Gate", "type": "momentary", "pulse_seconds": 2},
        },
        {
            "serial": "000000A2",
            "name": "Kitchen 2",
            "area": "Kitchen",
            "address": 2,
            "cci_group": "emergency",
        },
        {"serial": "000000A3", "name": "Hall panel", "area": "Hall", "address": 3},
        {
            "serial": "000000B1",
            "name": "Garage panel",
            "area": "Garage",
            "link": 2,
            "address": 7,
        },
    ],
}
A1, A2, A3, B1 = "000000A1", "000000A2", "000000A3", "000000B1"


@pytest.fixture
def description() -> SystemDescription:
    """Return the small test system."""
    return parse_description(SYSTEM)


@pytest.fixture
def emulator(description: SystemDescription) -> Generator[Emulator]:
    """Return an emulator on the running event loop's clock."""
    emulator = Emulator(description)
    yield emulator
    emulator.close()


@pytest.fixture(scope="session")
def credentials() -> LeapCredentials:
    """Return one CA and server certificate for the whole run."""
    return LeapCredentials.generate()


@pytest.fixture(scope="session")
def client_pair(credentials: LeapCredentials) -> tuple[str, str]:
    """Return a client key and certificate issued by the emulator's CA."""
    return credentials.issue_client("test client")


@pytest.fixture
def client_context(
    credentials: LeapCredentials, client_pair: tuple[str, str]
) -> ssl.SSLContext:
    """Return a client TLS context with a certificate the emulator's CA signed."""
    return credentials.client_context(*client_pair)


@pytest.fixture
def cert_files(
    tmp_path: Path, credentials: LeapCredentials, client_pair: tuple[str, str]
) -> tuple[str, str, str]:
    """Write the client's key, certificate and the CA as files (what pylutron-caseta reads); return their paths."""
    paths = (tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem")
    for path, text in zip(paths, (*client_pair, credentials.ca_cert_pem), strict=True):
        path.write_text(text)
    return str(paths[0]), str(paths[1]), str(paths[2])


@pytest.fixture
async def server(
    socket_enabled: None, emulator: Emulator, credentials: LeapCredentials
) -> AsyncGenerator[LeapServer]:
    """Return a LEAP server on 127.0.0.1, ephemeral port, full profile."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    yield server
    await server.stop()


class LeapSession:
    """A bare TLS client that writes LEAP lines by hand and reads replies with bounded waits."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Wrap an open connection."""
        self.reader = reader
        self.writer = writer
        self._tags = 0

    @classmethod
    async def open(
        cls, port: int, context: ssl.SSLContext, host: str = "127.0.0.1"
    ) -> LeapSession:
        """Connect and finish the TLS handshake."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=context, server_hostname="", limit=2**20
            ),
            WAIT,
        )
        return cls(reader, writer)

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are."""
        self.writer.write(data)

    def send(self, message: dict[str, Any]) -> None:
        """Write one message as a line."""
        self.writer.write(json.dumps(message).encode() + b"\r\n")

    async def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        """Read one message."""
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        assert line, "connection closed"
        message: dict[str, Any] = json.loads(line)
        return message

    async def request(
        self,
        kind: str,
        url: str,
        body: Any = None,
        *,
        paging: dict[str, Any] | None = None,
        tag: str | None = None,
    ) -> dict[str, Any]:
        """Send one request and return the reply with its tag (pushes in between are not expected)."""
        self._tags += 1
        tag = tag or f"tag-{self._tags}"
        header: dict[str, Any] = {"Url": url, "ClientTag": tag}
        if paging is not None:
            header["Paging"] = paging
        message: dict[str, Any] = {"CommuniqueType": kind, "Header": header}
        if body is not None:
            message["Body"] = body
        self.send(message)
        reply = await self.receive()
        assert reply["Header"].get("ClientTag") == tag, reply
        return reply

    async def read_eof(self, timeout: float = WAIT) -> bytes:
        """Read until the server closes the connection; return what came before."""
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            return await asyncio.wait_for(self.reader.read(), timeout)
        return b""

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


@pytest.fixture
async def leap(
    server: LeapServer, client_context: ssl.SSLContext
) -> AsyncGenerator[Callable[[], Any]]:
    """Return a function that opens raw sessions to the server; every one is closed at the end."""
    sessions: list[LeapSession] = []

    async def open_session() -> LeapSession:
        session = await LeapSession.open(server.port, client_context)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        await session.close()


def command(kind: str, **parameters: Any) -> dict[str, Any]:
    """Return a `CreateRequest` body for a zone command."""
    return {"Command": {"CommandType": kind, **parameters}}


def go_to_level(value: Any) -> dict[str, Any]:
    """Return the body of GoToLevel."""
    return command("GoToLevel", Parameter=[{"Type": "Level", "Value": value}])
