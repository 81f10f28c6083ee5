"""Reference servers: what the same traffic costs when the server does nothing but move bytes.

``echo``: every byte received is sent back (the round-trip floor of a loopback TCP connection with asyncio).
``fanout``: every line received is sent back to its sender and to every other connection (the floor of a
server that reports each command to its monitoring sessions).
``tls-echo CREDENTIALS``: the echo over TLS with client certificates, with the LEAP server's own TLS set-up (the
credentials file the emulator keeps beside its state): the round-trip floor of LEAP.

Run as ``python -m benchmarks.reference_servers echo|fanout|tls-echo [CREDENTIALS]``; prints
``listening on HOST:PORT`` and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import ssl
import sys
from typing import override

from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials


class _Echo(asyncio.Protocol):
    transport: asyncio.Transport

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    @override
    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


class _FanOut(asyncio.Protocol):
    """Each complete line goes back to the sender and to every other connection, in one write each."""

    def __init__(self, peers: set[_FanOut]) -> None:
        self._peers = peers
        self._pending = b""
        self.transport: asyncio.Transport | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._peers.add(self)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._peers.discard(self)

    @override
    def data_received(self, data: bytes) -> None:
        data = self._pending + data
        end = data.rfind(b"\n") + 1
        self._pending = data[end:]
        if end:
            lines = data[:end]
            for peer in self._peers:
                if peer.transport is not None:
                    peer.transport.write(lines)


async def _serve(kind: str, context: ssl.SSLContext | None = None) -> None:
    loop = asyncio.get_running_loop()
    peers: set[_FanOut] = set()
    server = await loop.create_server(
        (lambda: _FanOut(peers)) if kind == "fanout" else _Echo,
        "127.0.0.1",
        0,
        ssl=context,
    )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"{kind} listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    server.close()
    for peer in list(peers):
        if peer.transport is not None:
            peer.transport.abort()
    await server.wait_closed()


def main() -> None:
    """Serve the kind named on the command line."""
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind == "tls-echo" and len(sys.argv) > 2:
        data = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        context = LeapCredentials.from_dict(data).server_context()
        asyncio.run(_serve(kind, context))
        return
    if kind not in ("echo", "fanout"):
        sys.exit(
            "usage: python -m benchmarks.reference_servers echo|fanout|tls-echo CREDENTIALS"
        )
    asyncio.run(_serve(kind))


if __name__ == "__main__":
    main()
