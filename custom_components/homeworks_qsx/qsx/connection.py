"""A supervised connection to a processor, whatever the protocol: transport, log-in, keepalive and reconnection.

`Connection` opens a TCP session (`asyncio.Protocol`: received bytes are handled in the transport's callback, with
no reading task in between), lets the protocol log in and read every state, then keeps the link alive with the
protocol's ping and reconnects by itself with a jittered exponential backoff, declaring the link up again only once
the protocol has read every state. A reconnection refused for the credentials ends the attempts: retrying a
rejected login cannot succeed, and a processor logs every failure; listeners of
`subscribe_credentials_rejected` hear of it, and the connection waits for `close()` or a new `connect()`.

Failover: a connection takes an ordered list of `Endpoint`s, the processors of one project that each serve all of
it (LP53), the primary first. `connect()` tries them in that order and takes the first that answers. When the
session in use is lost (reset, refused, a keepalive left unanswered), the reconnection tries the next endpoint, then
the one after, round robin, the lost one last, with the back-off between rounds, for ever. An endpoint that refuses
the credentials is left out until the next `connect()`; only when every endpoint has refused them do the attempts
stop. The connection stays on the endpoint that works: it goes back to the primary only when that one fails in turn.

Replies the protocol waits for are `PendingReply`s on the link, in the order they were asked for; when the link is
lost every one of them fails at once. A protocol (`LipClient`, `LeapClient`) subclasses `Connection` and provides:
`_log_in` (prompts, credentials), `_start_session` (set-up and reading every state), `link_data` (what arrives)
and `_send_ping` (a request every reply must follow), and may add `_transport_options` (TLS).

asyncio has the transport and nothing more; the supervision above it is specific enough (credentials that stop the
retries, a model re-read before "connected") that no library covers it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import deque
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass, field
import logging
import random
import time
from typing import Any, override

from .backend import ConnectionCallback, CredentialsRejectedCallback
from .errors import (
    AuthenticationError,
    CommandTimeoutError,
    ConnectionFailedError,
    QsxError,
    describe_cause,
)
from .events import Unsubscribe, make_unsubscribe

_LOGGER = logging.getLogger(__name__)


def notify[*Args](callbacks: list[Callable[[*Args], None]], *args: *Args) -> None:
    """Call every listener; one that raises is logged and must not end the supervisor that calls it."""
    for callback in list(callbacks):
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("Listener %r failed", callback)


async def discard(task: asyncio.Task[Any]) -> None:
    """Cancel `task` if it still runs, and drop its result or error."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: it does not matter any more


@dataclass(slots=True)
class PendingReply:
    """A reply the protocol waits for; `finish` wakes the waiter (`failed` when the link was lost)."""

    answered: asyncio.Future[None]
    failed: bool = False

    def finish(self, *, failed: bool = False) -> None:
        """Wake the waiter: the reply came, or the link was lost (`failed`)."""
        self.failed = failed
        if not self.answered.done():
            self.answered.set_result(None)


@dataclass(slots=True, eq=False)
class Link[R: PendingReply]:
    """One TCP session of a connection."""

    transport: asyncio.Transport
    pending: deque[R] = field(default_factory=deque)
    # Set when the session is lost or given up; the supervisor then reconnects.
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Set once the transport has closed.
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # While logging in: woken by every arrival of data, and when the connection is lost.
    waiter: asyncio.Future[None] | None = None
    error: Exception | None = None

    def wake(self) -> None:
        """Wake whoever waits for data (logging in)."""
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next_data(self) -> None:
        """Wait until data arrives or the connection is lost."""
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter

    def fail_pending(self) -> None:
        """Fail every reply still awaited."""
        while self.pending:
            self.pending.popleft().finish(failed=True)


class _LinkProtocol[L: Link[Any]](asyncio.Protocol):
    """The transport's side of a link: what arrives goes to the connection as it arrives."""

    __slots__ = ("_connection", "link")

    def __init__(self, connection: Connection[L]) -> None:
        self._connection = connection
        self.link: L | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link = self._connection.new_link(transport)

    @override
    def data_received(self, data: bytes) -> None:
        assert self.link is not None
        self._connection.link_data(self.link, data)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        link = self.link
        assert link is not None
        link.error = exc
        self._connection.link_lost(link)
        link.disconnected.set()


@dataclass(frozen=True, slots=True)
class Timings:
    """A connection's intervals and timeouts (seconds); each protocol has its defaults, tests shorten them.

    Attributes:
        keepalive_interval: seconds between pings.
        keepalive_misses: pings in a row left unanswered (each for one interval) before the link is declared lost;
            the ping window is `keepalive_interval * keepalive_misses`.
        command_timeout: how long a reply (or a command's result) may take.
        connect_timeout: how long connecting and reading everything may take.
        reconnect_min: first delay before reconnecting; doubled after each failure.
        reconnect_max: longest delay between attempts.

    """

    keepalive_interval: float
    keepalive_misses: int
    command_timeout: float = 5.0
    connect_timeout: float = 10.0
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one processor of the project is reached: host and port, and its serial when known.

    `serial` is what the application knows the processor by (diagnostics); the connection does not need it.
    """

    host: str
    port: int
    serial: str | None = None

    def __str__(self) -> str:
        """`host:port`, as errors and logs name it."""
        return f"{self.host}:{self.port}"


@dataclass(slots=True)
class _EndpointRecord:
    """What happened on one endpoint: sessions made, attempts failed, the last error, a refusal of the credentials."""

    connects: int = 0
    failures: int = 0
    last_error: str | None = None
    refused: bool = False


class Backoff:
    """The delays between connection attempts, jittered so that clients of one processor do not come back together.

    From `reconnect_min`, doubled after each failure up to `reconnect_max`; each delay is drawn between half and all
    of its value.
    """

    __slots__ = ("_delay", "_timings")

    def __init__(self, timings: Timings) -> None:
        """Start at `timings.reconnect_min`."""
        self._timings = timings
        self._delay = timings.reconnect_min

    def next_delay(self) -> float:
        """Return the delay before the next attempt, and double the one after it."""
        delay = self._delay * random.uniform(0.5, 1.0)
        self._delay = min(self._delay * 2, self._timings.reconnect_max)
        return delay


class Connection[L: Link[Any]](ABC):
    """A processor reached over TCP, kept connected until `close()`; failing over to the project's other processors.

    Args:
        endpoints: the processors' endpoints, the primary first; or the host of the only one, with `port`.
        port: the port of `endpoints` when it is a host.
        timings: intervals and timeouts (tests shorten them).

    """

    def __init__(
        self,
        endpoints: str | Sequence[Endpoint],
        port: int | None = None,
        *,
        timings: Timings,
    ) -> None:
        """Prepare a connection; nothing is connected before `connect()`."""
        if isinstance(endpoints, str):
            assert port is not None, "a host needs its port"
            endpoints = (Endpoint(endpoints, port),)
        self.endpoints: tuple[Endpoint, ...] = tuple(endpoints)
        if not self.endpoints:
            raise ValueError("A connection needs at least one endpoint")
        self._index = 0  # the endpoint in use, or being tried
        self._used: int | None = None  # the endpoint of the last session
        self._records = [_EndpointRecord() for _ in self.endpoints]
        self._timings = timings
        self._link: L | None = None
        self._connected = False
        self._supervisor: asyncio.Task[None] | None = None
        self._connection_callbacks: list[ConnectionCallback] = []
        self._credentials_callbacks: list[CredentialsRejectedCallback] = []
        self._rejected: AuthenticationError | None = None
        self._counters = {"connects": 0, "reconnect_attempts": 0, "failovers": 0}
        self._last_error: str | None = None
        self._connected_since: float | None = None

    # The protocol's part.

    @abstractmethod
    def new_link(self, transport: asyncio.Transport) -> L:
        """Return the link of a new TCP session."""

    @abstractmethod
    def link_data(self, link: L, data: bytes) -> None:
        """Handle bytes received on `link` (called by the transport)."""

    @abstractmethod
    async def _log_in(self, link: L) -> None:
        """Log in on a new link; `AuthenticationError` or `ConnectionFailedError` when that fails."""

    @abstractmethod
    async def _start_session(self, link: L) -> None:
        """Set the logged-in session up and read every state (the connection is declared up after it)."""

    @abstractmethod
    def _send_ping(self, link: L) -> PendingReply:
        """Send a request that the processor answers after everything sent before it; return its reply."""

    def _transport_options(self) -> dict[str, Any]:
        """Return extra `create_connection` arguments (LEAP: its TLS context); none for plain TCP."""
        return {}

    # State and listeners.

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint in use (while reconnecting: the one being tried)."""
        return self.endpoints[self._index]

    @property
    def host(self) -> str:
        """The host of the endpoint in use."""
        return self.endpoint.host

    @property
    def port(self) -> int:
        """The port of the endpoint in use."""
        return self.endpoint.port

    @property
    def connected(self) -> bool:
        """Whether the link is up and every state has been read."""
        return self._connected

    @property
    def credentials_rejected(self) -> bool:
        """Whether the last login was refused for the credentials (after a reconnection: no more attempts)."""
        return self._rejected is not None

    def subscribe_connection(self, callback: ConnectionCallback) -> Unsubscribe:
        """Call `callback(True)` when the link is (re)established with fresh states, `callback(False)` when lost."""
        self._connection_callbacks.append(callback)
        return make_unsubscribe(self._connection_callbacks, callback)

    def subscribe_credentials_rejected(
        self, callback: CredentialsRejectedCallback
    ) -> Unsubscribe:
        """Call `callback()` when the processor refuses a reconnection for the credentials.

        The connection has then stopped reconnecting; it tries again only on a new `connect()`. A first
        `connect()` refused for the credentials raises `AuthenticationError` instead.
        """
        self._credentials_callbacks.append(callback)
        return make_unsubscribe(self._credentials_callbacks, callback)

    def _set_connected(self, connected: bool) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        self._connected_since = time.monotonic() if connected else None
        # Debug only: the application logs the one line per change its users see.
        if connected:
            _LOGGER.debug("Connected to %s:%s", self.host, self.port)
        else:
            _LOGGER.debug("Connection to %s:%s lost", self.host, self.port)
        notify(self._connection_callbacks, connected)

    def connection_diagnostics(self) -> dict[str, Any]:
        """Return the connection's state and counters (no credentials)."""
        link = self._link
        return {
            "host": self.host,
            "port": self.port,
            "connected": self._connected,
            "connected_for_s": (
                round(time.monotonic() - self._connected_since, 1)
                if self._connected_since is not None
                else None
            ),
            "pending_batches": len(link.pending) if link else 0,
            "last_error": self._last_error,
            "credentials_rejected": self.credentials_rejected,
            **self._counters,
            "endpoint_serial": self.endpoint.serial,
            "endpoints": [
                {
                    "host": endpoint.host,
                    "port": endpoint.port,
                    "serial": endpoint.serial,
                    "in_use": self._connected and index == self._index,
                    "connects": record.connects,
                    "failures": record.failures,
                    "last_error": record.last_error,
                    "credentials_refused": record.refused,
                }
                for index, (endpoint, record) in enumerate(
                    zip(self.endpoints, self._records, strict=True)
                )
            ],
        }

    # Life cycle.

    async def connect(self) -> None:
        """Connect, log in, read every state, then keep the link up in the background.

        Also the way to try again after the credentials were rejected on a reconnection.

        Raises:
            ConnectionFailedError: the processor cannot be reached (or refused the session).
            AuthenticationError: the processor rejected the credentials.
            CommandTimeoutError: the states were not all read in time.

        """
        if self._supervisor is not None and not self._supervisor.done():
            raise QsxError("Already connected")
        for record in self._records:
            record.refused = False
        try:
            link = await self._first_link()
        except AuthenticationError as err:
            self._rejected = err
            raise
        self._rejected = None
        self._set_connected(True)
        self._supervisor = asyncio.create_task(
            self._supervise(link), name=f"connection-{self.host}:{self.port}"
        )

    async def close(self) -> None:
        """Disconnect: cancel every task, close the socket."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait(
                [self._supervisor]
            )  # unlike awaiting it, keeps a cancellation of close() itself
            self._supervisor = None
        if self._link is not None:
            await self._close_link(self._link)
        self._set_connected(False)

    async def ping(self) -> None:
        """Round trip: returns once everything the processor sent before its answer has been handled."""
        reply = self._send_ping(self._require_link())
        await self._wait(reply, "a ping", self._timings.command_timeout)

    async def _first_link(self) -> L:
        """One attempt on each endpoint, the primary first; the first that answers is kept.

        When none does: the first failure that is not a refusal of the credentials is raised (every endpoint
        refused them: the first refusal).
        """
        failures: list[QsxError] = []
        for index in self._rotation(0):
            try:
                return await self._attempt(index)
            except QsxError as err:
                failures.append(err)
        others = [err for err in failures if not isinstance(err, AuthenticationError)]
        raise (others or failures)[0]

    def _rotation(self, start: int) -> list[int]:
        """Return the endpoints of one round, from `start` on, round robin; those that refused the credentials left out."""
        count = len(self.endpoints)
        return [
            index
            for index in ((start + step) % count for step in range(count))
            if not self._records[index].refused
        ]

    async def _attempt(self, index: int) -> L:
        """Open a session on one endpoint; a refusal of the credentials marks it refused."""
        self._index = index
        record = self._records[index]
        try:
            link = await self._establish()
        except QsxError as err:
            record.failures += 1
            record.last_error = str(err)
            self._last_error = str(err)
            if isinstance(err, AuthenticationError):
                record.refused = True
            raise
        record.connects += 1
        if self._used is not None and index != self._used:
            self._counters["failovers"] += 1
            _LOGGER.debug(
                "Now connected to %s instead of %s",
                self.endpoint,
                self.endpoints[self._used],
            )
        self._used = index
        return link

    async def _supervise(self, link: L) -> None:
        """Wait for the link to drop, then reconnect (`_reconnect`); until `close()`, or the credentials are refused."""
        while True:
            await link.closed.wait()
            self._set_connected(False)
            await self._close_link(link)
            found = await self._reconnect(self._index)
            if found is None:
                return
            link = found
            self._set_connected(True)

    async def _reconnect(self, lost: int) -> L | None:
        """Try the endpoints round robin from the one after `lost`, `lost` last, a back-off delay before each round.

        Returns the new link; None once every endpoint has refused the credentials (listeners were told).
        """
        backoff = Backoff(self._timings)
        while True:
            await asyncio.sleep(backoff.next_delay())
            for index in self._rotation(lost + 1):
                self._counters["reconnect_attempts"] += 1
                try:
                    return await self._attempt(index)
                except AuthenticationError as err:
                    if not self._rotation(0):
                        self._credentials_refused(err)
                        return None
                    _LOGGER.debug("%s; the other endpoints stay in use", err)
                except QsxError as err:
                    _LOGGER.debug("Reconnection to %s failed: %s", self.endpoint, err)

    def _credentials_refused(self, err: AuthenticationError) -> None:
        """Stop reconnecting: the same login would be refused again (and counted by the processor)."""
        self._rejected = err
        self._last_error = str(err)
        _LOGGER.debug("%s; no more reconnection attempts", err)
        notify(self._credentials_callbacks)

    async def _establish(self) -> L:
        """Open a session, log in and start it; on failure nothing stays open."""
        link = await self._open()
        await self._start(link, self._start_session(link))
        return link

    async def _start(self, link: L, session: Any) -> None:
        """Run `session` (the awaitable that starts the logged-in link), then keep the link alive."""
        self._link = link
        try:
            await session
        except BaseException as err:
            self._last_error = str(err)
            await self._close_link(link)
            raise
        link.tasks.append(
            asyncio.create_task(self._keepalive(link), name="connection-keepalive")
        )
        self._counters["connects"] += 1

    async def _open(self) -> L:
        try:
            async with asyncio.timeout(self._timings.connect_timeout):
                _, protocol = await asyncio.get_running_loop().create_connection(
                    lambda: _LinkProtocol(self),
                    self.host,
                    self.port,
                    **self._transport_options(),
                )
        except (OSError, TimeoutError) as err:
            raise ConnectionFailedError(
                f"Cannot connect to {self.host}:{self.port}: "
                f"{describe_cause(err, self._timings.connect_timeout)}"
            ) from err
        link = protocol.link
        assert link is not None
        try:
            async with asyncio.timeout(self._timings.connect_timeout):
                await self._log_in(link)
        except TimeoutError as err:
            await self._close_link(link)
            raise ConnectionFailedError(
                f"{self.host}:{self.port} did not complete the login"
            ) from err
        except BaseException:
            await self._close_link(link)
            raise
        return link

    async def _close_link(self, link: L) -> None:
        current = asyncio.current_task()
        others = [task for task in link.tasks if task is not current]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others)
        link.tasks.clear()
        link.fail_pending()
        link.closed.set()
        link.transport.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timings.command_timeout):
                await link.disconnected.wait()
        if self._link is link:
            self._link = None

    def link_lost(self, link: L) -> None:
        """Fail what waits: the connection closed (processor, network, or `_close_link`)."""
        if link.error is not None:
            _LOGGER.debug(
                "Connection to %s:%s failed: %s", self.host, self.port, link.error
            )
        link.fail_pending()
        link.closed.set()
        link.wake()

    def _require_link(self) -> L:
        if self._link is None or not self._connected:
            raise ConnectionFailedError(f"Not connected to {self.host}:{self.port}")
        return self._link

    async def _wait(self, reply: PendingReply, what: str, timeout: float) -> None:
        """Wait for `reply`; `CommandTimeoutError` after `timeout`, `ConnectionFailedError` if the link is lost."""
        try:
            async with asyncio.timeout(timeout):
                await reply.answered
        except TimeoutError:
            raise CommandTimeoutError(
                f"{self.host}:{self.port} did not answer {what} in time"
            ) from None
        if reply.failed:
            raise ConnectionFailedError(
                f"Connection to {self.host}:{self.port} lost during {what}"
            )

    async def _keepalive(self, link: L) -> None:
        """Ping every interval; declare the link dead after `keepalive_misses` pings in a row went unanswered."""
        misses = 0
        ping: PendingReply | None = None
        while True:
            await asyncio.sleep(self._timings.keepalive_interval)
            if ping is not None and not ping.answered.done():
                misses += 1
                if misses >= self._timings.keepalive_misses:
                    _LOGGER.debug(
                        "%s:%s missed %d keepalives", self.host, self.port, misses
                    )
                    link.fail_pending()
                    link.closed.set()
                    return
            else:
                misses = 0
            ping = self._send_ping(link)
