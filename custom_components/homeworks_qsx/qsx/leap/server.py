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
and the answers written before it returns. This module holds the sessions, the writing and the pushes; what each
request means (reads, subscriptions, commands) is `RequestHandler` of `handlers.py`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Mapping
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
from ..sessions import ServedSession, WriteBuffer, peer_name
from .certs import LeapCredentials
from .handlers import RequestHandler
from .protocol import (
    AREA_STATUS_URL,
    LEAP_PORT,
    MAX_INBOUND_LINE_BYTES,
    PAGE_SIZE,
    ZONE_STATUS_URL,
    LeapError,
    LineReader,
    Pager,
    Status,
    close_after_long_line,
    decode,
    encode,
    encode_json,
    encode_reply,
    exception_reply,
    line_too_long,
    parse_request,
    request_tag,
)
from .resources import Profile
from .tls import TlsListener

_LOGGER = logging.getLogger(__name__)

MAX_SESSIONS: Final = 20  # LP4
# Bytes a session may leave unread before it is dropped.
WRITE_BUFFER_LIMIT: Final = 1024 * 1024
# Statuses per push line: keeps a line under LP2's 256 KiB.
MAX_PUSH_STATUSES: Final = 1000


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
        self._server: TlsListener | None = None
        self._accepting = False
        self._sessions: set[_Session] = set()
        self._numbers = itertools.count(1)
        self._unsubscribe: Unsubscribe | None = None
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
        self._requests = RequestHandler(
            emulator,
            profile,
            Pager(secrets.token_bytes(32), page_size),
            self._counters,
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
        for session in list(self._sessions):
            self._abort(session)
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    # Pushes (LP18).

    def _on_event(self, event: Event) -> None:
        if event.kind is EventKind.ZONE:
            key: tuple[str, int | None] = (str(event.serial), event.zone)
        elif event.kind is EventKind.CCO:
            key = (str(event.serial), None)
        else:
            return
        zone_id = self._requests.zone_ids.get(key)
        if zone_id is None:
            self._requests.tree()  # a module added since the tree was built
            zone_id = self._requests.zone_ids.get(key)
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
        tree = self._requests.tree()
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
                if status != self._requests.area_statuses.get(area_id):
                    self._requests.area_statuses[area_id] = status
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
        peer = peer_name(transport)
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
            self._queue(
                session,
                self._requests.handle(parse_request(message), session.subscriptions),
            )
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
