"""Building a `SystemDescription` from validated raw data: links, modules, addresses, serials and integration ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import voluptuous as vol

from ...const import (
    CCO_INTEGRATION_ID_OFFSET,
    DEFAULT_CCO_NAME,
    FEET_PER_METRE,
    MAX_ADDRESS,
    MIN_ADDRESS,
    MODULE_RATING_A,
    QS_LINK_MAX_LENGTH_FT,
    ZONE_INTEGRATION_ID_STRIDE,
    ZONE_RATING_A,
    ZONES_PER_MODULE,
    CcoType,
    LinkType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
    default_zone_name,
)
from ...errors import DescriptionError
from ...model import (
    CcoDescription,
    DeviceDescription,
    LinkDescription,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
    default_guid,
    switching_module,
)
from .defaults import (
    DEFAULT_SYSTEM_NAME,
    default_module_name,
    default_module_serial,
    default_processor_serial,
)
from .devices import (
    DeviceEntry,
    allocate_device_ids,
    assign_device_serials,
    build_device,
    explicit_ids,
    read_device_entries,
    register_serials,
)
from .schema import AMPS_EPSILON, SYSTEM_SCHEMA, schema_error, zone_amps
from .validation import check_description, full_load

# --------------------------------------------------------------------------------------------------------------
# Building modules from validated raw entries


@dataclass(slots=True)
class Entry:
    """A module as written by the user, on its way to a `DeviceDescription`."""

    path: str
    raw: dict[str, Any]
    link: int
    address: int = 0
    serial: str = ""
    zones: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    module_id: int = 0
    zone_ids: dict[int, int] = field(default_factory=dict)
    cco_id: int = 0


def resolve_zones(entry: Entry) -> None:
    """Check the zones of a module entry (numbers, duplicates) and put them in zone-number order."""
    for index, zone in enumerate(entry.raw.get("zones", [])):
        path = f"{entry.path}.zones[{index}]"
        number = zone.get("number", index + 1)
        if number in entry.zones:
            raise DescriptionError(
                f"{path}.number", f"zone {number} is described twice"
            )
        if "amps" in zone and "watts" in zone:
            raise DescriptionError(path, "give the load in watts or in amps, not both")
        entry.zones[number] = (path, zone)


def _explicit_ids(entry: Entry) -> list[tuple[str, int]]:
    ids: list[tuple[str, int]] = []
    if "integration_id" in entry.raw:
        ids.append((f"{entry.path}.integration_id", entry.raw["integration_id"]))
    for path, zone in entry.zones.values():
        if "integration_id" in zone:
            ids.append((f"{path}.integration_id", zone["integration_id"]))
    cco = entry.raw.get("cco", {})
    if "integration_id" in cco:
        ids.append((f"{entry.path}.cco.integration_id", cco["integration_id"]))
    return ids


def _missing_ids(entry: Entry, base: int) -> list[tuple[str, int]]:
    """Default ids the entry still needs when its block starts at `base`: (what, id)."""
    needed: list[tuple[str, int]] = []
    if "integration_id" not in entry.raw:
        needed.append(("integration_id", base))
    for number in range(1, ZONES_PER_MODULE + 1):
        zone = entry.zones.get(number)
        if zone is None or "integration_id" not in zone[1]:
            needed.append((f"zone {number}", base + number))
    if "integration_id" not in entry.raw.get("cco", {}):
        needed.append(("cco", base + CCO_INTEGRATION_ID_OFFSET))
    return needed


def allocate_ids(
    entries: Sequence[Entry], used: dict[int, str], first_ordinal: int
) -> None:
    """Give every entry its integration ids; `used` maps each taken id to where it is used."""
    for entry in entries:
        for path, integration_id in _explicit_ids(entry):
            if integration_id in used:
                raise DescriptionError(
                    path,
                    f"integration id {integration_id} is already used by {used[integration_id]}",
                )
            used[integration_id] = path
    for ordinal, entry in enumerate(entries, start=first_ordinal):
        if "integration_id" in entry.raw:
            base = entry.raw["integration_id"]
            needed = _missing_ids(entry, base)
            for what, integration_id in needed:
                if integration_id in used:
                    raise DescriptionError(
                        entry.path,
                        f"the default integration id {integration_id} of {what} is already used by "
                        f"{used[integration_id]}; give it an integration_id",
                    )
        else:
            block = ordinal
            while True:
                base = block * ZONE_INTEGRATION_ID_STRIDE
                needed = _missing_ids(entry, base)
                if all(integration_id not in used for _, integration_id in needed):
                    break
                block += 1
        for what, integration_id in needed:
            used[integration_id] = f"{entry.path} ({what})"
        entry.module_id = base
        entry.cco_id = entry.raw.get("cco", {}).get(
            "integration_id", base + CCO_INTEGRATION_ID_OFFSET
        )
        for number in range(1, ZONES_PER_MODULE + 1):
            zone = entry.zones.get(number)
            explicit = zone[1].get("integration_id") if zone else None
            entry.zone_ids[number] = explicit if explicit is not None else base + number


def _zone_amps(path: str, zone: Mapping[str, Any]) -> float:
    return zone_amps(
        path, zone, ZONE_RATING_A, f"the {ZONE_RATING_A:g} A zone rating (M3)"
    )


def build_module(entry: Entry) -> DeviceDescription:
    """Build the `DeviceDescription` of an entry whose ids are allocated."""
    raw = entry.raw
    zones: list[ZoneDescription] = []
    for number in range(1, ZONES_PER_MODULE + 1):
        path, zone = entry.zones.get(number, (f"{entry.path}.zones[{number - 1}]", {}))
        zones.append(
            ZoneDescription(
                number=number,
                integration_id=entry.zone_ids[number],
                name=zone.get("name", default_zone_name(number)),
                load_type=zone.get("load_type", LoadType.INCANDESCENT),
                amps=_zone_amps(path, zone),
                override_level=zone.get("override", OverrideLevel.ON),
            )
        )
    cco = raw.get("cco", {})
    name = raw.get("name", default_module_name(entry.link, entry.address))
    module = switching_module(
        serial=entry.serial,
        integration_id=entry.module_id,
        name=name,
        area=raw.get("area", name),
        link=entry.link,
        address=entry.address,
        zones=tuple(zones),
        cco=CcoDescription(
            integration_id=entry.cco_id,
            name=cco.get("name", DEFAULT_CCO_NAME),
            cco_type=cco.get("type", CcoType.MAINTAINED),
            **(
                {"pulse_seconds": cco["pulse_seconds"]}
                if "pulse_seconds" in cco
                else {}
            ),
        ),
        cci_group=raw.get("cci_group"),
        feed=raw.get("feed"),
    )
    total = full_load(module)
    if total > MODULE_RATING_A + AMPS_EPSILON:
        raise DescriptionError(
            f"{entry.path}.zones",
            f"the zones draw {total:.2f} A when all are on, above the {MODULE_RATING_A:g} A module rating (M3)",
        )
    return module


# --------------------------------------------------------------------------------------------------------------
# Public API


def parse_description(data: Mapping[str, Any]) -> SystemDescription:
    """Validate a description (as read from YAML or JSON) and fill in every default.

    Raises:
        DescriptionError: with the path of the first offending value, for example ``modules[2].zones[1].amps``.

    """
    if not isinstance(data, Mapping):
        raise DescriptionError("", "a system description is a mapping")
    try:
        raw: dict[str, Any] = SYSTEM_SCHEMA(dict(data))
    except vol.Invalid as err:
        raise schema_error(err) from None

    name: str = raw.get("name", DEFAULT_SYSTEM_NAME)
    proc_raw: dict[str, Any] = raw.get("processor", {})
    model: ProcessorModel = proc_raw.get("model", ProcessorModel.HQP7_2)
    processor = ProcessorDescription(
        serial=proc_raw.get("serial", default_processor_serial(name)),
        model=model,
        **{
            key: proc_raw[key]
            for key in ("name", "firmware", "integration_id")
            if key in proc_raw
        },
    )
    links, entries = _read_links(raw.get("links"), model)
    entries.extend(_read_top_modules(raw.get("modules")))
    for entry in entries:
        if entry.link not in links:
            raise DescriptionError(
                f"{entry.path}.link" if "link" in entry.raw else entry.path,
                f"link {entry.link} does not exist on a {model.value} processor (P1)",
            )
        resolve_zones(entry)
    others = read_device_entries(raw, links, model)
    _assign_addresses([*entries, *others])
    entries.sort(key=lambda entry: (entry.link, entry.address))
    taken = {processor.serial: "processor.serial"}
    register_serials(others, taken)
    _assign_serials(entries, processor.serial, taken)
    used = {processor.integration_id: "processor.integration_id"}
    for other in others:
        for path, integration_id in explicit_ids(other):
            if integration_id in used:
                raise DescriptionError(
                    path,
                    f"integration id {integration_id} is already used by {used[integration_id]}",
                )
            used[integration_id] = path
    allocate_ids(entries, used, 1)
    allocate_device_ids(others, used, len(entries) + 1)
    assign_device_serials(others, processor.serial, taken)
    devices = (
        *(build_module(entry) for entry in entries),
        *(build_device(other) for other in others),
    )
    description = SystemDescription(
        name=name,
        guid=raw.get("guid", default_guid(processor.serial)),
        processor=processor,
        links=tuple(links[number] for number in sorted(links)),
        devices=devices,
        **({"database_date": raw["database_date"]} if "database_date" in raw else {}),
    )
    paths = [entry.path for entry in entries] + [other.path for other in others]
    check_description(description, paths)
    return description


def _read_links(
    value: int | list[dict[str, Any]] | None, model: ProcessorModel
) -> tuple[dict[int, LinkDescription], list[Entry]]:
    links: dict[int, LinkDescription] = {}
    entries: list[Entry] = []
    items: list[dict[str, Any]] = (
        [{} for _ in range(value)] if isinstance(value, int) else list(value or [])
    )
    for index, item in enumerate(items):
        path = f"links[{index}]"
        number = item.get("number", index + 1)
        if number > model.link_count:
            raise DescriptionError(
                f"{path}.number",
                f"link {number} does not exist: a {model.value} processor has {model.link_count} link(s) (P1)",
            )
        if number in links:
            raise DescriptionError(
                f"{path}.number", f"link {number} is described twice"
            )
        link_type: LinkType = item.get("type", LinkType.QS)
        length_m: float | None = None
        if "length_m" in item and "length_ft" in item:
            raise DescriptionError(
                path, "give the cable length in metres or in feet, not both"
            )
        if "length_ft" in item:
            # To the millimetre: the conversion leaves float noise (850 ft: 259.08000000000004 m).
            length_m = round(item["length_ft"] / FEET_PER_METRE, 3)
            if item["length_ft"] > QS_LINK_MAX_LENGTH_FT:
                raise DescriptionError(
                    f"{path}.length_ft",
                    f"{item['length_ft']:g} ft is longer than the {QS_LINK_MAX_LENGTH_FT:g} ft a QS link allows (L1)",
                )
        elif "length_m" in item:
            length_m = item["length_m"]
        links[number] = LinkDescription(
            number=number, link_type=link_type, cable_length_m=length_m
        )
        modules = item.get("modules", 0)
        if isinstance(modules, int):
            entries.extend(
                Entry(path=f"{path}.modules[{k}]", raw={}, link=number)
                for k in range(modules)
            )
        else:
            for position, module in enumerate(modules):
                module_path = f"{path}.modules[{position}]"
                if module.get("link", number) != number:
                    raise DescriptionError(
                        f"{module_path}.link",
                        f"the module is listed under link {number}",
                    )
                entries.append(Entry(path=module_path, raw=module, link=number))
    for number in range(1, model.link_count + 1):
        links.setdefault(number, LinkDescription(number=number))
    return links, entries


def _read_top_modules(value: int | list[dict[str, Any]] | None) -> list[Entry]:
    if isinstance(value, int):
        return [Entry(path=f"modules[{k}]", raw={}, link=1) for k in range(value)]
    return [
        Entry(path=f"modules[{index}]", raw=module, link=module.get("link", 1))
        for index, module in enumerate(value or [])
    ]


def _assign_addresses(entries: Sequence[Entry | DeviceEntry]) -> None:
    """Give every entry on a link its address: the one written, else the lowest free one, in the entries' order."""
    taken: dict[int, dict[int, str]] = {}
    for entry in entries:
        if entry.link and "address" in entry.raw:
            on_link = taken.setdefault(entry.link, {})
            address = entry.raw["address"]
            if address in on_link:
                raise DescriptionError(
                    f"{entry.path}.address",
                    f"address {address} on link {entry.link} is already used by {on_link[address]}",
                )
            on_link[address] = entry.path
            entry.address = address
    next_free: dict[int, int] = {}
    for entry in entries:
        if not entry.link or "address" in entry.raw:
            continue
        on_link = taken.setdefault(entry.link, {})
        address = next_free.get(entry.link, MIN_ADDRESS)
        while address in on_link:
            address += 1
        if address > MAX_ADDRESS:
            raise DescriptionError(
                entry.path,
                f"link {entry.link} has no free address left: a link holds at most {MAX_ADDRESS} devices (P3)",
            )
        on_link[address] = entry.path
        next_free[entry.link] = address + 1
        entry.address = address


def _assign_serials(
    entries: Sequence[Entry], processor_serial: str, taken: dict[str, str]
) -> None:
    """Give every module its serial: the one written, else derived from its place; `taken` maps serials to users."""
    for entry in entries:
        if "serial" in entry.raw:
            serial = entry.raw["serial"]
            if serial in taken:
                raise DescriptionError(
                    f"{entry.path}.serial",
                    f"serial {serial} is already used by {taken[serial]}",
                )
            taken[serial] = entry.path
            entry.serial = serial
    for entry in entries:
        if not entry.serial:
            entry.serial = default_module_serial(
                processor_serial, entry.link, entry.address, set(taken)
            )
            taken[entry.serial] = entry.path
