"""Deterministic defaults of a description: names, serials and the project GUID, the same on every run."""

from __future__ import annotations

import hashlib
from typing import Final

from ...model import DeviceKind, ProcessorDescription

DEFAULT_SYSTEM_NAME = "HomeWorks QSX"
# The model's default processor name: a one-processor description's, as it always was.
DEFAULT_PROCESSOR_NAME: Final = ProcessorDescription(serial="").name
# --------------------------------------------------------------------------------------------------------------
# Deterministic defaults


def derived_serial(seed: str) -> str:
    """Return a reproducible serial number (8 upper-case hex digits) for `seed`."""
    return hashlib.sha256(seed.encode()).hexdigest()[:8].upper()


def default_processor_serial(name: str) -> str:
    """Return the default processor serial of a system called `name`."""
    return derived_serial(f"processor:{name}")


def default_module_serial(
    processor_serial: str, link: int, address: int, taken: set[str]
) -> str:
    """Return the default serial of the module at (link, address), avoiding the serials in `taken`."""
    serial = derived_serial(f"{processor_serial}:{link}:{address}")
    attempt = 0
    while serial in taken or serial == processor_serial:
        attempt += 1
        serial = derived_serial(f"{processor_serial}:{link}:{address}:{attempt}")
    return serial


def default_processor_name(number: int) -> str:
    """Return the default name of the `number`-th processor of a project (from 1): the first keeps the plain name."""
    return (
        DEFAULT_PROCESSOR_NAME if number == 1 else f"{DEFAULT_PROCESSOR_NAME} {number}"
    )


def _on_processor(name: str, processor: int) -> str:
    # Devices on the second processor and later say so, so that two "Module 1.1" stay apart (P4).
    return name if processor <= 1 else f"{name} (processor {processor})"


def default_module_name(link: int, address: int, processor: int = 1) -> str:
    """Return the default module name, "Module <link>.<address>" ("... (processor <n>)" past the first processor)."""
    return _on_processor(f"Module {link}.{address}", processor)


def default_device_name(
    kind: DeviceKind,
    *,
    link: int,
    address: int,
    area: str,
    index: int,
    virtual: bool,
    processor: int = 1,
) -> str:
    """Return the name of a device (not a switching module) nobody named.

    "Dimming module <link>.<address>", "Shade <link>.<address>", "Keypad <link>.<address>", "Homeowner keypad",
    "<area> occupancy sensor", "Timeclock <n>" (n: its place in the list, from 1); a device of the second processor
    or later (`processor`, from 1) adds " (processor <n>)" but to the last two (an area, a list place are unique).
    """
    if kind is DeviceKind.TIMECLOCK:
        return f"Timeclock {index + 1}"
    if kind is DeviceKind.OCCUPANCY_SENSOR:
        return f"{area} occupancy sensor"
    if virtual:
        return _on_processor("Homeowner keypad", processor)
    label = {
        DeviceKind.DIMMING_MODULE: "Dimming module",
        DeviceKind.SHADE: "Shade",
    }.get(kind, "Keypad")
    return _on_processor(f"{label} {link}.{address}", processor)
