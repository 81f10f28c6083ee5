"""Client of a HomeWorks processor (or of our emulator) over the Lutron Integration Protocol.

`LipClient` logs in, turns the prompt off, sets monitoring, reads the project database over HTTP, then reads
every state with pipelined queries, and keeps an in-memory model (`SystemTracker`) current from the reports.
It keeps the link alive with `?SYSTEM,10`, and reconnects by itself with a jittered exponential backoff,
re-reading every state before it declares the link up again. A reconnection the processor refuses for the
credentials ends the attempts: retrying a rejected login cannot succeed, and a processor logs every failure. The
client then tells its listeners (`subscribe_credentials_rejected`) and waits for `close()` or a new `connect()`.

Every batch of lines is written at once and closed by a `?SYSTEM,10` barrier: the processor answers lines in
order, so when the barrier's answer arrives every line before it has been handled, and any `~ERROR` that came
meanwhile belongs to that batch.

The link is an `asyncio.Protocol`: received lines are applied to the model in the transport's callback, which
also wakes the command waiting for them, with no reading task in between.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
import logging
import random
import time
from typing import Any, Final, override

import aiohttp
import yarl

from custom_components.homeworks_qsx.qsx.const import (
    MAX_PULSE_SECONDS,
    MIN_PULSE_SECONDS,
    ZONES_PER_MODULE,
    Button,
    Fault,
    IgnoredReason,
)
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    InvalidDatabaseError,
    NotSupportedError,
    QsxError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import (
    EventBus,
    Unsubscribe,
    make_unsubscribe,
)
from custom_components.homeworks_qsx.qsx.model import ModuleState, SystemDescription

from .dbxml import parse_dbxml
from .protocol import (
    ACTION_CCI_STATE,
    ACTION_LED_STATE,
    ACTION_PRESS,
    ACTION_PULSE,
    ACTION_SET_LEVEL,
    BAD_LOGIN,
    CCI_COMPONENT,
    CRLF,
    EMULATOR_TEMPERATURE,
    EMULATOR_WORDS,
    LED_COMPONENT_BASE,
    LOGIN_PROMPT,
    PASSWORD_PROMPT,
    PROG_LED,
    PROMPT,
    DatabaseDateReport,
    DeviceReport,
    ErrorCode,
    ErrorReport,
    LineSplitter,
    Monitoring,
    OutputReport,
    parse_report_line,
)
from .tracker import SystemTracker

_LOGGER = logging.getLogger(__name__)

BARRIER: Final = "?SYSTEM,10"
DATABASE_PATH: Final = "/DbXmlInfo.xml"
MAX_CLIENT_LINE: Final = 4096
MAX_DATABASE_BYTES: Final = 16 * 1024 * 1024
SETUP_LINES: Final = (
    f"#MONITORING,{Monitoring.PROMPT},2",
    f"#MONITORING,{Monitoring.BUTTON},1",
    f"#MONITORING,{Monitoring.LED},1",
    f"#MONITORING,{Monitoring.ZONE},1",
    f"#MONITORING,{Monitoring.REPLY},1",
)

type ConnectionCallback = Callable[[bool], None]
type CredentialsCallback = Callable[[], None]


def _notify[*Args](callbacks: list[Callable[[*Args], None]], *args: *Args) -> None:
    """Call every listener; one that raises is logged and must not end the supervisor that calls it."""
    for callback in list(callbacks):
        try:
            callback(*args)
        except Exception:
            _LOGGER.exception("Listener %r failed", callback)


async def _discard(task: asyncio.Task[Any]) -> None:
    """Cancel `task` if it still runs, and drop its result or error."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: it does not matter any more


@dataclass(slots=True)
class _Batch:
    """Lines written together and closed by a barrier; `~ERROR` codes answered meanwhile belong to them."""

    answered: asyncio.Future[None]
    failed: bool = False
    errors: list[int] = field(default_factory=list)

    def finish(self, *, failed: bool = False) -> None:
        """Wake the waiter: the barrier was answered, or the link was lost (`failed`)."""
        self.failed = failed
        if not self.answered.done():
            self.answered.set_result(None)


@dataclass(slots=True, eq=False)
class _Link:
    """One TCP session: logging in, then logged in."""

    transport: asyncio.Transport
    splitter: LineSplitter
    batches: deque[_Batch] = field(default_factory=deque)
    # Set when the session is lost or given up; the supervisor then reconnects.
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Set once the transport has closed.
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    logged_in: bool = False
    # While logging in: woken by every arrival of data, and when the connection is lost.
    waiter: asyncio.Future[None] | None = None
    last_line: str = ""
    error: Exception | None = None


class _LinkProtocol(asyncio.Protocol):
    """The transport's side of the link: lines go to the client as they arrive."""

    __slots__ = ("_client", "link")

    def __init__(self, client: LipClient) -> None:
        self._client = client
        self.link: _Link | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link = _Link(transport, LineSplitter(MAX_CLIENT_LINE))

    @override
    def data_received(self, data: bytes) -> None:
        link = self.link
        assert link is not None
        if link.logged_in:
            self._client._received(link, data)  # noqa: SLF001
            return
        for line in link.splitter.feed(data):
            if line and line.strip():
                link.last_line = line.strip()
        _wake(link)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        link = self.link
        assert link is not None
        link.error = exc
        self._client._lost(link)  # noqa: SLF001
        link.disconnected.set()


def _wake(link: _Link) -> None:
    if link.waiter is not None and not link.waiter.done():
        link.waiter.set_result(None)


def _cause(err: BaseException, timeout: float) -> str:
    """Name what went wrong: an exception's text, or what a time-out or a bare exception means."""
    if text := str(err):
        return text
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:g} s"
    return type(err).__name__


class LipClient:
    """A processor reached over LIP, with a live model of its system.

    Intervals and timeouts are constructor parameters (seconds), so tests can run fast.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        session: aiohttp.ClientSession,
        http_port: int = 80,
        command_timeout: float = 5.0,
        connect_timeout: float = 10.0,
        keepalive_interval: float = 60.0,
        keepalive_misses: int = 2,
        reconnect_min: float = 1.0,
        reconnect_max: float = 60.0,
    ) -> None:
        """Prepare a client; nothing is connected before `connect()`."""
        self.host = host
        self.port = port
        self.http_port = http_port
        self._username = username
        self._password = password
        self._session = session
        self._command_timeout = command_timeout
        self._connect_timeout = connect_timeout
        self._keepalive_interval = keepalive_interval
        self._keepalive_misses = keepalive_misses
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self.events = EventBus()
        self._tracker = SystemTracker(self.events)
        self._link: _Link | None = None
        self._connected = False
        self._supervisor: asyncio.Task[None] | None = None
        self._connection_callbacks: list[ConnectionCallback] = []
        self._credentials_callbacks: list[CredentialsCallback] = []
        self._rejected: AuthenticationError | None = None
        self._output_watchers: dict[int, list[Callable[[float], None]]] = {}
        self._counters = {
            "connects": 0,
            "reconnect_attempts": 0,
            "lines": 0,
            "ignored_lines": 0,
        }
        self._last_error: str | None = None
        self._connected_since: float | None = None

    # Model.

    @property
    def description(self) -> SystemDescription:
        """The system as read from the processor's database."""
        return self._tracker.description

    def state(self, serial: str) -> ModuleState:
        """Return the live state of one module; `UnknownObjectError` if unknown."""
        return self._tracker.state(serial)

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
        self, callback: CredentialsCallback
    ) -> Unsubscribe:
        """Call `callback()` when the processor refuses a reconnection for the credentials.

        The client has then stopped reconnecting; it tries again only on a new `connect()`. A first `connect()`
        refused for the credentials raises `AuthenticationError` instead.
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
        _notify(self._connection_callbacks, connected)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no credentials)."""
        link = self._link
        return {
            "host": self.host,
            "port": self.port,
            "http_port": self.http_port,
            "connected": self._connected,
            "connected_for_s": (
                round(time.monotonic() - self._connected_since, 1)
                if self._connected_since is not None
                else None
            ),
            "pending_batches": len(link.batches) if link else 0,
            "last_error": self._last_error,
            "credentials_rejected": self.credentials_rejected,
            "modules": len(self._tracker.description.modules)
            if self._tracker.loaded
            else 0,
            **self._counters,
        }

    # Life cycle.

    async def connect(self) -> None:
        """Connect, log in, read the database and every state, then keep the link up in the background.

        Also the way to try again after the credentials were rejected on a reconnection.

        Raises:
            ConnectionFailedError: the processor cannot be reached (or refused the session).
            AuthenticationError: the processor rejected the credentials.
            InvalidDatabaseError: the project database cannot be read or parsed.
            CommandTimeoutError: the states were not all read in time.

        """
        if self._supervisor is not None and not self._supervisor.done():
            raise QsxError("Already connected")
        try:
            link = await self._establish()
        except AuthenticationError as err:
            self._rejected = err
            raise
        self._rejected = None
        self._set_connected(True)
        self._supervisor = asyncio.create_task(
            self._supervise(link), name=f"lip-client-{self.host}:{self.port}"
        )

    async def close(self) -> None:
        """Disconnect: cancel every task, close the socket; the model stays readable."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait(
                [self._supervisor]
            )  # unlike awaiting it, keeps a cancellation of close() itself
            self._supervisor = None
        if self._link is not None:
            await self._close_link(self._link)
        self._set_connected(False)

    async def _supervise(self, link: _Link) -> None:
        """Wait for the link to drop, then reconnect with backoff (until `close()`, or credentials rejected)."""
        while True:
            await link.closed.wait()
            self._set_connected(False)
            await self._close_link(link)
            delay = self._reconnect_min
            while True:
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                self._counters["reconnect_attempts"] += 1
                try:
                    link = await self._establish()
                except AuthenticationError as err:
                    self._credentials_refused(err)
                    return
                except QsxError as err:
                    self._last_error = str(err)
                    _LOGGER.debug(
                        "Reconnection to %s:%s failed: %s", self.host, self.port, err
                    )
                    delay = min(delay * 2, self._reconnect_max)
                else:
                    break
            self._set_connected(True)

    def _credentials_refused(self, err: AuthenticationError) -> None:
        """Stop reconnecting: the same login would be refused again (and counted by the processor)."""
        self._rejected = err
        self._last_error = str(err)
        _LOGGER.debug("%s; no more reconnection attempts", err)
        _notify(self._credentials_callbacks)

    async def _establish(self) -> _Link:
        """Open a session and read everything; on failure nothing stays open.

        The database is read over HTTP while the session logs in: both mostly wait for the network. A failed
        login is reported before anything the database read found.
        """
        database = asyncio.create_task(
            self._fetch_database(), name="lip-client-database"
        )
        try:
            link = await self._open()
        except BaseException:
            await _discard(database)
            raise
        self._link = link
        try:
            link.transport.write((CRLF.join(SETUP_LINES) + CRLF).encode())
            self._tracker.set_description(await database)
            await self._read_states(link)
        except BaseException as err:
            await _discard(database)
            self._last_error = str(err)
            await self._close_link(link)
            raise
        link.tasks.append(
            asyncio.create_task(self._keepalive(link), name="lip-client-keepalive")
        )
        self._counters["connects"] += 1
        return link

    async def _open(self) -> _Link:
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, protocol = await asyncio.get_running_loop().create_connection(
                    lambda: _LinkProtocol(self), self.host, self.port
                )
        except (OSError, TimeoutError) as err:
            raise ConnectionFailedError(
                f"Cannot connect to {self.host}:{self.port}: "
                f"{_cause(err, self._connect_timeout)}"
            ) from err
        link = protocol.link
        assert link is not None
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._login(link)
        except TimeoutError as err:
            await self._close_link(link)
            raise ConnectionFailedError(
                f"{self.host}:{self.port} did not complete the login"
            ) from err
        except BaseException:
            await self._close_link(link)
            raise
        return link

    async def _login(self, link: _Link) -> None:
        await self._expect(link, (LOGIN_PROMPT,))
        link.transport.write(f"{self._username}{CRLF}".encode())
        await self._expect(link, (PASSWORD_PROMPT,))
        link.transport.write(f"{self._password}{CRLF}".encode())
        if await self._expect(link, (PROMPT, LOGIN_PROMPT)) != PROMPT:
            raise AuthenticationError(
                f"{self.host}:{self.port} rejected the user name or password"
            )
        link.logged_in = True

    async def _expect(self, link: _Link, prompts: tuple[str, ...]) -> str:
        """Wait until the partial line ends with one of `prompts`; return it."""
        while True:
            pending = link.splitter.pending
            for prompt in prompts:
                if pending.endswith(prompt):
                    link.splitter.clear_pending()
                    return prompt
            if link.disconnected.is_set():
                if link.error is not None:
                    raise ConnectionFailedError(
                        f"{self.host}:{self.port} closed the connection: {link.error}"
                    ) from link.error
                if link.last_line == BAD_LOGIN:
                    raise AuthenticationError(
                        f"{self.host}:{self.port} rejected the user name or password"
                    )
                raise ConnectionFailedError(
                    f"{self.host}:{self.port} closed the connection"
                    + (f": {link.last_line}" if link.last_line else "")
                )
            link.waiter = asyncio.get_running_loop().create_future()
            await link.waiter

    async def _close_link(self, link: _Link) -> None:
        current = asyncio.current_task()
        others = [task for task in link.tasks if task is not current]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others)
        link.tasks.clear()
        self._fail_batches(link)
        link.closed.set()
        link.transport.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._command_timeout):
                await link.disconnected.wait()
        if self._link is link:
            self._link = None

    def _fail_batches(self, link: _Link) -> None:
        while link.batches:
            link.batches.popleft().finish(failed=True)

    # Reading.

    def _received(self, link: _Link, data: bytes) -> None:
        for line in link.splitter.feed(data):
            if line is None:
                _LOGGER.debug(
                    "Over-long line from %s:%s discarded", self.host, self.port
                )
                self._counters["ignored_lines"] += 1
            else:
                self._handle_line(line, link.batches)

    def _lost(self, link: _Link) -> None:
        """Fail what waits: the connection closed (processor, network, or `_close_link`)."""
        if link.error is not None:
            _LOGGER.debug(
                "Connection to %s:%s failed: %s", self.host, self.port, link.error
            )
        self._fail_batches(link)
        link.closed.set()
        _wake(link)

    def _handle_line(self, text: str, batches: deque[_Batch]) -> None:
        """Apply one received line to the model; anything unknown is logged at debug level and ignored."""
        self._counters["lines"] += 1
        report = parse_report_line(text)
        match report:
            case OutputReport():
                if self._tracker.apply_output(report) is not None:
                    for watcher in list(
                        self._output_watchers.get(report.integration_id, ())
                    ):
                        watcher(report.level)
                    return
            case DeviceReport():
                if self._tracker.apply_device(report) is not None:
                    return
            case ErrorReport():
                if batches:
                    batches[0].errors.append(report.code)
                    return
            case DatabaseDateReport():
                if batches:
                    batches.popleft().finish()
                    return
        if text.strip():
            self._counters["ignored_lines"] += 1
            _LOGGER.debug(
                "Line from %s:%s ignored: %r", self.host, self.port, text[:100]
            )

    # Writing.

    def _send(self, link: _Link, lines: Iterable[str]) -> _Batch:
        """Write `lines` and a barrier at once; the batch is answered when the barrier is."""
        batch = _Batch(asyncio.get_running_loop().create_future())
        link.batches.append(batch)
        link.transport.write(CRLF.join([*lines, BARRIER, ""]).encode())
        return batch

    async def _wait(self, batch: _Batch, what: str, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await batch.answered
        except TimeoutError:
            raise CommandTimeoutError(
                f"{self.host}:{self.port} did not answer {what} in time"
            ) from None
        if batch.failed:
            raise ConnectionFailedError(
                f"Connection to {self.host}:{self.port} lost during {what}"
            )

    def _require_link(self) -> _Link:
        if self._link is None or not self._connected:
            raise ConnectionFailedError(f"Not connected to {self.host}:{self.port}")
        return self._link

    async def _fetch_database(self) -> SystemDescription:
        url = yarl.URL.build(
            scheme="http", host=self.host, port=self.http_port, path=DATABASE_PATH
        )
        try:
            async with self._session.get(
                url,
                timeout=aiohttp.ClientTimeout(total=self._connect_timeout),
                headers={"Connection": "close"},
            ) as response:
                if response.status != 200:
                    raise InvalidDatabaseError(f"{url} answered HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > MAX_DATABASE_BYTES:
                        raise InvalidDatabaseError(
                            f"{url} is larger than {MAX_DATABASE_BYTES} bytes"
                        )
        except (aiohttp.ClientConnectionError, TimeoutError) as err:
            raise ConnectionFailedError(
                f"Cannot read {url}: {_cause(err, self._connect_timeout)}"
            ) from err
        except aiohttp.ClientError as err:
            raise InvalidDatabaseError(
                f"Cannot read {url}: {_cause(err, self._connect_timeout)}"
            ) from err
        return parse_dbxml(bytes(body))

    async def _read_states(self, link: _Link) -> None:
        """Query every zone, CCO, CCI and LED at once, then collect the answers."""
        lines: list[str] = []
        for module in self._tracker.description.modules:
            lines.extend(
                f"?OUTPUT,{zone.integration_id},{ACTION_SET_LEVEL}"
                for zone in module.zones
            )
            lines.append(f"?OUTPUT,{module.cco.integration_id},{ACTION_SET_LEVEL}")
            lines.append(
                f"?DEVICE,{module.integration_id},{CCI_COMPONENT},{ACTION_CCI_STATE}"
            )
            lines.extend(
                f"?DEVICE,{module.integration_id},{led},{ACTION_LED_STATE}"
                for led in range(LED_COMPONENT_BASE + 1, PROG_LED + 1)
            )
        batch = self._send(link, lines)
        await self._wait(batch, "the state queries", self._connect_timeout)
        if batch.errors:
            _LOGGER.warning(
                "%s:%s answered %d state queries with an error: its database may not match",
                self.host,
                self.port,
                len(batch.errors),
            )

    async def _keepalive(self, link: _Link) -> None:
        """Ping every interval; declare the link dead after `keepalive_misses` pings in a row went unanswered."""
        misses = 0
        ping: _Batch | None = None
        while True:
            await asyncio.sleep(self._keepalive_interval)
            if ping is not None and not ping.answered.done():
                misses += 1
                if misses >= self._keepalive_misses:
                    _LOGGER.debug(
                        "%s:%s missed %d keepalives", self.host, self.port, misses
                    )
                    self._fail_batches(link)
                    link.closed.set()
                    return
            else:
                misses = 0
            ping = self._send(link, ())

    # Commands.

    async def ping(self) -> None:
        """Round trip to the processor: returns once every report sent before the answer has been applied."""
        link = self._require_link()
        await self._wait(self._send(link, ()), BARRIER, self._command_timeout)

    async def set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch a zone and return once the processor reported it (`CommandIgnoredError` if the module ignored it)."""
        module = self._tracker.module(serial)
        if not 1 <= zone <= ZONES_PER_MODULE:
            raise UnknownObjectError(f"Module {serial} has no zone {zone}")
        output = module.zone(zone).integration_id
        await self._execute(
            f"#OUTPUT,{output},{ACTION_SET_LEVEL},{100 if on else 0}",
            serial,
            output,
            on,
        )

    async def set_cco(self, serial: str, closed: bool) -> None:
        """Close or open the CCO (a momentary CCO pulses when closed)."""
        output = self._tracker.module(serial).cco.integration_id
        await self._execute(
            f"#OUTPUT,{output},{ACTION_SET_LEVEL},{100 if closed else 0}",
            serial,
            output,
            closed,
        )

    async def pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Pulse the CCO for `seconds` (default: the module's pulse time); returns once it has closed."""
        output = self._tracker.module(serial).cco.integration_id
        if (
            seconds is not None
            and not MIN_PULSE_SECONDS <= seconds <= MAX_PULSE_SECONDS
        ):
            raise ValueError(
                f"A pulse lasts {MIN_PULSE_SECONDS:g} to {MAX_PULSE_SECONDS:g} s"
            )
        line = (
            f"#OUTPUT,{output},{ACTION_PULSE}"
            if seconds is None
            else f"#OUTPUT,{output},{ACTION_PULSE},{seconds:.2f}"
        )
        await self._execute(line, serial, output, True)

    async def press_button(self, serial: str, button: Button) -> None:
        """Press a button of the module (M8) and return once the processor has handled it."""
        module = self._tracker.module(serial)
        await self._execute(
            f"#DEVICE,{module.integration_id},{int(Button(button))},{ACTION_PRESS}",
            serial,
            None,
            None,
            button=True,
        )

    async def emulate(self, serial: str, fault: Fault, value: bool | float) -> None:
        """Send an `#EMULATOR` command (our emulator only; a real processor answers `NotSupportedError`)."""
        module = self._tracker.module(serial)
        if fault is Fault.TEMPERATURE:
            word, argument = EMULATOR_TEMPERATURE, f"{float(value):.2f}"
        else:
            word, yes, no = EMULATOR_WORDS[fault]
            argument = yes if value else no
        link = self._require_link()
        line = f"#EMULATOR,{module.integration_id},{word},{argument}"
        batch = self._send(link, (line,))
        await self._wait(batch, line, self._command_timeout)
        if batch.errors:
            raise self._error(line, batch.errors[0])

    async def _execute(
        self,
        line: str,
        serial: str,
        output: int | None,
        desired: bool | None,
        *,
        button: bool = False,
    ) -> None:
        """Send a command and wait until the processor reported its result.

        After the barrier: an error answer raises; a module that ignores commands (as its LEDs and CCI say)
        raises `CommandIgnoredError`; otherwise the command is done once the output shows the desired level.
        A button is at the module: a lost link does not stop it (L2).
        """
        link = self._require_link()
        # The report normally comes before the barrier's answer: a future is made only when it did not.
        seen = False
        waiter: asyncio.Future[None] | None = None

        def watch(level: float) -> None:
            nonlocal seen
            if (level > 0) == desired:
                seen = True
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)

        unwatch = self._watch_output(output, watch) if output is not None else None
        try:
            async with asyncio.timeout(self._command_timeout):
                batch = self._send(link, (line,))
                await batch.answered
                if batch.failed:
                    raise ConnectionFailedError(
                        f"Connection to {self.host}:{self.port} lost during {line}"
                    )
                if batch.errors:
                    raise self._error(line, batch.errors[0])
                reason = self._tracker.state(serial).ignored_reason
                if reason is not None and not (
                    button and reason is IgnoredReason.NO_LINK
                ):
                    raise CommandIgnoredError(serial, reason)
                if (
                    output is None
                    or desired is None
                    or seen
                    or self._output_is(output, desired)
                ):
                    return
                waiter = asyncio.get_running_loop().create_future()
                await waiter
        except TimeoutError:
            raise CommandTimeoutError(
                f"{self.host}:{self.port} did not report the result of {line} in time"
            ) from None
        finally:
            if unwatch is not None:
                unwatch()

    def _output_is(self, output: int, desired: bool) -> bool:
        ref = self._tracker.output(output)
        if ref is None:
            return False
        state = self._tracker.state(ref.serial)
        level = state.cco_closed if ref.zone is None else state.zones[ref.zone - 1].on
        return level == desired

    def _watch_output(
        self, output: int, watcher: Callable[[float], None]
    ) -> Callable[[], None]:
        watchers = self._output_watchers.setdefault(output, [])
        watchers.append(watcher)

        def unwatch() -> None:
            watchers.remove(watcher)
            if not watchers:
                del self._output_watchers[output]

        return unwatch

    def _error(self, line: str, code: int) -> QsxError:
        if code == ErrorCode.OBJECT_NOT_FOUND:
            return UnknownObjectError(
                f"{self.host}:{self.port} does not know the object of {line}"
            )
        if code == ErrorCode.UNSUPPORTED:
            return NotSupportedError(f"{self.host}:{self.port} does not support {line}")
        return QsxError(f"{self.host}:{self.port} answered ~ERROR,{code} to {line}")
