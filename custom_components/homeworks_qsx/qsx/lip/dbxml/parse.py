"""Parsing `DbXmlInfo.xml` back into a `SystemDescription`: ours exactly, a real processor's with defaults.

A document that declares a DOCTYPE or an entity is refused before it is parsed; what a real processor leaves out
falls back to defaults; a document that cannot be read is an `InvalidDatabaseError`. `parse_database` also
returns what LIP addresses beside the description: each area's occupancy group and the sensors in it (D6).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
import re
from typing import Final
from xml.parsers import expat

from ...const import (
    DEFAULT_CCO_NAME,
    DEFAULT_PULSE_SECONDS,
    MAINS_VOLTAGE,
    ZONES_PER_MODULE,
    CcoType,
    KeypadType,
    LinkType,
    LoadType,
    OccupancySensorType,
    OverrideLevel,
    ProcessorModel,
    ProgrammingModel,
    default_zone_name,
)
from ...errors import InvalidDatabaseError
from ...model import (
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
    ZoneDescription,
    dimming_module,
    keypad,
    occupancy_sensor,
    shade,
    switching_module,
)
from ..protocol import LED_COMPONENT_BASE, MAX_BUTTON_COMPONENT
from .names import (
    DEFAULT_KEYPAD_MODEL,
    DEFAULT_MODELS,
    DEVICE_KINDS_READ,
    DIMMED_OUTPUT_TYPES_READ,
    KEYPAD_TYPES_BY_DEVICE_TYPE,
    PROGRAMMING_BY_BUTTON_TYPE,
    SHADE_OUTPUT_TYPES_READ,
    SWITCHED_OUTPUT_TYPES,
    UNKNOWN_SERIAL,
    ZONE_OUTPUT_TYPE,
)

_DEFAULT_PROCESSOR: Final = ProcessorDescription(serial=UNKNOWN_SERIAL)
_FORBIDDEN = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class _Node(dict[str, str]):
    """An element the reader kept: its attributes, and its tag (the rest of the document is not stored)."""

    __slots__ = ("tag",)

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        super().__init__(attrib)
        self.tag = tag


class _DeviceNode(_Node):
    """A `<Device>` of a kind we read, with the components of its first `<Components>`."""

    __slots__ = ("components", "components_open")

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        super().__init__(tag, attrib)
        self.components: list[_ComponentNode] = []
        self.components_open = False


class _ComponentNode(_Node):
    """A `<Component>` of a device, with the attributes of its `<Button>` or `<LED>` (empty when it has none)."""

    __slots__ = ("detail",)

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        super().__init__(tag, attrib)
        self.detail: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Components:
    """The first `<Components>` of a device, while it is open."""

    device: _DeviceNode


@dataclass(slots=True, eq=False)
class _Area:
    """An `<Area>` below the project's `<Areas>`: its name, its outputs and the devices of its groups."""

    name: str | None
    integration_id: str | None = None
    outputs: list[_Node] = field(default_factory=list)
    devices: list[_DeviceNode] = field(default_factory=list)
    outputs_open: bool = (
        False  # its first <Outputs> was seen (`find` reads only that one)
    )
    groups_open: bool = False  # same for <DeviceGroups>


@dataclass(frozen=True, slots=True)
class _Groups:
    """The first `<DeviceGroups>` of an area, while it is open."""

    area: _Area


@dataclass(slots=True, eq=False)
class _ProcessorNode:
    """A `<Processor>` of the root (ours, D8) and the `<Link>`s of its first `<Links>`."""

    node: _Node
    links: list[_Node] = field(default_factory=list)
    links_open: bool = False


@dataclass(frozen=True, slots=True)
class _Links:
    """The first `<Links>` of a processor, while it is open."""

    processor: _ProcessorNode


@dataclass(slots=True)
class _Document:
    """What parsing keeps of a database, in document order."""

    project_name: str | None = None
    guid: str = ""
    processors: list[_ProcessorNode] = field(default_factory=list)
    areas: list[_Area] = field(default_factory=list)
    devices: list[_DeviceNode] = field(
        default_factory=list
    )  # of the kinds we read, anywhere


class _Reader:
    """Read a database in one pass with expat, keeping only the elements the description is built from.

    Project databases are large (every module brings some thirty elements, most of them button and LED
    components): no tree is built, and elements of no interest cost one call each way. Where an element is
    looked for mirrors ElementTree's `find` / `iter`: `Areas` is the root's first such child, an `Output` is a
    child of its area's first `Outputs`, and a `Device` belongs to every area whose first `DeviceGroups` holds
    it.
    """

    def __init__(self) -> None:
        self.document = _Document()
        # Per open element, what it is to us: an _Area, a marker string, or None (most elements).
        self._stack: list[object] = []
        self._areas_seen = False
        self._seen: set[str] = set()
        self._in_areas = False  # inside the root's first <Areas>
        self._owners: list[_Area] = []  # areas whose first <DeviceGroups> is open
        self._guid: list[str] | None = None  # text of <GUID> while it is read
        self._parser = expat.ParserCreate()
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._handlers: dict[str, Callable[[str, dict[str, str]], object]] = {
            "Output": self._output,
            "Device": self._device,
            "Area": self._area,
            "Outputs": self._outputs,
            "DeviceGroups": self._device_groups,
            "Areas": self._areas,
            "ProjectName": self._project_name,
            "GUID": self._guid_start,
            "Processor": self._processor,
            "Links": self._links,
            "Link": self._link,
            "Components": self._components,
            "Component": self._component,
            "Button": self._component_detail,
            "LED": self._component_detail,
        }

    def parse(self, data: bytes) -> _Document:
        self._parser.Parse(data, True)
        return self.document

    def _start(self, tag: str, attrib: dict[str, str]) -> None:
        if self._guid is not None:  # text after a child of <GUID> is not its text
            self._parser.CharacterDataHandler = None
        handler = self._handlers.get(tag)
        self._stack.append(None if handler is None else handler(tag, attrib))

    def _end(self, tag: str) -> None:
        mark = self._stack.pop()
        if mark is None:
            return
        if mark == "areas":
            self._in_areas = False
        elif mark == "guid" and self._guid is not None:
            self.document.guid = "".join(self._guid)
            self._guid = None
            self._parser.CharacterDataHandler = None
        elif isinstance(mark, _Groups):
            self._owners.remove(mark.area)

    def _parent(self) -> object:
        return self._stack[-1] if self._stack else None

    def _output(self, tag: str, attrib: dict[str, str]) -> object:
        if self._parent() == "outputs":
            area = self._stack[-2]
            assert isinstance(area, _Area)
            area.outputs.append(_Node(tag, attrib))
        return None

    def _device(self, tag: str, attrib: dict[str, str]) -> object:
        if attrib.get("DeviceType") not in DEVICE_KINDS_READ:
            return None
        node = _DeviceNode(tag, attrib)
        self.document.devices.append(node)
        for area in self._owners:
            area.devices.append(node)
        return node

    def _components(self, tag: str, attrib: dict[str, str]) -> object:
        device = self._parent()
        if isinstance(device, _DeviceNode) and not device.components_open:
            device.components_open = True
            return _Components(device)
        return None

    def _component(self, tag: str, attrib: dict[str, str]) -> object:
        components = self._parent()
        if not isinstance(components, _Components):
            return None
        node = _ComponentNode(tag, attrib)
        components.device.components.append(node)
        return node

    def _component_detail(self, tag: str, attrib: dict[str, str]) -> object:
        component = self._parent()
        if isinstance(component, _ComponentNode) and component.detail is None:
            component.detail = attrib
        return None

    def _area(self, tag: str, attrib: dict[str, str]) -> object:
        if not self._in_areas:
            return None
        area = _Area(attrib.get("Name"), attrib.get("IntegrationID"))
        self.document.areas.append(area)
        return area

    def _outputs(self, tag: str, attrib: dict[str, str]) -> object:
        area = self._parent()
        if isinstance(area, _Area) and not area.outputs_open:
            area.outputs_open = True
            return "outputs"
        return None

    def _device_groups(self, tag: str, attrib: dict[str, str]) -> object:
        area = self._parent()
        if isinstance(area, _Area) and not area.groups_open:
            area.groups_open = True
            self._owners.append(area)
            return _Groups(area)
        return None

    def _areas(self, tag: str, attrib: dict[str, str]) -> object:
        if len(self._stack) != 1 or self._areas_seen:
            return None
        self._areas_seen = self._in_areas = True
        return "areas"

    def _project_name(self, tag: str, attrib: dict[str, str]) -> object:
        if len(self._stack) == 1 and self.document.project_name is None:
            self.document.project_name = attrib.get("ProjectName") or ""
        return None

    def _guid_start(self, tag: str, attrib: dict[str, str]) -> object:
        if len(self._stack) != 1 or "guid" in self._seen:
            return None
        self._seen.add("guid")
        self._guid = []
        self._parser.CharacterDataHandler = self._guid.append
        return "guid"

    def _processor(self, tag: str, attrib: dict[str, str]) -> object:
        if len(self._stack) != 1:
            return None
        processor = _ProcessorNode(_Node(tag, attrib))
        self.document.processors.append(processor)
        return processor

    def _links(self, tag: str, attrib: dict[str, str]) -> object:
        processor = self._parent()
        if isinstance(processor, _ProcessorNode) and not processor.links_open:
            processor.links_open = True
            return _Links(processor)
        return None

    def _link(self, tag: str, attrib: dict[str, str]) -> object:
        links = self._parent()
        if isinstance(links, _Links):
            links.processor.links.append(_Node(tag, attrib))
        return None


def _int(element: _Node, name: str, default: int | None = None) -> int:
    value = element.get(name)
    if value is None:
        if default is None:
            raise InvalidDatabaseError(f"<{element.tag}> has no {name}")
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidDatabaseError(
            f"<{element.tag}> {name}={value!r} is not an integer"
        ) from None


def _float(element: _Node, name: str, default: float) -> float:
    value = element.get(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise InvalidDatabaseError(
            f"<{element.tag}> {name}={value!r} is not a number"
        ) from None


def _optional_float(element: _Node, name: str) -> float | None:
    return None if element.get(name) is None else _float(element, name, 0.0)


def _enum[E: (LoadType, OverrideLevel, LinkType, ProcessorModel)](
    element: _Node, name: str, enum: type[E], default: E
) -> E:
    value = element.get(name)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        raise InvalidDatabaseError(
            f"<{element.tag}> {name}={value!r} is not a known value"
        ) from None


@dataclass(slots=True)
class _RawDevice:
    """A device of a kind we read, its room, and the outputs handed to it."""

    node: _DeviceNode
    kind: DeviceKind
    area: str
    zones: list[_Node] = field(default_factory=list)
    cco: _Node | None = None


def _output_control_type(output: _Node) -> ControlType | None:
    """Return what an output is, by our `ControlType` or its `OutputType` (D2, D3); None for a type we do not read."""
    output_type = output.get("OutputType") or ""
    ours = output.get("ControlType")
    if ours is not None:
        try:
            return ControlType(ours)
        except ValueError:
            raise InvalidDatabaseError(
                f"<Output> ControlType={ours!r} is not a known value"
            ) from None
    if output_type.startswith("CCO_"):
        return ControlType.CCO
    if output_type in SWITCHED_OUTPUT_TYPES:
        return ControlType.SWITCHED
    if output_type in DIMMED_OUTPUT_TYPES_READ:
        return ControlType.DIMMED
    if output_type in SHADE_OUTPUT_TYPES_READ:
        return ControlType.SHADE
    return None


def _collect_devices(
    document: _Document,
) -> tuple[list[_RawDevice], dict[int, list[_Node]]]:
    """Find the devices and their outputs: by our `DeviceSerialNumber`, else by order within their area.

    Returns the devices, and per area (by its index) the outputs no device took (D7: a real processor's database
    does not say which device an output belongs to).
    """
    devices: list[_RawDevice] = []
    by_serial: dict[str, _RawDevice] = {}
    modules_by_area: dict[int, list[_RawDevice]] = {}
    for index, area in enumerate(document.areas):
        name = area.name or "Unknown area"
        for node in area.devices:
            kind = DEVICE_KINDS_READ[node.get("DeviceType") or ""]
            raw = _RawDevice(node, kind, node.get("Area", name))
            devices.append(raw)
            by_serial[(node.get("SerialNumber") or "").upper()] = raw
            if kind is DeviceKind.SWITCHING_MODULE:
                modules_by_area.setdefault(index, []).append(raw)
    leftover: dict[int, list[_Node]] = {}
    for index, area in enumerate(document.areas):
        orphans: deque[_Node] = deque()
        for output in area.outputs:
            owner = by_serial.get((output.get("DeviceSerialNumber") or "").upper())
            if owner is None or not _attach(owner, output):
                orphans.append(output)
        # Switched outputs and CCOs are handed to the area's switching modules in order, as before (four and one
        # each); the rest stays with the area.
        for raw in modules_by_area.get(index, ()):
            while orphans and (len(raw.zones) < ZONES_PER_MODULE or raw.cco is None):
                output = orphans.popleft()
                if not _attach(raw, output):
                    leftover.setdefault(index, []).append(output)
        leftover.setdefault(index, []).extend(orphans)
    return devices, leftover


def _attach(raw: _RawDevice, output: _Node) -> bool:
    control_type = _output_control_type(output)
    if raw.kind is DeviceKind.SWITCHING_MODULE:
        if control_type is ControlType.CCO and raw.cco is None:
            raw.cco = output
            return True
        if control_type is ControlType.SWITCHED and len(raw.zones) < ZONES_PER_MODULE:
            raw.zones.append(output)
            return True
        return False
    if control_type is not None and control_type is not ControlType.CCO:
        raw.zones.append(output)
        return True
    return False


def _zone(
    output: _Node, default_number: int, control_type: ControlType
) -> ZoneDescription:
    output_type = output.get("OutputType") or ZONE_OUTPUT_TYPE
    wattage = _float(output, "Wattage", 0.0)
    default_load = SWITCHED_OUTPUT_TYPES.get(
        output_type, DIMMED_OUTPUT_TYPES_READ.get(output_type, LoadType.INCANDESCENT)
    )
    return ZoneDescription(
        number=_int(output, "Zone", default_number),
        integration_id=_int(output, "IntegrationID"),
        name=output.get("Name") or default_zone_name(default_number),
        load_type=_enum(output, "LoadType", LoadType, default_load),
        amps=_float(output, "Amps", round(wattage / MAINS_VOLTAGE, 3)),
        override_level=_enum(output, "OverrideLevel", OverrideLevel, OverrideLevel.ON),
        is_light=output.get("IsLight", "true").lower() != "false"
        and control_type not in (ControlType.SHADE, ControlType.SHADE_WITH_TILT),
        control_type=control_type,
    )


def _cco(output: _Node, number: int | None = None) -> CcoDescription:
    cco = CcoDescription(
        integration_id=_int(output, "IntegrationID"),
        name=output.get("Name") or DEFAULT_CCO_NAME,
        cco_type=CcoType.MOMENTARY
        if output.get("OutputType") == "CCO_PULSED"
        else CcoType.MAINTAINED,
        pulse_seconds=_float(output, "PulseTime", DEFAULT_PULSE_SECONDS),
    )
    return cco if number is None else replace(cco, number=number)


def _zones(raw: _RawDevice) -> list[ZoneDescription]:
    zones = [
        _zone(output, index, _output_control_type(output) or ControlType.SWITCHED)
        for index, output in enumerate(raw.zones, start=1)
    ]
    zones.sort(key=lambda z: z.number)
    return zones


type _UsedAddresses = dict[tuple[str | None, int], set[int]]


def _processor_of(device: _Node) -> str | None:
    """Return the serial of the processor whose link a device is on (ours, D8); None: the first."""
    serial = device.get("Processor")
    return serial.strip().upper() if serial else None


def _address(raw: _RawDevice, used_addresses: _UsedAddresses) -> tuple[int, int]:
    device = raw.node
    link = _int(device, "Link", 1)
    # Link numbers are per processor (P3): each processor's link 1 is another wire.
    taken = used_addresses.setdefault((_processor_of(device), link), set())
    if device.get("Address") is None:
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
    else:
        number = _int(device, "Address")
    taken.add(number)
    return link, number


def _module(raw: _RawDevice, used_addresses: _UsedAddresses) -> DeviceDescription:
    device = raw.node
    serial = (device.get("SerialNumber") or "").upper()
    if len(raw.zones) != ZONES_PER_MODULE or raw.cco is None:
        raise InvalidDatabaseError(
            f"Module {serial or '?'} does not have four zone outputs and one CCO output"
        )
    zones = _zones(raw)
    if [zone.number for zone in zones] != list(range(1, ZONES_PER_MODULE + 1)):
        raise InvalidDatabaseError(
            f"Module {serial} has zones numbered {[zone.number for zone in zones]}"
        )
    link, address = _address(raw, used_addresses)
    return switching_module(
        serial=serial or UNKNOWN_SERIAL,
        integration_id=_int(device, "IntegrationID"),
        name=device.get("Name") or serial,
        area=raw.area,
        link=link,
        address=address,
        zones=tuple(zones),
        cco=_cco(raw.cco),
        cci_group=device.get("CciGroup"),
        feed=device.get("Feed"),
    )


def _buttons(node: _DeviceNode) -> tuple[InputDescription, ...]:
    """Return a keypad's buttons (D5): components 1-80 of type BUTTON, numbered by position."""
    buttons: dict[int, InputDescription] = {}
    for component in node.components:
        if component.get("ComponentType") != "BUTTON":
            continue
        number = _int(component, "ComponentNumber")
        if not 1 <= number <= MAX_BUTTON_COMPONENT:
            continue
        detail = _Node("Button", component.detail or {})
        engraving = detail.get("Engraving") or ""
        buttons[number] = InputDescription(
            number,
            InputType.BUTTON,
            detail.get("Name") or engraving or f"Button {number}",
            integration_id=_int(detail, "IntegrationID", 0),
            engraving="" if detail.get("Engraved") == "false" else engraving,
            programming=_programming(detail),
        )
    return tuple(buttons[number] for number in sorted(buttons))


def _programming(detail: _Node) -> ButtonProgramming | None:
    model_name = detail.get("ProgrammingModel")
    if model_name is not None:
        try:
            model = ProgrammingModel(model_name)
        except ValueError:
            raise InvalidDatabaseError(
                f"<Button> ProgrammingModel={model_name!r} is not a known value"
            ) from None
    else:
        found = PROGRAMMING_BY_BUTTON_TYPE.get(detail.get("ButtonType") or "")
        if found is None:
            return None
        model = found
        if model is ProgrammingModel.RAISE and detail.get("Direction") == "Lower":
            model = ProgrammingModel.LOWER
    return ButtonProgramming(model, _targets(detail.get("Targets") or ""))


def _targets(text: str) -> tuple[tuple[int, float], ...]:
    targets: list[tuple[int, float]] = []
    for pair in filter(None, text.split(";")):
        output, _, level = pair.partition(":")
        try:
            targets.append((int(output), float(level)))
        except ValueError:
            raise InvalidDatabaseError(
                f"<Button> Targets={text!r} is not a list of output:level"
            ) from None
    return tuple(targets)


def _indicators(node: _DeviceNode) -> tuple[IndicatorDescription, ...]:
    """Return a keypad's LEDs (D5): components 81-160 of type LED, numbered as their buttons."""
    leds: dict[int, IndicatorDescription] = {}
    for component in node.components:
        if component.get("ComponentType") != "LED":
            continue
        number = _int(component, "ComponentNumber") - LED_COMPONENT_BASE
        if not 1 <= number <= MAX_BUTTON_COMPONENT:
            continue
        detail = _Node("LED", component.detail or {})
        leds[number] = IndicatorDescription(
            number,
            detail.get("Name") or f"LED {number}",
            integration_id=_int(detail, "IntegrationID", 0),
        )
    return tuple(leds[number] for number in sorted(leds))


def _house_device(raw: _RawDevice, used_addresses: _UsedAddresses) -> DeviceDescription:
    """Rebuild a dimming module, shade, keypad or occupancy sensor (D4)."""
    node = raw.node
    integration_id = _int(node, "IntegrationID")
    device_type = node.get("DeviceType") or ""
    serial = node.get("SerialNumber") or ""
    has_serial = bool(serial) and node.get("HasSerialNumber") != "false"
    # A hardware serial is upper-case hexadecimal (L3); an id the processor gives is kept as it is.
    serial = (
        serial.upper() if has_serial else serial or f"{device_type}-{integration_id}"
    )
    name = node.get("Name") or serial
    model = node.get("Model") or DEFAULT_MODELS.get(device_type, DEFAULT_KEYPAD_MODEL)
    leap_type = node.get("LeapDeviceType")
    if raw.kind is DeviceKind.OCCUPANCY_SENSOR:
        # A sensor is on a link only where ours says so (an RF sensor's Clear Connect link).
        return occupancy_sensor(
            serial,
            integration_id,
            name,
            raw.area,
            model_number=model,
            device_type=leap_type or OccupancySensorType.OCCUPANCY,
            link=_int(node, "Link", 0),
            address=_int(node, "Address", 0),
        )
    link, address = _address(raw, used_addresses)
    if raw.kind is DeviceKind.KEYPAD:
        return keypad(
            serial,
            integration_id,
            name,
            raw.area,
            buttons=_buttons(node),
            leds=_indicators(node),
            model_number=model,
            link=link,
            address=address,
            has_serial_number=has_serial,
            device_type=leap_type
            or KEYPAD_TYPES_BY_DEVICE_TYPE.get(device_type, KeypadType.SEETOUCH),
        )
    zones = _zones(raw)
    if raw.kind is DeviceKind.SHADE:
        if len(zones) != 1:
            raise InvalidDatabaseError(f"Shade {serial} does not have one output")
        return shade(
            serial,
            integration_id,
            name,
            raw.area,
            zone=zones[0],
            model_number=model,
            link=link,
            address=address,
        )
    return dimming_module(
        serial,
        integration_id,
        name,
        raw.area,
        zones=tuple(zones),
        model_number=model,
        link=link,
        address=address,
    )


def _area_group(
    area: _Area, index: int, outputs: list[_Node], processor: ProcessorDescription
) -> DeviceDescription | None:
    """Return the outputs of an area no device took as the area's group (D7), as LEAP lists them (LP16)."""
    described: list[OutputDescription] = []
    for output in outputs:
        control_type = _output_control_type(output)
        if control_type is None:
            continue  # an output type we do not read (a fan, a motor)
        number = len(described) + 1
        if control_type is ControlType.CCO:
            described.append(_cco(output, number))
        else:
            described.append(
                replace(_zone(output, number, control_type), number=number)
            )
    if not described:
        return None
    area_id = _int(
        _Node("Area", {"IntegrationID": area.integration_id or "0"}), "IntegrationID"
    )
    name = area.name or "Unknown area"
    return DeviceDescription(
        serial=f"{processor.serial}-area-{area_id or index}",
        integration_id=area_id,
        name=name,
        area=name,
        outputs=tuple(described),
        kind=DeviceKind.AREA_GROUP,
        capabilities=AREA_GROUP_CAPABILITIES,
    )


def _processor(
    found: _ProcessorNode, project_name: str
) -> tuple[ProcessorDescription, tuple[LinkDescription, ...]]:
    """Return a `<Processor>` (D8) and its links (every link of its model as a QS link when it lists none)."""
    node = found.node
    model = _enum(node, "Model", ProcessorModel, ProcessorModel.HQP7_2)
    processor = ProcessorDescription(
        serial=(node.get("SerialNumber") or UNKNOWN_SERIAL).strip().upper(),
        model=model,
        name=node.get("Name") or f"{project_name} processor",
        firmware=node.get("Firmware") or _DEFAULT_PROCESSOR.firmware,
        integration_id=_int(node, "IntegrationID", _DEFAULT_PROCESSOR.integration_id),
    )
    if not found.links:
        return processor, tuple(
            LinkDescription(number) for number in range(1, model.link_count + 1)
        )
    return processor, tuple(
        LinkDescription(
            _int(link, "Number"),
            _enum(link, "LinkType", LinkType, LinkType.QS),
            _optional_float(link, "CableLengthMeters"),
        )
        for link in found.links
    )


def _with_processor(
    device: DeviceDescription, processor: str | None
) -> DeviceDescription:
    return device if processor is None else replace(device, processor=processor)


def _check_unique(
    devices: tuple[DeviceDescription, ...],
    processors: tuple[ProcessorDescription, ...],
) -> None:
    ids = [
        *(processor.integration_id for processor in processors),
        *(
            device.integration_id
            for device in devices
            if device.kind is not DeviceKind.AREA_GROUP
        ),
    ]
    outputs = [output.integration_id for device in devices for output in device.outputs]
    for kind, values in (("device", ids), ("output", outputs)):
        if len(values) != len(set(values)):
            duplicates = sorted({i for i in values if values.count(i) > 1})
            raise InvalidDatabaseError(
                f"Duplicate {kind} integration ids: {duplicates}"
            )


@dataclass(frozen=True, slots=True)
class LipDatabase:
    """A project database as LIP uses it: the system, and the occupancy groups of its areas (D6).

    `occupancy_groups` maps each area's group number (`?GROUP,<number>,3`) to the serials of the occupancy
    sensors in that area; an area without a sensor is not listed.
    """

    description: SystemDescription
    occupancy_groups: dict[int, tuple[str, ...]]


def parse_dbxml(data: bytes | str) -> SystemDescription:
    """Rebuild a `SystemDescription` from a `DbXmlInfo.xml` document.

    Raises:
        InvalidDatabaseError: the document is not well-formed XML, declares a DOCTYPE or entities, or its
            devices cannot be rebuilt (missing outputs, bad numbers, duplicate integration ids).

    """
    return parse_database(data).description


def parse_database(data: bytes | str) -> LipDatabase:
    """Rebuild a `SystemDescription` and the occupancy groups from a `DbXmlInfo.xml` document (see `parse_dbxml`)."""
    raw_bytes = data.encode() if isinstance(data, str) else data
    if _FORBIDDEN.search(raw_bytes):
        raise InvalidDatabaseError("The database declares a DOCTYPE or entities")
    try:
        # Entities and DTDs are refused above, which is what makes parsing untrusted input safe here.
        document = _Reader().parse(raw_bytes)
    except expat.ExpatError as err:
        raise InvalidDatabaseError(
            f"The database is not well-formed XML: {err}"
        ) from err
    top_area = document.areas[0] if document.areas else None
    name = (
        document.project_name
        or (top_area.name if top_area is not None else None)
        or "HomeWorks QSX"
    )
    guid = document.guid.strip()
    # Without ours, one processor of unknown serial with every link of its model (a real processor's database).
    processors = [
        _processor(found, name)
        for found in document.processors or [_ProcessorNode(_Node("Processor", {}))]
    ]
    processor = processors[0][0]
    serials = [found.serial for found, _ in processors]
    if len(set(serials)) != len(serials):
        raise InvalidDatabaseError(f"Duplicate processor serial numbers: {serials}")
    links = tuple(
        replace(link, processor=None if index == 0 else found.serial)
        for index, (found, own_links) in enumerate(processors)
        for link in own_links
    )
    # Addresses we were given are taken before any default is chosen.
    used_addresses: _UsedAddresses = {}
    for device in document.devices:
        owner = _processor_of(device)
        if owner is not None and owner not in serials:
            raise InvalidDatabaseError(
                f"<Device> Processor={device.get('Processor')!r} is not a processor of the database"
            )
        if owner == serials[0]:
            # The first processor named: the same links as a device that names none.
            del device["Processor"]
            owner = None
        if device.get("Address") is not None:
            used_addresses.setdefault((owner, _int(device, "Link", 1)), set()).add(
                _int(device, "Address")
            )
    raw_devices, leftover = _collect_devices(document)
    devices = [
        _with_processor(
            _module(raw, used_addresses)
            if raw.kind is DeviceKind.SWITCHING_MODULE
            else _house_device(raw, used_addresses),
            _processor_of(raw.node),
        )
        for raw in raw_devices
    ]
    for index, outputs in leftover.items():
        group = _area_group(document.areas[index], index, outputs, processor)
        if group is not None:
            devices.append(group)
    others = tuple(found for found, _ in processors[1:])
    _check_unique(tuple(devices), (processor, *others))
    description = SystemDescription(
        name=name,
        guid=guid,
        processor=processor,
        links=links,
        devices=tuple(devices),
        other_processors=others,
    )
    first_node = document.processors[0].node if document.processors else None
    if first_node is not None and (database_date := first_node.get("DatabaseDate")):
        description = replace(description, database_date=database_date)
    return LipDatabase(description, _occupancy_groups(document, description))


def _occupancy_groups(
    document: _Document, description: SystemDescription
) -> dict[int, tuple[str, ...]]:
    """Each area's occupancy group number (its `IntegrationID`, D6) and the serials of its sensors."""
    sensors: dict[str, list[str]] = {}
    for device in description.devices:
        if device.kind is DeviceKind.OCCUPANCY_SENSOR:
            sensors.setdefault(device.area, []).append(device.serial)
    groups: dict[int, tuple[str, ...]] = {}
    for area in document.areas:
        serials = sensors.get(area.name or "Unknown area")
        if not serials or area.integration_id is None:
            continue
        number = _int(
            _Node("Area", {"IntegrationID": area.integration_id}), "IntegrationID"
        )
        groups[number] = tuple(serials)
    return groups
