"""One LIP connection as the server sees it: its login stage, what it monitors, its writes and its waiting lines.

`LipSession` holds the state of one connection, its writing side (lines gathered and written at once, a peer that
does not read dropped) and its queue of lines waiting for the reply delay (handled in order, in bounded parts,
reading paused while the backlog is long). `LipServer` (`server.py`) decides what the lines mean and what is
written.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, auto
import logging
from typing import Final

from ...lip.protocol import CRLF, PROMPT, LineSplitter
from ..limits import Admission
from ..sessions import WriteBuffer

_LOGGER = logging.getLogger(__name__)

# Lines of one session waiting to be handled before its socket is no longer read.
MAX_WAITING_LINES: Final = 4096
FLUSH_LINES: Final = (
    256  # lines handled before their answers are written, in a long batch
)

type LineHandler = Callable[[LipSession, list[str | None]], None]


class LoginStage(Enum):
    """Where a connection stands: typing its user name, its password, or logged in."""

    USER = auto()
    PASSWORD = auto()
    READY = auto()


@dataclass(slots=True, eq=False)
class LipSession:
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
    stage: LoginStage = LoginStage.USER
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
        return self.stage is LoginStage.READY and kind in self.monitoring

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

    def defer(self, lines: list[str | None], due: float, handle: LineHandler) -> None:
        """Have `handle` take `lines` at `due` (the reply delay), after the lines already waiting."""
        self.delayed.extend((due, line) for line in lines)
        if len(self.delayed) > MAX_WAITING_LINES and not self.reading_paused:
            # The peer sends faster than it is served: stop reading until the backlog is worked off, so
            # memory stays bounded and the peer's own TCP window slows it down.
            self.reading_paused = True
            self.transport.pause_reading()
        if self.worker is None and self.delayed:
            self.worker = asyncio.create_task(
                self._handle_delayed(handle), name=f"lip-session-{self.number}"
            )

    def defer_first(
        self, lines: list[str | None], due: float, handle: LineHandler
    ) -> None:
        """Have `handle` take `lines` at `due`, before the lines already waiting (they arrived after these)."""
        self.delayed.extendleft((due, line) for line in reversed(lines))
        self.defer([], due, handle)

    async def _handle_delayed(self, handle: LineHandler) -> None:
        """Handle each waiting line once its delay is over; close the connection if a line ended the session."""
        loop = asyncio.get_running_loop()
        try:
            while self.delayed and self.is_open():
                wait = self.delayed[0][0] - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                now = loop.time()
                due: list[str | None] = []
                while (
                    self.delayed
                    and self.delayed[0][0] <= now
                    and len(due) < FLUSH_LINES
                ):
                    due.append(self.delayed.popleft()[1])
                handle(self, due)
                if self.reading_paused and len(self.delayed) < FLUSH_LINES:
                    self.reading_paused = False
                    if self.is_open():
                        self.transport.resume_reading()
                await asyncio.sleep(
                    0
                )  # other sessions' lines are handled between parts
            if not self.is_open():
                self.close()
        finally:
            self.worker = None


def last_activity(session: LipSession) -> float:
    """Return when `session` last sent a line (the key for choosing the session silent longest)."""
    return session.last_activity
