"""The emulator's network face: a LIP server (telnet-style, asyncio protocol) and the project database over HTTP.

`LipServer` serves one `Emulator` as a HomeWorks processor would: `login: ` / `password: ` then `QNET> `, every
command of `lip.md`, and every change of the emulator reported to every session that monitors it (including the
session that caused it). `GET /DbXmlInfo.xml` on the HTTP port returns the project database (`dbxml.md`).

Safety (P7): it listens on 127.0.0.1 unless told otherwise, refuses to start without a user name and password,
closes a connection after three failed logins, limits logged-in sessions (10 by default; at the cap a session
silent for two keepalive periods gives way), answers a line longer than 1024 bytes with `~ERROR,5` and discards
it, drops a session whose peer does not read (bounded write buffer) rather than stall the others, and closes
sessions idle for 10 minutes. Both listeners take their sockets from one `SocketBudget` (`qsx/limits.py`), shared
with the emulator's other servers: a login and an HTTP request head each have a deadline, connections still in
them are bounded apart, and failed logins wait a growing delay per source address (logged as a summary, never
with what was typed). The limits are listed in the README's protocol section.

Sessions are `asyncio.Protocol`s: received bytes are handled in the transport's callback and the answers written
before it returns, with no task between the socket and the emulator (a command costs one turn of the event loop).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from dataclasses import dataclass, field
from enum import Enum, auto
import hmac
import itertools
import logging
from typing import Any, Final, override

from aiohttp import web

from ..emulator import Emulator
from ..events import Event, Unsubscribe
from ..limits import (
    DEFAULT_HOST,
    FAILED_LOGIN_BASE_DELAY,
    HANDSHAKE_DEADLINE,
    IDLE_EVICTION_AFTER,
    MAX_HANDSHAKE_BACKLOG,
    MAX_PENDING_HANDSHAKES,
    Admission,
    ListenerLimits,
    LoginThrottle,
    SocketBudget,
    idle_session_to_evict,
)
from ..model import SystemDescription
from ..sessions import ServedSession, WriteBuffer
from .commands import CommandProcessor, event_reports
from .dbxml import build_dbxml
from .protocol import (
    BAD_LOGIN,
    CRLF,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MONITORING,
    LOGIN_PROMPT,
    MAX_LINE_BYTES,
    PASSWORD_PROMPT,
    PROMPT,
    ErrorCode,
    LineSplitter,
    LipError,
    Monitoring,
    error_report,
    is_logout,
    output_report,
    parse_line,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT: Final = 600.0  # T6
DEFAULT_LOGIN_ATTEMPTS: Final = 3  # T4
DEFAULT_WRITE_BUFFER_LIMIT: Final = 256 * 1024
# Lines of one session waiting to be handled before its socket is no longer read.
MAX_WAITING_LINES: Final = 4096
FLUSH_LINES: Final = (
    256  # lines handled before their answers are written, in a long batch
)
TOO_MANY_SESSIONS: Final = "Too many sessions are open; try again later"
TOO_MANY_CONNECTIONS: Final = "Too many connections are open; try again later"
HTTP_UNAVAILABLE: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 47\r\n"
    b"Connection: close\r\n\r\nToo many connections are open; try again later\n"
)
DATABASE_PATH: Final = "/DbXmlInfo.xml"


class _Stage(Enum):
    USER = auto()
    PASSWORD = auto()
    READY = auto()


@dataclass(slots=True, eq=False)
class _Session:
    """One connected client.

    Lines for it are gathered and written at once (`flush`): one system call for the replies to a whole batch
    of commands, and for the reports of a burst of changes.
    """

    number: int
    peer: str
    transport: asyncio.Transport
    # What to write next: lines for it are gathered and written at once.
    out: WriteBuffer
    splitter: LineSplitter
    last_activity: float
    stage: _Stage = _Stage.USER
    username: str = ""
    failures: int = 0
    monitoring: set[int] = field(default_factory=set)
    closed: bool = False
    # Dropped for not reading its replies.
    dropped: bool = False
    after_prompt: bool = False
    delayed: deque[tuple[float, str | None]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    idle_timer: asyncio.TimerHandle | None = None
    # Its place in the socket budget; its login deadline until it logs in.
    admission: Admission | None = None
    # The source address failed logins are counted against (no port).
    address: str = ""
    # This password line already waited for its address's failed-login delay.
    throttle_waited: bool = False
    # Reading stopped while a backlog of its lines is worked off.
    reading_paused: bool = False

    def send(self, text: str) -> None:
        """Queue `text` for the next `flush`."""
        if not self.closed:
            self.out.queue(text.encode("ascii", errors="replace"))

    def flush(self) -> None:
        """Write what was queued; a peer that lets its buffer grow past the limit is dropped."""
        if self.closed:
            self.out.clear()
            return
        if not self.out.write():
            _LOGGER.warning(
                "LIP session %s from %s does not read its replies: dropped",
                self.number,
                self.peer,
            )
            self.dropped = True
            self.abort()

    def send_line(self, line: str) -> None:
        """Queue one line and its CR LF; after a prompt, on a line of its own.

        Clients that read up to `QNET>` leave the prompt's trailing space unread (pylutron does): without the
        line end, the next line would start with it and be dropped.
        """
        if self.after_prompt:
            self.after_prompt = False
            line = CRLF + line
        self.send(line + CRLF)

    def send_prompt(self) -> None:
        """Queue the `QNET> ` prompt (no line end)."""
        self.send(PROMPT)
        self.after_prompt = True

    def is_open(self) -> bool:
        """Whether the session is still served."""
        return not self.closed

    def monitors(self, kind: int) -> bool:
        """Whether the session is logged in and monitors `kind`."""
        return self.stage is _Stage.READY and kind in self.monitoring

    def close(self) -> None:
        """Close the connection once what was written has been sent."""
        self.closed = True
        self.out.clear()
        self.stop_idle_timer()
        self.transport.close()

    def abort(self) -> None:
        """Close the connection at once."""
        self.closed = True
        self.out.clear()
        self.stop_idle_timer()
        self.transport.abort()

    def stop_idle_timer(self) -> None:
        """Stop watching for idleness (the session is closing)."""
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None


def _address(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


def _last_activity(session: _Session) -> float:
    return session.last_activity


class _HttpConnection(asyncio.Protocol):
    """One HTTP connection through the socket budget: aiohttp's request handler behind a header deadline.

    aiohttp's server has no deadline for a request's headers and no connection cap: the accepted socket is
    admitted here first (or answered 503 and closed), and the handler sees it only once admitted.
    """

    __slots__ = ("_admission", "_handler", "_server", "_transport")

    def __init__(self, server: LipServer, handler: asyncio.Protocol) -> None:
        self._server = server
        self._handler = handler
        self._admission: Admission | None = None
        self._transport: asyncio.BaseTransport | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._admission = self._server._http_limits.admit(transport.abort)  # noqa: SLF001
        if self._admission is None:
            self._server._counters["http_refused"] += 1  # noqa: SLF001
            transport.write(HTTP_UNAVAILABLE)
            transport.close()
            return
        self._transport = transport
        self._server._http_admissions[transport] = self._admission  # noqa: SLF001
        self._handler.connection_made(transport)

    @override
    def data_received(self, data: bytes) -> None:
        if self._admission is not None:
            self._handler.data_received(data)

    @override
    def eof_received(self) -> bool | None:
        return self._handler.eof_received() if self._admission is not None else None

    @override
    def pause_writing(self) -> None:
        self._handler.pause_writing()

    @override
    def resume_writing(self) -> None:
        self._handler.resume_writing()

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        if self._admission is None:
            return
        self._admission.release()
        self._server._http_admissions.pop(self._transport, None)  # noqa: SLF001
        self._handler.connection_lost(exc)


class LipServer:
    """Serve an `Emulator` over LIP (TCP) and its project database over HTTP.

    Args:
        emulator: the system to serve.
        host: address to listen on (default loopback only).
        port: LIP port; 0 picks a free one (see `port` once started).
        username: login user name (required).
        password: login password (required, not empty).
        http_port: port of the HTTP server for `GET /DbXmlInfo.xml`; 0 picks a free one, None serves no HTTP.
        max_sessions: logged-in sessions at once; a login beyond is told so and closed.
        idle_timeout: seconds without a line before a session is closed.
        login_attempts: failed logins before the connection is closed.
        reply_delay: seconds between a line's arrival and its handling, and before each HTTP answer (emulates
            a network round trip: lines keep their order, and lines sent together are all answered one delay
            later, not one delay after the other).
        max_line: longest line accepted, in bytes.
        write_buffer_limit: bytes a session may leave unread before it is dropped.
        budget: the open-socket budget shared with the emulator's other listeners (a new one by default).
        max_pending_logins: connections still logging in at once; at the bound the oldest gives way.
        login_deadline: seconds from connect to logged in before the connection is closed.
        max_pending_requests: HTTP connections whose request headers are not read yet; the oldest gives way.
        header_deadline: seconds from connect to a complete HTTP request head before the connection is closed.
        idle_eviction_after: seconds of silence after which a session gives its slot to a login at the cap.
        failed_login_delay: wait before the next attempt from an address is judged after one failed login;
            it doubles with each further failure.

    Raises:
        ValueError: no user name or no password.

    """

    def __init__(
        self,
        emulator: Emulator,
        host: str = DEFAULT_HOST,
        port: int = 23,
        username: str = "",
        password: str = "",
        *,
        http_port: int | None = 80,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        login_attempts: int = DEFAULT_LOGIN_ATTEMPTS,
        reply_delay: float = 0.0,
        max_line: int = MAX_LINE_BYTES,
        write_buffer_limit: int = DEFAULT_WRITE_BUFFER_LIMIT,
        budget: SocketBudget | None = None,
        max_pending_logins: int = MAX_PENDING_HANDSHAKES,
        login_deadline: float = HANDSHAKE_DEADLINE,
        max_pending_requests: int = MAX_PENDING_HANDSHAKES,
        header_deadline: float = HANDSHAKE_DEADLINE,
        idle_eviction_after: float = IDLE_EVICTION_AFTER,
        failed_login_delay: float = FAILED_LOGIN_BASE_DELAY,
    ) -> None:
        """Prepare the server; nothing listens before `start()`."""
        if not username or not password:
            raise ValueError("The LIP server needs a user name and a password")
        if reply_delay < 0:
            raise ValueError("reply_delay cannot be negative")
        self.emulator = emulator
        self.host = host
        self._port = port
        self._http_port = http_port
        self._username = username
        self._password = password
        self._max_sessions = max_sessions
        self._idle_timeout = idle_timeout
        self._login_attempts = login_attempts
        self._reply_delay = reply_delay
        self._max_line = max_line
        self._write_limit = write_buffer_limit
        self._idle_eviction_after = idle_eviction_after
        self._throttle = LoginThrottle("LIP", _LOGGER, base_delay=failed_login_delay)
        self._budget = budget if budget is not None else SocketBudget()
        self._lip_limits: ListenerLimits = self._budget.listener(
            "LIP", max_pending=max_pending_logins, handshake_deadline=login_deadline
        )
        self._http_limits: ListenerLimits = self._budget.listener(
            "HTTP", max_pending=max_pending_requests, handshake_deadline=header_deadline
        )
        self._http_admissions: dict[asyncio.BaseTransport | None, Admission] = {}
        self._http_server: asyncio.Server | None = None
        self._processor = CommandProcessor(emulator, emulator.call_later)
        self._server: asyncio.Server | None = None
        self._accepting = False
        self._runner: web.AppRunner | None = None
        self._sessions: set[_Session] = set()
        self._numbers = itertools.count(1)
        self._unsubscribe: Unsubscribe | None = None
        self._active: _Session | None = None  # the session whose command is running
        self._dirty: list[_Session] = []  # sessions with lines to write
        self._flush_handle: asyncio.Handle | None = None
        # Lines of a session are being handled: what they cause is written right after.
        self._handling = False
        self._database_cache: tuple[SystemDescription, bytes] | None = None
        self._reported: set[int] = set()  # outputs reported to it meanwhile
        self._counters = {
            "sessions": 0,
            "refused": 0,
            "failed_logins": 0,
            "dropped": 0,
            "evicted": 0,
            "http_refused": 0,
            "commands": 0,
            "errors": 0,
        }

    @property
    def port(self) -> int:
        """The LIP port (the real one once started, when 0 was asked for)."""
        return self._port

    @property
    def http_port(self) -> int | None:
        """The HTTP port (the real one once started), or None without HTTP."""
        return self._http_port

    @property
    def budget(self) -> SocketBudget:
        """The open-socket budget of the listeners (share it with the emulator's other servers)."""
        return self._budget

    def _logged_in(self) -> list[_Session]:
        return [
            session
            for session in self._sessions
            if session.stage is _Stage.READY and session.is_open()
        ]

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the listening addresses, sessions and counters (no credentials)."""
        return {
            "host": self.host,
            "lip_port": self._port,
            "http_port": self._http_port,
            "listening": self._server is not None,
            "open_sessions": len(self._sessions),
            "logged_in_sessions": len(self._logged_in()),
            "pending_logins": len(self._lip_limits.pending),
            "max_sessions": self._max_sessions,
            "open_sockets": self._budget.open_sockets,
            "reply_delay_s": self._reply_delay,
            "pending_delayed_changes": self._processor.pending_changes,
            **self._counters,
            **{f"lip_{key}": value for key, value in self._lip_limits.counters.items()},
            **{
                f"http_{key}": value
                for key, value in self._http_limits.counters.items()
                if key != "refused"
            },
        }

    async def start(self) -> None:
        """Listen for LIP sessions and HTTP requests; `OSError` when an address cannot be bound."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        runner: web.AppRunner | None = None
        http_server: asyncio.Server | None = None
        if self._http_port is not None:
            app = web.Application(middlewares=[self._request_started])
            app.router.add_get(DATABASE_PATH, self._database)
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            handlers = runner.server
            assert handlers is not None
            try:
                http_server = await loop.create_server(
                    lambda: _HttpConnection(self, handlers()),
                    self.host,
                    self._http_port,
                )
            except BaseException:
                await runner.cleanup()
                raise
        self._accepting = True
        try:
            server = await loop.create_server(
                lambda: ServedSession(self), self.host, self._port
            )
        except BaseException:
            self._accepting = False
            if http_server is not None:
                http_server.close()
            if runner is not None:
                await runner.cleanup()
            raise
        if runner is not None and http_server is not None:
            self._runner = runner
            self._http_server = http_server
            self._http_port = int(http_server.sockets[0].getsockname()[1])
        self._server = server
        self._port = int(server.sockets[0].getsockname()[1])
        self._unsubscribe = self.emulator.events.subscribe(self._on_event)
        _LOGGER.info(
            "LIP server listening on %s:%s (HTTP %s)",
            self.host,
            self._port,
            self._http_port,
        )

    async def stop(self) -> None:
        """Close every session and both listeners; cancel delayed commands."""
        self._accepting = False
        self._throttle.close()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._processor.cancel_pending()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        workers: list[asyncio.Task[None]] = []
        for session in list(self._sessions):
            if session.worker is not None:
                session.worker.cancel()
                workers.append(session.worker)
            session.abort()
        if workers:
            await asyncio.wait(workers)
        if server is not None:
            await server.wait_closed()
        http_server, self._http_server = self._http_server, None
        if http_server is not None:
            http_server.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # HTTP.

    @web.middleware
    async def _request_started(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """End the connection's header deadline; every answer closes the connection (one request each)."""
        admission = self._http_admissions.get(request.transport)
        if admission is not None:
            admission.established()
        try:
            response = await handler(request)
        except web.HTTPException as err:
            response = web.Response(status=err.status, text=err.text)
        response.force_close()
        return response

    async def _database(self, request: web.Request) -> web.Response:
        if self._reply_delay:
            await asyncio.sleep(self._reply_delay)
        description = self.emulator.description
        if self._database_cache is None or self._database_cache[0] is not description:
            # Descriptions are frozen: a new one is a new object, and the document is built once per change.
            self._database_cache = (description, build_dbxml(description))
        response = web.Response(
            body=self._database_cache[1],
            content_type="text/xml",
            charset="utf-8",
        )
        response.force_close()  # dbxml.md: send Content-Length and close after the body
        return response

    # Writing.

    def _mark_dirty(self, session: _Session) -> None:
        """Note that `session` has lines to write; they go out together at the next flush."""
        self._dirty.append(session)
        if self._flush_handle is None and not self._handling:
            # Changes that come from elsewhere than a session (timers, the emulator's own users) are
            # written once the current burst of them is over.
            with contextlib.suppress(RuntimeError):
                self._flush_handle = asyncio.get_running_loop().call_soon(
                    self._flush_soon
                )

    def _flush_soon(self) -> None:
        self._flush_handle = None
        self._flush()

    def _flush(self) -> None:
        """Write the lines gathered for every session."""
        dirty, self._dirty = self._dirty, []
        for session in dirty:
            session.flush()

    # Reports.

    def _on_event(self, event: Event) -> None:
        for kind, line, output in event_reports(self.emulator, event):
            if self._active is not None and output is not None:
                self._reported.add(output)  # the command changed it: reported already
            for session in list(self._sessions):
                answer = (
                    session is self._active
                    and output is not None
                    and session.monitors(Monitoring.REPLY)
                )
                if session.monitors(kind) or answer:
                    session.send_line(line)

    # Sessions.

    def session_opened(self, transport: asyncio.Transport) -> _Session | None:
        """Start a session on a new connection, or refuse it (server stopping, no socket left in the budget).

        Only logged-in sessions count against `max_sessions` (checked at login); connections still logging in
        are bounded apart, and each has the login deadline.
        """
        peer = str(transport.get_extra_info("peername"))
        if not self._accepting:
            transport.close()
            return None
        loop = asyncio.get_running_loop()
        session = _Session(
            next(self._numbers),
            peer,
            transport,
            WriteBuffer(
                transport, self._write_limit, lambda: self._mark_dirty(session)
            ),
            LineSplitter(self._max_line),
            loop.time(),
        )
        session.address = _address(transport)
        session.admission = self._lip_limits.admit(
            lambda: self._login_deadline_passed(session)
        )
        if session.admission is None:
            self._counters["refused"] += 1
            _LOGGER.debug(
                "LIP connection from %s refused: %d sockets open",
                peer,
                self._budget.open_sockets,
            )
            transport.write((TOO_MANY_CONNECTIONS + CRLF).encode())
            transport.close()
            return None
        self._sessions.add(session)
        self._counters["sessions"] += 1
        _LOGGER.debug("LIP session %s from %s opened", session.number, peer)
        session.idle_timer = loop.call_at(
            session.last_activity + self._idle_timeout, self._check_idle, session
        )
        session.send(LOGIN_PROMPT)
        self._flush()
        return session

    def _login_deadline_passed(self, session: _Session) -> None:
        """Close a connection that did not log in in time, or gave its place to a newer one."""
        _LOGGER.debug(
            "LIP session %s from %s closed before logging in",
            session.number,
            session.peer,
        )
        session.abort()

    def session_received(self, session: _Session, data: bytes) -> None:
        """Handle the complete lines in `data` now, or after the reply delay."""
        loop = asyncio.get_running_loop()
        session.last_activity = loop.time()
        lines = session.splitter.feed(data)
        if (
            session.throttle_waited
            and len(session.delayed) + len(lines) > MAX_HANDSHAKE_BACKLOG
        ):
            # Lines pile up only while a login waits out its delay: a client does not send on blindly.
            self._counters["dropped"] += 1
            _LOGGER.debug(
                "LIP session %s from %s sent %d lines before logging in: closed",
                session.number,
                session.peer,
                len(session.delayed) + len(lines),
            )
            session.abort()
            return
        if self._reply_delay or session.delayed:
            self._defer(session, lines, session.last_activity + self._reply_delay)
            return
        if len(lines) > FLUSH_LINES:
            # A long batch: the rest waits for later turns of the loop, so other sessions are served between
            # its parts (one session's flood must not hold up everyone's answers).
            self._defer(session, lines[FLUSH_LINES:], session.last_activity)
            lines = lines[:FLUSH_LINES]
        self._handle_lines(session, lines)
        if not session.is_open():
            session.close()  # a line ended the session (too many failed logins)

    def _check_idle(self, session: _Session) -> None:
        """Close a session without a line for the idle time (T6); otherwise look again when it could be."""
        due = session.last_activity + self._idle_timeout
        loop = asyncio.get_running_loop()
        if loop.time() < due:
            session.idle_timer = loop.call_at(due, self._check_idle, session)
            return
        _LOGGER.info(
            "LIP session %s from %s idle for %s s: closed",
            session.number,
            session.peer,
            self._idle_timeout,
        )
        session.close()

    def session_closed(self, session: _Session, exc: Exception | None) -> None:
        """Forget a session whose connection is gone."""
        if exc is not None:
            _LOGGER.debug(
                "LIP session %s from %s failed: %s", session.number, session.peer, exc
            )
        session.stop_idle_timer()
        if session.worker is not None:
            session.worker.cancel()
        if session.admission is not None:
            session.admission.release()
        self._sessions.discard(session)
        if session.dropped:
            self._counters["dropped"] += 1
        session.closed = True
        session.out.clear()
        _LOGGER.debug("LIP session %s from %s closed", session.number, session.peer)

    def _defer(self, session: _Session, lines: list[str | None], due: float) -> None:
        """Handle `lines` at `due` (the reply delay), after the lines already waiting."""
        session.delayed.extend((due, line) for line in lines)
        if len(session.delayed) > MAX_WAITING_LINES and not session.reading_paused:
            # The peer sends faster than it is served: stop reading until the backlog is worked off, so
            # memory stays bounded and the peer's own TCP window slows it down.
            session.reading_paused = True
            session.transport.pause_reading()
        if session.worker is None and session.delayed:
            session.worker = asyncio.create_task(
                self._handle_delayed(session), name=f"lip-session-{session.number}"
            )

    async def _handle_delayed(self, session: _Session) -> None:
        """Handle each waiting line once its delay is over; close the connection if a line ended the session."""
        loop = asyncio.get_running_loop()
        try:
            while session.delayed and session.is_open():
                wait = session.delayed[0][0] - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                now = loop.time()
                due: list[str | None] = []
                while (
                    session.delayed
                    and session.delayed[0][0] <= now
                    and len(due) < FLUSH_LINES
                ):
                    due.append(session.delayed.popleft()[1])
                self._handle_lines(session, due)
                if session.reading_paused and len(session.delayed) < FLUSH_LINES:
                    session.reading_paused = False
                    if session.is_open():
                        session.transport.resume_reading()
                await asyncio.sleep(
                    0
                )  # other sessions' lines are handled between parts
            if not session.is_open():
                session.close()
        finally:
            session.worker = None

    def _defer_first(
        self, session: _Session, lines: list[str | None], due: float
    ) -> None:
        """Handle `lines` at `due`, before the lines already waiting (they arrived after these)."""
        session.delayed.extendleft((due, line) for line in reversed(lines))
        self._defer(session, [], due)

    def _throttled(
        self, session: _Session, lines: list[str | None], index: int
    ) -> bool:
        """Hold a password line (and what follows) while its address waits after failed logins.

        The wait comes before the attempt is judged, so a guesser gets each answer later and later;
        reconnecting does not help, the delay belongs to the address.
        """
        if session.stage is not _Stage.PASSWORD or session.throttle_waited:
            return False
        wait = self._throttle.delay(session.address)
        if wait <= 0:
            return False
        session.throttle_waited = True
        self._defer_first(
            session, lines[index:], asyncio.get_running_loop().time() + wait
        )
        return True

    def _handle_lines(self, session: _Session, lines: list[str | None]) -> None:
        """Handle lines of one session, then write every reply and report they caused at once."""
        self._handling = True
        try:
            for count, line in enumerate(lines, start=1):
                if self._throttled(session, lines, count - 1):
                    break
                self._handle(session, line)
                if not session.is_open():
                    break
                if count % FLUSH_LINES == 0:
                    self._flush()  # a long batch: let the client start on the answers
        finally:
            self._handling = False
            self._flush()

    def _handle(self, session: _Session, line: str | None) -> None:
        if session.stage is not _Stage.READY:
            self._login(session, line)
            return
        if line is None:
            self._reply_error(session, ErrorCode.MALFORMED)
        elif is_logout(line):
            _LOGGER.debug("LIP session %s logged out", session.number)
            session.closed = True  # closed once what was written is sent
            return
        else:
            self._command(session, line)
        if session.monitors(Monitoring.PROMPT):
            session.send_prompt()

    def _login(self, session: _Session, line: str | None) -> None:
        if session.stage is _Stage.USER:
            session.username = (line or "").strip()
            session.stage = _Stage.PASSWORD
            session.send(PASSWORD_PROMPT)
            return
        session.throttle_waited = False
        user_ok = hmac.compare_digest(
            session.username.encode(), self._username.encode()
        )
        password_ok = line is not None and hmac.compare_digest(
            line.encode(), self._password.encode()
        )
        if user_ok and password_ok:
            if not self._make_room_for_login():
                self._counters["refused"] += 1
                _LOGGER.warning(
                    "LIP login from %s refused: %d sessions logged in",
                    session.peer,
                    self._max_sessions,
                )
                session.send_line(TOO_MANY_SESSIONS)
                session.flush()
                session.closed = True
                return
            if session.admission is not None:
                session.admission.established()
            session.stage = _Stage.READY
            session.monitoring = set(DEFAULT_MONITORING)
            self._throttle.succeeded(session.address)
            _LOGGER.debug("LIP session %s logged in", session.number)
            session.send(CRLF)
            session.send_prompt()
            return
        session.failures += 1
        self._counters["failed_logins"] += 1
        # Logged as a summary per address, never with what was typed (a password typed as the user name).
        self._throttle.failed(session.address)
        session.stage = _Stage.USER
        session.send_line(BAD_LOGIN)
        if session.failures >= self._login_attempts:
            session.flush()
            session.closed = True
            return
        session.send(LOGIN_PROMPT)

    def _make_room_for_login(self) -> bool:
        """Whether a login fits under the session cap, once a long-silent session gave up its slot if needed.

        A client that leaks sessions (pylutron does not close the old one on a reload) must not lock itself
        out: at the cap, the session silent longest gives way if it sent nothing for `idle_eviction_after`
        seconds (two keepalive periods). Active sessions are never evicted.
        """
        logged_in = self._logged_in()
        if len(logged_in) < self._max_sessions:
            return True
        now = asyncio.get_running_loop().time()
        idle = idle_session_to_evict(
            logged_in, _last_activity, now, self._idle_eviction_after
        )
        if idle is None:
            return False
        self._counters["evicted"] += 1
        _LOGGER.info(
            "LIP session %s from %s, silent for %.0f s, gives its slot to a new login",
            idle.number,
            idle.peer,
            now - idle.last_activity,
        )
        idle.close()
        return True

    def _command(self, session: _Session, line: str) -> None:
        try:
            message = parse_line(line)
            if message is None:
                return
            self._counters["commands"] += 1
            self._active, self._reported = session, set()
            try:
                result = self._processor.execute(message, session.monitoring)
            finally:
                self._active = None
        except LipError as err:
            _LOGGER.debug(
                "LIP session %s: %r refused: %s", session.number, line[:80], err.detail
            )
            self._reply_error(session, err.code)
            return
        if session.monitors(Monitoring.REPLY):
            for reply in result.lines:
                session.send_line(reply)
        for output in result.outputs:
            if output in self._reported:
                continue
            # The level did not change (already there, or the module ignored the command): a processor still
            # reports it, to the sender and to every session that monitors levels.
            report = output_report(output, self._processor.output_level(output))
            for other in list(self._sessions):
                if other.monitors(Monitoring.ZONE) or (
                    other is session and other.monitors(Monitoring.REPLY)
                ):
                    other.send_line(report)

    def _reply_error(self, session: _Session, code: ErrorCode) -> None:
        self._counters["errors"] += 1
        if session.monitors(Monitoring.REPLY):
            session.send_line(error_report(code))
