"""Building the devices beside switching modules: dimming modules, shades, keypads, occupancy sensors, timeclocks.

Each is written in its own list of the description (`KIND_KEYS`) and becomes a `DeviceDescription` through the
model's constructors. Integration ids share one space with the modules' (L3): a device takes the next free blocks of
ten after the modules' blocks, in the order of `KIND_KEYS` and then as written; within its block a dimming module's
zone n is +n, a shade's zone +1, a keypad's button n +n and that button's LED +10+n (two blocks), a timeclock's
event k +k. Ids written in the description are kept, and the defaults step around them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, NamedTuple

from ...const import (
    DIMMER_ZONE_RATING_A,
    DIMMING_MODULE_MODEL,
    HOMEOWNER_KEYPAD_MODEL,
    SHADE_MODEL,
    ZONE_INTEGRATION_ID_STRIDE,
    ZONES_PER_MODULE,
    KeypadType,
    LoadType,
    OccupancySensorType,
    default_zone_name,
)
from ...errors import DescriptionError
from ...model import (
    ButtonProgramming,
    ControlType,
    DeviceDescription,
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    InputType,
    ProcessorDescription,
    TimeclockEventDescription,
    TimeclockEventType,
    ZoneDescription,
    dimming_module,
    keypad,
    occupancy_sensor,
    shade,
    timeclock,
)
from .defaults import default_device_name, default_module_serial, derived_serial
from .processors import processor_label, resolve_processor
from .schema import HOMEOWNER_BUTTONS, MAX_BUTTON_NUMBER, MAX_LEVEL, zone_amps

# The description's list of each kind, in the order devices are built and take their ids.
KIND_KEYS: Final = {
    DeviceKind.DIMMING_MODULE: "dimming_modules",
    DeviceKind.SHADE: "shades",
    DeviceKind.KEYPAD: "keypads",
    DeviceKind.OCCUPANCY_SENSOR: "occupancy_sensors",
    DeviceKind.TIMECLOCK: "timeclocks",
}
LED_ID_OFFSET: Final = 10  # a keypad's LED n: its device id + 10 + n (button n: + n)

# (ours) Default models, and the button positions of the keypad models we know (LP35, LP36).
SEETOUCH_MODEL: Final = "QSWS2-7B"
PALLADIOM_MODEL: Final = "HQWT-U-P4W"
DEFAULT_KEYPAD_MODELS: Final = {
    KeypadType.SEETOUCH: SEETOUCH_MODEL,
    KeypadType.PALLADIOM: PALLADIOM_MODEL,
    KeypadType.HOMEOWNER: HOMEOWNER_KEYPAD_MODEL,
}
KEYPAD_BUTTONS: Final = {
    SEETOUCH_MODEL: (1, 2, 3, 4, 5, 6, 7),
    PALLADIOM_MODEL: (1, 2, 3, 4),
    "HQWT-U-P2W": (1, 4),
    HOMEOWNER_KEYPAD_MODEL: tuple(range(1, HOMEOWNER_BUTTONS + 1)),
}
DEFAULT_SENSOR_TYPE: Final = OccupancySensorType.CEILING
DEFAULT_SENSOR_MODELS: Final = {
    OccupancySensorType.OCCUPANCY: "LRF2-OCR2B-P-WH",
    OccupancySensorType.CEILING: "LRF2-OCR2B-P-WH",
    OccupancySensorType.WALL: "LRF2-OWLB-P-WH",
}
# Kinds that sit on a link unless told otherwise (an occupancy sensor only when its link is given).
_LINKED_KINDS: Final = frozenset(
    {DeviceKind.DIMMING_MODULE, DeviceKind.SHADE, DeviceKind.KEYPAD}
)


class Child(NamedTuple):
    """Something of a device with an integration id: its key, its default offset, and its id as written."""

    key: str  # e.g. "zone 2", "button 4", "LED 4", "event 1"
    offset: int
    explicit: int | None
    path: str  # where its id is written


@dataclass(slots=True)
class DeviceEntry:
    """A device (not a switching module) as written by the user, on its way to a `DeviceDescription`."""

    kind: DeviceKind
    path: str
    raw: dict[str, Any]
    index: int = 0  # its place in the description's list of its kind
    processor: int = 0  # its processor's place in the project (0: the first)
    processor_serial: str = ""  # and that processor's serial
    link: int = 0  # 0: the device takes no link address
    address: int = 0
    serial: str = ""
    integration_id: int = 0
    parts: list[tuple[str, int, dict[str, Any]]] = field(
        default_factory=list
    )  # (path, number, raw) of its zones, buttons or events
    children: list[Child] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def is_virtual(self) -> bool:
        """Whether the device has no hardware serial: the Homeowner keypad, a timeclock."""
        return (
            self.kind is DeviceKind.TIMECLOCK
            or self.keypad_type is KeypadType.HOMEOWNER
        )

    @property
    def keypad_type(self) -> KeypadType | None:
        """A keypad's type (SeeTouch by default); None for other kinds."""
        if self.kind is not DeviceKind.KEYPAD:
            return None
        keypad_type: KeypadType = self.raw.get("type", KeypadType.SEETOUCH)
        return keypad_type

    @property
    def model(self) -> str:
        """The model number written, or the kind's default."""
        if "model" in self.raw:
            model: str = self.raw["model"]
            return model
        if self.kind is DeviceKind.DIMMING_MODULE:
            return DIMMING_MODULE_MODEL
        if self.kind is DeviceKind.SHADE:
            return SHADE_MODEL
        if (keypad_type := self.keypad_type) is not None:
            return DEFAULT_KEYPAD_MODELS[keypad_type]
        return DEFAULT_SENSOR_MODELS[self.raw.get("type", DEFAULT_SENSOR_TYPE)]


def read_device_entries(raw: Mapping[str, Any]) -> list[DeviceEntry]:
    """Read every device but the switching modules from validated raw data, with their parts (not placed yet)."""
    entries: list[DeviceEntry] = []
    for kind, key in KIND_KEYS.items():
        for index, item in enumerate(raw.get(key, [])):
            entry = DeviceEntry(
                kind=kind, path=f"{key}[{index}]", raw=item, index=index
            )
            _read_parts(entry)
            entries.append(entry)
    return entries


def place_devices(
    entries: Sequence[DeviceEntry],
    processors: Sequence[ProcessorDescription],
    links: Collection[tuple[int, int]],
) -> None:
    """Give each entry its processor (named by serial or name, else the first) and link; `links`: (processor, number)."""
    for entry in entries:
        entry.processor = resolve_processor(
            processors, entry.path, entry.raw.get("processor")
        )
        entry.processor_serial = processors[entry.processor].serial
        _place(entry, links, processors)


def _place(
    entry: DeviceEntry,
    links: Collection[tuple[int, int]],
    processors: Sequence[ProcessorDescription],
) -> None:
    raw, path = entry.raw, entry.path
    if entry.is_virtual:
        if entry.kind is DeviceKind.KEYPAD:
            for key, what in (
                ("serial", "has no serial"),
                ("link", "takes no link address"),
                ("address", "takes no link address"),
            ):
                if key in raw:
                    raise DescriptionError(
                        f"{path}.{key}",
                        f"the Homeowner keypad is the processor's virtual keypad: it {what} (LP35)",
                    )
            if raw.get("model", HOMEOWNER_KEYPAD_MODEL) != HOMEOWNER_KEYPAD_MODEL:
                raise DescriptionError(
                    f"{path}.model",
                    f"the Homeowner keypad's model is {HOMEOWNER_KEYPAD_MODEL!r} (LP35)",
                )
        return
    if entry.kind is DeviceKind.KEYPAD and entry.model == HOMEOWNER_KEYPAD_MODEL:
        raise DescriptionError(
            f"{path}.model",
            f"{HOMEOWNER_KEYPAD_MODEL!r} is the processor's virtual keypad: give it type homeowner (LP35)",
        )
    if entry.kind in _LINKED_KINDS:
        entry.link = raw.get("link", 1)
    else:
        entry.link = raw.get("link", 0)
        if "address" in raw and not entry.link:
            raise DescriptionError(
                f"{path}.address",
                "an occupancy sensor has an address only on a link: give its Clear Connect Type A link",
            )
    if entry.link and (entry.processor, entry.link) not in links:
        raise DescriptionError(
            f"{path}.link" if "link" in raw else path,
            f"link {entry.link} does not exist on {processor_label(processors, entry.processor)} (P1)",
        )


def _read_parts(entry: DeviceEntry) -> None:
    if entry.kind is DeviceKind.DIMMING_MODULE:
        _read_zones(entry)
    elif entry.kind is DeviceKind.SHADE:
        zone = entry.raw.get("zone", {})
        entry.parts.append((f"{entry.path}.zone", 1, zone))
        entry.children.append(
            Child(
                "zone",
                1,
                zone.get("integration_id"),
                f"{entry.path}.zone.integration_id",
            )
        )
    elif entry.kind is DeviceKind.KEYPAD:
        _read_buttons(entry)
    elif entry.kind is DeviceKind.TIMECLOCK:
        _read_events(entry)


def _read_zones(entry: DeviceEntry) -> None:
    zones: dict[int, tuple[str, dict[str, Any]]] = {}
    for index, zone in enumerate(entry.raw.get("zones", [])):
        path = f"{entry.path}.zones[{index}]"
        number = zone.get("number", index + 1)
        if number in zones:
            raise DescriptionError(
                f"{path}.number", f"zone {number} is described twice"
            )
        if "amps" in zone and "watts" in zone:
            raise DescriptionError(path, "give the load in watts or in amps, not both")
        zones[number] = (path, zone)
    for number in range(1, ZONES_PER_MODULE + 1):
        path, zone = zones.get(number, (f"{entry.path}.zones[{number - 1}]", {}))
        entry.parts.append((path, number, zone))
        entry.children.append(
            Child(
                f"zone {number}",
                number,
                zone.get("integration_id"),
                f"{path}.integration_id",
            )
        )


def _read_buttons(entry: DeviceEntry) -> None:
    keypad_type = entry.keypad_type
    positions = KEYPAD_BUTTONS.get(
        entry.model,
        KEYPAD_BUTTONS[DEFAULT_KEYPAD_MODELS[keypad_type or KeypadType.SEETOUCH]],
    )
    written = entry.raw.get("buttons")
    buttons: list[dict[str, Any]] = (
        [{"number": number} for number in positions] if written is None else written
    )
    previous = 0
    for index, button in enumerate(buttons):
        path = f"{entry.path}.buttons[{index}]"
        default = positions[index] if index < len(positions) else previous + 1
        number: int = button.get("number", max(default, previous + 1))
        if number <= previous:
            raise DescriptionError(
                f"{path}.number",
                f"buttons are listed in position order: button {number} comes after button {previous}",
            )
        limit = (
            HOMEOWNER_BUTTONS
            if keypad_type is KeypadType.HOMEOWNER
            else MAX_BUTTON_NUMBER
        )
        if number > limit:
            what = (
                "the Homeowner keypad has buttons 1..7 (LP35)"
                if limit == HOMEOWNER_BUTTONS
                else (f"buttons are at positions 1..{MAX_BUTTON_NUMBER}")
            )
            raise DescriptionError(f"{path}.number", what)
        previous = number
        entry.parts.append((path, number, button))
        entry.children.append(
            Child(
                f"button {number}",
                number,
                button.get("integration_id"),
                f"{path}.integration_id",
            )
        )
        if button.get("led", True):
            entry.children.append(
                Child(
                    f"LED {number}",
                    LED_ID_OFFSET + number,
                    button.get("led_integration_id"),
                    f"{path}.led_integration_id",
                )
            )
        elif "led_integration_id" in button:
            raise DescriptionError(
                f"{path}.led_integration_id", "the button has no LED (led: false)"
            )


def _read_events(entry: DeviceEntry) -> None:
    numbers: set[int] = set()
    for index, event in enumerate(entry.raw.get("events", [])):
        path = f"{entry.path}.events[{index}]"
        number: int = event.get("number", index + 1)
        if number in numbers:
            raise DescriptionError(
                f"{path}.number", f"event {number} is described twice"
            )
        numbers.add(number)
        event_type = event.get("type", TimeclockEventType.FIXED_TIME)
        if event_type is TimeclockEventType.FIXED_TIME:
            if "time" not in event:
                raise DescriptionError(path, "a fixed-time event needs a time (HH:MM)")
            if "offset_minutes" in event:
                raise DescriptionError(
                    f"{path}.offset_minutes",
                    "only sunrise and sunset events take an offset",
                )
        elif "time" in event:
            raise DescriptionError(
                f"{path}.time",
                "a sunrise or sunset event runs at an offset from it (offset_minutes), not at a time",
            )
        entry.parts.append((path, number, event))
        entry.children.append(
            Child(
                f"event {number}",
                number,
                event.get("integration_id"),
                f"{path}.integration_id",
            )
        )


# --------------------------------------------------------------------------------------------------------------
# Integration ids and serials


def explicit_ids(entry: DeviceEntry) -> list[tuple[str, int]]:
    """Return the ids written in the entry: (where, id)."""
    ids: list[tuple[str, int]] = []
    if "integration_id" in entry.raw:
        ids.append((f"{entry.path}.integration_id", entry.raw["integration_id"]))
    ids.extend(
        (child.path, child.explicit)
        for child in entry.children
        if child.explicit is not None
    )
    return ids


def _needed(entry: DeviceEntry, base: int) -> list[tuple[str, int]]:
    needed = [] if "integration_id" in entry.raw else [("integration_id", base)]
    needed.extend(
        (child.key, base + child.offset)
        for child in entry.children
        if child.explicit is None
    )
    return needed


def allocate_device_ids(
    entries: Sequence[DeviceEntry], used: dict[int, str], first_block: int
) -> None:
    """Give every entry its default ids, from block `first_block` on; `used` holds every id taken (written ones too)."""
    block = first_block
    for entry in entries:
        if "integration_id" in entry.raw:
            base: int = entry.raw["integration_id"]
            needed = _needed(entry, base)
            for what, integration_id in needed:
                if integration_id in used:
                    raise DescriptionError(
                        entry.path,
                        f"the default integration id {integration_id} of {what} is already used by "
                        f"{used[integration_id]}; give it an integration_id",
                    )
        else:
            while True:
                base = block * ZONE_INTEGRATION_ID_STRIDE
                needed = _needed(entry, base)
                if all(integration_id not in used for _, integration_id in needed):
                    break
                block += 1
            span = max((child.offset for child in entry.children), default=0)
            block += span // ZONE_INTEGRATION_ID_STRIDE + 1
        for what, integration_id in needed:
            used[integration_id] = f"{entry.path} ({what})"
        entry.integration_id = base
        entry.ids = {
            child.key: base + child.offset if child.explicit is None else child.explicit
            for child in entry.children
        }


def register_serials(entries: Sequence[DeviceEntry], taken: dict[str, str]) -> None:
    """Take the serials written in the entries; a serial used twice is an error."""
    for entry in entries:
        if "serial" in entry.raw:
            serial: str = entry.raw["serial"]
            if serial in taken:
                raise DescriptionError(
                    f"{entry.path}.serial",
                    f"serial {serial} is already used by {taken[serial]}",
                )
            taken[serial] = entry.path
            entry.serial = serial


def assign_device_serials(
    entries: Sequence[DeviceEntry], taken: dict[str, str]
) -> None:
    """Give every entry without a serial its default (ids must be allocated: a virtual device's id names it).

    A device on a link: derived from its processor's serial, link and address, as a module's; a sensor without a
    link: from its processor, its area and its rank there; a virtual device: `<its processor's serial>-<kind>-<id>`.
    """
    in_area: dict[tuple[int, str], int] = {}
    for entry in entries:
        processor_serial = entry.processor_serial
        if entry.is_virtual:
            entry.serial = (
                f"{processor_serial}-{entry.kind.value}-{entry.integration_id}"
            )
            continue
        if entry.kind is DeviceKind.OCCUPANCY_SENSOR and not entry.link:
            area: str = entry.raw["area"]
            rank = in_area.get((entry.processor, area), 0) + 1
            in_area[(entry.processor, area)] = rank
            seed = f"{processor_serial}:occupancy:{area}:{rank}"
        else:
            seed = ""
        if entry.serial:
            continue
        if seed:
            serial = derived_serial(seed)
            attempt = 0
            while serial in taken or serial == processor_serial:
                attempt += 1
                serial = derived_serial(f"{seed}:{attempt}")
        else:
            serial = default_module_serial(
                processor_serial, entry.link, entry.address, set(taken)
            )
        taken[serial] = entry.path
        entry.serial = serial


# --------------------------------------------------------------------------------------------------------------
# Building


def _programming(raw: Mapping[str, Any] | None) -> ButtonProgramming | None:
    if raw is None:
        return None
    return ButtonProgramming(raw["model"], _targets(raw.get("targets", [])))


def _targets(raw: Sequence[Mapping[str, Any]]) -> tuple[tuple[int, float], ...]:
    return tuple(
        (target["output"], float(target.get("level", MAX_LEVEL))) for target in raw
    )


def build_device(entry: DeviceEntry) -> DeviceDescription:
    """Build the `DeviceDescription` of an entry whose ids and serial are given."""
    device = _build_device(entry)
    if entry.processor:  # the first processor's devices name none (None: the first)
        device = replace(device, processor=entry.processor_serial)
    return device


def _build_device(entry: DeviceEntry) -> DeviceDescription:
    raw = entry.raw
    name: str = raw.get("name") or default_device_name(
        entry.kind,
        link=entry.link,
        address=entry.address,
        area=raw.get("area", ""),
        index=entry.index,
        virtual=entry.is_virtual,
        processor=entry.processor + 1,
    )
    area: str = raw.get("area", name if entry.kind is not DeviceKind.TIMECLOCK else "")
    common: dict[str, Any] = {
        "serial": entry.serial,
        "integration_id": entry.integration_id,
        "name": name,
    }
    if entry.kind is DeviceKind.DIMMING_MODULE:
        return dimming_module(
            **common,
            area=area,
            zones=tuple(
                _dimmed_zone(entry, path, number, zone)
                for path, number, zone in entry.parts
            ),
            model_number=entry.model,
            link=entry.link,
            address=entry.address,
        )
    if entry.kind is DeviceKind.SHADE:
        zone = entry.parts[0][2]
        return shade(
            **common,
            area=area,
            zone=ZoneDescription(
                number=1,
                integration_id=entry.ids["zone"],
                name=zone.get("name", name),
                is_light=False,
                control_type=raw.get("type", ControlType.SHADE),
            ),
            model_number=entry.model,
            link=entry.link,
            address=entry.address,
        )
    if entry.kind is DeviceKind.KEYPAD:
        keypad_type = entry.keypad_type or KeypadType.SEETOUCH
        return keypad(
            **common,
            area=area,
            buttons=tuple(
                InputDescription(
                    number=number,
                    input_type=InputType.BUTTON,
                    name=button.get("name", f"Button {number}"),
                    integration_id=entry.ids[f"button {number}"],
                    engraving=button.get("engraving", ""),
                    programming=_programming(button.get("programming")),
                )
                for _, number, button in entry.parts
            ),
            leds=tuple(
                IndicatorDescription(
                    number, f"LED {number}", entry.ids[f"LED {number}"]
                )
                for _, number, button in entry.parts
                if button.get("led", True)
            ),
            model_number=entry.model,
            link=entry.link,
            address=entry.address,
            has_serial_number=keypad_type is not KeypadType.HOMEOWNER,
            device_type=keypad_type,
        )
    if entry.kind is DeviceKind.OCCUPANCY_SENSOR:
        return occupancy_sensor(
            **common,
            area=area,
            model_number=entry.model,
            device_type=raw.get("type", DEFAULT_SENSOR_TYPE),
            link=entry.link,
            address=entry.address,
        )
    return timeclock(
        **common,
        schedule=tuple(
            TimeclockEventDescription(
                number=number,
                name=event.get("name", f"Event {number}"),
                event_type=event.get("type", TimeclockEventType.FIXED_TIME),
                time_of_day=event.get("time", (0, 0, 0)),
                offset_minutes=event.get("offset_minutes", 0),
                days=event.get("days", (True,) * 7),
                integration_id=entry.ids[f"event {number}"],
                targets=_targets(event.get("targets", [])),
            )
            for _, number, event in entry.parts
        ),
    )


def _dimmed_zone(
    entry: DeviceEntry, path: str, number: int, zone: Mapping[str, Any]
) -> ZoneDescription:
    return ZoneDescription(
        number=number,
        integration_id=entry.ids[f"zone {number}"],
        name=zone.get("name", default_zone_name(number)),
        load_type=zone.get("load_type", LoadType.INCANDESCENT),
        amps=zone_amps(
            path,
            zone,
            DIMMER_ZONE_RATING_A,
            f"the {DIMMER_ZONE_RATING_A:g} A zone rating of an {DIMMING_MODULE_MODEL}",
        ),
        control_type=ControlType.DIMMED,
    )
