"""The processor's LEAP resources (LP10–LP17), built from a system description.

Ids (LP10–LP16: positive, unique across kinds, and the same at every start for the same description): every object
gets `key * ID_STRIDE + kind`, where `kind` is a small number per kind of object (`IdKind`) and `key` is

- the integration id, for the processor, a module (device) and a zone or CCO (zone): integration ids are unique
  across a system, and the kind keeps a device and a zone apart even if a client compares raw numbers;
- for areas, 0 for the root area (the project), then 1, 2, … for the modules' rooms sorted by name;
- the link number for a link; the device's integration id for its link node.

The processor's id therefore never is 1: pylutron-caseta files the processor under the key "1" (with zone "1"),
and a zone numbered 1 would overwrite it. Control stations, buttons, the CCI, LEDs, relay counts, temperature and
mode are not in LEAP (LP17).

Zone and area statuses are built from the emulator's live module state at the time of the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final

from ...const import MODULE_MODEL, LinkType, LoadType
from ...leap.protocol import (
    PRODUCT_TYPE_QSX,
    BodyType,
    encode_json,
    href,
    not_allowed,
    not_found,
)
from ...model import DeviceDescription, DeviceState, SystemDescription

ID_STRIDE: Final = 8
MODULE_DEVICE_TYPE: Final = "SwitchingPowerModule"  # LP16 (ours)
ANONYMOUS_DEVICE_TYPE: Final = "Unknown"  # LP16 (seen, QSX firmware 22)
ANONYMOUS_NAME: Final = "Enclosure Device {:03d}"
PROCESSOR_DEVICE_TYPE: Final = "HWQSProcessor"
LIGHTING_LOADS: Final = frozenset(
    {
        LoadType.INCANDESCENT,
        LoadType.MLV,
        LoadType.ELV,
        LoadType.ELECTRIC_DISCHARGE,
        LoadType.ELECTRONIC_BALLAST,
    }
)
LEAP_LINK_TYPES: Final = {
    LinkType.QS: "QS",
    LinkType.CLEAR_CONNECT_A: "ClearConnectTypeA",
}
ON_LEVEL: Final = 100


class Profile(StrEnum):
    """How modules are listed (LP16)."""

    FULL = "full"  # ours: model, serial, LocalZones
    ANONYMOUS = "anonymous"  # as a real QSX with firmware 22 lists enclosure devices


class IdKind(IntEnum):
    """The low part of every id (see the module docstring)."""

    DEVICE = 1
    ZONE = 2
    AREA = 3
    LINK = 4
    LINK_NODE = 5


def leap_id(key: int, kind: IdKind) -> int:
    """Return the id of object `key` of `kind`."""
    return key * ID_STRIDE + kind


@dataclass(frozen=True, slots=True)
class ZoneTarget:
    """What a zone id drives: a module's zone (1..4), or its CCO (`number` None)."""

    zone_id: int
    serial: str
    number: int | None
    area_id: int


def zone_value(target: ZoneTarget, state: DeviceState) -> bool:
    """Return what a zone's status shows of its module's state: the zone on, or the CCO closed."""
    if target.number is None:
        return state.cco_closed
    return state.zones[target.number - 1].on


def zone_status(target: ZoneTarget, state: DeviceState) -> dict[str, Any]:
    """LP14, LP15: the status of one zone from its module's state."""
    return _zone_status(target, zone_value(target, state))


def _zone_status(target: ZoneTarget, value: bool) -> dict[str, Any]:
    status: dict[str, Any] = {
        "href": f"/zone/{target.zone_id}/status",
        "Zone": href("zone", target.zone_id),
    }
    if target.number is None:
        status["CCOLevel"] = "Closed" if value else "Open"
    else:
        status["Level"] = ON_LEVEL if value else 0
        status["SwitchedLevel"] = "On" if value else "Off"
    status["StatusAccuracy"] = "Good"
    return status


def _timestamp(database_date: str) -> dict[str, Any]:
    """`MM/DD/YYYY,HH:MM:SS` as LEAP's timestamp object."""
    day, _, time = database_date.partition(",")
    month, mday, year = (int(part) for part in day.split("/"))
    hour, minute, second = (int(part) for part in time.split(":"))
    return {
        "Year": year,
        "Month": month,
        "Day": mday,
        "Hour": hour,
        "Minute": minute,
        "Second": second,
        "Utc": "0",
    }


def _serial_number(serial: str) -> int:
    """LP11: serials are integers in LEAP (ours: the 8 hexadecimal digits read as a number)."""
    return int(serial, 16)


class ResourceTree:
    """Every resource of one description, in one profile, and the answers to reads of them."""

    def __init__(
        self, description: SystemDescription, profile: Profile = Profile.FULL
    ) -> None:
        """Build every definition once (descriptions are frozen)."""
        self.description = description
        self.profile = profile
        processor = description.processor
        self.root_area_id = leap_id(0, IdKind.AREA)
        self.processor_id = leap_id(processor.integration_id, IdKind.DEVICE)
        rooms = sorted({module.area for module in description.modules})
        area_ids = {
            room: leap_id(index, IdKind.AREA)
            for index, room in enumerate(rooms, start=1)
        }
        self.areas: dict[int, dict[str, Any]] = {
            self.root_area_id: {
                "href": f"/area/{self.root_area_id}",
                "Name": description.name,
                "SortOrder": 0,
                "IsLeaf": not rooms,
            }
        }
        for index, room in enumerate(rooms):
            area_id = area_ids[room]
            self.areas[area_id] = {
                "href": f"/area/{area_id}",
                "Name": room,
                "Parent": href("area", self.root_area_id),
                "SortOrder": index,
                "IsLeaf": True,
            }
        self.zones: dict[int, dict[str, Any]] = {}
        self.targets: dict[int, ZoneTarget] = {}
        self.area_zones: dict[int, list[int]] = {area_id: [] for area_id in self.areas}
        # The lighting zones of each area: what its status is made of.
        self._area_lights: dict[int, list[ZoneTarget]] = {
            area_id: [] for area_id in self.areas
        }
        # (zone id, `zone_value`) → the status as JSON: two per zone, each encoded once.
        self._status_json: dict[tuple[int, bool], str] = {}
        self.devices: dict[int, dict[str, Any]] = {self.processor_id: self._processor()}
        self.module_devices: list[int] = []
        for number, module in enumerate(description.modules, start=1):
            self._add_module(module, area_ids[module.area], number)
        self.links = {
            leap_id(link.number, IdKind.LINK): {
                "href": f"/link/{leap_id(link.number, IdKind.LINK)}",
                "LinkType": LEAP_LINK_TYPES[link.link_type],
                "LinkNumber": link.number,
            }
            for link in description.links
        }
        self.project = {
            "href": "/project",
            "Name": description.name,
            "ProductType": PRODUCT_TYPE_QSX,
            "MasterDeviceList": {"Devices": [href("device", self.processor_id)]},
            "ProjectModifiedTimestamp": _timestamp(description.database_date),
        }

    def _processor(self) -> dict[str, Any]:
        processor = self.description.processor
        serial = _serial_number(processor.serial)
        mac = ":".join(
            ["02", "00", *(f"{byte:02x}" for byte in serial.to_bytes(4, "big"))]
        )
        return {
            "href": f"/device/{self.processor_id}",
            "Name": processor.name,
            "DeviceType": PROCESSOR_DEVICE_TYPE,
            "ModelNumber": processor.model.value,
            "SerialNumber": serial,
            "AssociatedArea": href("area", self.root_area_id),
            "Parent": {"href": "/project"},
            "NetworkInterfaces": [{"MACAddress": mac}],
            "OwnedLinks": [
                {
                    "href": f"/link/{leap_id(link.number, IdKind.LINK)}",
                    "LinkType": LEAP_LINK_TYPES[link.link_type],
                }
                for link in self.description.links
            ],
            "LinkNodes": [
                href(
                    "device",
                    self.processor_id,
                    "linknode",
                    str(leap_id(processor.integration_id, IdKind.LINK_NODE)),
                )
            ],
            "FirmwareImage": {"Firmware": {"DisplayName": processor.firmware}},
            "AddressedState": "Addressed",
            "IsThisDevice": True,
        }

    def _add_module(self, module: DeviceDescription, area_id: int, number: int) -> None:
        device_id = leap_id(module.integration_id, IdKind.DEVICE)
        area = href("area", area_id)
        local: list[dict[str, str]] = []
        outputs: list[tuple[int, str, int | None, bool]] = [
            (
                zone.integration_id,
                zone.name,
                zone.number,
                zone.load_type in LIGHTING_LOADS,
            )
            for zone in module.zones
        ]
        outputs.append((module.cco.integration_id, module.cco.name, None, False))
        for integration_id, name, zone_number, is_light in outputs:
            zone_id = leap_id(integration_id, IdKind.ZONE)
            self.zones[zone_id] = {
                "href": f"/zone/{zone_id}",
                "Name": name,
                "ControlType": "CCO" if zone_number is None else "Switched",
                "Category": {"Type": "", "IsLight": is_light},
                "AssociatedArea": area,
                "SortOrder": len(self.area_zones[area_id]),
            }
            if self.profile is Profile.FULL:
                self.zones[zone_id]["Device"] = href("device", device_id)
            self.targets[zone_id] = ZoneTarget(
                zone_id, module.serial, zone_number, area_id
            )
            if is_light and zone_number is not None:
                self._area_lights[area_id].append(self.targets[zone_id])
            self.area_zones[area_id].append(zone_id)
            local.append(href("zone", zone_id))
        link_node = href(
            "device",
            device_id,
            "linknode",
            str(leap_id(module.integration_id, IdKind.LINK_NODE)),
        )
        device: dict[str, Any] = {"href": f"/device/{device_id}"}
        if self.profile is Profile.FULL:
            device |= {
                "Name": module.name,
                "DeviceType": MODULE_DEVICE_TYPE,
                "ModelNumber": MODULE_MODEL,
                "SerialNumber": _serial_number(module.serial),
                "AssociatedArea": area,
                "Parent": {"href": "/project"},
                "LocalZones": local,
                "LinkNodes": [link_node],
                "AddressedState": "Addressed",
            }
        else:
            device |= {
                "Name": ANONYMOUS_NAME.format(number),
                "DeviceType": ANONYMOUS_DEVICE_TYPE,
                "AssociatedArea": area,
                "Parent": {"href": "/project"},
                "LinkNodes": [link_node],
                "DeviceClass": {"HexadecimalEncoding": "0"},
                "AddressedState": "Addressed",
            }
        self.devices[device_id] = device
        self.module_devices.append(device_id)

    # Reads.

    def read(self, url: str) -> tuple[BodyType, Any] | None:
        """Answer `ReadRequest url` (LP10–LP16) with the body's shape and content, or None for `204 NoContent`.

        Zone and area statuses are not definitions: `server.py` builds them from the live state. `LeapError` 404
        for a URL that names nothing, 405 for a resource that cannot be read.
        """
        path, _, query = url.partition("?")
        parts = path.split("/")[1:]
        match parts:
            case ["project"] if not query:
                return BodyType.ONE_PROJECT, self.project
            case ["device"]:
                return self._read_devices(url, query)
            case ["device", number] if not query:
                return BodyType.ONE_DEVICE, self._get(self.devices, number, url)
            case ["area"] if not query:
                return BodyType.MULTIPLE_AREAS, list(self.areas.values())
            case ["area", number] if not query:
                return BodyType.ONE_AREA, self._get(self.areas, number, url)
            case ["area", number, "associatedzone"] if not query:
                self._get(self.areas, number, url)
                zones = [
                    self.zones[zone_id] for zone_id in self.area_zones[int(number)]
                ]
                return (BodyType.MULTIPLE_ZONES, zones) if zones else None
            case ["area", number, "associatedcontrolstation"] if not query:
                self._get(self.areas, number, url)
                return None  # LP13: no control stations in this system
            case ["zone", number] if not query:
                return BodyType.ONE_ZONE, self._get(self.zones, number, url)
            case ["zone"] if not query:
                raise not_allowed()  # LP7: as on a real QSX
            case ["link", number] if not query:
                return BodyType.ONE_LINK, self._get(self.links, number, url)
            case _:
                raise not_found(url)

    def _read_devices(self, url: str, query: str) -> tuple[BodyType, Any] | None:
        if not query:
            return None  # LP12: `/device` alone answers 204 on a real QSX
        if query == "where=IsThisDevice:true":
            return BodyType.MULTIPLE_DEVICES, [self.devices[self.processor_id]]
        if query == "where=IsThisDevice:false":
            return BodyType.MULTIPLE_DEVICES, [
                self.devices[device_id] for device_id in self.module_devices
            ]
        raise not_found(url)

    @staticmethod
    def _get(
        objects: Mapping[int, dict[str, Any]], number: str, url: str
    ) -> dict[str, Any]:
        if not number.isdigit() or (found := objects.get(int(number))) is None:
            raise not_found(url)
        return found

    def zone_target(self, number: str, url: str) -> ZoneTarget:
        """Return the zone `/zone/<number>/…` names; `LeapError` 404 when it names none."""
        if not number.isdigit() or (target := self.targets.get(int(number))) is None:
            raise not_found(url)
        return target

    def area_id(self, number: str, url: str) -> int:
        """Return the area `/area/<number>/…` names; `LeapError` 404 when it names none."""
        self._get(self.areas, number, url)
        return int(number)

    def zone_status_json(self, target: ZoneTarget, state: DeviceState) -> str:
        """`zone_status` as JSON text (`encode_json`)."""
        key = (target.zone_id, zone_value(target, state))
        text = self._status_json.get(key)
        if text is None:
            text = self._status_json[key] = encode_json(_zone_status(target, key[1]))
        return text

    def area_status(
        self, area_id: int, state: Callable[[str], DeviceState]
    ) -> dict[str, Any]:
        """Return the status of one area (LP18; ours: `Level` 100 while one of its lighting zones is on, else 0)."""
        status: dict[str, Any] = {"href": f"/area/{area_id}/status"}
        lights = self._area_lights[area_id]
        if lights:
            on = any(zone_value(target, state(target.serial)) for target in lights)
            status["Level"] = ON_LEVEL if on else 0
        status["OccupancyStatus"] = "Unknown"
        status["CurrentScene"] = None
        return status
