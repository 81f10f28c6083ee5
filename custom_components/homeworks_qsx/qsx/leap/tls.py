"""A TCP listener whose connections become TLS sessions through a handshake it runs and watches itself.

asyncio's own TLS listener reports every failed handshake (a client without a certificate, one from another CA, a
client that never finishes) to the event loop's exception handler. Here each accepted connection is upgraded with
`loop.start_tls` in a task of ours: a failed or late handshake is counted, logged at debug level and the
connection aborted, and nothing reaches the loop. Connections still in their handshake are bounded too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import ssl
from typing import Final, override

_LOGGER = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT: Final = 10.0  # LP4, seconds


class SessionProtocol(asyncio.Protocol):
    """A protocol that keeps what arrives before `connection_made` and hands it over once that is called.

    With TLS 1.3 a client may send its first request in the same packet as the end of its handshake: that data can
    reach the protocol before the upgrade's caller has called `connection_made`.
    """

    def __init__(self) -> None:
        """Start with nothing received."""
        self._early: list[bytes] | None = []

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        early, self._early = self._early, None
        self.session_started(transport)
        for data in early or ():
            self.session_data(data)

    @override
    def data_received(self, data: bytes) -> None:
        if self._early is not None:
            self._early.append(data)
            return
        self.session_data(data)

    def session_started(self, transport: asyncio.Transport) -> None:
        """Take over the TLS session once it is ready."""
        raise NotImplementedError

    def session_data(self, data: bytes) -> None:
        """Handle bytes of the session, in order."""
        raise NotImplementedError


class _Accept(asyncio.Protocol):
    def __init__(self, listener: TlsListener) -> None:
        self._listener = listener

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._listener.accepted(transport)


class TlsListener:
    """Listen on TCP and upgrade each connection to TLS with `context` within `handshake_timeout` seconds.

    Args:
        name: what to call the listener in logs.
        context: the server's TLS context (it decides whether a client certificate is required).
        protocol_factory: makes the protocol of each session once its handshake is done.
        handshake_timeout: seconds a client has to finish the handshake (LP4).
        max_pending: connections in their handshake at once; more are closed at once.

    """

    def __init__(
        self,
        name: str,
        context: ssl.SSLContext,
        protocol_factory: Callable[[], SessionProtocol],
        *,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        max_pending: int,
    ) -> None:
        """Prepare the listener; nothing listens before `start()`."""
        self._name = name
        self._context = context
        self._factory = protocol_factory
        self._timeout = handshake_timeout
        self._max_pending = max_pending
        self._pending: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.failed_handshakes = 0
        self.refused_handshakes = 0

    async def start(self, host: str, port: int) -> int:
        """Listen; return the port (the real one when 0 was asked for); `OSError` when it cannot be bound."""
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Accept(self), host, port
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, abandon the handshakes in progress and abort the connections still open."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.wait(list(self._pending))
        if server is not None:
            server.abort_clients()  # sessions still open would hold `wait_closed` forever
            await server.wait_closed()

    def accepted(self, transport: asyncio.Transport) -> None:
        """Start the handshake of a new connection, unless too many are in progress."""
        if self._server is None or len(self._pending) >= self._max_pending:
            self.refused_handshakes += 1
            _LOGGER.warning(
                "%s: connection from %s closed: too many handshakes in progress",
                self._name,
                _peer(transport),
            )
            transport.abort()
            return
        task = asyncio.get_running_loop().create_task(
            self._handshake(transport), name=f"{self._name} handshake"
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _handshake(self, transport: asyncio.Transport) -> None:
        protocol = self._factory()
        loop = asyncio.get_running_loop()
        try:
            session = await loop.start_tls(
                transport,
                protocol,
                self._context,
                server_side=True,
                ssl_handshake_timeout=self._timeout,
            )
        except asyncio.CancelledError:
            transport.abort()
            raise
        except (OSError, ssl.SSLError, TimeoutError, RuntimeError) as err:
            self.failed_handshakes += 1
            _LOGGER.debug(
                "%s: TLS handshake with %s failed: %s",
                self._name,
                _peer(transport),
                err,
            )
            transport.abort()
            return
        if session is None:  # the connection closed during the handshake
            self.failed_handshakes += 1
            transport.abort()
            return
        protocol.connection_made(session)


def _peer(transport: asyncio.BaseTransport) -> str:
    return str(transport.get_extra_info("peername"))
