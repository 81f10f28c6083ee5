"""Fuzzing (bounded) of the whole house's lines: nothing escapes a handler, and refused lines change nothing.

The server's command processor runs any line against the house (H1-H8); the client's line handling takes any
report of the house's outputs, keypads and groups (H1, H3, H5, H6).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.commands import CommandProcessor
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.emulator.lip.reports import event_reports
from custom_components.homeworks_qsx.qsx.events import Event
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.lip.dbxml.parse import parse_database
from custom_components.homeworks_qsx.qsx.lip.protocol import (
    DEFAULT_MONITORING,
    LineSplitter,
    LipError,
    Operation,
    parse_line,
    parse_report,
    strip_prompts,
)

from .house import house_description

HOUSE = house_description()
DATABASE = parse_database(build_dbxml(HOUSE))
IDS = sorted(
    {
        str(i)
        for device in HOUSE.devices
        for i in (
            device.integration_id,
            *(output.integration_id for output in device.outputs),
        )
    }
    | {str(group) for group in DATABASE.occupancy_groups}
)
FIELDS = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(
        ["1", "2", "3", "4", "5", "6", "7", "9", "22", "81", "86", "100", "0", "255"]
    ),
    st.sampled_from(
        [
            "TAP",
            "HOLD",
            "RELEASE",
            "DOUBLETAP",
            "OCCUPANCY",
            "OCCUPIED",
            "VACANT",
            "LEVEL",
            "CCI",
            "TEMP",
            "OPEN",
        ]
    ),
    st.sampled_from(["1:30", "0:00:01.5", "99.99", "-1", ".", "", "4:00:01"]),
    st.text(alphabet=st.characters(codec="ascii"), max_size=6),
)
LINES = st.builds(
    lambda op, command, fields: op + command + "".join("," + f for f in fields),
    st.sampled_from(["#", "?"]),
    st.sampled_from(
        ["OUTPUT", "DEVICE", "GROUP", "EMULATOR", "DETAILS", "INTEGRATIONID"]
    ),
    st.lists(FIELDS, max_size=5),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=8))
def test_house_command_fuzz(lines: list[str]) -> None:
    """H1-H8: any line is a `LipError` or an answer; refused lines and queries change nothing; reports never raise."""
    scheduler = ManualScheduler()
    emulator = Emulator(HOUSE, scheduler=scheduler)
    processor = CommandProcessor(emulator, emulator.call_later)
    reports: list[str] = []

    def report(event: Event) -> None:
        reports.extend(line for _, line, _ in event_reports(emulator, event, processor))

    emulator.events.subscribe(report)
    monitoring: set[int] = set(DEFAULT_MONITORING)
    for line in lines:
        before = emulator.export_state()
        try:
            message = parse_line(line)
            assert message is not None
            result = processor.execute(message, monitoring)
        except LipError:
            assert emulator.export_state() == before
            continue
        if message.operation is not Operation.EXECUTE:
            assert emulator.export_state() == before
        for output in result.outputs:
            processor.output_level(output)
        for keypad, component in result.leds:
            processor.led_state(keypad, component)
        scheduler.advance(3)
    # pylutron drops its session on a `~` line whose id is not an integer, or on float `~DEVICE` parameters.
    for text in reports:
        fields = text.split(",")
        assert fields[1].isdigit()
        if text.startswith("~DEVICE"):
            assert all(field.isdigit() for field in fields[1:])
    emulator.close()


REPORT_LINES = st.one_of(
    st.builds(
        lambda i, level: f"~OUTPUT,{i},1,{level}",
        st.sampled_from(IDS),
        st.sampled_from(["0", "100.00", "50.5", "150", "x", ""]),
    ),
    st.builds(
        lambda i, component, action, value: f"~DEVICE,{i},{component},{action}{value}",
        st.sampled_from(IDS),
        st.sampled_from(["1", "4", "6", "9", "81", "84", "86", "160", "200"]),
        st.sampled_from(["3", "4", "5", "6", "7", "9"]),
        st.sampled_from(["", ",0", ",1", ",2", ",7", ",1.5"]),
    ),
    st.builds(
        lambda i, state: f"~GROUP,{i},3,{state}",
        st.sampled_from(IDS),
        st.sampled_from(["3", "4", "255", "9", "x"]),
    ),
    st.text(max_size=30),
)


def _model(client: LipClient) -> list[dict[str, Any]]:
    return [
        asdict(client.state(device.serial)) for device in DATABASE.description.devices
    ]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(REPORT_LINES, max_size=12))
def test_house_client_line_fuzz(lines: list[str]) -> None:
    """H1, H3, H5, H6: whatever arrives, the client never raises, and only reports change the model."""
    client = LipClient("127.0.0.1", 23, "u", "p", session=None)  # type: ignore[arg-type]  # no network here
    client._tracker.set_description(DATABASE.description, DATABASE.occupancy_groups)
    splitter = LineSplitter(256)
    batches: deque[Any] = deque()
    for text in lines:
        for line in splitter.feed(text.encode(errors="replace") + b"\r\n"):
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
    for device in DATABASE.description.devices:
        for zone in client.state(device.serial).zones:
            assert 0.0 <= zone.level <= 100.0
