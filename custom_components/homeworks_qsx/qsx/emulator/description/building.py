"""Building a `SystemDescription` from validated raw data: links, modules, addresses, serials and integration ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    SystemDescription,
    ZoneDescription,
    default_guid,
    switching_module,
)
from .defaults import DEFAULT_SYSTEM_NAME, default_module_name, default_module_serial
from .devices import (
    DeviceEntry,
    allocate_device_ids,
    assign_device_serials,
    build_device,
    explicit_ids,
    place_devices,
    read_device_entries,
    register_serials,
)
from .processors import (
    DEFAULT_MODEL,
    ProcessorEntry,
    build_processors,
    processor_entries,
    processor_label,
    resolve_processor,
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
    processor: int = 0  # its processor's place in the project (0: the first)
    processor_serial: str = ""  # and that processor's serial
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
    name = raw.get(
        "name", default_module_name(entry.link, entry.address, entry.processor + 1)
    )
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
    if entry.processor:
        module = replace(module, processor=entry.processor_serial)
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
    processor_raw = processor_entries(raw)
    # Links (and the modules listed under them) first: their errors come before any other, as with one processor.
    links: dict[tuple[int, int], LinkDescription] = {}
    entries: list[Entry] = []
    for index, item in enumerate(processor_raw):
        model: ProcessorModel = item.raw.get("model", DEFAULT_MODEL)
        read_links(item, index, model, links, entries)
    top = _read_top_modules(raw.get("modules"))
    others = read_device_entries(raw)
    explicit = [
        integration_id
        for entry in [*entries, *top]
        for _, integration_id in _raw_ids(entry)
    ]
    explicit.extend(
        integration_id for other in others for _, integration_id in explicit_ids(other)
    )
    processors = build_processors(processor_raw, name, explicit)
    for (index, number), link in links.items():
        if index:  # the first processor's links name none (None: the first)
            links[(index, number)] = replace(link, processor=processors[index].serial)
    for entry in entries:
        entry.processor_serial = processors[entry.processor].serial
    for entry in top:
        entry.processor = resolve_processor(
            processors, entry.path, entry.raw.get("processor")
        )
        entry.processor_serial = processors[entry.processor].serial
    entries.extend(top)
    for entry in entries:
        if (entry.processor, entry.link) not in links:
            raise DescriptionError(
                f"{entry.path}.link" if "link" in entry.raw else entry.path,
                f"link {entry.link} does not exist on {processor_label(processors, entry.processor)} (P1)",
            )
        resolve_zones(entry)
    place_devices(others, processors, set(links))
    _assign_addresses([*entries, *others])
    entries.sort(key=lambda entry: (entry.processor, entry.link, entry.address))
    taken = {
        processor.serial: f"{item.path}.serial"
        for processor, item in zip(processors, processor_raw, strict=True)
    }
    register_serials(others, taken)
    _assign_serials(entries, taken)
    used = {
        processor.integration_id: f"{item.path}.integration_id"
        for processor, item in zip(processors, processor_raw, strict=True)
    }
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
    assign_device_serials(others, taken)
    devices = (
        *(build_module(entry) for entry in entries),
        *(build_device(other) for other in others),
    )
    description = SystemDescription(
        name=name,
        guid=raw.get("guid", default_guid(processors[0].serial)),
        processor=processors[0],
        other_processors=processors[1:],
        links=tuple(links[key] for key in sorted(links)),
        devices=devices,
        **({"database_date": raw["database_date"]} if "database_date" in raw else {}),
    )
    paths = [entry.path for entry in entries] + [other.path for other in others]
    check_description(description, paths)
    return description


def _raw_ids(entry: Entry) -> list[tuple[str, int]]:
    """Return the ids written in a module entry before its zones are resolved: (where, id)."""
    ids: list[tuple[str, int]] = []
    if "integration_id" in entry.raw:
        ids.append((f"{entry.path}.integration_id", entry.raw["integration_id"]))
    for index, zone in enumerate(entry.raw.get("zones", [])):
        if "integration_id" in zone:
            ids.append(
                (f"{entry.path}.zones[{index}].integration_id", zone["integration_id"])
            )
    cco = entry.raw.get("cco", {})
    if "integration_id" in cco:
        ids.append((f"{entry.path}.cco.integration_id", cco["integration_id"]))
    return ids


def read_links(
    item: ProcessorEntry,
    processor: int,
    model: ProcessorModel,
    links: dict[tuple[int, int], LinkDescription],
    entries: list[Entry],
) -> None:
    """Read one processor's links (and the modules listed under them) into `links` and `entries`.

    `links` is keyed by (processor, link number): link numbers are per processor (P1). A link of the model that is
    not written is a QS link. The links name no processor yet (its serial may be a default still to come).
    """
    value = item.links
    items: list[dict[str, Any]] = (
        [{} for _ in range(value)] if isinstance(value, int) else list(value or [])
    )
    written: set[int] = set()  # link numbers are per processor (P1)
    for index, link_raw in enumerate(items):
        path = f"{item.links_path}[{index}]"
        number = link_raw.get("number", index + 1)
        if number > model.link_count:
            raise DescriptionError(
                f"{path}.number",
                f"link {number} does not exist: a {model.value} processor has {model.link_count} link(s) (P1)",
            )
        if number in written:
            raise DescriptionError(
                f"{path}.number", f"link {number} is described twice"
            )
        written.add(number)
        link_type: LinkType = link_raw.get("type", LinkType.QS)
        length_m: float | None = None
        if "length_m" in link_raw and "length_ft" in link_raw:
            raise DescriptionError(
                path, "give the cable length in metres or in feet, not both"
            )
        if "length_ft" in link_raw:
            # To the millimetre: the conversion leaves float noise (850 ft: 259.08000000000004 m).
            length_m = round(link_raw["length_ft"] / FEET_PER_METRE, 3)
            if link_raw["length_ft"] > QS_LINK_MAX_LENGTH_FT:
                raise DescriptionError(
                    f"{path}.length_ft",
                    f"{link_raw['length_ft']:g} ft is longer than the {QS_LINK_MAX_LENGTH_FT:g} ft a QS link allows (L1)",
                )
        elif "length_m" in link_raw:
            length_m = link_raw["length_m"]
        links[(processor, number)] = LinkDescription(
            number=number, link_type=link_type, cable_length_m=length_m
        )
        modules = link_raw.get("modules", 0)
        if isinstance(modules, int):
            entries.extend(
                Entry(
                    path=f"{path}.modules[{k}]",
                    raw={},
                    link=number,
                    processor=processor,
                )
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
                if "processor" in module:
                    raise DescriptionError(
                        f"{module_path}.processor",
                        f"the module is listed under a link of {item.path}: it is that processor's",
                    )
                entries.append(
                    Entry(
                        path=module_path, raw=module, link=number, processor=processor
                    )
                )
    for number in range(1, model.link_count + 1):
        links.setdefault((processor, number), LinkDescription(number=number))


def _read_top_modules(value: int | list[dict[str, Any]] | None) -> list[Entry]:
    if isinstance(value, int):
        return [Entry(path=f"modules[{k}]", raw={}, link=1) for k in range(value)]
    return [
        Entry(path=f"modules[{index}]", raw=module, link=module.get("link", 1))
        for index, module in enumerate(value or [])
    ]


def _assign_addresses(entries: Sequence[Entry | DeviceEntry]) -> None:
    """Give every entry on a link its address: the one written, else the lowest free one, in the entries' order.

    Addresses are per link of a processor: link 1 of each processor has its own address 1.
    """
    taken: dict[tuple[int, int], dict[int, str]] = {}
    for entry in entries:
        if entry.link and "address" in entry.raw:
            on_link = taken.setdefault((entry.processor, entry.link), {})
            address = entry.raw["address"]
            if address in on_link:
                raise DescriptionError(
                    f"{entry.path}.address",
                    f"address {address} on link {entry.link} is already used by {on_link[address]}",
                )
            on_link[address] = entry.path
            entry.address = address
    next_free: dict[tuple[int, int], int] = {}
    for entry in entries:
        if not entry.link or "address" in entry.raw:
            continue
        key = (entry.processor, entry.link)
        on_link = taken.setdefault(key, {})
        address = next_free.get(key, MIN_ADDRESS)
        while address in on_link:
            address += 1
        if address > MAX_ADDRESS:
            raise DescriptionError(
                entry.path,
                f"link {entry.link} has no free address left: a link holds at most {MAX_ADDRESS} devices (P3)",
            )
        on_link[address] = entry.path
        next_free[key] = address + 1
        entry.address = address


def _assign_serials(entries: Sequence[Entry], taken: dict[str, str]) -> None:
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
                entry.processor_serial, entry.link, entry.address, set(taken)
            )
            taken[entry.serial] = entry.path
