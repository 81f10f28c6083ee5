"""Persistence of an emulated system: its description and every module's state as plain JSON data, and back.

`export_system` writes what `parse_export` reads; `parse_export` checks everything (schema, the states fit the
description, the rules C5 and O3) before the emulator changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import datetime as dt
import math
from typing import Any, Final

import voluptuous as vol

from ..const import ZONES_PER_MODULE
from ..errors import DescriptionError
from ..model import DeviceState, SystemDescription, ZoneState
from .description import description_to_dict, parse_description
from .description.schema import schema_error
from .module import ModuleRecord

EXPORT_FORMAT: Final = 1


def export_system(
    description: SystemDescription,
    records: Mapping[str, ModuleRecord],
    time_offset: dt.timedelta,
) -> dict[str, Any]:
    """Return the description, the processor time offset and every module's state as JSON-serialisable data."""
    return {
        "format": EXPORT_FORMAT,
        "description": description_to_dict(description),
        "processor_time_offset_us": time_offset // dt.timedelta(microseconds=1),
        "modules": {
            serial: _export_module(record) for serial, record in records.items()
        },
    }


def parse_export(
    data: Mapping[str, Any],
) -> tuple[SystemDescription, dict[str, ModuleRecord], dt.timedelta]:
    """Check `export_system` data; return the description, the module records and the time offset.

    `DescriptionError` (with the path) when the data is invalid.
    """
    description = parse_export_description(data)
    try:
        states = _STATE_SCHEMA(
            {
                "format": data.get("format"),
                "modules": data.get("modules"),
                **_offset_item(data),
            }
        )
    except vol.Invalid as err:
        raise schema_error(err) from None
    records = _restored_records(description, states["modules"])
    offset = dt.timedelta(microseconds=states.get("processor_time_offset_us", 0))
    return description, records, offset


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
        "link_up": st.link_up,
        "bypass": st.bypass,
        "program_mode": st.program_mode,
        "temperature_c": st.temperature_c,
    }


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

_STATE_SCHEMA = vol.Schema(
    {
        vol.Required("format"): vol.All(
            _count, vol.In([EXPORT_FORMAT], msg="unknown export format")
        ),
        vol.Required("modules"): vol.Schema({str: _MODULE_STATE_SCHEMA}),
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
        )
    return records
