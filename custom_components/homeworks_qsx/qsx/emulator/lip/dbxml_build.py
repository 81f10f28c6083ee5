"""Building `DbXmlInfo.xml` from a system description, in the schema third-party clients parse (dbxml.md)."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree as ET

from ...lip.dbxml.names import (
    BUTTON_NAMES,
    CCO_OUTPUT_TYPES,
    DEVICE_TYPE,
    PRODUCT_TYPE_HOMEWORKS_QS,
    ZONE_OUTPUT_TYPE,
)
from ...lip.protocol import CCI_COMPONENT, LED_COMPONENT_BASE
from ...model import DeviceDescription, SystemDescription

# UUIDs must be unique across every kind of object (Home Assistant builds unique ids from them) and stable
# when modules come and go, so they derive from integration ids, one number range per kind.
_UUID_AREA, _UUID_OUTPUT, _UUID_DEVICE, _UUID_COMPONENT, _UUID_GROUP = 1, 2, 3, 4, 5


def _uuid(kind: int, number: int, sub: int = 0) -> str:
    return str(kind * 100_000_000 + number * 100 + sub)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def _areas(description: SystemDescription) -> dict[str, list[DeviceDescription]]:
    """Modules grouped by area, areas in the order their first module appears."""
    areas: dict[str, list[DeviceDescription]] = {}
    for module in description.modules:
        areas.setdefault(module.area, []).append(module)
    return areas


def _all_integration_ids(description: SystemDescription) -> Iterator[int]:
    yield description.processor.integration_id
    for module in description.modules:
        yield module.integration_id
        yield module.cco.integration_id
        yield from (zone.integration_id for zone in module.zones)


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
    processor = description.processor
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
    for link in description.links:
        link_xml = _sub(
            links_xml, "Link", Number=str(link.number), LinkType=link.link_type.value
        )
        if link.cable_length_m is not None:
            link_xml.set("CableLengthMeters", repr(link.cable_length_m))

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
        modules = areas[area_name]
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
        for module in modules:
            _add_outputs(outputs_xml, module)
        devices_xml = _sub(
            _sub(_sub(area_xml, "DeviceGroups"), "DeviceGroup", Name=area_name),
            "Devices",
        )
        for module in modules:
            _add_device(devices_xml, module)
        _sub(area_xml, "Areas")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


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


# Parsing.
