"""Limits that every network server of one emulator shares, whatever its protocol (LIP, HTTP, LEAP).

- `SocketBudget`: one bound on the sockets all listeners of an emulator hold open. Each listener keeps a
  reservation inside the global cap, so a flood on one port cannot take the sockets another port's legitimate
  client needs, and each listener bounds its connections still in their handshake (login prompt, HTTP headers):
  those get a deadline, and at the bound the oldest of them gives way to the newcomer. A real client finishes
  its handshake in milliseconds; a flood then only displaces itself.
- `AddressLog`: what a server logs about a source address (refused input, failed logins, refused connections) goes
  out as a rate-limited summary per address, with counts by cause, never what the peer sent.
- `LoginThrottle`: failed logins slow down per source address (a growing delay before each further attempt is
  judged), and are logged through an `AddressLog`.
  The LEAP and pairing listeners (TLS) take their places from the same budget, their handshake being TLS's.
- `idle_session_to_evict`: at the session cap (LIP logins, LEAP sessions), a session silent for longer than two
  keepalive periods gives up its slot (oldest first); active sessions are never evicted.

Written by hand: these are small bookkeeping rules over asyncio's own timers; no library offers per-listener
reservations inside a shared socket cap, and the server libraries in use (aiohttp, asyncio) have no handshake
deadline of their own.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import logging
from typing import Final

DEFAULT_HOST: Final = "127.0.0.1"
"""Where every server of the emulator listens unless told otherwise: this machine only (P7)."""
PORT_STEP: Final = 10
"""A processor after the first served on the first's address: each of its ports is the first's plus this, times its
place in the project (the second +10, the third +20; a port 0 stays 0: any free one)."""
MAX_OPEN_SOCKETS: Final = 256
"""Sockets all listeners of one emulator may hold open together."""
RESERVED_SOCKETS_PER_LISTENER: Final = 32
"""Sockets each listener may always open, whatever the others hold (inside `MAX_OPEN_SOCKETS`)."""
MAX_PENDING_HANDSHAKES: Final = 16
"""Connections of one listener still in their handshake (login, HTTP headers); at the bound the oldest gives way."""
HANDSHAKE_DEADLINE: Final = 30.0
"""Seconds from connect to the end of the handshake (logged in, request headers read), whatever the peer sends."""
TLS_HANDSHAKE_DEADLINE: Final = 10.0
"""Seconds from connect to the end of the TLS handshake on the LEAP and pairing ports (LP4)."""
MAX_HANDSHAKE_BACKLOG: Final = 16
"""Lines a connection may have waiting before its handshake is over (a client waits for each prompt)."""
FAILED_LOGIN_BASE_DELAY: Final = 0.5
"""Seconds an address waits before its next attempt is judged after one failure; doubled with each further one."""
FAILED_LOGIN_MAX_DELAY: Final = 30.0
"""Longest wait before an address's next attempt is judged."""
FAILED_LOGIN_MEMORY: Final = 900.0
"""Seconds after its last failure an address is forgotten (its delay starts again from the base)."""
MAX_TRACKED_ADDRESSES: Final = 4096
"""Addresses with failures remembered at once; beyond, the least recently failing is forgotten."""
FAILED_LOGIN_LOG_INTERVAL: Final = 60.0
"""Seconds between two log lines about the failed logins of one address (the count covers the interval)."""
IDLE_EVICTION_AFTER: Final = 180.0
"""Seconds without a received byte after which a logged-in session gives up its slot to a new login at the cap
(two keepalive periods of 60 s and a margin)."""


class _Budget:
    """The socket count of one emulator, shared by its listeners."""

    __slots__ = ("listeners", "open", "total")

    def __init__(self, total: int) -> None:
        self.total = total
        self.open = 0
        self.listeners: list[ListenerLimits] = []


class SocketBudget:
    """Open sockets of every listener of one emulator, with a reservation per listener.

    Args:
        total: sockets open at once over all listeners.
        reserved: sockets each listener may always open (the sum of reservations must fit in `total`).

    """

    def __init__(
        self,
        total: int = MAX_OPEN_SOCKETS,
        reserved: int = RESERVED_SOCKETS_PER_LISTENER,
    ) -> None:
        """Start with no listener and no socket."""
        if total < 1 or reserved < 1:
            raise ValueError("socket limits must be at least 1")
        self._budget = _Budget(total)
        self._reserved = reserved

    @property
    def open_sockets(self) -> int:
        """Sockets open now, over all listeners."""
        return self._budget.open

    def listener(
        self,
        name: str,
        *,
        max_pending: int = MAX_PENDING_HANDSHAKES,
        handshake_deadline: float = HANDSHAKE_DEADLINE,
    ) -> ListenerLimits:
        """Register a listener (`name` appears in log lines); `ValueError` when its reservation does not fit."""
        listeners = self._budget.listeners
        if (len(listeners) + 1) * self._reserved > self._budget.total:
            raise ValueError(
                f"{self._budget.total} sockets cannot reserve {self._reserved} for "
                f"{len(listeners) + 1} listeners"
            )
        if max_pending < 1 or handshake_deadline <= 0:
            raise ValueError("handshake limits must be positive")
        limits = ListenerLimits(
            self._budget, name, self._reserved, max_pending, handshake_deadline
        )
        listeners.append(limits)
        return limits


@dataclass(slots=True, eq=False)
class Admission:
    """One accepted socket of a listener: its place in the budget and, during its handshake, its deadline."""

    _limits: ListenerLimits
    _close: Callable[[], None]
    _timer: asyncio.TimerHandle | None = None
    released: bool = False

    @property
    def pending(self) -> bool:
        """Whether the connection is still in its handshake."""
        return self._timer is not None

    def established(self) -> None:
        """End the handshake (logged in, headers read): no more deadline, no longer displaceable."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._limits.pending.pop(id(self), None)

    def release(self) -> None:
        """Give the closed socket's place back (harmless twice)."""
        if self.released:
            return
        self.released = True
        self.established()
        self._limits.open -= 1
        self._limits.budget.open -= 1

    def _expire(self) -> None:
        self._timer = None
        self._limits.pending.pop(id(self), None)
        self._limits.counters["handshake_timeouts"] += 1
        self._close()


class ListenerLimits:
    """The limits of one listener: its share of the socket budget and its pending handshakes."""

    def __init__(
        self,
        budget: _Budget,
        name: str,
        reserved: int,
        max_pending: int,
        handshake_deadline: float,
    ) -> None:
        """Use `SocketBudget.listener` to make one."""
        self.budget = budget
        self.name = name
        self.reserved = reserved
        self.max_pending = max_pending
        self.handshake_deadline = handshake_deadline
        self.open = 0
        # Pending handshakes, oldest first.
        self.pending: OrderedDict[int, Admission] = OrderedDict()
        self.counters = {"refused": 0, "displaced": 0, "handshake_timeouts": 0}

    def _shared_in_use(self) -> int:
        return sum(
            max(0, other.open - other.reserved) for other in self.budget.listeners
        )

    def _shared_size(self) -> int:
        return self.budget.total - sum(
            other.reserved for other in self.budget.listeners
        )

    def _has_room(self) -> bool:
        if self.open < self.reserved:
            return True
        return self._shared_in_use() < self._shared_size()

    def admit(self, close: Callable[[], None]) -> Admission | None:
        """Admit a new connection, or None when the budget has no room for it.

        `close` aborts the connection; it is called when the handshake's deadline passes, or when a newer
        connection displaces this one at the bound of pending handshakes. The connection's `connection_lost`
        must call `Admission.release`.
        """
        if len(self.pending) >= self.max_pending or not self._has_room():
            self._displace_oldest()
        if not self._has_room():
            self.counters["refused"] += 1
            return None
        admission = Admission(self, close)
        self.open += 1
        self.budget.open += 1
        admission._timer = asyncio.get_running_loop().call_later(  # noqa: SLF001
            self.handshake_deadline,
            admission._expire,  # noqa: SLF001
        )
        self.pending[id(admission)] = admission
        return admission

    def _displace_oldest(self) -> None:
        if not self.pending:
            return
        _, oldest = self.pending.popitem(last=False)
        if oldest._timer is not None:  # noqa: SLF001
            oldest._timer.cancel()  # noqa: SLF001
            oldest._timer = None  # noqa: SLF001
        self.counters["displaced"] += 1
        # Its socket is given back now: the transport's connection_lost comes later.
        oldest.release()
        oldest._close()  # noqa: SLF001


@dataclass(slots=True)
class _Tally:
    count: int = 0
    last: float = 0.0
    # Events not logged yet, by cause.
    unlogged: Counter[str] = field(default_factory=Counter)
    last_logged: float | None = None
    flush: asyncio.TimerHandle | None = None


class AddressLog:
    """Events per source address, logged as a rate-limited summary: the one home of every server's per-address log.

    The first event from an address is logged at once; later ones are counted by cause and logged together, at most
    one line per address and `log_interval`. Causes are the server's own words, never what the peer sent. An
    address is forgotten `memory` seconds after its last event (a summary still due is logged then), and at most
    `max_addresses` are remembered (beyond, the least recent goes), so neither memory nor the log grows with a flood.

    Args:
        subject: what the events are, for log lines ("Refused LEAP input").
        logger: where the lines go (WARNING).
        memory: seconds after its last event an address is forgotten.
        log_interval: seconds between two lines about one address.
        max_addresses: addresses remembered at once.

    """

    def __init__(
        self,
        subject: str,
        logger: logging.Logger,
        *,
        memory: float = FAILED_LOGIN_MEMORY,
        log_interval: float = FAILED_LOGIN_LOG_INTERVAL,
        max_addresses: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        """Remember no address yet."""
        self._subject = subject
        self._logger = logger
        self._memory = memory
        self._log_interval = log_interval
        self._max_addresses = max_addresses
        self._addresses: OrderedDict[str, _Tally] = OrderedDict()

    def count(self, address: str) -> int:
        """Return the events from `address` still remembered (0 once it is forgotten)."""
        tally = self._addresses.get(address)
        if tally is None:
            return 0
        if asyncio.get_running_loop().time() - tally.last > self._memory:
            self.forget(address)
            return 0
        return tally.count

    def record(self, address: str, cause: str = "") -> None:
        """Count an event from `address`; log it now or in the address's next summary."""
        now = asyncio.get_running_loop().time()
        tally = self._addresses.get(address)
        if tally is None or now - tally.last > self._memory:
            if tally is not None:
                self.forget(address)
            tally = _Tally()
            self._addresses[address] = tally
            while len(self._addresses) > self._max_addresses:
                self.forget(next(iter(self._addresses)))
        self._addresses.move_to_end(address)
        tally.count += 1
        tally.last = now
        tally.unlogged[cause] += 1
        if tally.last_logged is None or now - tally.last_logged >= self._log_interval:
            self._log(address, tally)
        elif tally.flush is None:
            tally.flush = asyncio.get_running_loop().call_at(
                tally.last_logged + self._log_interval, self._log, address, tally
            )

    def forget(self, address: str) -> None:
        """Forget `address` (a summary still due is logged first); harmless for an address not remembered."""
        tally = self._addresses.pop(address, None)
        if tally is None:
            return
        self._log(address, tally)

    def close(self) -> None:
        """Log what is still unlogged and forget every address."""
        for address in list(self._addresses):
            self.forget(address)

    def _log(self, address: str, tally: _Tally) -> None:
        if tally.flush is not None:
            tally.flush.cancel()
            tally.flush = None
        if not tally.unlogged:
            return
        now = asyncio.get_running_loop().time()
        self._logger.warning(
            "%s",
            self._message(
                address,
                tally.unlogged,
                tally.count,
                None if tally.last_logged is None else now - tally.last_logged,
            ),
        )
        tally.unlogged = Counter()
        tally.last_logged = now

    def _message(
        self, address: str, causes: Counter[str], count: int, interval: float | None
    ) -> str:
        """Return the line about `causes` from `address` (`interval`: seconds since the last line, None for a first)."""
        total = sum(causes.values())
        named = ", ".join(
            f"{number} × {cause}" if total > 1 else cause
            for cause, number in causes.most_common()
            if cause
        )
        head = (
            f"{self._subject} from {address}"
            if interval is None
            else f"{self._subject} from {address}: {total} in the last {interval:.0f} s"
        )
        return f"{head}: {named}" if named else head


class LoginThrottle(AddressLog):
    """Failed logins per source address: a growing delay, and a rate-limited summary in the log (`AddressLog`).

    Args:
        what: the protocol, for log lines ("LIP").
        logger: where summaries go (WARNING).
        base_delay, max_delay: the delay after one failure, doubled with each further one up to `max_delay`.
        memory: seconds after its last failure an address is forgotten.
        log_interval: seconds between two summaries about one address.
        max_addresses: addresses remembered at once.

    """

    def __init__(
        self,
        what: str,
        logger: logging.Logger,
        *,
        base_delay: float = FAILED_LOGIN_BASE_DELAY,
        max_delay: float = FAILED_LOGIN_MAX_DELAY,
        memory: float = FAILED_LOGIN_MEMORY,
        log_interval: float = FAILED_LOGIN_LOG_INTERVAL,
        max_addresses: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        """Remember no address yet."""
        super().__init__(
            f"failed {what} login",
            logger,
            memory=memory,
            log_interval=log_interval,
            max_addresses=max_addresses,
        )
        self._what = what
        self._base = base_delay
        self._max = max_delay

    def _delay_after(self, count: int) -> float:
        return float(min(self._max, self._base * 2.0 ** (count - 1)))

    def delay(self, address: str) -> float:
        """Seconds to wait before the next attempt from `address` is judged (0 without recent failures)."""
        count = self.count(address)
        return self._delay_after(count) if count else 0.0

    def failed(self, address: str) -> None:
        """Count a failed login from `address`; log it now or in the address's next summary."""
        self.record(address)

    def succeeded(self, address: str) -> None:
        """Forget the failures of `address` after a successful login (a summary still due is logged)."""
        self.forget(address)

    def _message(
        self, address: str, causes: Counter[str], count: int, interval: float | None
    ) -> str:
        wait = f"further attempts from it wait {self._delay_after(count):.2g} s"
        if interval is None:
            return f"Failed {self._what} login from {address}; {wait}"
        return (
            f"{sum(causes.values())} failed {self._what} logins from {address} in the last "
            f"{interval:.0f} s; {wait}"
        )


def idle_session_to_evict[T](
    sessions: Iterable[T],
    last_activity: Callable[[T], float],
    now: float,
    idle_after: float = IDLE_EVICTION_AFTER,
) -> T | None:
    """Return the session that has been silent longest if that is more than `idle_after` seconds, else None."""
    idlest = min(sessions, key=last_activity, default=None)
    if idlest is None or now - last_activity(idlest) <= idle_after:
        return None
    return idlest
