"""The soak's LIP side: logged-in sessions that monitor or command, and the LIP and HTTP abuser."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import random
import re

import aiohttp

from benchmarks.common import PASSWORD, USERNAME
from benchmarks.soak_common import (
    ABUSE_CYCLE_SECONDS,
    WAIT,
    Abuse,
    Addresses,
    ReportingSession,
    half_open,
    quietly,
)

DELAYED_PER_CYCLE = 2000
_OUTPUT = re.compile(rb"~OUTPUT,(\d+),1,(\d+)\.00")


class Session(ReportingSession):
    """A logged-in LIP session with prompts off; zone reports go to `on_report(zone, level)`."""

    @classmethod
    async def open(
        cls,
        addresses: Addresses,
        on_report: Callable[[int, int], None],
        *,
        abuser: bool = False,
    ) -> Session:
        """Connect, log in, turn prompts off, and start reading."""
        reader, writer = await asyncio.open_connection(
            addresses.host, addresses.lip_port, local_addr=addresses.local(abuser)
        )
        async with asyncio.timeout(WAIT):
            await reader.readuntil(b"login: ")
            writer.write(USERNAME.encode() + b"\r\n")
            await reader.readuntil(b"password: ")
            writer.write(PASSWORD.encode() + b"\r\n")
            await reader.readuntil(b"QNET> ")
            writer.write(b"#MONITORING,12,2\r\n?SYSTEM,10\r\n")
            await reader.readuntil(b"~SYSTEM,")
            await reader.readline()
        return cls(reader, writer, on_report)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await self.reader.readline():
                if line.startswith(b"~SYSTEM,"):
                    self.synced.set()
                elif match := _OUTPUT.match(line):
                    self.on_report(int(match[1]), int(match[2]))

    def command(self, zone: int, level: int) -> None:
        """Switch a zone."""
        self.writer.write(f"#OUTPUT,{zone},1,{level}\r\n".encode())

    def sync_request(self) -> bytes:
        """Return a `?SYSTEM,10` barrier: answered after every line sent before it."""
        return b"?SYSTEM,10\r\n"


def database_url(addresses: Addresses) -> str:
    """Return the URL of the served project database."""
    return f"http://{addresses.host}:{addresses.http_port}/DbXmlInfo.xml"


async def zones_of(addresses: Addresses, session: aiohttp.ClientSession) -> list[int]:
    """Return the zone output ids of the served system (from its database)."""
    async with session.get(database_url(addresses)) as response:
        body = await response.read()
    return [
        int(match[1])
        for match in re.finditer(rb'IntegrationID="(\d+)" OutputType="NON_DIM"', body)
    ]


async def database_fails(addresses: Addresses, session: aiohttp.ClientSession) -> int:
    """Read the database once as a new HTTP client would; 1 when that fails."""
    try:
        async with session.get(
            database_url(addresses), timeout=aiohttp.ClientTimeout(total=WAIT)
        ) as response:
            await response.read()
            return int(response.status != 200)
    except aiohttp.ClientError, TimeoutError:
        return 1


def lip_abuse() -> Abuse:
    """Return the LIP abuser's counts."""
    return Abuse("bad_lines", "wrong_logins", "half_open", "delayed")


async def wrong_login(addresses: Addresses, abuse: Abuse) -> None:
    """Connect from the abuser's address and fail a login (the answer waits out the address's delay)."""
    reader, writer = await asyncio.open_connection(
        addresses.host, addresses.lip_port, local_addr=addresses.local(abuser=True)
    )
    try:
        await reader.readuntil(b"login: ")
        writer.write(b"admin\r\n")
        await reader.readuntil(b"password: ")
        writer.write(f"guess{random.randrange(10**6)}\r\n".encode())
        abuse.counts["wrong_logins"] += 1
        await reader.readuntil(b"bad login")
    finally:
        writer.close()


def bad_input(session: Session, abuse: Abuse) -> None:
    """Garbage, an over-long line, an unfinished telnet sub-negotiation, unknown commands."""
    session.writer.write(b"\x00\x07garbage\r\n" + b"x" * 5000 + b"\r\n")
    session.writer.write(b"\xff\xfa\x18\x01unfinished\r\n#OUTPUT,abc\r\n?NOTHING\r\n")
    abuse.counts["bad_lines"] += 5


def delayed_flood(session: Session, zones: list[int], abuse: Abuse) -> None:
    """Delayed commands (up to 4 h) to zones no one commands or monitors."""
    lines = [
        f"#OUTPUT,{random.choice(zones)},1,{random.choice((0, 100))},0,"
        f"{random.randint(1, 4 * 3600 - 1)}\r\n"
        for _ in range(DELAYED_PER_CYCLE)
    ]
    session.writer.write("".join(lines).encode())
    abuse.counts["delayed"] += DELAYED_PER_CYCLE


async def abuse_loop(addresses: Addresses, others: list[int], abuse: Abuse) -> None:
    """One LIP and HTTP abuse cycle per second until cancelled."""

    def ignore(_zone: int, _level: int) -> None:
        pass

    session = await Session.open(addresses, ignore, abuser=True)
    held: list[asyncio.StreamWriter] = []
    logins: set[asyncio.Task[None]] = set()
    half_open_ports = (
        (addresses.lip_port, b"adm"),
        (addresses.http_port, b"GET /DbXmlInfo.xml HTTP/1.1\r\nHost: x\r\n"),
    )
    try:
        while True:
            bad_input(session, abuse)
            delayed_flood(session, others, abuse)
            await quietly(half_open(addresses, half_open_ports, abuse, held), abuse)
            if (
                len(logins) < 4
            ):  # a few attempts in flight; each waits longer than the last
                task = asyncio.create_task(
                    quietly(wrong_login(addresses, abuse), abuse)
                )
                logins.add(task)
                task.add_done_callback(logins.discard)
            if session.writer.is_closing() or session.reader.at_eof():
                await session.close()
                session = await Session.open(addresses, ignore, abuser=True)
            await asyncio.sleep(ABUSE_CYCLE_SECONDS)
    finally:
        for task in list(logins):
            task.cancel()
        for writer in held:
            writer.close()
        await session.close()
