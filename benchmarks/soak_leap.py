"""The soak's LEAP side: subscribed sessions that monitor or command, a new client now and then, and the abuser.

The abuser has a certificate of the emulator's CA (as a stolen or careless client would) and connects from its
own address. Each cycle it holds half-open TLS connections on the LEAP and pairing ports, pipelines reads on a
session it never reads (the server must stop reading it, or drop it, rather than pile up its replies), and sends bad input on another
(garbage, lone surrogates in the tag and the URL, an over-long line now and then). Between cycles it holds idle
sessions: at each interval's end it fills the server's session cap with them, a new legitimate client tries to
get in (the server must evict an abuser's session idle past the eviction age for it), and one slot is given back
for the cycles to come.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import json
import ssl
import time
from typing import Any, override

from benchmarks.soak_common import (
    ABUSE_CYCLE_SECONDS,
    WAIT,
    Abuse,
    Addresses,
    ReportingSession,
    half_open,
    quietly,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import MAX_SESSIONS
from custom_components.homeworks_qsx.qsx.emulator.limits import IDLE_EVICTION_AFTER
from custom_components.homeworks_qsx.qsx.leap.protocol import (
    PING_URL,
    ZONE_STATUS_URL,
    CommuniqueType,
    encode,
    id_from_href,
    make_request,
)

LINE_LIMIT = (
    2**18
)  # the longest line a LEAP client must take (LP2), as pylutron-caseta reads
DEVICE_LIST_URL = (
    "/device?where=IsThisDevice:false"  # LP12: every device but the processor
)
PIPELINED_READS = 5000  # reads of the device list, written at once and never read
PIPELINE_HOLD = 0.3  # seconds the pipelining session is left unread
PIPELINE_LOOK = 0.1  # seconds it is read then, to see whether the server closed it
LONG_LINE_EVERY = 10  # cycles between two over-long lines
REFUSAL_GRACE = 0.2  # seconds within which a session refused at the cap is closed after its handshake
# A TLS record header and the start of a ClientHello: a handshake never finished.
PARTIAL_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00"
SUBSCRIPTION_TAG = "sub"
SYNC_TAG = "sync"


def request(kind: CommuniqueType, url: str, tag: str, body: Any = None) -> bytes:
    """Return one request line."""
    return encode(make_request(kind, url, tag, body))


def go_to_level(zone: int, level: int) -> bytes:
    """Return a `GoToLevel` command line (its reply is not waited for: the subscription's push is)."""
    body = {
        "Command": {
            "CommandType": "GoToLevel",
            "Parameter": [{"Type": "Level", "Value": level}],
        }
    }
    return request(
        CommuniqueType.CREATE_REQUEST, f"/zone/{zone}/commandprocessor", "cmd", body
    )


async def open_tls(
    addresses: Addresses, context: ssl.SSLContext, *, abuser: bool = False
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a LEAP session as pylutron-caseta does (no host name check, 256 KiB lines)."""
    return await asyncio.open_connection(
        addresses.host,
        addresses.leap_port,
        ssl=context,
        server_hostname="",
        limit=LINE_LIMIT,
        local_addr=addresses.local(abuser),
    )


class LeapSession(ReportingSession):
    """A LEAP session subscribed to zone statuses; each zone's level goes to `on_report`."""

    @classmethod
    async def open(
        cls,
        addresses: Addresses,
        context: ssl.SSLContext,
        on_report: Callable[[int, int], None],
    ) -> LeapSession:
        """Connect, subscribe to `/zone/status`, and start reading."""
        reader, writer = await open_tls(addresses, context)
        writer.write(
            request(CommuniqueType.SUBSCRIBE_REQUEST, ZONE_STATUS_URL, SUBSCRIPTION_TAG)
        )
        async with asyncio.timeout(WAIT):
            while True:
                line = await reader.readline()
                if not line:
                    raise ConnectionError("the LEAP server closed a new session")
                if json.loads(line)["Header"].get("ClientTag") == SUBSCRIPTION_TAG:
                    break
        return cls(reader, writer, on_report)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await self.reader.readline():
                message = json.loads(line)
                tag = message["Header"].get("ClientTag")
                if tag == SUBSCRIPTION_TAG:
                    for status in message["Body"]["ZoneStatuses"]:
                        zone = id_from_href(status["Zone"]["href"])
                        level = status.get("Level")
                        if zone is not None and isinstance(level, int):
                            self.on_report(zone, level)
                elif tag == SYNC_TAG:
                    self.synced.set()

    def command(self, zone: int, level: int) -> None:
        """Switch a zone."""
        self.writer.write(go_to_level(zone, level))

    def sync_request(self) -> bytes:
        """Return a ping: answered after every push sent before it."""
        return request(CommuniqueType.READ_REQUEST, PING_URL, SYNC_TAG)


async def new_client(addresses: Addresses, context: ssl.SSLContext) -> bool:
    """Connect as a new client and ping; whether the server answered."""
    try:
        reader, writer = await asyncio.wait_for(open_tls(addresses, context), WAIT)
    except OSError, TimeoutError:
        return False
    try:
        writer.write(request(CommuniqueType.READ_REQUEST, PING_URL, "new"))
        async with asyncio.timeout(WAIT):
            line = await reader.readline()
        return bool(line) and json.loads(line)["Header"].get("ClientTag") == "new"
    except OSError, TimeoutError, ValueError:
        return False
    finally:
        writer.close()


class Held(asyncio.Protocol):
    """A session the abuser holds: `lost` is done once the server has closed it; reading can be paused."""

    def __init__(self, *, paused: bool) -> None:
        """Pause reading from the start when `paused`."""
        self.paused = paused
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.paused:
            transport.pause_reading()

    @override
    def data_received(self, data: bytes) -> None:
        pass  # what a held session is sent is of no interest

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)

    def close(self) -> None:
        """Drop the connection."""
        if self.transport is not None:
            self.transport.abort()


class LeapAbuser:
    """The LEAP abuser: its cycles, and its idle sessions filling the cap at each interval's end."""

    def __init__(
        self, addresses: Addresses, context: ssl.SSLContext, legitimate: int
    ) -> None:
        """Abuse the server at `addresses`, beside `legitimate` sessions that stay open."""
        self.addresses = addresses
        self.context = context
        self.legitimate = legitimate
        self.abuse = Abuse("bad_lines", "half_open", "pipelined", "closed", "evicted")
        self.idle: list[tuple[float, Held]] = []  # (opened at, session), oldest first
        self.cycles = 0
        self._turn = asyncio.Lock()  # a cycle, or the interval's end
        self._half_open: list[asyncio.StreamWriter] = []
        # Written at once on the pipelining session: made once.
        self._reads = (
            request(CommuniqueType.READ_REQUEST, DEVICE_LIST_URL, "read")
            * PIPELINED_READS
        )

    async def _held(self, *, paused: bool) -> Held:
        loop = asyncio.get_running_loop()
        _, held = await loop.create_connection(
            lambda: Held(paused=paused),
            self.addresses.host,
            self.addresses.leap_port,
            ssl=self.context,
            server_hostname="",
            local_addr=self.addresses.local(abuser=True),
        )
        return held

    def _count_evicted(self) -> None:
        kept = [(at, held) for at, held in self.idle if not held.lost.done()]
        self.abuse.counts["evicted"] += len(self.idle) - len(kept)
        self.idle = kept

    async def fill(self) -> None:
        """Open idle sessions until the server's cap is reached (none are open but the legitimate and these)."""
        # Once the server has seen the cycle's sessions close, all at once.
        await asyncio.sleep(REFUSAL_GRACE)
        self._count_evicted()
        opened = await asyncio.gather(
            *(
                asyncio.wait_for(self._held(paused=False), WAIT)
                for _ in range(MAX_SESSIONS - self.legitimate - len(self.idle))
            ),
            return_exceptions=True,
        )
        await asyncio.sleep(
            REFUSAL_GRACE
        )  # a session refused at the cap is closed by now
        now = time.monotonic()
        for held in opened:
            if isinstance(held, Held) and not held.lost.done():
                self.idle.append((now, held))
            else:
                self.abuse.counts["refused"] += 1

    async def release(self) -> None:
        """Close the newest idle session: room for the cycles' sessions."""
        await asyncio.sleep(
            REFUSAL_GRACE
        )  # a session evicted for the new client is closed by now
        self._count_evicted()
        if self.idle:
            self.idle.pop()[1].close()

    def evictable(self) -> bool:
        """Whether an idle session has been silent past the eviction age (the server should give its slot away)."""
        return (
            bool(self.idle) and time.monotonic() - self.idle[0][0] > IDLE_EVICTION_AFTER
        )

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Wait for the current cycle to end; no cycle starts until the block is left."""
        async with self._turn:
            yield

    async def loop(self) -> None:
        """One abuse cycle after another until cancelled."""
        ports = (
            (self.addresses.leap_port, PARTIAL_CLIENT_HELLO),
            (self.addresses.pairing_port, PARTIAL_CLIENT_HELLO),
        )
        try:
            while True:
                async with self._turn:
                    self.cycles += 1
                    await quietly(
                        half_open(self.addresses, ports, self.abuse, self._half_open),
                        self.abuse,
                    )
                    await quietly(self._pipeline(), self.abuse)
                    await quietly(self._bad_input(), self.abuse)
                await asyncio.sleep(ABUSE_CYCLE_SECONDS)
        finally:
            self.close()

    async def _pipeline(self) -> None:
        """Write thousands of reads and read nothing for a while; then see whether the server closed the session.

        The server must not pile up the replies: it stops reading a session that leaves them unread (or drops
        it), which the server's RSS shows.
        """
        held = await self._held(paused=True)
        try:
            assert held.transport is not None
            held.transport.write(self._reads)
            self.abuse.counts["pipelined"] += PIPELINED_READS
            await asyncio.sleep(PIPELINE_HOLD)
            # Reading a moment finds the end of a session the server closed.
            held.transport.resume_reading()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(held.lost), PIPELINE_LOOK)
            self.abuse.counts["closed"] += held.lost.done()
        finally:
            held.close()

    async def _bad_input(self) -> None:
        """Lines no client should send; the replies are read and thrown away."""
        reader, writer = await open_tls(self.addresses, self.context, abuser=True)
        ping = {"CommuniqueType": "ReadRequest", "Header": {"Url": PING_URL}}
        lines = [
            b"not json at all\r\n",
            b"[1, 2, 3]\r\n",
            # Lone surrogates: valid JSON escapes that no reply can encode.
            b'{"CommuniqueType":"ReadRequest","Header":{"ClientTag":"\\ud800","Url":"/server/1/status/ping"}}\r\n',
            b'{"CommuniqueType":"ReadRequest","Header":{"ClientTag":"t","Url":"/zone/\\udfff"}}\r\n',
            b'{"CommuniqueType":"ReadRequest","Header":{"Url":"/\xed\xa0\x80"}}\r\n',  # a surrogate in raw bytes
            json.dumps({**ping, "Header": {"Url": "/nothing/here"}}).encode() + b"\r\n",
            json.dumps({"CommuniqueType": "Nothing", "Header": {"Url": "/"}}).encode()
            + b"\r\n",
        ]
        if self.cycles % LONG_LINE_EVERY == 0:
            lines.append(
                b"x" * (LINE_LIMIT // 2) + b"\r\n"
            )  # over the server's 64 KiB: closed
        try:
            writer.write(b"".join(lines))
            self.abuse.counts["bad_lines"] += len(lines)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    while await reader.readline():
                        pass
        finally:
            writer.close()

    def close(self) -> None:
        """Close every connection the abuser holds."""
        for writer in self._half_open:
            writer.close()
        self._half_open.clear()
        for _, held in self.idle:
            held.close()
        self.idle.clear()
