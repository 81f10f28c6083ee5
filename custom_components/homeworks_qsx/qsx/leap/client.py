"""Client of a HomeWorks QSX processor (or of our emulator) over LEAP: JSON lines over mutual TLS (leap.md).

Why our own client rather than pylutron-caseta's `Smartbridge`: it sends one request at a time (a large QSX costs
about 1,300 round trips at start-up), does not read `LocalZones`, and flattens the system into one device per zone.
pylutron-caseta stays the way to pair (`pair.py`) and the reference the benchmarks compare with.

The connection has the LIP client's shape: log in (the TLS handshake, then the first reads), keep the link alive
with LEAP's ping (LP3), reconnect by itself with a jittered exponential backoff up to a minute, read every state
again before declaring the link up, and stop reconnecting only when the processor refuses the certificate (a new
pairing is needed): a TLS alert refusing it, or sessions closed right after the handshake on every attempt across
the back-off (`_SilentCloses`). A time-out, a busy processor, an unreachable one are retried for ever.

Requests are pipelined: each carries its own `ClientTag`, up to `MAX_REQUESTS_IN_FLIGHT` are in flight at once, and
each reply is matched to its request by tag (LP5). Lists are read page by page (LP8). Pushes, in whatever form they
come (LP57), are routed by the zone their body names. Refusals (LP7) raise typed errors: `ObjectNotFoundError` (404),
`RequestNotSupportedError` (405), `RequestRefusedError` (any other).

Start-up costs two round trips (plus paging, and one more per `MAX_REQUESTS_IN_FLIGHT` areas): the project, the processor, the areas, the other devices and the
zone-status subscription are asked for at once; each area's zones and each link as soon as their parent arrives.

Every message with a tag is handled in the transport's callback, in arrival order: zone statuses (a push, the
subscription's first answer, a command's `201` reply) are applied to the model before any later line, so a reply
never overwrites a newer push.

TLS: contexts are built as pylutron-caseta builds them (`client_tls.client_context`: the key and certificate through a
private temporary directory removed at once, since `ssl` loads them only from files; the CA from memory).

The session logic (transport, reconnection with backoff, keepalive, listeners) is the protocol-neutral
`Connection` of `connection.py`, shared with the LIP client; the tagged requests, paging and subscriptions are
`LeapConnection` (`link.py`); this module adds TLS, the reads of the system and the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import functools
import logging
import ssl
from typing import Any, Final, override

from ..connection import Backoff, Timings, notify
from ..const import IgnoredReason
from ..errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    QsxError,
    RequestRefusedError,
    UnknownObjectError,
    describe_cause,
)
from ..events import Event, EventBus, EventKind, Unsubscribe, make_unsubscribe
from ..model import (
    ControlType,
    DeviceKind,
    DeviceState,
    SystemDescription,
    new_device_state,
)
from .client_tls import client_context
from .link import LeapConnection, LeapLink, body_object
from .protocol import (
    LEAP_PORT,
    ZONE_STATUS_URL,
    BodyType,
    CommandType,
    CommuniqueType,
    id_from_href,
)
from .system import (
    Snapshot,
    build_system,
    database_date,
    status_zone_id,
    zone_level,
    zone_statuses,
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
PROJECT_URL: Final = "/project"  # LP10
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


class LeapClient(LeapConnection):
    """A processor reached over LEAP, with a live model of its switched and CCO zones.

    Args:
        host: processor address.
        certificates: the client's key and certificate and the processor's CA (from pairing).
        port: LEAP port, 8081 on a processor.
        timings: intervals and timeouts, `LEAP_TIMINGS` by default (LP3: a ping every 30 s).

    """

    def __init__(
        self,
        host: str,
        certificates: LeapCertificates,
        *,
        port: int = LEAP_PORT,
        timings: Timings = LEAP_TIMINGS,
    ) -> None:
        """Prepare a client; nothing is connected before `connect()`."""
        super().__init__(
            host,
            port,
            timings=timings,
        )
        self._certificates = certificates
        self._context: ssl.SSLContext | None = None
        self.events = EventBus()
        self._project_callbacks: list[ProjectChangedCallback] = []
        self._description: SystemDescription | None = None
        self._states: dict[str, DeviceState] = {}
        self._skipped: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._silent_closes = _SilentCloses()
        self._counters["unknown_zone_statuses"] = 0

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
        return {
            **self.connection_diagnostics(),
            "leap_version": self._leap_version,
            "requests_in_flight": link.in_flight if link else 0,
            "requests_waiting": len(link.queued) if link else 0,
            "zone_levels": len(link.levels) if link else 0,
            "project_modified": description.database_date if description else None,
            "modules": len(description.modules) if description else 0,
            "area_groups": sum(
                device.kind is DeviceKind.AREA_GROUP for device in description.devices
            )
            if description
            else 0,
            "skipped_zones": len(self._skipped),
        }

    # Life cycle.

    @override
    async def connect(self) -> None:
        """Connect, read the system and every state, then keep the link up in the background.

        Also the way to try again after the certificate was refused on a reconnection. A session closed right
        after the TLS handshake is tried again with the back-off, until an attempt ends otherwise or the closes
        amount to a refusal (`_SilentCloses`: with the default timings, at least a minute).

        Raises:
            ConnectionFailedError: the processor cannot be reached, or closed the session.
            AuthenticationError: the processor refused the certificate, or is not the one paired with.
            CommandTimeoutError: the system was not read in time.
            RequestRefusedError: the processor refused a read the system needs.

        """
        if self._context is None:
            try:
                self._context = await asyncio.to_thread(tls_context, self._certificates)
            except (ssl.SSLError, ValueError, OSError) as err:
                self._rejected = AuthenticationError(
                    f"The stored LEAP certificates are not usable: {describe_cause(err)}"
                )
                raise self._rejected from None
        backoff = Backoff(self._timings)
        while True:
            try:
                await super().connect()
            except _SilentCloseError:
                await asyncio.sleep(backoff.next_delay())
                continue
            return

    @override
    async def close(self) -> None:
        """Disconnect: cancel every task (pulses too), close the socket; the model stays readable."""
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.wait(self._background)
        await super().close()

    @override
    def _transport_options(self) -> dict[str, Any]:
        """LP1: mutual TLS, no host name (the processor's certificate names none)."""
        return {
            "ssl": self._context,
            "server_hostname": "",
            "ssl_handshake_timeout": self._timings.connect_timeout,
        }

    @override
    async def _establish(self) -> LeapLink:
        """One attempt: follow the closes right after the handshake across attempts (`_SilentCloses`)."""
        try:
            link = await super()._establish()
        except _SilentCloseError as err:
            now = asyncio.get_running_loop().time()
            if self._silent_closes.closed(now, self._timings.reconnect_max):
                span = now - self._silent_closes.first
                self._silent_closes.reset()
                raise AuthenticationError(
                    f"{self.host}:{self.port} closed {SILENT_CLOSE_LIMIT} sessions in a row right after the TLS "
                    f"handshake, over {span:.0f} s: it refuses the certificate; pair again"
                ) from err
            raise
        except BaseException:
            self._silent_closes.reset()
            raise
        self._silent_closes.reset()
        return link

    @override
    async def _open(self) -> LeapLink:
        """Connect with TLS; a certificate refused at the handshake is `AuthenticationError`.

        A connection reset during the handshake is a close at the handshake (`_SilentCloseError`).
        """
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
                snapshot = await self._read_system(link)
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
        try:
            description = build_system(snapshot)
        except ValueError as err:
            raise RequestRefusedError(
                PROCESSOR_URL, None, describe_cause(err)
            ) from None
        self._adopt(description, link)
        link.tasks.append(
            asyncio.create_task(self._watch_project(link), name="leap-project-watch")
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

    async def _read_system(self, link: LeapLink) -> Snapshot:
        """Read everything the model needs, pipelined: two round trips plus paging (module docstring)."""

        def on_statuses(message: Mapping[str, Any]) -> None:
            self._zone_statuses(link, message)

        subscribed = self._send(
            link,
            CommuniqueType.SUBSCRIBE_REQUEST,
            ZONE_STATUS_URL,
            handler=on_statuses,
            subscription=True,
        )
        project = self._request(link, CommuniqueType.READ_REQUEST, PROJECT_URL)
        area_zones: dict[int, list[Mapping[str, Any]]] = {}
        zone_reads: list[asyncio.Task[None]] = []

        async def read_zones(area_id: int) -> None:
            area_zones[area_id] = await self._read_list(
                link, f"/area/{area_id}/associatedzone"
            )

        def on_areas(page: list[Mapping[str, Any]]) -> None:
            for area in page:
                ref = area.get("href")
                area_id = id_from_href(ref) if isinstance(ref, str) else None
                if area_id is not None and area_id not in area_zones:
                    area_zones[area_id] = []
                    zone_reads.append(asyncio.create_task(read_zones(area_id)))

        async def read_processor() -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
            found = await self._read_list(link, PROCESSOR_URL)
            if not found:
                raise RequestRefusedError(PROCESSOR_URL, None, "no processor listed")
            processor = found[0]
            owned = [
                owned_link
                for owned_link in processor.get("OwnedLinks") or ()
                if isinstance(owned_link, Mapping)
            ]
            links = await asyncio.gather(
                *(
                    self._read_link(link, owned_link["href"])
                    for owned_link in owned
                    if isinstance(owned_link.get("href"), str)
                )
            )
            fallback = [
                owned_link
                for owned_link in owned
                if isinstance(owned_link.get("href"), str)
            ]
            return processor, [
                read or given for read, given in zip(links, fallback, strict=False)
            ]

        try:
            areas_read = self._read_list(link, "/area", on_areas)
            project_reply, (processor, links), areas, devices = await asyncio.gather(
                project,
                read_processor(),
                areas_read,
                self._read_list(link, DEVICES_URL),
            )
            if zone_reads:
                await asyncio.gather(*zone_reads)
            await self._result(link, subscribed)
        except BaseException:
            for task in zone_reads:
                task.cancel()
            if zone_reads:
                await asyncio.wait(zone_reads)
            raise
        return Snapshot(
            project=body_object(project_reply, BodyType.ONE_PROJECT.body_key),
            processor=processor,
            links=links,
            areas=areas,
            devices=devices,
            area_zones=area_zones,
            skipped=self._skipped,
        )

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
        """LP57: zone statuses outside any request (untagged, or on a tag no longer awaited) are applied too."""
        statuses = zone_statuses(message)
        if statuses is None:
            return False
        self._apply_statuses(link, statuses)
        return True

    def _zone_statuses(self, link: LeapLink, message: Mapping[str, Any]) -> None:
        """LP18: apply the zone statuses of a message with a request's tag (the subscription's, a command's)."""
        self._apply_statuses(link, zone_statuses(message) or [])

    def _apply_statuses(
        self, link: LeapLink, statuses: list[Mapping[str, Any]]
    ) -> None:
        """Apply zone statuses in arrival order, each to the zone its body names (LP57).

        A status without a level (a delta of other keys) changes nothing. State is kept only for the zones of the
        system (`MAX_PENDING_LEVELS` while it is being read); statuses of zones it does not hold are counted.
        """
        for status in statuses:
            zone_id = status_zone_id(status)
            on = zone_level(status)
            if zone_id is None or on is None:
                continue
            if not link.live:
                if zone_id in link.levels or len(link.levels) < MAX_PENDING_LEVELS:
                    link.levels[zone_id] = on
                else:
                    self._counters["unknown_zone_statuses"] += 1
            elif self.description.output(zone_id) is not None:
                link.levels[zone_id] = on
                self._apply_level(zone_id, on)
            elif zone_id not in self._skipped:
                self._counters["unknown_zone_statuses"] += 1

    def _apply_level(self, zone_id: int, on: bool) -> None:
        ref = self.description.output(zone_id)
        if ref is None:
            return  # a skipped zone (another control type) or one no area lists
        number = ref.device.cco.number if ref.zone is None else ref.zone
        if self._states[ref.serial].set_output_on(number, on):
            kind = EventKind.CCO if ref.zone is None else EventKind.ZONE
            self.events.publish(Event(kind, ref.serial, ref.zone, on))

    def _adopt(self, description: SystemDescription, link: LeapLink) -> None:
        """Adopt the system read on `link`, apply the levels it received, and go live.

        After the first connection, devices added, removed or changed are published, and a new
        `ProjectModifiedTimestamp` is reported to `subscribe_project_changed` listeners.
        """
        previous = self._description
        self._description = description
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
            if state is None or len(state.zones) != len(fresh.zones):
                self._states[serial] = fresh
                if previous is not None and serial not in old:
                    self.events.publish(
                        Event(EventKind.DEVICE_ADDED, serial, value=device)
                    )
                    continue
            if serial in old and old[serial] != device:
                self.events.publish(
                    Event(EventKind.DEVICE_CHANGED, serial, value=device)
                )
        for zone_id, on in list(link.levels.items()):
            if description.output(zone_id) is not None:
                self._apply_level(zone_id, on)
                continue
            # A zone of another control type, or none of the system's.
            del link.levels[zone_id]
            if zone_id not in self._skipped:
                self._counters["unknown_zone_statuses"] += 1
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
            raise UnknownObjectError(f"Module {serial} has {what}")
        return output.integration_id

    async def read(self, url: str) -> list[Mapping[str, Any]]:
        """Read `url` (every page, LP8) and return the objects of its body; a refusal raises its typed error."""
        return await self._read_list(self._require_link(), url)

    async def set_zone(self, serial: str, number: int | None, on: bool) -> None:
        """Switch zone `number` of a module or group (a CCO zone opens or closes), or a module's CCO (`number` None).

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
            command = {
                "CommandType": CommandType.GO_TO_LEVEL.value,
                "Parameter": [{"Type": "Level", "Value": 100 if on else 0}],
            }
        link = self._require_link()

        def on_reply(message: Mapping[str, Any]) -> None:
            self._zone_statuses(link, message)

        url = f"/zone/{zone_id}/commandprocessor"
        await self._request(
            link,
            CommuniqueType.CREATE_REQUEST,
            url,
            {"Command": command},
            handler=on_reply,
        )
        # The reply's status was applied as it came (`on_reply`); a reply without one leaves the last level known.
        if link.levels.get(zone_id) != on:
            raise CommandIgnoredError(serial, IgnoredReason.NOT_REPORTED)

    async def pulse_cco(self, serial: str, seconds: float) -> None:
        """Close a module's CCO, and open it again after `seconds` (LEAP has no pulse command: timed here)."""
        await self.set_zone(serial, None, True)
        task = asyncio.create_task(
            self._open_later(serial, seconds), name=f"leap-client-pulse-{serial}"
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _open_later(self, serial: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await self.set_zone(serial, None, False)
        except QsxError as err:
            _LOGGER.warning(
                "The pulse of module %s's CCO could not end: %s", serial, err
            )
