"""A small house for the emulation core tests: the small system's modules plus one device of every other kind.

Built with the model's constructors (the description file format is tested elsewhere).
"""

from __future__ import annotations

from dataclasses import replace

from custom_components.homeworks_qsx.qsx.const import ProgrammingModel
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.model import (
    ButtonProgramming,
    ControlType,
    IndicatorDescription,
    InputDescription,
    InputType,
    ProcessorDescription,
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

from .conftest import SMALL_SYSTEM

DIMMER, SHADE, TILT_SHADE, KEYPAD, HALL_KEYPAD = (
    "000000D1",
    "000000E1",
    "000000E2",
    "000000F1",
    "000000F2",
)
SENSOR_1, SENSOR_2, SENSOR_3 = "000000C1", "000000C2", "000000C3"
TIMECLOCK = "0A0B0C0D-timeclock-180"  # the id a description gives it
# Output integration ids: the dimmer's zones, the shades, module A1's zone 1 and 2 and its CCO.
DIM_1, DIM_2, DIM_3, DIM_4 = 101, 102, 103, 104
SHADE_OUT, TILT_OUT = 111, 121
A1_ZONE_1, A1_ZONE_2, A1_CCO = 11, 12, 15
# Keypad buttons (positions) by what they do.
SCENE, TOGGLE, RAISE, LOWER, SHADE_BUTTON, BARE, ALL_OFF = 1, 2, 3, 4, 5, 6, 7


def button(
    number: int,
    integration_id: int,
    engraving: str,
    model: ProgrammingModel | None,
    *targets: tuple[int, float],
) -> InputDescription:
    """Return a keypad button programmed with `model` on `targets` (output id, level), or unprogrammed (None)."""
    return InputDescription(
        number,
        InputType.BUTTON,
        f"Button {number}",
        integration_id=integration_id,
        engraving=engraving,
        programming=None if model is None else ButtonProgramming(model, targets),
    )


def _button(
    number: int, model: ProgrammingModel | None, *targets: tuple[int, float]
) -> InputDescription:
    return button(number, 130 + number, f"B{number}", model, *targets)


def house_description() -> SystemDescription:
    """Return the small system with a dimming module, two shades, two keypads, three sensors and a timeclock."""
    base = parse_description(SMALL_SYSTEM)
    dimmer = dimming_module(
        DIMMER,
        100,
        "Kitchen dimmer",
        "Kitchen",
        zones=tuple(
            ZoneDescription(n, 100 + n, f"Dimmed {n}", amps=1.0) for n in range(1, 5)
        ),
        model_number="LQSE-4A1-D",
        link=1,
        address=10,
    )
    blind = shade(
        SHADE,
        110,
        "Living shade",
        "Living",
        zone=ZoneDescription(1, SHADE_OUT, "Shade"),
        model_number="QS Shade",
        link=1,
        address=11,
    )
    tilt = shade(
        TILT_SHADE,
        120,
        "Living blind",
        "Living",
        zone=ZoneDescription(
            1, TILT_OUT, "Blind", control_type=ControlType.SHADE_WITH_TILT
        ),
        model_number="QS Shade",
        link=2,
        address=12,
    )
    buttons = (
        _button(
            SCENE, ProgrammingModel.SINGLE_ACTION, (DIM_1, 75.0), (A1_ZONE_1, 100.0)
        ),
        _button(TOGGLE, ProgrammingModel.TOGGLE, (DIM_2, 50.0), (A1_ZONE_2, 100.0)),
        _button(RAISE, ProgrammingModel.RAISE, (DIM_3, 0.0)),
        _button(LOWER, ProgrammingModel.LOWER, (DIM_3, 0.0)),
        _button(SHADE_BUTTON, ProgrammingModel.OPEN_STOP_CLOSE_STOP, (SHADE_OUT, 0.0)),
        _button(BARE, None),
        _button(ALL_OFF, ProgrammingModel.SINGLE_ACTION, (DIM_1, 0.0), (A1_CCO, 0.0)),
    )
    wallstation = keypad(
        KEYPAD,
        130,
        "Kitchen keypad",
        "Kitchen",
        buttons=buttons,
        leds=tuple(
            IndicatorDescription(item.number, f"LED {item.number}", 140 + item.number)
            for item in buttons
        ),
        model_number="QSWS2-7B",
        link=1,
        address=12,
    )
    hall_keypad = keypad(
        HALL_KEYPAD,
        150,
        "Hall keypad",
        "Hall",
        buttons=(
            replace(
                _button(1, ProgrammingModel.SINGLE_ACTION, (DIM_4, 20.0)),
                integration_id=151,
            ),
            replace(
                _button(2, ProgrammingModel.TOGGLE, (A1_CCO, 100.0)), integration_id=152
            ),
        ),
        leds=(
            IndicatorDescription(1, "LED 1", 161),
            IndicatorDescription(2, "LED 2", 162),
        ),
        model_number="QSWS2-2B",
        link=2,
        address=13,
    )
    sensors = (
        occupancy_sensor(
            SENSOR_1, 170, "Kitchen sensor 1", "Kitchen", model_number="LRF2-OCR2B-P"
        ),
        occupancy_sensor(
            SENSOR_2, 171, "Kitchen sensor 2", "Kitchen", model_number="LRF2-OCR2B-P"
        ),
        occupancy_sensor(
            SENSOR_3, 172, "Living sensor", "Living", model_number="LRF2-OCR2B-P"
        ),
    )
    clock = timeclock(
        TIMECLOCK,
        180,
        "Main timeclock",
        schedule=(
            TimeclockEventDescription(
                1,
                "Morning",
                TimeclockEventType.FIXED_TIME,
                time_of_day=(7, 30, 0),
                days=(False, True, True, True, True, True, False),
                integration_id=181,
                targets=((DIM_1, 100.0), (A1_ZONE_1, 100.0)),
            ),
            TimeclockEventDescription(
                2,
                "Dusk",
                TimeclockEventType.SUNSET,
                offset_minutes=15,
                integration_id=182,
                targets=((SHADE_OUT, 0.0),),
            ),
            TimeclockEventDescription(
                3,
                "Dawn",
                TimeclockEventType.SUNRISE,
                offset_minutes=-30,
                integration_id=183,
                targets=((SHADE_OUT, 100.0),),
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
            wallstation,
            hall_keypad,
            *sensors,
            clock,
        ),
    )


POOL_HOUSE = (
    "0B0B0C0D"  # the second processor of `two_processor_house`: it drives link 2
)


def two_processor_house() -> SystemDescription:
    """Return the small house as a project of two processors (P4, LP53): link 2 and its devices on the second."""
    base = house_description()
    return replace(
        base,
        other_processors=(
            ProcessorDescription(
                POOL_HOUSE, name="Pool house processor", integration_id=900
            ),
        ),
        links=tuple(
            replace(link, processor=POOL_HOUSE) if link.number == 2 else link
            for link in base.links
        ),
        devices=tuple(
            replace(device, processor=POOL_HOUSE) if device.link == 2 else device
            for device in base.devices
        ),
    )
