"""The project database `DbXmlInfo.xml` (dbxml.md): the schema strict clients parse, and the way back."""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree as ET

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.homeworks_qsx.qsx.const import (
    CcoType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
)
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    parse_description,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.errors import InvalidDatabaseError
from custom_components.homeworks_qsx.qsx.lip.dbxml import parse_dbxml
from custom_components.homeworks_qsx.qsx.model import (
    ControlType,
    DeviceKind,
    SystemDescription,
)

from .conftest import hand_built_description

SWITCH_TYPES = {
    "NON_DIM",
    "NON_DIM_INC",
    "NON_DIM_ELV",
    "RELAY_LIGHTING",
    "EXHAUST_FAN_TYPE",
    "SWITCHED_MOTOR",
}


def xml(description: SystemDescription) -> ET.Element:
    """Return the database of `description`, parsed."""
    return ET.fromstring(build_dbxml(description))  # noqa: S314 - our own document


def test_roundtrip_hand_built(description: SystemDescription) -> None:
    """Our attributes carry the whole description: parsing our document gives it back exactly."""
    assert parse_dbxml(build_dbxml(description)) == description
    assert parse_dbxml(build_dbxml(description).decode()) == description


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=2),
    st.sampled_from(list(ProcessorModel)),
)
def test_roundtrip_built_descriptions(
    per_link: list[int], model: ProcessorModel
) -> None:
    """Any default-built system survives the trip through the database."""
    per_link = per_link[: model.link_count]
    description = build_description(per_link, model=model, name="Roundtrip")
    assert parse_dbxml(build_dbxml(description)) == description


def test_cable_length_given_in_feet_served_clean() -> None:
    """850 ft is served as 259.08 m, not with the float noise of the conversion."""
    description = parse_description({"links": [{"length_ft": 850}]})
    link = xml(description).find(".//Links/Link[@Number='1']")
    assert link is not None
    assert link.get("CableLengthMeters") == "259.08"


def test_schema_strict_clients_need(description: SystemDescription) -> None:
    """GUID, OccupancyGroups, every Area with IntegrationID/Outputs/DeviceGroups, every Output's attributes."""
    root = xml(description)
    assert root.tag == "Project"
    assert root.find("ProjectName").get("ProjectName") == "Test house"  # type: ignore[union-attr]
    assert len(root.findtext("GUID") or "") > 10
    assert root.findtext("ProductType") == "4"
    assert root.find("OccupancyGroups") is not None
    top = root.find("Areas/Area")
    assert top is not None
    assert top.get("IntegrationID") == "0"
    rooms = top.findall("Areas/Area")
    assert [room.get("Name") for room in rooms] == ["Kitchen", "Garage"]
    groups = {
        group.get("OccupancyGroupNumber") for group in root.iter("OccupancyGroup")
    }
    for area in root.iter("Area"):
        assert area.get("IntegrationID") is not None
        assert area.find("Outputs") is not None
        assert area.find("DeviceGroups") is not None
    for room in rooms:
        assert room.get("OccupancyGroupAssignedToID") in groups
    for output in root.iter("Output"):
        for attribute in ("Name", "IntegrationID", "OutputType", "Wattage", "UUID"):
            assert output.get(attribute), attribute
        int(output.get("Wattage") or "x")  # pylutron reads it with int()


def test_outputs_and_devices_map_the_system(description: SystemDescription) -> None:
    """Zones are NON_DIM with their wattage, CCOs CCO_MAINTAINED / CCO_PULSED, modules our device type."""
    root = xml(description)
    outputs = {int(o.get("IntegrationID") or 0): o for o in root.iter("Output")}
    for module in description.modules:
        for zone in module.zones:
            output = outputs[zone.integration_id]
            assert output.get("OutputType") == "NON_DIM"
            assert output.get("OutputType") in SWITCH_TYPES
            assert output.get("Wattage") == str(round(zone.watts))
            assert output.get("Name") == zone.name
        expected = (
            "CCO_PULSED"
            if module.cco.cco_type is CcoType.MOMENTARY
            else "CCO_MAINTAINED"
        )
        assert outputs[module.cco.integration_id].get("OutputType") == expected
    devices = list(root.iter("Device"))
    assert [d.get("SerialNumber") for d in devices] == [
        m.serial for m in description.modules
    ]
    for device in devices:
        assert device.get("DeviceType") == "QS_SWITCHING_POWER_MODULE"
        components = {
            int(c.get("ComponentNumber") or 0): c.get("ComponentType")
            for c in device.iter("Component")
        }
        assert components == {
            1: "BUTTON",
            2: "BUTTON",
            3: "BUTTON",
            4: "BUTTON",
            5: "BUTTON",
            11: "CCI",
            81: "LED",
            82: "LED",
            83: "LED",
            84: "LED",
            85: "LED",
        }


def test_ids_and_uuids_unique(description: SystemDescription) -> None:
    """Integration ids are unique per command type; UUIDs are unique across every kind of object."""
    root = xml(description)
    for tag in ("Output", "Device", "Area"):
        ids = [element.get("IntegrationID") for element in root.iter(tag)]
        assert len(ids) == len(set(ids)), tag
    area_ids = {int(a.get("IntegrationID") or 0) for a in root.iter("Area")} - {0}
    other_ids = {
        int(e.get("IntegrationID") or 0)
        for tag in ("Output", "Device")
        for e in root.iter(tag)
    }
    assert not area_ids & other_ids
    uuids = [element.get("UUID") for element in root.iter() if element.get("UUID")]
    assert len(uuids) == len(set(uuids))


def test_uuids_stable_when_a_module_is_added(description: SystemDescription) -> None:
    """Adding a module does not change the UUIDs of what was there (Home Assistant keys entities on them)."""
    before = {
        o.get("IntegrationID"): o.get("UUID") for o in xml(description).iter("Output")
    }
    smaller = replace(description, devices=description.modules[:1])
    after = {o.get("IntegrationID"): o.get("UUID") for o in xml(smaller).iter("Output")}
    assert all(before[key] == value for key, value in after.items())


REAL_PROCESSOR_DB = b"""<?xml version="1.0" encoding="utf-8"?>
<Project>
  <ProjectName ProjectName="Villa"/>
  <GUID>0011223344556677889900</GUID>
  <Areas>
    <Area Name="Villa" IntegrationID="0">
      <Areas>
        <Area Name="Hall" IntegrationID="900">
          <Outputs>
            <Output Name="Dimmer" IntegrationID="50" OutputType="INC" Wattage="100" UUID="1"/>
            <Output Name="Hall 1" IntegrationID="21" OutputType="NON_DIM" Wattage="240" UUID="2"/>
            <Output Name="Hall 2" IntegrationID="22" OutputType="NON_DIM_ELV" Wattage="0" UUID="3"/>
            <Output Name="Hall 3" IntegrationID="23" OutputType="SWITCHED_MOTOR" Wattage="360" UUID="4"/>
            <Output Name="Hall 4" IntegrationID="24" OutputType="RELAY_LIGHTING" UUID="5"/>
            <Output Name="Door" IntegrationID="25" OutputType="CCO_PULSED" Wattage="0" UUID="6"/>
          </Outputs>
          <DeviceGroups>
            <DeviceGroup Name="Hall">
              <Devices>
                <Device Name="Keypad" IntegrationID="30" DeviceType="SEETOUCH_KEYPAD" SerialNumber="1"/>
                <Device Name="Hall panel" IntegrationID="20" DeviceType="QS_SWITCHING_POWER_MODULE"
                        SerialNumber="00ab12cd"/>
              </Devices>
            </DeviceGroup>
          </DeviceGroups>
        </Area>
      </Areas>
    </Area>
  </Areas>
</Project>
"""


def test_real_processor_database_falls_back_to_defaults() -> None:
    """Without our attributes, outputs are taken in order within the area and everything else gets defaults."""
    description = parse_dbxml(REAL_PROCESSOR_DB)
    assert description.name == "Villa"
    assert description.guid == "0011223344556677889900"
    assert description.processor.serial == "00000000"
    assert description.processor.model is ProcessorModel.HQP7_2
    assert [link.number for link in description.links] == [1, 2]
    (module,) = description.modules
    assert module.serial == "00AB12CD"
    assert (
        module.integration_id,
        module.name,
        module.area,
        module.link,
        module.address,
    ) == (
        20,
        "Hall panel",
        "Hall",
        1,
        2,  # the keypad listed before it took address 1
    )
    assert [zone.integration_id for zone in module.zones] == [21, 22, 23, 24]
    assert [zone.number for zone in module.zones] == [1, 2, 3, 4]
    assert [zone.load_type for zone in module.zones] == [
        LoadType.INCANDESCENT,
        LoadType.ELV,
        LoadType.MOTOR,
        LoadType.INCANDESCENT,
    ]
    assert module.zones[0].amps == 2.0
    assert module.zones[3].amps == 0.0
    assert all(zone.override_level is OverrideLevel.ON for zone in module.zones)
    assert module.cco.integration_id == 25
    assert module.cco.cco_type is CcoType.MOMENTARY
    assert module.cco.pulse_seconds == 1.0
    assert module.cci_group is None
    # D4, D7: the keypad is read (no components listed), the dimmer no device took is its area's.
    keypad = description.device("1")
    assert (keypad.kind, keypad.buttons, keypad.model) == (
        DeviceKind.KEYPAD,
        (),
        "seeTouch Keypad",
    )
    (group,) = (d for d in description.devices if d.kind is DeviceKind.AREA_GROUP)
    assert (group.serial, group.integration_id, group.area) == (
        "00000000-area-900",
        900,
        "Hall",
    )
    (dimmer,) = group.outputs
    assert (dimmer.integration_id, dimmer.control_type) == (50, ControlType.DIMMED)


def test_database_without_project_name_or_areas() -> None:
    """The project name falls back to the top area's name, then to a default; no modules is fine."""
    assert (
        parse_dbxml(b"<Project><Areas><Area Name='Top'/></Areas></Project>").name
        == "Top"
    )
    empty = parse_dbxml(b"<Project/>")
    assert empty.name == "HomeWorks QSX"
    assert empty.modules == ()
    assert empty.guid == ""


def test_default_addresses_skip_the_given_ones() -> None:
    """A module without an address gets the lowest one not taken on its link."""
    root = xml(hand_built_description())
    first, second, _ = root.iter("Device")
    del first.attrib["Address"]
    second.set(
        "Address", "1"
    )  # given later in the document, yet taken before any default is chosen
    parsed = parse_dbxml(ET.tostring(root))
    assert [(m.link, m.address) for m in parsed.modules] == [(1, 2), (1, 1), (2, 3)]


def _module_db(device_attributes: str = "", outputs: str = "") -> bytes:
    zones = "".join(
        f'<Output Name="z{n}" IntegrationID="{20 + n}" OutputType="NON_DIM" Wattage="0" UUID="{n}"/>'
        for n in range(1, 5)
    )
    return (
        "<Project><Areas><Area Name='P'><Areas><Area Name='A'><Outputs>"
        f"{outputs or zones + '<Output Name="c" IntegrationID="25" OutputType="CCO_MAINTAINED" Wattage="0"/>'}"
        "</Outputs><DeviceGroups><DeviceGroup Name='A'><Devices>"
        f"<Device Name='M' IntegrationID='20' DeviceType='QS_SWITCHING_POWER_MODULE' SerialNumber='0000ABCD' "
        f"{device_attributes}/>"
        "</Devices></DeviceGroup></DeviceGroups></Area></Areas></Area></Areas></Project>"
    ).encode()


def test_module_db_helper_is_valid() -> None:
    """The helper below builds a valid one-module database."""
    (module,) = parse_dbxml(_module_db()).modules
    assert module.serial == "0000ABCD"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Project>", "not well-formed"),
        (b"", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><Project>&a;</Project>', "DOCTYPE"),
        (b"<?xml version='1.0'?><!doctype Project><Project/>", "DOCTYPE"),
        (_module_db("IntegrationID2='x' Link='one'"), "not an integer"),
        (_module_db("Link='2' Address='x'"), "not an integer"),
        (
            _module_db(
                outputs="<Output Name='a' IntegrationID='21' OutputType='NON_DIM'/>"
            ),
            "four zone outputs",
        ),
        (
            _module_db(
                outputs="<Output Name='a' IntegrationID='x' OutputType='CCO_PULSED' Wattage='1'/>"
            ),
            "four zone",
        ),
        (
            _module_db().replace(b'IntegrationID="22"', b'IntegrationID="21"'),
            "Duplicate output integration ids: [21]",
        ),
        (
            _module_db().replace(b"IntegrationID='20'", b"IntegrationID='1'"),
            "Duplicate device integration ids: [1]",
        ),
        (_module_db().replace(b"IntegrationID='20'", b""), "has no IntegrationID"),
        (
            _module_db().replace(b'Wattage="0" UUID="1"', b'Wattage="lots" UUID="1"'),
            "not a number",
        ),
        (
            _module_db().replace(b'UUID="2"', b'UUID="2" Zone="1"'),
            "zones numbered [1, 1, 3, 4]",
        ),
        (
            _module_db().replace(b'UUID="2"', b'UUID="2" LoadType="receptacle"'),
            "not a known value",
        ),
        (_module_db().replace(b'UUID="2"', b'UUID="2" Zone="x"'), "not an integer"),
    ],
)
def test_invalid_databases(data: bytes, message: str) -> None:
    """An unreadable database is `InvalidDatabaseError` with a reason."""
    with pytest.raises(InvalidDatabaseError, match=None) as err:
        parse_dbxml(data)
    assert message in str(err.value)
