"""Descriptions in and out: files, default systems, plain data, and new modules for an existing system."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import json
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from ...const import (
    MAX_ADDRESS,
    MIN_ADDRESS,
    KeypadType,
    OccupancySensorType,
    ProcessorModel,
)
from ...errors import DescriptionError, LimitError
from ...model import (
    CcoDescription,
    DeviceDescription,
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    ProcessorDescription,
    SystemDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    ZoneDescription,
)
from .building import (
    Entry,
    allocate_ids,
    build_module,
    parse_description,
    resolve_zones,
)
from .defaults import DEFAULT_SYSTEM_NAME, default_module_serial
from .devices import KIND_KEYS
from .processors import processor_label, resolve_processor
from .schema import (
    DAY_NAMES,
    EVENT_TYPE_NAMES,
    KEYPAD_TYPE_NAMES,
    MODULE_SCHEMA,
    PROGRAMMING_NAMES,
    SENSOR_TYPE_NAMES,
    SHADE_TYPE_NAMES,
    schema_error,
)
from .validation import keypad_type


def load_description(path: str | Path) -> SystemDescription:
    """Read a description from a ``.yaml``/``.yml`` or ``.json`` file and parse it.

    Raises:
        DescriptionError: the file cannot be read or parsed, or the description is invalid.

    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise DescriptionError(
            str(file), "a description file ends in .yaml, .yml or .json"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise DescriptionError(
            str(file), f"cannot read the file: {err.strerror or err}"
        ) from err
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise DescriptionError(
            str(file), f"not valid {suffix[1:].upper()}: {err}"
        ) from err
    return parse_description(data)


def save_description(description: SystemDescription, path: str | Path) -> None:
    """Write `description` in full to a ``.yaml``/``.yml`` or ``.json`` file (readable by `load_description`)."""
    file = Path(path)
    data = description_to_dict(description)
    if file.suffix.lower() == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    file.write_text(text, encoding="utf-8")


def build_description(
    modules_per_link: Sequence[int],
    *,
    model: ProcessorModel = ProcessorModel.HQP7_2,
    name: str = DEFAULT_SYSTEM_NAME,
    processor_serial: str | None = None,
) -> SystemDescription:
    """Return a description with `modules_per_link[i]` default modules on link i+1, and defaults for everything.

    Example: ``build_description([4, 2])`` is a two-link processor with four modules on link 1 and two on link 2.
    """
    data: dict[str, Any] = {
        "name": name,
        "processor": {"model": model.value},
        "links": [
            {"number": index + 1, "modules": count}
            for index, count in enumerate(modules_per_link)
        ],
    }
    if processor_serial is not None:
        data["processor"]["serial"] = processor_serial
    return parse_description(data)


def build_project(
    modules_per_link: Sequence[Sequence[int]],
    *,
    model: ProcessorModel = ProcessorModel.HQP7_2,
    name: str = DEFAULT_SYSTEM_NAME,
    serials: Sequence[str] | None = None,
) -> SystemDescription:
    """Return a project of several processors (P4): processor i has `modules_per_link[i][j]` default modules on link j+1.

    Example: ``build_project([[4, 2], [3]])`` is two HQP7-2 processors, four and two modules on the first's links,
    three on the second's link 1. `serials` gives the processors' serials (else the documented defaults).
    """
    if serials is not None and len(serials) != len(modules_per_link):
        raise DescriptionError(
            "processors",
            f"{len(serials)} serials for {len(modules_per_link)} processors",
        )
    processors: list[dict[str, Any]] = []
    for index, counts in enumerate(modules_per_link):
        item: dict[str, Any] = {
            "model": model.value,
            "links": [
                {"number": number, "modules": count}
                for number, count in enumerate(counts, start=1)
            ],
        }
        if serials is not None:
            item["serial"] = serials[index]
        processors.append(item)
    return parse_description({"name": name, "processors": processors})


def zone_to_dict(zone: ZoneDescription) -> dict[str, Any]:
    """Return the description-format mapping of one zone."""
    return {
        "number": zone.number,
        "name": zone.name,
        "load_type": zone.load_type.value,
        "amps": zone.amps,
        "override": zone.override_level.value,
        "integration_id": zone.integration_id,
    }


def cco_to_dict(cco: CcoDescription) -> dict[str, Any]:
    """Return the description-format mapping of a CCO."""
    return {
        "name": cco.name,
        "type": cco.cco_type.value,
        "pulse_seconds": cco.pulse_seconds,
        "integration_id": cco.integration_id,
    }


def module_to_dict(module: DeviceDescription) -> dict[str, Any]:
    """Return the description-format mapping of one module, every field explicit (its processor past the first)."""
    data: dict[str, Any] = _processor_key(module)
    data |= {
        "serial": module.serial,
        "name": module.name,
        "area": module.area,
        "link": module.link,
        "address": module.address,
        "integration_id": module.integration_id,
    }
    if module.cci_group is not None:
        data["cci_group"] = module.cci_group
    if module.feed is not None:
        data["feed"] = module.feed
    data["zones"] = [zone_to_dict(zone) for zone in module.zones]
    data["cco"] = cco_to_dict(module.cco)
    return data


def _targets_to_list(targets: Sequence[tuple[int, float]]) -> list[dict[str, Any]]:
    return [{"output": output, "level": level} for output, level in targets]


def _processor_key(device: DeviceDescription) -> dict[str, Any]:
    # A device of the first processor names none, so a one-processor description is written as it always was.
    return {} if device.processor is None else {"processor": device.processor}


def _place_to_dict(device: DeviceDescription) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if device.serial_number is not None:
        data["serial"] = device.serial
    data["name"] = device.name
    if device.area:
        data["area"] = device.area
    if device.link:
        data["link"] = device.link
        data["address"] = device.address
    data["integration_id"] = device.integration_id
    return data


def device_to_dict(device: DeviceDescription) -> dict[str, Any]:
    """Return the description-format mapping of one device of any kind, every field explicit."""
    kind = device.kind
    if kind is DeviceKind.SWITCHING_MODULE:
        return module_to_dict(device)
    data: dict[str, Any] = {}
    if kind is DeviceKind.KEYPAD:
        data["type"] = KEYPAD_TYPE_NAMES[keypad_type(device) or KeypadType.SEETOUCH]
    elif kind is DeviceKind.OCCUPANCY_SENSOR:
        data["type"] = SENSOR_TYPE_NAMES[
            OccupancySensorType(device.device_type or OccupancySensorType.OCCUPANCY)
        ]
    elif kind is DeviceKind.SHADE:
        data["type"] = SHADE_TYPE_NAMES[device.outputs[0].control_type]
    data.update(_processor_key(device))
    if kind is not DeviceKind.TIMECLOCK:
        data["model"] = device.model
        data.update(_place_to_dict(device))
    else:
        data["name"] = device.name
        data["integration_id"] = device.integration_id
    if kind is DeviceKind.DIMMING_MODULE:
        data["zones"] = [
            {
                "number": zone.number,
                "name": zone.name,
                "load_type": zone.load_type.value,
                "amps": zone.amps,
                "integration_id": zone.integration_id,
            }
            for zone in device.zones
        ]
    elif kind is DeviceKind.SHADE:
        zone = device.outputs[0]
        data["zone"] = {"name": zone.name, "integration_id": zone.integration_id}
    elif kind is DeviceKind.KEYPAD:
        leds = {indicator.number: indicator for indicator in device.indicators}
        data["buttons"] = [_button_to_dict(button, leds) for button in device.buttons]
    elif kind is DeviceKind.TIMECLOCK:
        data["events"] = [_event_to_dict(event) for event in device.schedule]
    return data


def _button_to_dict(
    button: InputDescription, leds: Mapping[int, IndicatorDescription]
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": button.number,
        "name": button.name,
        "engraving": button.engraving,
        "integration_id": button.integration_id,
    }
    if (led := leds.get(button.number)) is not None:
        data["led_integration_id"] = led.integration_id
    else:
        data["led"] = False
    if button.programming is not None:
        data["programming"] = {
            "model": PROGRAMMING_NAMES[button.programming.model],
            "targets": _targets_to_list(button.programming.targets),
        }
    return data


def _event_to_dict(event: TimeclockEventDescription) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": event.number,
        "name": event.name,
        "type": EVENT_TYPE_NAMES[event.event_type],
    }
    if event.event_type is TimeclockEventType.FIXED_TIME:
        data["time"] = "{:02d}:{:02d}:{:02d}".format(*event.time_of_day)
    else:
        data["offset_minutes"] = event.offset_minutes
    data["days"] = [name for name, on in zip(DAY_NAMES, event.days, strict=True) if on]
    data["integration_id"] = event.integration_id
    data["targets"] = _targets_to_list(event.targets)
    return data


def description_to_dict(description: SystemDescription) -> dict[str, Any]:
    """Return `description` as plain JSON/YAML data with every field explicit.

    ``parse_description(description_to_dict(d)) == d`` for every description `d` that `parse_description` gave. A
    list of devices of a kind the description has none of is left out, so a description of switching modules only
    is written as before the other kinds existed. One processor is written under ``processor:`` and ``links:``;
    several under ``processors:``, each with its links, and each device past the first processor names its own.
    """
    data: dict[str, Any] = {
        "name": description.name,
        "guid": description.guid,
        "database_date": description.database_date,
    }
    if not description.other_processors:
        data["processor"] = _processor_to_dict(description.processor)
        data["links"] = _links_to_list(description, description.processor.serial)
    else:
        data["processors"] = [
            _processor_to_dict(processor)
            | {"links": _links_to_list(description, processor.serial)}
            for processor in description.processors
        ]
    data["modules"] = [module_to_dict(module) for module in description.modules]
    for kind, key in KIND_KEYS.items():
        devices = [device for device in description.devices if device.kind is kind]
        if devices:
            data[key] = [device_to_dict(device) for device in devices]
    return data


def _processor_to_dict(processor: ProcessorDescription) -> dict[str, Any]:
    return {
        "serial": processor.serial,
        "model": processor.model.value,
        "name": processor.name,
        "firmware": processor.firmware,
        "integration_id": processor.integration_id,
    }


def _links_to_list(
    description: SystemDescription, processor_serial: str
) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    for link in description.links_of(processor_serial):
        item: dict[str, Any] = {"number": link.number, "type": link.link_type.value}
        if link.cable_length_m is not None:
            item["length_m"] = link.cable_length_m
        links.append(item)
    return links


def new_module(
    description: SystemDescription, link: int, **overrides: Any
) -> DeviceDescription:
    """Return a new module for `link` of `description` (not added yet), with defaults for what is not given.

    `overrides` may name the module's ``processor`` (serial or name; default the first). Defaults: the lowest free
    address on that processor's link, a serial derived from the processor serial, link and address,
    the next free block of integration ids (module 10*n, zones 10*n+1..10*n+4, CCO 10*n+5, where n starts at
    the number of modules plus one) and the default names. `overrides` take the keys of a module in the
    description format (``name``, ``area``, ``address``, ``serial``, ``integration_id``, ``zones``, ``cco``,
    ``cci_group``, ``feed``); ``zones`` and ``cco`` may also be given as `ZoneDescription` objects and a `CcoDescription`.

    Raises:
        DescriptionError: an override is invalid or the link does not exist (path ``module.<key>``).
        LimitError: the link has no free address (P3).

    """
    raw_input = dict(overrides)
    if "zones" in raw_input:
        raw_input["zones"] = [
            zone_to_dict(zone) if isinstance(zone, ZoneDescription) else zone
            for zone in raw_input["zones"]
        ]
    if isinstance(raw_input.get("cco"), CcoDescription):
        raw_input["cco"] = cco_to_dict(raw_input["cco"])
    raw_input["link"] = link
    try:
        raw: dict[str, Any] = MODULE_SCHEMA(raw_input)
    except vol.Invalid as err:
        raise schema_error(err, "module") from None
    processors = description.processors
    index = resolve_processor(processors, "module", raw.get("processor"))
    processor = processors[index]
    link_numbers = {item.number for item in description.links_of(processor.serial)}
    if link not in link_numbers:
        raise DescriptionError(
            "module.link",
            f"link {link} does not exist on {processor_label(processors, index)} (P1)",
        )
    entry = Entry(
        path="module",
        raw=raw,
        link=link,
        processor=index,
        processor_serial=processor.serial,
    )
    resolve_zones(entry)
    on_link = {
        device.address
        for device in description.devices_of(processor.serial)
        if device.link == link
    }
    if "address" in raw:
        if raw["address"] in on_link:
            raise DescriptionError(
                "module.address",
                f"address {raw['address']} on link {link} is already used",
            )
        entry.address = raw["address"]
    else:
        free = [
            address
            for address in range(MIN_ADDRESS, MAX_ADDRESS + 1)
            if address not in on_link
        ]
        if not free:
            raise LimitError(
                "module.link",
                f"Link {link} has no free address: a link holds at most {MAX_ADDRESS} devices (P3)",
            )
        entry.address = free[0]
    serials = {device.serial for device in description.devices}
    serials.update(item.serial for item in processors)
    if "serial" in raw:
        if raw["serial"] in serials:
            raise DescriptionError(
                "module.serial", f"serial {raw['serial']} is already used"
            )
        entry.serial = raw["serial"]
    else:
        entry.serial = default_module_serial(
            processor.serial, link, entry.address, serials
        )
    used = {item.integration_id: f"processor {item.serial}" for item in processors}
    for device in description.devices:
        for integration_id in device_ids(device):
            used[integration_id] = f"device {device.serial}"
    allocate_ids([entry], used, len(description.modules) + 1)
    return build_module(entry)


def device_ids(device: DeviceDescription) -> list[int]:
    """Every integration id a device holds: its own, its outputs', its buttons' and LEDs', its events'."""
    return [
        device.integration_id,
        *(output.integration_id for output in device.outputs),
        *(item.integration_id for item in device.inputs if item.integration_id),
        *(item.integration_id for item in device.indicators if item.integration_id),
        *(event.integration_id for event in device.schedule if event.integration_id),
    ]
