"""System descriptions of a whole house: dimming modules, shades, keypads, occupancy sensors and timeclocks.

Their format, defaults and integration ids (L3), validation with paths (P2, P3, LP30, LP35, LP36, LP44, LP45) and
round trips; the example house.
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    DIMMING_MODULE_MODEL,
    HOMEOWNER_KEYPAD_MODEL,
    SHADE_MODEL,
    KeypadType,
    LinkType,
    LoadType,
    OccupancySensorType,
    ProcessorModel,
    ProgrammingModel,
    link_limits,
)
from custom_components.homeworks_qsx.qsx.emulator.description import (
    derived_serial,
    description_to_dict,
    device_to_dict,
    load_description,
    new_module,
    parse_description,
    save_description,
    validate_description,
)
from custom_components.homeworks_qsx.qsx.errors import DescriptionError, LimitError
from custom_components.homeworks_qsx.qsx.model import (
    ButtonProgramming,
    ControlType,
    DeviceDescription,
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    InputType,
    SystemDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    keypad,
    occupancy_sensor,
    timeclock,
)

ROOT = Path(__file__).resolve().parents[2]
HOUSE = ROOT / "examples" / "house.yaml"
SERIAL = re.compile(r"^[0-9A-F]{8}$")

# A small house of every kind: two switching modules (ids 10.., 20..) and one device of each other kind.
SMALL: dict[str, Any] = {
    "name": "Small house",
    "processor": {"serial": "0A0B0C0D", "model": "HQP7-2"},
    "modules": [{"area": "Kitchen"}, {"area": "Hall"}],
    "dimming_modules": [
        {"area": "Dining", "zones": [{"name": "Chandelier", "watts": 240}, "Sconces"]}
    ],
    "shades": [{"area": "Living", "type": "shade_with_tilt"}],
    "keypads": [
        {
            "type": "palladiom",
            "area": "Kitchen",
            "buttons": [
                {
                    "engraving": "Cook",
                    "programming": {
                        "model": "single_action",
                        "targets": [11, {"output": 31, "level": 40}],
                    },
                },
                {
                    "engraving": "Fan",
                    "programming": {"model": "toggle", "targets": [13]},
                },
                {
                    "engraving": "Raise",
                    "programming": {"model": "raise", "targets": [31, 32]},
                },
                {
                    "engraving": "Shade",
                    "programming": {"model": "open_stop_close_stop", "targets": [41]},
                },
            ],
        },
        {"type": "homeowner", "buttons": ["Away", "Home"]},
    ],
    "occupancy_sensors": [{"area": "Kitchen"}],
    "timeclocks": [
        {
            "events": [
                {"type": "sunset", "offset_minutes": -15, "targets": [24]},
                {
                    "time": "23:30",
                    "days": ["sat", "Sunday"],
                    "targets": [{"output": 24, "level": 0}],
                },
            ]
        }
    ],
}


def _error(data: dict[str, Any]) -> DescriptionError:
    with pytest.raises(DescriptionError) as info:
        parse_description(data)
    return info.value


def _of(description: SystemDescription, kind: DeviceKind) -> list[DeviceDescription]:
    return [device for device in description.devices if device.kind is kind]


# ---------------------------------------------------------------------------------------------------------------
# Defaults and integration ids


def test_every_kind_gets_its_documented_defaults() -> None:
    """Models, names, areas, links, addresses after the modules, serials, and the id blocks after the modules (L3)."""
    house = parse_description(SMALL)
    kinds = [device.kind for device in house.devices]
    assert kinds == [
        DeviceKind.SWITCHING_MODULE,
        DeviceKind.SWITCHING_MODULE,
        DeviceKind.DIMMING_MODULE,
        DeviceKind.SHADE,
        DeviceKind.KEYPAD,
        DeviceKind.KEYPAD,
        DeviceKind.OCCUPANCY_SENSOR,
        DeviceKind.TIMECLOCK,
    ]
    assert [module.integration_id for module in house.modules] == [10, 20]
    (dimmer,) = _of(house, DeviceKind.DIMMING_MODULE)
    assert (dimmer.link, dimmer.address, dimmer.integration_id) == (1, 3, 30)
    assert dimmer.model == DIMMING_MODULE_MODEL
    assert dimmer.name == "Dimming module 1.3"
    assert [zone.integration_id for zone in dimmer.zones] == [31, 32, 33, 34]
    assert [zone.name for zone in dimmer.zones] == [
        "Chandelier",
        "Sconces",
        "Zone 3",
        "Zone 4",
    ]
    assert all(zone.control_type is ControlType.DIMMED for zone in dimmer.zones)
    assert dimmer.zones[0].amps == pytest.approx(2.0)
    (shade_device,) = _of(house, DeviceKind.SHADE)
    assert (shade_device.address, shade_device.integration_id, shade_device.model) == (
        4,
        40,
        SHADE_MODEL,
    )
    assert shade_device.name == "Shade 1.4"
    (zone,) = shade_device.zones
    assert (zone.integration_id, zone.name, zone.control_type, zone.is_light) == (
        41,
        "Shade 1.4",
        ControlType.SHADE_WITH_TILT,
        False,
    )
    palladiom, homeowner = _of(house, DeviceKind.KEYPAD)
    # A keypad takes two blocks: buttons at +n, their LEDs at +10+n.
    assert (palladiom.address, palladiom.integration_id, palladiom.model) == (
        5,
        50,
        "HQWT-U-P4W",
    )
    assert palladiom.device_type == KeypadType.PALLADIOM
    assert [(button.number, button.integration_id) for button in palladiom.buttons] == [
        (1, 51),
        (2, 52),
        (3, 53),
        (4, 54),
    ]
    assert [(led.number, led.integration_id) for led in palladiom.indicators] == [
        (1, 61),
        (2, 62),
        (3, 63),
        (4, 64),
    ]
    assert palladiom.input(1).engraving == "Cook"
    assert palladiom.input(1).name == "Button 1"
    assert palladiom.input(1).programming == ButtonProgramming(
        ProgrammingModel.SINGLE_ACTION, ((11, 100.0), (31, 40.0))
    )
    assert palladiom.indicator(2).name == "LED 2"
    assert SERIAL.match(palladiom.serial)
    # LP35: the Homeowner keypad is virtual: no serial, no link address.
    assert homeowner.device_type == KeypadType.HOMEOWNER
    assert homeowner.model == HOMEOWNER_KEYPAD_MODEL
    assert (homeowner.link, homeowner.address, homeowner.serial_number) == (0, 0, None)
    assert homeowner.serial == f"0A0B0C0D-keypad-{homeowner.integration_id}"
    assert homeowner.integration_id == 70
    assert [button.number for button in homeowner.buttons] == [1, 2]
    assert homeowner.name == "Homeowner keypad"
    assert homeowner.input(2).programming is None
    (sensor,) = _of(house, DeviceKind.OCCUPANCY_SENSOR)
    assert sensor.device_type == OccupancySensorType.CEILING
    assert (sensor.area, sensor.name, sensor.link, sensor.integration_id) == (
        "Kitchen",
        "Kitchen occupancy sensor",
        0,
        90,
    )
    assert SERIAL.match(sensor.serial)
    assert sensor.serial_number == sensor.serial
    (clock,) = _of(house, DeviceKind.TIMECLOCK)
    assert (clock.name, clock.integration_id, clock.serial_number) == (
        "Timeclock 1",
        100,
        None,
    )
    sunset, night = clock.schedule
    assert (
        sunset.number,
        sunset.event_type,
        sunset.offset_minutes,
        sunset.integration_id,
    ) == (
        1,
        TimeclockEventType.SUNSET,
        -15,
        101,
    )
    assert sunset.days == (True,) * 7
    assert sunset.targets == ((24, 100.0),)
    assert (night.event_type, night.time_of_day, night.name) == (
        TimeclockEventType.FIXED_TIME,
        (23, 30, 0),
        "Event 2",
    )
    assert night.days == (True, False, False, False, False, False, True)
    # One id space (L3): every id is unique and indexed.
    assert house.input_by_integration_id(53)[1].programming == ButtonProgramming(
        ProgrammingModel.RAISE, ((31, 100.0), (32, 100.0))
    )
    assert house.indicator_by_integration_id(64)[0] is palladiom


def test_default_buttons_follow_the_keypad_model() -> None:
    """LP36: buttons are numbered by position; a P2W has buttons 1 and 4, a SeeTouch 1..7, the Homeowner keypad 1..7."""
    house = parse_description(
        {
            "keypads": [
                {"type": "palladiom", "model": "HQWT-U-P2W"},
                {"type": "palladiom", "model": "HQWT-U-P2W", "buttons": ["On", "Off"]},
                {},
                {"type": "homeowner"},
                {
                    "type": "seetouch",
                    "model": "HQWA-CUSTOM",
                    "buttons": ["A", {"number": 5}, "B"],
                },
            ]
        }
    )
    p2w, p2w_listed, seetouch, homeowner, custom = house.devices
    assert [button.number for button in p2w.buttons] == [1, 4]
    assert [(button.number, button.engraving) for button in p2w_listed.buttons] == [
        (1, "On"),
        (4, "Off"),
    ]
    assert seetouch.device_type == KeypadType.SEETOUCH
    assert seetouch.model == "QSWS2-7B"
    assert [button.number for button in seetouch.buttons] == list(range(1, 8))
    assert [button.number for button in homeowner.buttons] == list(range(1, 8))
    assert [button.number for button in custom.buttons] == [1, 5, 6]
    assert all(button.input_type is InputType.BUTTON for button in custom.buttons)


def test_written_ids_are_kept_and_defaults_step_around_them() -> None:
    """L3: a device's written id gives its parts their offsets; a block taken by a written id is skipped."""
    house = parse_description(
        {
            "modules": 1,
            "keypads": [
                {
                    "integration_id": 500,
                    "buttons": [{"integration_id": 20}, {"led_integration_id": 30}],
                }
            ],
            "shades": [{}],
        }
    )
    shade_device, pad = house.devices[1:]
    # Block 2 (20..) holds the keypad's written button id: the shade takes block 3.
    assert (shade_device.integration_id, shade_device.zones[0].integration_id) == (
        30 + 10,
        41,
    )
    assert [button.integration_id for button in pad.buttons] == [20, 502]
    assert [led.integration_id for led in pad.indicators] == [511, 30]


def test_a_written_device_id_whose_parts_collide_is_refused() -> None:
    """A device with a written id gets its parts at id+n; when one is taken, the error says to write it."""
    error = _error({"modules": 1, "dimming_modules": [{"integration_id": 9}]})
    assert error.path == "dimming_modules[0]"
    assert (
        "the default integration id 10 of zone 1 is already used by modules[0]"
        in str(error)
    )


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {
                "modules": [{"integration_id": 100}],
                "keypads": [{"integration_id": 100}],
            },
            "modules[0].integration_id",
            "integration id 100 is already used by keypads[0].integration_id",
        ),
        (
            {
                "keypads": [
                    {"buttons": [{"integration_id": 7}, {"led_integration_id": 7}]}
                ]
            },
            "keypads[0].buttons[1].led_integration_id",
            "already used by keypads[0].buttons[0].integration_id",
        ),
        (
            {"shades": [{"zone": {"integration_id": 1}}]},
            "shades[0].zone.integration_id",
            "already used by processor.integration_id",
        ),
    ],
)
def test_l3_ids_are_unique_across_every_kind(
    data: dict[str, Any], path: str, message: str
) -> None:
    """L3: one id space for devices, outputs, buttons, LEDs and timeclock events."""
    error = _error(data)
    assert error.path == path
    assert message in str(error)


def test_serials_are_unique_across_kinds() -> None:
    """L3: a serial written twice, on any kinds, is refused at the second place."""
    error = _error(
        {"modules": [{"serial": "11223344"}], "shades": [{"serial": "11223344"}]}
    )
    assert error.path == "modules[0].serial"
    assert "already used by shades[0]" in str(error)
    error = _error(
        {"shades": [{"serial": "11223344"}], "keypads": [{"serial": "11223344"}]}
    )
    assert error.path == "keypads[0].serial"


def test_addresses_are_unique_per_link_across_kinds() -> None:
    """L3: a keypad at a module's address is refused; defaults take the lowest free address after the modules."""
    error = _error({"modules": [{"address": 2}], "keypads": [{"address": 2}]})
    assert error.path == "keypads[0].address"
    assert "address 2 on link 1 is already used by modules[0]" in str(error)
    house = parse_description(
        {"modules": 1, "keypads": [{"address": 2}, {}], "shades": [{"link": 2}]}
    )
    assert [(device.link, device.address) for device in house.devices] == [
        (1, 1),
        (2, 1),
        (1, 2),
        (1, 3),
    ]


def test_occupancy_sensor_serials_derive_from_their_area() -> None:
    """A sensor without a link: its default serial comes from its area and rank there, and stays unique."""
    house = parse_description(
        {
            "occupancy_sensors": [
                {"area": "Den"},
                {"area": "Den", "type": "wall"},
                {"area": "Hall", "serial": "0000ABCD"},
            ]
        }
    )
    first, second, third = house.devices
    assert first.serial != second.serial
    assert SERIAL.match(first.serial)
    assert third.serial == "0000ABCD"
    assert second.device_type == OccupancySensorType.WALL
    assert second.model == "LRF2-OWLB-P-WH"


# ---------------------------------------------------------------------------------------------------------------
# Format: aliases, shorthand, LEAP names


def test_leap_names_are_accepted() -> None:
    """LP35, LP36, LP43: the LEAP DeviceTypes and ProgrammingModelTypes may be written as they are."""
    house = parse_description(
        {
            "modules": 1,
            "keypads": [
                {
                    "type": "PalladiomKeypad",
                    "buttons": [
                        {
                            "programming": {
                                "model": "SingleActionProgrammingModel",
                                "targets": [11],
                            }
                        },
                        {"programming": {"model": "scene", "targets": [12]}},
                        {
                            "programming": {
                                "model": "Advanced Toggle Programming Model".replace(
                                    " ", ""
                                ),
                                "targets": [13],
                            }
                        },
                    ],
                }
            ],
            "occupancy_sensors": [{"area": "Den", "type": "RPSOccupancySensor"}],
            "timeclocks": [
                {
                    "events": [
                        {"type": "Sunrise", "targets": [11]},
                        {"type": "fixed", "time": "7:05:30", "targets": [11]},
                    ]
                }
            ],
        }
    )
    pad, sensor, clock = house.devices[1:]
    assert pad.device_type == KeypadType.PALLADIOM
    assert [
        button.programming.model for button in pad.buttons if button.programming
    ] == [
        ProgrammingModel.SINGLE_ACTION,
        ProgrammingModel.SINGLE_ACTION,
        ProgrammingModel.TOGGLE,
    ]
    assert sensor.device_type == OccupancySensorType.OCCUPANCY
    assert clock.schedule[0].event_type is TimeclockEventType.SUNRISE
    assert clock.schedule[1].time_of_day == (7, 5, 30)


def test_engravings_may_be_empty_or_hold_line_breaks() -> None:
    """LP36: `Engraving.Text` may be "" and may hold a line break; other control characters are refused."""
    house = parse_description({"keypads": [{"buttons": ["", "Two\nlines"]}]})
    assert [button.engraving for button in house.devices[0].buttons] == [
        "",
        "Two\nlines",
    ]
    error = _error({"keypads": [{"buttons": ["Bad\tengraving"]}]})
    assert error.path == "keypads[0].buttons[0]"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("every day", (True,) * 7),
        ("weekdays", (False, True, True, True, True, True, False)),
        ("weekends", (True, False, False, False, False, False, True)),
        (["Mon", "wednesday"], (False, True, False, True, False, False, False)),
    ],
)
def test_event_days(days: Any, expected: tuple[bool, ...]) -> None:
    """LP45: events run on days Sunday..Saturday, written as names or as a set."""
    house = parse_description(
        {
            "modules": 1,
            "timeclocks": [
                {"events": [{"time": "06:00", "days": days, "targets": [11]}]}
            ],
        }
    )
    assert house.devices[1].schedule[0].days == expected


# ---------------------------------------------------------------------------------------------------------------
# Errors name the offending path


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {
                "keypads": [
                    {
                        "buttons": [
                            {"programming": {"model": "single_action", "targets": [99]}}
                        ]
                    }
                ]
            },
            "keypads[0].buttons[0].programming.targets[0].output",
            "no output has integration id 99",
        ),
        (
            {
                "keypads": [
                    {
                        "buttons": [
                            {
                                "programming": {
                                    "model": "single_action",
                                    "targets": [{"output": 11, "level": 101}],
                                }
                            }
                        ]
                    }
                ]
            },
            "keypads[0].buttons[0].programming.targets[0].level",
            "levels are 0..100",
        ),
        (
            {
                "keypads": [
                    {
                        "buttons": [
                            {
                                "programming": {
                                    "model": "single_action",
                                    "targets": [11, 11],
                                }
                            }
                        ]
                    }
                ]
            },
            "keypads[0].buttons[0].programming.targets[1].output",
            "output 11 is listed twice",
        ),
        (
            {"keypads": [{"buttons": [{"programming": {"model": "toggle"}}]}]},
            "keypads[0].buttons[0].programming.targets",
            "a programmed button sets at least one output",
        ),
        (
            {
                "keypads": [
                    {"buttons": [{"programming": {"model": "raise", "targets": [11]}}]}
                ]
            },
            "keypads[0].buttons[0].programming.targets[0].output",
            "drives dimmed or shade zones; output 11 (Zone 1) is switched",
        ),
        (
            {
                "keypads": [
                    {
                        "buttons": [
                            {
                                "programming": {
                                    "model": "open_stop_close_stop",
                                    "targets": [21],
                                }
                            }
                        ]
                    }
                ]
            },
            "keypads[0].buttons[0].programming.targets[0].output",
            "drives shade zones; output 21 (Chandelier) is dimmed",
        ),
        (
            {
                "keypads": [
                    {"buttons": [{"programming": {"model": "lower", "targets": [15]}}]}
                ]
            },
            "keypads[0].buttons[0].programming.targets[0].output",
            "output 15 (CCO) is cco",
        ),
        (
            {
                "keypads": [
                    {"buttons": [{"programming": {"model": "blink", "targets": [11]}}]}
                ]
            },
            "keypads[0].buttons[0].programming.model",
            "is not one of: single_action, toggle, raise, lower, open_stop_close_stop",
        ),
        (
            {"keypads": [{"type": "homeowner", "link": 1}]},
            "keypads[0].link",
            "the Homeowner keypad is the processor's virtual keypad: it takes no link address (LP35)",
        ),
        (
            {"keypads": [{"type": "homeowner", "address": 3}]},
            "keypads[0].address",
            "takes no link address (LP35)",
        ),
        (
            {"keypads": [{"type": "homeowner", "serial": "12345678"}]},
            "keypads[0].serial",
            "it has no serial (LP35)",
        ),
        (
            {"keypads": [{"type": "homeowner", "model": "HQWT-U-P4W"}]},
            "keypads[0].model",
            "the Homeowner keypad's model is 'Homeowner Keypad' (LP35)",
        ),
        (
            {"keypads": [{"model": "Homeowner Keypad"}]},
            "keypads[0].model",
            "give it type homeowner (LP35)",
        ),
        (
            {"keypads": [{"type": "homeowner", "buttons": [{"number": 8}]}]},
            "keypads[0].buttons[0].number",
            "the Homeowner keypad has buttons 1..7 (LP35)",
        ),
        (
            {"keypads": [{"buttons": [{"number": 3}, {"number": 2}]}]},
            "keypads[0].buttons[1].number",
            "buttons are listed in position order: button 2 comes after button 3",
        ),
        (
            {"keypads": [{"buttons": [{"number": 10}]}]},
            "keypads[0].buttons[0].number",
            "buttons are at positions 1..9",
        ),
        (
            {"keypads": [{"buttons": [{"number": 9}, "next"]}]},
            "keypads[0].buttons[1].number",
            "buttons are at positions 1..9",
        ),
        (
            {"keypads": [{"buttons": ["x"] * 10}]},
            "keypads[0].buttons",
            "a keypad has at most 9 buttons",
        ),
        (
            {"keypads": [{"type": "wallstation"}]},
            "keypads[0].type",
            "is not one of: seetouch, palladiom, homeowner",
        ),
        (
            {"dimming_modules": [{"zones": [{"load_type": "motor"}]}]},
            "dimming_modules[0].zones[0].load_type",
            "an LQSE-4A5-120-D dims elv, incandescent, mlv loads, not motor",
        ),
        (
            {"dimming_modules": [{"zones": [{"load_type": "receptacle"}]}]},
            "dimming_modules[0].zones[0].load_type",
            "general purpose receptacles",
        ),
        (
            {"dimming_modules": [{"zones": [{"watts": 720}]}]},
            "dimming_modules[0].zones[0].watts",
            "720 W draws 6.00 A at 120 V, above the 5 A zone rating of an LQSE-4A5-120-D",
        ),
        (
            {"dimming_modules": [{"zones": [{"amps": 5.5}]}]},
            "dimming_modules[0].zones[0].amps",
            "5.5 A is above the 5 A zone rating of an LQSE-4A5-120-D",
        ),
        (
            {
                "dimming_modules": [
                    {"zones": [{"amps": 5}, {"amps": 5}, {"amps": 5}, {"amps": 5}]}
                ]
            },
            "dimming_modules[0].zones",
            "the zones draw 20.00 A when all are on, above the 16 A dimming module rating of an LQSE-4A5-120-D",
        ),
        (
            {"dimming_modules": [{"zones": [{"number": 2}, {"number": 2}]}]},
            "dimming_modules[0].zones[1].number",
            "zone 2 is described twice",
        ),
        (
            {"dimming_modules": [{"zones": [{"amps": 1, "watts": 100}]}]},
            "dimming_modules[0].zones[0]",
            "give the load in watts or in amps, not both",
        ),
        (
            {"dimming_modules": [{"zones": [{}] * 5}]},
            "dimming_modules[0].zones",
            "a dimming module has 4 zones",
        ),
        (
            {"shades": [{"type": "awning"}]},
            "shades[0].type",
            "is not one of: shade, shade_with_tilt",
        ),
        (
            {"shades": [{"link": 3}]},
            "shades[0].link",
            "link 3 does not exist on a HQP7-2 processor (P1)",
        ),
        (
            {
                "links": [{"number": 1}, {"number": 2, "type": "rf"}],
                "shades": [{"link": 2}],
            },
            "shades[0].link",
            "link 2 is a Clear Connect Type A (RF) link; a shade is a QS wired device (P2)",
        ),
        (
            {"occupancy_sensors": [{"area": "Den", "link": 1}]},
            "occupancy_sensors[0].link",
            "link 1 is a QS wired link; an occupancy sensor is a Clear Connect Type A (RF) device (P2)",
        ),
        (
            {"occupancy_sensors": [{"area": "Den", "address": 4}]},
            "occupancy_sensors[0].address",
            "an occupancy sensor has an address only on a link",
        ),
        (
            {"occupancy_sensors": [{"type": "ceiling"}]},
            "occupancy_sensors[0].area",
            "required key not provided",
        ),
        (
            {"occupancy_sensors": [{"area": "Den", "type": "infrared"}]},
            "occupancy_sensors[0].type",
            "is not one of: occupancy, ceiling, wall",
        ),
        (
            {"timeclocks": [{"events": [{"targets": [11]}]}]},
            "timeclocks[0].events[0]",
            "a fixed-time event needs a time (HH:MM)",
        ),
        (
            {
                "timeclocks": [
                    {
                        "events": [
                            {"time": "06:00", "offset_minutes": 5, "targets": [11]}
                        ]
                    }
                ]
            },
            "timeclocks[0].events[0].offset_minutes",
            "only sunrise and sunset events take an offset",
        ),
        (
            {
                "timeclocks": [
                    {"events": [{"type": "sunset", "time": "06:00", "targets": [11]}]}
                ]
            },
            "timeclocks[0].events[0].time",
            "not at a time",
        ),
        (
            {
                "timeclocks": [
                    {
                        "events": [
                            {"type": "sunset", "offset_minutes": 721, "targets": [11]}
                        ]
                    }
                ]
            },
            "timeclocks[0].events[0].offset_minutes",
            "an offset is -720..720 minutes",
        ),
        (
            {"timeclocks": [{"events": [{"time": 1110, "targets": [11]}]}]},
            "timeclocks[0].events[0].time",
            "quote it in YAML",
        ),
        (
            {"timeclocks": [{"events": [{"time": "24:00", "targets": [11]}]}]},
            "timeclocks[0].events[0].time",
            "is not a time of day",
        ),
        (
            {"timeclocks": [{"events": [{"time": "noon", "targets": [11]}]}]},
            "timeclocks[0].events[0].time",
            "is not a time HH:MM or HH:MM:SS",
        ),
        (
            {
                "timeclocks": [
                    {"events": [{"time": "06:00", "days": [], "targets": [11]}]}
                ]
            },
            "timeclocks[0].events[0].days",
            "an event runs on at least one day",
        ),
        (
            {
                "timeclocks": [
                    {
                        "events": [
                            {
                                "time": "06:00",
                                "days": ["mon", "monday"],
                                "targets": [11],
                            }
                        ]
                    }
                ]
            },
            "timeclocks[0].events[0].days",
            "a day is named twice",
        ),
        (
            {
                "timeclocks": [
                    {
                        "events": [
                            {"time": "06:00", "days": ["someday"], "targets": [11]}
                        ]
                    }
                ]
            },
            "timeclocks[0].events[0].days",
            "is not a day of the week",
        ),
        (
            {
                "timeclocks": [
                    {"events": [{"time": "06:00", "days": 5, "targets": [11]}]}
                ]
            },
            "timeclocks[0].events[0].days",
            "expected a list of days",
        ),
        (
            {
                "timeclocks": [
                    {
                        "events": [
                            {"time": "06:00", "number": 2, "targets": [11]},
                            {"time": "07:00", "targets": [11]},
                        ]
                    }
                ]
            },
            "timeclocks[0].events[1].number",
            "event 2 is described twice",
        ),
        (
            {"timeclocks": [{"events": [{"time": "06:00"}]}]},
            "timeclocks[0].events[0].targets",
            "an event sets at least one output",
        ),
        (
            {"timeclocks": [{"events": [{"time": "06:00", "targets": [True]}]}]},
            "timeclocks[0].events[0].targets[0]",
            "",
        ),
    ],
)
def test_errors_name_the_path(changes: dict[str, Any], path: str, message: str) -> None:
    """Every error of the new kinds names where it is and why; rule ids where a rule is broken."""
    data: dict[str, Any] = {
        "modules": 1,
        "dimming_modules": [{"zones": ["Chandelier"]}],
    }
    data.update(changes)
    error = _error(data)
    assert error.path == path
    assert message in str(error)


# ---------------------------------------------------------------------------------------------------------------
# P3: every device on a link counts


def test_p3_every_device_counts_toward_the_link_device_limit() -> None:
    """P3: 99 devices per QS link, whatever their kind; the 100th (a keypad) is refused and named."""
    max_devices, _ = link_limits(ProcessorModel.HQP7_1, LinkType.QS)
    data: dict[str, Any] = {
        "processor": {"model": "HQP7-1"},
        "modules": 40,
        "shades": [{} for _ in range(30)],
        "keypads": [{} for _ in range(max_devices - 70)],
    }
    assert len(parse_description(data).devices) == max_devices
    data["keypads"].append({})
    error = _error(data)
    assert error.path == "keypads[29]"
    assert (
        "link 1 has no free address left: a link holds at most 99 devices (P3)"
        in str(error)
    )


def test_p3_link_device_limit_names_the_device_over_it() -> None:
    """P3 on an MDU QS link (50 devices): the 51st device, a keypad, is named in the LimitError."""
    with pytest.raises(LimitError) as info:
        parse_description(
            {"processor": {"model": "HQP7-MDU-1"}, "keypads": [{} for _ in range(51)]}
        )
    assert info.value.path == "keypads[50]"
    assert "link 1 would hold 51 devices" in str(info.value)
    assert "(P3)" in str(info.value)


def test_p3_zone_limit_counts_dimmed_and_shade_zones() -> None:
    """P3 on an MDU QS link (50 zones): 12 dimming modules (48 dimmed zones) and two shades (2) fit; a third shade does not."""
    data: dict[str, Any] = {
        "processor": {"model": "HQP7-MDU-1"},
        "dimming_modules": [{} for _ in range(12)],
        "shades": [{}, {}],
        "keypads": [{}],  # a keypad has no zones
    }
    parse_description(data)
    data["shades"].append({})
    with pytest.raises(LimitError) as info:
        parse_description(data)
    assert info.value.path == "shades[2]"
    assert (
        "link 1 would hold 51 zones; a QS wired link of a HQP7-MDU-1 processor holds at most 50 (P3)"
        in str(info.value)
    )


def test_p3_occupancy_sensors_on_a_clear_connect_link_count_there() -> None:
    """P2, P3: an RF sensor on a Clear Connect Type A link takes an address and counts as a device (no zones)."""
    data: dict[str, Any] = {
        "processor": {"model": "HQP7-2"},
        "links": [{"number": 1}, {"number": 2, "type": "clear_connect_a"}],
        "occupancy_sensors": [{"area": f"Room {n}", "link": 2} for n in range(99)],
    }
    house = parse_description(data)
    assert [sensor.address for sensor in house.devices][:3] == [1, 2, 3]
    assert round_trip(house) == house
    # The 100th device on the link has no address left (P3).
    data["occupancy_sensors"].append({"area": "Attic", "link": 2})
    error = _error(data)
    assert error.path == "occupancy_sensors[99]"
    assert (
        "link 2 has no free address left: a link holds at most 99 devices (P3)"
        in str(error)
    )
    data["occupancy_sensors"].pop()
    data["occupancy_sensors"][5]["address"] = 7
    data["occupancy_sensors"][6]["address"] = 7
    error = _error(data)
    assert error.path == "occupancy_sensors[6].address"
    assert "address 7 on link 2 is already used by occupancy_sensors[5]" in str(error)


# ---------------------------------------------------------------------------------------------------------------
# Round trips


def round_trip(description: SystemDescription) -> SystemDescription:
    """Write a description as plain data and read it back."""
    return parse_description(json.loads(json.dumps(description_to_dict(description))))


def test_round_trip_of_every_kind(tmp_path: Path) -> None:
    """`parse_description(description_to_dict(d)) == d` for every kind, through JSON and YAML files too."""
    house = parse_description(SMALL)
    assert round_trip(house) == house
    for name in ("house.yaml", "house.json"):
        save_description(house, tmp_path / name)
        assert load_description(tmp_path / name) == house
    data = description_to_dict(house)
    assert [key for key in data if key.endswith("s")][-6:] == [
        "modules",
        "dimming_modules",
        "shades",
        "keypads",
        "occupancy_sensors",
        "timeclocks",
    ]
    homeowner = data["keypads"][1]
    assert "serial" not in homeowner
    assert "link" not in homeowner
    assert homeowner["type"] == "homeowner"
    assert data["timeclocks"][0]["events"][1]["time"] == "23:30:00"
    assert data["timeclocks"][0]["events"][1]["days"] == ["sunday", "saturday"]
    assert device_to_dict(house.modules[0])["cco"]["integration_id"] == 15


def test_descriptions_of_modules_only_are_written_as_before() -> None:
    """Old description files and stored systems load unchanged, and a modules-only system writes no new keys."""
    house = parse_description({"modules": 2})
    assert set(description_to_dict(house)) == {
        "name",
        "guid",
        "database_date",
        "processor",
        "links",
        "modules",
    }


def test_round_trip_of_hand_built_devices() -> None:
    """Devices built with the model's constructors validate, and write as the format says."""
    built = parse_description({"modules": 1})
    pad = keypad(
        "0000000A",
        100,
        "Den keypad",
        "Den",
        buttons=(
            InputDescription(
                1,
                InputType.BUTTON,
                "Button 1",
                101,
                "On",
                ButtonProgramming(ProgrammingModel.TOGGLE, ((11, 100.0),)),
            ),
        ),
        leds=(IndicatorDescription(1, "LED 1", 111),),
        model_number="HQWT-U-P4W",
        link=1,
        address=2,
        device_type=KeypadType.PALLADIOM,
    )
    sensor = occupancy_sensor(
        "0000000B", 120, "Den sensor", "Den", model_number="LRF2-OCR2B-P-WH"
    )
    clock = timeclock(
        f"{built.processor.serial}-timeclock-130",
        130,
        "Timeclock 1",
        schedule=(
            TimeclockEventDescription(
                1,
                "Dawn",
                TimeclockEventType.SUNRISE,
                integration_id=131,
                targets=((11, 0.0),),
            ),
        ),
    )
    description = replace(built, devices=(*built.devices, pad, sensor, clock))
    validate_description(description)
    assert round_trip(description) == description
    assert device_to_dict(sensor)["type"] == "occupancy"


# ---------------------------------------------------------------------------------------------------------------
# Descriptions built in code


def _house_with(device: DeviceDescription, index: int) -> SystemDescription:
    house = parse_description(SMALL)
    devices = list(house.devices)
    devices[index] = device
    return replace(house, devices=tuple(devices))


def _invalid(description: SystemDescription) -> DescriptionError:
    with pytest.raises(DescriptionError) as info:
        validate_description(description)
    return info.value


def test_validate_hand_built_devices_with_canonical_paths() -> None:
    """Descriptions built in code are checked with canonical paths (`keypads[i]`, ...)."""
    house = parse_description(SMALL)
    validate_description(house)
    palladiom = house.devices[4]
    cases: list[tuple[DeviceDescription, int, str, str]] = [
        (
            replace(palladiom, device_type="Vierti"),
            4,
            "keypads[0].type",
            "'Vierti' is not a keypad type",
        ),
        (
            replace(house.devices[5], has_serial_number=True, serial="0000FFFF"),
            5,
            "keypads[1].serial",
            "it has no serial (LP35)",
        ),
        (
            replace(house.devices[5], link=1, address=9),
            5,
            "keypads[1].link",
            "the Homeowner keypad (LP35) takes no link address",
        ),
        (
            replace(house.devices[7], address=3),
            7,
            "timeclocks[0].address",
            "a timeclock takes no link address",
        ),
        (
            replace(house.devices[6], address=3),
            6,
            "occupancy_sensors[0].address",
            "an occupancy sensor without a link",
        ),
        (
            replace(
                palladiom,
                indicators=(
                    *palladiom.indicators,
                    IndicatorDescription(9, "LED 9", 999),
                ),
            ),
            4,
            "keypads[0].buttons",
            "an LED is numbered as its button, one LED a button at most (LP36)",
        ),
        (
            replace(
                palladiom,
                indicators=(*palladiom.indicators, palladiom.indicators[0]),
            ),
            4,
            "keypads[0].buttons",
            "one LED a button at most (LP36)",
        ),
        (
            replace(palladiom, inputs=palladiom.inputs[::-1]),
            4,
            "keypads[0].buttons[1].number",
            "listed in position order (LP36)",
        ),
        (
            replace(palladiom, inputs=(InputDescription(1, InputType.CCI, "CCI", 51),)),
            4,
            "keypads[0].buttons[0]",
            "a keypad's inputs are buttons",
        ),
        (
            replace(palladiom, outputs=house.devices[3].outputs),
            4,
            "keypads[0]",
            "a keypad has no outputs",
        ),
        (
            replace(house.devices[6], device_type="PIR"),
            6,
            "occupancy_sensors[0].type",
            "not an occupancy sensor type",
        ),
        (
            replace(house.devices[6], area=""),
            6,
            "occupancy_sensors[0].area",
            "reports its area's occupancy (LP44)",
        ),
        (
            replace(house.devices[3], outputs=house.devices[2].outputs[:1]),
            3,
            "shades[0].zone",
            "one shade zone",
        ),
        (
            replace(
                house.devices[2],
                outputs=tuple(
                    replace(zone, control_type=ControlType.SWITCHED)
                    for zone in house.devices[2].zones
                ),
            ),
            2,
            "dimming_modules[0].zones[0]",
            "a dimming module's zones are dimmed",
        ),
        (
            replace(house.devices[2], outputs=house.devices[2].outputs[:3]),
            2,
            "dimming_modules[0].zones",
            "4 zones numbered 1..4",
        ),
        (
            replace(
                house.devices[2],
                outputs=(
                    replace(house.devices[2].zones[0], load_type=LoadType.MOTOR),
                    *house.devices[2].outputs[1:],
                ),
            ),
            2,
            "dimming_modules[0].zones[0].load_type",
            "not motor",
        ),
        (
            replace(
                house.devices[2],
                outputs=(
                    replace(house.devices[2].zones[0], amps=-1),
                    *house.devices[2].outputs[1:],
                ),
            ),
            2,
            "dimming_modules[0].zones[0].amps",
            "a load cannot be negative",
        ),
        (
            replace(house.devices[5], serial=""),
            5,
            "keypads[1].serial",
            "a device needs a stable id",
        ),
        (
            replace(house.devices[2], integration_id=0),
            2,
            "dimming_modules[0].integration_id",
            "integration ids are positive",
        ),
    ]
    for device, index, path, message in cases:
        error = _invalid(_house_with(device, index))
        assert (error.path, message in str(error)) == (path, True), (path, str(error))


def test_validate_hand_built_timeclock_events() -> None:
    """LP45: events numbered once each, at a time of day, within the offset range, on at least one day."""
    house = parse_description(SMALL)
    clock = house.devices[7]
    first, second = clock.schedule
    cases = [
        (
            (first, replace(second, number=1)),
            "timeclocks[0].events[1].number",
            "event 1 is described twice",
        ),
        (
            (replace(first, number=0), second),
            "timeclocks[0].events[0].number",
            "event numbers start at 1",
        ),
        (
            (first, replace(second, time_of_day=(25, 0, 0))),
            "timeclocks[0].events[1].time",
            "is not a time of day",
        ),
        (
            (replace(first, offset_minutes=800), second),
            "timeclocks[0].events[0].offset_minutes",
            "-720..720",
        ),
        (
            (replace(first, days=(False,) * 7), second),
            "timeclocks[0].events[0].days",
            "at least one day",
        ),
        (
            (replace(first, targets=((11, float("nan")),)), second),
            "timeclocks[0].events[0].targets[0].level",
            "levels are",
        ),
    ]
    for schedule, path, message in cases:
        error = _invalid(_house_with(replace(clock, schedule=schedule), 7))
        assert (error.path, message in str(error)) == (path, True), (path, str(error))


def test_an_area_group_is_not_part_of_a_description() -> None:
    """Area groups are what a live processor reports (LP16); a description to emulate has none."""
    house = parse_description(SMALL)
    group = replace(house.devices[3], kind=DeviceKind.AREA_GROUP)
    error = _invalid(_house_with(group, 3))
    assert error.path == "area_group[0]"
    assert "a description has none" in str(error)


# ---------------------------------------------------------------------------------------------------------------
# New modules in a house, and the example house


def test_new_module_steps_around_every_kind() -> None:
    """A module added to a house takes an address, serial and ids no device of any kind holds (L3)."""
    house = parse_description(SMALL)
    module = new_module(house, 1)
    # Addresses 1..5: two modules, the dimming module, the shade, the wall keypad (the rest take none).
    assert module.address == 6
    # The first free block of ten from the module's rank (3) on: every block to 100 holds an id of some device.
    assert module.integration_id == 110
    validate_description(replace(house, devices=(*house.devices, module)))


def test_example_house_shows_the_whole_house() -> None:
    """The example house: a keypad in most rooms, a dimming module, two shades, occupancy in two rooms, a timeclock."""
    house = load_description(HOUSE)
    keypads = _of(house, DeviceKind.KEYPAD)
    rooms = {
        device.area
        for device in house.devices
        if device.kind is not DeviceKind.TIMECLOCK
    }
    with_keypad = {
        pad.area for pad in keypads if pad.device_type != KeypadType.HOMEOWNER
    }
    assert len(with_keypad) > len(rooms) / 2
    assert {pad.device_type for pad in keypads} == set(KeypadType)
    assert any(
        pad.model == "HQWT-U-P2W" and [b.number for b in pad.buttons] == [1, 4]
        for pad in keypads
    )
    assert {
        button.programming.model
        for pad in keypads
        for button in pad.buttons
        if button.programming
    } == set(ProgrammingModel)
    assert any(button.programming is None for pad in keypads for button in pad.buttons)
    assert len(_of(house, DeviceKind.DIMMING_MODULE)) == 1
    shades = _of(house, DeviceKind.SHADE)
    assert {shade_device.zones[0].control_type for shade_device in shades} == {
        ControlType.SHADE,
        ControlType.SHADE_WITH_TILT,
    }
    assert len({sensor.area for sensor in _of(house, DeviceKind.OCCUPANCY_SENSOR)}) == 2
    (clock,) = _of(house, DeviceKind.TIMECLOCK)
    assert {event.event_type for event in clock.schedule} == set(TimeclockEventType)
    assert round_trip(house) == house


def test_example_house_keeps_its_module_identities() -> None:
    """Home Assistant's entity ids and the migration tests depend on the example house's module serials and ids."""
    house = load_description(HOUSE)
    assert [(module.serial, module.integration_id) for module in house.modules] == [
        ("02B795A9", 10),
        ("CE998636", 20),
        ("63B25F9B", 30),
        ("7F7E9EDF", 40),
        ("3BE430B6", 50),
        ("1B4DF06F", 60),
    ]
    ids = {
        device.name: (device.integration_id, device.serial_number)
        for device in house.devices
        if device.kind is not DeviceKind.SWITCHING_MODULE
    }
    assert ids["Homeowner keypad"] == (220, None)
    assert ids["Outdoor lights"] == (250, None)
    assert ids["Kitchen keypad"][0] == 100


def test_derived_sensor_serials_step_around_taken_ones() -> None:
    """L3: a sensor's derived serial that another device holds is derived again."""
    taken = derived_serial("0A0B0C0D:occupancy:Den:1")
    house = parse_description(
        {
            "processor": {"serial": "0A0B0C0D"},
            "shades": [{"serial": taken}],
            "occupancy_sensors": [{"area": "Den"}],
        }
    )
    assert SERIAL.match(house.devices[1].serial)
    assert house.devices[1].serial != taken


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"keypads": [{"buttons": [{"engraving": 5}]}]},
            "keypads[0].buttons[0].engraving",
            "expected a string",
        ),
        (
            {"keypads": [{"buttons": ["x" * 101]}]},
            "keypads[0].buttons[0]",
            "at most 100 characters",
        ),
        (
            {
                "timeclocks": [
                    {"events": [{"time": "06:00", "days": [1], "targets": [11]}]}
                ]
            },
            "timeclocks[0].events[0].days",
            "is not a day",
        ),
        ({"shades": [{"zone": ""}]}, "shades[0].zone", "must not be empty"),
    ],
)
def test_format_errors(changes: dict[str, Any], path: str, message: str) -> None:
    """Values of the wrong type or size are refused where they are written."""
    error = _error({"modules": 1, **changes})
    assert error.path == path
    assert message in str(error)


def test_shade_zone_may_be_named_by_a_string() -> None:
    """A shade's `zone` may be its name alone."""
    house = parse_description({"shades": [{"name": "Blind", "zone": "Blind motor"}]})
    assert house.devices[0].zones[0].name == "Blind motor"


def test_hand_built_duplicate_ids_are_named() -> None:
    """L3 on a description built in code: a button id that is a zone's id is refused at the button."""
    house = parse_description(SMALL)
    pad = house.devices[4]
    clash = replace(
        pad, inputs=(replace(pad.inputs[0], integration_id=11), *pad.inputs[1:])
    )
    error = _invalid(_house_with(clash, 4))
    assert error.path == "keypads[0].buttons[0].integration_id"
    assert (
        "integration id 11 is already used by modules[0].zones[0].integration_id"
        in str(error)
    )


def test_buttons_without_leds() -> None:
    """LP36: a button may have no LED (`led: false`; raise/lower buttons have none); it round-trips."""
    house = parse_description(
        {
            "keypads": [
                {"buttons": ["Scene", {"engraving": "Raise", "led": False}, "Off"]}
            ]
        }
    )
    pad = house.devices[0]
    assert [led.number for led in pad.indicators] == [1, 3]
    assert [led.integration_id for led in pad.indicators] == [21, 23]
    assert device_to_dict(pad)["buttons"][1]["led"] is False
    assert round_trip(house) == house
    error = _error(
        {"keypads": [{"buttons": [{"led": False, "led_integration_id": 5}]}]}
    )
    assert error.path == "keypads[0].buttons[0].led_integration_id"
    assert "the button has no LED (led: false)" in str(error)


def test_a_keypad_of_the_homeowner_model_is_the_homeowner_keypad() -> None:
    """LP35: built in code, a keypad whose model is "Homeowner Keypad" is the virtual keypad, whatever its type."""
    built = parse_description({"modules": 1})
    virtual = keypad(
        f"{built.processor.serial}-keypad-100",
        100,
        "Homeowner keypad",
        "",
        buttons=(InputDescription(1, InputType.BUTTON, "Button 1", 101),),
        leds=(),
        model_number=HOMEOWNER_KEYPAD_MODEL,
        has_serial_number=False,
    )
    unaddressed = keypad(
        "0000ABCD",
        110,
        "Hall keypad",
        "Hall",
        buttons=(InputDescription(1, InputType.BUTTON, "Button 1", 111),),
        leds=(),
        model_number="HQWT-U-P4W",
        link=1,
        address=5,
        has_serial_number=False,
    )
    description = replace(built, devices=(*built.devices, virtual, unaddressed))
    validate_description(description)
    data = description_to_dict(description)
    assert data["keypads"][0]["type"] == "homeowner"
    assert "serial" not in data["keypads"][1]
    assert parse_description(data).devices[1].device_type == KeypadType.HOMEOWNER
