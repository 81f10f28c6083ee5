"""Building `DbXmlInfo.xml` from a system description, in the schema third-party clients parse (dbxml.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from ...lip.dbxml.names import (
    BUTTON_DIRECTIONS,
    BUTTON_NAMES,
    BUTTON_TYPES,
    CCO_OUTPUT_TYPES,
    DEFAULT_DIMMED_OUTPUT_TYPE,
    DEVICE_TYPE,
    DIMMED_OUTPUT_TYPES,
    DIMMING_MODULE_TYPE,
    MOTION_SENSOR_TYPE,
    PRODUCT_TYPE_HOMEWORKS_QS,
    SHADE_DEVICE_TYPE,
    SHADE_OUTPUT_TYPE,
    UNPROGRAMMED_BUTTON_TYPE,
    ZONE_OUTPUT_TYPE,
    keypad_device_type,
)
from ...lip.protocol import CCI_COMPONENT, LED_COMPONENT_BASE, MAX_BUTTON_COMPONENT
from ...model import (
    ControlType,
    DeviceDescription,
    DeviceKind,
    ProcessorDescription,
    SystemDescription,
    ZoneDescription,
)

# UUIDs must be unique across every kind of object (Home Assistant builds unique ids from them) and stable
# when modules come and go, so they derive from integration ids, one number range per kind. A keypad's
# components (up to 160 of them) have a range of their own, a thousand per keypad.
_UUID_AREA, _UUID_OUTPUT, _UUID_DEVICE, _UUID_COMPONENT, _UUID_GROUP = 1, 2, 3, 4, 5
_UUID_KEYPAD_COMPONENT = 6
# Devices the database lists (D1): every kind but timeclocks (LIP has no command for them here) and area groups
# (a live system's; the emulator has none).
_LISTED_KINDS = frozenset(DeviceKind) - {DeviceKind.TIMECLOCK, DeviceKind.AREA_GROUP}


def _uuid(kind: int, number: int, sub: int = 0) -> str:
    return str(kind * 100_000_000 + number * 100 + sub)


def _keypad_uuid(integration_id: int, component: int) -> str:
    return str(_UUID_KEYPAD_COMPONENT * 100_000_000 + integration_id * 1000 + component)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def room_of(description: SystemDescription, device: DeviceDescription) -> str:
    """Return the room a device is listed in: its area, or its processor's name for one without (H9, D1)."""
    return device.area or description.processor_of(device).name


def listed_devices(description: SystemDescription) -> Iterator[DeviceDescription]:
    """Yield the devices the database lists, in description order (D1)."""
    return (device for device in description.devices if device.kind in _LISTED_KINDS)


def _areas(description: SystemDescription) -> dict[str, list[DeviceDescription]]:
    """Devices grouped by room, rooms in the order their first device appears."""
    areas: dict[str, list[DeviceDescription]] = {}
    for device in listed_devices(description):
        areas.setdefault(room_of(description, device), []).append(device)
    return areas


def _all_integration_ids(description: SystemDescription) -> Iterator[int]:
    yield from (processor.integration_id for processor in description.processors)
    for device in description.devices:
        yield device.integration_id
        yield from (output.integration_id for output in device.outputs)
        yield from (item.integration_id for item in device.inputs)
        yield from (indicator.integration_id for indicator in device.indicators)


@dataclass(frozen=True, slots=True)
class AreaIndex:
    """The rooms of a system as LIP numbers them: by area id (its occupancy group, H6) and back."""

    rooms: dict[int, str]  # area id -> room name
    ids: dict[str, int]  # room name -> area id


_last_index: list[tuple[SystemDescription, AreaIndex]] = []


def area_index(description: SystemDescription) -> AreaIndex:
    """Return the rooms of `description` by id and by name, worked out once per description (they are frozen)."""
    if _last_index and _last_index[0][0] is description:
        return _last_index[0][1]
    rooms = area_integration_ids(description)
    index = AreaIndex(rooms, {name: area_id for area_id, name in rooms.items()})
    _last_index[:] = [(description, index)]
    return index


def area_integration_ids(description: SystemDescription) -> dict[int, str]:
    """Return each area's integration id and name (ours: the ids after every other object's).

    Each area is also its occupancy group: the group's number is the area's id, as pylutron and HomeWorks
    databases tie them (`OccupancyGroupAssignedToID`), and `?GROUP,<area id>,3` queries it.
    """
    first_area_id = max(_all_integration_ids(description)) + 1
    return {
        first_area_id + index: name for index, name in enumerate(_areas(description))
    }


def build_dbxml(description: SystemDescription) -> bytes:
    """Return the `DbXmlInfo.xml` document of a system (UTF-8 bytes with an XML declaration)."""
    root = ET.Element("Project")
    _sub(root, "ProjectName", ProjectName=description.name)
    ET.SubElement(root, "GUID").text = description.guid
    ET.SubElement(root, "ProductType").text = PRODUCT_TYPE_HOMEWORKS_QS
    for processor in description.processors:
        _add_processor(root, description, processor)
    areas_xml = _sub(root, "Areas")
    project_area = _sub(
        areas_xml,
        "Area",
        Name=description.name,
        IntegrationID="0",
        UUID=_uuid(_UUID_AREA, 0),
    )
    _sub(project_area, "Outputs")
    _sub(project_area, "DeviceGroups")
    rooms_xml = _sub(project_area, "Areas")
    groups_xml = _sub(root, "OccupancyGroups")
    areas = _areas(description)
    for area_id, area_name in area_integration_ids(description).items():
        devices = areas[area_name]
        group_number = str(area_id)
        _sub(
            groups_xml,
            "OccupancyGroup",
            UUID=_uuid(_UUID_GROUP, area_id),
            OccupancyGroupNumber=group_number,
        )
        area_xml = _sub(
            rooms_xml,
            "Area",
            Name=area_name,
            IntegrationID=str(area_id),
            UUID=_uuid(_UUID_AREA, area_id),
            OccupancyGroupAssignedToID=group_number,
        )
        outputs_xml = _sub(area_xml, "Outputs")
        for device in devices:
            if device.kind is DeviceKind.SWITCHING_MODULE:
                _add_outputs(outputs_xml, device)
            else:
                for zone in device.zones:
                    _add_level_output(outputs_xml, device, zone)
        devices_xml = _sub(
            _sub(_sub(area_xml, "DeviceGroups"), "DeviceGroup", Name=area_name),
            "Devices",
        )
        for device in devices:
            if device.kind is DeviceKind.SWITCHING_MODULE:
                _add_device(devices_xml, device)
            else:
                _add_house_device(devices_xml, device, area_name)
        _sub(area_xml, "Areas")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _add_processor(
    root: ET.Element, description: SystemDescription, processor: ProcessorDescription
) -> None:
    """Add one processor of the project with the links it drives (ours: D8), the first processor first."""
    processor_xml = _sub(
        root,
        "Processor",
        Name=processor.name,
        IntegrationID=str(processor.integration_id),
        SerialNumber=processor.serial,
        Model=processor.model.value,
        Firmware=processor.firmware,
        DatabaseDate=description.database_date,
    )
    links_xml = _sub(processor_xml, "Links")
    for link in description.links_of(processor.serial):
        link_xml = _sub(
            links_xml, "Link", Number=str(link.number), LinkType=link.link_type.value
        )
        if link.cable_length_m is not None:
            link_xml.set("CableLengthMeters", repr(link.cable_length_m))


def _add_outputs(outputs_xml: ET.Element, module: DeviceDescription) -> None:
    for zone in module.zones:
        _sub(
            outputs_xml,
            "Output",
            Name=zone.name,
            IntegrationID=str(zone.integration_id),
            OutputType=ZONE_OUTPUT_TYPE,
            Wattage=str(round(zone.watts)),
            UUID=_uuid(_UUID_OUTPUT, zone.integration_id),
            DeviceSerialNumber=module.serial,
            Zone=str(zone.number),
            LoadType=zone.load_type.value,
            Amps=repr(zone.amps),
            OverrideLevel=zone.override_level.value,
        )
    cco = module.cco
    _sub(
        outputs_xml,
        "Output",
        Name=cco.name,
        IntegrationID=str(cco.integration_id),
        OutputType=CCO_OUTPUT_TYPES[cco.cco_type],
        Wattage="0",
        UUID=_uuid(_UUID_OUTPUT, cco.integration_id),
        DeviceSerialNumber=module.serial,
        PulseTime=repr(cco.pulse_seconds),
    )


def _add_device(devices_xml: ET.Element, module: DeviceDescription) -> None:
    attributes = {
        "Name": module.name,
        "IntegrationID": str(module.integration_id),
        "DeviceType": DEVICE_TYPE,
        "SerialNumber": module.serial,
        "UUID": _uuid(_UUID_DEVICE, module.integration_id),
        "Link": str(module.link),
        "Address": str(module.address),
    }
    if module.cci_group is not None:
        attributes["CciGroup"] = module.cci_group
    if module.feed is not None:
        attributes["Feed"] = module.feed
    if module.processor is not None:
        attributes["Processor"] = module.processor
    device_xml = ET.SubElement(devices_xml, "Device", attributes)
    components_xml = _sub(device_xml, "Components")

    def component(number: int, kind: str) -> ET.Element:
        return _sub(
            components_xml, "Component", ComponentNumber=str(number), ComponentType=kind
        )

    for number, name in enumerate(BUTTON_NAMES, start=1):
        _sub(
            component(number, "BUTTON"),
            "Button",
            Name=name,
            Engraving=name,
            ButtonType="Toggle",
            UUID=_uuid(_UUID_COMPONENT, module.integration_id, number),
        )
    _sub(
        component(CCI_COMPONENT, "CCI"),
        "CCI",
        UUID=_uuid(_UUID_COMPONENT, module.integration_id, CCI_COMPONENT),
    )
    for number in range(
        LED_COMPONENT_BASE + 1, LED_COMPONENT_BASE + len(BUTTON_NAMES) + 1
    ):
        _sub(
            component(number, "LED"),
            "LED",
            UUID=_uuid(_UUID_COMPONENT, module.integration_id, number),
        )


def _add_level_output(
    outputs_xml: ET.Element, device: DeviceDescription, zone: ZoneDescription
) -> None:
    """Add a dimmed zone (D2) or a shade (D3), with our attributes to rebuild it."""
    if zone.control_type is ControlType.DIMMED:
        output_type = DIMMED_OUTPUT_TYPES.get(
            zone.load_type, DEFAULT_DIMMED_OUTPUT_TYPE
        )
    else:
        output_type = SHADE_OUTPUT_TYPE
    output = _sub(
        outputs_xml,
        "Output",
        Name=zone.name,
        IntegrationID=str(zone.integration_id),
        OutputType=output_type,
        Wattage=str(round(zone.watts)),
        UUID=_uuid(_UUID_OUTPUT, zone.integration_id),
        DeviceSerialNumber=device.serial,
        Zone=str(zone.number),
        ControlType=zone.control_type.value,
        LoadType=zone.load_type.value,
        Amps=repr(zone.amps),
        OverrideLevel=zone.override_level.value,
    )
    if not zone.is_light and device.kind is not DeviceKind.SHADE:
        output.set("IsLight", "false")


def device_type(device: DeviceDescription) -> str:
    """Return the `DeviceType` a device is listed with (D4)."""
    match device.kind:
        case DeviceKind.SWITCHING_MODULE:
            return DEVICE_TYPE
        case DeviceKind.DIMMING_MODULE:
            return DIMMING_MODULE_TYPE
        case DeviceKind.SHADE:
            return SHADE_DEVICE_TYPE
        case DeviceKind.OCCUPANCY_SENSOR:
            return MOTION_SENSOR_TYPE
        case _:
            return keypad_device_type(device)


def _add_house_device(
    devices_xml: ET.Element, device: DeviceDescription, room: str
) -> None:
    """Add a dimming module, a shade, a keypad with its buttons and LEDs (D4, D5), or an occupancy sensor (D6)."""
    attributes = {
        "Name": device.name,
        "IntegrationID": str(device.integration_id),
        "DeviceType": device_type(device),
        "SerialNumber": device.serial,
        "UUID": _uuid(_UUID_DEVICE, device.integration_id),
        "Model": device.model_number or "",
        "Link": str(device.link),
        "Address": str(device.address),
    }
    if not device.has_serial_number:
        attributes["HasSerialNumber"] = "false"
    if device.device_type is not None:
        attributes["LeapDeviceType"] = device.device_type
    if device.area != room:
        attributes["Area"] = device.area
    if device.processor is not None:
        attributes["Processor"] = device.processor
    device_xml = ET.SubElement(devices_xml, "Device", attributes)
    if device.kind is not DeviceKind.KEYPAD:
        return
    components_xml = _sub(device_xml, "Components")
    for button in device.buttons:
        if not 1 <= button.number <= MAX_BUTTON_COMPONENT:
            continue  # H4: LIP numbers no other position
        programming = button.programming
        button_attributes = {
            "Name": button.name,
            "Engraving": button.engraving or button.name,
            "ButtonType": UNPROGRAMMED_BUTTON_TYPE
            if programming is None
            else BUTTON_TYPES[programming.model],
            "UUID": _keypad_uuid(device.integration_id, button.number),
            "IntegrationID": str(button.integration_id),
        }
        if not button.engraving:
            button_attributes["Engraved"] = "false"
        if programming is not None:
            button_attributes["ProgrammingModel"] = programming.model.value
            button_attributes["Targets"] = ";".join(
                f"{output}:{level!r}" for output, level in programming.targets
            )
            if direction := BUTTON_DIRECTIONS.get(programming.model):
                button_attributes["Direction"] = direction
        component = _sub(
            components_xml,
            "Component",
            ComponentNumber=str(button.number),
            ComponentType="BUTTON",
        )
        ET.SubElement(component, "Button", button_attributes)
    for indicator in device.indicators:
        if not 1 <= indicator.number <= MAX_BUTTON_COMPONENT:
            continue
        number = LED_COMPONENT_BASE + indicator.number
        component = _sub(
            components_xml,
            "Component",
            ComponentNumber=str(number),
            ComponentType="LED",
        )
        _sub(
            component,
            "LED",
            UUID=_keypad_uuid(device.integration_id, number),
            Name=indicator.name,
            IntegrationID=str(indicator.integration_id),
        )
