"""Parsing `DbXmlInfo.xml` back into a `SystemDescription`: ours exactly, a real processor's with defaults.

A document that declares a DOCTYPE or an entity is refused before it is parsed; what a real processor leaves out
falls back to defaults; a document that cannot be read is an `InvalidDatabaseError`.
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
    LinkType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
    default_zone_name,
)
from ...errors import InvalidDatabaseError
from ...model import (
    CcoDescription,
    DeviceDescription,
    LinkDescription,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
    switching_module,
)
from .names import DEVICE_TYPE, SWITCHED_OUTPUT_TYPES, UNKNOWN_SERIAL, ZONE_OUTPUT_TYPE

_DEFAULT_PROCESSOR: Final = ProcessorDescription(serial=UNKNOWN_SERIAL)
_FORBIDDEN = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class _Node(dict[str, str]):
    """An element the reader kept: its attributes, and its tag (the rest of the document is not stored)."""

    __slots__ = ("tag",)

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        super().__init__(attrib)
        self.tag = tag


@dataclass(slots=True, eq=False)
class _Area:
    """An `<Area>` below the project's `<Areas>`: its name, its outputs and the devices of its groups."""

    name: str | None
    outputs: list[_Node] = field(default_factory=list)
    devices: list[_Node] = field(default_factory=list)
    outputs_open: bool = (
        False  # its first <Outputs> was seen (`find` reads only that one)
    )
    groups_open: bool = False  # same for <DeviceGroups>


@dataclass(frozen=True, slots=True)
class _Groups:
    """The first `<DeviceGroups>` of an area, while it is open."""

    area: _Area


@dataclass(slots=True)
class _Document:
    """What parsing keeps of a database, in document order."""

    project_name: str | None = None
    guid: str = ""
    processor: _Node | None = None
    links: list[_Node] = field(default_factory=list)
    areas: list[_Area] = field(default_factory=list)
    devices: list[_Node] = field(default_factory=list)  # ours, anywhere in the document


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
        if attrib.get("DeviceType") == DEVICE_TYPE:
            node = _Node(tag, attrib)
            self.document.devices.append(node)
            for area in self._owners:
                area.devices.append(node)
        return None

    def _area(self, tag: str, attrib: dict[str, str]) -> object:
        if not self._in_areas:
            return None
        area = _Area(attrib.get("Name"))
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
        if len(self._stack) != 1 or self.document.processor is not None:
            return None
        self.document.processor = _Node(tag, attrib)
        return "processor"

    def _links(self, tag: str, attrib: dict[str, str]) -> object:
        return "links" if self._parent() == "processor" else None

    def _link(self, tag: str, attrib: dict[str, str]) -> object:
        if self._parent() == "links":
            self.document.links.append(_Node(tag, attrib))
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
class _RawModule:
    device: _Node
    area: str
    zones: list[_Node]
    cco: _Node | None


def _collect_modules(document: _Document) -> list[_RawModule]:
    """Find our modules and their outputs: by our `DeviceSerialNumber`, else by order within their area."""
    modules: list[_RawModule] = []
    by_serial: dict[str, _RawModule] = {}
    by_area: dict[str, list[_RawModule]] = {}
    for area in document.areas:
        name = area.name or "Unknown area"
        for device in area.devices:
            raw = _RawModule(device, name, [], None)
            modules.append(raw)
            by_serial[(device.get("SerialNumber") or "").upper()] = raw
            by_area.setdefault(name, []).append(raw)
    for area in document.areas:
        orphans: deque[_Node] = deque()
        for output in area.outputs:
            owner = by_serial.get((output.get("DeviceSerialNumber") or "").upper())
            if owner is None:
                orphans.append(output)
            else:
                _attach(owner, output)
        if not orphans:
            continue
        # A real processor's database does not say which module an output belongs to: take them in order.
        for raw in by_area.get(area.name or "Unknown area", ()):
            while orphans and (len(raw.zones) < ZONES_PER_MODULE or raw.cco is None):
                _attach(raw, orphans.popleft())
    return modules


def _attach(raw: _RawModule, output: _Node) -> bool:
    output_type = output.get("OutputType") or ""
    if output_type.startswith("CCO_") and raw.cco is None:
        raw.cco = output
        return True
    if output_type in SWITCHED_OUTPUT_TYPES and len(raw.zones) < ZONES_PER_MODULE:
        raw.zones.append(output)
        return True
    return False


def _zone(output: _Node, default_number: int) -> ZoneDescription:
    output_type = output.get("OutputType") or ZONE_OUTPUT_TYPE
    wattage = _float(output, "Wattage", 0.0)
    return ZoneDescription(
        number=_int(output, "Zone", default_number),
        integration_id=_int(output, "IntegrationID"),
        name=output.get("Name") or default_zone_name(default_number),
        load_type=_enum(
            output, "LoadType", LoadType, SWITCHED_OUTPUT_TYPES[output_type]
        ),
        amps=_float(output, "Amps", round(wattage / MAINS_VOLTAGE, 3)),
        override_level=_enum(output, "OverrideLevel", OverrideLevel, OverrideLevel.ON),
    )


def _module(raw: _RawModule, used_addresses: dict[int, set[int]]) -> DeviceDescription:
    device = raw.device
    serial = (device.get("SerialNumber") or "").upper()
    if len(raw.zones) != ZONES_PER_MODULE or raw.cco is None:
        raise InvalidDatabaseError(
            f"Module {serial or '?'} does not have four zone outputs and one CCO output"
        )
    zones = sorted(
        (_zone(output, index) for index, output in enumerate(raw.zones, start=1)),
        key=lambda z: z.number,
    )
    if [zone.number for zone in zones] != list(range(1, ZONES_PER_MODULE + 1)):
        raise InvalidDatabaseError(
            f"Module {serial} has zones numbered {[zone.number for zone in zones]}"
        )
    cco_type = (
        CcoType.MOMENTARY
        if raw.cco.get("OutputType") == "CCO_PULSED"
        else CcoType.MAINTAINED
    )
    link = _int(device, "Link", 1)
    taken = used_addresses.setdefault(link, set())
    address = device.get("Address")
    if address is None:
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
    else:
        number = _int(device, "Address")
    taken.add(number)
    return switching_module(
        serial=serial or UNKNOWN_SERIAL,
        integration_id=_int(device, "IntegrationID"),
        name=device.get("Name") or serial,
        area=raw.area,
        link=link,
        address=number,
        zones=tuple(zones),
        cco=CcoDescription(
            integration_id=_int(raw.cco, "IntegrationID"),
            name=raw.cco.get("Name") or DEFAULT_CCO_NAME,
            cco_type=cco_type,
            pulse_seconds=_float(raw.cco, "PulseTime", DEFAULT_PULSE_SECONDS),
        ),
        cci_group=device.get("CciGroup"),
        feed=device.get("Feed"),
    )


def _check_unique(
    modules: tuple[DeviceDescription, ...], processor: ProcessorDescription
) -> None:
    devices = [processor.integration_id, *(module.integration_id for module in modules)]
    outputs = [
        output_id
        for module in modules
        for output_id in (
            *(zone.integration_id for zone in module.zones),
            module.cco.integration_id,
        )
    ]
    for kind, ids in (("device", devices), ("output", outputs)):
        if len(ids) != len(set(ids)):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidDatabaseError(
                f"Duplicate {kind} integration ids: {duplicates}"
            )


def parse_dbxml(data: bytes | str) -> SystemDescription:
    """Rebuild a `SystemDescription` from a `DbXmlInfo.xml` document.

    Raises:
        InvalidDatabaseError: the document is not well-formed XML, declares a DOCTYPE or entities, or its
            modules cannot be rebuilt (missing outputs, bad numbers, duplicate integration ids).

    """
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
    processor_xml = document.processor or _Node("Processor", {})
    model = _enum(processor_xml, "Model", ProcessorModel, ProcessorModel.HQP7_2)
    processor = ProcessorDescription(
        serial=(processor_xml.get("SerialNumber") or UNKNOWN_SERIAL).upper(),
        model=model,
        name=processor_xml.get("Name") or f"{name} processor",
        firmware=processor_xml.get("Firmware") or _DEFAULT_PROCESSOR.firmware,
        integration_id=_int(
            processor_xml, "IntegrationID", _DEFAULT_PROCESSOR.integration_id
        ),
    )
    if document.links:
        links = tuple(
            LinkDescription(
                _int(link, "Number"),
                _enum(link, "LinkType", LinkType, LinkType.QS),
                _optional_float(link, "CableLengthMeters"),
            )
            for link in document.links
        )
    else:
        links = tuple(
            LinkDescription(number) for number in range(1, model.link_count + 1)
        )
    # Addresses we were given are taken before any default is chosen.
    used_addresses: dict[int, set[int]] = {}
    for device in document.devices:
        if device.get("Address") is not None:
            used_addresses.setdefault(_int(device, "Link", 1), set()).add(
                _int(device, "Address")
            )
    modules = tuple(_module(raw, used_addresses) for raw in _collect_modules(document))
    _check_unique(modules, processor)
    description = SystemDescription(
        name=name, guid=guid, processor=processor, links=links, devices=modules
    )
    if database_date := processor_xml.get("DatabaseDate"):
        description = replace(description, database_date=database_date)
    return description
