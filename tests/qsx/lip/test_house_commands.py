"""The whole house over LIP (docs/lip.md H1-H9): what each command does to the emulator, and what it reports.

Run on a manual clock against the house of `house.py`; the reports are those `event_reports` makes of the
emulator's events, as the server sends them.
"""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import LedState
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.commands import HELP_LINES
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import area_index
from custom_components.homeworks_qsx.qsx.emulator.lip.reports import event_reports
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.protocol import ErrorCode, Monitoring
from custom_components.homeworks_qsx.qsx.model import SystemDescription

from .house import (
    DIM_1,
    DIM_2,
    DIM_3,
    DIM_4,
    DIMMER,
    DIMMER_ID,
    HOMEOWNER_ID,
    KEYPAD,
    KEYPAD_ID,
    LOWER,
    PALLADIOM_ID,
    SCENE,
    SENSOR,
    SENSOR_ID,
    SHADE,
    SHADE_BUTTON,
    SHADE_ID,
    SHADE_OUT,
    TILT_OUT,
    TILT_SHADE,
    TIMECLOCK,
    TOGGLE,
    house_description,
)
from .test_commands import Harness


@pytest.fixture
def description() -> SystemDescription:
    """Return the whole house."""
    return house_description()


@pytest.fixture
def lip(manual_emulator: Emulator) -> Harness:
    """Return the processor over the manual-clock emulator of the house."""
    return Harness(manual_emulator)


class Reports:
    """The report lines the emulator's events make, with their monitoring type, in order."""

    def __init__(self, lip: Harness) -> None:
        """Follow `lip`'s emulator."""
        self.lines: list[tuple[Monitoring, str]] = []
        self._lip = lip
        lip.emulator.events.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.lines.extend(
            (kind, line)
            for kind, line, _ in event_reports(
                self._lip.emulator, event, self._lip.processor
            )
        )

    def take(self, kind: Monitoring | None = None) -> list[str]:
        """Return the lines recorded (of one monitoring type), and forget every line."""
        lines = [line for k, line in self.lines if kind is None or k == kind]
        self.lines.clear()
        return lines


@pytest.fixture
def reports(lip: Harness) -> Reports:
    """Return the report recorder of the harness's emulator."""
    return Reports(lip)


def level(emulator: Emulator, serial: str, output: int = 1) -> float:
    """Return the level of an output."""
    return emulator.state(serial).zones[output - 1].level


def test_h1_dimmed_level_with_fade_reported_at_once(
    lip: Harness, reports: Reports
) -> None:
    """H1, LP27: `#OUTPUT` with a fade sets a dimmed zone, reported at its target at once; `?OUTPUT` reads it."""
    result = lip.run(f"#OUTPUT,{DIM_1},1,42.5,2")
    assert result.outputs == [DIM_1]
    assert level(lip.emulator, DIMMER) == 42.5
    assert reports.take(Monitoring.ZONE) == [f"~OUTPUT,{DIM_1},1,42.50"]
    assert lip.lines(f"?OUTPUT,{DIM_1},1") == [f"~OUTPUT,{DIM_1},1,42.50"]
    assert lip.lines(f"?OUTPUT,{DIM_2}") == [f"~OUTPUT,{DIM_2},1,0.00"]
    lip.run(f"#OUTPUT,{DIM_1},1,0")
    assert reports.take(Monitoring.ZONE) == [f"~OUTPUT,{DIM_1},1,0.00"]


def test_h1_delayed_level_replaces_pending_change(
    lip: Harness, scheduler: ManualScheduler
) -> None:
    """H1: a delay postpones a level; a later command to the output replaces the pending change."""
    assert lip.run(f"#OUTPUT,{DIM_2},1,80,0,5").outputs == []
    assert level(lip.emulator, DIMMER, 2) == 0.0
    scheduler.advance(5)
    assert level(lip.emulator, DIMMER, 2) == 80.0
    lip.run(f"#OUTPUT,{DIM_2},1,10,0,5")
    lip.run(f"#OUTPUT,{DIM_2},3")  # a raise, lower or stop replaces it too
    lip.run(f"#OUTPUT,{DIM_2},4")
    scheduler.advance(10)
    assert level(lip.emulator, DIMMER, 2) == 80.0
    assert lip.processor.pending_changes == 0


def test_h1_shade_level(lip: Harness, reports: Reports) -> None:
    """H1, LP33: a shade's level is its percent open, reported at its target; the fade is accepted and ignored."""
    lip.run(f"#OUTPUT,{SHADE_OUT},1,75,10")
    assert level(lip.emulator, SHADE) == 75.0
    assert reports.take(Monitoring.ZONE) == [f"~OUTPUT,{SHADE_OUT},1,75.00"]
    assert lip.lines(f"?OUTPUT,{SHADE_OUT}") == [f"~OUTPUT,{SHADE_OUT},1,75.00"]


def test_h2_raise_and_stop_a_dimmed_zone(
    lip: Harness, reports: Reports, scheduler: ManualScheduler
) -> None:
    """H2, LP27: raise starts a ramp (reported at its start), stop ends it at the level reached (reported)."""
    assert lip.run(f"#OUTPUT,{DIM_3},2").outputs == [DIM_3]
    scheduler.advance(2.5)
    lip.run(f"#OUTPUT,{DIM_3},4")
    reached = level(lip.emulator, DIMMER, 3)
    assert 40.0 <= reached <= 60.0
    lines = reports.take(Monitoring.ZONE)
    assert lines[-1] == f"~OUTPUT,{DIM_3},1,{reached:.2f}"


def test_h2_lower_a_shade_and_ha_stop_quirk(
    lip: Harness, scheduler: ManualScheduler
) -> None:
    """H2, LP33: lower moves a shade until stop; a stop right after a raise leaves it where it was."""
    lip.run(f"#OUTPUT,{SHADE_OUT},1,100")
    lip.run(f"#OUTPUT,{SHADE_OUT},3")
    scheduler.advance(10)
    lip.run(f"#OUTPUT,{SHADE_OUT},4")
    assert 40.0 <= level(lip.emulator, SHADE) <= 60.0
    before = level(lip.emulator, SHADE)
    lip.run(f"#OUTPUT,{SHADE_OUT},2")
    lip.run(f"#OUTPUT,{SHADE_OUT},4")
    assert level(lip.emulator, SHADE) == before


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (f"#OUTPUT,{DIM_1},5", ErrorCode.INVALID_ACTION),  # H2: no flash
        (f"#OUTPUT,{DIM_1},2,1", ErrorCode.PARAMETER_COUNT),
        (f"#OUTPUT,{DIM_1},1", ErrorCode.PARAMETER_COUNT),
        (f"#OUTPUT,{DIM_1},1,101", ErrorCode.OUT_OF_RANGE),
        (f"#OUTPUT,{DIM_1},1,50,5:00:00", ErrorCode.OUT_OF_RANGE),
        (f"#OUTPUT,{DIM_1},1,x", ErrorCode.MALFORMED),
        (f"#OUTPUT,{TILT_OUT},9,50", ErrorCode.INVALID_ACTION),  # H2: no tilt over LIP
        (f"?OUTPUT,{SHADE_OUT},2", ErrorCode.INVALID_ACTION),
    ],
)
def test_h1_h2_output_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """H1, H2: a refused level command changes nothing."""
    assert lip.error(line) == code


def test_h3_press_is_a_tap_running_the_programming(
    lip: Harness, reports: Reports
) -> None:
    """H3, LP39: `#DEVICE,<keypad>,<button>,3` is a whole tap: press and release reported, the scene set."""
    assert lip.run(f"#DEVICE,{KEYPAD_ID},{SCENE},3").lines == []
    assert reports.take(Monitoring.BUTTON) == [
        f"~DEVICE,{KEYPAD_ID},{SCENE},3",
        f"~DEVICE,{KEYPAD_ID},{SCENE},4",
    ]
    assert level(lip.emulator, DIMMER, 1) == 60.0
    # pylutron's tap(): press then release; the release after a tap does nothing.
    lip.run(f"#DEVICE,{KEYPAD_ID},{TOGGLE},3")
    lip.run(f"#DEVICE,{KEYPAD_ID},{TOGGLE},4")
    assert reports.take(Monitoring.BUTTON) == [
        f"~DEVICE,{KEYPAD_ID},{TOGGLE},3",
        f"~DEVICE,{KEYPAD_ID},{TOGGLE},4",
    ]
    assert level(lip.emulator, DIMMER, 3) == 100.0


def test_h3_hold_long_press_and_release(
    lip: Harness, reports: Reports, scheduler: ManualScheduler
) -> None:
    """H3, LP39: a hold reports 3, then 5 (the long press) after 2 s, then 4 at the release; lower ramps meanwhile."""
    lip.run(f"#OUTPUT,{DIM_4},1,100")
    reports.take()
    lip.run(f"#DEVICE,{KEYPAD_ID},{LOWER},5")
    scheduler.advance(2.5)
    lip.run(f"#DEVICE,{KEYPAD_ID},{LOWER},4")
    assert reports.take(Monitoring.BUTTON) == [
        f"~DEVICE,{KEYPAD_ID},{LOWER},3",
        f"~DEVICE,{KEYPAD_ID},{LOWER},5",
        f"~DEVICE,{KEYPAD_ID},{LOWER},4",
    ]
    assert level(lip.emulator, DIMMER, 4) < 100.0


def test_h3_double_tap(lip: Harness, reports: Reports) -> None:
    """H3, LP39: a double tap reports a tap, then a multi-tap (6) and its release."""
    lip.run(f"#DEVICE,{KEYPAD_ID},{SCENE},6")
    assert reports.take(Monitoring.BUTTON) == [
        f"~DEVICE,{KEYPAD_ID},{SCENE},3",
        f"~DEVICE,{KEYPAD_ID},{SCENE},4",
        f"~DEVICE,{KEYPAD_ID},{SCENE},6",
        f"~DEVICE,{KEYPAD_ID},{SCENE},4",
    ]


def test_h5_led_follows_programming_and_client_writes(
    lip: Harness, reports: Reports
) -> None:
    """H5, LP42: a scene's LED lights when its scene is set; a client's write shows until programming drives it."""
    led = 80 + SCENE
    assert lip.lines(f"?DEVICE,{KEYPAD_ID},{led},9") == [
        f"~DEVICE,{KEYPAD_ID},{led},9,0"
    ]
    lip.run(f"#DEVICE,{KEYPAD_ID},{SCENE},3")
    assert f"~DEVICE,{KEYPAD_ID},{led},9,1" in reports.take(Monitoring.LED)
    assert lip.lines(f"?DEVICE,{KEYPAD_ID},{led},9") == [
        f"~DEVICE,{KEYPAD_ID},{led},9,1"
    ]
    bare = 80 + 6
    result = lip.run(f"#DEVICE,{KEYPAD_ID},{bare},9,1")
    assert result.leds == [(KEYPAD_ID, bare)]
    assert reports.take(Monitoring.LED) == [f"~DEVICE,{KEYPAD_ID},{bare},9,1"]
    assert lip.emulator.state(KEYPAD).indicators[6] is LedState.ON
    assert lip.processor.led_state(KEYPAD_ID, bare) == 1
    lip.run(f"#DEVICE,{KEYPAD_ID},{bare},9,0")
    assert lip.emulator.state(KEYPAD).indicators[6] is LedState.OFF


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (f"#DEVICE,{KEYPAD_ID},9,3", ErrorCode.OBJECT_NOT_FOUND),  # H4: no button 9
        (f"#DEVICE,{KEYPAD_ID},81,3", ErrorCode.INVALID_ACTION),  # an LED is set with 9
        (
            f"#DEVICE,{KEYPAD_ID},{80 + LOWER},9,1",
            ErrorCode.OBJECT_NOT_FOUND,
        ),  # no LED 4
        (f"#DEVICE,{KEYPAD_ID},81,9,2", ErrorCode.OUT_OF_RANGE),  # H5: on or off only
        (f"#DEVICE,{KEYPAD_ID},81,9", ErrorCode.PARAMETER_COUNT),
        (f"#DEVICE,{KEYPAD_ID},1,7", ErrorCode.INVALID_ACTION),
        (f"#DEVICE,{KEYPAD_ID},1,3,1", ErrorCode.PARAMETER_COUNT),
        (f"#DEVICE,{KEYPAD_ID},200,3", ErrorCode.OBJECT_NOT_FOUND),
        (
            f"?DEVICE,{KEYPAD_ID},1,9",
            ErrorCode.INVALID_ACTION,
        ),  # H4: a button has no state
        (f"?DEVICE,{KEYPAD_ID},9,9", ErrorCode.OBJECT_NOT_FOUND),
        (f"?DEVICE,{KEYPAD_ID},81,35", ErrorCode.INVALID_ACTION),
        (f"?DEVICE,{KEYPAD_ID},84,9", ErrorCode.OBJECT_NOT_FOUND),
        (f"#DEVICE,{SHADE_ID},1,3", ErrorCode.OBJECT_NOT_FOUND),  # H7
        (f"?DEVICE,{DIMMER_ID},81,9", ErrorCode.OBJECT_NOT_FOUND),
        (f"#DEVICE,{SENSOR_ID},1,3,1", ErrorCode.PARAMETER_COUNT),
        (f"#DEVICE,{SENSOR_ID},1,3", ErrorCode.OBJECT_NOT_FOUND),
    ],
)
def test_h4_h5_h7_device_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """H4, H5, H7: refused `DEVICE` lines change nothing."""
    assert lip.error(line) == code


def test_h6_occupancy_groups(lip: Harness, reports: Reports) -> None:
    """H6, LP44: a room with a sensor answers vacant or occupied and reports changes; one without answers 255."""
    areas = area_index(lip.emulator.description)
    kitchen, living = areas.ids["Kitchen"], areas.ids["Living"]
    assert lip.lines(f"?GROUP,{kitchen},3") == [f"~GROUP,{kitchen},3,4"]
    assert lip.lines(f"?GROUP,{living},3") == [f"~GROUP,{living},3,255"]
    lip.run(f"#EMULATOR,{SENSOR_ID},OCCUPANCY,OCCUPIED")
    assert reports.take(Monitoring.OCCUPANCY) == [f"~GROUP,{kitchen},3,3"]
    assert lip.lines(f"?GROUP,{kitchen},3") == [f"~GROUP,{kitchen},3,3"]
    lip.run(f"#EMULATOR,{SENSOR_ID},OCCUPANCY,4")
    assert reports.take(Monitoring.OCCUPANCY) == [f"~GROUP,{kitchen},3,4"]
    assert lip.error(f"?GROUP,{SENSOR_ID},3") == ErrorCode.OBJECT_NOT_FOUND


def test_h8_a_person_presses_and_moves(lip: Harness, reports: Reports) -> None:
    """H8: `#EMULATOR` presses keypad buttons, moves a shade by hand, sets a dimmed zone at its control."""
    lip.run(f"#EMULATOR,{KEYPAD_ID},TAP,{SHADE_BUTTON}")
    assert reports.take(Monitoring.BUTTON) == [
        f"~DEVICE,{KEYPAD_ID},{SHADE_BUTTON},3",
        f"~DEVICE,{KEYPAD_ID},{SHADE_BUTTON},4",
    ]
    lip.run(f"#EMULATOR,{KEYPAD_ID},HOLD,{SCENE}")
    lip.run(f"#EMULATOR,{KEYPAD_ID},RELEASE,{SCENE}")
    lip.run(f"#EMULATOR,{PALLADIOM_ID},DOUBLETAP,4")
    assert reports.take(Monitoring.BUTTON)[-2:] == [
        f"~DEVICE,{PALLADIOM_ID},4,6",
        f"~DEVICE,{PALLADIOM_ID},4,4",
    ]
    lip.run(f"#EMULATOR,{SHADE_ID},LEVEL,30")
    assert level(lip.emulator, SHADE) == 30.0
    assert reports.take(Monitoring.ZONE) == [f"~OUTPUT,{SHADE_OUT},1,30.00"]
    lip.run(f"#EMULATOR,{DIMMER_ID},LEVEL,25.5,2")
    assert level(lip.emulator, DIMMER, 2) == 25.5
    assert reports.take(Monitoring.ZONE) == [f"~OUTPUT,{DIM_2},1,25.50"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (f"#EMULATOR,{KEYPAD_ID},TAP,9", ErrorCode.OBJECT_NOT_FOUND),
        (f"#EMULATOR,{KEYPAD_ID},TAP,x", ErrorCode.MALFORMED),
        (f"#EMULATOR,{SHADE_ID},TAP,1", ErrorCode.INVALID_ACTION),
        (f"#EMULATOR,{KEYPAD_ID},OCCUPANCY,1", ErrorCode.INVALID_ACTION),
        (f"#EMULATOR,{SENSOR_ID},OCCUPANCY,MAYBE", ErrorCode.MALFORMED),
        (f"#EMULATOR,{SENSOR_ID},OCCUPANCY,1,2", ErrorCode.PARAMETER_COUNT),
        (f"#EMULATOR,{KEYPAD_ID},LEVEL,30", ErrorCode.INVALID_ACTION),
        (f"#EMULATOR,{SHADE_ID},LEVEL,130", ErrorCode.OUT_OF_RANGE),
        (f"#EMULATOR,{SHADE_ID},LEVEL,30,2", ErrorCode.INVALID_ACTION),
        (f"#EMULATOR,{SHADE_ID},LEVEL,x", ErrorCode.MALFORMED),
        (f"#EMULATOR,{KEYPAD_ID},CCI,OPEN", ErrorCode.INVALID_ACTION),
        (f"#EMULATOR,{SENSOR_ID},TEMP,30", ErrorCode.INVALID_ACTION),
    ],
)
def test_h8_emulator_errors(lip: Harness, line: str, code: ErrorCode) -> None:
    """H8: a word the device does not take, or a bad value, is refused and changes nothing."""
    assert lip.error(line) == code


def test_h7_details_and_integration_ids_of_house_devices(lip: Harness) -> None:
    """H7: `?DETAILS` names each device's database type and model; `?INTEGRATIONID` knows every id."""
    details = lip.lines(f"?DETAILS,{KEYPAD_ID}")[0]
    assert details.startswith(f"~DETAILS,SN:{KEYPAD},IntegrationID:{KEYPAD_ID},")
    assert "Family:SEETOUCH_KEYPAD,Product:HQWT-S-P6W," in details
    assert "Family:QS_DIMMING_POWER_MODULE" in lip.lines(f"?DETAILS,{DIMMER}")[0]
    assert "Family:HOMEOWNER_KEYPAD" in lip.lines(f"?DETAILS,{HOMEOWNER_ID}")[0]
    assert lip.lines("?DETAILS,1")[0].startswith(
        "~DETAILS,SN:0ABCDEF1,IntegrationID:1,"
    )
    assert lip.lines(f"?INTEGRATIONID,3,{SHADE_OUT}") == [
        f"~INTEGRATIONID,3,{SHADE_OUT},OUTPUT,{SHADE}"
    ]
    assert lip.lines(f"?INTEGRATIONID,3,{SENSOR_ID}") == [
        f"~INTEGRATIONID,3,{SENSOR_ID},DEVICE,{SENSOR}"
    ]


def test_help_lists_the_house_commands() -> None:
    """`?HELP` lists the keypad, shade and occupancy lines and the `#EMULATOR` words of H8."""
    text = "\n".join(HELP_LINES)
    for expected in (
        "#OUTPUT,<dimmed or shade id>,<2 raise|3 lower|4 stop>",
        "#DEVICE,<keypad>,<button>,<3 press|4 release|5 hold|6 double tap>",
        "#EMULATOR,<keypad>,<TAP|HOLD|RELEASE|DOUBLETAP>,<button>",
        "#EMULATOR,<occupancy sensor>,OCCUPANCY,<OCCUPIED|1|3|VACANT|0|4>",
        "LEVEL,<0-100>[,<output>]",
    ):
        assert expected in text


def test_h7_timeclocks_have_no_details_and_tilt_is_not_reported(lip: Harness) -> None:
    """H7: a timeclock is no LIP device; H2: a tilt change has no LIP report."""
    assert lip.error(f"?DETAILS,{TIMECLOCK}") == ErrorCode.OBJECT_NOT_FOUND
    tilt = Event(EventKind.TILT, TILT_SHADE, 1, 50.0)
    assert event_reports(lip.emulator, tilt, lip.processor) == []
    assert event_reports(lip.emulator, Event(EventKind.LEVEL, "gone", 1, 5.0)) == []
