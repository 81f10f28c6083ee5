"""The system as a QSX processor reports it over LEAP, turned into the library's `SystemDescription` (LP10–LP58).

Pure functions: `build_system` takes the bodies the client read and returns the description (whose indexes say where
each zone, button and LED id points); `read_zone_status` and the other readers take a status, pushed or read. The
mapping (documented in `docs/leap-client.md`):

- the processor (LP11) is the hub: serial (the integer as 8 hexadecimal digits), model, name, firmware, MAC, and
  its links (`/link/<id>`, LinkNumber and LinkType);
- a zone belongs to the device that lists it in `LocalZones`, the lowest device id when several do (LP51). A device
  owning four switched zones and one CCO is a switching module (LP16, the emulator's full profile); one owning only
  dimmed zones a dimming module (LP24); one owning one shade zone a shade (LP30);
- every other zone of a known control type (Switched, CCO, Dimmed, Shade, ShadeWithTilt) is an output of the area
  group device of its area, one per area, named after it (LP16, LP51: anonymous modules, and QS shades, which a real
  QSX lists without `LocalZones`);
- a device in a control station with buttons is a keypad (LP34–LP36): buttons by `ButtonNumber`, LEDs numbered as
  their buttons; a device of an RPS occupancy sensor type is an occupancy sensor of its area (LP43); each timeclock
  is a timeclock device (LP45);
- zones of other control types and devices of other types are skipped (LP58), logged once at debug level and
  counted by type (`Snapshot.unknown_control_types`, `Snapshot.unknown_device_types`).

Keys (LP51, LP54): a device is keyed by its serial when it has one, otherwise `<key prefix>_<id>`; an area group
`<key prefix>-area-<id>`; a timeclock `<key prefix>-timeclock-<id>`; never by a name. The key prefix is the one the
caller gives (Home Assistant: the config entry's id, so every processor of a project keys alike) or the connected
processor's serial.

Several processors (LP52, LP54): every `HWQSProcessor` of `IsThisDevice:false` is one of `other_processors`, by its
serial, or keyed as a device without one (an unaddressed processor); each link belongs to the processor whose
`OwnedLinks` name it, and a device to the processor of the link whose nodes (LP47) hold it.

Modules a device list leaves anonymous (LP16, LP47–LP51): a device listed without `LocalZones` is completed from its
link node (serial, model, zones), else takes the zones whose `Device` names it; what stays unplaced is said, device
by device and zone by zone, in `Snapshot.unplaced`.

What LEAP does not tell (LP17) keeps the model's defaults and is flagged by the backend's capabilities: link and
address (0: not reported), loads, override levels, CCO type and pulse time, CCI groups.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
import logging
import math
from typing import Any, Final, NamedTuple

from ..const import (
    DEFAULT_CCO_NAME,
    ZONES_PER_MODULE,
    LedState,
    LinkType,
    ProcessorModel,
    ProgrammingModel,
)
from ..model import (
    AREA_GROUP_CAPABILITIES,
    ButtonProgramming,
    CcoDescription,
    ControlType,
    DeviceDescription,
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    InputType,
    LinkDescription,
    OutputDescription,
    ProcessorDescription,
    SystemDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    ZoneDescription,
    default_guid,
    dimming_module,
    keypad,
    occupancy_sensor,
    shade,
    switching_module,
    timeclock,
)
from .protocol import BodyType, id_from_href

_LOGGER = logging.getLogger(__name__)

SWITCHED: Final = "Switched"  # LP14
CCO: Final = "CCO"  # LP15
# LP14, LP15, LP24, LP30: the control types the model has; any other is skipped (LP58).
CONTROL_TYPES: Final = {
    SWITCHED: ControlType.SWITCHED,
    CCO: ControlType.CCO,
    "Dimmed": ControlType.DIMMED,
    "Shade": ControlType.SHADE,
    "ShadeWithTilt": ControlType.SHADE_WITH_TILT,
}
PROCESSOR_TYPE: Final = "HWQSProcessor"  # LP11, LP52
# LP43: the device types of which a processor makes an area's occupancy sensor.
OCCUPANCY_SENSOR_TYPES: Final = frozenset(
    {
        "RPSOccupancySensor",
        "RPSCeilingMountedOccupancySensor",
        "RPSWallMountedOccupancySensor",
    }
)
# LP35: keypad types seen or known to clients (a keypad of another type is still one when it has buttons).
KEYPAD_TYPES: Final = frozenset(
    {
        "PalladiomKeypad",
        "HomeownerKeypad",
        "SunnataHybridKeypad",
        "SunnataKeypad",
        "Pico4Button",
        "SeeTouchKeypad",
        "SeeTouchHybridKeypad",
        "SeeTouchTabletopKeypad",
        "GrafikTHybridKeypad",
        "AlisseKeypad",
        "PhantomKeypad",
    }
)
# Device types understood even when they make no device (LP16: modules; LP30: QS shades listed without zones).
KNOWN_DEVICE_TYPES: Final = (
    frozenset({PROCESSOR_TYPE, "Shade", "SwitchingPowerModule", "DimmingPowerModule"})
    | KEYPAD_TYPES
    | OCCUPANCY_SENSOR_TYPES
)
LED_STATES: Final = {  # LP41
    "On": LedState.ON,
    "Off": LedState.OFF,
    "NormalFlash": LedState.FLASH,
    "RapidFlash": LedState.RAPID_FLASH,
}
# LP47: what a link node's device completes in a device list entry that lacks its `LocalZones`.
NODE_KEYS: Final = (
    "SerialNumber",
    "ModelNumber",
    "Name",
    "DeviceType",
    "AssociatedArea",
)
OCCUPANCY: Final = {"Occupied": True, "Unoccupied": False}
WEEKDAYS: Final = (  # LP45: a timeclock event's days, as the model orders them
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
)  # LP43: "Unknown" is None
NOT_REPORTED: Final = 0  # link and address of a device: LEAP does not report them
UNKNOWN_DATE: Final = "unknown"
ZONE_PREFIX: Final = "/zone/"
LINK_TYPES: Final = {"QS": LinkType.QS, "ClearConnectTypeA": LinkType.CLEAR_CONNECT_A}
PROGRAMMING_MODELS: Final = {model.value: model for model in ProgrammingModel}


@dataclass(slots=True)
class Snapshot:
    """The bodies read at start-up (LP10–LP13, LP34, LP36, LP45), as lists of objects.

    `skipped` (zone ids already logged as skipped) is kept across snapshots so that each is logged once; the
    counts of what was skipped by type are this snapshot's.
    """

    project: Mapping[str, Any]
    processor: Mapping[str, Any]
    links: Sequence[
        Mapping[str, Any]
    ]  # `/link/<id>` of each of the processor's links, in its order
    areas: Sequence[Mapping[str, Any]]
    devices: Sequence[Mapping[str, Any]]
    area_zones: Mapping[int, Sequence[Mapping[str, Any]]]  # area id → its zones
    # Area id → its control stations (LP34); device id → its expanded button groups (LP36).
    control_stations: Mapping[int, Sequence[Mapping[str, Any]]] = field(
        default_factory=dict
    )
    button_groups: Mapping[int, Sequence[Mapping[str, Any]]] = field(
        default_factory=dict
    )
    timeclocks: Sequence[Mapping[str, Any]] = ()  # LP45
    timeclock_events: Sequence[Mapping[str, Any]] = ()  # LP45, LP46
    # LP47: link id → its expanded nodes, for the links of every processor.
    link_nodes: Mapping[int, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    # LP52: link id → `/link/<id>` of the links the other processors own.
    other_links: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    # LP49: device id → `/device/<id>/status` of the devices read for it (those the list leaves anonymous).
    device_statuses: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)  # zone ids already logged as skipped
    unknown_control_types: dict[str, int] = field(default_factory=dict)
    unknown_device_types: dict[str, int] = field(default_factory=dict)
    # What could not be placed and why (LP51): `/device/<id>` or `/zone/<id>` → the reason.
    unplaced: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a processor's object ids point in the description, beyond its output, button and LED indexes."""

    sensors_by_area: Mapping[
        int, tuple[str, ...]
    ]  # area id → serials of its occupancy sensors
    timeclocks: Mapping[int, str]  # timeclock id → its device's serial


def serial_text(value: Any) -> str | None:
    """LP11: an integer serial as 8 (or more) upper-case hexadecimal digits; None when it is not an integer.

    LP58: the integer may come as a string of its decimal digits (lutron-leap-js types it so).
    """
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return f"{value:08X}"


def database_date(timestamp: Any) -> str:
    """`ProjectModifiedTimestamp` (LP10) as `MM/DD/YYYY,HH:MM:SS`, the form LIP's database date takes."""
    if not isinstance(timestamp, Mapping):
        return UNKNOWN_DATE
    try:
        year, month, day, hour, minute, second = (
            int(timestamp[key])
            for key in ("Year", "Month", "Day", "Hour", "Minute", "Second")
        )
    except KeyError, TypeError, ValueError:
        return UNKNOWN_DATE
    return f"{month:02d}/{day:02d}/{year:04d},{hour:02d}:{minute:02d}:{second:02d}"


def _text(value: Any, default: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else default


def _object_id(item: Any) -> int | None:
    link = item.get("href") if isinstance(item, Mapping) else None
    return id_from_href(link) if isinstance(link, str) else None


def _ref_id(item: Mapping[str, Any], key: str) -> int | None:
    return _object_id(item.get(key))


def _number(value: Any) -> float | None:
    """LP58: a number as JSON gives it (an int or a float), finite; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _count(counts: dict[str, int], kind: Any) -> None:
    name = kind if isinstance(kind, str) else repr(kind)
    counts[name] = counts.get(name, 0) + 1


def _processor(
    processor: Mapping[str, Any], link_count: int, key: str | None = None
) -> ProcessorDescription:
    """LP11, LP52: a processor by its serial; `key` for one without (an unaddressed other processor), else an error."""
    serial = serial_text(processor.get("SerialNumber")) or key
    if serial is None:
        raise ValueError("The processor reports no integer SerialNumber (LP11)")
    model_number = processor.get("ModelNumber")
    try:
        model = ProcessorModel(str(model_number))
    except ValueError:
        model = ProcessorModel.HQP7_2 if link_count > 1 else ProcessorModel.HQP7_1
        _LOGGER.debug(
            "Processor model %r unknown: shown as %s", model_number, model.value
        )
    firmware = processor.get("FirmwareImage", {})
    display = (
        firmware.get("Firmware", {}).get("DisplayName")
        if isinstance(firmware, Mapping)
        else None
    )
    macs = [
        interface.get("MACAddress")
        for interface in processor.get("NetworkInterfaces") or ()
        if isinstance(interface, Mapping)
    ]
    return ProcessorDescription(
        serial=serial,
        model=model,
        name=_text(processor.get("Name"), "HomeWorks QSX processor"),
        firmware=_text(display, "unknown"),
        integration_id=_object_id(processor) or 0,
        mac=next((mac for mac in macs if isinstance(mac, str)), None),
    )


def _links(
    links: Sequence[Mapping[str, Any]], processor: str | None = None
) -> list[LinkDescription]:
    """Return one processor's links of the types the model has (`processor`: its serial, None if connected to)."""
    result: list[LinkDescription] = []
    for index, link in enumerate(links, start=1):
        link_type = LINK_TYPES.get(link.get("LinkType", ""))
        if link_type is None:
            _LOGGER.debug("Link %s of type %r skipped", index, link.get("LinkType"))
            continue
        number = link.get("LinkNumber")
        if isinstance(number, bool) or not isinstance(number, int):
            number = index
        result.append(LinkDescription(number, link_type, processor=processor))
    return result


def owned_links(device: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """LP11, LP52: the `OwnedLinks` entries of a processor that name a link."""
    owned = device.get("OwnedLinks")
    entries = owned if isinstance(owned, list) else []
    return [
        entry
        for entry in entries
        if isinstance(entry, Mapping) and _object_id(entry) is not None
    ]


def is_anonymous(device: Mapping[str, Any]) -> bool:
    """LP16, LP49: whether a listed device may be a module the list leaves anonymous (no `LocalZones`).

    Such a device's link node (LP47) and status (LP49) are what tell more of it; processors, keypads, sensors and
    QS shades (LP30: listed without zones as a rule) are known for what they are.
    """
    device_type = device.get("DeviceType")
    return (
        not _local_zones(device)
        and device_type not in (PROCESSOR_TYPE, "Shade")
        and device_type not in OCCUPANCY_SENSOR_TYPES
        and not is_keypad_candidate(device)
    )


def link_ids(owned: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """(id, href) of each link `OwnedLinks` entries name."""
    return [
        (link_id, entry["href"])
        for entry in owned
        if (link_id := _object_id(entry)) is not None
    ]


@dataclass(frozen=True, slots=True)
class ListedReads:
    """What the device list (LP12) asks start-up to read next."""

    keypads: list[int]  # LP34–LP36: devices whose button groups to read
    other_links: list[
        tuple[int, str]
    ]  # LP52: (id, href) of the other processors' links
    anonymous: list[int]  # LP49: devices whose status to read


def listed_reads(devices: Sequence[Mapping[str, Any]]) -> ListedReads:
    """Return what to read of the listed devices: keypads, other processors' links, anonymous devices."""
    reads = ListedReads([], [], [])
    for device in devices:
        device_id = _object_id(device)
        if device_id is None:
            continue
        if is_keypad_candidate(device):
            reads.keypads.append(device_id)
        elif is_processor(device):
            reads.other_links.extend(link_ids(owned_links(device)))
        elif is_anonymous(device):
            reads.anonymous.append(device_id)
    return reads


def is_processor(device: Mapping[str, Any]) -> bool:
    """LP52: whether a listed device is another processor of the project."""
    return device.get("DeviceType") == PROCESSOR_TYPE


def _local_zones(device: Mapping[str, Any]) -> list[int]:
    zones = device.get("LocalZones")
    if not isinstance(zones, list):
        return []
    return [zone_id for ref in zones if (zone_id := _object_id(ref)) is not None]


def _zone(zone: Mapping[str, Any], zone_id: int, number: int) -> OutputDescription:
    """Return an output of a known control type (`CONTROL_TYPES`), named as the processor names it."""
    name = _text(zone.get("Name"), f"Zone {number}")
    control = CONTROL_TYPES[zone["ControlType"]]
    if control is ControlType.CCO:
        return CcoDescription(zone_id, name, number=number)
    category = zone.get("Category")
    is_light = category.get("IsLight", True) if isinstance(category, Mapping) else True
    return ZoneDescription(
        number,
        zone_id,
        name,
        is_light=is_light if isinstance(is_light, bool) else is_light != "False",
        control_type=control,
    )


# Devices made between two pauses of `build_steps`: about a millisecond of work.
BUILD_STEP_DEVICES: Final = 16


class _Builder:
    """One build of the description: the processors, the zones by id, and the devices made so far."""

    def __init__(self, snapshot: Snapshot, key_prefix: str | None) -> None:
        self.snapshot = snapshot
        self.processor = _processor(snapshot.processor, len(snapshot.links))
        self.prefix = key_prefix or self.processor.serial  # LP51, LP54
        self.area_names = {
            area_id: _text(area.get("Name"), f"Area {area_id}")
            for area in snapshot.areas
            if (area_id := _object_id(area)) is not None
        }
        # Every zone an area lists (LP13), by id, and its area; zones of other control types are skipped (LP58).
        self.zones: dict[int, Mapping[str, Any]] = {}
        self.zone_area: dict[int, int] = {}
        for area_id, area_zones in snapshot.area_zones.items():
            for zone in area_zones:
                zone_id = _object_id(zone)
                if zone_id is None or zone_id in self.zones:
                    continue
                self.zone_area[zone_id] = area_id
                if zone.get("ControlType") in CONTROL_TYPES:
                    self.zones[zone_id] = zone
                else:
                    self._skip_zone(zone_id, zone)
        self.devices: list[DeviceDescription] = []
        self.placed: set[int] = set()  # zone ids that are outputs of a device already
        self.zone_owner: dict[int, int] = {}  # LP51: zone id → the device owning it
        self.links = _links(snapshot.links)
        self.link_owner: dict[int, str | None] = {
            link_id: None
            for link in snapshot.links
            if (link_id := _object_id(link)) is not None
        }
        self.other_processors = self._other_processors()
        self.device_links: dict[
            int, int
        ] = {}  # LP47: device id → the link whose nodes hold it
        for link_id, nodes in snapshot.link_nodes.items():
            for node in nodes:
                node_id = _object_id(node.get("Parent")) or _object_id(node)
                if node_id is not None:
                    self.device_links.setdefault(node_id, link_id)

    def _other_processors(self) -> tuple[ProcessorDescription, ...]:
        """LP52: every other `HWQSProcessor` listed, by serial or by key, with the links it owns."""
        this_id = _object_id(self.snapshot.processor)
        found: dict[str, ProcessorDescription] = {}
        for device in self.snapshot.devices:
            device_id = _object_id(device)
            if device_id is None or device_id == this_id or not is_processor(device):
                continue
            owned = owned_links(device)
            made = _processor(device, len(owned), f"{self.prefix}_{device_id}")
            if made.serial == self.processor.serial or made.serial in found:
                continue  # the connected processor, or one listed twice
            found[made.serial] = made
            self.links.extend(
                _links(
                    [
                        {
                            **entry,
                            **self.snapshot.other_links.get(_object_id(entry) or 0, {}),
                        }
                        for entry in owned
                    ],
                    made.serial,
                )
            )
            for entry in owned:
                self.link_owner.setdefault(_object_id(entry) or 0, made.serial)
        return tuple(found.values())

    def processor_of(self, device_id: int) -> str | None:
        """LP52: the serial of the processor owning the link a device's node is on; None for the connected one."""
        link_id = self.device_links.get(device_id)
        return None if link_id is None else self.link_owner.get(link_id)

    def _skip_zone(self, zone_id: int, zone: Mapping[str, Any]) -> None:
        control = zone.get("ControlType")
        _count(self.snapshot.unknown_control_types, control)
        if zone_id not in self.snapshot.skipped:
            self.snapshot.skipped.add(zone_id)
            _LOGGER.debug(
                "Zone %s (%r) is %r, a control type this integration does not know: skipped",
                zone_id,
                zone.get("Name"),
                control,
            )

    def area_of(self, device: Mapping[str, Any], default: int | None = None) -> str:
        area_id = _ref_id(device, "AssociatedArea")
        if area_id is None:
            area_id = default
        return self.area_names.get(area_id, "") if area_id is not None else ""

    def key(self, device: Mapping[str, Any], device_id: int) -> tuple[str, bool]:
        """LP51: the device's serial when it has one, else `<key prefix>_<id>`; whether it is a serial."""
        serial = serial_text(device.get("SerialNumber"))
        if serial is not None:
            return serial, True
        return f"{self.prefix}_{device_id}", False

    def owners(self, listed: Mapping[int, Mapping[str, Any]]) -> dict[int, list[int]]:
        """LP51: the zones each device owns; a zone listed by several belongs to the lowest device id.

        `LocalZones` first; a zone no device lists goes to the device its own `Device` link names, if listed.
        """
        owner: dict[int, int] = {}
        for device_id in sorted(listed):
            for zone_id in _local_zones(listed[device_id]):
                owner.setdefault(zone_id, device_id)
        for zone_id, zone in self.zones.items():
            named = _ref_id(zone, "Device")
            if (
                named is not None
                and named in listed
                and zone_id not in owner
                and not _local_zones(listed[named])
            ):
                owner[zone_id] = named
        owned: dict[int, list[int]] = {}
        for zone_id, device_id in owner.items():
            owned.setdefault(device_id, []).append(zone_id)
        return owned

    def _listed(self) -> list[tuple[int, Mapping[str, Any]]]:
        """Return the device list (LP12), each entry completed from its link node (LP47) where it lacks `LocalZones`."""
        nodes: dict[int, Mapping[str, Any]] = {}
        for link_nodes in self.snapshot.link_nodes.values():
            for node in link_nodes:
                parent = node.get("Parent")
                node_id = _object_id(parent)
                if node_id is not None and isinstance(parent, Mapping):
                    nodes.setdefault(node_id, parent)
        listed: list[tuple[int, Mapping[str, Any]]] = []
        for device in self.snapshot.devices:
            device_id = _object_id(device)
            if device_id is None:
                continue
            parent = nodes.get(device_id, {})
            if not _local_zones(device) and _local_zones(parent):
                device = {
                    **{key: parent[key] for key in NODE_KEYS if key in parent},
                    **{
                        key: value for key, value in device.items() if value is not None
                    },
                    "LocalZones": parent["LocalZones"],
                }
            listed.append((device_id, device))
        return listed

    def stations(self) -> dict[int, tuple[Mapping[str, Any], str, int]]:
        """LP34: each device of a control station: its ganged entry, the station's name and its area id."""
        found: dict[int, tuple[Mapping[str, Any], str, int]] = {}
        for area_id, stations in self.snapshot.control_stations.items():
            for device_id, entry, station in station_devices(stations):
                found.setdefault(
                    device_id,
                    (
                        entry,
                        _text(station.get("Name"), ""),
                        _ref_id(station, "AssociatedArea") or area_id,
                    ),
                )
        return found

    def steps(self) -> Generator[None, None, SystemDescription]:
        """Build the description, pausing (`yield`) after every `BUILD_STEP_DEVICES` devices."""
        listed = dict(self._listed())
        owned = self.owners(listed)
        self.zone_owner = {
            zone_id: device_id
            for device_id, zones in owned.items()
            for zone_id in zones
        }
        stations = self.stations()
        for index, (device_id, device) in enumerate(sorted(listed.items()), start=1):
            if not index % BUILD_STEP_DEVICES:
                yield
            made = self._device(device_id, device, owned.get(device_id, []), stations)
            if made is None:
                device_type = device.get("DeviceType")
                if device_type not in KNOWN_DEVICE_TYPES and device_type is not None:
                    _count(self.snapshot.unknown_device_types, device_type)
                self._unplaced_device(device_id, device, owned.get(device_id, []))
                continue
            self.devices.append(made)
        # LP34: a keypad a control station names that the device list does not.
        for device_id, (entry, station, area_id) in sorted(stations.items()):
            if device_id not in listed:
                made = self._keypad(device_id, entry, station, area_id)
                if made is not None:
                    self.devices.append(made)
        self._area_groups()
        self.devices.extend(self._timeclocks())
        yield
        return SystemDescription(
            name=_text(self.snapshot.project.get("Name"), self.processor.name),
            guid=default_guid(self.processor.serial),
            processor=self.processor,
            links=tuple(self.links),
            devices=tuple(self._on_processor(device) for device in self.devices),
            database_date=database_date(
                self.snapshot.project.get("ProjectModifiedTimestamp")
            ),
            other_processors=self.other_processors,
        )

    def _on_processor(self, device: DeviceDescription) -> DeviceDescription:
        """LP52: a device on another processor's link names that processor (area groups and timeclocks none)."""
        if device.kind in (DeviceKind.AREA_GROUP, DeviceKind.TIMECLOCK):
            return device
        serial = self.processor_of(device.integration_id)
        return device if serial is None else replace(device, processor=serial)

    def _unplaced_device(
        self, device_id: int, device: Mapping[str, Any], zone_ids: list[int]
    ) -> None:
        """LP51: say why a device that may hold zones (not a processor, keypad or sensor) made no device."""
        device_type = device.get("DeviceType")
        if (
            device_type == PROCESSOR_TYPE
            or device_type in OCCUPANCY_SENSOR_TYPES
            or is_keypad_candidate(device)
        ):
            return
        if zone_ids:
            kinds = sorted(
                {
                    str(self.zones[z]["ControlType"])
                    if z in self.zones
                    else "of a type skipped (LP58)"
                    for z in zone_ids
                }
            )
            reason = (
                f"its zones ({', '.join(kinds)}) make no module, dimming module or shade: "
                "they are shown in their areas' groups (LP51)"
            )
        elif device_id in self.device_links:
            reason = (
                "neither the device list nor its link node (LP47) names its zones, and no zone names it: "
                "its zones, if any, are shown in their areas' groups (LP51)"
            )
        else:
            reason = (
                "the device list names none of its zones and no link's nodes (LP47) hold it: "
                "its zones, if any, are shown in their areas' groups (LP51)"
            )
        if device_type == "Shade" and not zone_ids:
            reason = f"a QS shade, as a processor lists one (LP30); {reason}"
        self.snapshot.unplaced[f"/device/{device_id}"] = reason

    def _device(
        self,
        device_id: int,
        device: Mapping[str, Any],
        zone_ids: list[int],
        stations: Mapping[int, tuple[Mapping[str, Any], str, int]],
    ) -> DeviceDescription | None:
        device_type = device.get("DeviceType")
        if device_type == PROCESSOR_TYPE:
            return None  # LP52: another processor of the project
        if device_id in stations or device_id in self.snapshot.button_groups:
            listed_station = device.get("AssociatedControlStation")
            named = (
                _text(listed_station.get("Name"), "")
                if isinstance(listed_station, Mapping)
                else ""
            )
            _, station, area_id = stations.get(device_id, ({}, named, 0))
            made = self._keypad(device_id, device, station, area_id)
            if made is not None:
                return made
        if device_type in OCCUPANCY_SENSOR_TYPES:
            return self._sensor(device_id, device)
        return self._owner(device_id, device, zone_ids)

    def _sensor(self, device_id: int, device: Mapping[str, Any]) -> DeviceDescription:
        serial, has_serial = self.key(device, device_id)
        name = _text(device.get("Name"), "Occupancy sensor")
        made = occupancy_sensor(
            serial,
            device_id,
            name,
            self.area_of(device),
            model_number=_text(device.get("ModelNumber"), ""),
        )
        return self._identity(made, device, has_serial)

    @staticmethod
    def _identity(
        made: DeviceDescription, device: Mapping[str, Any], has_serial: bool
    ) -> DeviceDescription:
        model = device.get("ModelNumber")
        return replace(
            made,
            has_serial_number=has_serial,
            model_number=model.strip()
            if isinstance(model, str) and model.strip()
            else None,
        )

    def _owner(
        self, device_id: int, device: Mapping[str, Any], zone_ids: list[int]
    ) -> DeviceDescription | None:
        """Make a device of the zones it owns (LP16, LP24, LP30, LP51); None when they make none we know."""
        zones = [
            (zone_id, self.zones[zone_id])
            for zone_id in zone_ids
            if zone_id in self.zones
        ]
        if not zones:
            return None
        controls = [CONTROL_TYPES[zone["ControlType"]] for _, zone in zones]
        serial, has_serial = self.key(device, device_id)
        name = _text(device.get("Name"), f"Device {device_id}")
        area = self.area_of(device, self.zone_area.get(zones[0][0]))
        outputs = [
            _zone(zone, zone_id, number)
            for number, (zone_id, zone) in enumerate(zones, start=1)
        ]
        made: DeviceDescription | None = None
        if (
            controls.count(ControlType.SWITCHED) == ZONES_PER_MODULE
            and controls.count(ControlType.CCO) == 1
            and len(controls) == ZONES_PER_MODULE + 1
        ):
            switched = [
                output
                for output in outputs
                if isinstance(output, ZoneDescription)
                and output.control_type is ControlType.SWITCHED
            ]
            cco = next(
                output for output in outputs if isinstance(output, CcoDescription)
            )
            made = switching_module(
                serial,
                device_id,
                name,
                area or name,
                zones=tuple(
                    replace(zone, number=number)
                    for number, zone in enumerate(switched, start=1)
                ),
                cco=replace(cco, name=_text(cco.name, DEFAULT_CCO_NAME)),
                link=NOT_REPORTED,
                address=NOT_REPORTED,
            )
            made = replace(made, has_serial_number=has_serial)
        elif all(control is ControlType.DIMMED for control in controls):
            made = self._identity(
                dimming_module(
                    serial,
                    device_id,
                    name,
                    area,
                    zones=tuple(
                        output
                        for output in outputs
                        if isinstance(output, ZoneDescription)
                    ),
                    model_number="",
                ),
                device,
                has_serial,
            )
        elif len(outputs) == 1 and isinstance(outputs[0], ZoneDescription):
            if outputs[0].control_type in (
                ControlType.SHADE,
                ControlType.SHADE_WITH_TILT,
            ):
                made = self._identity(
                    shade(
                        serial,
                        device_id,
                        name,
                        area,
                        zone=outputs[0],
                        model_number="",
                    ),
                    device,
                    has_serial,
                )
        if made is None:
            return None  # another mix: its zones are shown in their areas' groups
        self.placed.update(output.integration_id for output in made.outputs)
        return made

    def _keypad(
        self, device_id: int, device: Mapping[str, Any], station: str, area_id: int
    ) -> DeviceDescription | None:
        """LP34–LP36: a device with buttons; None when its button groups hold none."""
        buttons: dict[int, InputDescription] = {}
        leds: dict[int, IndicatorDescription] = {}
        for group in self.snapshot.button_groups.get(device_id, ()):
            members = group.get("Buttons")
            for button in members if isinstance(members, list) else ():
                made = _button(button)
                if made is None or made.number in buttons:
                    continue
                buttons[made.number] = made
                led_id = _ref_id(button, "AssociatedLED")
                if led_id is not None:
                    leds[made.number] = IndicatorDescription(
                        made.number, f"{made.name} LED", led_id
                    )
        if not buttons:
            return None
        serial, has_serial = self.key(device, device_id)
        name = _text(device.get("Name"), f"Keypad {device_id}")
        if station and station != name:
            name = f"{station} {name}"
        made_keypad = keypad(
            serial,
            device_id,
            name,
            self.area_of(device, area_id),
            buttons=tuple(buttons[number] for number in sorted(buttons)),
            leds=tuple(leds[number] for number in sorted(leds)),
            model_number="",
            link=NOT_REPORTED,
            address=NOT_REPORTED,
        )
        return self._identity(made_keypad, device, has_serial)

    def _area_groups(self) -> None:
        """LP16, LP51: the zones no device owns, one group per area, named after it."""
        for area_id, area_zones in self.snapshot.area_zones.items():
            outputs: list[OutputDescription] = []
            for zone in area_zones:
                zone_id = _object_id(zone)
                if (
                    zone_id is None
                    or zone_id in self.placed
                    or zone_id not in self.zones
                    or self.zone_area.get(zone_id) != area_id
                ):
                    continue
                outputs.append(_zone(zone, zone_id, len(outputs) + 1))
                self.placed.add(zone_id)
                owner = self.zone_owner.get(zone_id)
                self.snapshot.unplaced[f"/zone/{zone_id}"] = (
                    "no device lists it in LocalZones, in its link node (LP47), or is named as its Device"
                    if owner is None
                    else f"its device /device/{owner} makes no device of a kind the model has"
                ) + ": shown in its area's group (LP51)"
            if outputs:
                name = self.area_names.get(area_id, f"Area {area_id}")
                self.devices.append(
                    DeviceDescription(
                        serial=f"{self.prefix}-area-{area_id}",
                        integration_id=area_id,
                        name=name,
                        area=name,
                        outputs=tuple(outputs),
                        kind=DeviceKind.AREA_GROUP,
                        capabilities=AREA_GROUP_CAPABILITIES,
                    )
                )

    def _timeclocks(self) -> list[DeviceDescription]:
        """LP45: each timeclock with its events, keyed `<key prefix>-timeclock-<id>` (LP51)."""
        events: dict[int, list[Mapping[str, Any]]] = {}
        for event in self.snapshot.timeclock_events:
            parent = _ref_id(event, "Parent")
            if parent is not None:
                events.setdefault(parent, []).append(event)
        found: list[DeviceDescription] = []
        for item in self.snapshot.timeclocks:
            clock_id = _object_id(item)
            if clock_id is None:
                continue
            schedule = [
                made
                for event in events.get(clock_id, ())
                if (made := _timeclock_event(event)) is not None
            ]
            found.append(
                timeclock(
                    f"{self.prefix}-timeclock-{clock_id}",
                    clock_id,
                    _text(item.get("Name"), f"Timeclock {clock_id}"),
                    schedule=tuple(
                        replace(event, number=number)
                        for number, event in enumerate(schedule, start=1)
                    ),
                )
            )
        return found


def _whole(value: Any) -> int | None:
    """Return a whole number as JSON or text gives it (`"-30"`); None for anything else."""
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _timeclock_event(event: Mapping[str, Any]) -> TimeclockEventDescription | None:
    """LP45, LP46: a fixed-time or astronomic event on its days; None for another type (LP58)."""
    event_id = _object_id(event)
    kind = event.get("TimeclockEventType")
    if event_id is None:
        return None
    if kind == "FixedTime":
        time_of_day = event.get("TimeOfDay")
        if not isinstance(time_of_day, Mapping):
            return None
        parts = [
            _whole(time_of_day.get(key, 0)) for key in ("Hour", "Minute", "Second")
        ]
        hour, minute, second = (part or 0 for part in parts)
        event_type = TimeclockEventType.FIXED_TIME
        offset = 0
    elif kind == "Astronomic":
        astronomic = event.get("AstronomicEventType")
        if astronomic not in ("Sunrise", "Sunset"):
            return None
        event_type = TimeclockEventType(astronomic)
        hour = minute = second = 0
        offset = _whole(event.get("AstronomicTimeOffset")) or 0
    else:
        return None
    days = tuple(event.get(day) is not False for day in WEEKDAYS)
    return TimeclockEventDescription(
        0,
        _text(event.get("Name"), f"Event {event_id}"),
        event_type,
        time_of_day=(hour, minute, second),
        offset_minutes=offset,
        days=(days[0], days[1], days[2], days[3], days[4], days[5], days[6]),
        integration_id=event_id,
    )


def _button(button: Any) -> InputDescription | None:
    """LP36: a button by its `ButtonNumber`, with its engraving and programming model; None without a number."""
    if not isinstance(button, Mapping):
        return None
    number = button.get("ButtonNumber")
    button_id = _object_id(button)
    if isinstance(number, bool) or not isinstance(number, int) or button_id is None:
        return None
    engraving = button.get("Engraving")
    text = engraving.get("Text") if isinstance(engraving, Mapping) else None
    model = button.get("ProgrammingModel")
    model_type = (
        model.get("ProgrammingModelType") if isinstance(model, Mapping) else None
    )
    known = PROGRAMMING_MODELS.get(model_type) if isinstance(model_type, str) else None
    return InputDescription(
        number,
        InputType.BUTTON,
        _text(button.get("Name"), f"Button {number}"),
        integration_id=button_id,
        engraving=" ".join(text.split()) if isinstance(text, str) else "",
        programming=ButtonProgramming(known) if known is not None else None,
    )


def is_keypad_candidate(device: Mapping[str, Any]) -> bool:
    """LP34, LP35: whether a listed device may have buttons: a keypad type, or a device in a control station."""
    return device.get("DeviceType") in KEYPAD_TYPES or isinstance(
        device.get("AssociatedControlStation"), Mapping
    )


def station_devices(
    stations: Sequence[Mapping[str, Any]],
) -> list[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """LP34: (device id, its ganged entry, its station) of every device the control stations list."""
    found: list[tuple[int, Mapping[str, Any], Mapping[str, Any]]] = []
    for station in stations:
        ganged = station.get("AssociatedGangedDevices")
        for gang in ganged if isinstance(ganged, list) else ():
            entry = gang.get("Device") if isinstance(gang, Mapping) else None
            device_id = _object_id(entry)
            if device_id is not None and isinstance(entry, Mapping):
                found.append((device_id, entry, station))
    return found


class ButtonStatusUrls(NamedTuple):
    """What to subscribe for expanded button groups: each button's events (LP38) and each LED's status (LP41)."""

    events: list[str]
    leds: list[str]


def button_status_urls(groups: Sequence[Mapping[str, Any]]) -> ButtonStatusUrls:
    """LP37, LP38, LP41: the status URLs to subscribe for expanded button groups: each button's events, each LED."""
    urls = ButtonStatusUrls([], [])
    for group in groups:
        members = group.get("Buttons")
        for button in members if isinstance(members, list) else ():
            if not isinstance(button, Mapping):
                continue
            if _object_id(button) is not None:
                urls.events.append(f"{button['href']}/status/event")
            led = button.get("AssociatedLED")
            if _object_id(led) is not None and isinstance(led, Mapping):
                urls.leds.append(f"{led['href']}/status")
    return urls


def build_system(
    snapshot: Snapshot, key_prefix: str | None = None
) -> SystemDescription:
    """Return the description of what the processor reported; its indexes say where each zone, button and LED points.

    `key_prefix` starts the keys of what has no serial (LP51, LP54); the connected processor's serial when None.
    `ValueError` when the processor's own identity is missing (without a serial there is nothing to key on).
    """
    steps = build_steps(snapshot, key_prefix)
    while (description := build_step(steps)) is None:
        pass
    return description


def build_step(
    steps: Generator[None, None, SystemDescription],
) -> SystemDescription | None:
    """Take one step of `build_steps`: the description once it is built, None before."""
    try:
        next(steps)
    except StopIteration as built:
        description: SystemDescription = built.value
        return description
    return None


def build_steps(
    snapshot: Snapshot, key_prefix: str | None = None
) -> Generator[None, None, SystemDescription]:
    """`build_system` in steps: it pauses (`yield`) now and then, so that a caller can let other work run meanwhile.

    The client builds while the last statuses of its start-up are still on the wire (`LeapClient._read_system`).
    """
    snapshot.unknown_control_types.clear()
    snapshot.unknown_device_types.clear()
    snapshot.unplaced.clear()
    return (yield from _Builder(snapshot, key_prefix).steps())


def placement(snapshot: Snapshot, description: SystemDescription) -> Placement:
    """Where area ids (occupancy, LP43) and timeclock ids (LP45) point among the description's devices."""
    sensors: dict[int, list[str]] = {}
    for device in snapshot.devices:
        device_id = _object_id(device)
        area_id = _ref_id(device, "AssociatedArea")
        if (
            device_id is None
            or area_id is None
            or device.get("DeviceType") not in OCCUPANCY_SENSOR_TYPES
        ):
            continue
        made = description.device_by_integration_id(device_id)
        if made.kind is DeviceKind.OCCUPANCY_SENSOR:
            sensors.setdefault(area_id, []).append(made.serial)
    return Placement(
        {area_id: tuple(serials) for area_id, serials in sensors.items()},
        {
            device.integration_id: device.serial
            for device in description.devices
            if device.kind is DeviceKind.TIMECLOCK
        },
    )


# Statuses (LP14, LP15, LP24, LP30, LP41, LP43, LP45), pushed or read: each reader takes what a status carries and
# leaves out what it does not (a delta updates only the keys it carries, LP57).


@dataclass(slots=True)
class ZoneReading:
    """What the statuses of one zone said so far: each field None until a status carried it."""

    on: bool | None = None
    level: float | None = None
    tilt: float | None = None
    accurate: bool = True

    def merge(self, status: Mapping[str, Any]) -> None:
        """Take the keys `status` carries (LP57: a delta changes only those)."""
        cco = status.get("CCOLevel")
        switched = status.get("SwitchedLevel")
        level = _number(status.get("Level"))
        if level is not None:
            self.level = min(max(level, 0.0), 100.0)
            self.on = self.level > 0
        if isinstance(switched, str):
            self.on = switched == "On"
        if isinstance(cco, str):
            self.on = cco == "Closed"
        tilt = _number(status.get("Tilt"))
        if tilt is not None:
            self.tilt = min(max(tilt, 0.0), 100.0)
        accuracy = status.get("StatusAccuracy")
        if isinstance(accuracy, str):
            self.accurate = accuracy != "Bad"  # LP58: keep the level, mark it uncertain


def _href_id(href: Any, prefix: str) -> int | None:
    """Return the id in `<prefix><id>[/…]`; None for any other href."""
    if not isinstance(href, str) or not href.startswith(prefix):
        return None
    return id_from_href(href)


def _status_object_id(status: Mapping[str, Any], key: str, prefix: str) -> int | None:
    """Return the id of the object a status is about: its link under `key`, else its own `href` (LP57)."""
    ref = status.get(key)
    if isinstance(ref, Mapping) and "href" in ref:
        return _href_id(ref["href"], prefix)
    return _href_id(status.get("href"), prefix)


def status_zone_id(status: Mapping[str, Any]) -> int | None:
    """Return the id of the zone a zone status is about (its `Zone` link, else its own `href`)."""
    return _status_object_id(status, "Zone", ZONE_PREFIX)


def led_status(status: Mapping[str, Any]) -> tuple[int, LedState] | None:
    """LP41: (LED id, state) of an LED status; None when it names no LED or no state we know."""
    led_id = _status_object_id(status, "LED", "/led/")
    state = LED_STATES.get(status.get("State", ""))
    return None if led_id is None or state is None else (led_id, state)


def area_occupancy(status: Mapping[str, Any]) -> tuple[int, bool | None] | None:
    """LP43: (area id, occupied) of an area status; occupied None for `Unknown`; None without `OccupancyStatus`."""
    area_id = _status_object_id(status, "Area", "/area/")
    occupancy = status.get("OccupancyStatus")
    if area_id is None or not isinstance(occupancy, str):
        return None
    return area_id, OCCUPANCY.get(occupancy)


def timeclock_enabled(status: Mapping[str, Any]) -> tuple[int, bool] | None:
    """LP45: (timeclock id, enabled) of a timeclock status; None when it says neither."""
    clock_id = _status_object_id(status, "Timeclock", "/timeclock/")
    state = status.get("EnabledState", status.get("EnableState"))
    if clock_id is None or state not in ("Enabled", "Disabled"):
        return None
    return clock_id, state == "Enabled"


def button_event(status: Mapping[str, Any]) -> tuple[int, str] | None:
    """LP38: (button id, EventType) of a button status event; None when it names no button or event."""
    button_id = _status_object_id(status, "Button", "/button/")
    event = status.get("ButtonEvent")
    kind = event.get("EventType") if isinstance(event, Mapping) else None
    if button_id is None or not isinstance(kind, str):
        return None
    return button_id, kind


# LP57: the status keys a message body may carry, one object or many, by what they are about.
STATUS_KEYS: Final = {
    "zone": (
        BodyType.ONE_ZONE_STATUS.body_key,
        BodyType.MULTIPLE_ZONE_STATUSES.body_key,
    ),
    "area": (
        BodyType.ONE_AREA_STATUS.body_key,
        BodyType.MULTIPLE_AREA_STATUSES.body_key,
    ),
    "led": (BodyType.ONE_LED_STATUS.body_key, ""),
    "timeclock": (
        BodyType.ONE_TIMECLOCK_STATUS.body_key,
        BodyType.MULTIPLE_TIMECLOCK_STATUSES.body_key,
    ),
    "button": (BodyType.ONE_BUTTON_STATUS_EVENT.body_key, ""),
}


def body_statuses(message: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """LP57: the statuses of `kind` a message carries, one (`ZoneStatus`) or many (`ZoneStatuses`); [] if none.

    Whatever the message's tag, URL or type (a push, a subscription's or a command's reply, tagged or not).
    """
    body = message.get("Body")
    if not isinstance(body, Mapping):
        return []
    one, many = STATUS_KEYS[kind]
    found = body.get(many) if many else None
    if isinstance(found, list):
        return [status for status in found if isinstance(status, Mapping)]
    single = body.get(one)
    return [single] if isinstance(single, Mapping) else []
