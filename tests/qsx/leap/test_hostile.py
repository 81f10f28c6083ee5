"""Hostile peers on the LEAP and pairing ports: nothing they send raises out of a handler or floods the log.

Each test names the rule it holds the server to: LP7 (refusals), LP2 (lines), LP4 (sessions), LP21 (pairing), and
LP24–LP46 for the whole house's zones, buttons, LEDs and timeclocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
import contextlib
import json
import logging
import ssl
import tracemalloc
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import build_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.pairing_server import (
    MAX_PAIRING_REQUESTS,
    PairingServer,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import ResourceTree
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.limits import (
    IDLE_EVICTION_AFTER,
    AddressLog,
)
from custom_components.homeworks_qsx.qsx.emulator.sessions import ServedSession
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.house import house_description
from tests.qsx.serving import WAIT, wait_for

from .conftest import LeapSession

PING = b'{"CommuniqueType":"ReadRequest","Header":{"Url":"/server/1/status/ping","ClientTag":"%s"}}\r\n'
END_TAG = "end-of-hostile-lines"
PACKAGE_LOGGER = "custom_components.homeworks_qsx"


class _Records(logging.Handler):
    """Every record of the package at WARNING or above, while installed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def size(self) -> int:
        """Characters the records would take in a log."""
        return sum(len(self.format(record)) for record in self.records)


@contextlib.contextmanager
def watched_log() -> Iterator[_Records]:
    """Collect the package's warnings and errors while the block runs."""
    handler = _Records()
    logger = logging.getLogger(PACKAGE_LOGGER)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextlib.contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """Collect what reaches the running loop's exception handler while the block runs."""
    loop = asyncio.get_running_loop()
    reached: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reached.append(context))
    try:
        yield reached
    finally:
        loop.set_exception_handler(previous)


async def replies_until(session: LeapSession, tag: str) -> list[dict[str, Any]]:
    """Read lines until the reply tagged `tag`; each must be a JSON object in UTF-8 (LP2)."""
    replies: list[dict[str, Any]] = []
    for _ in range(1000):  # bounded: far more than any test sends
        line = await asyncio.wait_for(session.reader.readline(), WAIT)
        assert line, "connection closed"
        reply = json.loads(line.decode())
        assert isinstance(reply, dict)
        replies.append(reply)
        if reply.get("Header", {}).get("ClientTag") == tag:
            return replies
    raise AssertionError("no end")


@pytest.fixture
async def pairing(
    socket_enabled: None, credentials: LeapCredentials
) -> AsyncGenerator[PairingServer]:
    """Return a pairing server on 127.0.0.1, ephemeral port, window open."""
    server = PairingServer(credentials, "127.0.0.1", 0)
    await server.start()
    server.open_pairing_window(60)
    yield server
    await server.stop()


def anonymous_context() -> ssl.SSLContext:
    """Return the context of a pairing client (no certificate, trusts anything)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


SURROGATE_LINES = [
    # A lone surrogate, as JSON escapes it, where it would be echoed: the tag, the URL, a key, a value.
    (
        rb'{"CommuniqueType":"ReadRequest","Header":{"Url":"/server/1/status/ping","ClientTag":"\ud800"}}',
        None,
        "/server/1/status/ping",
    ),
    (
        rb'{"CommuniqueType":"ReadRequest","Header":{"Url":"/zone/\udfff","ClientTag":"t"}}',
        "t",
        None,
    ),
    (
        (
            rb'{"CommuniqueType":"CreateRequest","Header":{"Url":"/zone/90/commandprocessor","ClientTag":"t"},'
            rb'"Body":{"Command":{"CommandType":"\ud83d"}}}'
        ),
        "t",
        "/zone/90/commandprocessor",
    ),
    (
        rb'{"CommuniqueType":"ReadRequest","Header":{"Url":"/project","ClientTag":"t","\ud800":1}}',
        "t",
        "/project",
    ),
    # The same surrogate encoded as UTF-8 bytes (which Python's JSON reader would let through).
    (
        b'{"CommuniqueType":"ReadRequest","Header":{"Url":"/project","ClientTag":"\xed\xa0\x80"}}',
        None,
        None,
    ),
    # Nested deeper than the JSON reader goes.
    (b"[" * 20000 + b"]" * 20000, None, None),
]


@pytest.mark.parametrize(("line", "tag", "url"), SURROGATE_LINES)
async def test_lp7_text_that_cannot_be_echoed_is_refused_without_echo(
    server: LeapServer,
    client_context: ssl.SSLContext,
    line: bytes,
    tag: str | None,
    url: str | None,
) -> None:
    """LP7: a lone surrogate anywhere gets 400, carrying only the tag and URL that can be sent back.

    Before, the refusal encoded the same text again, the exception escaped into asyncio ("Fatal error on SSL
    protocol") and the session died: any client could flood the log.
    """
    session = await LeapSession.open(server.port, client_context)
    with loop_errors() as reached:
        session.send_raw(line + b"\r\n" + PING % END_TAG.encode())
        refusal, ping = await replies_until(session, END_TAG)
    assert refusal["CommuniqueType"] == "ExceptionResponse"
    assert refusal["Header"]["StatusCode"] == "400 BadRequest"
    assert refusal["Header"].get("ClientTag") == tag
    assert refusal["Header"].get("Url") == url
    assert ping["Header"]["StatusCode"] == "200 OK"
    assert reached == []
    await session.close()


async def test_lp7_floods_of_such_lines_are_one_summary_per_address(
    server: LeapServer,
    pairing: PairingServer,
    client_context: ssl.SSLContext,
) -> None:
    """50 such lines on each port: one warning at once per port and address, the rest in one summary line later.

    Before: two tracebacks per line, 121 KiB of log for 50 lines.
    """
    bad = SURROGATE_LINES[0][0] + b"\r\n"
    with watched_log() as log, loop_errors() as reached:
        session = await LeapSession.open(server.port, client_context)
        session.send_raw(bad * 50 + PING % END_TAG.encode())
        replies = await replies_until(session, END_TAG)
        assert len(replies) == 51
        refusals = []
        for _ in range(
            5
        ):  # 5 connections of 10 lines (a pairing connection takes 16 requests)
            pairer = await LeapSession.open(pairing.port, anonymous_context())
            await pairer.receive()  # the status line
            pairer.send_raw(bad * 10)
            refusals += [await pairer.receive() for _ in range(10)]
            await pairer.close()
        assert {reply["Header"]["StatusCode"] for reply in refusals} == {
            "400 BadRequest"
        }
        assert all("ClientTag" not in reply["Header"] for reply in refusals)
        assert len(log.records) == 2  # the first of each port
        await session.close()
        await server.stop()
        await pairing.stop()
    assert reached == []
    messages = [record.getMessage() for record in log.records]
    assert len(messages) == 4  # and one summary each when the servers stop
    assert "Refused LEAP input from 127.0.0.1: 49 in the last" in messages[2]
    assert "49 × malformed request" in messages[2]
    assert "Refused LEAP pairing input from 127.0.0.1: 49 in the last" in messages[3]
    assert all(record.exc_info is None for record in log.records)
    assert log.size < 1000
    assert "\\ud800" not in "".join(messages)


# Text of every kind, lone surrogates and JSON's special characters included.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cs"]),
        st.sampled_from('"\\/\r\n\t\x00{}[]:,'),
    ),
    max_size=12,
)
# Text with at least one lone surrogate: what no reply can carry.
UNENCODABLE = st.builds(
    lambda before, surrogate, after: before + surrogate + after,
    TEXT,
    st.characters(categories=["Cs"]),
    TEXT,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=12,
)
URLS = st.one_of(
    st.sampled_from(
        [
            "/server/1/status/ping",
            "/project",
            "/area",
            "/zone/status",
            "/area/status",
            "/zone/90",
            "/zone/90/status",
            "/zone/90/commandprocessor",
            "/zone/122/commandprocessor",
            "/device?where=IsThisDevice:false",
            "/pair",
        ]
    ),
    TEXT.map(lambda text: "/" + text),
    UNENCODABLE.map(lambda text: "/zone/" + text),
    TEXT,
    JSON,
)
COMMANDS = st.fixed_dictionaries(
    {
        "Command": st.fixed_dictionaries(
            {"CommandType": st.sampled_from(["GoToLevel", "GoToCCOLevel"]) | TEXT},
            optional={
                "Parameter": st.lists(
                    st.fixed_dictionaries(
                        {"Type": st.just("Level") | TEXT, "Value": JSON}
                    ),
                    max_size=2,
                )
                | JSON,
                "CCOLevelParameters": st.fixed_dictionaries({"CCOLevel": JSON}),
            },
        )
    }
)
PAIRING_BODIES = st.fixed_dictionaries(
    {
        "CommandType": st.just("CSR") | TEXT,
        "Parameters": st.fixed_dictionaries({"CSR": TEXT | JSON}) | JSON,
    }
)
MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        "CommuniqueType": st.sampled_from(
            [
                "ReadRequest",
                "SubscribeRequest",
                "UnsubscribeRequest",
                "CreateRequest",
                "UpdateRequest",
            ]
        )
        | TEXT,
        "Header": st.fixed_dictionaries(
            {"Url": URLS},
            optional={
                "ClientTag": UNENCODABLE | TEXT | JSON,
                "RequestType": st.just("Execute") | TEXT,
                "Paging": st.fixed_dictionaries({"Offset": JSON, "Token": JSON}) | JSON,
            },
        )
        | JSON,
        "Body": COMMANDS | PAIRING_BODIES | JSON,
    },
)
LINES = st.one_of(
    MESSAGES.map(lambda message: json.dumps(message).encode()),
    MESSAGES.map(
        lambda message: json.dumps(message, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    ),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=60).map(lambda data: data.replace(b"\n", b" ")),
)


async def _hostile_lines(
    description: SystemDescription,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    lines: list[bytes],
) -> None:
    """Send `lines` to the LEAP port and to the pairing port, and check how both took them."""
    emulator = Emulator(description)
    leap = LeapServer(emulator, credentials, "127.0.0.1", 0)
    pairing = PairingServer(credentials, "127.0.0.1", 0)
    await leap.start()
    await pairing.start()
    pairing.open_pairing_window(60)
    data = b"".join(line + b"\r\n" for line in lines if line.strip())
    try:
        with watched_log() as log, loop_errors() as reached:
            session = await LeapSession.open(leap.port, client_context)
            session.send_raw(data + PING % END_TAG.encode())
            replies = await replies_until(session, END_TAG)
            pairer = await LeapSession.open(pairing.port, anonymous_context())
            await pairer.receive()
            pairer.send_raw(data)
            paired = [
                await pairer.receive() for line in lines if line.strip()
            ]  # one answer per line
            await session.close()
            await pairer.close()
            await leap.stop()
            await pairing.stop()
        assert reached == []
        statuses = [reply["Header"].get("StatusCode") for reply in replies + paired]
        assert "500 InternalServerError" not in statuses
        # At most a first line and a summary per port (one source address), none with a traceback.
        assert len(log.records) <= 4
        assert all(record.exc_info is None for record in log.records)
    finally:
        await leap.stop()
        await pairing.stop()
        emulator.close()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(LINES, min_size=1, max_size=12))
def test_lp7_hostile_json_lines_never_raise_nor_flood(
    socket_enabled: None,
    description: SystemDescription,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    lines: list[bytes],
) -> None:
    """LP7: any lines on either port: answers that are JSON, no 500, nothing reaches the loop, a bounded log."""
    asyncio.run(_hostile_lines(description, credentials, client_context, lines))


DEVICES = "/device?where=IsThisDevice:false"


async def test_lp4_pipelined_reads_wait_until_the_peer_reads(
    socket_enabled: None,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """Pipelined reads of a peer that does not read are not answered ahead into memory.

    Its socket stops being read once `PAUSE_READING_AT` bytes wait, and every reply comes, in order, when it
    reads again. Before, each batch of lines was answered in full before the write limit was checked: 20k device-list reads
    grew the server by tens of MB, then it dropped the session.
    """
    emulator = Emulator(build_description([60]))
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        reply_size = len(json.dumps(await session.request("ReadRequest", DEVICES)))
        count = 32 * 2**20 // reply_size + 1  # 32 MiB of replies
        transport = session.writer.transport
        assert isinstance(transport, asyncio.ReadTransport)
        transport.pause_reading()
        tracemalloc.start()
        try:
            session.send_raw(
                b"".join(
                    b'{"CommuniqueType":"ReadRequest","Header":{"Url":"%s","ClientTag":"r%d"}}\r\n'
                    % (DEVICES.encode(), index)
                    for index in range(count)
                )
            )
            await wait_for(lambda: server.diagnostics()["paused"] >= 1)
            handled = server.diagnostics()["requests"]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert handled < count / 2
        assert peak < 4 * 2**20
        transport.resume_reading()
        tags = [(await session.receive())["Header"]["ClientTag"] for _ in range(count)]
        assert tags == [f"r{index}" for index in range(count)]
        assert server.diagnostics()["dropped"] == 0
        await session.close()
    finally:
        await server.stop()
        emulator.close()


async def test_lp4_idle_sessions_give_way_at_the_cap(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """LP4: at the session cap, the session silent longest gives way to a new one (LIP's rule).

    It must have sent nothing, not even a ping, for `IDLE_EVICTION_AFTER`; active sessions are never evicted.

    Before, twenty idle sessions locked every new LEAP client out for ever.
    """
    assert (
        IDLE_EVICTION_AFTER == 180.0
    )  # two keepalive periods of 60 s and a margin, as for LIP
    server = LeapServer(
        emulator,
        credentials,
        "127.0.0.1",
        0,
        max_sessions=2,
        idle_eviction_after=0.3,
    )
    await server.start()
    try:
        idle = await LeapSession.open(server.port, client_context)
        await idle.request("ReadRequest", "/server/1/status/ping")
        active = await LeapSession.open(server.port, client_context)
        await asyncio.sleep(0.4)  # past the (shortened) idle time
        await active.request("ReadRequest", "/server/1/status/ping")
        newcomer = await LeapSession.open(server.port, client_context)
        reply = await newcomer.request("ReadRequest", "/server/1/status/ping")
        assert reply["Header"]["StatusCode"] == "200 OK"
        assert await idle.read_eof() == b""
        assert server.diagnostics()["evicted"] == 1
        refused = await LeapSession.open(server.port, client_context)
        assert await refused.read_eof() == b""  # the two left are active
        assert server.diagnostics()["refused"] == 1
        reply = await active.request("ReadRequest", "/server/1/status/ping")
        assert reply["Header"]["StatusCode"] == "200 OK"
        for session in (idle, active, newcomer, refused):
            await session.close()
    finally:
        await server.stop()


class _Faulty:
    """A server whose handling fails at one step: a fault of ours that some input reaches."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.closed: list[Exception | None] = []

    def session_opened(self, transport: asyncio.Transport) -> asyncio.Transport:
        if self.step == "opened":
            raise RuntimeError("opened")
        return transport

    def session_received(self, session: asyncio.Transport, data: bytes) -> None:
        raise RuntimeError(data.decode(errors="replace"))

    def session_closed(self, session: asyncio.Transport, exc: Exception | None) -> None:
        self.closed.append(exc)
        if self.step == "closed":
            raise RuntimeError("closed")


@pytest.mark.parametrize("step", ["opened", "received", "closed"])
async def test_a_fault_ends_one_connection_and_never_reaches_the_loop(
    socket_enabled: None, step: str
) -> None:
    """Whatever a server raises ends that connection, is counted per address, and is logged without the input."""
    host = _Faulty(step)
    errors = AddressLog("Refused test input", logging.getLogger(PACKAGE_LOGGER))
    server = await asyncio.get_running_loop().create_server(
        lambda: ServedSession(host, errors), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        with watched_log() as log, loop_errors() as reached:
            for _ in range(3):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"secret typed here\r\n")
                assert await asyncio.wait_for(reader.read(), WAIT) == b""
                writer.close()
            # A session that fails in its closing has failed in its data first: counted twice.
            faults = 6 if step == "closed" else 3
            await wait_for(lambda: errors.count("127.0.0.1") == faults)
            errors.close()
        assert reached == []
        assert len(host.closed) == (0 if step == "opened" else 3)
        messages = [record.getMessage() for record in log.records]
        assert messages == [
            "Refused test input from 127.0.0.1: internal error (RuntimeError)",
            (
                f"Refused test input from 127.0.0.1: {faults - 1} in the last 0 s: "
                f"{faults - 1} × internal error (RuntimeError)"
            ),
        ]
        assert "secret" not in "".join(messages)
    finally:
        server.close()
        await server.wait_closed()


async def test_lp21_a_fault_while_signing_answers_500_and_is_summarised(
    pairing: PairingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LP21: a fault of ours while signing answers 500 with the tag; the connection and the server go on."""

    def broken(*_: Any) -> str:
        raise RuntimeError("signing failed")

    monkeypatch.setattr(LeapCredentials, "sign_request", broken)
    with watched_log() as log, loop_errors() as reached:
        pairer = await LeapSession.open(pairing.port, anonymous_context())
        await pairer.receive()
        request = {
            "Header": {
                "RequestType": "Execute",
                "Url": "/pair",
                "ClientTag": "get-cert",
            },
            "Body": {"CommandType": "CSR", "Parameters": {"CSR": "x"}},
        }
        for _ in range(2):
            pairer.send(request)
            reply = await pairer.receive()
            assert reply["Header"]["StatusCode"] == "500 InternalServerError"
            assert reply["Header"]["ClientTag"] == "get-cert"
        await pairer.close()
    assert reached == []
    assert [record.getMessage() for record in log.records] == [
        "Refused LEAP pairing input from 127.0.0.1: internal error (RuntimeError)"
    ]


async def test_lp21_pairing_requests_per_connection_are_bounded(
    pairing: PairingServer,
) -> None:
    """LP21 (ours): a pairing connection may send `MAX_PAIRING_REQUESTS`; the next is refused and it is closed.

    A client sends one CSR; without the bound, a client without a certificate could keep the server answering (and
    buffering the answers it does not read) for as long as it sends.
    """
    assert MAX_PAIRING_REQUESTS == 16
    with watched_log() as log:
        pairer = await LeapSession.open(pairing.port, anonymous_context())
        await pairer.receive()
        pairer.send_raw(b"{}\n" * 10000)
        replies = [json.loads(line) for line in (await pairer.read_eof()).splitlines()]
        await pairer.close()
    assert [reply["Header"]["StatusCode"] for reply in replies] == [
        "404 NotFound"
    ] * 16 + ["400 BadRequest"]
    assert "More than 16 requests" in replies[-1]["Body"]["Message"]
    assert (
        len(log.records) == 1
    )  # the first refusal; the rest go into the address's next summary


async def test_lp4_a_paused_peer_that_leaves_is_not_answered_into_a_closed_connection(
    socket_enabled: None,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A peer that pipelines reads, reads a little, then leaves is not answered any more.

    Before, the replies still waiting for it were written into the closed connection, and asyncio logged
    "SSL connection is closed" for each: a log flood no summary bounded.
    """
    emulator = Emulator(build_description([60]))
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        for _ in range(3):
            session = await LeapSession.open(server.port, client_context)
            transport = session.writer.transport
            assert isinstance(transport, asyncio.ReadTransport)
            transport.pause_reading()
            session.send_raw(
                b"".join(
                    b'{"CommuniqueType":"ReadRequest","Header":{"Url":"%s","ClientTag":"r%d"}}\r\n'
                    % (DEVICES.encode(), index)
                    for index in range(2000)
                )
            )
            await wait_for(lambda: server.diagnostics()["paused"] >= 1)
            transport.resume_reading()
            for _ in range(5):
                await session.receive()
            session.writer.close()
            await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
        # The loop runs a few more turns: any late write into a gone connection would log now.
        for _ in range(20):
            await asyncio.sleep(0.01)
        closed_writes = [
            record
            for record in caplog.records
            if record.name == "asyncio"
            and "connection is closed" in record.getMessage()
        ]
        assert closed_writes == []
    finally:
        await server.stop()
        emulator.close()


def _house_urls() -> list[str]:
    """Every kind of URL of the whole house (LP24–LP46), as the server names them."""
    tree = ResourceTree(house_description())
    zones = {zone["ControlType"]: zone["href"] for zone in tree.zones.values()}
    button = next(iter(tree.buttons.values()))["href"]
    led = next(iter(tree.leds.values()))["href"]
    clock = next(iter(tree.timeclocks.values()))["href"]
    return [
        *(href + "/commandprocessor" for href in zones.values()),
        *(href + "/status" for href in zones.values()),
        button,
        button + "/commandprocessor",
        button + "/status/event",
        led,
        led + "/status",
        clock + "/status",
        "/timeclock/status",
        "/timeclockevent",
        "/button",
        "/button/status/event",
        "/buttongroup/expanded",
        "/occupancygroup/status",
        "/area/status",
        "/zone/status",
        next(iter(tree.areas.values()))["href"] + "/status",
        *(href + "/status" for href in (d["href"] for d in tree.devices.values())),
    ]


HOUSE_URLS = st.one_of(
    st.sampled_from(_house_urls()), TEXT.map(lambda text: "/led/" + text)
)
DURATIONS = st.sampled_from(["00:00:01", "PT2S", "4", "99:99:99", ""]) | JSON
HOUSE_BODIES = st.one_of(
    st.fixed_dictionaries(
        {
            "Command": st.fixed_dictionaries(
                {
                    "CommandType": st.sampled_from(
                        [
                            "GoToLevel",
                            "GoToDimmedLevel",
                            "Raise",
                            "Lower",
                            "Stop",
                            "GoToTilt",
                            "GoToShadeLevel",
                            "GoToShadeLevelWithTilt",
                            "ShadeLimitRaise",
                            "PressAndRelease",
                            "PressAndHold",
                            "Release",
                            "MultiTap",
                        ]
                    )
                    | TEXT
                },
                optional={
                    "Parameter": st.lists(
                        st.fixed_dictionaries(
                            {"Type": st.just("Level"), "Value": JSON}
                        ),
                        max_size=2,
                    ),
                    "DimmedLevelParameters": st.fixed_dictionaries(
                        {},
                        optional={
                            "Level": JSON,
                            "FadeTime": DURATIONS,
                            "DelayTime": DURATIONS,
                        },
                    ),
                    "TiltParameters": st.fixed_dictionaries({"Tilt": JSON}),
                    "ShadeLevelParameters": st.fixed_dictionaries(
                        {"Level": JSON}, optional={"DelayTime": DURATIONS}
                    ),
                    "ShadeWithTiltLevelParameters": st.fixed_dictionaries(
                        {"Level": JSON, "Tilt": JSON}
                    ),
                },
            )
        }
    ),
    st.fixed_dictionaries({"LEDStatus": st.fixed_dictionaries({"State": JSON})}),
    st.fixed_dictionaries(
        {"TimeclockStatus": st.fixed_dictionaries({"EnabledState": JSON})}
    ),
    JSON,
)
HOUSE_LINES = st.fixed_dictionaries(
    {
        "CommuniqueType": st.sampled_from(
            [
                "ReadRequest",
                "SubscribeRequest",
                "UnsubscribeRequest",
                "CreateRequest",
                "UpdateRequest",
            ]
        ),
        "Header": st.fixed_dictionaries(
            {"Url": HOUSE_URLS}, optional={"ClientTag": TEXT}
        ),
    },
    optional={"Body": HOUSE_BODIES},
).map(lambda message: json.dumps(message).encode())


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(HOUSE_LINES, min_size=1, max_size=12))
def test_lp7_hostile_lines_on_the_whole_house_never_raise(
    socket_enabled: None,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    lines: list[bytes],
) -> None:
    """LP7, LP24–LP46: any request to the house's zones, buttons, LEDs and timeclocks: no 500, nothing escapes."""
    asyncio.run(_hostile_lines(house_description(), credentials, client_context, lines))


async def test_lp7_one_spelling_per_object_keeps_subscriptions_bounded(
    socket_enabled: None,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """LP7: an id with leading zeros, non-ASCII digits or too many digits names nothing: subscriptions stay bounded."""
    emulator = Emulator(house_description())
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        led = next(iter(ResourceTree(emulator.description).leds))
        for spelling in (f"0{led}", f"00{led}", "٣", "9" * 5000, f"{led}.0"):
            reply = await session.request("SubscribeRequest", f"/led/{spelling}/status")
            assert reply["Header"]["StatusCode"] == "404 NotFound", spelling
        reply = await session.request("SubscribeRequest", f"/led/{led}/status")
        assert reply["Header"]["StatusCode"] == "200 OK"
        assert server.diagnostics()["subscriptions"] == 1
        await session.close()
    finally:
        await server.stop()
        emulator.close()
