"""The emulator's LEAP server (LP1–LP19): JSON lines over mutually authenticated TLS, as a QSX processor serves them.

`LeapServer` serves one `Emulator`: reads of the resource tree (`resources.py`), the ping, subscriptions to
`/zone/status` and `/area/status` with a push for every change the emulator publishes on its event bus (whatever
caused it: a LEAP or LIP command, a button, an override, a power cut or restore), zone commands, paging and
refusals.

Pushes: the changes of one burst (everything the emulator publishes before the event loop turns, for example the
32 modules of one override group) are gathered and sent as one line per subscription, zones in the order they
first changed, each with its state at the time of sending, in the server's push form (`pushes.py`, LP23). The changes requests cause are pushed right after the
replies to the lines that arrived with them, in the same write. A subscription's header is encoded when it is made
and a zone's status once per value (`ResourceTree.zone_status_json`): a push only joins texts.

Limits (named below; all in `docs/limits.md`): 20 sessions at once (LP4: a refused session gets a TLS close,
nothing else; at the cap a session silent for `IDLE_EVICTION_AFTER` gives way, as on LIP); a TLS handshake must end
within 10 s (LP4), and every socket takes its place in the `SocketBudget` (`qsx/limits.py`) the emulator's other
listeners share; an inbound line over 64 KiB is answered `400` and the connection closed (LP2); once a session
leaves `PAUSE_READING_AT` bytes unread its requests wait and its socket is not read (pipelined reads cannot pile up
replies), and a peer that leaves more than 1 MiB unread (pushes) is dropped; at most `MAX_LINES_PER_TURN` lines of
one session are handled per turn of the event loop. Bad input changes nothing: every request is checked in full
before the emulator is touched; text that cannot be echoed is refused without echo; an unexpected error answers
`500`; nothing is raised into the event loop, and warnings about a peer are a summary per source address
(`AddressLog`), never its input.

Sessions are `asyncio.Protocol`s over the standard library's TLS: bytes are handled in the transport's callback
and the answers written before it returns. This module holds the sessions, the writing and the pushes; what each
request means (reads, subscriptions, commands) is `RequestHandler` of `handlers.py`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
import itertools
import logging
import secrets
from typing import Any, Final, override

from ...const import ButtonAction
from ...errors import UnknownObjectError
from ...events import Event, EventKind, Unsubscribe
from ...leap.protocol import (
    AREA_STATUS_URL,
    LEAP_PORT,
    MAX_INBOUND_LINE_BYTES,
    PAGE_SIZE,
    TIMECLOCK_STATUS_URL,
    ZONE_STATUS_URL,
    BodyType,
    LeapError,
    LineReader,
    Pager,
    Status,
    close_after_long_line,
    decode,
    encode,
    encode_json,
    escapes_free,
    exception_reply,
    line_too_long,
    parse_request,
    request_tag,
    request_url,
)
from ...leap.pushes import Push, PushForm, Subscription, object_line
from .. import Emulator
from ..limits import (
    DEFAULT_HOST,
    IDLE_EVICTION_AFTER,
    MAX_PENDING_HANDSHAKES,
    TLS_HANDSHAKE_DEADLINE,
    AddressLog,
    SocketBudget,
    idle_session_to_evict,
)
from ..sessions import ServedSession, WriteBuffer, peer_address, peer_name
from .certs import LeapCredentials
from .handlers import RequestHandler
from .resources import Profile, ResourceTree, StatusUse
from .tls import TlsListener

_LOGGER = logging.getLogger(__name__)

MAX_SESSIONS: Final = 20  # LP4
# Bytes a session may leave unread before it is dropped.
WRITE_BUFFER_LIMIT: Final = 1024 * 1024
# Unread bytes at which a session's requests stop being handled and its socket read, until it reads (at most
# half the write limit): pipelined requests cannot pile up replies in memory.
PAUSE_READING_AT: Final = 256 * 1024
# Lines of one session handled in one turn of the event loop; the rest wait (its socket not read meanwhile), so
# one session's pipeline does not hold up the others.
MAX_LINES_PER_TURN: Final = 64
# Queued reply bytes written out at once, without waiting for the end of the batch (the write limit is checked
# after each reply, not only after the batch).
WRITE_CHUNK_BYTES: Final = 64 * 1024
# Button events waiting for the next push (they are events, not states: none is merged); the oldest give way.
MAX_PENDING_BUTTON_EVENTS: Final = 1024
_ZONE_EVENTS: Final = frozenset(
    {EventKind.ZONE, EventKind.CCO, EventKind.LEVEL, EventKind.TILT}
)
# LP38: the wire names of the keypad events.
EVENT_TYPES: Final = {
    ButtonAction.PRESS: "Press",
    ButtonAction.RELEASE: "Release",
    ButtonAction.LONG_PRESS: "LongHold",
    ButtonAction.MULTI_TAP: "MultiTap",
}


@dataclass(slots=True, eq=False)
class _Session:
    """One connected client."""

    number: int
    peer: str
    address: str
    transport: asyncio.Transport
    reader: LineReader
    # When the peer last sent something (loop time): the session silent longest gives way at the cap.
    last_activity: float
    # URL → the subscription's tag and the start of its push lines.
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    # What to write next; made once the session exists (it names the session when it has something).
    out: WriteBuffer = field(init=False)
    closed: bool = False
    dropped: bool = False
    # Lines waiting to be handled, with when they are due (the reply delay, or at once when they wait their turn).
    backlog: deque[tuple[float, bytes | None]] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None
    # The peer leaves `PAUSE_READING_AT` bytes unread: nothing more is handled until it reads.
    write_paused: bool = False
    reading_paused: bool = False


def _last_activity(session: _Session) -> float:
    return session.last_activity


class _SessionProtocol(ServedSession[_Session]):
    """A LEAP session's transport callbacks, with the transport's flow control handed to the server."""

    def __init__(self, server: LeapServer) -> None:
        super().__init__(server, server.errors)
        self._server = server

    @override
    def pause_writing(self) -> None:
        """Stop handling the requests of a peer that leaves too much unread."""
        if self.session is not None:
            self._server.writing_paused(self.session, paused=True)

    @override
    def resume_writing(self) -> None:
        """Handle the requests of a peer that read enough again."""
        if self.session is not None:
            self._server.writing_paused(self.session, paused=False)


class LeapServer:
    """Serve an `Emulator` over LEAP (TLS, client certificates signed by `credentials`' CA).

    Args:
        emulator: the system to serve.
        credentials: the emulator's CA and server certificate (`certs.py`).
        host: address to listen on (default loopback only).
        port: TCP port (8081 as on a processor; 0 picks a free one, see `port` once started).
        profile: how modules are listed (LP16).
        push_form: the form changes are pushed in (LP23; tagged collection deltas by default, LP56).
        max_sessions: sessions at once (LP4).
        handshake_timeout: seconds a client has to finish the TLS handshake (LP4).
        budget: the open-socket budget shared with the emulator's other listeners (a new one by default).
        max_pending_handshakes: connections still in their TLS handshake at once; at the bound the oldest gives way.
        reply_delay: seconds between a line's arrival and its handling (emulates a network round trip; lines keep
            their order, and lines sent together are answered one delay later, not one after the other).
        write_buffer_limit: bytes a session may leave unread before it is dropped.
        max_line: longest inbound line, in bytes (LP2).
        page_size: items per page of a list (LP8).
        idle_eviction_after: seconds of silence after which a session gives its slot to a new one at the cap.
        this_processor: the serial of the processor this server is (LP53: every processor of a project serves the
            whole project, `IsThisDevice` naming itself; the project's first by default). `UnknownObjectError`
            when the project has no such processor.

    """

    def __init__(
        self,
        emulator: Emulator,
        credentials: LeapCredentials,
        host: str = DEFAULT_HOST,
        port: int = LEAP_PORT,
        *,
        profile: Profile = Profile.FULL,
        push_form: PushForm = PushForm.COLLECTION,
        max_sessions: int = MAX_SESSIONS,
        handshake_timeout: float = TLS_HANDSHAKE_DEADLINE,
        budget: SocketBudget | None = None,
        max_pending_handshakes: int = MAX_PENDING_HANDSHAKES,
        reply_delay: float = 0.0,
        write_buffer_limit: int = WRITE_BUFFER_LIMIT,
        max_line: int = MAX_INBOUND_LINE_BYTES,
        page_size: int = PAGE_SIZE,
        idle_eviction_after: float = IDLE_EVICTION_AFTER,
        this_processor: str | None = None,
    ) -> None:
        """Prepare the server; nothing listens before `start()`."""
        if reply_delay < 0:
            raise ValueError("reply_delay cannot be negative")
        processor = (
            emulator.description.processor
            if this_processor is None
            else emulator.description.processor_by_serial(this_processor)
        )
        self.this_processor = processor.serial
        self.emulator = emulator
        self.credentials = credentials
        self.host = host
        self.profile = profile
        self.push_form = push_form
        self._port = port
        self._max_sessions = max_sessions
        self._budget = budget if budget is not None else SocketBudget()
        self._limits = self._budget.listener(
            "LEAP",
            max_pending=max_pending_handshakes,
            handshake_deadline=handshake_timeout,
        )
        self._reply_delay = reply_delay
        self._write_limit = write_buffer_limit
        self._pause_at = min(PAUSE_READING_AT, write_buffer_limit // 2)
        self._max_line = max_line
        self._idle_eviction_after = idle_eviction_after
        # What peers cause that is worth a warning: a summary per source address.
        self.errors = AddressLog("Refused LEAP input", _LOGGER)
        self._server: TlsListener | None = None
        self._accepting = False
        self._sessions: set[_Session] = set()
        self._numbers = itertools.count(1)
        self._unsubscribe: Unsubscribe | None = None
        # Ids changed since the last push, in order: zones, areas (occupancy), LEDs, timeclocks; button events.
        self._pending: dict[int, None] = {}
        self._pending_areas: dict[int, None] = {}
        self._pending_leds: dict[int, None] = {}
        self._pending_timeclocks: dict[int, None] = {}
        self._pending_buttons: deque[tuple[int, str]] = deque(
            maxlen=MAX_PENDING_BUTTON_EVENTS
        )
        self._flush_handle: asyncio.Handle | None = None
        # (button id, EventType) → the event's URL and body content: a keypad's events are encoded once.
        self._button_event_texts: dict[tuple[int, str], tuple[str, str]] = {}
        # Lines are being handled: what they cause is written right after.
        self._handling = False
        self._dirty: list[_Session] = []
        self._counters = {
            "sessions": 0,
            "refused": 0,
            "evicted": 0,
            "dropped": 0,
            "paused": 0,
            "requests": 0,
            "errors": 0,
            "pushes": 0,
            "orphaned_pushes": 0,
            "commands": 0,
            "ignored_commands": 0,
            "dropped_button_events": 0,
        }
        self._requests = RequestHandler(
            emulator,
            profile,
            Pager(secrets.token_bytes(32), page_size),
            self._counters,
            this_processor=self.this_processor,
        )

    @property
    def port(self) -> int:
        """The port (the real one once started, when 0 was asked for)."""
        return self._port

    @property
    def session_count(self) -> int:
        """Sessions open now (TLS handshake done)."""
        return len(self._sessions)

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the listening address, profile, sessions and counters (no keys, no certificates)."""
        return {
            "host": self.host,
            "leap_port": self._port,
            "processor": self.this_processor,
            "profile": self.profile.value,
            "push_form": self.push_form.value,
            "listening": self._server is not None,
            "open_sessions": len(self._sessions),
            "subscriptions": sum(
                len(session.subscriptions) for session in self._sessions
            ),
            "max_sessions": self._max_sessions,
            "reply_delay_s": self._reply_delay,
            "failed_handshakes": self._server.failed_handshakes if self._server else 0,
            "pending_handshakes": len(self._limits.pending),
            "open_sockets": self._budget.open_sockets,
            **{f"tls_{key}": value for key, value in self._limits.counters.items()},
            **self._counters,
        }

    async def start(self) -> None:
        """Listen; `OSError` when the address cannot be bound."""
        if self._server is not None:
            return
        context = await asyncio.to_thread(self.credentials.server_context)
        listener = TlsListener(
            "LEAP",
            context,
            lambda: _SessionProtocol(self),
            limits=self._limits,
            errors=self.errors,
        )
        self._port = await listener.start(self.host, self._port)
        self._server = listener
        self._accepting = True
        self._requests.tree()
        self._unsubscribe = self.emulator.events.subscribe(self._on_event)
        _LOGGER.info(
            "LEAP server listening on %s:%s (%s profile)",
            self.host,
            self._port,
            self.profile.value,
        )

    async def stop(self) -> None:
        """Close every session and the listener."""
        self._accepting = False
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._requests.close()
        for session in list(self._sessions):
            self._abort(session)
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
        self.errors.close()

    # Pushes (LP18, LP38, LP41–LP46, LP56).

    def _on_event(self, event: Event) -> None:
        try:
            self._take_event(event)
        except UnknownObjectError:
            # Its processor left the project (a restore without it): nothing of it is served to push.
            self._counters["orphaned_pushes"] += 1

    def _take_event(self, event: Event) -> None:
        kind, serial, requests = event.kind, str(event.serial), self._requests
        index: Callable[[], Mapping[Any, int]]
        key: object
        pending: dict[int, None] | None = None  # None: a button event, queued in order
        if kind in _ZONE_EVENTS:
            number = None if kind is EventKind.CCO else event.zone
            index, key, pending = (
                lambda: requests.zone_ids,
                (serial, number),
                self._pending,
            )
        elif kind is EventKind.INDICATOR:
            index, key, pending = (
                lambda: requests.led_ids,
                (serial, event.zone),
                self._pending_leds,
            )
        elif kind is EventKind.BUTTON and isinstance(event.value, ButtonAction):
            index, key = (lambda: requests.button_ids), (serial, event.zone)
        elif kind is EventKind.OCCUPANCY:
            index, key, pending = (
                lambda: requests.tree().device_areas,
                serial,
                self._pending_areas,
            )
        elif kind is EventKind.TIMECLOCK:
            index, key, pending = (
                lambda: requests.timeclock_ids,
                serial,
                self._pending_timeclocks,
            )
        elif kind is EventKind.PROCESSOR:
            # LP53: the zones on its links are now uncertain (`StatusAccuracy: "Bad"`), or known again.
            requests.tree()
            self._pending.update(
                dict.fromkeys(requests.processor_zone_ids.get(serial, []))
            )
            self._flush_later()
            return
        else:  # a module's front button, LEDs, CCI, mode…: not in LEAP (LP17)
            return
        found = self._lookup(index, key)
        if found is None:
            return
        if pending is not None:
            pending[found] = None
        else:
            if len(self._pending_buttons) == MAX_PENDING_BUTTON_EVENTS:
                self._counters["dropped_button_events"] += 1
            # A press over LEAP (LP40) goes out first of what its request caused, in the one write after its reply:
            # a write of its own before the programming ran cost a listener on the same core more than it gained.
            self._pending_buttons.append((found, EVENT_TYPES[event.value]))
        self._flush_later()

    def _flush_later(self) -> None:
        """Push what is pending once the event loop turns (at once after the lines being handled)."""
        if self._flush_handle is None and not self._handling:
            with contextlib.suppress(
                RuntimeError
            ):  # no running loop: the next flush sends it
                self._flush_handle = asyncio.get_running_loop().call_soon(
                    self._flush_soon
                )

    def _lookup(
        self, index: Callable[[], Mapping[Any, int]], key: object
    ) -> int | None:
        """Return the id of `key` in one of the handler's indexes (`index` gives it); the tree is rebuilt on a miss."""
        found = index().get(key)
        if found is None:
            self._requests.tree()  # a device added since the tree was built
            found = index().get(key)
        return found

    def _flush_soon(self) -> None:
        self._flush_handle = None
        self._push()
        self._write_all()

    def _subscribers(self, url: str) -> list[_Session]:
        return [s for s in self._sessions if url in s.subscriptions]

    def _push(self) -> None:
        """Send what changed since the last push to every subscription, in the order of the changes per kind."""
        if not (
            self._pending
            or self._pending_areas
            or self._pending_leds
            or self._pending_buttons
            or self._pending_timeclocks
        ):
            return
        try:
            tree = self._requests.tree()
        except UnknownObjectError:
            # Its processor left the project (a restore without it): there is nothing left to push from.
            self._counters["orphaned_pushes"] += 1
            self._pending, self._pending_areas, self._pending_leds = {}, {}, {}
            self._pending_timeclocks = {}
            self._pending_buttons.clear()
            return
        if self._pending_buttons:
            self._push_button_events()
        if self._pending or self._pending_areas:
            self._push_areas(self._push_zones(tree))
        if self._pending_leds:
            self._push_leds(tree)
        if self._pending_timeclocks:
            self._push_timeclocks(tree)

    def _push_zones(self, tree: ResourceTree) -> dict[int, None]:
        """Push the changed zones; return the areas they are in (with the areas changed otherwise)."""
        changed, self._pending = list(self._pending), {}
        targets = [
            tree.targets[zone_id] for zone_id in changed if zone_id in tree.targets
        ]
        zone_subscribers = self._subscribers(ZONE_STATUS_URL)
        if zone_subscribers and targets:
            state, cut_off = self.emulator.state, self._requests.cut_off
            statuses = [
                (
                    f"/zone/{target.zone_id}/status",
                    tree.zone_status_json(
                        target,
                        state(target.serial),
                        StatusUse.PUSH,
                        cut_off=cut_off(target),
                    ),
                )
                for target in targets
            ]
            self._send_push(zone_subscribers, ZONE_STATUS_URL, statuses)
        areas, self._pending_areas = self._pending_areas, {}
        for target in targets:
            areas[target.area_id] = None
        return areas

    def _push_areas(self, areas: Mapping[int, None]) -> None:
        changed_areas: list[dict[str, Any]] = []
        for area_id in sorted(areas):
            status = self._requests.area_status(area_id)
            if status != self._requests.area_statuses.get(area_id):
                self._requests.area_statuses[area_id] = status
                changed_areas.append(status)
        if not changed_areas:
            return
        area_subscribers = self._subscribers(AREA_STATUS_URL)
        encoded = [(status["href"], encode_json(status)) for status in changed_areas]
        if area_subscribers:
            self._send_push(area_subscribers, AREA_STATUS_URL, encoded)
        for url, content in encoded:
            self._send_object(url, BodyType.ONE_AREA_STATUS, content)

    def _push_leds(self, tree: ResourceTree) -> None:
        changed, self._pending_leds = list(self._pending_leds), {}
        for led_id in changed:
            target = tree.led_targets.get(led_id)
            if target is not None:
                self._send_object(
                    f"/led/{led_id}/status",
                    BodyType.ONE_LED_STATUS,
                    encode_json(self._requests.led_status(target)),
                )

    def _push_button_events(self) -> None:
        events = list(self._pending_buttons)
        self._pending_buttons.clear()
        for event in events:
            found = self._button_event_texts.get(event)
            if found is None:
                button_id, event_type = event
                found = self._button_event_texts[event] = (
                    f"/button/{button_id}/status/event",
                    encode_json(
                        {
                            "Button": {"href": f"/button/{button_id}"},
                            "ButtonEvent": {"EventType": event_type},
                        }
                    ),
                )
            self._send_object(found[0], BodyType.ONE_BUTTON_STATUS_EVENT, found[1])

    def _push_timeclocks(self, tree: ResourceTree) -> None:
        changed, self._pending_timeclocks = list(self._pending_timeclocks), {}
        subscribers = self._subscribers(TIMECLOCK_STATUS_URL)
        targets = [
            tree.timeclock_targets[clock_id]
            for clock_id in changed
            if clock_id in tree.timeclock_targets
        ]
        if subscribers and targets:
            self._send_push(
                subscribers,
                TIMECLOCK_STATUS_URL,
                [
                    (
                        f"/timeclock/{target.timeclock_id}/status",
                        encode_json(self._requests.timeclock_status(target)),
                    )
                    for target in targets
                ],
            )

    def _send_push(
        self,
        sessions: Iterable[_Session],
        url: str,
        statuses: list[tuple[str, str]],
    ) -> None:
        """Send statuses (status URL, JSON text) to the subscribers of `url`, in the server's push form (LP23)."""
        push = Push(self.push_form, url, statuses)
        for session in sessions:
            for line in push.lines(session.subscriptions[url]):
                self._queue(session, line)
                self._counters["pushes"] += 1

    def _send_object(self, url: str, body_type: BodyType, content: str) -> None:
        """Send one object's status (or event) to the subscribers of that object (LP38, LP41, LP56)."""
        for session in self._subscribers(url):
            line = object_line(
                self.push_form, session.subscriptions[url], url, body_type, content
            )
            self._queue(session, line)
            self._counters["pushes"] += 1

    # Writing.

    def _queue(self, session: _Session, data: bytes) -> None:
        if not session.closed:
            session.out.queue(data)

    def _send(self, session: _Session, message: Mapping[str, Any]) -> None:
        self._queue(session, encode(message))

    def _write_all(self) -> None:
        dirty, self._dirty = self._dirty, []
        for session in dirty:
            self._write(session)

    def _write(self, session: _Session) -> None:
        if session.closed or session.transport.is_closing():
            # A peer that left while its reading was paused is not answered: asyncio would log each write.
            session.out.clear()
            session.backlog.clear()
            return
        if not session.out.write():
            _LOGGER.debug(
                "LEAP session %s from %s does not read its replies: dropped",
                session.number,
                session.peer,
            )
            self.errors.record(
                session.address, f"more than {self._write_limit} bytes left unread"
            )
            session.dropped = True
            self._abort(session)

    def _abort(self, session: _Session) -> None:
        session.closed = True
        session.out.clear()
        session.backlog.clear()
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        session.transport.abort()

    def writing_paused(self, session: _Session, *, paused: bool) -> None:
        """Flow control: the peer left `PAUSE_READING_AT` bytes unread (stop handling it), or read them."""
        session.write_paused = paused
        if paused:
            self._counters["paused"] += 1
        else:
            self._schedule(session)

    # Sessions.

    def session_opened(self, transport: asyncio.Transport) -> _Session | None:
        """Start a session once the TLS handshake is done, or refuse it with a TLS close (LP4)."""
        peer = peer_name(transport)
        address = peer_address(transport)
        if not self._accepting:  # stopping
            self._counters["refused"] += 1
            transport.close()
            return None
        if not self._make_room():
            self._counters["refused"] += 1
            _LOGGER.debug(
                "LEAP connection from %s refused: %d sessions open",
                peer,
                len(self._sessions),
            )
            self.errors.record(address, f"{self._max_sessions} sessions open")
            transport.close()
            return None
        session = _Session(
            next(self._numbers),
            peer,
            address,
            transport,
            LineReader(self._max_line),
            asyncio.get_running_loop().time(),
        )
        session.out = WriteBuffer(
            transport, self._write_limit, lambda: self._dirty.append(session)
        )
        transport.set_write_buffer_limits(high=self._pause_at)
        self._sessions.add(session)
        self._counters["sessions"] += 1
        _LOGGER.debug("LEAP session %s from %s opened", session.number, peer)
        return session

    def _make_room(self) -> bool:
        """Whether a session fits under the cap (LP4), once a long-silent session gave up its slot if needed.

        The same rule as LIP's logins (`idle_session_to_evict`): a session that sent nothing, not even a ping,
        for `idle_eviction_after` seconds (two keepalive periods) gives way, the one silent longest first, so
        clients that leak sessions cannot lock every new client out. Active sessions are never evicted.
        """
        if len(self._sessions) < self._max_sessions:
            return True
        now = asyncio.get_running_loop().time()
        idle = idle_session_to_evict(
            self._sessions, _last_activity, now, self._idle_eviction_after
        )
        if idle is None:
            return False
        self._counters["evicted"] += 1
        _LOGGER.info(
            "LEAP session %s from %s, silent for %.0f s, gives its slot to a new session",
            idle.number,
            idle.peer,
            now - idle.last_activity,
        )
        self._sessions.discard(idle)
        self._abort(idle)
        return True

    def session_closed(self, session: _Session, exc: Exception | None) -> None:
        """Forget a session whose connection is gone."""
        if exc is not None:
            _LOGGER.debug(
                "LEAP session %s from %s failed: %s", session.number, session.peer, exc
            )
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        self._sessions.discard(session)
        if session.dropped:
            self._counters["dropped"] += 1
        session.closed = True
        session.out.clear()
        session.backlog.clear()
        _LOGGER.debug("LEAP session %s from %s closed", session.number, session.peer)

    def session_received(self, session: _Session, data: bytes) -> None:
        """Handle the complete lines in `data` now, or when their turn comes (reply delay, backlog, no reading)."""
        if session.closed:
            return
        now = asyncio.get_running_loop().time()
        session.last_activity = now
        lines = session.reader.feed(data)
        if not lines:
            return
        if self._reply_delay or session.backlog or session.write_paused:
            due = now + self._reply_delay
            session.backlog.extend((due, line) for line in lines)
            self._schedule(session)
            return
        self._handle_lines(session, lines)

    def _schedule(self, session: _Session) -> None:
        """Arrange for the session's backlog to be handled; read its socket only while little waits."""
        if session.closed:
            return
        waiting = session.write_paused or len(session.backlog) > MAX_LINES_PER_TURN
        if waiting != session.reading_paused:
            session.reading_paused = waiting
            if waiting:
                session.transport.pause_reading()
            else:
                session.transport.resume_reading()
        if session.backlog and not session.write_paused and session.timer is None:
            session.timer = asyncio.get_running_loop().call_at(
                session.backlog[0][0], self._run_backlog, session
            )

    def _run_backlog(self, session: _Session) -> None:
        session.timer = None
        if session.closed or session.write_paused:
            return
        now = asyncio.get_running_loop().time()
        due: list[bytes | None] = []
        while (
            session.backlog
            and session.backlog[0][0] <= now
            and len(due) < MAX_LINES_PER_TURN
        ):
            due.append(session.backlog.popleft()[1])
        self._handle_lines(session, due)

    def _handle_lines(self, session: _Session, lines: list[bytes | None]) -> None:
        """Handle lines of one session in order, then write every reply and push they caused at once.

        At most `MAX_LINES_PER_TURN` lines are handled, and none once the peer leaves `PAUSE_READING_AT` bytes
        unread (the replies are written as they grow, and that is checked after each): the rest go back to the
        front of the backlog. None stands for a line over the limit (LP2): it is refused, and the connection
        closed after the replies.
        """
        too_long = False
        handled = 0
        self._handling = True
        try:
            for line in lines:
                if (
                    session.closed
                    or session.write_paused
                    or handled >= MAX_LINES_PER_TURN
                    or session.transport.is_closing()
                ):
                    break
                handled += 1
                if line is None:
                    too_long = True
                    self._counters["errors"] += 1
                    _LOGGER.debug(
                        "LEAP session %s sent a line over %d bytes: closed",
                        session.number,
                        self._max_line,
                    )
                    self.errors.record(
                        session.address, f"line over {self._max_line} bytes"
                    )
                    error = line_too_long(self._max_line)
                    self._send(session, exception_reply(error, None, None))
                    break
                self._handle(session, line)
                if session.out.size >= WRITE_CHUNK_BYTES:
                    self._write(session)
            self._push()
        finally:
            self._handling = False
        self._write_all()
        if too_long and not session.closed:
            # LP2: close after the refusal, once a moment's input is drained.
            session.closed = True
            session.backlog.clear()
            if session.timer is not None:
                session.timer.cancel()
            if session.reading_paused:
                session.transport.resume_reading()
            session.timer = close_after_long_line(session.transport)
            return
        if (
            handled < len(lines)
            and not session.closed
            and not session.transport.is_closing()
        ):
            now = asyncio.get_running_loop().time()
            session.backlog.extendleft(
                (now, line) for line in reversed(lines[handled:])
            )
        self._schedule(session)

    def _fault(
        self, session: _Session, what: str, url: str | None, err: Exception
    ) -> None:
        """Count and log a fault of ours; the address's summary names its type, never the input."""
        self._counters["errors"] += 1
        _LOGGER.debug(what, session.number, url, exc_info=err)
        self.errors.record(session.address, f"internal error ({type(err).__name__})")

    def _handle(self, session: _Session, line: bytes) -> None:
        self._counters["requests"] += 1
        message: dict[str, Any] | None = None
        try:
            message = decode(line)
            request = parse_request(message, text_checked=escapes_free(line))
        except LeapError as err:
            # Not a request at all (LP7): worth a line in the address's summary, which never shows the input.
            self._counters["errors"] += 1
            self.errors.record(session.address, "malformed request")
            # The refusal carries the tag and URL when they can be sent back.
            url = request_url(message) if message is not None else None
            tag = request_tag(message) if message is not None else None
            self._send(session, exception_reply(err, url, tag))
            return
        url, tag = request.url, request.client_tag
        try:
            reply = self._requests.handle(request, session.subscriptions)
        except LeapError as err:
            # A well-formed request refused (404, 405, a bad body): clients probe optional resources this way.
            self._counters["errors"] += 1
            _LOGGER.debug(
                "LEAP session %s: %.200r refused: %.200r",
                session.number,
                url,
                err.message,
            )
            self._send(session, exception_reply(err, url, tag))
            return
        except Exception as err:  # noqa: BLE001 (LP7: a fault of ours answers 500; the session goes on)
            self._fault(session, "LEAP session %s: request for %.200r failed", url, err)
            self._send(
                session,
                exception_reply(
                    LeapError(Status.INTERNAL_ERROR, "The request failed"), url, tag
                ),
            )
            return
        finally:
            actions, self._requests.after_reply = self._requests.after_reply, []
        self._queue(session, reply)
        for action in actions:
            try:
                action()
            except Exception as err:  # noqa: BLE001 (the reply went out; the session goes on)
                self._fault(
                    session, "LEAP session %s: %.200r failed after its reply", url, err
                )
