"""Persistence of an emulated system: its description and every device's state as plain JSON data, and back.

`export_system` writes what `parse_export` reads; `parse_export` checks everything (schema, the states fit the
description, the rules C5 and O3) before the emulator changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
import datetime as dt
import math
from typing import Any, Final

import voluptuous as vol

from ..const import ZONES_PER_MODULE, LedState
from ..errors import DescriptionError
from ..model import DeviceKind, DeviceState, SystemDescription, ZoneState
from .description import description_to_dict, parse_description
from .description.schema import schema_error
from .house import DeviceRecord, check_level, is_device_kind
from .module import ModuleRecord

EXPORT_FORMAT: Final = 1


def export_system(
    description: SystemDescription,
    records: Mapping[str, ModuleRecord],
    devices: Mapping[str, DeviceRecord],
    time_offset: dt.timedelta,
    now: float,
    *,
    offline_processors: Collection[str] = (),
) -> dict[str, Any]:
    """Return the description, the processor time offset and every device's state as JSON-serialisable data.

    `now` (monotonic seconds) places the motions in progress: a moving output is exported where it is. A device's
    `link_up` is its own link condition; the processors cut off the network (LP53) are listed apart, only when
    there are some (so an export without any reads as before).
    """
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "description": description_to_dict(description),
        "processor_time_offset_us": time_offset // dt.timedelta(microseconds=1),
        "modules": {
            serial: _export_module(record) for serial, record in records.items()
        },
    }
    if devices:  # a system of modules only is exported as it was before the house
        data["devices"] = {
            serial: _export_device(record, now) for serial, record in devices.items()
        }
    if offline_processors:
        data["offline_processors"] = sorted(offline_processors)
    return data


@dataclass(frozen=True, slots=True)
class ParsedExport:
    """What `parse_export` checked: the description, the records of every device, the processor time offset.

    `offline_processors`: the serials of the processors cut off the network (LP53).
    """

    description: SystemDescription
    modules: dict[str, ModuleRecord]
    devices: dict[str, DeviceRecord]
    time_offset: dt.timedelta
    offline_processors: frozenset[str] = field(default_factory=frozenset)


def parse_export(data: Mapping[str, Any]) -> ParsedExport:
    """Check `export_system` data; return the description, the device records and the time offset.

    Exports made before the house (modules only) load: a device without a saved state starts in its factory
    state. `DescriptionError` (with the path) when the data is invalid.
    """
    description = parse_export_description(data)
    try:
        states = _STATE_SCHEMA(
            {
                "format": data.get("format"),
                "modules": data.get("modules"),
                "devices": data.get("devices", {}),
                "offline_processors": data.get("offline_processors", []),
                **_offset_item(data),
            }
        )
    except vol.Invalid as err:
        raise schema_error(err) from None
    records = _restored_records(description, states["modules"])
    devices = _restored_devices(description, states["devices"])
    offset = dt.timedelta(microseconds=states.get("processor_time_offset_us", 0))
    serials = {processor.serial for processor in description.processors}
    for index, serial in enumerate(states["offline_processors"]):
        if serial not in serials:
            raise DescriptionError(
                f"offline_processors.{index}",
                "no processor of the description has this serial",
            )
    return ParsedExport(
        description, records, devices, offset, frozenset(states["offline_processors"])
    )


def copy_device_state(source: DeviceState, target: DeviceState) -> None:
    """Copy the state a restore brings back into the live state object of a device beside the modules."""
    for source_zone, target_zone in zip(source.zones, target.zones, strict=True):
        target_zone.level = source_zone.level
        target_zone.on = source_zone.on
        target_zone.tilt = source_zone.tilt
        target_zone.level_accurate = source_zone.level_accurate
    target.indicators.clear()
    target.indicators.update(source.indicators)
    target.powered = source.powered
    target.link_up = source.link_up
    target.occupied = source.occupied
    target.timeclock_enabled = source.timeclock_enabled


def copy_state(source: DeviceState, target: DeviceState) -> None:
    """Copy the state a restore brings back into the live state object callers may hold."""
    for source_zone, target_zone in zip(source.zones, target.zones, strict=True):
        target_zone.relay_operations = source_zone.relay_operations
    target.cci_open = source.cci_open
    target.override_active = source.override_active
    target.cco_closed = source.cco_closed
    target.powered = source.powered
    target.link_up = source.link_up
    target.bypass = source.bypass
    target.program_mode = source.program_mode
    target.temperature_c = source.temperature_c


def _export_module(record: ModuleRecord) -> dict[str, Any]:
    st = record.state
    return {
        "levels": list(record.levels),
        "relay_operations": [zone.relay_operations or 0 for zone in st.zones],
        "saved_levels": None
        if record.saved_levels is None
        else list(record.saved_levels),
        "cci_open": st.cci_open,
        "override_active": st.override_active,
        "cco_closed": st.cco_closed,
        "cco_pulsing": record.pulse is not None,
        "powered": st.powered,
        "link_up": record.own_link_up,
        "bypass": st.bypass,
        "program_mode": st.program_mode,
        "temperature_c": st.temperature_c,
    }


def _export_device(record: DeviceRecord, now: float) -> dict[str, Any]:
    st = record.state
    levels = [zone.level for zone in st.zones]
    for output, motion in record.motions.items():
        levels[output - 1] = motion.level_at(now)
    item: dict[str, Any] = {"powered": st.powered, "link_up": record.own_link_up}
    if levels:
        item["levels"] = levels
    if any(zone.tilt is not None for zone in st.zones):
        item["tilts"] = [zone.tilt for zone in st.zones]
    if st.indicators:
        item["leds"] = {
            str(number): led == LedState.ON for number, led in st.indicators.items()
        }
    if record.description.kind is DeviceKind.OCCUPANCY_SENSOR:
        item["occupied"] = record.sensed
    if st.timeclock_enabled is not None:
        item["enabled"] = st.timeclock_enabled
    return item


def _level(value: Any) -> float:
    try:
        return check_level(value)
    except ValueError as err:
        raise vol.Invalid(str(err)) from None


def _levels(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise vol.Invalid("expected a list of levels, one per output")
    return [_level(element) for element in value]


def _tilts(value: Any) -> list[float | None]:
    if not isinstance(value, list):
        raise vol.Invalid("expected a list of tilts, one per output")
    return [None if element is None else _level(element) for element in value]


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise vol.Invalid("expected true or false")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise vol.Invalid("expected a count (an integer from 0)")
    return value


def _temperature(value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
    ):
        raise vol.Invalid("expected a temperature in °C")
    return float(value)


def _four[T](item: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def validate(value: Any) -> list[T]:
        if not isinstance(value, list) or len(value) != ZONES_PER_MODULE:
            raise vol.Invalid(
                f"expected a list of {ZONES_PER_MODULE} values, one per zone"
            )
        return [item(element) for element in value]

    return validate


_MODULE_STATE_SCHEMA = vol.Schema(
    {
        vol.Required("levels"): _four(_bool),
        vol.Required("relay_operations"): _four(_count),
        vol.Optional("saved_levels", default=None): vol.Any(None, _four(_bool)),
        vol.Required("cci_open"): _bool,
        vol.Required("override_active"): _bool,
        vol.Required("cco_closed"): _bool,
        vol.Optional("cco_pulsing", default=False): _bool,
        vol.Required("powered"): _bool,
        vol.Required("link_up"): _bool,
        vol.Required("bypass"): _bool,
        vol.Required("program_mode"): _bool,
        vol.Optional("temperature_c", default=None): _temperature,
    }
)

_DEVICE_STATE_SCHEMA = vol.Schema(
    {
        vol.Optional("powered", default=True): _bool,
        vol.Optional("link_up", default=True): _bool,
        vol.Optional("levels"): _levels,
        vol.Optional("tilts"): _tilts,
        vol.Optional("leds"): vol.Schema({vol.Coerce(int): _bool}),
        vol.Optional("occupied"): _bool,
        vol.Optional("enabled"): _bool,
    }
)

_STATE_SCHEMA = vol.Schema(
    {
        vol.Required("format"): vol.All(
            _count, vol.In([EXPORT_FORMAT], msg="unknown export format")
        ),
        vol.Required("modules"): vol.Schema({str: _MODULE_STATE_SCHEMA}),
        vol.Required("devices"): vol.Schema({str: _DEVICE_STATE_SCHEMA}),
        vol.Required("offline_processors"): [str],
        vol.Optional("processor_time_offset_us"): vol.All(
            int, vol.Range(min=-(2**62), max=2**62)
        ),
    }
)


def _offset_item(data: Mapping[str, Any]) -> dict[str, Any]:
    key = "processor_time_offset_us"
    return {key: data[key]} if key in data else {}


def parse_export_description(data: Mapping[str, Any]) -> SystemDescription:
    """Return the description of export data; `DescriptionError` with a path under `description`."""
    if not isinstance(data, Mapping) or not isinstance(
        data.get("description"), Mapping
    ):
        raise DescriptionError(
            "description", "exported data holds a description mapping"
        )
    try:
        return parse_description(data["description"])
    except DescriptionError as err:
        raise DescriptionError(
            f"description.{err.path}" if err.path else "description", err.message
        ) from None


def _restored_records(
    description: SystemDescription, states: Mapping[str, Mapping[str, Any]]
) -> dict[str, ModuleRecord]:
    """Check that the states fit the description and build the module records from them."""
    serials = {module.serial for module in description.modules}
    for serial in states:
        if serial not in serials:
            raise DescriptionError(
                f"modules.{serial}", "no module of the description has this serial"
            )
    records: dict[str, ModuleRecord] = {}
    for module in description.modules:
        path = f"modules.{module.serial}"
        item = states.get(module.serial)
        if item is None:
            raise DescriptionError(path, "the state of this module is missing")
        if item["powered"] and item["override_active"] != item["cci_open"]:
            raise DescriptionError(
                f"{path}.override_active",
                "a powered module is in override exactly while its CCI is open",
            )
        if item["override_active"] != (item["saved_levels"] is not None):
            raise DescriptionError(
                f"{path}.saved_levels",
                "saved levels exist exactly while override is active",
            )
        if item["cco_closed"] and not item["powered"]:
            raise DescriptionError(
                f"{path}.cco_closed",
                "the CCO relay of a module without power is open (O3)",
            )
        state = DeviceState(
            zones=[
                ZoneState(on=False, relay_operations=count)
                for count in item["relay_operations"]
            ],
            cci_open=item["cci_open"],
            override_active=item["override_active"],
            cco_closed=item["cco_closed"] and not item["cco_pulsing"],
            powered=item["powered"],
            link_up=item["link_up"],
            bypass=item["bypass"],
            program_mode=item["program_mode"],
            temperature_c=item["temperature_c"],
        )
        records[module.serial] = ModuleRecord(
            description=module,
            state=state,
            levels=list(item["levels"]),
            saved_levels=None
            if item["saved_levels"] is None
            else list(item["saved_levels"]),
            own_link_up=item["link_up"],
        )
    return records


def _restored_devices(
    description: SystemDescription, states: Mapping[str, Mapping[str, Any]]
) -> dict[str, DeviceRecord]:
    """Check that the saved states fit the devices beside the modules and build their records."""
    devices = {
        device.serial: device
        for device in description.devices
        if is_device_kind(device)
    }
    for serial in states:
        if serial not in devices:
            raise DescriptionError(
                f"devices.{serial}", "no device of the description has this serial"
            )
    records: dict[str, DeviceRecord] = {}
    for serial, device in devices.items():
        record = DeviceRecord.new(device)
        records[serial] = record
        item = states.get(serial)
        if item is None:  # an export made before the device existed
            continue
        path = f"devices.{serial}"
        st = record.state
        st.powered = item["powered"]
        st.link_up = record.own_link_up = item["link_up"]
        levels = item.get("levels", [zone.level for zone in st.zones])
        if len(levels) != len(st.zones):
            raise DescriptionError(
                f"{path}.levels", f"expected {len(st.zones)} levels, one per output"
            )
        tilts = item.get("tilts", [zone.tilt for zone in st.zones])
        if len(tilts) != len(st.zones) or any(
            (tilt is None) != (zone.tilt is None)
            for tilt, zone in zip(tilts, st.zones, strict=False)
        ):
            raise DescriptionError(
                f"{path}.tilts",
                "expected a tilt for each output with a tilt, null for the others",
            )
        for number, (level, tilt) in enumerate(
            zip(levels, tilts, strict=True), start=1
        ):
            st.set_output_level(number, level)
            st.zones[number - 1].tilt = tilt
            st.zones[number - 1].level_accurate = record.reachable
        for number, on in item.get("leds", {}).items():
            if number not in st.indicators:
                raise DescriptionError(
                    f"{path}.leds.{number}", "the device has no such LED"
                )
            st.indicators[number] = LedState.ON if on else LedState.OFF
        if "occupied" in item:
            if device.kind is not DeviceKind.OCCUPANCY_SENSOR:
                raise DescriptionError(
                    f"{path}.occupied", "only an occupancy sensor senses occupancy"
                )
            record.sensed = item["occupied"]
        if "enabled" in item:
            if device.kind is not DeviceKind.TIMECLOCK:
                raise DescriptionError(
                    f"{path}.enabled", "only a timeclock is enabled or disabled"
                )
            st.timeclock_enabled = item["enabled"]
    return records
