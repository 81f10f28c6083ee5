"""The largest house the benchmarks measure: two full QS links of a HQP7-2, every kind of device.

Each link holds 99 devices (P3: the processor is the 100th) in 18 rooms: per room two switching modules, two
dimming modules and a keypad, and a shade in nine of the rooms; 297 zones per link, within the 512 of a QS link.
Beside the links: the processor's Homeowner keypad, an occupancy sensor in every other room and a timeclock. A
room's keypad is a seeTouch (seven buttons: two scenes, a toggle, the shade or a second toggle, raise and lower
without LEDs, off) or, in every third room, a Palladiom with four (two scenes, toggle, off).

It is written as a description (the format of docs/system-description.md) so that the emulator's own command line
serves it from a file (`serve --system`), as it would a user's house.

Integration ids are explicit, a block of 100 per room from 1000: modules at +0 and +10 (zones +1..+4, CCO +5),
dimming modules at +20 and +30, the shade at +40 (its zone +41), the keypad at +50 (button n at +50+n, its LED at
+60+n), the sensor at +80.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any, Final

from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.model import SystemDescription

LINKS: Final = 2
ROOMS_PER_LINK: Final = 18
SHADE_ROOMS_PER_LINK: Final = 9  # the first rooms of each link
FIRST_ID: Final = 1000
ROOM_ID_BLOCK: Final = 100
HOMEOWNER_KEYPAD_ID: Final = 9000
TIMECLOCK_ID: Final = 9500
NAME: Final = "Largest house"
PROJECT_NAME: Final = "Largest project"
PROJECT_SERIAL_BASE: Final = 0x0B0A0001  # the processors of the project, in order
# The button a press benchmark presses: each keypad's first scene (its press changes nothing after the first).
SCENE_BUTTON: Final = 1


def room_base(room: int) -> int:
    """Integration id block of room `room` (0-based over both links)."""
    return FIRST_ID + room * ROOM_ID_BLOCK


def _room_name(link: int, index: int, place: int = 0) -> str:
    processor = f"{place + 1}:" if place else ""
    return f"Room {processor}{link}.{index + 1:02d}"


def _scene(
    level_dimmed: float, dimmed: list[int], switched: list[int], level_switched: float
) -> dict[str, Any]:
    return {
        "model": "single_action",
        "targets": [{"output": output, "level": level_dimmed} for output in dimmed]
        + [{"output": output, "level": level_switched} for output in switched],
    }


def _keypad(room: int, area: str, link: int, has_shade: bool) -> dict[str, Any]:
    base = room_base(room)
    dimmed = [base + 20 + n for n in range(1, 5)] + [base + 30 + n for n in range(1, 5)]
    switched = [base + n for n in range(1, 5)] + [base + 10 + n for n in range(1, 5)]
    bright = {
        "engraving": "Bright",
        "programming": _scene(100.0, dimmed, switched, 100.0),
    }
    evening = {
        "engraving": "Evening",
        "programming": _scene(40.0, dimmed, switched[:2], 100.0),
    }
    toggle = {
        "engraving": "Lamps",
        "programming": {
            "model": "toggle",
            "targets": [{"output": switched[2], "level": 100}],
        },
    }
    off = {"engraving": "Off", "programming": _scene(0.0, dimmed, switched, 0.0)}
    keypad: dict[str, Any] = {
        "link": link,
        "name": f"{area} keypad",
        "area": area,
        "integration_id": base + 50,
    }
    if room % 3 == 2:
        keypad |= {
            "type": "palladiom",
            "model": "HQWT-U-P4W",
            "buttons": [bright, evening, toggle, off],
        }
        return keypad
    fourth = (
        {
            "engraving": "Shade",
            "programming": {"model": "open_stop_close_stop", "targets": [base + 41]},
        }
        if has_shade
        else {
            "engraving": "Accent",
            "programming": {
                "model": "toggle",
                "targets": [{"output": switched[3], "level": 100}],
            },
        }
    )
    raise_button = {
        "engraving": "Raise",
        "led": False,
        "programming": {"model": "raise", "targets": dimmed[:4]},
    }
    lower_button = {
        "engraving": "Lower",
        "led": False,
        "programming": {"model": "lower", "targets": dimmed[:4]},
    }
    keypad |= {
        "type": "seetouch",
        "model": "QSWS2-7B",
        "buttons": [bright, evening, toggle, fourth, raise_button, lower_button, off],
    }
    return keypad


@dataclass(slots=True)
class _Devices:
    """The devices of a description, by kind (the file's lists)."""

    links: list[dict[str, Any]] = field(default_factory=list)
    dimming: list[dict[str, Any]] = field(default_factory=list)
    shades: list[dict[str, Any]] = field(default_factory=list)
    keypads: list[dict[str, Any]] = field(default_factory=list)
    sensors: list[dict[str, Any]] = field(default_factory=list)


def _add_processor(found: _Devices, place: int, processor: str | None) -> None:
    """Add one processor's two full links: `place` 0 is the first processor (rooms from 0, no `processor:` key)."""
    owned = {} if processor is None else {"processor": processor}
    for link in range(1, LINKS + 1):
        modules: list[dict[str, Any]] = []
        for index in range(ROOMS_PER_LINK):
            room = (place * LINKS + link - 1) * ROOMS_PER_LINK + index
            area = _room_name(link, index, place)
            base = room_base(room)
            modules.extend(
                {
                    "name": f"{area} switching {half + 1}",
                    "area": area,
                    "integration_id": base + 10 * half,
                    "zones": [
                        {"name": f"{area} circuit {half * 4 + n}", "watts": 240}
                        for n in range(1, 5)
                    ],
                }
                for half in (0, 1)
            )
            found.dimming.extend(
                {
                    **owned,
                    "link": link,
                    "name": f"{area} dimming {half + 1}",
                    "area": area,
                    "integration_id": base + 20 + 10 * half,
                    "zones": [
                        {"name": f"{area} light {half * 4 + n}", "watts": 300}
                        for n in range(1, 5)
                    ],
                }
                for half in (0, 1)
            )
            has_shade = index < SHADE_ROOMS_PER_LINK
            if has_shade:
                found.shades.append(
                    {
                        **owned,
                        "link": link,
                        "name": f"{area} shade",
                        "area": area,
                        "type": "shade_with_tilt" if index % 3 == 0 else "shade",
                        "integration_id": base + 40,
                        "zone": {"name": f"{area} shade", "integration_id": base + 41},
                    }
                )
            found.keypads.append(_keypad(room, area, link, has_shade) | owned)
            if room % 2 == 0:
                found.sensors.append(
                    {
                        **owned,
                        "area": area,
                        "name": f"{area} sensor",
                        "integration_id": base + 80,
                    }
                )
        found.links.append({"number": link, "type": "qs", "modules": modules})


def _shared(found: _Devices) -> dict[str, Any]:
    """Return the rest of a description: the first processor's Homeowner keypad, the timeclock, every device list."""
    first_area_lights = [room_base(0) + 20 + n for n in range(1, 5)]
    found.keypads.append(
        {
            "type": "homeowner",
            "name": "Homeowner keypad",
            "area": _room_name(1, 0),
            "integration_id": HOMEOWNER_KEYPAD_ID,
            "buttons": [
                {
                    "engraving": "Welcome",
                    "programming": {
                        "model": "single_action",
                        "targets": first_area_lights,
                    },
                },
                {
                    "engraving": "Goodnight",
                    "programming": {
                        "model": "single_action",
                        "targets": [
                            {"output": output, "level": 0}
                            for output in first_area_lights
                        ],
                    },
                },
            ],
        }
    )
    return {
        "dimming_modules": found.dimming,
        "shades": found.shades,
        "keypads": found.keypads,
        "occupancy_sensors": found.sensors,
        "timeclocks": [
            {
                "name": "Outdoor",
                "integration_id": TIMECLOCK_ID,
                "events": [
                    {"name": "Dusk", "type": "sunset", "targets": first_area_lights},
                    {
                        "name": "Night",
                        "time": "23:30:00",
                        "targets": [
                            {"output": output, "level": 0}
                            for output in first_area_lights
                        ],
                    },
                ],
            }
        ],
    }


def house_data() -> dict[str, Any]:
    """Return the largest house as a description mapping (the file format)."""
    found = _Devices()
    _add_processor(found, 0, None)
    return {
        "name": NAME,
        "processor": {"model": "HQP7-2"},
        "links": found.links,
        **_shared(found),
    }


def project_data(processors: int = 2) -> dict[str, Any]:
    """Return a project of `processors` processors, each an HQP7-2 with the largest house's two full links (P4).

    The second and later processors' rooms are named after their place ("Room 2:1.01") and take the next blocks of
    integration ids (L3: one id space); their devices name their processor. The Homeowner keypad and the timeclock
    are the first processor's, as in the house.
    """
    found = _Devices()
    serials = [f"{PROJECT_SERIAL_BASE + place:08X}" for place in range(processors)]
    described: list[dict[str, Any]] = []
    for place, serial in enumerate(serials):
        _add_processor(found, place, serial if place else None)
        described.append(
            {
                "serial": serial,
                "model": "HQP7-2",
                "name": f"Processor {place + 1}",
                "links": found.links[place * LINKS :],
            }
        )
    return {"name": PROJECT_NAME, "processors": described, **_shared(found)}


def largest_house() -> SystemDescription:
    """Return the largest house, parsed and validated as any description."""
    return parse_description(house_data())


def largest_project(processors: int = 2) -> SystemDescription:
    """Return the project of `processors` largest houses, parsed and validated as any description."""
    return parse_description(project_data(processors))


def write_house(path: Path, processors: int = 1) -> Path:
    """Write the largest house (one processor), or a project of that many, to `path` (.json); return the path."""
    data = house_data() if processors == 1 else project_data(processors)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
