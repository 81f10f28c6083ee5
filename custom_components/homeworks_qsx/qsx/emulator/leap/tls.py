"""A TCP listener whose connections become TLS sessions through a handshake it runs and watches itself.

asyncio's own TLS listener reports every failed handshake (a client without a certificate, one from another CA, a
client that never finishes) to the event loop's exception handler. Here each accepted connection is upgraded with
`loop.start_tls` in a task of ours: a failed or late handshake is counted, logged at debug level and the
connection aborted, and nothing reaches the loop.

Every accepted socket takes its place in the emulator's `SocketBudget` (`qsx/limits.py`) through the listener's
`ListenerLimits`, shared with the LIP and HTTP listeners: the TLS handshake is the connection's handshake there
(its deadline, and at the bound of pending handshakes the oldest gives way), and the place is given back when the
connection closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import functools
import logging
import ssl
from typing import override

from ..limits import AddressLog, Admission, ListenerLimits
from ..sessions import SessionProtocol, peer_address, peer_name

_LOGGER = logging.getLogger(__name__)


class _Accept(asyncio.Protocol):
    def __init__(self, listener: TlsListener) -> None:
        self._listener = listener

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._listener.accepted(transport)


class TlsListener:
    """Listen on TCP and upgrade each connection to TLS with `context`, within the limits of `limits`.

    Args:
        name: what to call the listener in logs.
        context: the server's TLS context (it decides whether a client certificate is required).
        protocol_factory: makes the protocol of each session once its handshake is done.
        limits: the listener's share of the socket budget: its handshake deadline (LP4) and its bound on
            connections still in their handshake (at the bound the oldest gives way).
        errors: the server's summary per source address, where connections refused for want of sockets count.

    """

    def __init__(
        self,
        name: str,
        context: ssl.SSLContext,
        protocol_factory: Callable[[], SessionProtocol],
        *,
        limits: ListenerLimits,
        errors: AddressLog,
    ) -> None:
        """Prepare the listener; nothing listens before `start()`."""
        self._name = name
        self._errors = errors
        self._context = context
        self._factory = protocol_factory
        self._limits = limits
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
        """Start the handshake of a new connection, unless the socket budget has no room for it."""
        admission = (
            self._limits.admit(transport.abort) if self._server is not None else None
        )
        if admission is None:
            self.refused_handshakes += 1
            _LOGGER.debug(
                "%s: connection from %s closed: too many connections are open",
                self._name,
                peer_name(transport),
            )
            self._errors.record(
                peer_address(transport), "closed: too many connections are open"
            )
            transport.abort()
            return
        task = asyncio.get_running_loop().create_task(
            self._handshake(transport, admission), name=f"{self._name} handshake"
        )
        self._pending.add(task)
        task.add_done_callback(
            functools.partial(self._handshake_done, transport, admission)
        )

    def _handshake_done(
        self,
        transport: asyncio.Transport,
        admission: Admission,
        task: asyncio.Task[None],
    ) -> None:
        self._pending.discard(task)
        if (
            task.cancelled()
        ):  # cancelled before its first step, its own handler never ran
            admission.release()
            transport.abort()

    async def _handshake(
        self, transport: asyncio.Transport, admission: Admission
    ) -> None:
        if transport.is_closing():
            # Displaced or closed before its turn came: TLS state made now would live until the handshake
            # deadline (asyncio's timer holds it, with its 256 KiB buffer), since its close has been delivered.
            self._failed(transport, admission, None)
            return
        protocol = self._factory()
        loop = asyncio.get_running_loop()
        try:
            session = await loop.start_tls(
                transport,
                protocol,
                self._context,
                server_side=True,
                ssl_handshake_timeout=self._limits.handshake_deadline,
            )
        except (OSError, ssl.SSLError, TimeoutError, RuntimeError) as err:
            self._failed(transport, admission, err)
            return
        if session is None:  # the connection closed during the handshake
            self._failed(transport, admission, None)
            return
        admission.established()
        protocol.admission = admission
        protocol.connection_made(session)

    def _failed(
        self,
        transport: asyncio.Transport,
        admission: Admission,
        err: BaseException | None,
    ) -> None:
        self.failed_handshakes += 1
        if err is not None:
            _LOGGER.debug(
                "%s: TLS handshake with %s failed: %s",
                self._name,
                peer_name(transport),
                err,
            )
        admission.release()
        transport.abort()
