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
with what was typed). The limits are listed in docs/limits.md.

Sessions are `asyncio.Protocol`s: received bytes are handled in the transport's callback and the answers written
before it returns, with no task between the socket and the emulator (a command costs one turn of the event loop).
This module holds the server's decisions (login, commands, reports, limits); a connection's own state and its
delayed lines are in `session.py`, the HTTP listener in `http.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import hmac
import itertools
import logging
from typing import Any, Final

from ...errors import UnknownObjectError
from ...events import Event, EventKind, Unsubscribe
from ...lip.protocol import (
    ACTION_LED_STATE,
    BAD_LOGIN,
    CRLF,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MONITORING,
    LOGIN_PROMPT,
    MAX_LINE_BYTES,
    PASSWORD_PROMPT,
    ErrorCode,
    LineSplitter,
    LipError,
    Monitoring,
    device_report,
    error_report,
    is_logout,
    output_report,
    parse_line,
)
from .. import Emulator
from ..limits import (
    DEFAULT_HOST,
    FAILED_LOGIN_BASE_DELAY,
    HANDSHAKE_DEADLINE,
    IDLE_EVICTION_AFTER,
    MAX_HANDSHAKE_BACKLOG,
    MAX_PENDING_HANDSHAKES,
    AddressLog,
    ListenerLimits,
    LoginThrottle,
    SocketBudget,
    idle_session_to_evict,
)
from ..sessions import ServedSession, WriteBuffer, peer_address, peer_name
from .commands import CommandProcessor
from .http import DatabaseServer
from .reports import ReportKey, event_reports
from .session import FLUSH_LINES, LipSession, LoginStage, last_activity

_LOGGER = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT: Final = 600.0  # T6
DEFAULT_LOGIN_ATTEMPTS: Final = 3  # T4
DEFAULT_WRITE_BUFFER_LIMIT: Final = 256 * 1024
TOO_MANY_SESSIONS: Final = "Too many sessions are open; try again later"
TOO_MANY_CONNECTIONS: Final = "Too many connections are open; try again later"


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
        this_processor: the serial of the processor this server is (P4, LP53); None: the project's first. Every
            processor answers for the whole project; while this one is cut off the network (`Fault.PROCESSOR`)
            its sessions end and new LIP and HTTP connections are closed at once.

    Raises:
        ValueError: no user name or no password, or `this_processor` is not a processor of the project.

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
        this_processor: str | None = None,
    ) -> None:
        """Prepare the server; nothing listens before `start()`."""
        if not username or not password:
            raise ValueError("The LIP server needs a user name and a password")
        try:
            self._processor = CommandProcessor(
                emulator, emulator.call_later, this_processor=this_processor
            )
        except UnknownObjectError as err:
            raise ValueError(
                f"The LIP server cannot serve {this_processor}: {err}"
            ) from None
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
        # Faults some input reaches end that connection and are summarised per source address.
        self._errors = AddressLog("Refused LIP input", _LOGGER)
        self._budget = budget if budget is not None else SocketBudget()
        self._lip_limits: ListenerLimits = self._budget.listener(
            "LIP", max_pending=max_pending_logins, handshake_deadline=login_deadline
        )
        self._http_limits: ListenerLimits = self._budget.listener(
            "HTTP", max_pending=max_pending_requests, handshake_deadline=header_deadline
        )
        self._server: asyncio.Server | None = None
        self._accepting = False
        self._http: DatabaseServer | None = None
        self._sessions: set[LipSession] = set()
        self._numbers = itertools.count(1)
        self._unsubscribe: Unsubscribe | None = None
        self._active: LipSession | None = None  # the session whose command is running
        self._dirty: list[LipSession] = []  # sessions with lines to write
        self._flush_handle: asyncio.Handle | None = None
        # Lines of a session are being handled: what they cause is written right after.
        self._handling = False
        self._reported: set[ReportKey] = (
            set()
        )  # outputs and LEDs reported to it meanwhile
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
    def this_processor(self) -> str:
        """The serial of the processor this server is."""
        return self._processor.this_processor

    @property
    def on_network(self) -> bool:
        """Whether this processor is on the network (False while cut off, LP53)."""
        return self.emulator.processor_online(self.this_processor)

    @property
    def budget(self) -> SocketBudget:
        """The open-socket budget of the listeners (share it with the emulator's other servers)."""
        return self._budget

    def _logged_in(self) -> list[LipSession]:
        return [
            session
            for session in self._sessions
            if session.stage is LoginStage.READY and session.is_open()
        ]

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the listening addresses, sessions and counters (no credentials)."""
        return {
            "processor": self.this_processor,
            "on_network": self.on_network,
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
        http: DatabaseServer | None = None
        if self._http_port is not None:
            http = DatabaseServer(
                self.emulator,
                self._http_limits,
                self._reply_delay,
                self._http_refused,
                lambda: self.on_network,
            )
            http_port = await http.start(self.host, self._http_port)
        self._accepting = True
        try:
            server = await asyncio.get_running_loop().create_server(
                lambda: ServedSession(self, self._errors), self.host, self._port
            )
        except BaseException:
            self._accepting = False
            if http is not None:
                await http.stop()
            raise
        if http is not None:
            self._http = http
            self._http_port = http_port
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
        self._errors.close()
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
        http, self._http = self._http, None
        if http is not None:
            await http.stop()

    def _http_refused(self) -> None:
        self._counters["http_refused"] += 1

    # Writing.

    def _mark_dirty(self, session: LipSession) -> None:
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
        if event.kind is EventKind.PROCESSOR:
            if event.serial == self.this_processor and not event.value:
                self._cut_off()
            return
        for kind, line, key in event_reports(self.emulator, event, self._processor):
            if self._active is not None and key is not None:
                self._reported.add(key)  # the command changed it: reported already
            for session in list(self._sessions):
                answer = (
                    session is self._active
                    and key is not None
                    and session.monitors(Monitoring.REPLY)
                )
                if session.monitors(kind) or answer:
                    session.send_line(line)

    def _cut_off(self) -> None:
        """LP53: a processor cut off the network loses every session (it takes new ones once it is back)."""
        _LOGGER.info(
            "LIP server of %s is cut off the network: %d sessions end",
            self.this_processor,
            len(self._sessions),
        )
        for session in list(self._sessions):
            session.abort()

    # Sessions.

    def session_opened(self, transport: asyncio.Transport) -> LipSession | None:
        """Start a session on a new connection, or refuse it (server stopping, no socket left in the budget).

        Only logged-in sessions count against `max_sessions` (checked at login); connections still logging in
        are bounded apart, and each has the login deadline.
        """
        peer = peer_name(transport)
        if not self._accepting or not self.on_network:
            transport.abort()  # stopping, or a processor off the network (LP53)
            return None
        loop = asyncio.get_running_loop()
        session = LipSession(
            next(self._numbers),
            peer,
            transport,
            WriteBuffer(
                transport, self._write_limit, lambda: self._mark_dirty(session)
            ),
            LineSplitter(self._max_line),
            loop.time(),
        )
        session.address = peer_address(transport)
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

    def _login_deadline_passed(self, session: LipSession) -> None:
        """Close a connection that did not log in in time, or gave its place to a newer one."""
        _LOGGER.debug(
            "LIP session %s from %s closed before logging in",
            session.number,
            session.peer,
        )
        session.abort()

    def session_received(self, session: LipSession, data: bytes) -> None:
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
            session.defer(
                lines, session.last_activity + self._reply_delay, self._handle_lines
            )
            return
        if len(lines) > FLUSH_LINES:
            # A long batch: the rest waits for later turns of the loop, so other sessions are served between
            # its parts (one session's flood must not hold up everyone's answers).
            session.defer(
                lines[FLUSH_LINES:], session.last_activity, self._handle_lines
            )
            lines = lines[:FLUSH_LINES]
        self._handle_lines(session, lines)
        if not session.is_open():
            session.close()  # a line ended the session (too many failed logins)

    def _check_idle(self, session: LipSession) -> None:
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

    def session_closed(self, session: LipSession, exc: Exception | None) -> None:
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

    def _throttled(
        self, session: LipSession, lines: list[str | None], index: int
    ) -> bool:
        """Hold a password line (and what follows) while its address waits after failed logins.

        The wait comes before the attempt is judged, so a guesser gets each answer later and later;
        reconnecting does not help, the delay belongs to the address.
        """
        if session.stage is not LoginStage.PASSWORD or session.throttle_waited:
            return False
        wait = self._throttle.delay(session.address)
        if wait <= 0:
            return False
        session.throttle_waited = True
        session.defer_first(
            lines[index:],
            asyncio.get_running_loop().time() + wait,
            self._handle_lines,
        )
        return True

    def _handle_lines(self, session: LipSession, lines: list[str | None]) -> None:
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

    def _handle(self, session: LipSession, line: str | None) -> None:
        if session.stage is not LoginStage.READY:
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

    def _login(self, session: LipSession, line: str | None) -> None:
        if session.stage is LoginStage.USER:
            session.username = (line or "").strip()
            session.stage = LoginStage.PASSWORD
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
            session.stage = LoginStage.READY
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
        session.stage = LoginStage.USER
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
            logged_in, last_activity, now, self._idle_eviction_after
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

    def _command(self, session: LipSession, line: str) -> None:
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
        for keypad, component in result.leds:
            if (keypad, component) in self._reported:
                continue
            # H5: an LED write that changed nothing (or that programming overrode) is answered with the state in
            # force, as a level is.
            report = device_report(
                keypad,
                component,
                ACTION_LED_STATE,
                self._processor.led_state(keypad, component),
            )
            for other in list(self._sessions):
                if other.monitors(Monitoring.LED) or (
                    other is session and other.monitors(Monitoring.REPLY)
                ):
                    other.send_line(report)

    def _reply_error(self, session: LipSession, code: ErrorCode) -> None:
        self._counters["errors"] += 1
        if session.monitors(Monitoring.REPLY):
            session.send_line(error_report(code))
