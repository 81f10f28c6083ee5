"""System descriptions: read, validate, fill in defaults, and write back (YAML or JSON).

A description names one HomeWorks QSX processor, its links and the switching modules on them. Everything a user
leaves out gets a default, so ``links: [{number: 1, modules: 4}]`` is a complete description. The format is
documented in ``docs/system-description.md``; in short::

    name: My house                      # system (project) name
    guid: ...                           # project id; default derived from the processor serial
    database_date: 01/01/2026,00:00:00  # MM/DD/YYYY,HH:MM:SS
    processor: {serial: 0A1B2C3D, model: HQP7-2, name: ..., firmware: ..., integration_id: 1}
    links:                              # or a number of links; missing links of the model are QS links
      - number: 1
        type: qs                        # qs | clear_connect_a (P2)
        length_ft: 800                  # or length_m; QS cable at most 2000 ft / 610 m (L1)
        modules: 4                      # a count of default modules, or a list of modules
    modules:                            # or a count (on link 1); each module:
      - link: 2                         # default 1 (inside links[i].modules: that link)
        address: 1                      # 1..99, unique per link; default the lowest free one
        serial: 1A2B3C4D                # 8 hex digits; default derived from the processor serial, link, address
        name: Kitchen panel             # default "Module <link>.<address>"
        area: Kitchen                   # default: the module name
        integration_id: 10              # default 10*n for the n-th module in link/address order
        cci_group: emergency            # modules sharing one override contact (C7), at most 32
        feed: panel-a                   # modules fed through one mains feed: at most 16 A together (M4)
        zones:                          # up to 4; a plain string is a zone name
          - name: Island                # default "Zone <n>"
            load_type: incandescent     # see LoadType; receptacles are not allowed (M3)
            watts: 600                  # or amps; watts are at 120 V; at most 8 A (M3)
            override: on                # level in manual override: on | off | unchanged (C2)
            integration_id: 11          # default module id + zone number
        cco: {name: Gate, type: momentary, pulse_seconds: 2, integration_id: 15}   # id default: module id + 5

Every error is a `DescriptionError` whose `path` names the offending place, for example
``modules[2].zones[1].amps``. One description covers one processor (P4: a project with several processors
needs one description, and one config entry, per processor).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
import re
from typing import Any
import uuid

import voluptuous as vol
import yaml

from .const import (
    CCO_INTEGRATION_ID_OFFSET,
    FEET_PER_METRE,
    MAINS_VOLTAGE,
    MAX_ADDRESS,
    MAX_CCI_GROUP_SIZE,
    MAX_PULSE_SECONDS,
    MIN_ADDRESS,
    MIN_PULSE_SECONDS,
    MODULE_RATING_A,
    QS_LINK_MAX_LENGTH_FT,
    QS_LINK_MAX_LENGTH_M,
    ZONE_INTEGRATION_ID_STRIDE,
    ZONE_RATING_A,
    ZONES_PER_MODULE,
    CcoType,
    LinkType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
    link_limits,
)
from .errors import DescriptionError, LimitError
from .model import (
    CcoDescription,
    LinkDescription,
    ModuleDescription,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
)

DEFAULT_SYSTEM_NAME = "HomeWorks QSX"
DEFAULT_CCO_NAME = "CCO"
DATABASE_DATE_FORMAT = "%m/%d/%Y,%H:%M:%S"
MAX_NAME_LENGTH = 100

_LINK_TYPE_NAMES = {
    LinkType.QS: "QS wired",
    LinkType.CLEAR_CONNECT_A: "Clear Connect Type A",
}
_SERIAL_RE = re.compile(r"^[0-9A-F]{8}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_AMPS_EPSILON = 1e-9  # watts / 120 is not exact in binary floating point


# --------------------------------------------------------------------------------------------------------------
# Leaf validators


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise vol.Invalid("expected an integer")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise vol.Invalid("expected a number")
    if not math.isfinite(value):
        raise vol.Invalid("expected a finite number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise vol.Invalid("expected a string")
    text = value.strip()
    if not text:
        raise vol.Invalid("must not be empty")
    if len(text) > MAX_NAME_LENGTH:
        raise vol.Invalid(f"at most {MAX_NAME_LENGTH} characters")
    if _CONTROL_RE.search(text):
        raise vol.Invalid("must not contain control characters")
    return text


def _serial(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise vol.Invalid(
            "a serial number is a string of 8 hexadecimal digits (quote it in YAML)"
        )
    if not isinstance(value, str):
        raise vol.Invalid("a serial number is a string of 8 hexadecimal digits")
    serial = value.strip().upper()
    if not _SERIAL_RE.match(serial):
        raise vol.Invalid(f"{value!r} is not 8 hexadecimal digits")
    return serial


def _enum[E: (ProcessorModel, LinkType, LoadType, CcoType, OverrideLevel)](
    enum: type[E], aliases: Mapping[str, E] | None = None
) -> Callable[[Any], E]:
    known = {member.value.lower(): member for member in enum}
    known.update(aliases or {})
    choices = ", ".join(member.value for member in enum)

    def validate(value: Any) -> E:
        if isinstance(value, str):
            key = value.strip().lower().replace(" ", "_")
            if key in known:
                return known[key]
            if key.replace("_", "-") in known:
                return known[key.replace("_", "-")]
        raise vol.Invalid(f"{value!r} is not one of: {choices}")

    return validate


_processor_model = _enum(ProcessorModel)
_link_type = _enum(
    LinkType,
    {
        "qs_wired": LinkType.QS,
        "rf": LinkType.CLEAR_CONNECT_A,
        "clear_connect": LinkType.CLEAR_CONNECT_A,
        "clear_connect_type_a": LinkType.CLEAR_CONNECT_A,
    },
)
_cco_type = _enum(CcoType, {"pulsed": CcoType.MOMENTARY})
_any_load_type = _enum(
    LoadType,
    {
        "tungsten": LoadType.INCANDESCENT,
        "inc": LoadType.INCANDESCENT,
        "ac_general_use": LoadType.AC_GENERAL,
        "nema_410": LoadType.ELECTRONIC_BALLAST,
    },
)
_any_override = _enum(OverrideLevel)


def _load_type(value: Any) -> LoadType:
    if isinstance(value, str) and "receptacle" in value.lower():
        raise vol.Invalid(
            "general purpose receptacles must not be switched by this module (M3)"
        )
    return _any_load_type(value)


def _override_level(value: Any) -> OverrideLevel:
    # YAML 1.1 reads a bare `on` / `off` as a boolean.
    if value is True:
        return OverrideLevel.ON
    if value is False:
        return OverrideLevel.OFF
    return _any_override(value)


def _database_date(value: Any) -> str:
    if not isinstance(value, str):
        raise vol.Invalid("expected a string MM/DD/YYYY,HH:MM:SS")
    try:
        dt.datetime.strptime(value.strip(), DATABASE_DATE_FORMAT)  # noqa: DTZ007 - a naive stamp by design
    except ValueError as err:
        raise vol.Invalid(f"{value!r} is not MM/DD/YYYY,HH:MM:SS") from err
    return value.strip()


def _count_or_list(item: vol.Schema) -> Callable[[Any], int | list[Any]]:
    items = vol.Schema([item])

    def validate(value: Any) -> int | list[Any]:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise vol.Invalid("a count cannot be negative")
            return value
        if isinstance(value, list):
            result: list[Any] = items(value)
            return result
        raise vol.Invalid("expected a count or a list")

    return validate


_INTEGRATION_ID = vol.All(_int, vol.Range(min=1, msg="integration ids are positive"))
_POSITIVE_LENGTH = vol.All(_number, vol.Range(min=0, msg="a length cannot be negative"))

_ZONE_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(_int, vol.Range(min=1, max=ZONES_PER_MODULE)),
        vol.Optional("name"): _text,
        vol.Optional("load_type"): _load_type,
        vol.Optional("amps"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("watts"): vol.All(
            _number, vol.Range(min=0, msg="a load cannot be negative")
        ),
        vol.Optional("override"): _override_level,
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)


def _zone_entry(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": _text(value)}
    result: dict[str, Any] = _ZONE_SCHEMA(value)
    return result


_CCO_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("type"): _cco_type,
        vol.Optional("pulse_seconds"): vol.All(
            _number,
            vol.Range(
                min=MIN_PULSE_SECONDS,
                max=MAX_PULSE_SECONDS,
                msg=f"a pulse lasts {MIN_PULSE_SECONDS:g} to {MAX_PULSE_SECONDS:g} s",
            ),
        ),
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)

_MODULE_SCHEMA = vol.Schema(
    {
        vol.Optional("serial"): _serial,
        vol.Optional("name"): _text,
        vol.Optional("area"): _text,
        vol.Optional("link"): vol.All(
            _int, vol.Range(min=1, msg="link numbers start at 1")
        ),
        vol.Optional("address"): vol.All(
            _int,
            vol.Range(
                min=MIN_ADDRESS,
                max=MAX_ADDRESS,
                msg=f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}",
            ),
        ),
        vol.Optional("integration_id"): _INTEGRATION_ID,
        vol.Optional("zones"): vol.All(
            [_zone_entry],
            vol.Length(
                max=ZONES_PER_MODULE, msg=f"a module has {ZONES_PER_MODULE} zones (M1)"
            ),
        ),
        vol.Optional("cco"): _CCO_SCHEMA,
        vol.Optional("cci_group"): vol.Any(None, _text),
        vol.Optional("feed"): vol.Any(None, _text),
    }
)

_LINK_SCHEMA = vol.Schema(
    {
        vol.Optional("number"): vol.All(
            _int, vol.Range(min=1, msg="link numbers start at 1")
        ),
        vol.Optional("type"): _link_type,
        vol.Optional("length_m"): _POSITIVE_LENGTH,
        vol.Optional("length_ft"): _POSITIVE_LENGTH,
        vol.Optional("modules"): _count_or_list(_MODULE_SCHEMA),
    }
)

_PROCESSOR_SCHEMA = vol.Schema(
    {
        vol.Optional("serial"): _serial,
        vol.Optional("model"): _processor_model,
        vol.Optional("name"): _text,
        vol.Optional("firmware"): _text,
        vol.Optional("integration_id"): _INTEGRATION_ID,
    }
)

_SYSTEM_SCHEMA = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("guid"): _text,
        vol.Optional("database_date"): _database_date,
        vol.Optional("processor"): _PROCESSOR_SCHEMA,
        vol.Optional("links"): _count_or_list(_LINK_SCHEMA),
        vol.Optional("modules"): _count_or_list(_MODULE_SCHEMA),
    }
)


def _format_path(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _schema_error(err: vol.Invalid, prefix: str = "") -> DescriptionError:
    first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
    path = _format_path(first.path)
    if prefix:
        path = f"{prefix}{'' if not path or path.startswith('[') else '.'}{path}"
    return DescriptionError(path, first.error_message or str(first))


# --------------------------------------------------------------------------------------------------------------
# Deterministic defaults


def derived_serial(seed: str) -> str:
    """Return a reproducible serial number (8 upper-case hex digits) for `seed`."""
    return hashlib.sha256(seed.encode()).hexdigest()[:8].upper()


def default_processor_serial(name: str) -> str:
    """Return the default processor serial of a system called `name`."""
    return derived_serial(f"processor:{name}")


def default_guid(processor_serial: str) -> str:
    """Return the default project GUID of a system whose processor has this serial."""
    return str(
        uuid.UUID(
            bytes=hashlib.sha256(f"guid:{processor_serial}".encode()).digest()[:16]
        )
    )


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


# --------------------------------------------------------------------------------------------------------------
# Building modules from validated raw entries


@dataclass(slots=True)
class _Entry:
    """A module as written by the user, on its way to a `ModuleDescription`."""

    path: str
    raw: dict[str, Any]
    link: int
    address: int = 0
    serial: str = ""
    zones: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    module_id: int = 0
    zone_ids: dict[int, int] = field(default_factory=dict)
    cco_id: int = 0


def _resolve_zones(entry: _Entry) -> None:
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


def _explicit_ids(entry: _Entry) -> list[tuple[str, int]]:
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


def _missing_ids(entry: _Entry, base: int) -> list[tuple[str, int]]:
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


def _allocate_ids(
    entries: Sequence[_Entry], used: dict[int, str], first_ordinal: int
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
    if "watts" in zone:
        watts: float = zone["watts"]
        amps = watts / MAINS_VOLTAGE
        if amps > ZONE_RATING_A + _AMPS_EPSILON:
            raise DescriptionError(
                f"{path}.watts",
                f"{watts:g} W draws {amps:.2f} A at {MAINS_VOLTAGE:g} V, above the {ZONE_RATING_A:g} A zone rating (M3)",
            )
        return amps
    amps = zone.get("amps", 0.0)
    if amps > ZONE_RATING_A:
        raise DescriptionError(
            f"{path}.amps",
            f"{amps:g} A is above the {ZONE_RATING_A:g} A zone rating (M3)",
        )
    return float(amps)


def _build_module(entry: _Entry) -> ModuleDescription:
    raw = entry.raw
    zones: list[ZoneDescription] = []
    for number in range(1, ZONES_PER_MODULE + 1):
        path, zone = entry.zones.get(number, (f"{entry.path}.zones[{number - 1}]", {}))
        zones.append(
            ZoneDescription(
                number=number,
                integration_id=entry.zone_ids[number],
                name=zone.get("name", f"Zone {number}"),
                load_type=zone.get("load_type", LoadType.INCANDESCENT),
                amps=_zone_amps(path, zone),
                override_level=zone.get("override", OverrideLevel.ON),
            )
        )
    cco = raw.get("cco", {})
    name = raw.get("name", default_module_name(entry.link, entry.address))
    module = ModuleDescription(
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
    total = _full_load(module)
    if total > MODULE_RATING_A + _AMPS_EPSILON:
        raise DescriptionError(
            f"{entry.path}.zones",
            f"the zones draw {total:.2f} A when all are on, above the {MODULE_RATING_A:g} A module rating (M3)",
        )
    return module


def _full_load(module: ModuleDescription) -> float:
    return sum(zone.amps for zone in module.zones)


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
        raw: dict[str, Any] = _SYSTEM_SCHEMA(dict(data))
    except vol.Invalid as err:
        raise _schema_error(err) from None

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
        _resolve_zones(entry)
    _assign_addresses(entries)
    entries.sort(key=lambda entry: (entry.link, entry.address))
    _assign_serials(entries, processor.serial)
    _allocate_ids(entries, {processor.integration_id: "processor.integration_id"}, 1)
    modules = tuple(_build_module(entry) for entry in entries)
    description = SystemDescription(
        name=name,
        guid=raw.get("guid", default_guid(processor.serial)),
        processor=processor,
        links=tuple(links[number] for number in sorted(links)),
        modules=modules,
        **({"database_date": raw["database_date"]} if "database_date" in raw else {}),
    )
    _check(description, _Locator([entry.path for entry in entries]), limit_error=False)
    return description


def _read_links(
    value: int | list[dict[str, Any]] | None, model: ProcessorModel
) -> tuple[dict[int, LinkDescription], list[_Entry]]:
    links: dict[int, LinkDescription] = {}
    entries: list[_Entry] = []
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
                _Entry(path=f"{path}.modules[{k}]", raw={}, link=number)
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
                entries.append(_Entry(path=module_path, raw=module, link=number))
    for number in range(1, model.link_count + 1):
        links.setdefault(number, LinkDescription(number=number))
    return links, entries


def _read_top_modules(value: int | list[dict[str, Any]] | None) -> list[_Entry]:
    if isinstance(value, int):
        return [_Entry(path=f"modules[{k}]", raw={}, link=1) for k in range(value)]
    return [
        _Entry(path=f"modules[{index}]", raw=module, link=module.get("link", 1))
        for index, module in enumerate(value or [])
    ]


def _assign_addresses(entries: Sequence[_Entry]) -> None:
    taken: dict[int, dict[int, str]] = {}
    for entry in entries:
        if "address" in entry.raw:
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
        if "address" in entry.raw:
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


def _assign_serials(entries: Sequence[_Entry], processor_serial: str) -> None:
    taken: dict[str, str] = {processor_serial: "processor.serial"}
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


def module_to_dict(module: ModuleDescription) -> dict[str, Any]:
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
) -> ModuleDescription:
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
        raw: dict[str, Any] = _MODULE_SCHEMA(raw_input)
    except vol.Invalid as err:
        raise _schema_error(err, "module") from None
    link_numbers = {item.number for item in description.links}
    if link not in link_numbers:
        raise DescriptionError(
            "module.link",
            f"link {link} does not exist on a {description.processor.model.value} processor (P1)",
        )
    entry = _Entry(path="module", raw=raw, link=link)
    _resolve_zones(entry)
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
                f"Link {link} has no free address: a link holds at most {MAX_ADDRESS} devices (P3)"
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
    _allocate_ids([entry], used, len(description.modules) + 1)
    return _build_module(entry)


def _module_ids(module: ModuleDescription) -> list[int]:
    return [
        module.integration_id,
        *(zone.integration_id for zone in module.zones),
        module.cco.integration_id,
    ]


# --------------------------------------------------------------------------------------------------------------
# Whole-system checks, shared by parsing and by the emulator's structural changes


class _Locator:
    """Names places in a description: canonical paths, or where the user wrote each module."""

    __slots__ = ("_module_paths",)

    def __init__(self, module_paths: Sequence[str] | None = None) -> None:
        self._module_paths = module_paths

    def module(self, index: int) -> str:
        if self._module_paths is not None and index < len(self._module_paths):
            return self._module_paths[index]
        return f"modules[{index}]"


def validate_description(
    description: SystemDescription, *, limits_raise_limit_error: bool = False
) -> None:
    """Check a (possibly hand-built) description against every rule a description must follow.

    Checks serials, link numbers (P1) and types (P2), addresses, integration ids (one namespace, L3), zones (M1),
    loads (M3), feed-through groups (M4), CCI groups (C7), link capacities (P3), pulse times and cable lengths (L1).

    Raises:
        DescriptionError: with the canonical path (``modules[i]...``) of the offending value.
        LimitError: instead of `DescriptionError` for the limits P3, C7, M3 and M4 when
            `limits_raise_limit_error` is true (the emulator refuses additions this way).

    """
    _check(description, _Locator(), limit_error=limits_raise_limit_error)


def _check(
    description: SystemDescription, locator: _Locator, *, limit_error: bool
) -> None:
    checker = _Checker(description, locator, limit_error)
    checker.check_processor()
    checker.check_links()
    for index, module in enumerate(description.modules):
        checker.check_module(index, module)
    checker.check_capacities()
    checker.check_loads()


def _check_serial(path: str, serial: str) -> None:
    if not isinstance(serial, str) or not _SERIAL_RE.match(serial):
        raise DescriptionError(
            path, f"{serial!r} is not 8 upper-case hexadecimal digits"
        )


class _Checker:
    """Whole-system rules, one group per method; collects what the later checks need."""

    def __init__(
        self, description: SystemDescription, locator: _Locator, limit_error: bool
    ) -> None:
        self.description = description
        self.locator = locator
        self.limit_error = limit_error
        self.model = description.processor.model
        self.links: dict[int, LinkDescription] = {}
        self.serials = {description.processor.serial: "processor.serial"}
        self.ids = {description.processor.integration_id: "processor.integration_id"}
        self.addresses: dict[tuple[int, int], str] = {}
        self.per_link: dict[int, list[int]] = {}
        self.groups: dict[str, list[int]] = {}
        self.feeds: dict[str, list[int]] = {}

    def limit(self, path: str, message: str) -> None:
        if self.limit_error:
            raise LimitError(f"{path}: {message}")
        raise DescriptionError(path, message)

    def check_processor(self) -> None:
        processor = self.description.processor
        _check_serial("processor.serial", processor.serial)
        if processor.integration_id < 1:
            raise DescriptionError(
                "processor.integration_id", "integration ids are positive"
            )

    def check_links(self) -> None:
        model = self.model
        for index, link in enumerate(self.description.links):
            path = f"links[{index}]"
            if not 1 <= link.number <= model.link_count:
                raise DescriptionError(
                    f"{path}.number",
                    f"link {link.number} does not exist: a {model.value} processor has "
                    f"{model.link_count} link(s) (P1)",
                )
            if link.number in self.links:
                raise DescriptionError(
                    f"{path}.number", f"link {link.number} is described twice"
                )
            if link.cable_length_m is not None:
                if link.link_type is not LinkType.QS:
                    raise DescriptionError(
                        path,
                        "a Clear Connect Type A link is wireless: it has no cable length (L1)",
                    )
                if link.cable_length_m > QS_LINK_MAX_LENGTH_M:
                    raise DescriptionError(
                        f"{path}.length_m",
                        f"{link.cable_length_m:g} m is longer than the {QS_LINK_MAX_LENGTH_M:g} m "
                        f"({QS_LINK_MAX_LENGTH_FT:g} ft) a QS link allows (L1)",
                    )
            self.links[link.number] = link

    def check_module(self, index: int, module: ModuleDescription) -> None:
        path = self.locator.module(index)
        _check_serial(f"{path}.serial", module.serial)
        if module.serial in self.serials:
            raise DescriptionError(
                f"{path}.serial",
                f"serial {module.serial} is already used by {self.serials[module.serial]}",
            )
        self.serials[module.serial] = path
        link = self.links.get(module.link)
        if link is None:
            raise DescriptionError(
                f"{path}.link",
                f"link {module.link} does not exist on a {self.model.value} processor (P1)",
            )
        if link.link_type is not LinkType.QS:
            raise DescriptionError(
                f"{path}.link",
                f"link {module.link} is a Clear Connect Type A (RF) link; a switching module is a QS wired "
                "device (P2)",
            )
        if not MIN_ADDRESS <= module.address <= MAX_ADDRESS:
            raise DescriptionError(
                f"{path}.address", f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}"
            )
        key = (module.link, module.address)
        if key in self.addresses:
            raise DescriptionError(
                f"{path}.address",
                f"address {module.address} on link {module.link} is already used by {self.addresses[key]}",
            )
        self.addresses[key] = path
        if [zone.number for zone in module.zones] != list(
            range(1, ZONES_PER_MODULE + 1)
        ):
            raise DescriptionError(
                f"{path}.zones",
                f"a module has {ZONES_PER_MODULE} zones numbered 1..4 (M1)",
            )
        self._check_ids(path, module)
        if not MIN_PULSE_SECONDS <= module.cco.pulse_seconds <= MAX_PULSE_SECONDS:
            raise DescriptionError(
                f"{path}.cco.pulse_seconds",
                f"a pulse lasts {MIN_PULSE_SECONDS:g} to {MAX_PULSE_SECONDS:g} s",
            )
        for zone in module.zones:
            if zone.amps < 0:
                raise DescriptionError(
                    f"{path}.zones[{zone.number - 1}].amps", "a load cannot be negative"
                )
        self.per_link.setdefault(module.link, []).append(index)
        if module.cci_group is not None:
            self.groups.setdefault(module.cci_group, []).append(index)
        if module.feed is not None:
            self.feeds.setdefault(module.feed, []).append(index)

    def _check_ids(self, path: str, module: ModuleDescription) -> None:
        named = [(f"{path}.integration_id", module.integration_id)]
        named.extend(
            (f"{path}.zones[{zone.number - 1}].integration_id", zone.integration_id)
            for zone in module.zones
        )
        named.append((f"{path}.cco.integration_id", module.cco.integration_id))
        for id_path, integration_id in named:
            if integration_id < 1:
                raise DescriptionError(id_path, "integration ids are positive")
            if integration_id in self.ids:
                raise DescriptionError(
                    id_path,
                    f"integration id {integration_id} is already used by {self.ids[integration_id]}",
                )
            self.ids[integration_id] = id_path

    def check_capacities(self) -> None:
        for number, members in self.per_link.items():
            link_type = self.links[number].link_type
            max_devices, max_zones = link_limits(self.model, link_type)
            kind = f"a {_LINK_TYPE_NAMES[link_type]} link of a {self.model.value} processor"
            if len(members) > max_devices:
                self.limit(
                    self.locator.module(members[max_devices]),
                    f"link {number} would hold {len(members)} devices; {kind} holds at most {max_devices} (P3)",
                )
            zones = len(members) * ZONES_PER_MODULE
            if zones > max_zones:
                self.limit(
                    self.locator.module(members[max_zones // ZONES_PER_MODULE]),
                    f"link {number} would hold {zones} zones; {kind} holds at most {max_zones} (P3, M2)",
                )
        for group, members in self.groups.items():
            if len(members) > MAX_CCI_GROUP_SIZE:
                self.limit(
                    f"{self.locator.module(members[MAX_CCI_GROUP_SIZE])}.cci_group",
                    f"CCI group {group!r} would hold {len(members)} modules; at most {MAX_CCI_GROUP_SIZE} CCIs "
                    "may be wired in parallel (C7)",
                )

    def check_loads(self) -> None:
        modules = self.description.modules
        for index, module in enumerate(modules):
            path = self.locator.module(index)
            for zone in module.zones:
                if zone.amps > ZONE_RATING_A + _AMPS_EPSILON:
                    self.limit(
                        f"{path}.zones[{zone.number - 1}].amps",
                        f"{zone.amps:g} A is above the {ZONE_RATING_A:g} A zone rating (M3)",
                    )
            total = _full_load(module)
            if total > MODULE_RATING_A + _AMPS_EPSILON:
                self.limit(
                    f"{path}.zones",
                    f"the zones draw {total:.2f} A when all are on, above the {MODULE_RATING_A:g} A module "
                    "rating (M3)",
                )
        for feed, members in self.feeds.items():
            total = sum(_full_load(modules[index]) for index in members)
            if total > MODULE_RATING_A + _AMPS_EPSILON:
                self.limit(
                    f"{self.locator.module(members[-1])}.feed",
                    f"the modules fed through {feed!r} draw {total:.2f} A when all zones are on, above the "
                    f"{MODULE_RATING_A:g} A a feed-through may carry (M4)",
                )
