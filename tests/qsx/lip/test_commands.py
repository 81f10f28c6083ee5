"""What each LIP command does to the emulator and what it answers (lip.md), on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree as ET

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import Button, LedState
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.commands import (
    CommandProcessor,
    Result,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.emulator.lip.reports import event_reports
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.protocol import (
    DEFAULT_MONITORING,
    ErrorCode,
    LipError,
    Monitoring,
    parse_line,
)
from custom_components.homeworks_qsx.qsx.model import DeviceDescription


class Harness:
    """A command processor whose delayed commands run on the emulator's manual clock."""

    def __init__(self, emulator: Emulator) -> None:
        """Serve `emulator`."""
        self.emulator = emulator
        self.processor = CommandProcessor(emulator, emulator.call_later)
        self.monitoring: set[int] = set(DEFAULT_MONITORING)

    def run(self, line: str) -> Result:
        """Run one line."""
        message = parse_line(line)
        assert message is not None
        return self.processor.execute(message, self.monitoring)

    def lines(self, line: str) -> list[str]:
        """Run one line and return its reply lines."""
        return self.run(line).lines

    def error(self, line: str) -> ErrorCode:
        """Run a line that must be refused; return its error code (and check nothing changed)."""
        before = self.emulator.export_state()
        with pytest.raises(LipError) as err:
            self.run(line)
        assert self.emulator.export_state() == before
        return err.value.code


@pytest.fixture
def lip(manual_emulator: Emulator) -> Harness:
    """Return the processor over the manual-clock emulator."""
    return Harness(manual_emulator)


@pytest.fixture
def module(manual_emulator: Emulator) -> DeviceDescription:
    """Return the first module (maintained CCO, CCI group `emergency`)."""
    return manual_emulator.description.modules[0]


@pytest.fixture
def momentary(manual_emulator: Emulator) -> DeviceDescription:
    """Return the second module (momentary CCO, 0.5 s pulse)."""
    return manual_emulator.description.modules[1]


def zone_on(emulator: Emulator, module: DeviceDescription, zone: int) -> bool:
    """Whether a zone is reported on."""
    return emulator.state(module.serial).zones[zone - 1].on


def test_query_output(lip: Harness, module: DeviceDescription) -> None:
    """`?OUTPUT,<id>,1` and `?OUTPUT,<id>` answer the level with two decimals."""
    zone = module.zones[0].integration_id
    assert lip.lines(f"?OUTPUT,{zone},1") == [f"~OUTPUT,{zone},1,0.00"]
    lip.emulator.set_zone(module.serial, 1, True)
    assert lip.lines(f"?OUTPUT,{zone}") == [f"~OUTPUT,{zone},1,100.00"]
    assert lip.lines(f"?OUTPUT,{module.cco.integration_id},1") == [
        f"~OUTPUT,{module.cco.integration_id},1,0.00"
    ]
    assert lip.processor.output_level(zone) == 100.0


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("?OUTPUT", ErrorCode.PARAMETER_COUNT),
        ("?OUTPUT,101,1,1", ErrorCode.PARAMETER_COUNT),
        ("?OUTPUT,999,1", ErrorCode.OBJECT_NOT_FOUND),
        ("?OUTPUT,100,1", ErrorCode.OBJECT_NOT_FOUND),  # a module id is not an output
        ("?OUTPUT,x,1", ErrorCode.MALFORMED),
        ("?OUTPUT,101,2", ErrorCode.INVALID_ACTION),
        ("#OUTPUT", ErrorCode.PARAMETER_COUNT),
        ("#OUTPUT,101", ErrorCode.PARAMETER_COUNT),
        ("#OUTPUT,101,1", ErrorCode.PARAMETER_COUNT),
        ("#OUTPUT,101,1,100,1,1,1", ErrorCode.PARAMETER_COUNT),
        ("#OUTPUT,999,1,100", ErrorCode.OBJECT_NOT_FOUND),
        ("#OUTPUT,101,1,101", ErrorCode.OUT_OF_RANGE),
        ("#OUTPUT,101,1,-1", ErrorCode.OUT_OF_RANGE),
        ("#OUTPUT,101,1,high", ErrorCode.MALFORMED),
        ("#OUTPUT,101,1,100,fast", ErrorCode.MALFORMED),
        ("#OUTPUT,101,1,100,0,4:00:01", ErrorCode.OUT_OF_RANGE),
        ("#OUTPUT,101,1,100,0,x", ErrorCode.MALFORMED),
        ("#OUTPUT,101,2", ErrorCode.INVALID_ACTION),  # raise: a relay does not raise
        ("#OUTPUT,101,3", ErrorCode.INVALID_ACTION),
        ("#OUTPUT,101,4", ErrorCode.INVALID_ACTION),
        ("#OUTPUT,101,5", ErrorCode.INVALID_ACTION),
        ("#OUTPUT,101,6", ErrorCode.INVALID_ACTION),  # a zone is not pulsed
        ("#OUTPUT,101,x,1", ErrorCode.MALFORMED),
        ("#OUTPUT,105,2", ErrorCode.INVALID_ACTION),
        ("#OUTPUT,105,6,1,1", ErrorCode.PARAMETER_COUNT),
        ("#OUTPUT,105,6,0.2", ErrorCode.OUT_OF_RANGE),
        ("#OUTPUT,105,6,3601", ErrorCode.OUT_OF_RANGE),
        ("#OUTPUT,105,6,soon", ErrorCode.MALFORMED),
    ],
)
def test_output_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """Bad OUTPUT lines get the guide's error code and change nothing."""
    assert lip.error(line) is code


def test_set_zone_levels(lip: Harness, module: DeviceDescription) -> None:
    """A switched zone is on for any level above 0; the sender must get the resulting level."""
    zone = module.zones[1].integration_id
    result = lip.run(f"#OUTPUT,{zone},1,0.01")
    assert result == Result(lines=[], outputs=[zone])
    assert zone_on(lip.emulator, module, 2)
    lip.run(f"#OUTPUT,{zone},1,00")
    assert not zone_on(lip.emulator, module, 2)
    lip.run(f"#OUTPUT,{zone},1,75.5,0:00:02")  # fade accepted and ignored
    assert zone_on(lip.emulator, module, 2)


def test_delayed_command(
    lip: Harness, module: DeviceDescription, scheduler: ManualScheduler
) -> None:
    """A delay postpones the change (rounded down to a quarter second); nothing is answered at once."""
    zone = module.zones[0].integration_id
    assert lip.run(f"#OUTPUT,{zone},1,100,0,1:30.3") == Result()
    scheduler.advance(90.0)
    assert not zone_on(lip.emulator, module, 1)
    scheduler.advance(0.25)
    assert zone_on(lip.emulator, module, 1)
    cco = module.cco.integration_id
    lip.run(f"#OUTPUT,{cco},1,100,0,2")
    scheduler.advance(2)
    assert lip.emulator.state(module.serial).cco_closed


def test_one_pending_delayed_change_per_output(
    lip: Harness, module: DeviceDescription, scheduler: ManualScheduler
) -> None:
    """A later command to an output replaces its pending delayed change: their number stays bounded."""
    zone = module.zones[0].integration_id
    for _ in range(1000):
        lip.run(f"#OUTPUT,{zone},1,100,0,4:00:00")
    assert lip.processor.pending_changes == 1
    lip.run(f"#OUTPUT,{zone},1,100,0,1")  # replaces the 4 h one
    scheduler.advance(1)
    assert zone_on(lip.emulator, module, 1)
    assert lip.processor.pending_changes == 0
    lip.run(f"#OUTPUT,{zone},1,0,0,1")
    lip.run(f"#OUTPUT,{zone},1,100")  # a command without delay replaces it too
    scheduler.advance(5)
    assert zone_on(lip.emulator, module, 1)
    cco = module.cco.integration_id
    lip.run(f"#OUTPUT,{cco},1,100,0,1")
    lip.run(f"#OUTPUT,{cco},6,0.25")  # a pulse replaces the pending close
    scheduler.advance(2)
    assert not lip.emulator.state(module.serial).cco_closed
    lip.run(f"#OUTPUT,{zone},1,0,0,1")
    with pytest.raises(LipError):
        lip.run(f"#OUTPUT,{zone},1,0,0,5:00:00")  # refused: nothing replaced
    assert lip.processor.pending_changes == 1
    lip.processor.cancel_pending()
    scheduler.advance(2)
    assert zone_on(lip.emulator, module, 1)


def test_maintained_cco(lip: Harness, module: DeviceDescription) -> None:
    """A maintained CCO closes for a level above 0 and opens at 0."""
    cco = module.cco.integration_id
    assert lip.run(f"#OUTPUT,{cco},1,100").outputs == [cco]
    assert lip.emulator.state(module.serial).cco_closed
    lip.run(f"#OUTPUT,{cco},1,0")
    assert not lip.emulator.state(module.serial).cco_closed


def test_pulse(
    lip: Harness,
    module: DeviceDescription,
    momentary: DeviceDescription,
    scheduler: ManualScheduler,
) -> None:
    """Action 6 pulses a CCO for the given time (default: its configured pulse); a momentary CCO pulses on 100."""
    cco = module.cco.integration_id
    assert lip.run(f"#OUTPUT,{cco},6,2.5").outputs == [cco]
    assert lip.emulator.state(module.serial).cco_closed
    scheduler.advance(2.4)
    assert lip.emulator.state(module.serial).cco_closed
    scheduler.advance(0.1)
    assert not lip.emulator.state(module.serial).cco_closed
    lip.run(f"#OUTPUT,{cco},6")  # the configured 0.5 s
    scheduler.advance(0.49)
    assert lip.emulator.state(module.serial).cco_closed
    scheduler.advance(0.01)
    assert not lip.emulator.state(module.serial).cco_closed
    lip.run(f"#OUTPUT,{momentary.cco.integration_id},1,100")
    assert lip.emulator.state(momentary.serial).cco_closed
    scheduler.advance(0.5)
    assert not lip.emulator.state(momentary.serial).cco_closed


def test_ignored_commands_answer_the_real_level(
    lip: Harness, module: DeviceDescription
) -> None:
    """C3: in override a command is accepted without error, changes nothing, and the real level is answered."""
    lip.emulator.set_cci(module.serial, True)
    zone = module.zones[0].integration_id
    before = lip.emulator.export_state()
    assert lip.run(f"#OUTPUT,{zone},1,0") == Result(outputs=[zone])
    assert lip.run(f"#OUTPUT,{module.cco.integration_id},6") == Result(
        outputs=[module.cco.integration_id]
    )
    assert lip.run(f"#DEVICE,{module.integration_id},5,3") == Result(
        outputs=[z.integration_id for z in module.zones]
    )
    assert lip.run(f"#DEVICE,{module.integration_id},2,3") == Result(
        outputs=[module.zones[1].integration_id]
    )
    assert lip.emulator.export_state() == before
    assert lip.processor.output_level(zone) == 100.0


def test_buttons(lip: Harness, module: DeviceDescription) -> None:
    """M8: a zone button toggles its zone; Prog switches all four; a release does nothing."""
    device = module.integration_id
    assert lip.run(f"#DEVICE,{device},1,3") == Result()
    assert zone_on(lip.emulator, module, 1)
    lip.run(f"#DEVICE,{device},1,4")
    assert zone_on(lip.emulator, module, 1)
    lip.run(f"#DEVICE,{device},5,3")
    assert not any(zone_on(lip.emulator, module, n) for n in range(1, 5))
    lip.run(f"#DEVICE,{device},5,3")
    assert all(zone_on(lip.emulator, module, n) for n in range(1, 5))


def test_query_device(lip: Harness, module: DeviceDescription) -> None:
    """The CCI answers 3 (closed) or 4 (open); LEDs 81-85 answer their state."""
    device = module.integration_id
    assert lip.lines(f"?DEVICE,{device},11,35") == [f"~DEVICE,{device},11,3"]
    assert lip.lines(f"?DEVICE,{device},85,9") == [f"~DEVICE,{device},85,9,1"]
    assert lip.lines(f"?DEVICE,{device},81,9") == [f"~DEVICE,{device},81,9,0"]
    lip.emulator.set_cci(module.serial, True)
    assert lip.lines(f"?DEVICE,{device},11,35") == [f"~DEVICE,{device},11,4"]
    assert lip.lines(f"?DEVICE,{device},85,9") == [
        f"~DEVICE,{device},85,9,{int(LedState.RAPID_FLASH)}"
    ]
    assert lip.lines(f"?DEVICE,{device},84,9") == [
        f"~DEVICE,{device},84,9,0"
    ]  # zone 4: override level off
    assert lip.lines(f"?DEVICE,{device},83,9") == [f"~DEVICE,{device},83,9,1"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("#DEVICE,100,1", ErrorCode.PARAMETER_COUNT),
        ("#DEVICE,100,1,3,1", ErrorCode.PARAMETER_COUNT),
        ("#DEVICE,999,1,3", ErrorCode.OBJECT_NOT_FOUND),
        (
            "#DEVICE,1,1,3",
            ErrorCode.OBJECT_NOT_FOUND,
        ),  # the processor has no such component here
        ("#DEVICE,101,1,3", ErrorCode.OBJECT_NOT_FOUND),  # an output id is not a device
        ("#DEVICE,100,6,3", ErrorCode.OBJECT_NOT_FOUND),
        ("#DEVICE,100,1,5", ErrorCode.INVALID_ACTION),
        ("#DEVICE,100,11,3", ErrorCode.INVALID_ACTION),
        ("#DEVICE,100,81,9,1", ErrorCode.PARAMETER_COUNT),
        ("#DEVICE,100,85,9", ErrorCode.INVALID_ACTION),
        ("#DEVICE,100,x,3", ErrorCode.MALFORMED),
        ("?DEVICE,100,11", ErrorCode.PARAMETER_COUNT),
        ("?DEVICE,100,11,9", ErrorCode.INVALID_ACTION),
        ("?DEVICE,100,81,35", ErrorCode.INVALID_ACTION),
        ("?DEVICE,100,1,3", ErrorCode.INVALID_ACTION),
        ("?DEVICE,100,86,9", ErrorCode.OBJECT_NOT_FOUND),
        ("?DEVICE,999,81,9", ErrorCode.OBJECT_NOT_FOUND),
    ],
)
def test_device_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """Bad DEVICE lines get the guide's error code and change nothing."""
    assert lip.error(line) is code


def test_monitoring(lip: Harness) -> None:
    """Defaults at login are 3,4,5,6,8,11,12; 255 means every type but 11 and 12."""
    assert lip.lines("?MONITORING,5") == ["~MONITORING,5,1"]
    assert lip.lines("?MONITORING,1") == ["~MONITORING,1,2"]
    assert lip.lines("?MONITORING,255") == ["~MONITORING,255,2"]
    lip.run("#MONITORING,255,1")
    assert lip.lines("?MONITORING,255") == ["~MONITORING,255,1"]
    lip.run("#MONITORING,12,2")
    lip.run("#MONITORING,255,2")
    assert lip.monitoring == {Monitoring.REPLY}
    lip.run("#MONITORING,3,1")
    assert lip.monitoring == {Monitoring.REPLY, Monitoring.BUTTON}
    assert lip.lines("?MONITORING,12") == ["~MONITORING,12,2"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("#MONITORING,5", ErrorCode.PARAMETER_COUNT),
        ("#MONITORING,0,1", ErrorCode.OUT_OF_RANGE),
        ("#MONITORING,254,1", ErrorCode.OUT_OF_RANGE),
        ("#MONITORING,5,3", ErrorCode.OUT_OF_RANGE),
        ("#MONITORING,5,x", ErrorCode.MALFORMED),
        ("?MONITORING", ErrorCode.PARAMETER_COUNT),
        ("?MONITORING,31", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_monitoring_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """Bad MONITORING lines are refused and leave the session's settings alone."""
    before = set(lip.monitoring)
    assert lip.error(line) is code
    assert lip.monitoring == before


def test_system(lip: Harness) -> None:
    """`?SYSTEM` 1 (time), 2 (date), 8 (firmware), 10 (database date, the keepalive)."""
    assert lip.lines("?SYSTEM,1") == ["~SYSTEM,1,00:00:00"]
    assert lip.lines("?SYSTEM,2") == ["~SYSTEM,2,01/01/2026"]
    assert lip.lines("?SYSTEM,8") == ["~SYSTEM,8,22.08.14f000"]
    assert lip.lines("?SYSTEM,10") == ["~SYSTEM,03/14/2026,12:30:00"]
    assert lip.error("?SYSTEM,5") is ErrorCode.INVALID_ACTION
    assert lip.error("?SYSTEM") is ErrorCode.PARAMETER_COUNT
    assert lip.error("#SYSTEM,1,12:00:00") is ErrorCode.UNSUPPORTED


def test_integration_ids(lip: Harness, module: DeviceDescription) -> None:
    """`?INTEGRATIONID,3,<id>` names the object and its device's serial; `,1,<serial>` gives the id."""
    serial = module.serial
    assert lip.lines("?INTEGRATIONID,3,1") == ["~INTEGRATIONID,3,1,DEVICE,0ABCDEF1"]
    assert lip.lines(f"?INTEGRATIONID,3,{module.integration_id}") == [
        f"~INTEGRATIONID,3,{module.integration_id},DEVICE,{serial}"
    ]
    assert lip.lines(f"?INTEGRATIONID,3,{module.cco.integration_id}") == [
        f"~INTEGRATIONID,3,{module.cco.integration_id},OUTPUT,{serial}"
    ]
    assert lip.lines(f"?INTEGRATIONID,1,{serial.lower()}") == [
        f"~INTEGRATIONID,1,{serial},{module.integration_id}"
    ]
    assert lip.lines("?INTEGRATIONID,1,0xABCDEF1") == ["~INTEGRATIONID,1,0ABCDEF1,1"]
    assert lip.error("?INTEGRATIONID,3,999") is ErrorCode.OBJECT_NOT_FOUND
    assert lip.error("?INTEGRATIONID,1,0000FFFF") is ErrorCode.OBJECT_NOT_FOUND
    assert lip.error("?INTEGRATIONID,1,XYZ") is ErrorCode.MALFORMED
    assert lip.error("?INTEGRATIONID,1,123456789") is ErrorCode.MALFORMED
    assert lip.error("?INTEGRATIONID,2,1") is ErrorCode.INVALID_ACTION
    assert lip.error("?INTEGRATIONID,3") is ErrorCode.PARAMETER_COUNT
    assert lip.error("#INTEGRATIONID,1,0ABCDEF1,5") is ErrorCode.UNSUPPORTED


def test_details(lip: Harness, module: DeviceDescription) -> None:
    """`?DETAILS` by integration id or serial, for the processor and for modules."""
    expected = (
        f"~DETAILS,SN:{module.serial},IntegrationID:{module.integration_id},Family:QS_SWITCHING_POWER_MODULE,"
        "Product:LQSE-4S8-120-D,CODE:3.012,Boot:1.003,HW:1.0"
    )
    assert lip.lines(f"?DETAILS,{module.integration_id}") == [expected]
    assert lip.lines(f"?DETAILS,{module.serial}") == [expected]
    processor = (
        "~DETAILS,SN:0ABCDEF1,IntegrationID:1,Family:HOMEWORKS_QSX_PROCESSOR,Product:HQP7-2,"
        "CODE:22.08.14f000,Boot:1.003,HW:1.0"
    )
    assert lip.lines("?DETAILS,1") == [processor]
    assert lip.lines("?DETAILS,0ABCDEF1")[0].startswith(
        "~DETAILS,SN:0ABCDEF1,IntegrationID:1,"
    )
    assert (
        lip.error(f"?DETAILS,{module.zones[0].integration_id}")
        is ErrorCode.OBJECT_NOT_FOUND
    )
    assert lip.error("?DETAILS,NOTHING") is ErrorCode.OBJECT_NOT_FOUND
    assert lip.error("?DETAILS") is ErrorCode.PARAMETER_COUNT


def test_occupancy_groups_of_the_database_answer(lip: Harness) -> None:
    """`?GROUP,<id>,3` answers for every occupancy group the database declares (255: no sensor, unknown)."""
    root = ET.fromstring(build_dbxml(lip.emulator.description))  # noqa: S314 - our own document
    groups = [
        int(group.get("OccupancyGroupNumber") or 0)
        for group in root.iter("OccupancyGroup")
    ]
    assigned = [
        int(area.get("OccupancyGroupAssignedToID") or 0)
        for area in root.iter("Area")
        if area.get("OccupancyGroupAssignedToID")
    ]
    assert groups == assigned
    assert len(groups) == 2
    for group in groups:
        assert lip.lines(f"?GROUP,{group},3") == [f"~GROUP,{group},3,255"]
    assert lip.error(f"?GROUP,{groups[0]},1") is ErrorCode.INVALID_ACTION
    assert (
        lip.error("?GROUP,1,3") is ErrorCode.OBJECT_NOT_FOUND
    )  # the processor is no group
    assert lip.error(f"?GROUP,{groups[0]}") is ErrorCode.PARAMETER_COUNT
    assert lip.error(f"#GROUP,{groups[0]},3") is ErrorCode.UNSUPPORTED


def test_help(lip: Harness) -> None:
    """`?HELP` lists the commands and every value `#EMULATOR` accepts, as plain lines (never `~` lines)."""
    lines = lip.lines("?HELP")
    assert any("#OUTPUT" in line for line in lines)
    assert "?GROUP,<area id>,3" in lines
    assert "LOGOUT" in lines
    assert "#EMULATOR,<module>,CCI,<OPEN|1|CLOSE|0|4|3>" in lines
    assert "#EMULATOR,<module>,POWER,<ON|1|OFF|0>" in lines
    assert "#EMULATOR,<module>,TEMP,<celsius, -40 to 150>" in lines
    assert not any(line.startswith("~") for line in lines)


@pytest.mark.parametrize(
    ("values", "check"),
    [
        ("CCI,1,0", lambda st: st.cci_open),
        ("CCI,4,3", lambda st: st.cci_open),  # the guide's CCI states
        ("POWER,01,0", lambda st: st.powered),
        ("LINK,1,00", lambda st: st.link_up),
        ("BYPASS,1,0", lambda st: st.bypass),
        ("PROGRAM,1,0", lambda st: st.program_mode),
    ],
)
def test_emulator_numeric_values(
    lip: Harness, module: DeviceDescription, values: str, check: Callable[..., bool]
) -> None:
    """`#EMULATOR` takes 1 and 0 beside its words (the CCI also the guide's 4 open and 3 closed)."""
    what, yes, no = values.split(",")
    lip.run(f"#EMULATOR,{module.integration_id},{what},{no}")
    assert not check(lip.emulator.state(module.serial))
    lip.run(f"#EMULATOR,{module.integration_id},{what},{yes}")
    assert check(lip.emulator.state(module.serial))


@pytest.mark.parametrize(
    ("line", "check"),
    [
        ("CCI,OPEN", lambda st: st.cci_open and st.override_active),
        ("POWER,OFF", lambda st: not st.powered),
        ("LINK,DOWN", lambda st: not st.link_up),
        ("BYPASS,ON", lambda st: st.bypass),
        ("PROGRAM,ON", lambda st: st.program_mode),
        ("TEMP,70.5", lambda st: st.temperature_c == 70.5 and st.high_temperature),
    ],
)
def test_emulator_commands(
    lip: Harness, module: DeviceDescription, line: str, check: Callable[..., bool]
) -> None:
    """`#EMULATOR` injects physical conditions; the opposite word undoes them."""
    lip.run(f"#EMULATOR,{module.integration_id},{line}")
    assert check(lip.emulator.state(module.serial))
    opposite = {"OPEN": "CLOSE", "OFF": "ON", "DOWN": "UP", "ON": "OFF", "70.5": "25"}
    what, value = line.split(",")
    lip.run(f"#EMULATOR,{module.integration_id},{what},{opposite[value]}")
    assert not check(lip.emulator.state(module.serial))


def test_emulator_cci_group(
    lip: Harness, module: DeviceDescription, momentary: DeviceDescription
) -> None:
    """C7: the CCI of a group opens for every module of the group."""
    lip.run(f"#EMULATOR,{module.integration_id},CCI,OPEN")
    assert lip.emulator.state(momentary.serial).override_active


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("#EMULATOR,100,CCI", ErrorCode.PARAMETER_COUNT),
        ("#EMULATOR,999,CCI,OPEN", ErrorCode.OBJECT_NOT_FOUND),
        ("#EMULATOR,100,CCI,AJAR", ErrorCode.MALFORMED),
        ("#EMULATOR,100,POWER,2", ErrorCode.MALFORMED),
        (
            "#EMULATOR,100,POWER,3",
            ErrorCode.MALFORMED,
        ),  # 3 and 4 are the CCI's states only
        ("#EMULATOR,100,SMOKE,ON", ErrorCode.INVALID_ACTION),
        ("#EMULATOR,100,TEMP,hot", ErrorCode.MALFORMED),
        ("#EMULATOR,100,TEMP,151", ErrorCode.OUT_OF_RANGE),
        ("#EMULATOR,100,TEMP,-41", ErrorCode.OUT_OF_RANGE),
        ("?EMULATOR,100,CCI", ErrorCode.UNSUPPORTED),
        ("?FOO,1", ErrorCode.UNSUPPORTED),
        ("~OUTPUT,101,1,100", ErrorCode.UNSUPPORTED),
    ],
)
def test_emulator_and_unsupported_errors(
    lip: Harness, line: str, code: ErrorCode
) -> None:
    """Bad `#EMULATOR` lines and unknown commands are refused and change nothing."""
    assert lip.error(line) is code


def test_event_reports(manual_emulator: Emulator, module: DeviceDescription) -> None:
    """Zone/CCO changes are `~OUTPUT` (type 5), CCI and buttons `~DEVICE` (type 3), LEDs `~DEVICE,…,9` (type 4)."""
    serial, device = module.serial, module.integration_id
    zone, cco = module.zones[2].integration_id, module.cco.integration_id
    cases = [
        (
            Event(EventKind.ZONE, serial, 3, True),
            [(Monitoring.ZONE, f"~OUTPUT,{zone},1,100.00", zone)],
        ),
        (
            Event(EventKind.ZONE, serial, 3, False),
            [(Monitoring.ZONE, f"~OUTPUT,{zone},1,0.00", zone)],
        ),
        (
            Event(EventKind.CCO, serial, None, True),
            [(Monitoring.ZONE, f"~OUTPUT,{cco},1,100.00", cco)],
        ),
        (
            Event(EventKind.CCI, serial, None, True),
            [(Monitoring.BUTTON, f"~DEVICE,{device},11,4", None)],
        ),
        (
            Event(EventKind.CCI, serial, None, False),
            [(Monitoring.BUTTON, f"~DEVICE,{device},11,3", None)],
        ),
        (
            Event(EventKind.LED, serial, 2, LedState.FLASH),
            [(Monitoring.LED, f"~DEVICE,{device},82,9,2", None)],
        ),
        (
            Event(EventKind.LED, serial, None, LedState.OFF),
            [(Monitoring.LED, f"~DEVICE,{device},85,9,0", None)],
        ),
        (
            Event(EventKind.BUTTON, serial, int(Button.PROG)),
            [
                (Monitoring.BUTTON, f"~DEVICE,{device},5,3", None),
                (Monitoring.BUTTON, f"~DEVICE,{device},5,4", None),
            ],
        ),
        (Event(EventKind.TEMPERATURE, serial, None, 70.0), []),
        (Event(EventKind.MODE, serial, None, "normal"), []),
        (Event(EventKind.DEVICE_REMOVED, "FFFFFFFF", None, module), []),
        (Event(EventKind.DEVICE_ADDED, None, None, module), []),
    ]
    for event, expected in cases:
        assert event_reports(manual_emulator, event) == expected
