"""What every server of the emulator does with a session's transport: one home for LIP, LEAP and pairing.

- `SessionProtocol`: the transport's callbacks, with what arrives before `connection_made` kept and handed over
  once it is called (with TLS 1.3 a client's first request can come in the same packet as the end of its
  handshake, before the upgrade's caller has called `connection_made`).
- `ServedSession`: a `SessionProtocol` that hands the session's start, bytes and end to its server (`SessionHost`);
  whatever the server raises ends that connection and is logged as a summary per source address, never reaching
  the event loop.
- `WriteBuffer`: the answers of one batch gathered and written with one system call; a peer that leaves more than
  the server's limit unread is reported so the server drops it rather than stall the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Protocol, override

from .limits import AddressLog, Admission

_LOGGER = logging.getLogger(__name__)


def peer_name(transport: asyncio.BaseTransport) -> str:
    """Return the connection's source address and port as logs and diagnostics show it."""
    return str(transport.get_extra_info("peername"))


def peer_address(transport: asyncio.BaseTransport) -> str:
    """Return the source address of a connection, without its port (what per-address limits count against)."""
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


class SessionProtocol(asyncio.Protocol):
    """A protocol that keeps what arrives before `connection_made` and hands it over once that is called."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self._early: list[bytes] | None = []
        # The connection's place in the socket budget, given back when it closes.
        self.admission: Admission | None = None

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

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        if self.admission is not None:
            self.admission.release()
        self.session_lost(exc)

    def session_started(self, transport: asyncio.Transport) -> None:
        """Take over the session once it is ready."""
        raise NotImplementedError

    def session_data(self, data: bytes) -> None:
        """Handle bytes of the session, in order."""
        raise NotImplementedError

    def session_lost(self, exc: Exception | None) -> None:
        """Handle the end of the session (`exc`: why, if it failed)."""
        raise NotImplementedError


class SessionHost[S](Protocol):
    """A server's side of its sessions, as `ServedSession` calls it."""

    def session_opened(self, transport: asyncio.Transport) -> S | None:
        """Start a session on `transport`, or refuse it (None: the server has closed the transport)."""

    def session_received(self, session: S, data: bytes) -> None:
        """Handle bytes the session's peer sent."""

    def session_closed(self, session: S, exc: Exception | None) -> None:
        """Forget a session whose connection is gone (`exc`: why, if it failed)."""


class ServedSession[S](SessionProtocol):
    """The transport's side of one session: hands everything to the server, and nothing the server raises further.

    An exception out of the server's handling (a fault of ours that some input reaches) would otherwise reach the
    event loop, which logs it with its traceback for every line that causes it ("Fatal error on SSL protocol").
    Here it aborts that one connection and is counted in `errors`, a summary per source address.

    Args:
        host: the server.
        errors: where failures are counted and logged.

    """

    def __init__(self, host: SessionHost[S], errors: AddressLog) -> None:
        """Serve one connection for `host`."""
        super().__init__()
        self._host = host
        self._errors = errors
        self._transport: asyncio.Transport | None = None
        self._session: S | None = None
        self._failed = False

    @property
    def session(self) -> S | None:
        """The server's session, once started (None when it was refused)."""
        return self._session

    @override
    def session_started(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        try:
            self._session = self._host.session_opened(transport)
        except Exception as err:  # noqa: BLE001 (see the class: nothing may reach the loop)
            self._fail(err)

    @override
    def session_data(self, data: bytes) -> None:
        if self._session is not None and not self._failed:
            try:
                self._host.session_received(self._session, data)
            except Exception as err:  # noqa: BLE001
                self._fail(err)

    @override
    def session_lost(self, exc: Exception | None) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                self._host.session_closed(session, exc)
            except Exception as err:  # noqa: BLE001
                self._fail(err)

    def _fail(self, err: Exception) -> None:
        self._failed = True
        transport = self._transport
        assert transport is not None  # every callback comes after the session started
        address = peer_address(transport)
        _LOGGER.debug("Session from %s failed", address, exc_info=err)
        self._errors.record(address, f"internal error ({type(err).__name__})")
        transport.abort()


class WriteBuffer:
    """What a session has to write, gathered until the server writes it at once.

    Args:
        transport: the session's connection.
        limit: bytes the peer may leave unread; past it `write` answers False.
        dirty: called when the first chunk of a batch is queued (the server then knows to write this session).

    """

    __slots__ = ("_chunks", "_dirty", "_limit", "_transport", "size")

    def __init__(
        self, transport: asyncio.Transport, limit: int, dirty: Callable[[], None]
    ) -> None:
        """Start empty."""
        self._transport = transport
        self._limit = limit
        self._dirty = dirty
        self._chunks: list[bytes] = []
        # Bytes queued, not written yet.
        self.size = 0

    def __bool__(self) -> bool:
        """Whether something waits to be written."""
        return bool(self._chunks)

    def queue(self, data: bytes) -> None:
        """Add `data` to the next write."""
        if not self._chunks:
            self._dirty()
        self._chunks.append(data)
        self.size += len(data)

    def clear(self) -> None:
        """Forget what was queued (the session is closing)."""
        self._chunks.clear()
        self.size = 0

    def write(self) -> bool:
        """Write what was queued; False when the peer leaves more than the limit unread."""
        if not self._chunks:
            return True
        data = b"".join(self._chunks)
        self.clear()
        self._transport.write(data)
        return self._transport.get_write_buffer_size() <= self._limit
