"""Deterministic defaults of a description: names, serials and the project GUID, the same on every run."""

from __future__ import annotations

import hashlib

from ...model import DeviceKind

DEFAULT_SYSTEM_NAME = "HomeWorks QSX"
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


def default_module_name(link: int, address: int) -> str:
    """Return the default module name, "Module <link>.<address>"."""
    return f"Module {link}.{address}"


def default_device_name(
    kind: DeviceKind, *, link: int, address: int, area: str, index: int, virtual: bool
) -> str:
    """Return the name of a device (not a switching module) nobody named.

    "Dimming module <link>.<address>", "Shade <link>.<address>", "Keypad <link>.<address>", "Homeowner keypad",
    "<area> occupancy sensor", "Timeclock <n>" (n: its place in the list, from 1).
    """
    if kind is DeviceKind.TIMECLOCK:
        return f"Timeclock {index + 1}"
    if kind is DeviceKind.OCCUPANCY_SENSOR:
        return f"{area} occupancy sensor"
    if virtual:
        return "Homeowner keypad"
    label = {
        DeviceKind.DIMMING_MODULE: "Dimming module",
        DeviceKind.SHADE: "Shade",
    }.get(kind, "Keypad")
    return f"{label} {link}.{address}"
