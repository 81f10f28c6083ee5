"""A whole house built from the model's constructors: a dimming module, two shades, keypads, occupancy, a timeclock.

Integration tests set it up as an emulated system (`whole_house` fixture in conftest.py): the description is the
one the entry builds, so every kind of device reaches Home Assistant through the emulator, as it would from a file.
"""

from __future__ import annotations

from typing import Final

from custom_components.homeworks_qsx.qsx.const import KeypadType, ProgrammingModel
from custom_components.homeworks_qsx.qsx.model import (
    CcoDescription,
    ControlType,
    IndicatorDescription,
    LinkDescription,
    ProcessorDescription,
    SystemDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    ZoneDescription,
    dimming_module,
    keypad,
    occupancy_sensor,
    shade,
    switching_module,
    timeclock,
)
from tests.qsx.house import button

NAME: Final = "Whole house"
PROCESSOR: Final = "0B1C2D3E"
PANEL: Final = "20000001"
DIMMERS: Final = "20000002"
LIVING_SHADE: Final = "20000003"
STUDY_BLIND: Final = "20000004"
KITCHEN_KEYPAD: Final = "20000005"
HOMEOWNER_KEYPAD: Final = "20000006"
KITCHEN_SENSOR: Final = "20000007"
TIMECLOCK: Final = f"{PROCESSOR}-timeclock-1"

# Integration ids (one namespace, L3).
CHANDELIER_ID: Final = 21
SCONCES_ID: Final = 22
LIVING_SHADE_ZONE_ID: Final = 31
STUDY_BLIND_ZONE_ID: Final = 41

DIMMING_MODEL: Final = "LQSE-4A5-120-D"
SHADE_MODEL: Final = "QS Shade"
KEYPAD_MODEL: Final = "HQWT-U-P4W"
SENSOR_MODEL: Final = "LOS-CIR-450-WH"


def whole_house() -> SystemDescription:
    """Return the whole house: every kind of device the integration shows."""
    panel = switching_module(
        PANEL,
        10,
        "Kitchen panel",
        "Kitchen",
        zones=tuple(
            ZoneDescription(number, 10 + number, f"Zone {number}")
            for number in range(1, 5)
        ),
        cco=CcoDescription(15, "CCO"),
        link=1,
        address=1,
    )
    dimmers = dimming_module(
        DIMMERS,
        20,
        "Dining room dimmers",
        "Dining room",
        zones=(
            ZoneDescription(1, CHANDELIER_ID, "Chandelier", amps=2.0),
            ZoneDescription(2, SCONCES_ID, "Sconces", amps=1.0),
            ZoneDescription(3, 23, "Zone 3"),
            ZoneDescription(4, 24, ""),
        ),
        model_number=DIMMING_MODEL,
        link=1,
        address=2,
    )
    living_shade = shade(
        LIVING_SHADE,
        30,
        "Living room shade",
        "Living room",
        zone=ZoneDescription(1, LIVING_SHADE_ZONE_ID, "Shade"),
        model_number=SHADE_MODEL,
        link=1,
        address=3,
    )
    study_blind = shade(
        STUDY_BLIND,
        40,
        "Study blind",
        "Study",
        zone=ZoneDescription(
            1, STUDY_BLIND_ZONE_ID, "Blind", control_type=ControlType.SHADE_WITH_TILT
        ),
        model_number=SHADE_MODEL,
        link=1,
        address=4,
    )
    kitchen_keypad = keypad(
        KITCHEN_KEYPAD,
        50,
        "Kitchen keypad",
        "Kitchen",
        buttons=(
            button(
                1,
                51,
                "Dinner",
                ProgrammingModel.SINGLE_ACTION,
                (CHANDELIER_ID, 75.0),
                (SCONCES_ID, 40.0),
            ),
            button(2, 52, "", ProgrammingModel.TOGGLE, (SCONCES_ID, 100.0)),
            button(
                4,
                54,
                "Shade",
                ProgrammingModel.OPEN_STOP_CLOSE_STOP,
                (LIVING_SHADE_ZONE_ID, 100.0),
            ),
        ),
        leds=(
            IndicatorDescription(1, "LED 1", 151),
            IndicatorDescription(2, "LED 2", 152),
            IndicatorDescription(4, "LED 4", 154),
        ),
        model_number=KEYPAD_MODEL,
        link=1,
        address=5,
        device_type=KeypadType.PALLADIOM,
    )
    homeowner = keypad(
        HOMEOWNER_KEYPAD,
        60,
        "Homeowner keypad",
        "",
        buttons=(button(1, 61, "", ProgrammingModel.SINGLE_ACTION, (11, 100.0)),),
        leds=(IndicatorDescription(1, "LED 1", 161),),
        model_number="Homeowner Keypad",
        has_serial_number=False,
        device_type=KeypadType.HOMEOWNER,
    )
    sensor = occupancy_sensor(
        KITCHEN_SENSOR, 70, "Kitchen sensor", "Kitchen", model_number=SENSOR_MODEL
    )
    clock = timeclock(
        TIMECLOCK,
        1,
        "Outdoor timeclock",
        schedule=(
            TimeclockEventDescription(
                1,
                "Dusk",
                TimeclockEventType.SUNSET,
                offset_minutes=10,
                integration_id=81,
                targets=((11, 100.0),),
            ),
        ),
    )
    return SystemDescription(
        name=NAME,
        guid="6f9619ff-8b86-d011-b42d-00c04fc964ff",
        processor=ProcessorDescription(PROCESSOR),
        links=(LinkDescription(1), LinkDescription(2)),
        devices=(
            panel,
            dimmers,
            living_shade,
            study_blind,
            kitchen_keypad,
            homeowner,
            sensor,
            clock,
        ),
    )
