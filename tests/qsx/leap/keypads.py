"""The whole test house (`tests/qsx/house.py`) with the keypad types it lacks, for the LEAP server's tests (LP35).

A two-button Palladiom keypad in the hall (buttons at positions 1 and 4, LP36) and the processor's virtual
Homeowner keypad (no serial, no room).
"""

from __future__ import annotations

from dataclasses import replace

from custom_components.homeworks_qsx.qsx.const import KeypadType, ProgrammingModel
from custom_components.homeworks_qsx.qsx.model import (
    ButtonProgramming,
    DeviceDescription,
    IndicatorDescription,
    InputDescription,
    InputType,
    SystemDescription,
    keypad,
)
from tests.qsx.house import DIM_4, house_description

PALLADIOM, HOMEOWNER = "000000F3", "0A0B0C0D-homeowner"


def palladiom() -> DeviceDescription:
    """Return a two-button Palladiom keypad in the hall: buttons at positions 1 and 4 (LP36)."""
    return keypad(
        PALLADIOM,
        190,
        "Hall Palladiom",
        "Hall",
        buttons=(
            InputDescription(
                1,
                InputType.BUTTON,
                "Button 1",
                integration_id=191,
                engraving="Welcome\nHome",
                programming=ButtonProgramming(
                    ProgrammingModel.SINGLE_ACTION, ((DIM_4, 30.0),)
                ),
            ),
            InputDescription(
                4, InputType.BUTTON, "Button 4", integration_id=194, engraving=""
            ),
        ),
        leds=(
            IndicatorDescription(1, "LED 1", 196),
            IndicatorDescription(4, "LED 4", 197),
        ),
        model_number="HQWT-U-P2W",
        link=1,
        address=20,
        device_type=KeypadType.PALLADIOM,
    )


def homeowner() -> DeviceDescription:
    """Return the processor's virtual keypad: no serial of its own, no room."""
    return keypad(
        HOMEOWNER,
        200,
        "Homeowner keypad",
        "",
        buttons=(
            InputDescription(
                1,
                InputType.BUTTON,
                "Button 1",
                integration_id=201,
                engraving="Away",
                programming=ButtonProgramming(
                    ProgrammingModel.SINGLE_ACTION, ((DIM_4, 0.0),)
                ),
            ),
        ),
        leds=(IndicatorDescription(1, "LED 1", 202),),
        model_number="Homeowner Keypad",
        has_serial_number=False,
        device_type=KeypadType.HOMEOWNER,
    )


def whole_house() -> SystemDescription:
    """Return the test house with a Palladiom keypad and the virtual Homeowner keypad besides."""
    house = house_description()
    return replace(house, devices=(*house.devices, palladiom(), homeowner()))
