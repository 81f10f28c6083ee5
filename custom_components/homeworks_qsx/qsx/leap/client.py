"""Client of a HomeWorks QSX processor (or of our emulator) over LEAP: JSON lines over mutual TLS (leap.md).

Why our own client rather than pylutron-caseta's `Smartbridge`: it sends one request at a time (a large QSX costs
about 1,300 round trips at start-up), does not read `LocalZones`, and flattens the system into one device per zone.
pylutron-caseta stays the way to pair (`pair.py`) and the reference the benchmarks compare with.

The connection has the LIP client's shape: log in (the TLS handshake, then the first reads), keep the link alive
with LEAP's ping (LP3), reconnect by itself with a jittered exponential backoff up to a minute, read every state
again before declaring the link up (given several processors of the project, moving to the next that answers:
`connection.py`), and stop reconnecting only when the processor refuses the certificate (a new pairing is needed;
with several processors, when every one has): a TLS alert refusing it, or sessions closed right after the handshake
on every attempt across the back-off (`_SilentCloses`). A time-out, a busy processor, an unreachable one are retried for ever.

Requests are pipelined: each carries its own `ClientTag`, up to `MAX_REQUESTS_IN_FLIGHT` are in flight at once, and
each reply is matched to its request by tag (LP5). Lists are read page by page (LP8). Pushes, in whatever form they
come (LP57), are routed by the object their body names (a zone, an LED, an area, a timeclock, a button), key by key.
Refusals (LP7) raise typed errors: `ObjectNotFoundError` (404), `RequestNotSupportedError` (405),
`RequestRefusedError` (any other).

Start-up reads the whole house pipelined (`_read_system`): the project, the processor, the areas, the other devices,
the timeclocks and the zone, area and timeclock subscriptions are asked for at once; each area's zones, each link
of every processor and its nodes (LP47, LP52), each keypad's button groups, each anonymous device's status (LP49) as
soon as what names them arrives, then each button's and LED's subscription. What a processor may lack is optional (LP58): its refusal counts as nothing there.

Every message with a tag is handled in the transport's callback, in arrival order: statuses (a push, a
subscription's first answer, a command's reply) are applied to the model before any later line, so a reply never
overwrites a newer push.

TLS: contexts are built as pylutron-caseta builds them (`client_tls.client_context`: the key and certificate through a
private temporary directory removed at once, since `ssl` loads them only from files; the CA from memory).

The session logic (transport, reconnection with backoff, keepalive, listeners) is the protocol-neutral
`Connection` of `connection.py`, shared with the LIP client; the tagged requests, paging and subscriptions are
`LeapConnection` (`link.py`); this module adds TLS, the reads of the system and the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
import functools
import logging
import math
import ssl
from typing import Any, Final, overload, override

from ..connection import Backoff, Endpoint, Timings, notify
from ..const import ButtonAction, Gesture, IgnoredReason, LedState, ShadeMove
from ..errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    NotSupportedError,
    QsxError,
    RequestRefusedError,
    UnknownObjectError,
    describe_cause,
)
from ..events import Event, EventBus, EventKind, Unsubscribe, make_unsubscribe
from ..model import (
    LEVEL_CONTROL_TYPES,
    ControlType,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    InputType,
    SystemDescription,
    ZoneDescription,
    new_device_state,
)
from .client_tls import client_context
from .link import LeapConnection, LeapLink, LeapReply, Priority, body_object
from .protocol import (
    AREA_STATUS_URL,
    LEAP_PORT,
    MAX_DURATION_SECONDS,
    TIMECLOCK_STATUS_URL,
    ZONE_STATUS_URL,
    BodyType,
    ButtonCommandType,
    CommandType,
    CommuniqueType,
    format_duration,
    id_from_href,
)
from .system import (
    STATUS_KEYS,
    Placement,
    Snapshot,
    ZoneReading,
    area_occupancy,
    body_statuses,
    build_step,
    build_steps,
    button_event,
    button_status_urls,
    database_date,
    led_status,
    link_ids,
    listed_reads,
    owned_links,
    placement,
    station_devices,
    status_zone_id,
    timeclock_enabled,
)

_LOGGER = logging.getLogger(__name__)

CONTEXT_CACHE_SIZE: Final = (
    8  # TLS contexts kept, one per set of certificates (a processor)
)
# LP3: a ping every 30 s; the one unanswered ping ends the link.
LEAP_TIMINGS: Final = Timings(keepalive_interval=30.0, keepalive_misses=1)
# Sessions closed right after the TLS handshake, on this many attempts in a row spanning at least the back-off's
# longest delay (`Timings.reconnect_max`), mean the certificate is refused (docs/leap-client.md, "Retry rule").
SILENT_CLOSE_LIMIT: Final = 5
# Zone levels kept while the system is being read, before the zones it holds are known (ours: more zones than a
# system of a hundred processors with two full QS links each); levels of further zones are counted, not kept.
MAX_PENDING_LEVELS: Final = 100_000
# LP33 (ours): a `Raise` or `Lower` nobody stopped is stopped this long after (a shade's full travel, with room).
MOVE_STOP_SECONDS: Final = 30.0
# A reply whose shared deadline has passed is still given this long: its answer may be read already.
MIN_WAIT_SECONDS: Final = 0.001
# LP57: the kind of object each status key of a body is about.
STATUS_KINDS: Final = {
    key: kind for kind, keys in STATUS_KEYS.items() for key in keys if key
}
# LP38: LEAP `EventType` → what a button reports; any other type reads as a release, as Home Assistant treats it.
BUTTON_ACTIONS: Final = {
    "Press": ButtonAction.PRESS,
    "Release": ButtonAction.RELEASE,
    "LongHold": ButtonAction.LONG_PRESS,
    "MultiTap": ButtonAction.MULTI_TAP,
}
GESTURES: Final = {  # LP40: how a client presses a button
    Gesture.TAP: ButtonCommandType.PRESS_AND_RELEASE,
    Gesture.HOLD: ButtonCommandType.PRESS_AND_HOLD,
    Gesture.RELEASE: ButtonCommandType.RELEASE,
    Gesture.DOUBLE_TAP: ButtonCommandType.MULTI_TAP,
}
PROJECT_URL: Final = "/project"  # LP10
TIMECLOCK_URL: Final = "/timeclock"  # LP45
TIMECLOCK_EVENT_URL: Final = "/timeclockevent"  # LP45
PROCESSOR_URL: Final = "/device?where=IsThisDevice:true"  # LP11
DEVICES_URL: Final = "/device?where=IsThisDevice:false"  # LP12
# TLS alerts by which a server refuses the client's certificate (TLS 1.3 reports them on the first read).
CERTIFICATE_ALERTS: Final = frozenset(
    {
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        "SSLV3_ALERT_CERTIFICATE_REVOKED",
        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
        "TLSV1_ALERT_UNKNOWN_CA",
        "TLSV1_ALERT_ACCESS_DENIED",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "CERTIFICATE_VERIFY_FAILED",
    }
)

type ProjectChangedCallback = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class LeapCertificates:
    """What pairing gives (LP20), as PEM text: the client's key and certificate, and the processor's CA."""

    key_pem: str
    cert_pem: str
    ca_pem: str

    def __repr__(self) -> str:
        """Never show the key."""
        return "LeapCertificates(<key>, <certificate>, <CA>)"


@dataclass(frozen=True, slots=True)
class LeapEndpoint:
    """One processor of the project reached over LEAP: its address, the certificates its pairing gave, its serial.

    Each processor has its own CA (LP53), so each endpoint has its own certificates. `serial`, when known, names the
    processor in diagnostics.
    """

    host: str
    port: int
    certificates: LeapCertificates
    serial: str | None = None


def as_leap_endpoints(
    endpoints: str | Sequence[LeapEndpoint],
    certificates: LeapCertificates | None,
    port: int,
) -> tuple[LeapEndpoint, ...]:
    """Return the processors a client reaches: `endpoints` as given, or the one host with its certificates and port."""
    if isinstance(endpoints, str):
        if certificates is None:
            raise TypeError("A LEAP host needs its certificates")
        return (LeapEndpoint(endpoints, port, certificates),)
    if certificates is not None:
        raise TypeError("The certificates go in each endpoint")
    return tuple(endpoints)


@functools.lru_cache(maxsize=CONTEXT_CACHE_SIZE)
def tls_context(certificates: LeapCertificates) -> ssl.SSLContext:
    """Return the TLS context of these certificates (`client_tls.client_context`), built once per set of certificates.

    Building one costs milliseconds (files, key parsing): a client made again for the same processor (a new set-up
    attempt) reuses it.
    """
    return client_context(
        certificates.key_pem, certificates.cert_pem, certificates.ca_pem
    )


def is_certificate_refusal(error: BaseException | None) -> bool:
    """Whether a TLS error means that one side refused the other's certificate (pair again)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return True
    return isinstance(error, ssl.SSLError) and error.reason in CERTIFICATE_ALERTS


def unplaced(device: DeviceDescription) -> DeviceDescription:
    """Return the device without the processor it is attributed to (None: the one connected to).

    After a failover another processor is the one connected to (LP53), which changes how devices name theirs, not
    where they are: a device moves to another processor only with a new project, which is reported as such (LP10).
    """
    return replace(device, processor=None)


class _SilentCloseError(ConnectionFailedError):
    """The processor closed a session right after the TLS handshake, before answering anything.

    A server that refuses the client's certificate under TLS 1.3 does so after the handshake; one that does not
    flush its alert (as asyncio's servers do not) just closes. So does a busy processor at its session limit (LP4):
    only closes that go on across the back-off (`_SilentCloses`) are a refusal.
    """


class _SilentCloses:
    """Attempts in a row whose session was closed right after the TLS handshake, and when the first one was.

    A refusal is `SILENT_CLOSE_LIMIT` of them spanning at least `span` seconds (the back-off's longest delay): a
    processor busy for a moment lets a later attempt in, one that refuses the certificate never does. Any other
    outcome of an attempt (a session, a time-out, an unreachable processor) starts the count again.
    """

    __slots__ = ("count", "first")

    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0

    def reset(self) -> None:
        self.count = 0

    def closed(self, now: float, span: float) -> bool:
        """Count one more; whether they now amount to a refusal."""
        if self.count == 0:
            self.first = now
        self.count += 1
        return self.count >= SILENT_CLOSE_LIMIT and now - self.first >= span


class _Reads:
    """The reads of one start-up, as tasks that may start more; the first failure cancels the rest and is raised.

    A task group whose error is the failed read's own (not an exception group), as the callers expect.
    """

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[Any]] = []

    def spawn[T](self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start `work`; the group waits for it."""
        task = asyncio.create_task(work)
        self._tasks.append(task)
        return task

    async def wait(self) -> None:
        """Wait for every task, those started meanwhile too; the first failure cancels the others and is raised."""
        try:
            while True:
                for task in self._tasks:
                    if (
                        task.done()
                        and not task.cancelled()
                        and (failure := task.exception())
                    ):
                        raise failure
                if not (pending := [task for task in self._tasks if not task.done()]):
                    return
                await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            await self._cancel()

    async def _cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks)  # never empty: a start-up reads something
        for task in self._tasks:
            if not task.cancelled():
                task.exception()  # retrieved: one failure is raised, the others are its consequence


def _processors(description: SystemDescription) -> list[dict[str, Any]]:
    """LP52: every processor of the project for diagnostics, the one connected to first."""
    return [
        {
            "serial": processor.serial,
            "model": processor.model.value,
            "leap_id": processor.integration_id,
            "connected": processor is description.processor,
            "links": [link.number for link in description.links_of(processor.serial)],
            "devices": len(description.devices_of(processor.serial)),
        }
        for processor in description.processors
    ]


class LeapClient(LeapConnection):
    """A processor reached over LEAP, with a live model of the whole house (`system.py`).

    `LeapClient(endpoints)` with the project's processors, the primary first (failover: `connection.py`), or
    `LeapClient(host, certificates, port=…)` for one processor.

    Args:
        endpoints: the processors' `LeapEndpoint`s, the primary first; or the address of the only one.
        certificates: with a single address: the client's key and certificate and the processor's CA (from pairing).
        port: with a single address: its LEAP port, 8081 on a processor.
        timings: intervals and timeouts, `LEAP_TIMINGS` by default (LP3: a ping every 30 s).
        key_prefix: what keys a device without a serial (`<key_prefix>_<id>`), an area group and a timeclock
            (LP51, LP54): the same whichever processor of the project is in use, so every key stays. None: the
            serial of the first processor connected to, kept for the client's life.

    """

    @overload
    def __init__(
        self,
        endpoints: Sequence[LeapEndpoint],
        /,
        *,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        endpoints: str,
        certificates: LeapCertificates,
        /,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        endpoints: str | Sequence[LeapEndpoint],
        certificates: LeapCertificates | None = None,
        /,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
        key_prefix: str | None = None,
    ) -> None:
        """Prepare a client; nothing is connected before `connect()`."""
        self.leap_endpoints = as_leap_endpoints(endpoints, certificates, port)
        super().__init__(
            [
                Endpoint(endpoint.host, endpoint.port, endpoint.serial)
                for endpoint in self.leap_endpoints
            ],
            timings=timings,
        )
        self._key_prefix = key_prefix
        self._contexts: dict[int, ssl.SSLContext] = {}
        self.events = EventBus()
        self._project_callbacks: list[ProjectChangedCallback] = []
        self._description: SystemDescription | None = None
        self._states: dict[str, DeviceState] = {}
        self._skipped: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._silent_closes = [_SilentCloses() for _ in self.endpoints]
        self._placement = Placement({}, {})
        self._stops: dict[
            int, asyncio.Task[None]
        ] = {}  # zone id → the `Stop` due after its move
        self._counters["unknown_statuses"] = 0
        self._counters["optional_refusals"] = 0
        self._unknown_types: dict[str, dict[str, int]] = {}
        self._unplaced: dict[
            str, str
        ] = {}  # LP51: what stayed in its area's group, and why
        self._availability: dict[
            str, str
        ] = {}  # LP49: `/device/<id>` → its `Availability`

    # Model.

    @property
    def description(self) -> SystemDescription:
        """The system as the processor reported it; `UnknownObjectError` before the first connection."""
        if self._description is None:
            raise UnknownObjectError("The processor's system has not been read yet")
        return self._description

    def state(self, serial: str) -> DeviceState:
        """Return the live state of a device; `UnknownObjectError` if unknown."""
        try:
            return self._states[serial]
        except KeyError:
            raise UnknownObjectError(f"No device has serial {serial}") from None

    def subscribe_project_changed(
        self, callback: ProjectChangedCallback
    ) -> Unsubscribe:
        """Call `callback(old, new)` when a reconnection finds another `ProjectModifiedTimestamp` (LP10).

        The description has then been replaced by the new one (modules added, removed or changed were published).
        """
        self._project_callbacks.append(callback)
        return make_unsubscribe(self._project_callbacks, callback)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no key, no certificate)."""
        link = self._link
        description = self._description
        kinds: dict[DeviceKind, int] = dict.fromkeys(DeviceKind, 0)
        buttons = leds = 0
        for device in description.devices if description else ():
            kinds[device.kind] += 1
            buttons += len(device.buttons)
            leds += len(device.indicators)
        return {
            **self.connection_diagnostics(),
            "leap_version": self._leap_version,
            "requests_in_flight": link.in_flight if link else 0,
            "requests_waiting": link.waiting() if link else 0,
            # LP39: whether the buttons' event subscriptions of the start-up are all answered.
            "events_subscribed": link.settled.is_set() if link else False,
            "zone_levels": len(link.zones) if link else 0,
            "project_modified": description.database_date if description else None,
            "modules": kinds[DeviceKind.SWITCHING_MODULE],
            "area_groups": kinds[DeviceKind.AREA_GROUP],
            "devices": {kind.value: count for kind, count in kinds.items()},
            "buttons": buttons,
            "leds": leds,
            "skipped_zones": len(self._skipped),
            # LP58: what was skipped, by the type the processor gave.
            "unknown_control_types": self._unknown_types.get("control_types", {}),
            "unknown_device_types": self._unknown_types.get("device_types", {}),
            # LP52: every processor of the project, the one connected to first.
            "processors": _processors(description) if description else [],
            # LP49, LP51: devices the list leaves anonymous, as their status says; what stayed unplaced and why.
            "availability": dict(self._availability),
            "unplaced": dict(self._unplaced),
        }

    # Life cycle.

    @override
    async def connect(self) -> None:
        """Connect, read the system and every state, then keep the link up in the background.

        With several endpoints, the first that answers is kept, the primary first (`connection.py`). Also the way
        to try again after the certificate was refused on a reconnection. A session closed right after the TLS
        handshake is tried again with the back-off, until an attempt ends otherwise or the closes amount to a
        refusal (`_SilentCloses`: with the default timings, at least a minute).

        Raises:
            ConnectionFailedError: no processor can be reached, or each closed the session.
            AuthenticationError: every processor refused the certificate, or is not the one paired with.
            CommandTimeoutError: the system was not read in time.
            RequestRefusedError: the processor refused a read the system needs.

        """
        await super().connect()

    @override
    async def _first_link(self) -> LeapLink:
        """Make a round over the endpoints; again after a back-off delay while its failure is a session closed at once."""
        backoff = Backoff(self._timings)
        while True:
            try:
                return await super()._first_link()
            except _SilentCloseError:
                await asyncio.sleep(backoff.next_delay())

    @override
    async def close(self) -> None:
        """Disconnect: cancel every task (pulses and stops too), close the socket; the model stays readable."""
        self._stops.clear()
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.wait(self._background)
        await super().close()

    @override
    def _transport_options(self) -> dict[str, Any]:
        """LP1: mutual TLS, no host name (the processor's certificate names none)."""
        return {
            "ssl": self._contexts[self._index],
            "server_hostname": "",
            "ssl_handshake_timeout": self._timings.connect_timeout,
        }

    @override
    async def _establish(self) -> LeapLink:
        """One attempt: follow the closes right after the handshake across attempts (`_SilentCloses`)."""
        silent_closes = self._silent_closes[self._index]
        try:
            link = await super()._establish()
        except _SilentCloseError as err:
            now = asyncio.get_running_loop().time()
            if silent_closes.closed(now, self._timings.reconnect_max):
                span = now - silent_closes.first
                silent_closes.reset()
                raise AuthenticationError(
                    f"{self.host}:{self.port} closed {SILENT_CLOSE_LIMIT} sessions in a row right after the TLS "
                    f"handshake, over {span:.0f} s: it refuses the certificate; pair again"
                ) from err
            raise
        except BaseException:
            silent_closes.reset()
            raise
        silent_closes.reset()
        return link

    @override
    async def _open(self) -> LeapLink:
        """Connect with TLS; a certificate refused at the handshake is `AuthenticationError`.

        A connection reset during the handshake is a close at the handshake (`_SilentCloseError`). The endpoint's
        TLS context is built on its first attempt; certificates that cannot be used are `AuthenticationError`.
        """
        if self._index not in self._contexts:
            certificates = self.leap_endpoints[self._index].certificates
            try:
                self._contexts[self._index] = await asyncio.to_thread(
                    tls_context, certificates
                )
            except (ssl.SSLError, ValueError, OSError) as err:
                raise AuthenticationError(
                    f"The stored LEAP certificates of {self.endpoint} are not usable: {describe_cause(err)}"
                ) from None
        try:
            return await super()._open()
        except ConnectionFailedError as err:
            cause = err.__cause__
            if cause is not None and is_certificate_refusal(cause):
                raise AuthenticationError(
                    f"{self.host}:{self.port} refused the certificate, or is not the processor paired with: "
                    f"{describe_cause(cause)}"
                ) from None
            if isinstance(cause, ConnectionResetError | ssl.SSLEOFError):
                raise _SilentCloseError(
                    f"{self.host}:{self.port} closed the session during the TLS handshake: {describe_cause(cause)}"
                ) from err
            raise

    @override
    async def _log_in(self, link: LeapLink) -> None:
        """Nothing to do: the TLS handshake was the log-in; the first reads (`_start_session`) confirm it."""

    @override
    async def _start_session(self, link: LeapLink) -> None:
        """Read the system and every state, and adopt them; a refusal of the certificate is told apart."""
        try:
            async with asyncio.timeout(self._timings.connect_timeout):
                snapshot, description, event_subscriptions = await self._read_system(
                    link
                )
        except TimeoutError:
            raise CommandTimeoutError(
                f"{self.host}:{self.port} did not send the system in time"
            ) from None
        except ConnectionFailedError as err:
            if is_certificate_refusal(link.error):
                raise AuthenticationError(
                    f"{self.host}:{self.port} refused the certificate: pair again"
                ) from err
            # A time-out is a busy or hung processor, never a refusal; so is a session that answered anything.
            if link.answered or isinstance(err, CommandTimeoutError):
                raise
            raise _SilentCloseError(
                f"{self.host}:{self.port} closed the session right after the TLS handshake"
                + (f": {describe_cause(link.error)}" if link.error else "")
            ) from err
        if (
            self._key_prefix is None
        ):  # kept: every processor of the project keys alike (LP54)
            self._key_prefix = description.processor.serial
        self._unknown_types = {
            "control_types": dict(snapshot.unknown_control_types),
            "device_types": dict(snapshot.unknown_device_types),
        }
        self._unplaced = dict(snapshot.unplaced)
        self._availability = {
            f"/device/{device_id}": str(status["Availability"])
            for device_id, status in snapshot.device_statuses.items()
            if isinstance(status.get("Availability"), str)
        }
        self._adopt(description, placement(snapshot, description), link)
        link.tasks.append(
            asyncio.create_task(self._watch_project(link), name="leap-project-watch")
        )
        link.tasks.append(
            asyncio.create_task(
                self._confirm_subscriptions(link, event_subscriptions),
                name="leap-event-subscriptions",
            )
        )

    async def _confirm_subscriptions(
        self, link: LeapLink, subscriptions: list[LeapReply]
    ) -> None:
        """Wait for the answers of the buttons' event subscriptions sent at start-up (LP39), then mark the session.

        A refusal or a time-out (one command time-out for them all, as they were sent together) loses that button's
        events only (LP58), as for any optional status.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timings.command_timeout
        for reply in subscriptions:
            try:
                await self._result(
                    link, reply, max(deadline - loop.time(), MIN_WAIT_SECONDS)
                )
            except RequestRefusedError as err:
                self._optional_refused(reply.url, err)
            except ConnectionFailedError as err:
                if link.closed.is_set():
                    return
                self._optional_refused(reply.url, err)
        link.settled.set()

    async def wait_subscribed(self) -> None:
        """Wait until the session's start-up subscriptions, the buttons' events too, are answered.

        Raises:
            ConnectionFailedError: not connected, or the session was lost first.

        """
        link = self._require_link()
        settled = asyncio.ensure_future(link.settled.wait())
        lost = asyncio.ensure_future(link.closed.wait())
        try:
            await asyncio.wait((settled, lost), return_when=asyncio.FIRST_COMPLETED)
        finally:
            settled.cancel()
            lost.cancel()
        if not link.settled.is_set():
            raise ConnectionFailedError(
                f"{self.host}:{self.port}: the session was lost before its subscriptions were answered"
            )

    async def _watch_project(self, link: LeapLink) -> None:
        """LP10: read the project every ping interval; another `ProjectModifiedTimestamp` ends the session.

        A project transferred from Lutron Designer (zones added, removed, renumbered) changes the timestamp, and a
        processor that kept the session would leave it half alive (subscriptions and ids of the old project). The
        reconnection that follows reads the whole system again and publishes what changed (`_adopt`).
        """
        while True:
            await asyncio.sleep(self._timings.keepalive_interval)
            try:
                reply = await self._request(
                    link, CommuniqueType.READ_REQUEST, PROJECT_URL
                )
            except RequestRefusedError as err:
                _LOGGER.debug("%s not readable: %s", PROJECT_URL, err)
                continue
            except ConnectionFailedError:
                if link.closed.is_set():
                    return
                continue  # a time-out: the keepalive decides whether the link is lost
            project = body_object(reply, BodyType.ONE_PROJECT.body_key)
            date = database_date(project.get("ProjectModifiedTimestamp"))
            if date != self.description.database_date:
                _LOGGER.debug(
                    "The project of %s:%s changed (%s): reading the system again",
                    self.host,
                    self.port,
                    date,
                )
                self._last_error = "the project changed"
                self._drop(link)
                return

    async def _read_system(
        self, link: LeapLink
    ) -> tuple[Snapshot, SystemDescription, list[LeapReply]]:
        """Read everything the model needs, pipelined (module docstring): each read as soon as its parent came.

        Required: the project, the processor, the areas and their zones, the device list, the zone statuses. The
        rest is optional (LP58): a refusal of any status, an empty `204`, counts as nothing there. The description
        is built as soon as its reads are in, while the last statuses are still on the wire. Also returns the
        buttons' event subscriptions, sent last and not waited for (`_confirm_subscriptions`).
        """

        def on_message(message: Mapping[str, Any], push: bool) -> None:
            self._route(link, message, push)

        area_zones: dict[int, list[Mapping[str, Any]]] = {}
        stations: dict[int, list[Mapping[str, Any]]] = {}
        groups: dict[int, list[Mapping[str, Any]]] = {}
        timeclocks: list[Mapping[str, Any]] = []
        timeclock_events: list[Mapping[str, Any]] = []
        link_nodes: dict[int, list[Mapping[str, Any]]] = {}
        other_links: dict[int, Mapping[str, Any]] = {}
        device_statuses: dict[int, Mapping[str, Any]] = {}
        subscribed: set[str] = set()
        event_subscriptions: list[LeapReply] = []
        statuses: list[
            tuple[LeapReply, bool]
        ] = []  # the state subscriptions, and whether each is required

        def subscribe(*urls: str, required: bool = False, events: bool = False) -> None:
            """Send subscriptions now, in the order asked; their answers are waited for last, events' not at all."""
            for url in urls:
                if url in subscribed:
                    continue
                subscribed.add(url)
                reply = self._send(
                    link,
                    CommuniqueType.SUBSCRIBE_REQUEST,
                    url,
                    handler=on_message,
                    subscription=True,
                    priority=Priority.LAST if events else Priority.NORMAL,
                )
                if events:
                    event_subscriptions.append(reply)
                else:
                    statuses.append((reply, required))

        async def read_buttons(group: _Reads, device_id: int) -> None:
            if device_id in groups:
                return  # a keypad both listed and in a control station
            groups[device_id] = []
            groups[device_id] = found = await self._read_optional(
                link, f"/device/{device_id}/buttongroup/expanded", Priority.FIRST
            )
            urls = button_status_urls(found)
            subscribe(*urls.leds)  # LP37, LP41
            subscribe(*urls.events, events=True)  # LP38, LP39: no state, so after all

        async def read_area(
            group: _Reads, area_id: int, listed: asyncio.Task[list[Mapping[str, Any]]]
        ) -> None:
            area_zones[area_id] = await self._read_list(
                link, f"/area/{area_id}/associatedzone"
            )
            if await listed:
                return  # the device list names the keypads and their stations (LP34)
            stations[area_id] = await self._read_optional(
                link, f"/area/{area_id}/associatedcontrolstation", Priority.FIRST
            )
            for device_id, _, _ in station_devices(stations[area_id]):
                group.spawn(read_buttons(group, device_id))

        async def read_processor(
            group: _Reads,
        ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
            found = await self._read_list(link, PROCESSOR_URL)
            if not found:
                raise RequestRefusedError(PROCESSOR_URL, None, "no processor listed")
            processor = found[0]
            owned = owned_links(processor)
            read_links(group, link_ids(owned), other=False)  # LP47, LP51
            links = await asyncio.gather(
                *(self._read_link(link, owned_link["href"]) for owned_link in owned)
            )
            return processor, [
                read or given for read, given in zip(links, owned, strict=True)
            ]

        def read_links(
            group: _Reads, owned: list[tuple[int, str]], *, other: bool
        ) -> None:
            """LP47: each link's nodes, once; another processor's link itself too (LP52)."""
            for link_id, url in [item for item in owned if item[0] not in link_nodes]:
                link_nodes[link_id] = []
                group.spawn(read_link_nodes(link_id, url, other))

        async def read_link_nodes(link_id: int, url: str, other: bool) -> None:
            link_nodes[link_id], other_links[link_id] = await self._read_link_nodes(
                link, url, other=other
            )

        async def read_device_status(device_id: int) -> None:
            device_statuses[device_id] = await self._read_device_status(link, device_id)

        async def read_timeclocks() -> None:
            clocks, events = await asyncio.gather(
                self._read_optional(link, TIMECLOCK_URL),
                self._read_optional(link, TIMECLOCK_EVENT_URL),
            )
            timeclocks.extend(clocks)
            timeclock_events.extend(events)

        group = _Reads()

        def on_devices(page: list[Mapping[str, Any]]) -> None:
            # Each page at once: its keypads' button groups need not wait for the list's last page.
            plan = listed_reads(page)
            for device_id in plan.keypads:
                group.spawn(read_buttons(group, device_id))
            read_links(group, plan.other_links, other=True)  # LP52
            for device_id in plan.anonymous:  # LP49
                group.spawn(read_device_status(device_id))

        def on_areas(page: list[Mapping[str, Any]]) -> None:
            for area in page:
                ref = area.get("href")
                area_id = id_from_href(ref) if isinstance(ref, str) else None
                if area_id is not None and area_id not in area_zones:
                    area_zones[area_id] = []
                    group.spawn(read_area(group, area_id, devices))

        # First: each area waits for it.
        devices = group.spawn(
            self._read_list(link, DEVICES_URL, on_devices, Priority.FIRST)
        )
        project = group.spawn(
            self._request(link, CommuniqueType.READ_REQUEST, PROJECT_URL)
        )
        processor = group.spawn(read_processor(group))
        areas = group.spawn(self._read_list(link, "/area", on_areas))
        group.spawn(read_timeclocks())
        subscribe(ZONE_STATUS_URL, required=True)
        subscribe(AREA_STATUS_URL, TIMECLOCK_STATUS_URL)
        await group.wait()
        processor_body, links = processor.result()
        snapshot = Snapshot(
            project=body_object(project.result(), BodyType.ONE_PROJECT.body_key),
            processor=processor_body,
            links=links,
            areas=areas.result(),
            devices=devices.result(),
            area_zones=area_zones,
            control_stations=stations,
            button_groups=groups,
            timeclocks=timeclocks,
            timeclock_events=timeclock_events,
            link_nodes=link_nodes,
            other_links=other_links,
            device_statuses=device_statuses,
            skipped=self._skipped,
        )
        description = await self._build(snapshot)
        for reply, required in statuses:  # answered in the meantime, mostly
            await self._confirm(link, reply, required=required)
        return snapshot, description, event_subscriptions

    async def _build(self, snapshot: Snapshot) -> SystemDescription:
        """Build the description in steps, letting the answers that come meanwhile be handled between them."""
        steps = build_steps(snapshot, self._key_prefix)
        try:
            while (description := build_step(steps)) is None:
                await asyncio.sleep(0)
        except ValueError as err:
            raise RequestRefusedError(
                PROCESSOR_URL, None, describe_cause(err)
            ) from None
        return description

    async def _confirm(
        self, link: LeapLink, reply: LeapReply, *, required: bool
    ) -> None:
        """Wait for a subscription's answer; an optional one refused counts as nothing (LP58)."""
        try:
            await self._result(link, reply)
        except RequestRefusedError as err:
            if required:
                raise
            self._optional_refused(reply.url, err)

    async def _read_optional(
        self, link: LeapLink, url: str, priority: Priority = Priority.NORMAL
    ) -> list[Mapping[str, Any]]:
        """LP58: read a list the system may lack; a refusal (400, 404, 405, 500…) is an empty list."""
        try:
            return await self._read_list(link, url, priority=priority)
        except RequestRefusedError as err:
            self._optional_refused(url, err)
            return []

    def _optional_refused(self, url: str, err: QsxError) -> None:
        self._counters["optional_refusals"] += 1
        _LOGGER.debug("%s refused, read as empty: %s", url, err)

    async def _read_link_nodes(
        self, link: LeapLink, url: str, *, other: bool
    ) -> tuple[list[Mapping[str, Any]], Mapping[str, Any]]:
        """LP47: a link's nodes; with `other` (another processor's link, LP52) the link itself too."""
        nodes = await self._read_optional(link, f"{url}/associatedlinknode/expanded")
        return nodes, (await self._read_link(link, url) if other else {})

    async def _read_device_status(
        self, link: LeapLink, device_id: int
    ) -> Mapping[str, Any]:
        """LP49: a device's status; empty when the processor refuses it (many answer `404`, LP58)."""
        url = f"/device/{device_id}/status"
        try:
            reply = await self._request(link, CommuniqueType.READ_REQUEST, url)
        except RequestRefusedError as err:
            self._optional_refused(url, err)
            return {}
        return body_object(reply, BodyType.ONE_DEVICE_STATUS.body_key)

    async def _read_link(self, link: LeapLink, url: str) -> Mapping[str, Any]:
        """`/link/<id>` (LinkNumber, LinkType); empty when the processor refuses it (the owned-link entry stands)."""
        try:
            reply = await self._request(link, CommuniqueType.READ_REQUEST, url)
        except RequestRefusedError as err:
            _LOGGER.debug("Link %s not readable: %s", url, err)
            return {}
        return body_object(reply, BodyType.ONE_LINK.body_key)

    # The model.

    @override
    def _unsolicited(self, link: LeapLink, message: Mapping[str, Any]) -> bool:
        """LP57: statuses outside any request (untagged, or on a tag no longer awaited) are applied too."""
        return self._route(link, message, True)

    def _route(self, link: LeapLink, message: Mapping[str, Any], push: bool) -> bool:
        """LP57: apply every status a message carries to the object its body names; whether it carried any.

        Whatever its tag, URL or type. A button event counts only in a push: the first answer to a button's
        subscription is its past, not a press (LP39).
        """
        body = message.get("Body")
        if not isinstance(body, Mapping):
            return False
        # What the body's keys are about: a push names one kind, the others are not looked for.
        kinds = {STATUS_KINDS.get(key) for key in body}
        routed = False
        if "zone" in kinds and (statuses := body_statuses(message, "zone")):
            self._apply_zones(link, statuses)
            routed = True
        if "led" in kinds and (statuses := body_statuses(message, "led")):
            self._apply_leds(link, statuses)
            routed = True
        if "area" in kinds and (statuses := body_statuses(message, "area")):
            self._apply_areas(link, statuses)
            routed = True
        if "timeclock" in kinds and (statuses := body_statuses(message, "timeclock")):
            self._apply_timeclocks(link, statuses)
            routed = True
        if "button" in kinds and (statuses := body_statuses(message, "button")):
            if push and link.live:
                self._apply_buttons(statuses)
            routed = True
        return routed

    def _keeps[K, V](self, store: dict[K, V], key: K) -> bool:
        """While the system is read: whether a status of `key` may be kept in `store` (its own, or room left)."""
        if key in store or len(store) < MAX_PENDING_LEVELS:
            return True
        self._counters["unknown_statuses"] += 1
        return False

    def _apply_zones(self, link: LeapLink, statuses: list[Mapping[str, Any]]) -> None:
        """Apply zone statuses in arrival order, each to the zone its body names (LP57), key by key.

        State is kept only for the zones of the system (`MAX_PENDING_LEVELS` while it is being read); statuses of
        zones it does not hold are counted, those of zones skipped for their control type (LP58) are not.
        """
        for status in statuses:
            zone_id = status_zone_id(status)
            if zone_id is None:
                continue
            reading = link.zones.get(zone_id)
            if reading is None:
                if link.live:
                    if self.description.output(zone_id) is None:
                        if zone_id not in self._skipped:
                            self._counters["unknown_statuses"] += 1
                        continue
                elif not self._keeps(link.zones, zone_id):
                    continue
                reading = link.zones[zone_id] = ZoneReading()
            reading.merge(status)
            if link.live:
                self._apply_zone(zone_id, reading)

    def _apply_zone(self, zone_id: int, reading: ZoneReading) -> None:
        ref = self.description.output_by_integration_id(zone_id)  # callers checked it
        state = self._states[ref.serial]
        if ref.zone is None:  # a module's own CCO
            if reading.on is not None and state.set_output_on(
                ref.device.cco.number, reading.on
            ):
                self.events.publish(Event(EventKind.CCO, ref.serial, None, reading.on))
            return
        zone = state.zones[ref.zone - 1]
        changed = zone.level_accurate != reading.accurate
        zone.level_accurate = reading.accurate  # LP58: `Bad` keeps the level, uncertain
        output = ref.device.output(ref.zone)
        if output.control_type in LEVEL_CONTROL_TYPES:
            level = zone.level if reading.level is None else reading.level
            changed = state.set_output_level(ref.zone, level) or changed
            if changed:
                self.events.publish(
                    Event(EventKind.LEVEL, ref.serial, ref.zone, zone.level)
                )
            if (
                output.control_type is ControlType.SHADE_WITH_TILT
                and reading.tilt is not None
                and zone.tilt != reading.tilt
            ):
                zone.tilt = reading.tilt
                self.events.publish(
                    Event(EventKind.TILT, ref.serial, ref.zone, reading.tilt)
                )
            return
        on = zone.on if reading.on is None else reading.on
        changed = state.set_output_on(ref.zone, on) or changed
        if changed:
            self.events.publish(Event(EventKind.ZONE, ref.serial, ref.zone, zone.on))

    def _apply_leds(self, link: LeapLink, statuses: list[Mapping[str, Any]]) -> None:
        """LP41, LP42: an LED's state, to the keypad and button number it belongs to."""
        for status in statuses:
            found = led_status(status)
            if found is None:
                continue
            led_id, led = found
            if not link.live:
                if self._keeps(link.leds, led_id):
                    link.leds[led_id] = led
                continue
            self._apply_led(led_id, led)

    def _apply_led(self, led_id: int, led: LedState) -> None:
        try:
            device, indicator = self.description.indicator_by_integration_id(led_id)
        except UnknownObjectError:
            self._counters["unknown_statuses"] += 1
            return
        indicators = self._states[device.serial].indicators
        if indicators.get(indicator.number) != led:
            indicators[indicator.number] = led
            self.events.publish(
                Event(EventKind.INDICATOR, device.serial, indicator.number, led)
            )

    def _apply_areas(self, link: LeapLink, statuses: list[Mapping[str, Any]]) -> None:
        """LP43: an area's occupancy, to its occupancy sensors (a delta without `OccupancyStatus` changes none)."""
        for status in statuses:
            found = area_occupancy(status)
            if found is None:
                continue
            area_id, occupied = found
            if not link.live:
                if self._keeps(link.areas, area_id):
                    link.areas[area_id] = occupied
                continue
            self._apply_area(area_id, occupied)

    def _apply_area(self, area_id: int, occupied: bool | None) -> None:
        for serial in self._placement.sensors_by_area.get(area_id, ()):
            state = self._states[serial]
            if state.occupied == occupied:
                continue
            state.occupied = occupied
            if occupied is not None:
                self.events.publish(Event(EventKind.OCCUPANCY, serial, None, occupied))

    def _apply_timeclocks(
        self, link: LeapLink, statuses: list[Mapping[str, Any]]
    ) -> None:
        """LP45: whether a timeclock is enabled."""
        for status in statuses:
            found = timeclock_enabled(status)
            if found is None:
                continue
            clock_id, enabled = found
            if not link.live:
                if self._keeps(link.timeclocks, clock_id):
                    link.timeclocks[clock_id] = enabled
                continue
            self._apply_timeclock(clock_id, enabled)

    def _apply_timeclock(self, clock_id: int, enabled: bool) -> None:
        serial = self._placement.timeclocks.get(clock_id)
        if serial is None:
            self._counters["unknown_statuses"] += 1
            return
        state = self._states[serial]
        if state.timeclock_enabled != enabled:
            state.timeclock_enabled = enabled
            self.events.publish(Event(EventKind.TIMECLOCK, serial, None, enabled))

    def _apply_buttons(self, statuses: list[Mapping[str, Any]]) -> None:
        """LP38: a button event, published on its keypad; a type this side does not know reads as a release."""
        for status in statuses:
            found = button_event(status)
            if found is None:
                continue
            button_id, event_type = found
            try:
                device, button = self.description.input_by_integration_id(button_id)
            except UnknownObjectError:
                self._counters["unknown_statuses"] += 1
                continue
            action = BUTTON_ACTIONS.get(event_type, ButtonAction.RELEASE)
            self.events.publish(
                Event(EventKind.BUTTON, device.serial, button.number, action)
            )

    def _adopt(
        self, description: SystemDescription, placement: Placement, link: LeapLink
    ) -> None:
        """Adopt the system read on `link`, apply the statuses it received, and go live.

        After the first connection, devices added, removed or changed are published, and a new
        `ProjectModifiedTimestamp` is reported to `subscribe_project_changed` listeners.
        """
        previous = self._description
        self._description = description
        self._placement = placement
        devices = {device.serial: device for device in description.devices}
        old = (
            {device.serial: device for device in previous.devices}
            if previous is not None
            else {}
        )
        for serial, device in old.items():
            if serial not in devices:
                del self._states[serial]
                self.events.publish(
                    Event(EventKind.DEVICE_REMOVED, serial, value=device)
                )
        for serial, device in devices.items():
            fresh = new_device_state(device, live=True)
            state = self._states.get(serial)
            if (
                state is None
                or len(state.zones) != len(fresh.zones)
                or state.indicators.keys() != fresh.indicators.keys()
            ):
                self._states[serial] = fresh
                if previous is not None and serial not in old:
                    self.events.publish(
                        Event(EventKind.DEVICE_ADDED, serial, value=device)
                    )
                    continue
            if serial in old and unplaced(old[serial]) != unplaced(device):
                self.events.publish(
                    Event(EventKind.DEVICE_CHANGED, serial, value=device)
                )
        for zone_id, reading in list(link.zones.items()):
            if description.output(zone_id) is not None:
                self._apply_zone(zone_id, reading)
                continue
            # A zone of another control type, or none of the system's.
            del link.zones[zone_id]
            if zone_id not in self._skipped:
                self._counters["unknown_statuses"] += 1
        for led_id, led in link.leds.items():
            self._apply_led(led_id, led)
        for area_id, occupied in link.areas.items():
            self._apply_area(area_id, occupied)
        for clock_id, enabled in link.timeclocks.items():
            self._apply_timeclock(clock_id, enabled)
        link.live = True
        if previous is not None and previous.database_date != description.database_date:
            notify(
                self._project_callbacks,
                previous.database_date,
                description.database_date,
            )

    # Commands.

    def zone_id(self, serial: str, number: int | None) -> int:
        """Return the LEAP id of output `number` among a device's zones, or of its own CCO (`number` None)."""
        self.state(serial)
        device = self.description.device(serial)
        try:
            output = device.cco if number is None else device.output(number)
        except UnknownObjectError:
            output = None
        if output is None or (number is not None and output is device.own_cco):
            what = "no CCO" if number is None else f"no zone {number}"
            raise UnknownObjectError(f"Device {serial} has {what}")
        return output.integration_id

    def _level_output(self, serial: str, number: int) -> ZoneDescription:
        """Output `number` of a device when its state is a level (dimmed, shade); `NotSupportedError` otherwise."""
        self.zone_id(serial, number)
        output = self.description.device(serial).output(number)
        if not isinstance(output, ZoneDescription) or not output.has_level:
            raise NotSupportedError(
                f"Output {number} of {serial} is {output.control_type.value}, not a dimmed zone or a shade"
            )
        return output

    async def read(self, url: str) -> list[Mapping[str, Any]]:
        """Read `url` (every page, LP8) and return the objects of its body; a refusal raises its typed error."""
        return await self._read_list(self._require_link(), url)

    async def _command(
        self, kind: CommuniqueType, url: str, body: Mapping[str, Any]
    ) -> LeapLink:
        """Send a command; the statuses its reply carries are applied as it comes (LP19, LP41, LP46)."""
        link = self._require_link()

        def on_reply(message: Mapping[str, Any], push: bool) -> None:
            self._route(link, message, push)

        await self._request(link, kind, url, body, handler=on_reply)
        return link

    async def _zone_command(self, zone_id: int, command: Mapping[str, Any]) -> LeapLink:
        return await self._command(
            CommuniqueType.CREATE_REQUEST,
            f"/zone/{zone_id}/commandprocessor",
            {"Command": command},
        )

    async def set_zone(self, serial: str, number: int | None, on: bool) -> None:
        """Switch zone `number` of a device (a CCO zone opens or closes), or a module's CCO (`number` None).

        Returns once the processor reported the zone at the level asked for (LP19: the `201` reply carries it);
        `CommandIgnoredError` when the reply shows the level unchanged.
        """
        zone_id = self.zone_id(serial, number)
        ref = self.description.output_by_integration_id(zone_id)
        output = ref.device.cco if ref.zone is None else ref.device.output(ref.zone)
        if output.control_type is ControlType.CCO:
            command: dict[str, Any] = {
                "CommandType": CommandType.GO_TO_CCO_LEVEL.value,
                "CCOLevelParameters": {"CCOLevel": "Closed" if on else "Open"},
            }
        else:
            self._cancel_stop(zone_id)
            command = {
                "CommandType": CommandType.GO_TO_LEVEL.value,
                "Parameter": [{"Type": "Level", "Value": 100 if on else 0}],
            }
        link = await self._zone_command(zone_id, command)
        # The reply's status was applied as it came; a reply without one leaves the last level known.
        reading = link.zones.get(zone_id)
        if reading is None or reading.on != on:
            raise CommandIgnoredError(serial, IgnoredReason.NOT_REPORTED)

    async def set_level(
        self, serial: str, number: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set a dimmed zone's brightness or a shade's opening to `level` (0..100): always as a level (LP25, LP31).

        A dimmed zone goes there with `GoToLevel`, or with `GoToDimmedLevel` and its `FadeTime` when a fade is
        given (rounded to the nearest second, LP28); a non-zero level is sent as at least 1 (LP28). Returns once
        the processor reported it; `CommandIgnoredError` when a dimmed zone's reply shows another level (a shade
        reports where it is while it moves). A switched zone is switched on above 0.
        """
        if not math.isfinite(level) or not 0 <= level <= 100:
            raise ValueError(f"{level!r} is not a level from 0 to 100")
        if fade_seconds is not None and not (
            math.isfinite(fade_seconds) and 0 <= fade_seconds <= MAX_DURATION_SECONDS
        ):
            raise ValueError(f"{fade_seconds!r} is not a fade of 0 s to 4 h (LP26)")
        zone_id = self.zone_id(serial, number)
        output = self.description.device(serial).output(number)
        if output.control_type in (ControlType.SWITCHED, ControlType.CCO):
            await self.set_zone(serial, number, level > 0)
            return
        output = self._level_output(serial, number)
        value = 0 if level == 0 else min(max(int(level + 0.5), 1), 100)
        if output.control_type is ControlType.DIMMED and fade_seconds is not None:
            command: dict[str, Any] = {
                "CommandType": CommandType.GO_TO_DIMMED_LEVEL.value,
                "DimmedLevelParameters": {
                    "Level": value,
                    "FadeTime": format_duration(fade_seconds),
                },
            }
        else:
            command = {
                "CommandType": CommandType.GO_TO_LEVEL.value,
                "Parameter": [{"Type": "Level", "Value": value}],
            }
        self._cancel_stop(zone_id)
        link = await self._zone_command(zone_id, command)
        reading = link.zones.get(zone_id)
        if output.control_type is ControlType.DIMMED and (
            reading is None or reading.level is None or round(reading.level) != value
        ):
            raise CommandIgnoredError(serial, IgnoredReason.NOT_REPORTED)

    async def set_tilt(self, serial: str, number: int, tilt: float) -> None:
        """Tilt a `ShadeWithTilt` zone to `tilt` (0..100) with `GoToTilt` (LP31)."""
        if not math.isfinite(tilt) or not 0 <= tilt <= 100:
            raise ValueError(f"{tilt!r} is not a tilt from 0 to 100")
        output = self._level_output(serial, number)
        if output.control_type is not ControlType.SHADE_WITH_TILT:
            raise NotSupportedError(f"Output {number} of {serial} has no tilt")
        await self._zone_command(
            output.integration_id,
            {
                "CommandType": CommandType.GO_TO_TILT.value,
                "TiltParameters": {"Tilt": int(tilt + 0.5)},
            },
        )

    async def move(self, serial: str, number: int, move: ShadeMove) -> None:
        """Raise, lower or stop a shade or a dimmed zone (LP25, LP31).

        A `Raise` or `Lower` is always followed by a `Stop` (LP32, LP33): the one asked for, or the one this
        client sends by itself `MOVE_STOP_SECONDS` later, or before any other command to the zone.
        """
        output = self._level_output(serial, number)
        zone_id = output.integration_id
        if move is ShadeMove.STOP:
            self._cancel_stop(zone_id)
            await self._zone_command(zone_id, {"CommandType": CommandType.STOP.value})
            return
        self._cancel_stop(zone_id)
        kind = CommandType.RAISE if move is ShadeMove.RAISE else CommandType.LOWER
        await self._zone_command(zone_id, {"CommandType": kind.value})
        self._stops[zone_id] = self._spawn(
            self._stop_later(serial, zone_id), f"leap-client-stop-{zone_id}"
        )

    def _cancel_stop(self, zone_id: int) -> None:
        task = self._stops.pop(zone_id, None)
        if task is not None:
            task.cancel()

    async def _stop_later(self, serial: str, zone_id: int) -> None:
        await asyncio.sleep(MOVE_STOP_SECONDS)
        self._stops.pop(zone_id, None)
        try:
            await self._zone_command(zone_id, {"CommandType": CommandType.STOP.value})
        except QsxError as err:
            _LOGGER.warning(
                "The move of %s's zone %s could not stop: %s", serial, zone_id, err
            )

    async def press(
        self, serial: str, number: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press keypad button `number` (its position) as a person would (LP40): `PressAndRelease` for a tap."""
        self.state(serial)
        button = self.description.device(serial).input(number)
        if button.input_type is not InputType.BUTTON or not button.integration_id:
            raise UnknownObjectError(f"Device {serial} has no button {number}")
        await self._command(
            CommuniqueType.CREATE_REQUEST,
            f"/button/{button.integration_id}/commandprocessor",
            {"Command": {"CommandType": GESTURES[gesture].value}},
        )

    async def set_led(self, serial: str, number: int, on: bool) -> None:
        """Turn keypad LED `number` on or off (LP41); the reply shows the state in force (programming may win, LP42)."""
        self.state(serial)
        led = self.description.device(serial).indicator(number)
        await self._command(
            CommuniqueType.UPDATE_REQUEST,
            f"/led/{led.integration_id}/status",
            {"LEDStatus": {"State": "On" if on else "Off"}},
        )

    async def set_timeclock(self, serial: str, enabled: bool) -> None:
        """Enable or disable a timeclock (LP46)."""
        self.state(serial)
        device = self.description.device(serial)
        if device.kind is not DeviceKind.TIMECLOCK:
            raise UnknownObjectError(f"Device {serial} is not a timeclock")
        await self._command(
            CommuniqueType.UPDATE_REQUEST,
            f"/timeclock/{device.integration_id}/status",
            {"TimeclockStatus": {"EnabledState": "Enabled" if enabled else "Disabled"}},
        )

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def pulse_cco(self, serial: str, seconds: float) -> None:
        """Close a module's CCO, and open it again after `seconds` (LEAP has no pulse command: timed here)."""
        await self.set_zone(serial, None, True)
        self._spawn(self._open_later(serial, seconds), f"leap-client-pulse-{serial}")

    async def _open_later(self, serial: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await self.set_zone(serial, None, False)
        except QsxError as err:
            _LOGGER.warning(
                "The pulse of module %s's CCO could not end: %s", serial, err
            )
