"""What the LEAP client tests share: an emulated processor served over LEAP on loopback, and more.

Certificates, a proxy that can freeze the link, and a scripted TLS server for answers the emulator never gives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field, replace
import json
import ssl
from typing import Any, Final

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.leap.client import (
    LEAP_TIMINGS,
    LeapCertificates,
    LeapClient,
)
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.serving import WAIT

HOST = "127.0.0.1"
HANDSHAKE_FAILED = (
    "Error on transport creation for incoming connection"  # asyncio's report
)
FAST: Final = replace(
    LEAP_TIMINGS,
    command_timeout=2.0,
    connect_timeout=2.0,
    reconnect_min=0.01,
    reconnect_max=0.05,
)


def house(
    modules: int = 3, database_date: str = "01/01/2026,00:00:00"
) -> SystemDescription:
    """Modules on link 1, the first two in one area, the others each in their own; one momentary CCO."""
    entries: list[dict[str, Any]] = [
        {
            "name": "Kitchen panel",
            "area": "Kitchen",
            "zones": ["Island", "Pantry", "Hood", "Counter"],
        },
        {
            "name": "Kitchen 2",
            "area": "Kitchen",
            "cco": {"name": "Gate", "type": "momentary"},
        },
    ]
    entries.extend({} for _ in range(max(0, modules - 2)))
    return parse_description(
        {
            "name": "Test house",
            "database_date": database_date,
            "processor": {
                "serial": "0A0B0C0D",
                "model": "HQP7-2",
                "firmware": "22.02.17f000",
            },
            "links": [
                {"number": 1, "modules": entries[:modules]},
                {"number": 2, "type": "clear_connect_a"},
            ],
        }
    )


def certificates(credentials: LeapCredentials) -> LeapCertificates:
    """Return a client certificate issued by the emulator's CA (LP21's direct issue)."""
    key, cert = credentials.issue_client()
    return LeapCertificates(key, cert, credentials.ca_cert_pem)


@dataclass
class Processor:
    """An emulator served over LEAP, and the certificates of a client it trusts."""

    emulator: Emulator
    credentials: LeapCredentials
    server: LeapServer
    certificates: LeapCertificates

    def client(self, port: int | None = None, **options: Any) -> LeapClient:
        """Return a client of this processor (not connected)."""
        return LeapClient(
            HOST,
            self.certificates,
            port=port or self.server.port,
            timings=replace(FAST, **options),
        )

    async def restart(self, **options: Any) -> None:
        """Stop the server and serve again on the same port (same CA unless `credentials` is given)."""
        await self.server.stop()
        credentials = options.pop("credentials", self.credentials)
        self.server = LeapServer(
            self.emulator,
            credentials,
            HOST,
            self.server.port,
            profile=self.server.profile,
            **options,
        )
        await self.server.start()


@contextlib.asynccontextmanager
async def processor(
    profile: Profile = Profile.FULL,
    description: SystemDescription | None = None,
    **options: Any,
) -> AsyncIterator[Processor]:
    """Serve an emulator over LEAP on loopback, with an ephemeral port."""
    emulator = Emulator(description or house())
    credentials = LeapCredentials.generate()
    server = LeapServer(emulator, credentials, HOST, 0, profile=profile, **options)
    await server.start()
    served = Processor(emulator, credentials, server, certificates(credentials))
    try:
        yield served
    finally:
        await served.server.stop()
        emulator.close()


def tolerate_failed_handshakes() -> None:
    """Let failed TLS handshakes of asyncio's own TLS servers (`scripted`) go unreported on this test's loop.

    The test loop reports them in debug mode; a test that presents or expects a refused certificate makes one
    side's handshake fail on purpose. Anything else still reaches the loop's handler (and fails the test). The
    emulator's servers handle failed handshakes themselves (`leap/tls.py`).
    """
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()

    def filtered(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == HANDSHAKE_FAILED and isinstance(
            context.get("exception"), ssl.SSLError | ConnectionError
        ):
            return
        if handler is None:
            loop.default_exception_handler(context)
        else:
            handler(loop, context)

    loop.set_exception_handler(filtered)


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait (bounded) until `predicate()` holds."""
    async with asyncio.timeout(WAIT):
        while not predicate():
            await asyncio.sleep(0.005)


@dataclass
class Proxy:
    """A TCP relay in front of a server; `frozen` stops relaying (the link goes silent without closing)."""

    target_port: int
    frozen: bool = False
    server: asyncio.Server | None = None
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def port(self) -> int:
        """The relay's own port."""
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        self.server = await asyncio.start_server(self._serve, HOST, 0)

    async def drop(self) -> None:
        """Close every relayed connection (the listener stays)."""
        writers, self.writers = self.writers, []
        for writer in writers:
            writer.close()

    async def stop(self) -> None:
        """Close every relayed connection and the listener."""
        for writer in self.writers:
            writer.close()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                HOST, self.target_port
            )
        except OSError:
            writer.close()
            return
        self.writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await reader.read(65536):
                if not self.frozen:
                    writer.write(data)
        finally:
            writer.close()


type Script = Callable[
    [dict[str, Any], Callable[[dict[str, Any] | bytes], None]], Awaitable[None] | None
]


@contextlib.asynccontextmanager
async def scripted(
    credentials: LeapCredentials,
    script: Script,
    context: ssl.SSLContext | None = None,
    *,
    host: str = HOST,
    port: int = 0,
    greeting: dict[str, Any] | None = None,
) -> AsyncIterator[int]:
    """Serve TLS (client certificates required), answering each request line with `script(request, send)`."""

    writers: set[asyncio.StreamWriter] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)

        def send(message: dict[str, Any] | bytes) -> None:
            writer.write(
                message
                if isinstance(message, bytes)
                else json.dumps(message).encode() + b"\r\n"
            )

        if greeting is not None:
            send(greeting)
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                result = script(json.loads(line), send)
                if result is not None:
                    await result
        writer.close()

    if context is None:
        context = await asyncio.to_thread(credentials.server_context)
    server = await asyncio.start_server(serve, host, port, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        # A test that failed before closing its client leaves sessions open: end them, or this would wait for ever.
        for writer in writers:
            writer.close()
        async with asyncio.timeout(WAIT):
            await server.wait_closed()


def reply(
    request: dict[str, Any], body_type: str | None, content: Any, **header: Any
) -> dict[str, Any]:
    """Return a `200 OK` reply to `request` with `{key: content}` as its body (LP6, LP9)."""
    kind = request["CommuniqueType"].replace("Request", "Response")
    keys = {
        "OneProjectDefinition": "Project",
        "MultipleDeviceDefinition": "Devices",
        "MultipleAreaDefinition": "Areas",
        "MultipleZoneDefinition": "Zones",
        "MultipleZoneStatus": "ZoneStatuses",
        "OneZoneStatus": "ZoneStatus",
        "OnePingResponse": "PingResponse",
    }
    message: dict[str, Any] = {
        "CommuniqueType": kind,
        "Header": {
            "StatusCode": "200 OK",
            "Url": request["Header"]["Url"],
            "ClientTag": request["Header"].get("ClientTag"),
            **header,
        },
    }
    if body_type is not None:
        message["Header"]["MessageBodyType"] = body_type
        message["Body"] = {keys[body_type]: content}
    return message
