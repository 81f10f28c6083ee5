"""A whole house for the LIP tests, built with the model's constructors.

The hand-built modules plus a dimming module, two shades, three keypads, an occupancy sensor and a timeclock.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from custom_components.homeworks_qsx.qsx.const import (
    KeypadType,
    LoadType,
    OccupancySensorType,
    ProgrammingModel,
)
from custom_components.homeworks_qsx.qsx.model import (
    ControlType,
    IndicatorDescription,
    InputDescription,
    SystemDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    ZoneDescription,
    dimming_module,
    keypad,
    occupancy_sensor,
    shade,
    timeclock,
)
from tests.qsx.house import button

from .conftest import hand_built_description

DIMMER, SHADE, TILT_SHADE = "0000D100", "0000E100", "0000E200"
KEYPAD, PALLADIOM, HOMEOWNER = "0000F100", "0000F200", "0ABCDEF1-homeowner"
SENSOR, TIMECLOCK = "0000C100", "0000CC01"  # a timeclock's id looks like a serial
DIMMER_ID, SHADE_ID, TILT_ID = 200, 210, 220
KEYPAD_ID, PALLADIOM_ID, HOMEOWNER_ID, SENSOR_ID = 300, 400, 500, 600
DIM_1, DIM_2, DIM_3, DIM_4 = 201, 202, 203, 204
SHADE_OUT, TILT_OUT = 211, 221
# Buttons of the kitchen keypad by what they do.
SCENE, TOGGLE, RAISE, LOWER, SHADE_BUTTON, BARE = 1, 2, 3, 4, 5, 6
KITCHEN_BUTTONS: Final = (SCENE, TOGGLE, RAISE, LOWER, SHADE_BUTTON, BARE)


def _button(
    keypad_id: int,
    number: int,
    model: ProgrammingModel | None,
    *targets: tuple[int, float],
    engraving: str | None = None,
) -> InputDescription:
    return button(
        number,
        keypad_id + number,
        f"Key {number}" if engraving is None else engraving,
        model,
        *targets,
    )


def _leds(keypad_id: int, *numbers: int) -> tuple[IndicatorDescription, ...]:
    return tuple(
        IndicatorDescription(n, f"LED {n}", integration_id=keypad_id + 50 + n)
        for n in numbers
    )


def house_description() -> SystemDescription:
    """Return the hand-built modules (Kitchen, Garage) and one device of every other kind."""
    base = hand_built_description()
    dimmer = dimming_module(
        DIMMER,
        DIMMER_ID,
        "Kitchen dimmer",
        "Kitchen",
        zones=tuple(
            ZoneDescription(
                n,
                DIMMER_ID + n,
                f"Dimmed {n}",
                load_type=LoadType.ELV if n == 2 else LoadType.INCANDESCENT,
                amps=0.5 * n,
            )
            for n in range(1, 5)
        ),
        model_number="LQSE-4A1-D",
        link=1,
        address=20,
    )
    blind = shade(
        SHADE,
        SHADE_ID,
        "Living shade",
        "Living",
        zone=ZoneDescription(1, SHADE_OUT, "Living shade"),
        model_number="QS Shade",
        link=2,
        address=21,
    )
    tilt = shade(
        TILT_SHADE,
        TILT_ID,
        "Living blind",
        "Living",
        zone=ZoneDescription(
            1, TILT_OUT, "Living blind", control_type=ControlType.SHADE_WITH_TILT
        ),
        model_number="QS Venetian",
        link=2,
        address=22,
    )
    kitchen = keypad(
        KEYPAD,
        KEYPAD_ID,
        "Kitchen keypad",
        "Kitchen",
        buttons=(
            _button(
                KEYPAD_ID,
                SCENE,
                ProgrammingModel.SINGLE_ACTION,
                (DIM_1, 60.0),
                (DIM_2, 0.0),
            ),
            _button(KEYPAD_ID, TOGGLE, ProgrammingModel.TOGGLE, (DIM_3, 100.0)),
            _button(KEYPAD_ID, RAISE, ProgrammingModel.RAISE, (DIM_4, 100.0)),
            _button(KEYPAD_ID, LOWER, ProgrammingModel.LOWER, (DIM_4, 0.0)),
            _button(
                KEYPAD_ID,
                SHADE_BUTTON,
                ProgrammingModel.OPEN_STOP_CLOSE_STOP,
                (SHADE_OUT, 100.0),
            ),
            _button(KEYPAD_ID, BARE, None, engraving=""),
        ),
        leds=_leds(KEYPAD_ID, SCENE, TOGGLE, SHADE_BUTTON, BARE),
        model_number="HQWT-S-P6W",
        link=1,
        address=30,
    )
    palladiom = keypad(
        PALLADIOM,
        PALLADIOM_ID,
        "Living keypad",
        "Living",
        buttons=(
            _button(PALLADIOM_ID, 1, ProgrammingModel.SINGLE_ACTION, (SHADE_OUT, 0.0)),
            _button(
                PALLADIOM_ID, 4, ProgrammingModel.SINGLE_ACTION, (SHADE_OUT, 100.0)
            ),
        ),
        leds=_leds(PALLADIOM_ID, 1, 4),
        model_number="HQWT-U-P2W",
        link=2,
        address=31,
        device_type=KeypadType.PALLADIOM,
    )
    homeowner = keypad(
        HOMEOWNER,
        HOMEOWNER_ID,
        "Homeowner keypad",
        "",
        buttons=(_button(HOMEOWNER_ID, 1, ProgrammingModel.TOGGLE, (DIM_1, 100.0)),),
        leds=_leds(HOMEOWNER_ID, 1),
        model_number="Homeowner Keypad",
        has_serial_number=False,
        device_type=KeypadType.HOMEOWNER,
    )
    sensor = occupancy_sensor(
        SENSOR,
        SENSOR_ID,
        "Kitchen sensor",
        "Kitchen",
        model_number="LOS-CDT-500",
        device_type=OccupancySensorType.CEILING,
    )
    clock = timeclock(
        TIMECLOCK,
        1,
        "Timeclock",
        schedule=(
            TimeclockEventDescription(
                1,
                "Evening",
                TimeclockEventType.SUNSET,
                integration_id=901,
                targets=((DIM_1, 50.0),),
            ),
        ),
    )
    return replace(
        base,
        devices=(
            *base.devices,
            dimmer,
            blind,
            tilt,
            kitchen,
            palladiom,
            homeowner,
            sensor,
            clock,
        ),
    )
