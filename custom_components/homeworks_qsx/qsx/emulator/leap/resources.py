"""The processor's LEAP resources (LP10–LP16, LP24, LP30, LP34–LP36, LP41, LP43–LP46, LP49), built from a description.

Ids (LP10–LP16: positive, unique across kinds, and the same at every start for the same description): every object
gets `key * ID_STRIDE + kind`, where `kind` is a small number per kind of object (`IdKind`) and `key` is

- the integration id, for the processor, a device (a module, a shade, a keypad, a sensor) and a zone or CCO (zone):
  integration ids are unique across a system, and the kind keeps a device and a zone apart even if a client
  compares raw numbers;
- for areas, 0 for the root area (the project), then 1, 2, … for the devices' rooms sorted by name;
- for a link, its number on the project's first processor, `processor integration id * LINK_SLOTS + number` on
  another (link numbers are per processor, P3); the device's (or processor's) integration id for its link node;
- for a keypad's button and LED, `keypad integration id * PART_SLOTS + its number` (LP36: the physical position);
- for the rarer parts (`PartKind`: a keypad's button group and control station, a button's programming model, a
  timeclock and its events), kind `PART` with key `part key * ID_STRIDE + part kind`.

The processor's id therefore never is 1: pylutron-caseta files the processor under the key "1" (with zone "1"),
and a zone numbered 1 would overwrite it. A module's CCI, front buttons and LEDs, relay counts, temperature and
mode are not in LEAP (LP17).

Statuses (zones, areas, LEDs, timeclocks, devices) are built from the emulator's live state at the time of the call.

Several processors (LP52, LP53): every processor of the project serves the same tree, built for it
(`this_processor`): every processor is a device of type `HWQSProcessor` with its own serial, model, `OwnedLinks` and
`DeviceClass`, and only `IsThisDevice` differs between the processors' trees. Every link of the project has its
link-node list; zones, areas and devices are the whole project's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final

from ...const import (
    MODULE_MODEL,
    SHADE_MODEL,
    KeypadType,
    LedState,
    LinkType,
    LoadType,
    OccupancySensorType,
)
from ...leap.protocol import (
    PRODUCT_TYPE_QSX,
    BodyType,
    LeapError,
    Status,
    encode_json,
    href,
    not_allowed,
    not_found,
)
from ...model import (
    ControlType,
    DeviceDescription,
    DeviceKind,
    DeviceState,
    IndicatorDescription,
    InputDescription,
    LinkDescription,
    ProcessorDescription,
    SystemDescription,
    TimeclockEventType,
)

ID_STRIDE: Final = 8
MAX_ID_DIGITS: Final = (
    18  # longer numbers name nothing (and `int` refuses very long ones)
)
# Buttons, LEDs and timeclock events per device (numbers 0..PART_SLOTS-1; LP36: positions are small numbers).
PART_SLOTS: Final = 256
MODULE_DEVICE_TYPE: Final = "SwitchingPowerModule"  # LP16 (ours)
DIMMING_MODULE_DEVICE_TYPE: Final = "DimmingPowerModule"  # LP16 (ours)
SHADE_DEVICE_TYPE: Final = "Shade"  # LP30 (seen)
ANONYMOUS_DEVICE_TYPE: Final = "Unknown"  # LP16 (seen, QSX firmware 22)
ANONYMOUS_NAME: Final = "Enclosure Device {:03d}"
PROCESSOR_DEVICE_TYPE: Final = "HWQSProcessor"
# LP52: the HQP7-1's class (prefix 0811: a wired HomeWorks QS processor, as every emulated processor is).
PROCESSOR_DEVICE_CLASS: Final = "8110201"
# LP50: one of the classes an `Unknown` enclosure device shows.
ENCLOSURE_DEVICE_CLASS: Final = "0"
# LP47 (ours): a link of a processor other than the first is keyed past every link number of the first.
LINK_SLOTS: Final = 256
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
LEAP_CONTROL_TYPES: Final = {
    ControlType.SWITCHED: "Switched",
    ControlType.CCO: "CCO",
    ControlType.DIMMED: "Dimmed",
    ControlType.SHADE: "Shade",
    ControlType.SHADE_WITH_TILT: "ShadeWithTilt",
}
ON_LEVEL: Final = 100
# LP47: what a link node shows of its device.
LINK_NODE_PARENT_KEYS: Final = (
    "href",
    "Name",
    "DeviceType",
    "SerialNumber",
    "ModelNumber",
    "LocalZones",
    "FirmwareImage",
    "DeviceClass",
    "AddressedState",
    "AssociatedArea",
)
# LP38: what the emulator's keypad events are called on the wire.
ZONE_LOCK_STATE: Final = "Unlocked"  # LP24: in reads of a level zone's status


class Profile(StrEnum):
    """How modules are listed (LP16, LP48, LP50, LP51)."""

    FULL = "full"  # ours: model, serial, LocalZones
    ANONYMOUS = "anonymous"  # as a real QSX with firmware 22 lists enclosure devices
    # As an addressed QSX may: `Unknown` with serial and model, no LocalZones; its zones only in its link node.
    ADDRESSED = "addressed"


class IdKind(IntEnum):
    """The low part of every id (see the module docstring)."""

    PART = 0
    DEVICE = 1
    ZONE = 2
    AREA = 3
    LINK = 4
    LINK_NODE = 5
    BUTTON = 6
    LED = 7


class PartKind(IntEnum):
    """The rarer objects, all of id kind `PART` (see the module docstring)."""

    BUTTON_GROUP = 1  # key: the keypad's integration id
    CONTROL_STATION = 2  # key: the keypad's integration id
    PROGRAMMING_MODEL = 3  # key: its button's key
    TIMECLOCK = 4  # key: the timeclock's integration id
    TIMECLOCK_EVENT = 5  # key: timeclock integration id * PART_SLOTS + event number


class StatusUse(StrEnum):
    """Where a zone's status is sent: a level zone's carries a little more in reads and in command replies (LP24)."""

    READ = "read"  # a read or a subscription's first answer: with `ZoneLockState`
    REPLY = "reply"  # a command's 201: with `Availability`
    PUSH = "push"  # a push: neither (LP55 a)


def leap_id(key: int, kind: IdKind) -> int:
    """Return the id of object `key` of `kind`."""
    return key * ID_STRIDE + kind


def part_id(key: int, part: PartKind) -> int:
    """Return the id of a part (`PartKind`) keyed `key`."""
    return leap_id(key * ID_STRIDE + part, IdKind.PART)


@dataclass(frozen=True, slots=True)
class ZoneTarget:
    """What a zone id drives: a device's output `number` (1..n), or a module's own CCO (`number` None)."""

    zone_id: int
    serial: str
    number: int | None
    area_id: int
    control_type: ControlType = ControlType.SWITCHED
    is_light: bool = False
    processor: str = (
        ""  # the serial of the processor whose link its device is on (LP53)
    )

    @property
    def has_level(self) -> bool:
        """Whether the zone's state is a level (dimmed, shade)."""
        return self.control_type not in (ControlType.SWITCHED, ControlType.CCO)


@dataclass(frozen=True, slots=True)
class ButtonTarget:
    """What a button id names: button `number` of keypad `serial`."""

    button_id: int
    serial: str
    number: int


@dataclass(frozen=True, slots=True)
class LedTarget:
    """What an LED id names: LED `number` of keypad `serial`."""

    led_id: int
    serial: str
    number: int


@dataclass(frozen=True, slots=True)
class TimeclockTarget:
    """What a timeclock id names."""

    timeclock_id: int
    serial: str


def object_id(text: str) -> int | None:
    """Return the id a URL segment names, or None: only plain ASCII digits without leading zeros name one.

    One spelling per object: a session's subscriptions are keyed by URL, so `/led/007/status` beside
    `/led/7/status` would let a peer make them grow without bound.
    """
    if (
        text.isascii()
        and text.isdigit()
        and len(text) <= MAX_ID_DIGITS
        and (text == "0" or text[0] != "0")
    ):
        return int(text)
    return None


def zone_value(target: ZoneTarget, state: DeviceState) -> bool:
    """Return what a switched zone's or CCO's status shows of its module's state: the zone on, or the CCO closed."""
    if target.number is None:
        return state.cco_closed
    return state.zones[target.number - 1].on


def reachable(state: DeviceState) -> bool:
    """LP49, LP53: whether the processors reach a device (powered, its link up, the link's processor on the network)."""
    return state.powered and state.link_up


def zone_status(
    target: ZoneTarget,
    state: DeviceState,
    use: StatusUse = StatusUse.READ,
    *,
    cut_off: bool = False,
) -> dict[str, Any]:
    """LP14, LP15, LP24, LP30: the status of one zone from its device's state.

    `cut_off`: the processor whose link the zone's device is on is off the network (LP53: `StatusAccuracy: "Bad"`).
    """
    if not target.has_level:
        return _zone_status(target, zone_value(target, state), not cut_off)
    assert target.number is not None
    zone = state.zones[target.number - 1]
    status: dict[str, Any] = {
        "href": f"/zone/{target.zone_id}/status",
        "Zone": href("zone", target.zone_id),
        "Level": round(zone.level),  # LP24 (ours): whole numbers
    }
    if target.control_type is ControlType.SHADE_WITH_TILT:
        status["Tilt"] = round(zone.tilt or 0)
    # LP49 (ours): a device without power or link shows its last level, marked uncertain.
    accurate = zone.level_accurate and not cut_off
    status["StatusAccuracy"] = "Good" if accurate else "Bad"
    if use is StatusUse.READ:
        status["ZoneLockState"] = ZONE_LOCK_STATE
    elif use is StatusUse.REPLY:
        status["Availability"] = "Available" if reachable(state) else "Unavailable"
    return status


def _zone_status(target: ZoneTarget, value: bool, accurate: bool) -> dict[str, Any]:
    status: dict[str, Any] = {
        "href": f"/zone/{target.zone_id}/status",
        "Zone": href("zone", target.zone_id),
    }
    if target.number is None:
        status["CCOLevel"] = "Closed" if value else "Open"
    else:
        status["Level"] = ON_LEVEL if value else 0
        status["SwitchedLevel"] = "On" if value else "Off"
    # LP53 (ours): the state last known of a module its processor no longer reaches, marked uncertain.
    status["StatusAccuracy"] = "Good" if accurate else "Bad"
    return status


def led_state(state: DeviceState, number: int) -> str:
    """LP42 (ours): an LED reports only `On` or `Off` (a flashing LED is lit)."""
    return "Off" if state.indicators.get(number, LedState.OFF) is LedState.OFF else "On"


def led_status(target: LedTarget, state: DeviceState) -> dict[str, Any]:
    """LP41: the status of one keypad LED."""
    return {
        "href": f"/led/{target.led_id}/status",
        "LED": href("led", target.led_id),
        "State": led_state(state, target.number),
    }


def timeclock_status(target: TimeclockTarget, state: DeviceState) -> dict[str, Any]:
    """LP45: whether a timeclock is enabled."""
    return {
        "href": f"/timeclock/{target.timeclock_id}/status",
        "Timeclock": href("timeclock", target.timeclock_id),
        "EnabledState": "Disabled" if state.timeclock_enabled is False else "Enabled",
    }


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


def keypad_device_type(device: DeviceDescription) -> KeypadType:
    """LP35: the keypad's `DeviceType`, as its description gives it (a seeTouch keypad where it gives none)."""
    # Imported here: the command line imports this module for `Profile`, and must not load the description
    # schema's libraries (voluptuous, PyYAML) before it parses its arguments.
    from ..description.validation import keypad_type  # noqa: PLC0415

    return keypad_type(device) or KeypadType.SEETOUCH


# Device kinds listed in `/device?where=IsThisDevice:false` (timeclocks are `/timeclock`; area groups are a client's).
_LISTED_KINDS: Final = frozenset(
    {
        DeviceKind.SWITCHING_MODULE,
        DeviceKind.DIMMING_MODULE,
        DeviceKind.SHADE,
        DeviceKind.KEYPAD,
        DeviceKind.OCCUPANCY_SENSOR,
    }
)
_ENCLOSURE_KINDS: Final = frozenset(
    {DeviceKind.SWITCHING_MODULE, DeviceKind.DIMMING_MODULE}
)


class ResourceTree:
    """Every resource of one description, in one profile, as processor `this_processor` serves them.

    `this_processor`: the serial of the processor serving (LP53; the project's first by default);
    `UnknownObjectError` when the project has no such processor.
    """

    def __init__(
        self,
        description: SystemDescription,
        profile: Profile = Profile.FULL,
        *,
        this_processor: str | None = None,
    ) -> None:
        """Build every definition once (descriptions are frozen)."""
        self.description = description
        self.profile = profile
        processor = (
            description.processor
            if this_processor is None
            else description.processor_by_serial(this_processor)
        )
        self.this_processor = processor
        self.root_area_id = leap_id(0, IdKind.AREA)
        self.processor_id = leap_id(processor.integration_id, IdKind.DEVICE)
        # Device id → serial of every processor of the project (LP52), the first one first.
        self.processor_serials: dict[int, str] = {
            leap_id(item.integration_id, IdKind.DEVICE): item.serial
            for item in description.processors
        }
        listed = [
            device for device in description.devices if device.kind in _LISTED_KINDS
        ]
        rooms = sorted({device.area for device in listed if device.area})
        self.area_ids: dict[str, int] = {
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
        self.area_names: dict[int, str] = {}
        for index, room in enumerate(rooms):
            area_id = self.area_ids[room]
            self.area_names[area_id] = room
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
        self.area_stations: dict[int, list[int]] = {
            area_id: [] for area_id in self.areas
        }
        # The lighting zones of each area: what its status's level is made of.
        self._area_lights: dict[int, list[ZoneTarget]] = {
            area_id: [] for area_id in self.areas
        }
        # Areas with an occupancy sensor (LP44: the others report Unknown).
        self.sensed_areas: set[int] = set()
        # (zone id, `zone_value`, accurate) → a switched zone's or CCO's status as JSON, each encoded once.
        self._status_json: dict[tuple[int, bool, bool], str] = {}
        self.devices: dict[int, dict[str, Any]] = {
            device_id: self._processor(description.processor_by_serial(serial))
            for device_id, serial in self.processor_serials.items()
        }
        self.device_serials: dict[int, str] = dict(self.processor_serials)
        self.device_areas: dict[str, int] = {}  # serial → the id of its area
        # LP12, LP52: every device but this processor: the other processors, then the rest in description order.
        self.module_devices: list[int] = [
            device_id
            for device_id in self.processor_serials
            if device_id != self.processor_id
        ]
        # LP48: what a module's link node shows beside its device's definition (the addressed profile's zones).
        self._link_node_extra: dict[int, dict[str, Any]] = {}
        self.button_groups: dict[int, dict[str, Any]] = {}
        self.device_button_groups: dict[
            int, int
        ] = {}  # keypad device id → its button group id
        self.buttons: dict[int, dict[str, Any]] = {}
        self.button_targets: dict[int, ButtonTarget] = {}
        self.leds: dict[int, dict[str, Any]] = {}
        self.led_targets: dict[int, LedTarget] = {}
        self.control_stations: dict[int, dict[str, Any]] = {}
        self.programming_models: dict[int, dict[str, Any]] = {}
        self.timeclocks: dict[int, dict[str, Any]] = {}
        self.timeclock_targets: dict[int, TimeclockTarget] = {}
        self.timeclock_events: dict[int, dict[str, Any]] = {}
        enclosures = 0
        for device in description.devices:
            if device.kind is DeviceKind.TIMECLOCK:
                self._add_timeclock(device)
                continue
            if device.kind not in _LISTED_KINDS:
                continue
            area_id = self.area_ids.get(device.area, self.root_area_id)
            if device.kind in _ENCLOSURE_KINDS:
                enclosures += 1
                self._add_module(device, area_id, enclosures)
            elif device.kind is DeviceKind.SHADE:
                self._add_shade(device, area_id)
            elif device.kind is DeviceKind.KEYPAD:
                self._add_keypad(device, area_id)
            else:
                self._add_sensor(device, area_id)
        self.links = {
            self.link_id(link): {
                "href": f"/link/{self.link_id(link)}",
                "LinkType": LEAP_LINK_TYPES[link.link_type],
                "LinkNumber": link.number,
            }
            for link in description.links
        }
        self.link_nodes = {
            self.link_id(link): self._link_nodes(link) for link in description.links
        }
        self.project: dict[str, Any] = {
            "href": "/project",
            "Name": description.name,
            "ProductType": PRODUCT_TYPE_QSX,
            # LP52: every processor of the project.
            "MasterDeviceList": {
                "Devices": [href("device", item) for item in self.processor_serials]
            },
            "ProjectModifiedTimestamp": _timestamp(description.database_date),
        }
        if self.timeclocks:
            self.project["TimeclockEventRules"] = {
                "href": "/project/timeclockeventrules"
            }
        # `/<kind>/<id>` reads, and the collections read whole.
        self._objects: dict[str, tuple[BodyType, Mapping[int, dict[str, Any]]]] = {
            "device": (BodyType.ONE_DEVICE, self.devices),
            "area": (BodyType.ONE_AREA, self.areas),
            "zone": (BodyType.ONE_ZONE, self.zones),
            "link": (BodyType.ONE_LINK, self.links),
            "controlstation": (BodyType.ONE_CONTROL_STATION, self.control_stations),
            "buttongroup": (BodyType.ONE_BUTTON_GROUP, self.button_groups),
            "button": (BodyType.ONE_BUTTON, self.buttons),
            "led": (BodyType.ONE_LED, self.leds),
            "programmingmodel": (
                BodyType.ONE_PROGRAMMING_MODEL,
                self.programming_models,
            ),
            "timeclock": (BodyType.ONE_TIMECLOCK, self.timeclocks),
            "timeclockevent": (BodyType.ONE_TIMECLOCK_EVENT, self.timeclock_events),
        }
        self._collections: dict[str, tuple[BodyType, Mapping[int, dict[str, Any]]]] = {
            "area": (BodyType.MULTIPLE_AREAS, self.areas),
            "timeclock": (BodyType.MULTIPLE_TIMECLOCKS, self.timeclocks),
            "timeclockevent": (
                BodyType.MULTIPLE_TIMECLOCK_EVENTS,
                self.timeclock_events,
            ),
        }

    def link_id(self, link: LinkDescription) -> int:
        """Return the id of a link of the project (see the module docstring)."""
        processor = self.description.processor_of(link)
        key = (
            link.number
            if processor is self.description.processor
            else processor.integration_id * LINK_SLOTS + link.number
        )
        return leap_id(key, IdKind.LINK)

    def _processor(self, processor: ProcessorDescription) -> dict[str, Any]:
        """LP11, LP52: a processor of the project, as every processor lists it; `IsThisDevice` names the server."""
        device_id = leap_id(processor.integration_id, IdKind.DEVICE)
        serial = _serial_number(processor.serial)
        mac = ":".join(
            ["02", "00", *(f"{byte:02x}" for byte in serial.to_bytes(4, "big"))]
        )
        return {
            "href": f"/device/{device_id}",
            "Name": processor.name,
            "DeviceType": PROCESSOR_DEVICE_TYPE,
            "ModelNumber": processor.model.value,
            "SerialNumber": serial,
            "AssociatedArea": href("area", self.root_area_id),
            "Parent": {"href": "/project"},
            "NetworkInterfaces": [{"MACAddress": mac}],
            "OwnedLinks": [
                {
                    "href": f"/link/{self.link_id(link)}",
                    "LinkType": LEAP_LINK_TYPES[link.link_type],
                }
                for link in self.description.links_of(processor.serial)
            ],
            "LinkNodes": [
                href(
                    "device",
                    device_id,
                    "linknode",
                    str(leap_id(processor.integration_id, IdKind.LINK_NODE)),
                )
            ],
            "FirmwareImage": {"Firmware": {"DisplayName": processor.firmware}},
            "DeviceClass": {"HexadecimalEncoding": PROCESSOR_DEVICE_CLASS},
            "AddressedState": "Addressed",
            "IsThisDevice": processor is self.this_processor,
        }

    def _link_nodes(self, link: LinkDescription) -> list[dict[str, Any]]:
        """LP47, LP48: the link's processor and every device on `link`, each with its device as `Parent` (LP16 form)."""
        description = self.description
        processor = description.processor_of(link)
        on_link = [leap_id(processor.integration_id, IdKind.DEVICE)] + [
            leap_id(device.integration_id, IdKind.DEVICE)
            for device in description.devices
            if device.link == link.number
            and description.processor_of(device) is processor
        ]
        nodes: list[dict[str, Any]] = []
        for device_id in on_link:
            definition = self.devices.get(device_id)
            if definition is None or "LinkNodes" not in definition:
                continue  # not served (a timeclock), or on no link of its own
            nodes.append(
                {
                    "href": definition["LinkNodes"][0]["href"],
                    "LinkType": LEAP_LINK_TYPES[link.link_type],
                    "Parent": {
                        key: definition[key]
                        for key in LINK_NODE_PARENT_KEYS
                        if key in definition
                    }
                    | self._link_node_extra.get(device_id, {}),
                }
            )
        return nodes

    def _link_node(self, device: DeviceDescription, device_id: int) -> dict[str, str]:
        return href(
            "device",
            device_id,
            "linknode",
            str(leap_id(device.integration_id, IdKind.LINK_NODE)),
        )

    def _register(
        self, device: DeviceDescription, definition: dict[str, Any], area_id: int
    ) -> int:
        device_id = leap_id(device.integration_id, IdKind.DEVICE)
        self.devices[device_id] = definition
        self.device_serials[device_id] = device.serial
        self.device_areas[device.serial] = area_id
        self.module_devices.append(device_id)
        return device_id

    def _add_zone(
        self,
        device: DeviceDescription,
        area_id: int,
        output: tuple[int, str, int | None, ControlType, bool],
        device_id: int,
    ) -> dict[str, str]:
        integration_id, name, number, control_type, is_light = output
        zone_id = leap_id(integration_id, IdKind.ZONE)
        area = href("area", area_id)
        self.zones[zone_id] = {
            "href": f"/zone/{zone_id}",
            "Name": name,
            "ControlType": LEAP_CONTROL_TYPES[control_type],
            "Category": {"Type": "", "IsLight": is_light},
            "AssociatedArea": area,
            "SortOrder": len(self.area_zones[area_id]),
        }
        if self.profile is Profile.FULL and device.kind is not DeviceKind.SHADE:
            self.zones[zone_id]["Device"] = href("device", device_id)
        target = ZoneTarget(
            zone_id,
            device.serial,
            number,
            area_id,
            control_type,
            is_light,
            self.description.processor_of(device).serial,
        )
        self.targets[zone_id] = target
        if is_light and number is not None:
            self._area_lights[area_id].append(target)
        self.area_zones[area_id].append(zone_id)
        return href("zone", zone_id)

    def _outputs(
        self, device: DeviceDescription
    ) -> list[tuple[int, str, int | None, ControlType, bool]]:
        outputs: list[tuple[int, str, int | None, ControlType, bool]] = [
            (
                zone.integration_id,
                zone.name,
                zone.number,
                zone.control_type,
                zone.is_light if zone.has_level else zone.load_type in LIGHTING_LOADS,
            )
            for zone in device.zones
        ]
        if device.own_cco is not None:
            cco = device.own_cco
            outputs.append((cco.integration_id, cco.name, None, ControlType.CCO, False))
        return outputs

    def _add_module(self, module: DeviceDescription, area_id: int, number: int) -> None:
        device_id = leap_id(module.integration_id, IdKind.DEVICE)
        area = href("area", area_id)
        local = [
            self._add_zone(module, area_id, output, device_id)
            for output in self._outputs(module)
        ]
        device: dict[str, Any] = {"href": f"/device/{device_id}"}
        if self.profile is Profile.FULL:
            switching = module.kind is DeviceKind.SWITCHING_MODULE
            device |= {
                "Name": module.name,
                "DeviceType": MODULE_DEVICE_TYPE
                if switching
                else DIMMING_MODULE_DEVICE_TYPE,
                "ModelNumber": module.model or MODULE_MODEL,
                "SerialNumber": _serial_number(module.serial),
                "AssociatedArea": area,
                "Parent": {"href": "/project"},
                "LocalZones": local,
                "LinkNodes": [self._link_node(module, device_id)],
                "AddressedState": "Addressed",
            }
        elif self.profile is Profile.ADDRESSED:
            # LP48, LP51 (ours): who it is in the device list, what it drives only in its link node.
            device |= {
                "Name": module.name,
                "DeviceType": ANONYMOUS_DEVICE_TYPE,
                "ModelNumber": module.model or MODULE_MODEL,
                "SerialNumber": _serial_number(module.serial),
                "AssociatedArea": area,
                "Parent": {"href": "/project"},
                "LinkNodes": [self._link_node(module, device_id)],
                "DeviceClass": {"HexadecimalEncoding": ENCLOSURE_DEVICE_CLASS},
                "AddressedState": "Addressed",
            }
            self._link_node_extra[device_id] = {"LocalZones": local}
        else:
            device |= {
                "Name": ANONYMOUS_NAME.format(number),
                "DeviceType": ANONYMOUS_DEVICE_TYPE,
                "AssociatedArea": area,
                "Parent": {"href": "/project"},
                "LinkNodes": [self._link_node(module, device_id)],
                "DeviceClass": {"HexadecimalEncoding": ENCLOSURE_DEVICE_CLASS},
                "AddressedState": "Addressed",
            }
        self._register(module, device, area_id)

    def _add_shade(self, shade: DeviceDescription, area_id: int) -> None:
        """LP30: a QS shade is a device of its own, without `LocalZones` (its zone is listed under its area)."""
        device_id = leap_id(shade.integration_id, IdKind.DEVICE)
        for output in self._outputs(shade):
            self._add_zone(shade, area_id, output, device_id)
        definition: dict[str, Any] = {
            "href": f"/device/{device_id}",
            "Name": shade.name,
            "DeviceType": SHADE_DEVICE_TYPE,
            "ModelNumber": SHADE_MODEL,
            "AssociatedArea": href("area", area_id),
            "Parent": {"href": "/project"},
            "LinkNodes": [self._link_node(shade, device_id)],
            "AddressedState": "Addressed",
        }
        if shade.serial_number is not None:
            definition["SerialNumber"] = _serial_number(shade.serial)
        self._register(shade, definition, area_id)

    def _add_sensor(self, sensor: DeviceDescription, area_id: int) -> None:
        """LP44: an occupancy sensor, of a type pylutron-caseta recognises, in its area."""
        device_id = leap_id(sensor.integration_id, IdKind.DEVICE)
        definition: dict[str, Any] = {
            "href": f"/device/{device_id}",
            "Name": sensor.name,
            "DeviceType": sensor.device_type or OccupancySensorType.OCCUPANCY,
            "ModelNumber": sensor.model or "",
            "AssociatedArea": href("area", area_id),
            "Parent": {"href": "/project"},
            "AddressedState": "Addressed",
        }
        if sensor.serial_number is not None:
            definition["SerialNumber"] = _serial_number(sensor.serial)
        self.sensed_areas.add(area_id)
        self._register(sensor, definition, area_id)

    def _add_keypad(self, keypad: DeviceDescription, area_id: int) -> None:
        """LP34–LP36: a keypad, its control station (one gang), its button group, buttons and LEDs."""
        device_id = leap_id(keypad.integration_id, IdKind.DEVICE)
        device_type = keypad_device_type(keypad)
        station_id = part_id(keypad.integration_id, PartKind.CONTROL_STATION)
        group_id = part_id(keypad.integration_id, PartKind.BUTTON_GROUP)
        area = href("area", area_id)
        definition: dict[str, Any] = {
            "href": f"/device/{device_id}",
            "Name": keypad.name,
            "DeviceType": device_type,
            "ModelNumber": keypad.model or "",
            "AssociatedArea": area,
            "Parent": {"href": "/project"},
            "AssociatedControlStation": {
                "href": f"/controlstation/{station_id}",
                "Name": keypad.name,
            },
            "ButtonGroups": [href("buttongroup", group_id)],
            "AddressedState": "Addressed",
        }
        if keypad.serial_number is not None:
            definition["SerialNumber"] = _serial_number(keypad.serial)
        if device_type is not KeypadType.HOMEOWNER:  # the virtual keypad is on no link
            definition["LinkNodes"] = [self._link_node(keypad, device_id)]
        self._register(keypad, definition, area_id)
        self.control_stations[station_id] = {
            "href": f"/controlstation/{station_id}",
            "Name": keypad.name,
            "AssociatedArea": area,
            "SortOrder": len(self.area_stations[area_id]),
            "AssociatedGangedDevices": [
                {
                    "Device": {
                        "href": f"/device/{device_id}",
                        "DeviceType": device_type,
                        "AddressedState": "Addressed",
                    },
                    "GangPosition": 0,
                }
            ],
        }
        self.area_stations[area_id].append(station_id)
        leds = {
            indicator.number: self._add_led(keypad, indicator, device_id)
            for indicator in keypad.indicators
            if 0 <= indicator.number < PART_SLOTS
        }
        buttons = [
            self._add_button(keypad, button, group_id, leds.get(button.number))
            for button in keypad.buttons
            if 0 <= button.number < PART_SLOTS
        ]
        self.button_groups[group_id] = {
            "href": f"/buttongroup/{group_id}",
            "Parent": href("device", device_id),
            "SortOrder": 0,
            "ProgrammingType": "Freeform",
            "Buttons": buttons,
        }
        self.device_button_groups[device_id] = group_id

    def _add_led(
        self, keypad: DeviceDescription, indicator: IndicatorDescription, device_id: int
    ) -> int:
        led_id = leap_id(
            keypad.integration_id * PART_SLOTS + indicator.number, IdKind.LED
        )
        self.leds[led_id] = {
            "href": f"/led/{led_id}",
            "Parent": href("device", device_id),
            "Name": indicator.name,
        }
        self.led_targets[led_id] = LedTarget(led_id, keypad.serial, indicator.number)
        return led_id

    def _add_button(
        self,
        keypad: DeviceDescription,
        button: InputDescription,
        group_id: int,
        led_id: int | None,
    ) -> dict[str, Any]:
        key = keypad.integration_id * PART_SLOTS + button.number
        button_id = leap_id(key, IdKind.BUTTON)
        definition: dict[str, Any] = {
            "href": f"/button/{button_id}",
            "ButtonNumber": button.number,
            "Parent": href("buttongroup", group_id),
            "Name": button.name or f"Button {button.number}",
            "Engraving": {"Text": button.engraving},
        }
        if button.programming is not None:
            model_id = part_id(key, PartKind.PROGRAMMING_MODEL)
            model = button.programming.model.value
            definition["ProgrammingModel"] = {
                "href": f"/programmingmodel/{model_id}",
                "ProgrammingModelType": model,
            }
            self.programming_models[model_id] = {
                "href": f"/programmingmodel/{model_id}",
                "ProgrammingModelType": model,
                "Parent": href("button", button_id),
            }
        if led_id is not None:
            definition["AssociatedLED"] = href("led", led_id)
        self.buttons[button_id] = definition
        self.button_targets[button_id] = ButtonTarget(
            button_id, keypad.serial, button.number
        )
        return definition

    def _add_timeclock(self, clock: DeviceDescription) -> None:
        """LP45, LP46: a timeclock, its status and its events."""
        timeclock_id = part_id(clock.integration_id, PartKind.TIMECLOCK)
        self.timeclocks[timeclock_id] = {
            "href": f"/timeclock/{timeclock_id}",
            "Parent": {"href": "/project"},
            "Name": clock.name,
        }
        self.timeclock_targets[timeclock_id] = TimeclockTarget(
            timeclock_id, clock.serial
        )
        begin = _timestamp(self.description.database_date)
        days = (
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
        )
        for event in clock.schedule:
            if not 0 <= event.number < PART_SLOTS:
                continue
            event_id = part_id(
                clock.integration_id * PART_SLOTS + event.number,
                PartKind.TIMECLOCK_EVENT,
            )
            definition: dict[str, Any] = {
                "href": f"/timeclockevent/{event_id}",
                "Parent": href("timeclock", timeclock_id),
                "Name": event.name,
                "ScheduleType": "DayOfWeek",
                **dict(zip(days, event.days, strict=True)),
                "BeginDate": {
                    "Day": begin["Day"],
                    "Month": begin["Month"],
                    "Year": begin["Year"],
                },
            }
            if event.event_type is TimeclockEventType.FIXED_TIME:
                hour, minute, second = event.time_of_day
                definition["TimeclockEventType"] = "FixedTime"
                definition["TimeOfDay"] = {
                    "Hour": hour,
                    "Minute": minute,
                    "Second": second,
                }
            else:
                definition["TimeclockEventType"] = "Astronomic"
                definition["AstronomicEventType"] = event.event_type.value
                definition["AstronomicTimeOffset"] = str(event.offset_minutes)
            self.timeclock_events[event_id] = definition

    # Reads.

    def read(self, url: str) -> tuple[BodyType, Any] | None:
        """Answer `ReadRequest url` with the body's shape and content, or None for `204 NoContent`.

        Statuses are not definitions: `handlers.py` builds them from the live state. `LeapError` 404 for a URL that
        names nothing, 405 for a resource that cannot be read, 400 where a real QSX answers so (LP36, LP41).
        """
        path, _, query = url.partition("?")
        parts = path.split("/")[1:]
        if query:
            if parts == ["device"]:
                return self._read_devices(url, query)
            raise not_found(url)
        if len(parts) == 2 and parts[0] in self._objects and object_id(parts[1]):
            body_type, objects = self._objects[parts[0]]
            found = self._get(objects, parts[1], url)
            return body_type, _unexpanded(found) if parts[0] == "buttongroup" else found
        match parts:
            case ["project"]:
                return BodyType.ONE_PROJECT, self.project
            case ["project", "timeclockeventrules"] if self.timeclocks:
                return None
            case ["device"]:
                return None  # LP12: `/device` alone answers 204 on a real QSX
            case ["device", number, "buttongroup"]:
                group = self._device_button_group(number, url)
                return (
                    (BodyType.MULTIPLE_BUTTON_GROUPS, [_unexpanded(group)])
                    if group
                    else None
                )
            case ["device", number, "buttongroup", "expanded"]:
                group = self._device_button_group(number, url)
                return (
                    (BodyType.MULTIPLE_BUTTON_GROUPS_EXPANDED, [group])
                    if group
                    else None
                )
            case ["device", number, "led", "status"]:
                self._get(self.devices, number, url)
                raise _not_supported()  # LP41 (seen)
            case ["link", number, "associatedlinknode", "expanded"]:
                self._get(self.links, number, url)
                return BodyType.MULTIPLE_LINK_NODES_EXPANDED, self.link_nodes[
                    int(number)
                ]
            case ["area", number, "associatedzone"]:
                zones = [
                    self.zones[zone_id]
                    for zone_id in self.area_zones[self.area_id(number, url)]
                ]
                return (BodyType.MULTIPLE_ZONES, zones) if zones else None
            case ["area", number, "associatedcontrolstation"]:
                stations = [
                    self.control_stations[station_id]
                    for station_id in self.area_stations[self.area_id(number, url)]
                ]
                return (
                    (BodyType.MULTIPLE_CONTROL_STATIONS, stations) if stations else None
                )
            case ["zone"] | ["controlstation"]:
                raise not_allowed()  # LP7, LP58: as on a real QSX
            case ["buttongroup"] | ["occupancygroup"]:
                return None  # LP36 (seen), LP44 (ours, as the HWQS probe answers)
            case ["buttongroup", "expanded"]:
                raise _not_supported()  # LP36 (seen)
            case ["area"] | ["timeclock"] | ["timeclockevent"]:
                body_type, objects = self._collections[parts[0]]
                return body_type, list(objects.values())
        raise not_found(url)

    def _device_button_group(self, number: str, url: str) -> dict[str, Any] | None:
        """Return the button group of device `number`: None for a device without buttons (LP36: `204`)."""
        self._get(self.devices, number, url)
        group_id = self.device_button_groups.get(int(number))
        return None if group_id is None else self.button_groups[group_id]

    def _read_devices(self, url: str, query: str) -> tuple[BodyType, Any] | None:
        if query == "where=IsThisDevice:true":
            return BodyType.MULTIPLE_DEVICES, [self.devices[self.processor_id]]
        if query == "where=IsThisDevice:false":
            return BodyType.MULTIPLE_DEVICES, [
                self.devices[device_id] for device_id in self.module_devices
            ]
        raise not_found(url)

    @staticmethod
    def _get[T](objects: Mapping[int, T], number: str, url: str) -> T:
        found = objects.get(object_id(number) or 0)
        if found is None:
            raise not_found(url)
        return found

    def zone_target(self, number: str, url: str) -> ZoneTarget:
        """Return the zone `/zone/<number>/…` names; `LeapError` 404 when it names none."""
        return self._get(self.targets, number, url)

    def button_target(self, number: str, url: str) -> ButtonTarget:
        """Return the button `/button/<number>/…` names; `LeapError` 404 when it names none."""
        return self._get(self.button_targets, number, url)

    def led_target(self, number: str, url: str) -> LedTarget:
        """Return the LED `/led/<number>/…` names; `LeapError` 404 when it names none."""
        return self._get(self.led_targets, number, url)

    def timeclock_target(self, number: str, url: str) -> TimeclockTarget:
        """Return the timeclock `/timeclock/<number>/…` names; `LeapError` 404 when it names none."""
        return self._get(self.timeclock_targets, number, url)

    def device_id(self, number: str, url: str) -> int:
        """Return the device `/device/<number>/…` names; `LeapError` 404 when it names none."""
        self._get(self.devices, number, url)
        return int(number)

    def area_id(self, number: str, url: str) -> int:
        """Return the area `/area/<number>/…` names; `LeapError` 404 when it names none."""
        self._get(self.areas, number, url)
        return int(number)

    def zone_status_json(
        self,
        target: ZoneTarget,
        state: DeviceState,
        use: StatusUse = StatusUse.READ,
        *,
        cut_off: bool = False,
    ) -> str:
        """`zone_status` as JSON text (`encode_json`); a switched zone's and a CCO's encoded once per value."""
        if target.has_level:
            return encode_json(zone_status(target, state, use, cut_off=cut_off))
        key = (target.zone_id, zone_value(target, state), not cut_off)
        text = self._status_json.get(key)
        if text is None:
            text = self._status_json[key] = encode_json(
                _zone_status(target, key[1], key[2])
            )
        return text

    def area_status(
        self,
        area_id: int,
        state: Callable[[str], DeviceState],
        occupancy: Callable[[str], bool | None],
    ) -> dict[str, Any]:
        """Return the status of one area (LP18, LP43).

        (ours) `Level`: the highest level of its lighting zones (a switched zone on is 100), for an area with
        lighting. `OccupancyStatus` (LP44): `Occupied`/`Unoccupied` where a sensor is, else `Unknown`.
        """
        status: dict[str, Any] = {"href": f"/area/{area_id}/status"}
        lights = self._area_lights[area_id]
        if lights:
            status["Level"] = max(_light_level(t, state(t.serial)) for t in lights)
        occupied = (
            occupancy(self.area_names[area_id])
            if area_id in self.sensed_areas
            else None
        )
        status["OccupancyStatus"] = (
            "Unknown" if occupied is None else "Occupied" if occupied else "Unoccupied"
        )
        status["CurrentScene"] = None
        return status

    def device_status(
        self, device_id: int, state: DeviceState | None, *, online: bool = True
    ) -> dict[str, Any]:
        """LP49: a device's availability; `state` None for a processor (only `Availability`: `online`, LP53)."""
        status: dict[str, Any] = {
            "href": f"/device/{device_id}/status",
            "Device": href("device", device_id),
        }
        if state is None:
            status["Availability"] = "Available" if online else "Unavailable"
            return status
        status["Availability"] = "Available" if reachable(state) else "Unavailable"
        status["ConfigurationTransferStatus"] = "NotRequired"
        status["StatusAccuracy"] = "Good"
        return status


def _light_level(target: ZoneTarget, state: DeviceState) -> int:
    assert target.number is not None
    if target.has_level:
        return round(state.zones[target.number - 1].level)
    return ON_LEVEL if zone_value(target, state) else 0


def _unexpanded(group: dict[str, Any]) -> dict[str, Any]:
    """Return a button group as `/buttongroup/<id>` shows it: its buttons by href only."""
    return group | {
        "Buttons": [{"href": button["href"]} for button in group["Buttons"]]
    }


def _not_supported() -> LeapError:
    """LP36, LP41 (seen): the `400` a real QSX gives for some collection URLs."""
    return LeapError(Status.BAD_REQUEST, "This request is not supported")
