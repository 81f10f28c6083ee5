"""Tagged requests over one LEAP session: the plumbing under `LeapClient` (LP5–LP9, LP18).

`LeapConnection` adds to the protocol-neutral `Connection` (`connection.py`) what every LEAP exchange needs:
requests are pipelined, each with its own `ClientTag`, at most `MAX_REQUESTS_IN_FLIGHT` unanswered at once, and
each reply is matched to its request by tag (LP5); the lines of one loop turn are written at once; lists are read
page by page (LP8); a `1xx` reply is passed over (LP55); a subscription's pushes go to its handler (LP18), and
messages of no request to `_unsolicited`, which routes them by their body (LP57); refusals (LP7) raise typed
errors (`refusal`). `LeapClient` (`client.py`) builds the system and its model, and the commands, on top.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
import itertools
import logging
from typing import Any, Final, override

from ..connection import Connection, Endpoint, Link, PendingReply, Timings
from ..const import LedState
from ..errors import (
    CommandTimeoutError,
    ObjectNotFoundError,
    RequestNotSupportedError,
    RequestRefusedError,
)
from .protocol import (
    MAX_OUTBOUND_LINE_BYTES,
    PING_URL,
    BodyType,
    CommuniqueType,
    LeapError,
    LineReader,
    decode,
    encode,
    make_request,
    status_code,
)
from .system import ZoneReading

_LOGGER = logging.getLogger(__name__)

MAX_PAGES: Final = 1000  # LP8: a list longer than this many pages is refused (a server that never stops paging)
# Requests written and not yet answered, at most; later ones wait their turn in order (ours: no one has shown that a
# processor takes hundreds at once; 16 keep the start-up within a few round trips, docs/leap-client.md).
MAX_REQUESTS_IN_FLIGHT: Final = 16


class Priority(IntEnum):
    """Which waiting request takes the next place in flight: the lowest value first, in order within one."""

    FIRST = 0  # reads whose answers ask for more (the next page of a list, a keypad's button groups)
    NORMAL = 1
    LAST = 2  # what carries no state (the buttons' event subscriptions, LP39): behind everything else


# Called with every message carrying a request's tag, and whether it is a push (not the request's first answer).
type MessageHandler = Callable[[Mapping[str, Any], bool], None]


def refusal(message: Mapping[str, Any], url: str) -> RequestRefusedError:
    """LP7: the typed error of an `ExceptionResponse`."""
    header = message.get("Header") or {}
    status_text = header.get("StatusCode") if isinstance(header, Mapping) else None
    status = status_code(status_text) if isinstance(status_text, str) else None
    body = message.get("Body")
    text = body.get("Message") if isinstance(body, Mapping) else None
    why = text if isinstance(text, str) else str(status_text or "refused")
    if status == 404:
        return ObjectNotFoundError(url, status, why)
    if status == 405:
        return RequestNotSupportedError(url, status, why)
    return RequestRefusedError(url, status, why)


def body_list(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Return the list a reply carries (LP9), or its one object as a list; empty for `204` (LP6)."""
    body = message.get("Body")
    if not isinstance(body, Mapping):
        return []
    for value in body.values():
        if isinstance(value, list):
            return [item for item in value if isinstance(item, Mapping)]
        if isinstance(value, Mapping):
            return [value]
    return []


def body_object(message: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Return the object a reply carries under `key`; empty when it carries none."""
    body = message.get("Body")
    found = body.get(key) if isinstance(body, Mapping) else None
    return found if isinstance(found, Mapping) else {}


@dataclass(slots=True)
class LeapReply(PendingReply):
    """A request in flight: its URL, what handles every message with its tag, and its reply once it came."""

    url: str = ""
    handler: MessageHandler | None = None
    subscription: bool = False
    message: Mapping[str, Any] | None = None
    refusal: RequestRefusedError | None = None
    in_flight: bool = False  # written, and its first answer not come yet


@dataclass(slots=True, eq=False)
class LeapLink(Link[LeapReply]):
    """One TLS session: requests in flight by tag (subscriptions stay), and the lines to write this turn."""

    reader: LineReader = field(
        default_factory=lambda: LineReader(MAX_OUTBOUND_LINE_BYTES)
    )
    requests: dict[str, LeapReply] = field(default_factory=dict)
    outbox: list[bytes] = field(default_factory=list)
    in_flight: int = (
        0  # requests written and not answered yet (`MAX_REQUESTS_IN_FLIGHT`)
    )
    # Requests waiting for a place in flight, by tag, with their line: one queue per `Priority`.
    queued: tuple[deque[tuple[str, bytes]], ...] = field(
        default_factory=lambda: tuple(deque() for _ in Priority)
    )
    # Set once the start-up's `Priority.LAST` subscriptions are answered (or failed): the session is fully subscribed.
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    # What the statuses received on this session said (LP57: merged delta by delta), by object id, applied to the
    # model once it matches this session: zones, LEDs (LP41), area occupancy (LP43), timeclocks (LP45).
    zones: dict[int, ZoneReading] = field(default_factory=dict)
    leds: dict[int, LedState] = field(default_factory=dict)
    areas: dict[int, bool | None] = field(default_factory=dict)
    timeclocks: dict[int, bool] = field(default_factory=dict)
    live: bool = False
    answered: bool = False  # any byte received after the handshake

    def waiting(self) -> int:
        """Count the requests waiting for a place in flight."""
        return sum(len(queue) for queue in self.queued)

    def next_waiting(self) -> tuple[str, bytes] | None:
        """Take the first waiting request of the first priority that has one."""
        for queue in self.queued:
            if queue:
                return queue.popleft()
        return None

    def fail_pending(self) -> None:
        """Fail every request in flight (the link is lost)."""
        requests = list(self.requests.values())
        self.requests.clear()
        for queue in self.queued:
            queue.clear()
        self.in_flight = 0
        for request in requests:
            request.finish(failed=True)


class LeapConnection(Connection[LeapLink]):
    """A `Connection` that speaks LEAP's tagged requests; the system, its model and the commands are the client's.

    Args: those of `Connection` (`connection.py`).
    """

    def __init__(
        self,
        endpoints: str | Sequence[Endpoint],
        port: int | None = None,
        *,
        timings: Timings,
    ) -> None:
        """Prepare the connection; nothing is connected before `connect()`."""
        super().__init__(endpoints, port, timings=timings)
        self._tags = itertools.count(1)
        self._counters.update(
            {
                "requests": 0,
                "replies": 0,
                "pushes": 0,
                "refusals": 0,
                "pages": 0,
                "queued_requests": 0,
                "provisional_replies": 0,
                "ignored_messages": 0,
            }
        )
        self._leap_version: float | None = None

    @override
    def new_link(self, transport: asyncio.Transport) -> LeapLink:
        """Return the link of a new TLS session."""
        return LeapLink(transport)

    @override
    def _send_ping(self, link: LeapLink) -> LeapReply:
        """LP3: the ping; every message sent before its answer has been handled when it comes."""
        return self._send(link, CommuniqueType.READ_REQUEST, PING_URL)

    def _drop(self, link: LeapLink) -> None:
        """Give the link up: fail what waits, and let the supervisor reconnect."""
        link.fail_pending()
        link.closed.set()
        link.transport.close()

    # Reading.

    @override
    def link_data(self, link: LeapLink, data: bytes) -> None:
        """Handle received lines in order (the transport's callback)."""
        link.answered = True
        for line in link.reader.feed(data):
            if line is None:  # LP2: over the limit; nothing after it can be trusted
                _LOGGER.debug(
                    "%s:%s sent a line over %d bytes: session closed",
                    self.host,
                    self.port,
                    MAX_OUTBOUND_LINE_BYTES,
                )
                self._last_error = "the processor sent an over-long line"
                self._drop(link)
                return
            try:
                message = decode(line)
            except LeapError:
                self._counters["ignored_messages"] += 1
                _LOGGER.debug(
                    "Line from %s:%s is not JSON: %r", self.host, self.port, line[:100]
                )
                continue
            self._dispatch(link, message)

    def _dispatch(self, link: LeapLink, message: Mapping[str, Any]) -> None:
        """Route one message (LP57): a reply completes its request; a push goes to its subscription's handler.

        A `1xx` reply is provisional: the request waits on for its final reply. A message whose tag matches no
        request (or that has none) is offered to `_unsolicited`, which routes it by its body; what it cannot
        route is dropped.
        """
        header = message.get("Header")
        if not isinstance(header, Mapping):
            header = {}
        status_text = header.get("StatusCode")
        status = status_code(status_text) if isinstance(status_text, str) else None
        if status is not None and 100 <= status < 200:  # LP55: `102 Processing`
            self._counters["provisional_replies"] += 1
            return
        tag = header.get("ClientTag")
        request = link.requests.get(tag) if isinstance(tag, str) else None
        if request is None or not isinstance(tag, str):
            if self._unsolicited(link, message):
                self._counters["pushes"] += 1
                return
            self._counters["ignored_messages"] += 1
            _LOGGER.debug(
                "Message from %s:%s for no request ignored: %.200s",
                self.host,
                self.port,
                message,
            )
            return
        refused = message.get("CommuniqueType") == CommuniqueType.EXCEPTION_RESPONSE
        first = request.message is None and request.refusal is None
        self._counters["replies" if first else "pushes"] += 1
        if request.handler is not None and not refused:
            request.handler(message, not first)
        if not first:
            return
        if refused:
            self._counters["refusals"] += 1
            request.refusal = refusal(message, request.url)
        else:
            request.message = message
            if request.url == PING_URL:
                version = body_object(message, BodyType.ONE_PING.body_key).get(
                    "LEAPVersion"
                )
                if isinstance(version, int | float):
                    self._leap_version = float(version)
        if refused or not request.subscription:
            del link.requests[tag]
        self._release(link, request)
        request.finish()

    @abstractmethod
    def _unsolicited(self, link: LeapLink, message: Mapping[str, Any]) -> bool:
        """Route a message that belongs to no request by its body (LP57); whether it was routed."""

    # Writing.

    def _send(
        self,
        link: LeapLink,
        kind: CommuniqueType,
        url: str,
        body: Any = None,
        *,
        paging: Mapping[str, Any] | None = None,
        handler: MessageHandler | None = None,
        subscription: bool = False,
        priority: Priority = Priority.NORMAL,
    ) -> LeapReply:
        """Queue a request and return its reply to wait for; the lines of one loop turn are written at once.

        Without a place in flight it waits behind the requests of its `priority` and of every higher one. On a
        link already lost the reply is failed at once (waiting for it raises `ConnectionFailedError`).
        """
        loop = asyncio.get_running_loop()
        if link.closed.is_set():
            lost = LeapReply(loop.create_future(), url=url)
            lost.finish(failed=True)
            return lost
        tag = str(next(self._tags))
        reply = LeapReply(
            loop.create_future(), url=url, handler=handler, subscription=subscription
        )
        link.requests[tag] = reply
        line = encode(make_request(kind, url, tag, body, paging))
        self._counters["requests"] += 1
        if link.in_flight < MAX_REQUESTS_IN_FLIGHT and not link.waiting():
            self._write(link, reply, line)
        else:
            link.queued[priority].append((tag, line))
            self._counters["queued_requests"] += 1
        return reply

    def _write(self, link: LeapLink, reply: LeapReply, line: bytes) -> None:
        """Put a request in flight: its line goes out with the others of this loop turn."""
        reply.in_flight = True
        link.in_flight += 1
        if not link.outbox:
            asyncio.get_running_loop().call_soon(self._flush, link)
        link.outbox.append(line)

    def _release(self, link: LeapLink, reply: LeapReply) -> None:
        """Give the place of a request in flight (answered, or given up) to the next one waiting."""
        if not reply.in_flight:
            return
        reply.in_flight = False
        link.in_flight -= 1
        while link.in_flight < MAX_REQUESTS_IN_FLIGHT and (
            (queued := link.next_waiting()) is not None
        ):
            tag, line = queued
            waiting = link.requests.get(tag)
            if waiting is not None:  # else it timed out while it waited
                self._write(link, waiting, line)

    @staticmethod
    def _flush(link: LeapLink) -> None:
        if link.outbox and not link.closed.is_set():
            link.transport.write(b"".join(link.outbox))
        link.outbox.clear()

    async def _result(
        self, link: LeapLink, reply: LeapReply, timeout: float | None = None
    ) -> Mapping[str, Any]:
        """Wait for a reply; its refusal raises (LP7); `CommandTimeoutError`, `ConnectionFailedError` otherwise."""
        try:
            await self._wait(reply, reply.url, timeout or self._timings.command_timeout)
        except CommandTimeoutError:
            for tag, request in list(link.requests.items()):
                if request is reply:
                    del link.requests[tag]
            self._release(link, reply)
            raise
        if reply.refusal is not None:
            raise reply.refusal
        assert reply.message is not None
        return reply.message

    async def _request(
        self,
        link: LeapLink,
        kind: CommuniqueType,
        url: str,
        body: Any = None,
        *,
        paging: Mapping[str, Any] | None = None,
        handler: MessageHandler | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> Mapping[str, Any]:
        """Send one request and wait for its reply."""
        reply = self._send(
            link, kind, url, body, paging=paging, handler=handler, priority=priority
        )
        return await self._result(link, reply)

    async def _read_list(
        self,
        link: LeapLink,
        url: str,
        on_page: Callable[[list[Mapping[str, Any]]], None] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> list[Mapping[str, Any]]:
        """Read a list, following `Header.Paging` until the last page (LP8); `on_page` sees each page as it comes.

        The first page waits its turn at `priority`; the next pages go first, as their list is already under way.
        """
        items: list[Mapping[str, Any]] = []
        paging: Mapping[str, Any] | None = None
        for _ in range(MAX_PAGES):
            reply = await self._request(
                link,
                CommuniqueType.READ_REQUEST,
                url,
                paging=paging,
                priority=priority if paging is None else Priority.FIRST,
            )
            page = body_list(reply)
            items.extend(page)
            if on_page is not None:
                on_page(page)
            header = reply.get("Header")
            paging = header.get("Paging") if isinstance(header, Mapping) else None
            if not isinstance(paging, Mapping):
                return items
            self._counters["pages"] += 1
        raise RequestRefusedError(url, None, f"more than {MAX_PAGES} pages")
