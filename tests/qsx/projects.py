"""Projects of several processors (P4, LP53) for tests: a few devices of every kind on each processor.

`project_data(3)` is the description-format data of a three-processor project, `project_description(3)` the
description; everything not written here takes the documented defaults.
"""

from __future__ import annotations

from typing import Any

from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.model import SystemDescription


def processor_serial(number: int) -> str:
    """Return the serial of the `number`-th processor (from 1) of a test project: 50520001, 50520002, ..."""
    return f"5052{number:04X}"


def processor_name(number: int) -> str:
    """Return the name of the `number`-th processor (from 1) of a test project."""
    return "Main house" if number == 1 else f"Building {number}"


def project_data(processors: int = 3, modules: int = 2) -> dict[str, Any]:
    """Return a project of `processors` HQP7-2 processors (link 1 QS, link 2 RF) in the description format.

    On each: `modules` switching modules, a dimming module, a shade, a SeeTouch keypad whose first button turns on the
    first module's zones 1 and 2 of the same processor and whose second turns off zone 1 of the first processor's
    first module (LP53: across processors), and an occupancy sensor on its RF link. Devices of the first processor
    name none; the others name theirs, alternately by serial and by name.
    """
    data: dict[str, Any] = {
        "name": f"Project of {processors}",
        "processors": [
            {
                "serial": processor_serial(number),
                "name": processor_name(number),
                "model": "HQP7-2",
                "links": [
                    {"number": 1, "type": "qs"},
                    {"number": 2, "type": "clear_connect_a"},
                ],
            }
            for number in range(1, processors + 1)
        ],
        "modules": [],
        "dimming_modules": [],
        "shades": [],
        "keypads": [],
        "occupancy_sensors": [],
    }
    for number in range(1, processors + 1):
        place: dict[str, Any] = {}
        if number > 1:
            place["processor"] = (
                processor_serial(number) if number % 2 == 0 else processor_name(number)
            )
        area = processor_name(number)
        first_module_id = 1000 * number
        for index in range(modules):
            module: dict[str, Any] = {**place, "area": area, "link": 1}
            if index == 0:
                module["integration_id"] = first_module_id
            data["modules"].append(module)
        data["dimming_modules"].append({**place, "area": area})
        data["shades"].append({**place, "area": area})
        data["keypads"].append(
            {
                **place,
                "area": area,
                "buttons": [
                    {
                        "engraving": "On",
                        "programming": {
                            "model": "single_action",
                            "targets": [first_module_id + 1, first_module_id + 2],
                        },
                    },
                    {
                        "engraving": "Main off",
                        "programming": {
                            "model": "single_action",
                            "targets": [{"output": 1001, "level": 0}],
                        },
                    },
                ],
            }
        )
        data["occupancy_sensors"].append({**place, "area": area, "link": 2})
    return data


def project_description(processors: int = 3, modules: int = 2) -> SystemDescription:
    """Return the description of `project_data(processors, modules)`."""
    return parse_description(project_data(processors, modules))
