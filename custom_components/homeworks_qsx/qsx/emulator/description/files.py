"""Descriptions in and out: files, default systems, plain data, and new modules for an existing system."""

from __future__ import annotations

from collections.abc import Sequence
import json
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from ...const import MAX_ADDRESS, MIN_ADDRESS, ProcessorModel
from ...errors import DescriptionError, LimitError
from ...model import (
    CcoDescription,
    DeviceDescription,
    SystemDescription,
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
from .schema import MODULE_SCHEMA, schema_error


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
    """Return the description-format mapping of one module, every field explicit."""
    data: dict[str, Any] = {
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


def description_to_dict(description: SystemDescription) -> dict[str, Any]:
    """Return `description` as plain JSON/YAML data with every field explicit.

    ``parse_description(description_to_dict(d)) == d`` for every valid description `d`.
    """
    links: list[dict[str, Any]] = []
    for link in description.links:
        item: dict[str, Any] = {"number": link.number, "type": link.link_type.value}
        if link.cable_length_m is not None:
            item["length_m"] = link.cable_length_m
        links.append(item)
    processor = description.processor
    return {
        "name": description.name,
        "guid": description.guid,
        "database_date": description.database_date,
        "processor": {
            "serial": processor.serial,
            "model": processor.model.value,
            "name": processor.name,
            "firmware": processor.firmware,
            "integration_id": processor.integration_id,
        },
        "links": links,
        "modules": [module_to_dict(module) for module in description.modules],
    }


def new_module(
    description: SystemDescription, link: int, **overrides: Any
) -> DeviceDescription:
    """Return a new module for `link` of `description` (not added yet), with defaults for what is not given.

    Defaults: the lowest free address on the link, a serial derived from the processor serial, link and address,
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
    link_numbers = {item.number for item in description.links}
    if link not in link_numbers:
        raise DescriptionError(
            "module.link",
            f"link {link} does not exist on a {description.processor.model.value} processor (P1)",
        )
    entry = Entry(path="module", raw=raw, link=link)
    resolve_zones(entry)
    on_link = {module.address for module in description.modules if module.link == link}
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
    serials = {module.serial for module in description.modules}
    if "serial" in raw:
        if raw["serial"] in serials or raw["serial"] == description.processor.serial:
            raise DescriptionError(
                "module.serial", f"serial {raw['serial']} is already used"
            )
        entry.serial = raw["serial"]
    else:
        entry.serial = default_module_serial(
            description.processor.serial, link, entry.address, serials
        )
    used = {description.processor.integration_id: "the processor"}
    for module in description.modules:
        for integration_id in _module_ids(module):
            used[integration_id] = f"module {module.serial}"
    allocate_ids([entry], used, len(description.modules) + 1)
    return build_module(entry)


def _module_ids(module: DeviceDescription) -> list[int]:
    return [
        module.integration_id,
        *(zone.integration_id for zone in module.zones),
        module.cco.integration_id,
    ]


# --------------------------------------------------------------------------------------------------------------
