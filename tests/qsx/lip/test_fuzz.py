"""Fuzzing (bounded) of the server's and the client's line handling: nothing escapes, state changes only by valid lines."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict
import random
from typing import Any

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.commands import CommandProcessor
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.lip.protocol import (
    DEFAULT_MONITORING,
    LineSplitter,
    LipError,
    Operation,
    parse_line,
    parse_report,
    strip_prompts,
)
from tests.qsx.serving import wait_for

from .conftest import hand_built_description

DESCRIPTION = hand_built_description()
IDS = [
    str(i)
    for module in DESCRIPTION.modules
    for i in (
        module.integration_id,
        module.cco.integration_id,
        *(z.integration_id for z in module.zones),
    )
]
FIELDS = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(
        [
            "1",
            "3",
            "4",
            "5",
            "6",
            "9",
            "11",
            "35",
            "81",
            "85",
            "100",
            "0",
            "255",
            "12",
            "2",
        ]
    ),
    st.sampled_from(
        [
            "OPEN",
            "CLOSE",
            "ON",
            "OFF",
            "UP",
            "DOWN",
            "CCI",
            "POWER",
            "LINK",
            "TEMP",
            "BYPASS",
            "PROGRAM",
        ]
    ),
    st.sampled_from(
        [
            "1:30",
            "0:00:01.5",
            "99.99",
            "-1",
            ".",
            "",
            "0x1A2B3C00",
            "1A2B3C00",
            "0ABCDEF1",
        ]
    ),
    st.text(alphabet=st.characters(codec="ascii"), max_size=8),
)
COMMANDS = st.one_of(
    st.sampled_from(
        [
            "OUTPUT",
            "DEVICE",
            "MONITORING",
            "SYSTEM",
            "INTEGRATIONID",
            "DETAILS",
            "HELP",
            "EMULATOR",
        ]
    ),
    st.text(alphabet=st.characters(codec="ascii"), max_size=6),
)
LINES = st.builds(
    lambda op, command, fields: op + command + "".join("," + f for f in fields),
    st.sampled_from(["#", "?", "~", "", "x", " #"]),
    COMMANDS,
    st.lists(FIELDS, max_size=6),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=8))
def test_server_command_fuzz(lines: list[str]) -> None:
    """Any line: `LipError` or an answer, never another exception; refused lines and queries change nothing."""
    emulator = Emulator(DESCRIPTION, scheduler=ManualScheduler())
    processor = CommandProcessor(emulator, emulator.call_later)
    monitoring: set[int] = set(DEFAULT_MONITORING)
    for line in lines:
        before = emulator.export_state()
        try:
            message = parse_line(line)
            if message is None:
                continue
            result = processor.execute(message, monitoring)
        except LipError:
            assert emulator.export_state() == before
            continue
        assert all(
            not reply.startswith("~") or reply.split(",")[0][1:].isalpha()
            for reply in result.lines
        )
        if (
            message.operation is not Operation.EXECUTE
            or message.command == "MONITORING"
        ):
            assert emulator.export_state() == before
    emulator.close()


REPORT_LINES = st.one_of(
    st.builds(
        lambda i, level: f"~OUTPUT,{i},1,{level}",
        st.sampled_from(IDS),
        st.sampled_from(["0", "100.00", "50", "x", ""]),
    ),
    st.builds(
        lambda i, component, action, value: f"~DEVICE,{i},{component},{action},{value}",
        st.sampled_from(IDS),
        st.sampled_from(["1", "5", "11", "81", "84", "85", "99"]),
        st.sampled_from(["3", "4", "9", "35"]),
        st.sampled_from(["0", "1", "2", "3", "4", "1.5"]),
    ),
    st.sampled_from(
        [
            "~ERROR,2",
            "~SYSTEM,01/01/2026,00:00:00",
            "QNET> ",
            "QNET> ~OUTPUT,101,1,100.00",
            "login: ",
        ]
    ),
    st.text(max_size=40),
)


def _model(client: LipClient) -> list[dict[str, Any]]:
    return [asdict(client.state(module.serial)) for module in DESCRIPTION.modules]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            REPORT_LINES.map(lambda text: text.encode(errors="replace") + b"\r\n"),
            st.binary(max_size=60),
        ),
        max_size=12,
    )
)
def test_client_line_fuzz(chunks: list[bytes]) -> None:
    """Whatever arrives, the client's line handling never raises, and only valid reports change the model."""
    client = LipClient("127.0.0.1", 23, "u", "p", session=None)  # type: ignore[arg-type]  # no network here
    client._tracker.set_description(DESCRIPTION)
    splitter = LineSplitter(256)
    batches: deque[Any] = deque()
    for chunk in chunks:
        for line in splitter.feed(chunk):
            if line is None:
                continue
            before = _model(client)
            client._handle_line(line, batches)
            try:
                message = parse_line(strip_prompts(line))
            except LipError:
                message = None
            if message is None or parse_report(message) is None:
                assert _model(client) == before


async def test_server_survives_random_bytes(
    server: LipServer, http_session: aiohttp.ClientSession
) -> None:
    """Random bytes (seeded, bounded) on a logged-in session never break the server or the session."""
    from .conftest import RawSession  # noqa: PLC0415

    session = await RawSession.open(server.port)
    await session.login()
    session.send("#MONITORING,12,2")
    await session.sync()
    rng = random.Random(20260314)
    alphabet = b"#?~,0123456789.:OUTPDVICEMNGSYRHLAFBK \r\n\x00\xff\xfb\xfd\xfa\xf0\x07"
    for _ in range(200):
        chunk = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
        session.send(chunk)
    session.send(
        b"\xff\xf0\xff\xf0\r\n"
    )  # end any telnet sub-negotiation the noise may have opened
    lines = await session.sync()
    assert lines
    assert all(
        line.startswith("~") for line in lines
    )  # prompts are off: only reports and errors come back
    assert server.diagnostics()["errors"] > 0
    assert server.diagnostics()["open_sessions"] == 1
    await session.close()
    await wait_for(lambda: server.diagnostics()["open_sessions"] == 0)
