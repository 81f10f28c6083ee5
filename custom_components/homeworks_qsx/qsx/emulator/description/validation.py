"""Whole-system checks of a description, shared by parsing and by the emulator's structural changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
import math
from typing import Final

from ...const import (
    DIMMABLE_LOAD_TYPES,
    DIMMER_ZONE_RATING_A,
    DIMMING_MODULE_MODEL,
    DIMMING_MODULE_RATING_A,
    HOMEOWNER_KEYPAD_MODEL,
    MAX_ADDRESS,
    MAX_CCI_GROUP_SIZE,
    MIN_ADDRESS,
    MODULE_RATING_A,
    PULSE_RANGE,
    QS_LINK_MAX_LENGTH_FT,
    QS_LINK_MAX_LENGTH_M,
    ZONE_RATING_A,
    ZONES_PER_MODULE,
    KeypadType,
    LinkType,
    OccupancySensorType,
    ProgrammingModel,
    is_pulse_seconds,
    link_limits,
)
from ...errors import DescriptionError, LimitError
from ...model import (
    LEVEL_CONTROL_TYPES,
    SHADE_CONTROL_TYPES,
    ControlType,
    DeviceDescription,
    DeviceKind,
    InputType,
    LinkDescription,
    SystemDescription,
    ZoneDescription,
)
from .processors import processor_label
from .schema import (
    AMPS_EPSILON,
    HOMEOWNER_BUTTONS,
    LINK_TYPE_NAMES,
    MAX_BUTTON_NUMBER,
    MAX_LEVEL,
    MAX_OFFSET_MINUTES,
    MIN_LEVEL,
    SERIAL_RE,
)

# The description's list of each kind: canonical paths (`keypads[2]`) of a description built in code.
KIND_LISTS: Final = {
    DeviceKind.SWITCHING_MODULE: "modules",
    DeviceKind.DIMMING_MODULE: "dimming_modules",
    DeviceKind.SHADE: "shades",
    DeviceKind.KEYPAD: "keypads",
    DeviceKind.OCCUPANCY_SENSOR: "occupancy_sensors",
    DeviceKind.TIMECLOCK: "timeclocks",
}
# What each kind is called in errors.
KIND_NAMES: Final = {
    DeviceKind.SWITCHING_MODULE: "a switching module",
    DeviceKind.DIMMING_MODULE: "a dimming module",
    DeviceKind.SHADE: "a shade",
    DeviceKind.KEYPAD: "a keypad",
    DeviceKind.OCCUPANCY_SENSOR: "an occupancy sensor",
    DeviceKind.TIMECLOCK: "a timeclock",
}
# What the outputs of each programming model may be (LP36, LP42): raise/lower drive levels, a shade button shades.
_PROGRAMMABLE: Final = {
    ProgrammingModel.RAISE: (LEVEL_CONTROL_TYPES, "dimmed or shade zones"),
    ProgrammingModel.LOWER: (LEVEL_CONTROL_TYPES, "dimmed or shade zones"),
    ProgrammingModel.OPEN_STOP_CLOSE_STOP: (SHADE_CONTROL_TYPES, "shade zones"),
}


def keypad_type(device: DeviceDescription) -> KeypadType | None:
    """Return a keypad's type: its `device_type`, or HOMEOWNER for the model "Homeowner Keypad" (LP35)."""
    if device.kind is not DeviceKind.KEYPAD:
        return None
    if device.model_number == HOMEOWNER_KEYPAD_MODEL:
        return KeypadType.HOMEOWNER
    try:
        return KeypadType(device.device_type or "")
    except ValueError:
        return None


def full_load(module: DeviceDescription) -> float:
    """Return the current the module's zones draw when all are on (M3, M4)."""
    return sum(zone.amps for zone in module.zones)


def validate_description(description: SystemDescription) -> None:
    """Check a (possibly hand-built) description against every rule a description must follow.

    Checks serials, link numbers (P1) and types (P2), addresses, integration ids (one namespace, L3), zones (M1),
    loads (M3), feed-through groups (M4), CCI groups (C7), link capacities of every device on a link (P3), pulse
    times, cable lengths (L1), keypad buttons and their LEDs (LP35, LP36), button and timeclock targets.

    Raises:
        DescriptionError: with the canonical path (``modules[i]...``, ``keypads[i]...``) of the offending value;
            its subclass `LimitError` for the limits P3, C7, M3 and M4.

    """
    check_description(description, None)


def check_description(
    description: SystemDescription, paths: Sequence[str] | None
) -> None:
    """Check `description` against every rule; `paths[i]` names `description.devices[i]` in errors (else canonical)."""
    checker = _Checker(description, paths)
    checker.check_processor()
    checker.check_links()
    for index, device in enumerate(description.devices):
        checker.check_device(index, device)
    checker.check_capacities()
    checker.check_loads()
    checker.check_targets()


def _check_serial(path: str, serial: str) -> None:
    if not isinstance(serial, str) or not SERIAL_RE.match(serial):
        raise DescriptionError(
            path, f"{serial!r} is not 8 upper-case hexadecimal digits"
        )


def _link_name(link_type: LinkType) -> str:
    if link_type is LinkType.CLEAR_CONNECT_A:
        return f"{LINK_TYPE_NAMES[link_type]} (RF)"
    return LINK_TYPE_NAMES[link_type]


def _canonical_paths(devices: Sequence[DeviceDescription]) -> list[str]:
    counts: dict[DeviceKind, int] = {}
    paths: list[str] = []
    for device in devices:
        index = counts.get(device.kind, 0)
        counts[device.kind] = index + 1
        paths.append(f"{KIND_LISTS.get(device.kind, device.kind.value)}[{index}]")
    return paths


class _Checker:
    """Whole-system rules, one group per method; collects what the later checks need."""

    def __init__(
        self, description: SystemDescription, paths: Sequence[str] | None
    ) -> None:
        self.description = description
        self.paths = (
            list(paths)
            if paths is not None and len(paths) == len(description.devices)
            else _canonical_paths(description.devices)
        )
        processors = description.processors
        # Paths as `description_to_dict` writes them: one processor under `processor:`, several under `processors:`.
        self.processor_paths = (
            ["processor"]
            if len(processors) == 1
            else [f"processors[{index}]" for index in range(len(processors))]
        )
        self.processor_index = {
            processor.serial: index for index, processor in enumerate(processors)
        }
        # Links are per processor (P1): keyed (processor index, link number).
        self.links: dict[tuple[int, int], LinkDescription] = {}
        self.serials: dict[str, str] = {}
        self.ids: dict[int, str] = {}
        self.timeclock_ids: dict[int, str] = {}
        self.addresses: dict[tuple[int, int, int], str] = {}
        self.per_link: dict[tuple[int, int], list[int]] = {}
        self.groups: dict[str, list[int]] = {}
        self.feeds: dict[str, list[int]] = {}
        self.index = 0  # the device being checked
        self.kind_checks: dict[DeviceKind, Callable[[str, DeviceDescription], None]] = {
            DeviceKind.SWITCHING_MODULE: self._check_switching_module,
            DeviceKind.DIMMING_MODULE: self._check_dimming_module,
            DeviceKind.SHADE: self._check_shade,
            DeviceKind.KEYPAD: self._check_keypad,
            DeviceKind.OCCUPANCY_SENSOR: self._check_occupancy_sensor,
            DeviceKind.TIMECLOCK: self._check_timeclock,
        }

    def check_processor(self) -> None:
        """Every processor: a valid serial and a positive id, both unique in the project (L3)."""
        for path, processor in zip(
            self.processor_paths, self.description.processors, strict=True
        ):
            _check_serial(f"{path}.serial", processor.serial)
            if processor.serial in self.serials:
                raise DescriptionError(
                    f"{path}.serial",
                    f"serial {processor.serial} is already used by {self.serials[processor.serial]}",
                )
            self.serials[processor.serial] = f"{path}.serial"
            if processor.integration_id < 1:
                raise DescriptionError(
                    f"{path}.integration_id", "integration ids are positive"
                )
            if processor.integration_id in self.ids:
                raise DescriptionError(
                    f"{path}.integration_id",
                    f"integration id {processor.integration_id} is already used by "
                    f"{self.ids[processor.integration_id]}",
                )
            self.ids[processor.integration_id] = f"{path}.integration_id"

    def _processor_of(self, path: str, serial: str | None) -> int:
        """Return the index of the processor a link or device names; unknown: an error at `<path>.processor`."""
        if serial is None:
            return 0
        index = self.processor_index.get(serial.upper())
        if index is None:
            raise DescriptionError(
                f"{path}.processor",
                f"no processor of the project has the serial {serial!r}",
            )
        return index

    def check_links(self) -> None:
        processors = self.description.processors
        for index, link in enumerate(self.description.links):
            path = f"links[{index}]"
            processor = self._processor_of(path, link.processor)
            model = processors[processor].model
            where = processor_label(processors, processor)
            if not 1 <= link.number <= model.link_count:
                raise DescriptionError(
                    f"{path}.number",
                    f"link {link.number} does not exist: {where} has "
                    f"{model.link_count} link(s) (P1)",
                )
            if (processor, link.number) in self.links:
                raise DescriptionError(
                    f"{path}.number",
                    f"link {link.number} of {where} is described twice"
                    if len(processors) > 1
                    else f"link {link.number} is described twice",
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
            self.links[(processor, link.number)] = link

    # ----------------------------------------------------------------------------------------------------------
    # One device

    def check_device(self, index: int, device: DeviceDescription) -> None:
        path = self.paths[index]
        check = self.kind_checks.get(device.kind)
        if check is None:
            raise DescriptionError(
                path,
                f"{device.kind.value} is what a live processor reports; a description has none",
            )
        self.index = index
        self._check_identity(path, device)
        self._check_place(
            index, path, device, self._processor_of(path, device.processor)
        )
        check(path, device)
        self._check_ids(path, device)

    def _check_identity(self, path: str, device: DeviceDescription) -> None:
        if device.serial_number is not None:
            _check_serial(f"{path}.serial", device.serial)
        elif not device.serial:
            raise DescriptionError(f"{path}.serial", "a device needs a stable id")
        if device.serial in self.serials:
            raise DescriptionError(
                f"{path}.serial",
                f"serial {device.serial} is already used by {self.serials[device.serial]}",
            )
        self.serials[device.serial] = path

    def _check_place(
        self, index: int, path: str, device: DeviceDescription, processor: int
    ) -> None:
        kind = device.kind
        virtual = (
            kind is DeviceKind.TIMECLOCK or keypad_type(device) is KeypadType.HOMEOWNER
        )
        if virtual or (kind is DeviceKind.OCCUPANCY_SENSOR and not device.link):
            if device.link or device.address:
                what = (
                    "a timeclock"
                    if kind is DeviceKind.TIMECLOCK
                    else "the Homeowner keypad (LP35)"
                    if virtual
                    else "an occupancy sensor without a link"
                )
                raise DescriptionError(
                    f"{path}.link" if device.link else f"{path}.address",
                    f"{what} takes no link address",
                )
            return
        link = self.links.get((processor, device.link))
        if link is None:
            raise DescriptionError(
                f"{path}.link",
                f"link {device.link} does not exist on "
                f"{processor_label(self.description.processors, processor)} (P1)",
            )
        wanted = (
            LinkType.CLEAR_CONNECT_A
            if kind is DeviceKind.OCCUPANCY_SENSOR
            else LinkType.QS
        )
        if link.link_type is not wanted:
            raise DescriptionError(
                f"{path}.link",
                f"link {device.link} is a {_link_name(link.link_type)} link; {KIND_NAMES[kind]} is a "
                f"{'Clear Connect Type A (RF)' if wanted is LinkType.CLEAR_CONNECT_A else 'QS wired'} "
                "device (P2)",
            )
        if not MIN_ADDRESS <= device.address <= MAX_ADDRESS:
            raise DescriptionError(
                f"{path}.address", f"addresses are {MIN_ADDRESS}..{MAX_ADDRESS}"
            )
        key = (processor, device.link, device.address)
        if key in self.addresses:
            raise DescriptionError(
                f"{path}.address",
                f"address {device.address} on link {device.link} is already used by {self.addresses[key]}",
            )
        self.addresses[key] = path
        self.per_link.setdefault((processor, device.link), []).append(index)

    def _check_switching_module(self, path: str, module: DeviceDescription) -> None:
        if [zone.number for zone in module.zones] != list(
            range(1, ZONES_PER_MODULE + 1)
        ):
            raise DescriptionError(
                f"{path}.zones",
                f"a module has {ZONES_PER_MODULE} zones numbered 1..4 (M1)",
            )
        if not is_pulse_seconds(module.cco.pulse_seconds):
            raise DescriptionError(f"{path}.cco.pulse_seconds", PULSE_RANGE)
        for zone in module.zones:
            if zone.amps < 0:
                raise DescriptionError(
                    f"{path}.zones[{zone.number - 1}].amps", "a load cannot be negative"
                )
        index = self.index
        if module.cci_group is not None:
            self.groups.setdefault(module.cci_group, []).append(index)
        if module.feed is not None:
            self.feeds.setdefault(module.feed, []).append(index)

    def _check_dimming_module(self, path: str, module: DeviceDescription) -> None:
        zones = [
            output for output in module.outputs if isinstance(output, ZoneDescription)
        ]
        if len(zones) != len(module.outputs) or [zone.number for zone in zones] != list(
            range(1, ZONES_PER_MODULE + 1)
        ):
            raise DescriptionError(
                f"{path}.zones",
                f"a dimming module has {ZONES_PER_MODULE} zones numbered 1..4",
            )
        for zone in zones:
            zone_path = f"{path}.zones[{zone.number - 1}]"
            if zone.control_type is not ControlType.DIMMED:
                raise DescriptionError(zone_path, "a dimming module's zones are dimmed")
            if zone.load_type not in DIMMABLE_LOAD_TYPES:
                allowed = ", ".join(sorted(item.value for item in DIMMABLE_LOAD_TYPES))
                raise DescriptionError(
                    f"{zone_path}.load_type",
                    f"an {DIMMING_MODULE_MODEL} dims {allowed} loads, not {zone.load_type.value}",
                )
            if zone.amps < 0:
                raise DescriptionError(f"{zone_path}.amps", "a load cannot be negative")

    def _check_shade(self, path: str, device: DeviceDescription) -> None:
        outputs = device.outputs
        if (
            len(outputs) != 1
            or not isinstance(outputs[0], ZoneDescription)
            or outputs[0].number != 1
            or outputs[0].control_type not in SHADE_CONTROL_TYPES
        ):
            raise DescriptionError(
                f"{path}.zone", "a shade has one shade zone, numbered 1 (LP30)"
            )

    def _check_keypad(self, path: str, device: DeviceDescription) -> None:
        if device.device_type not in set(KeypadType):
            raise DescriptionError(
                f"{path}.type",
                f"{device.device_type!r} is not a keypad type: "
                + ", ".join(item.value for item in KeypadType),
            )
        homeowner = keypad_type(device) is KeypadType.HOMEOWNER
        if homeowner and device.has_serial_number:
            raise DescriptionError(
                f"{path}.serial",
                "the Homeowner keypad is the processor's virtual keypad: it has no serial (LP35)",
            )
        limit = HOMEOWNER_BUTTONS if homeowner else MAX_BUTTON_NUMBER
        previous = 0
        for position, button in enumerate(device.inputs):
            button_path = f"{path}.buttons[{position}]"
            if button.input_type is not InputType.BUTTON:
                raise DescriptionError(button_path, "a keypad's inputs are buttons")
            if not previous < button.number <= limit:
                raise DescriptionError(
                    f"{button_path}.number",
                    f"buttons are at positions 1..{limit}, listed in position order (LP36)",
                )
            previous = button.number
        numbers = [item.number for item in device.inputs]
        leds = [item.number for item in device.indicators]
        if len(set(leds)) != len(leds) or not set(leds) <= set(numbers):
            raise DescriptionError(
                f"{path}.buttons",
                "an LED is numbered as its button, one LED a button at most (LP36)",
            )
        if device.outputs:
            raise DescriptionError(path, "a keypad has no outputs")

    def _check_occupancy_sensor(self, path: str, device: DeviceDescription) -> None:
        if device.device_type not in set(OccupancySensorType):
            raise DescriptionError(
                f"{path}.type",
                f"{device.device_type!r} is not an occupancy sensor type: "
                + ", ".join(item.value for item in OccupancySensorType),
            )
        if not device.area:
            raise DescriptionError(
                f"{path}.area",
                "an occupancy sensor reports its area's occupancy (LP44)",
            )

    def _check_timeclock(self, path: str, device: DeviceDescription) -> None:
        numbers: set[int] = set()
        for position, event in enumerate(device.schedule):
            event_path = f"{path}.events[{position}]"
            if event.number < 1 or event.number in numbers:
                raise DescriptionError(
                    f"{event_path}.number",
                    f"event {event.number} is described twice"
                    if event.number in numbers
                    else "event numbers start at 1",
                )
            numbers.add(event.number)
            hour, minute, second = event.time_of_day
            if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
                raise DescriptionError(
                    f"{event_path}.time", f"{event.time_of_day} is not a time of day"
                )
            if abs(event.offset_minutes) > MAX_OFFSET_MINUTES:
                raise DescriptionError(
                    f"{event_path}.offset_minutes",
                    f"an offset is -{MAX_OFFSET_MINUTES}..{MAX_OFFSET_MINUTES} minutes",
                )
            if len(event.days) != 7 or not any(event.days):
                raise DescriptionError(
                    f"{event_path}.days", "an event runs on at least one day"
                )

    def _check_ids(self, path: str, device: DeviceDescription) -> None:
        named = [(f"{path}.integration_id", device.integration_id)]
        for output in device.outputs:
            if output is device.own_cco:
                named.append((f"{path}.cco.integration_id", output.integration_id))
            elif device.kind is DeviceKind.SHADE:
                named.append((f"{path}.zone.integration_id", output.integration_id))
            else:
                named.append(
                    (
                        f"{path}.zones[{output.number - 1}].integration_id",
                        output.integration_id,
                    )
                )
        buttons = {item.number: position for position, item in enumerate(device.inputs)}
        for position, item in enumerate(device.inputs):
            if item.input_type is InputType.BUTTON:
                named.append(
                    (f"{path}.buttons[{position}].integration_id", item.integration_id)
                )
        for indicator in device.indicators:
            position = buttons.get(indicator.number, indicator.number - 1)
            named.append(
                (
                    f"{path}.buttons[{position}].led_integration_id",
                    indicator.integration_id,
                )
            )
        named.extend(
            (f"{path}.events[{position}].integration_id", event.integration_id)
            for position, event in enumerate(device.schedule)
        )
        # Timeclocks and their events have ids of their own (LP45: `/timeclock/<id>`, `/timeclockevent/<id>`).
        space = self.timeclock_ids if device.kind is DeviceKind.TIMECLOCK else self.ids
        for id_path, integration_id in named:
            if integration_id < 1:
                raise DescriptionError(id_path, "integration ids are positive")
            if integration_id in space:
                raise DescriptionError(
                    id_path,
                    f"integration id {integration_id} is already used by {space[integration_id]}",
                )
            space[integration_id] = id_path

    # ----------------------------------------------------------------------------------------------------------
    # The whole system

    def check_capacities(self) -> None:
        devices = self.description.devices
        processors = self.description.processors
        # P3 counts per link of each processor, with that processor's model.
        for (processor, number), members in self.per_link.items():
            link_type = self.links[(processor, number)].link_type
            model = processors[processor].model
            max_devices, max_zones = link_limits(model, link_type)
            kind = f"a {LINK_TYPE_NAMES[link_type]} link of a {model.value} processor"
            if len(processors) > 1:
                kind += f" ({processors[processor].name})"
            if len(members) > max_devices:
                raise LimitError(
                    self.paths[members[max_devices]],
                    f"link {number} would hold {len(members)} devices; {kind} holds at most {max_devices} (P3)",
                )
            zones = 0
            over: int | None = None
            for index in members:
                zones += len(devices[index].zones)
                if over is None and zones > max_zones:
                    over = index
            if over is not None:
                rule = (
                    "P3, M2"
                    if devices[over].kind is DeviceKind.SWITCHING_MODULE
                    else "P3"
                )
                raise LimitError(
                    self.paths[over],
                    f"link {number} would hold {zones} zones; {kind} holds at most {max_zones} ({rule})",
                )
        for group, members in self.groups.items():
            if len(members) > MAX_CCI_GROUP_SIZE:
                raise LimitError(
                    f"{self.paths[members[MAX_CCI_GROUP_SIZE]]}.cci_group",
                    f"CCI group {group!r} would hold {len(members)} modules; at most {MAX_CCI_GROUP_SIZE} CCIs "
                    "may be wired in parallel (C7)",
                )

    def check_loads(self) -> None:
        devices = self.description.devices
        for index, device in enumerate(devices):
            if device.kind is DeviceKind.SWITCHING_MODULE:
                self._check_load(
                    index,
                    device=device,
                    zone_rating=ZONE_RATING_A,
                    module_rating=MODULE_RATING_A,
                    source=" (M3)",
                    what="module",
                )
            elif device.kind is DeviceKind.DIMMING_MODULE:
                self._check_load(
                    index,
                    device=device,
                    zone_rating=DIMMER_ZONE_RATING_A,
                    module_rating=DIMMING_MODULE_RATING_A,
                    source=f" of an {DIMMING_MODULE_MODEL}",
                    what="dimming module",
                )
        for feed, members in self.feeds.items():
            total = sum(full_load(devices[index]) for index in members)
            if total > MODULE_RATING_A + AMPS_EPSILON:
                raise LimitError(
                    f"{self.paths[members[-1]]}.feed",
                    f"the modules fed through {feed!r} draw {total:.2f} A when all zones are on, above the "
                    f"{MODULE_RATING_A:g} A a feed-through may carry (M4)",
                )

    def _check_load(
        self,
        index: int,
        *,
        device: DeviceDescription,
        zone_rating: float,
        module_rating: float,
        source: str,
        what: str,
    ) -> None:
        path = self.paths[index]
        for zone in device.zones:
            if zone.amps > zone_rating + AMPS_EPSILON:
                raise LimitError(
                    f"{path}.zones[{zone.number - 1}].amps",
                    f"{zone.amps:g} A is above the {zone_rating:g} A zone rating{source}",
                )
        total = full_load(device)
        if total > module_rating + AMPS_EPSILON:
            raise LimitError(
                f"{path}.zones",
                f"the zones draw {total:.2f} A when all are on, above the {module_rating:g} A {what} "
                f"rating{source}",
            )

    def check_targets(self) -> None:
        """Button programming and timeclock events name outputs that exist, at levels 0..100 (LP36, LP45)."""
        for index, device in enumerate(self.description.devices):
            path = self.paths[index]
            for position, button in enumerate(device.inputs):
                programming = button.programming
                if programming is None:
                    continue
                self._check_target_list(
                    f"{path}.buttons[{position}].programming",
                    programming.targets,
                    programming.model,
                )
            for position, event in enumerate(device.schedule):
                self._check_target_list(
                    f"{path}.events[{position}]", event.targets, None
                )

    def _check_target_list(
        self,
        path: str,
        targets: Sequence[tuple[int, float]],
        model: ProgrammingModel | None,
    ) -> None:
        if not targets:
            raise DescriptionError(
                f"{path}.targets",
                "a programmed button sets at least one output"
                if model is not None
                else "an event sets at least one output",
            )
        seen: set[int] = set()
        for position, (integration_id, level) in enumerate(targets):
            target_path = f"{path}.targets[{position}]"
            ref = self.description.output(integration_id)
            if ref is None:
                raise DescriptionError(
                    f"{target_path}.output",
                    f"no output has integration id {integration_id}",
                )
            if integration_id in seen:
                raise DescriptionError(
                    f"{target_path}.output", f"output {integration_id} is listed twice"
                )
            seen.add(integration_id)
            if not (math.isfinite(level) and MIN_LEVEL <= level <= MAX_LEVEL):
                raise DescriptionError(
                    f"{target_path}.level", f"levels are {MIN_LEVEL:g}..{MAX_LEVEL:g}"
                )
            if model in _PROGRAMMABLE:
                allowed, what = _PROGRAMMABLE[model]
                output = (
                    ref.device.output(ref.zone)
                    if ref.zone is not None
                    else ref.device.cco
                )
                if output.control_type not in allowed:
                    raise DescriptionError(
                        f"{target_path}.output",
                        f"{model.value} drives {what}; output {integration_id} ({output.name}) is "
                        f"{output.control_type.value}",
                    )
