"""Client of a HomeWorks processor (or of our emulator) over the Lutron Integration Protocol.

`LipClient` is a `Connection` (transport, reconnection with backoff, keepalive, listeners: `connection.py`) that
speaks LIP: it logs in, turns the prompt off, sets monitoring, reads the project database over HTTP, then reads
every state with pipelined queries, and keeps an in-memory model (`SystemTracker`) current from the reports. Its
keepalive and `ping` are the `?SYSTEM,10` barrier.

Every batch of lines is written at once and closed by a `?SYSTEM,10` barrier: the processor answers lines in
order, so when the barrier's answer arrives every line before it has been handled, and any `~ERROR` that came
meanwhile belongs to that batch.

Received lines are applied to the model in the transport's callback, which also wakes the command waiting for
them, with no reading task in between.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import logging
import math
from typing import Any, Final, override

import aiohttp
import yarl

from ..connection import Connection, Endpoint, Link, PendingReply, Timings, discard
from ..const import (
    ZONES_PER_MODULE,
    Button,
    Gesture,
    IgnoredReason,
    ShadeMove,
    check_pulse_seconds,
)
from ..errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    InvalidDatabaseError,
    NotSupportedError,
    QsxError,
    UnknownObjectError,
    describe_cause,
)
from ..events import EventBus
from ..model import (
    ControlType,
    DeviceKind,
    DeviceState,
    SystemDescription,
    ZoneDescription,
)
from .dbxml.parse import LipDatabase, parse_database
from .protocol import (
    ACTION_CCI_STATE,
    ACTION_HOLD,
    ACTION_LED_STATE,
    ACTION_LOWER,
    ACTION_MULTI_TAP,
    ACTION_OCCUPANCY_STATE,
    ACTION_PRESS,
    ACTION_PULSE,
    ACTION_RAISE,
    ACTION_RELEASE,
    ACTION_SET_LEVEL,
    ACTION_STOP,
    BAD_LOGIN,
    CCI_COMPONENT,
    CRLF,
    LED_COMPONENT_BASE,
    LOGIN_PROMPT,
    MAX_BUTTON_COMPONENT,
    MAX_DURATION_SECONDS,
    PASSWORD_PROMPT,
    PROG_LED,
    PROMPT,
    DatabaseDateReport,
    DeviceReport,
    ErrorCode,
    ErrorReport,
    GroupReport,
    LineSplitter,
    Monitoring,
    OutputReport,
    format_level,
    parse_report_line,
)
from .tracker import SystemTracker

_LOGGER = logging.getLogger(__name__)

BARRIER: Final = "?SYSTEM,10"
DATABASE_PATH: Final = "/DbXmlInfo.xml"
# A ping a minute; two unanswered in a row end the link.
LIP_TIMINGS: Final = Timings(keepalive_interval=60.0, keepalive_misses=2)
MAX_CLIENT_LINE: Final = 4096
MAX_DATABASE_BYTES: Final = 16 * 1024 * 1024
SETUP_LINES: Final = (
    f"#MONITORING,{Monitoring.PROMPT},2",
    f"#MONITORING,{Monitoring.BUTTON},1",
    f"#MONITORING,{Monitoring.LED},1",
    f"#MONITORING,{Monitoring.ZONE},1",
    f"#MONITORING,{Monitoring.OCCUPANCY},1",
    f"#MONITORING,{Monitoring.REPLY},1",
)
_MOVE_ACTIONS: Final = {
    ShadeMove.RAISE: ACTION_RAISE,
    ShadeMove.LOWER: ACTION_LOWER,
    ShadeMove.STOP: ACTION_STOP,
}
# H3: the `#DEVICE` actions of each gesture (a tap is a press and a release, as a processor takes it).
_GESTURE_ACTIONS: Final = {
    Gesture.TAP: (ACTION_PRESS, ACTION_RELEASE),
    Gesture.HOLD: (ACTION_HOLD,),
    Gesture.RELEASE: (ACTION_RELEASE,),
    Gesture.DOUBLE_TAP: (ACTION_MULTI_TAP,),
}


@dataclass(slots=True)
class _Batch(PendingReply):
    """Lines written together and closed by a barrier; `~ERROR` codes answered meanwhile belong to them."""

    errors: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _LipLink(Link[_Batch]):
    """A LIP session: logging in (partial lines matched against the prompts), then logged in."""

    splitter: LineSplitter = field(
        default_factory=lambda: LineSplitter(MAX_CLIENT_LINE)
    )
    logged_in: bool = False
    last_line: str = ""
    database: asyncio.Task[LipDatabase] | None = None  # read while logging in


class LipClient(Connection[_LipLink]):
    """A processor reached over LIP, with a live model of its system.

    Intervals and timeouts are a `Timings`, `LIP_TIMINGS` by default, so tests can run fast.

    `failover_hosts`: the addresses of the project's other processors (P4, LP53), reached on the same ports with the
    same login; when the processor in use stops answering, the client moves to the next one that answers
    (`Connection`). Every processor serves the same database, so the description, and every key, stay the same;
    a host whose database is of another project (another GUID) is not used.
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
        timings: Timings = LIP_TIMINGS,
        failover_hosts: Sequence[str] = (),
    ) -> None:
        """Prepare a client; nothing is connected before `connect()`."""
        super().__init__(
            [Endpoint(address, port) for address in (host, *failover_hosts)],
            timings=timings,
        )
        self.http_port = http_port
        self._username = username
        self._password = password
        self._session = session
        self.events = EventBus()
        self._tracker = SystemTracker(self.events)
        self._output_watchers: dict[int, list[Callable[[float], None]]] = {}
        self._described_by: Endpoint | None = (
            None  # the host the description was read from
        )
        self._counters.update(lines=0, ignored_lines=0)

    # Model.

    @property
    def description(self) -> SystemDescription:
        """The system as read from the processor's database."""
        return self._tracker.description

    def state(self, serial: str) -> DeviceState:
        """Return the live state of one module; `UnknownObjectError` if unknown."""
        return self._tracker.state(serial)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no credentials)."""
        return {
            **self.connection_diagnostics(),
            "http_port": self.http_port,
            "modules": len(self._tracker.description.modules)
            if self._tracker.loaded
            else 0,
        }

    # Life cycle.

    @override
    async def connect(self) -> None:
        """Connect, log in, read the database and every state, then keep the link up in the background.

        Also the way to try again after the credentials were rejected on a reconnection.

        Raises:
            ConnectionFailedError: the processor cannot be reached (or refused the session).
            AuthenticationError: the processor rejected the credentials.
            InvalidDatabaseError: the project database cannot be read or parsed.
            CommandTimeoutError: the states were not all read in time.

        """
        await super().connect()

    @override
    async def _start_session(self, link: _LipLink) -> None:
        """Set monitoring up, then adopt the database and read every state."""
        assert link.database is not None
        try:
            link.transport.write((CRLF.join(SETUP_LINES) + CRLF).encode())
            database = await link.database
            self._check_project(database.description)
            self._tracker.set_description(
                database.description, database.occupancy_groups
            )
            self._described_by = self.endpoint
            await self._read_states(link)
        except BaseException:
            await discard(link.database)
            raise

    def _check_project(self, found: SystemDescription) -> None:
        """Refuse a database of another project than the one read from another host (a failover host not ours).

        The host the description came from may serve another project after a reconnection (reprogrammed): that
        is a change of the project, not a wrong host.
        """
        known = self._tracker.description if self._tracker.loaded else None
        if (
            known is not None
            and self.endpoint != self._described_by
            and found.guid != known.guid
        ):
            raise InvalidDatabaseError(
                f"{self.host}:{self.http_port} serves another project ({found.name!r}, GUID {found.guid}) "
                f"than {known.name!r} (GUID {known.guid})"
            )

    @override
    def new_link(self, transport: asyncio.Transport) -> _LipLink:
        """Return the link of a new session, logging in."""
        return _LipLink(transport)

    @override
    def link_data(self, link: _LipLink, data: bytes) -> None:
        """Apply received lines to the model; while logging in, remember the last line and wake the login."""
        if link.logged_in:
            self._received(link, data)
            return
        for line in link.splitter.feed(data):
            if line and line.strip():
                link.last_line = line.strip()
        link.wake()

    @override
    async def _log_in(self, link: _LipLink) -> None:
        """Log in; the database is read over HTTP meanwhile (both mostly wait for the network).

        A failed login is reported before anything the database read found.
        """
        link.database = asyncio.create_task(
            self._fetch_database(), name="lip-client-database"
        )
        try:
            await self._answer_prompts(link)
        except BaseException:
            await discard(link.database)
            raise

    async def _answer_prompts(self, link: _LipLink) -> None:
        await self._expect(link, (LOGIN_PROMPT,))
        link.transport.write(f"{self._username}{CRLF}".encode())
        await self._expect(link, (PASSWORD_PROMPT,))
        link.transport.write(f"{self._password}{CRLF}".encode())
        if await self._expect(link, (PROMPT, LOGIN_PROMPT)) != PROMPT:
            raise AuthenticationError(
                f"{self.host}:{self.port} rejected the user name or password"
            )
        link.logged_in = True

    async def _expect(self, link: _LipLink, prompts: tuple[str, ...]) -> str:
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
            await link.next_data()

    # Reading.

    def _received(self, link: _LipLink, data: bytes) -> None:
        for line in link.splitter.feed(data):
            if line is None:
                _LOGGER.debug(
                    "Over-long line from %s:%s discarded", self.host, self.port
                )
                self._counters["ignored_lines"] += 1
            else:
                self._handle_line(line, link.pending)

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
            case GroupReport():
                if self._tracker.apply_group(report):
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

    def _send(self, link: _LipLink, lines: Iterable[str]) -> _Batch:
        """Write `lines` and a barrier at once; the batch is answered when the barrier is."""
        batch = _Batch(asyncio.get_running_loop().create_future())
        link.pending.append(batch)
        link.transport.write(CRLF.join([*lines, BARRIER, ""]).encode())
        return batch

    async def _fetch_database(self) -> LipDatabase:
        url = yarl.URL.build(
            scheme="http", host=self.host, port=self.http_port, path=DATABASE_PATH
        )
        try:
            async with self._session.get(
                url,
                timeout=aiohttp.ClientTimeout(total=self._timings.connect_timeout),
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
                f"Cannot read {url}: {describe_cause(err, self._timings.connect_timeout)}"
            ) from err
        except aiohttp.ClientError as err:
            raise InvalidDatabaseError(
                f"Cannot read {url}: {describe_cause(err, self._timings.connect_timeout)}"
            ) from err
        return parse_database(bytes(body))

    async def _read_states(self, link: _LipLink) -> None:
        """Query every zone, CCO, CCI and LED at once, then collect the answers."""
        lines: list[str] = []
        for device in self._tracker.description.devices:
            lines.extend(
                f"?OUTPUT,{output.integration_id},{ACTION_SET_LEVEL}"
                for output in device.outputs
            )
            if device.kind is DeviceKind.SWITCHING_MODULE:
                lines.append(
                    f"?DEVICE,{device.integration_id},{CCI_COMPONENT},{ACTION_CCI_STATE}"
                )
                lines.extend(
                    f"?DEVICE,{device.integration_id},{led},{ACTION_LED_STATE}"
                    for led in range(LED_COMPONENT_BASE + 1, PROG_LED + 1)
                )
            elif device.kind is DeviceKind.KEYPAD:
                lines.extend(
                    f"?DEVICE,{device.integration_id},{LED_COMPONENT_BASE + led.number},{ACTION_LED_STATE}"
                    for led in device.indicators
                    if led.number <= MAX_BUTTON_COMPONENT
                )
        lines.extend(
            f"?GROUP,{group},{ACTION_OCCUPANCY_STATE}"
            for group in self._tracker.occupancy_groups
        )
        batch = self._send(link, lines)
        await self._wait(batch, "the state queries", self._timings.connect_timeout)
        if batch.errors:
            _LOGGER.warning(
                "%s:%s answered %d state queries with an error: its database may not match",
                self.host,
                self.port,
                len(batch.errors),
            )

    @override
    def _send_ping(self, link: _LipLink) -> _Batch:
        """Send the `?SYSTEM,10` barrier alone: answered once every line before it is handled."""
        return self._send(link, ())

    # Commands.

    async def set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch a zone and return once the processor reported it (`CommandIgnoredError` if the module ignored it).

        `zone`: 1..4 on a module; any switched output (or CCO zone) of an area group.
        """
        device = self._tracker.device(serial)
        if device.kind is DeviceKind.SWITCHING_MODULE:
            if not 1 <= zone <= ZONES_PER_MODULE:
                raise UnknownObjectError(f"Module {serial} has no zone {zone}")
            output = device.zone(zone).integration_id
        else:
            target = device.output(zone)
            if target.control_type not in (ControlType.SWITCHED, ControlType.CCO):
                raise UnknownObjectError(
                    f"Output {zone} of {device.name} is not switched"
                )
            output = target.integration_id
        await self._execute(
            f"#OUTPUT,{output},{ACTION_SET_LEVEL},{100 if on else 0}",
            serial,
            output,
            on,
        )

    async def set_cco(self, serial: str, closed: bool) -> None:
        """Close or open the CCO (a momentary CCO pulses when closed)."""
        output = self._tracker.device(serial).cco.integration_id
        await self._execute(
            f"#OUTPUT,{output},{ACTION_SET_LEVEL},{100 if closed else 0}",
            serial,
            output,
            closed,
        )

    async def pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Pulse the CCO for `seconds` (default: the module's pulse time); returns once it has closed."""
        output = self._tracker.device(serial).cco.integration_id
        if seconds is not None:
            seconds = check_pulse_seconds(seconds)
        line = (
            f"#OUTPUT,{output},{ACTION_PULSE}"
            if seconds is None
            else f"#OUTPUT,{output},{ACTION_PULSE},{seconds:.2f}"
        )
        await self._execute(line, serial, output, True)

    async def press_button(self, serial: str, button: Button) -> None:
        """Press a button of the module (M8) and return once the processor has handled it."""
        module = self._tracker.device(serial)
        await self._execute(
            f"#DEVICE,{module.integration_id},{int(Button(button))},{ACTION_PRESS}",
            serial,
            None,
            None,
            button=True,
        )

    def _level_output(self, serial: str, output: int) -> int:
        """Return the integration id of level output `output` of `serial` (H1)."""
        device = self._tracker.device(serial)
        target = device.output(output)
        if not (isinstance(target, ZoneDescription) and target.has_level):
            raise UnknownObjectError(
                f"Output {output} of {device.name} is not dimmed or a shade"
            )
        return target.integration_id

    async def set_level(
        self, serial: str, output: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set a dimmed zone or a shade to `level` (0..100), with a fade (H1); returns once it was answered.

        It does not wait for the level to be reached: a processor may report a shade's travel later.
        """
        integration_id = self._level_output(serial, output)
        if not (math.isfinite(level) and 0 <= level <= 100):
            raise ValueError(f"{level!r} is not a level 0-100")
        line = f"#OUTPUT,{integration_id},{ACTION_SET_LEVEL},{format_level(level)}"
        if fade_seconds is not None:
            if not (
                math.isfinite(fade_seconds)
                and 0 <= fade_seconds <= MAX_DURATION_SECONDS
            ):
                raise ValueError(f"{fade_seconds!r} is not a fade of 0 s to 4 h")
            line += f",{fade_seconds:.2f}"
        await self._execute(line, serial, None, None)

    async def move_shade(self, serial: str, output: int, move: ShadeMove) -> None:
        """Start raising or lowering a shade or dimmed zone, or stop it (H2)."""
        integration_id = self._level_output(serial, output)
        await self._execute(
            f"#OUTPUT,{integration_id},{_MOVE_ACTIONS[move]}", serial, None, None
        )

    async def press_keypad_button(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press a keypad button (H3): a tap is a press and a release, a hold lasts until a release."""
        keypad = self._tracker.device(serial)
        keypad.input(button)  # the database lists buttons 1-80 only (D5)
        head = f"#DEVICE,{keypad.integration_id},{button}"
        lines = [f"{head},{action}" for action in _GESTURE_ACTIONS[gesture]]
        await self._execute(lines[0], serial, None, None, button=True, more=lines[1:])

    async def set_indicator(self, serial: str, number: int, on: bool) -> None:
        """Turn keypad LED `number` on or off (H5); returns once it was answered."""
        keypad = self._tracker.device(serial)
        keypad.indicator(number)  # LEDs 1-80 only (D5)
        await self._execute(
            f"#DEVICE,{keypad.integration_id},{LED_COMPONENT_BASE + number},"
            f"{ACTION_LED_STATE},{1 if on else 0}",
            serial,
            None,
            None,
        )

    async def _execute(
        self,
        line: str,
        serial: str,
        output: int | None,
        desired: bool | None,
        *,
        button: bool = False,
        more: Iterable[str] = (),
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
            async with asyncio.timeout(self._timings.command_timeout):
                batch = self._send(link, (line, *more))
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
