"""The emulator's LEAP server (LP1–LP19): JSON lines over mutually authenticated TLS, as a QSX processor serves them.

`LeapServer` serves one `Emulator`: reads of the resource tree (`resources.py`), the ping, subscriptions to
`/zone/status` and `/area/status` with a push for every change the emulator publishes on its event bus (whatever
caused it: a LEAP or LIP command, a button, an override, a power cut or restore), zone commands, paging and
refusals.

Pushes: the changes of one burst (everything the emulator publishes before the event loop turns, for example the
32 modules of one override group) are gathered and sent as one line per subscription, zones in the order they
first changed, each with its state at the time of sending. The changes requests cause are pushed right after the
replies to the lines that arrived with them, in the same write. A subscription's header is encoded when it is made
and a zone's status once per value (`ResourceTree.zone_status_json`): a push only joins texts.

Limits (named below): 20 sessions at once (LP4: a refused session gets a TLS close, nothing else); a TLS handshake
must end within 10 s (LP4), and every socket takes its place in the `SocketBudget` (`qsx/limits.py`) the emulator's
other listeners share, so a flood of half-open connections on this port never takes another port's sockets (nor
this port's, from a client that completes its handshake: the oldest pending one gives way); an inbound line over 64 KiB is answered `400` and the connection closed (LP2); a peer
that leaves more than 1 MiB of replies unread is dropped rather than stall the others. Bad input changes nothing:
every request is checked in full before the emulator is touched, and an unexpected error answers `500` and is
logged, never raised into the event loop.

Sessions are `asyncio.Protocol`s over the standard library's TLS: bytes are handled in the transport's callback
and the answers written before it returns.
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
from typing import Any, Final

from ..emulator import Emulator
from ..events import Event, EventKind, Unsubscribe
from ..limits import (
    DEFAULT_HOST,
    MAX_PENDING_HANDSHAKES,
    TLS_HANDSHAKE_DEADLINE,
    SocketBudget,
)
from ..sessions import ServedSession, WriteBuffer
from .certs import LeapCredentials
from .protocol import (
    AREA_STATUS_URL,
    LEAP_PORT,
    MAX_INBOUND_LINE_BYTES,
    PAGE_SIZE,
    PING_URL,
    ZONE_STATUS_URL,
    BodyType,
    CommandType,
    CommuniqueType,
    LeapError,
    LineReader,
    Pager,
    Request,
    Status,
    close_after_long_line,
    decode,
    encode,
    encode_json,
    encode_reply,
    exception_reply,
    line_too_long,
    make_reply,
    not_allowed,
    parse_request,
    ping_reply,
    reply_prefix,
    request_tag,
)
from .resources import Profile, ResourceTree, ZoneTarget, zone_status
from .tls import TlsListener

_LOGGER = logging.getLogger(__name__)

MAX_SESSIONS: Final = 20  # LP4
# Bytes a session may leave unread before it is dropped.
WRITE_BUFFER_LIMIT: Final = 1024 * 1024
# Statuses per push line: keeps a line under LP2's 256 KiB.
MAX_PUSH_STATUSES: Final = 1000
SUBSCRIBABLE: Final = (ZONE_STATUS_URL, AREA_STATUS_URL)
LEVEL_MAX: Final = 100
# Tuples: membership compares, so a value of any JSON type (a list too) is simply not in them.
COMMAND_TYPES: Final = tuple(CommandType)


@dataclass(slots=True, eq=False)
class _Session:
    """One connected client."""

    number: int
    peer: str
    transport: asyncio.Transport
    reader: LineReader
    # URL → the start of the subscription's push lines (`reply_prefix`, with its tag).
    subscriptions: dict[str, str] = field(default_factory=dict)
    # What to write next; made once the session exists (it names the session when it has something).
    out: WriteBuffer = field(init=False)
    closed: bool = False
    dropped: bool = False
    delayed: deque[tuple[float, bytes | None]] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None


class LeapServer:
    """Serve an `Emulator` over LEAP (TLS, client certificates signed by `credentials`' CA).

    Args:
        emulator: the system to serve.
        credentials: the emulator's CA and server certificate (`certs.py`).
        host: address to listen on (default loopback only).
        port: TCP port (8081 as on a processor; 0 picks a free one, see `port` once started).
        profile: how modules are listed (LP16).
        max_sessions: sessions at once (LP4).
        handshake_timeout: seconds a client has to finish the TLS handshake (LP4).
        budget: the open-socket budget shared with the emulator's other listeners (a new one by default).
        max_pending_handshakes: connections still in their TLS handshake at once; at the bound the oldest gives way.
        reply_delay: seconds between a line's arrival and its handling (emulates a network round trip; lines keep
            their order, and lines sent together are answered one delay later, not one after the other).
        write_buffer_limit: bytes a session may leave unread before it is dropped.
        max_line: longest inbound line, in bytes (LP2).
        page_size: items per page of a list (LP8).

    """

    def __init__(
        self,
        emulator: Emulator,
        credentials: LeapCredentials,
        host: str = DEFAULT_HOST,
        port: int = LEAP_PORT,
        *,
        profile: Profile = Profile.FULL,
        max_sessions: int = MAX_SESSIONS,
        handshake_timeout: float = TLS_HANDSHAKE_DEADLINE,
        budget: SocketBudget | None = None,
        max_pending_handshakes: int = MAX_PENDING_HANDSHAKES,
        reply_delay: float = 0.0,
        write_buffer_limit: int = WRITE_BUFFER_LIMIT,
        max_line: int = MAX_INBOUND_LINE_BYTES,
        page_size: int = PAGE_SIZE,
    ) -> None:
        """Prepare the server; nothing listens before `start()`."""
        if reply_delay < 0:
            raise ValueError("reply_delay cannot be negative")
        self.emulator = emulator
        self.credentials = credentials
        self.host = host
        self.profile = profile
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
        self._max_line = max_line
        self._pager = Pager(secrets.token_bytes(32), page_size)
        self._server: TlsListener | None = None
        self._accepting = False
        self._sessions: set[_Session] = set()
        self._numbers = itertools.count(1)
        self._unsubscribe: Unsubscribe | None = None
        self._tree_cache: ResourceTree | None = None
        self._zone_ids: dict[tuple[str, int | None], int] = {}
        self._area_statuses: dict[int, dict[str, Any]] = {}
        # Zone ids changed since the last push, in order.
        self._pending: dict[int, None] = {}
        self._flush_handle: asyncio.Handle | None = None
        # Lines are being handled: what they cause is written right after.
        self._handling = False
        self._dirty: list[_Session] = []
        self._counters = {
            "sessions": 0,
            "refused": 0,
            "dropped": 0,
            "requests": 0,
            "errors": 0,
            "pushes": 0,
            "commands": 0,
            "ignored_commands": 0,
        }

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
            "profile": self.profile.value,
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
            lambda: ServedSession(self),
            limits=self._limits,
        )
        self._port = await listener.start(self.host, self._port)
        self._server = listener
        self._accepting = True
        self._tree()
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
        for session in list(self._sessions):
            self._abort(session)
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    # The resource tree, rebuilt when the description changes (descriptions are frozen: a new one is a new object).

    def _tree(self) -> ResourceTree:
        description = self.emulator.description
        tree = self._tree_cache
        if tree is None or tree.description is not description:
            tree = ResourceTree(description, self.profile)
            self._tree_cache = tree
            self._zone_ids = {
                (target.serial, target.number): zone_id
                for zone_id, target in tree.targets.items()
            }
            self._area_statuses = {
                area_id: tree.area_status(area_id, self.emulator.state)
                for area_id in tree.areas
            }
        return tree

    def _zone_status(self, target: ZoneTarget) -> dict[str, Any]:
        return zone_status(target, self.emulator.state(target.serial))

    # Pushes (LP18).

    def _on_event(self, event: Event) -> None:
        if event.kind is EventKind.ZONE:
            key: tuple[str, int | None] = (str(event.serial), event.zone)
        elif event.kind is EventKind.CCO:
            key = (str(event.serial), None)
        else:
            return
        zone_id = self._zone_ids.get(key)
        if zone_id is None:
            self._tree()  # a module added since the tree was built
            zone_id = self._zone_ids.get(key)
            if zone_id is None:
                return
        self._pending[zone_id] = None
        if self._flush_handle is None and not self._handling:
            with contextlib.suppress(
                RuntimeError
            ):  # no running loop: the next flush sends it
                self._flush_handle = asyncio.get_running_loop().call_soon(
                    self._flush_soon
                )

    def _flush_soon(self) -> None:
        self._flush_handle = None
        self._push()
        self._write_all()

    def _push(self) -> None:
        """Send the statuses of the zones (and areas) changed since the last push to every subscription."""
        if not self._pending:
            return
        changed, self._pending = list(self._pending), {}
        tree = self._tree()
        targets = [
            tree.targets[zone_id] for zone_id in changed if zone_id in tree.targets
        ]
        zone_subscribers = [
            s for s in self._sessions if ZONE_STATUS_URL in s.subscriptions
        ]
        if zone_subscribers and targets:
            state = self.emulator.state
            statuses = [
                tree.zone_status_json(target, state(target.serial))
                for target in targets
            ]
            self._send_push(zone_subscribers, ZONE_STATUS_URL, statuses)
        areas = {target.area_id for target in targets}
        if areas:
            changed_areas: list[dict[str, Any]] = []
            for area_id in sorted(areas):
                status = tree.area_status(area_id, self.emulator.state)
                if status != self._area_statuses.get(area_id):
                    self._area_statuses[area_id] = status
                    changed_areas.append(status)
            area_subscribers = [
                s for s in self._sessions if AREA_STATUS_URL in s.subscriptions
            ]
            if area_subscribers and changed_areas:
                self._send_push(
                    area_subscribers,
                    AREA_STATUS_URL,
                    [encode_json(status) for status in changed_areas],
                )

    def _send_push(
        self, sessions: Iterable[_Session], url: str, statuses: list[str]
    ) -> None:
        """Send statuses (JSON text) to the subscribers of `url`; the body is made once, only the tag differs."""
        for start in range(0, len(statuses), MAX_PUSH_STATUSES):
            content = f"[{','.join(statuses[start : start + MAX_PUSH_STATUSES])}]"
            for session in sessions:
                self._queue(session, encode_reply(session.subscriptions[url], content))
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
        if session.closed:
            session.out.clear()
            return
        if not session.out.write():
            _LOGGER.warning(
                "LEAP session %s from %s does not read its replies: dropped",
                session.number,
                session.peer,
            )
            session.dropped = True
            self._abort(session)

    def _abort(self, session: _Session) -> None:
        session.closed = True
        session.out.clear()
        if session.timer is not None:
            session.timer.cancel()
            session.timer = None
        session.transport.abort()

    # Sessions.

    def session_opened(self, transport: asyncio.Transport) -> _Session | None:
        """Start a session once the TLS handshake is done, or refuse it with a TLS close (LP4)."""
        peer = str(transport.get_extra_info("peername"))
        if not self._accepting or len(self._sessions) >= self._max_sessions:
            self._counters["refused"] += 1
            _LOGGER.warning(
                "LEAP connection from %s refused: %d sessions open",
                peer,
                len(self._sessions),
            )
            transport.close()
            return None
        session = _Session(
            next(self._numbers), peer, transport, LineReader(self._max_line)
        )
        session.out = WriteBuffer(
            transport, self._write_limit, lambda: self._dirty.append(session)
        )
        self._sessions.add(session)
        self._counters["sessions"] += 1
        _LOGGER.debug("LEAP session %s from %s opened", session.number, peer)
        return session

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
        session.delayed.clear()
        _LOGGER.debug("LEAP session %s from %s closed", session.number, session.peer)

    def session_received(self, session: _Session, data: bytes) -> None:
        """Handle the complete lines in `data` now, or after the reply delay."""
        if session.closed:
            return
        lines = session.reader.feed(data)
        if self._reply_delay and (lines or session.delayed):
            due = asyncio.get_running_loop().time() + self._reply_delay
            session.delayed.extend((due, line) for line in lines)
            if session.timer is None and session.delayed:
                self._arm(session)
            return
        self._handle_lines(session, lines)

    def _arm(self, session: _Session) -> None:
        session.timer = asyncio.get_running_loop().call_at(
            session.delayed[0][0], self._run_delayed, session
        )

    def _run_delayed(self, session: _Session) -> None:
        session.timer = None
        now = asyncio.get_running_loop().time()
        due: list[bytes | None] = []
        while session.delayed and session.delayed[0][0] <= now:
            due.append(session.delayed.popleft()[1])
        self._handle_lines(session, due)
        if session.delayed and not session.closed:
            self._arm(session)

    def _handle_lines(self, session: _Session, lines: list[bytes | None]) -> None:
        """Handle the lines of one session, then write every reply and push they caused at once.

        None stands for a line over the limit (LP2): it is refused, and the connection closed after the replies.
        """
        too_long = False
        self._handling = True
        try:
            for line in lines:
                if line is None:
                    too_long = True
                    self._counters["errors"] += 1
                    _LOGGER.warning(
                        "LEAP session %s sent a line over %d bytes: closed",
                        session.number,
                        self._max_line,
                    )
                    error = line_too_long(self._max_line)
                    self._send(session, exception_reply(error, None, None))
                    break
                self._handle(session, line)
            self._push()
        finally:
            self._handling = False
        self._write_all()
        if too_long and not session.closed:
            # LP2: close after the refusal, once a moment's input is drained.
            session.closed = True
            session.delayed.clear()
            if session.timer is not None:
                session.timer.cancel()
            session.timer = close_after_long_line(session.transport)

    def _handle(self, session: _Session, line: bytes) -> None:
        self._counters["requests"] += 1
        url: str | None = None
        tag: str | None = None
        try:
            message = decode(line)
            tag = request_tag(message)
            header = message.get("Header")
            if isinstance(header, Mapping) and isinstance(header.get("Url"), str):
                url = header["Url"]
            self._dispatch(session, parse_request(message))
        except LeapError as err:
            self._counters["errors"] += 1
            _LOGGER.debug(
                "LEAP session %s: %s refused: %s", session.number, url, err.message
            )
            self._send(session, exception_reply(err, url, tag))
        except Exception:
            self._counters["errors"] += 1
            _LOGGER.exception(
                "LEAP session %s: request for %s failed", session.number, url
            )
            self._send(
                session,
                exception_reply(
                    LeapError(Status.INTERNAL_ERROR, "The request failed"), url, tag
                ),
            )

    # Requests.

    def _dispatch(self, session: _Session, request: Request) -> None:
        kind = request.communique_type
        if kind is CommuniqueType.READ_REQUEST:
            self._read(session, request)
        elif kind is CommuniqueType.SUBSCRIBE_REQUEST:
            self._no_paging(request)
            self._subscribe(session, request)
        elif kind is CommuniqueType.UNSUBSCRIBE_REQUEST:
            self._no_paging(request)
            if request.url not in SUBSCRIBABLE:
                raise self._refusal(request.url)
            session.subscriptions.pop(request.url, None)
            self._send(
                session,
                make_reply(
                    CommuniqueType.UNSUBSCRIBE_RESPONSE,
                    Status.NO_CONTENT,
                    request.url,
                    request.client_tag,
                ),
            )
        elif kind is CommuniqueType.CREATE_REQUEST:
            self._no_paging(request)
            self._create(session, request)
        else:  # UpdateRequest: nothing of this processor can be updated over LEAP
            self._no_paging(request)
            raise self._refusal(request.url)

    @staticmethod
    def _no_paging(request: Request) -> None:
        if request.paging is not None:
            raise LeapError(
                Status.BAD_REQUEST,
                "Header.Paging was not issued by this server for this URL",
            )

    def _refusal(self, url: str) -> LeapError:
        """405 for a resource that exists (the verb is wrong), 404 otherwise (LP7)."""
        try:
            self._read_body(url)
        except LeapError as err:
            return err if err.status is Status.NOT_FOUND else not_allowed()
        return not_allowed()

    def _read_body(self, url: str) -> tuple[BodyType, Any] | None:
        """Return the body of `ReadRequest url`: shape and content, None for 204; `LeapError` when refused."""
        tree = self._tree()
        parts = url.split("/")[1:]
        match parts:
            case ["server", "1", "status", "ping"]:
                return BodyType.ONE_PING, ping_reply(None)["Body"]["PingResponse"]
            case ["zone", "status"]:
                return BodyType.MULTIPLE_ZONE_STATUSES, [
                    self._zone_status(t) for t in tree.targets.values()
                ]
            case ["area", "status"]:
                return BodyType.MULTIPLE_AREA_STATUSES, [
                    tree.area_status(a, self.emulator.state) for a in tree.areas
                ]
            case ["zone", number, "status"]:
                return BodyType.ONE_ZONE_STATUS, self._zone_status(
                    tree.zone_target(number, url)
                )
            case ["area", number, "status"]:
                return BodyType.ONE_AREA_STATUS, tree.area_status(
                    tree.area_id(number, url), self.emulator.state
                )
            case ["zone", number, "commandprocessor"]:
                tree.zone_target(number, url)
                raise not_allowed()
        return tree.read(url)

    def _read(self, session: _Session, request: Request) -> None:
        if request.url == PING_URL:
            self._no_paging(request)
            self._send(session, ping_reply(request.client_tag))
            return
        result = self._read_body(request.url)
        if result is None:
            self._no_paging(request)
            self._send(
                session,
                make_reply(
                    CommuniqueType.READ_RESPONSE,
                    Status.NO_CONTENT,
                    request.url,
                    request.client_tag,
                ),
            )
            return
        body_type, content = result
        paging = None
        if isinstance(content, list):
            offset = self._pager.start(request.url, request.paging)
            page, paging = self._pager.page(request.url, content, offset)
            content = list(page)
        else:
            self._no_paging(request)
        self._send(
            session,
            make_reply(
                CommuniqueType.READ_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                body_type=body_type,
                content=content,
                paging=paging,
            ),
        )

    def _subscribe(self, session: _Session, request: Request) -> None:
        """LP18: the whole current state now (not paged: clients read a subscription's first answer whole)."""
        if request.url not in SUBSCRIBABLE:
            raise self._refusal(request.url)
        result = self._read_body(request.url)
        assert result is not None
        session.subscriptions[request.url] = reply_prefix(
            CommuniqueType.READ_RESPONSE,
            Status.OK,
            request.url,
            request.client_tag,
            result[0],
        )
        self._send(
            session,
            make_reply(
                CommuniqueType.SUBSCRIBE_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                body_type=result[0],
                content=result[1],
            ),
        )

    def _create(self, session: _Session, request: Request) -> None:
        """LP19: a zone command; the reply shows the zone's real status afterwards."""
        parts = request.url.split("/")[1:]
        if len(parts) != 3 or parts[0] != "zone" or parts[2] != "commandprocessor":
            raise self._refusal(request.url)
        target = self._tree().zone_target(parts[1], request.url)
        apply = _command(target, request.body)
        self._counters["commands"] += 1
        reason = apply(self.emulator)
        if reason is not None:
            self._counters["ignored_commands"] += 1
            _LOGGER.debug(
                "LEAP command on %s ignored by module %s: %s",
                request.url,
                target.serial,
                reason,
            )
        prefix = reply_prefix(
            CommuniqueType.CREATE_RESPONSE,
            Status.CREATED,
            request.url,
            request.client_tag,
            BodyType.ONE_ZONE_STATUS,
        )
        status = self._tree().zone_status_json(
            target, self.emulator.state(target.serial)
        )
        self._queue(session, encode_reply(prefix, status))


def _command(target: ZoneTarget, body: Any) -> Callable[[Emulator], Any]:
    """Check a command body in full (LP19) and return what applies it; `LeapError` 400 names what is wrong."""
    command = body.get("Command") if isinstance(body, Mapping) else None
    if not isinstance(command, Mapping):
        raise LeapError(Status.BAD_REQUEST, "Body.Command is missing or not an object")
    kind = command.get("CommandType")
    if kind not in COMMAND_TYPES:
        raise LeapError(Status.BAD_REQUEST, f"Unknown CommandType {kind!r}")
    serial, number = target.serial, target.number
    if number is None:
        if kind != CommandType.GO_TO_CCO_LEVEL:
            raise LeapError(
                Status.BAD_REQUEST,
                f"{kind} does not apply to a CCO zone (use GoToCCOLevel)",
            )
        parameters = command.get("CCOLevelParameters")
        level = parameters.get("CCOLevel") if isinstance(parameters, Mapping) else None
        if level not in ("Open", "Closed"):
            raise LeapError(
                Status.BAD_REQUEST, "CCOLevelParameters.CCOLevel must be Open or Closed"
            )
        closed = level == "Closed"
        return lambda emulator: emulator.set_cco(serial, closed)
    if kind == CommandType.GO_TO_CCO_LEVEL:
        raise LeapError(Status.BAD_REQUEST, "GoToCCOLevel applies to CCO zones only")
    if kind == CommandType.GO_TO_SWITCHED_LEVEL:
        parameters = command.get("SwitchedLevelParameters")
        switched = (
            parameters.get("SwitchedLevel") if isinstance(parameters, Mapping) else None
        )
        if switched not in ("On", "Off"):
            raise LeapError(
                Status.BAD_REQUEST,
                "SwitchedLevelParameters.SwitchedLevel must be On or Off",
            )
        on = switched == "On"
        return lambda emulator: emulator.set_zone(serial, number, on)
    parameter = command.get("Parameter")
    values = (
        [
            item.get("Value")
            for item in parameter
            if isinstance(item, Mapping) and item.get("Type") == "Level"
        ]
        if isinstance(parameter, list)
        else []
    )
    if len(values) != 1:
        raise LeapError(
            Status.BAD_REQUEST, "GoToLevel needs one Parameter of Type Level"
        )
    value = values[0]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= LEVEL_MAX
    ):
        raise LeapError(
            Status.BAD_REQUEST,
            f"Level must be a number from 0 to {LEVEL_MAX}, not {value!r}",
        )
    on = value > 0
    return lambda emulator: emulator.set_zone(serial, number, on)
