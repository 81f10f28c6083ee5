"""The whole house in the project database (docs/dbxml.md D1-D7): what clients parse, and the way back."""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree as ET

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    KeypadType,
    LoadType,
    OccupancySensorType,
    ProgrammingModel,
)
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import (
    area_integration_ids,
    build_dbxml,
    device_type,
)
from custom_components.homeworks_qsx.qsx.errors import InvalidDatabaseError
from custom_components.homeworks_qsx.qsx.lip.dbxml import parse_dbxml
from custom_components.homeworks_qsx.qsx.lip.dbxml.parse import parse_database
from custom_components.homeworks_qsx.qsx.model import (
    ButtonProgramming,
    ControlType,
    DeviceKind,
)

from .house import (
    DIM_1,
    DIM_2,
    DIMMER,
    HOMEOWNER,
    KEYPAD,
    KEYPAD_ID,
    PALLADIOM,
    SENSOR,
    SHADE_OUT,
    TILT_OUT,
    house_description,
)

HOUSE = house_description()


def xml() -> ET.Element:
    """Return the house's database, parsed."""
    return ET.fromstring(build_dbxml(HOUSE))  # noqa: S314 - our own document


def test_d1_roundtrip_every_kind_but_timeclocks() -> None:
    """D1-D6: parsing our document gives every device back exactly (timeclocks are not listed), and the groups."""
    database = parse_database(build_dbxml(HOUSE))
    expected = {
        device.serial: device
        for device in HOUSE.devices
        if device.kind is not DeviceKind.TIMECLOCK
    }
    assert {
        device.serial: device for device in database.description.devices
    } == expected
    kitchen = next(
        i for i, name in area_integration_ids(HOUSE).items() if name == "Kitchen"
    )
    assert database.occupancy_groups == {kitchen: (SENSOR,)}


def test_d1_rooms_and_the_homeowner_keypad() -> None:
    """D1, H9: one room per area in order of first device; a device without an area in the processor's room."""
    root = xml()
    rooms = root.findall("Areas/Area/Areas/Area")
    assert [room.get("Name") for room in rooms] == [
        "Kitchen",
        "Garage",
        "Living",
        "HomeWorks QSX processor",
    ]
    homeowner = rooms[3].find(".//Device")
    assert homeowner is not None
    assert (homeowner.get("DeviceType"), homeowner.get("Area")) == (
        "HOMEOWNER_KEYPAD",
        "",
    )
    assert homeowner.get("HasSerialNumber") == "false"
    assert parse_dbxml(build_dbxml(HOUSE)).device(HOMEOWNER).area == ""


def test_d2_d3_output_types() -> None:
    """D2, D3: dimmed zones INC/ELV (dimmable for every client), shades SYSTEM_SHADE, with our control type."""
    outputs = {int(o.get("IntegrationID") or 0): o for o in xml().iter("Output")}
    assert outputs[DIM_1].get("OutputType") == "INC"
    assert outputs[DIM_2].get("OutputType") == "ELV"
    assert outputs[DIM_1].get("ControlType") == "dimmed"
    assert outputs[SHADE_OUT].get("OutputType") == "SYSTEM_SHADE"
    assert outputs[TILT_OUT].get("ControlType") == "shade_with_tilt"
    assert outputs[SHADE_OUT].get("Wattage") == "0"
    for output in outputs.values():
        for attribute in ("Name", "IntegrationID", "OutputType", "Wattage", "UUID"):
            assert output.get(attribute) is not None, attribute


def test_d4_d5_keypads_buttons_and_leds() -> None:
    """D4, D5: keypad types pylutron knows; buttons at their position, LEDs at 80 + position, button types."""
    devices = {d.get("SerialNumber"): d for d in xml().iter("Device")}
    assert devices[KEYPAD].get("DeviceType") == "SEETOUCH_KEYPAD"
    assert devices[PALLADIOM].get("DeviceType") == "PALLADIOM_KEYPAD"
    assert devices[SENSOR].get("DeviceType") == "MOTION_SENSOR"
    components = {
        int(c.get("ComponentNumber") or 0): c for c in devices[KEYPAD].iter("Component")
    }
    assert sorted(components) == [1, 2, 3, 4, 5, 6, 81, 82, 85, 86]
    buttons = {
        number: component.find("Button")
        for number, component in components.items()
        if component.get("ComponentType") == "BUTTON"
    }
    types = {
        number: (button.get("ButtonType"), button.get("Direction"))
        for number, button in buttons.items()
        if button is not None
    }
    assert types == {
        1: ("SingleAction", None),
        2: ("AdvancedToggle", None),
        3: ("SingleSceneRaiseLower", "Raise"),
        4: ("SingleSceneRaiseLower", "Lower"),
        5: ("Toggle", None),
        6: ("Unprogrammed", None),
    }
    bare = components[6].find("Button")
    assert bare is not None
    assert (bare.get("Engraving"), bare.get("Engraved")) == ("Button 6", "false")
    assert components[81].get("ComponentType") == "LED"
    uuids = [
        element.get("UUID")
        for element in xml().iter()
        if element.get("UUID") is not None
    ]
    assert len(uuids) == len(set(uuids))


def test_d5_real_keypad_without_our_attributes() -> None:
    """D5: a real database's keypad: programming from ButtonType and Direction, names from engravings, LEDs."""
    document = b"""<Project><Areas><Area Name="P" IntegrationID="0"><Areas>
      <Area Name="Hall" IntegrationID="7"><Outputs/><DeviceGroups><DeviceGroup Name="Hall"><Devices>
        <Device Name="Door" IntegrationID="30" DeviceType="HWI_SEETOUCH_KEYPAD" SerialNumber="00ab">
          <Components>
            <Component ComponentNumber="1" ComponentType="BUTTON"><Button Engraving="All on" ButtonType="Toggle"/></Component>
            <Component ComponentNumber="2" ComponentType="BUTTON"><Button ButtonType="MasterRaiseLower" Direction="Lower"/></Component>
            <Component ComponentNumber="3" ComponentType="BUTTON"><Button ButtonType="LEDControl"/></Component>
            <Component ComponentNumber="90" ComponentType="BUTTON"><Button Engraving="far"/></Component>
            <Component ComponentNumber="81" ComponentType="LED"><LED/></Component>
            <Component ComponentNumber="200" ComponentType="LED"><LED/></Component>
            <Component ComponentNumber="11" ComponentType="CCI"><CCI/></Component>
          </Components>
          <Components><Component ComponentNumber="4" ComponentType="BUTTON"/></Components>
        </Device>
        <Device Name="Eye" IntegrationID="31" DeviceType="MOTION_SENSOR" SerialNumber="00cd"/>
        <Device Name="Fan" IntegrationID="32" DeviceType="CEILING_FAN"/>
      </Devices></DeviceGroup></DeviceGroups></Area></Areas></Area></Areas></Project>"""
    database = parse_database(document)
    keypad = database.description.device("00AB")
    assert keypad.model == "seeTouch Keypad"
    assert (
        keypad.device_type == KeypadType.SEETOUCH
    )  # D4: a keypad type LEAP has no name for
    assert [(b.number, b.name, b.engraving) for b in keypad.buttons] == [
        (1, "All on", "All on"),
        (2, "Button 2", ""),
        (3, "Button 3", ""),
    ]
    assert keypad.input(1).programming == ButtonProgramming(ProgrammingModel.TOGGLE)
    assert keypad.input(2).programming == ButtonProgramming(ProgrammingModel.LOWER)
    assert keypad.input(3).programming is None
    assert [led.number for led in keypad.indicators] == [1]
    sensor = database.description.device("00CD")
    assert (sensor.kind, sensor.area, sensor.model, sensor.device_type) == (
        DeviceKind.OCCUPANCY_SENSOR,
        "Hall",
        "Occupancy sensor",
        OccupancySensorType.OCCUPANCY,
    )
    assert database.occupancy_groups == {7: ("00CD",)}
    assert len(database.description.devices) == 2


def test_d7_outputs_no_device_took_are_the_area_group() -> None:
    """D7, LP16: a real database's dimmed, shade, switched and CCO outputs of a room without modules."""
    document = b"""<Project><Areas><Area Name="P" IntegrationID="0"><Areas>
      <Area Name="Den" IntegrationID="40"><Outputs>
        <Output Name="Cans" IntegrationID="41" OutputType="AUTO_DETECT" Wattage="240"/>
        <Output Name="Shade" IntegrationID="42" OutputType="SIVOIA_QED" Wattage="0"/>
        <Output Name="Fan" IntegrationID="43" OutputType="CEILING_FAN_TYPE" Wattage="0"/>
        <Output Name="Lamp" IntegrationID="44" OutputType="NON_DIM" Wattage="60"/>
        <Output Name="Gate" IntegrationID="45" OutputType="CCO_PULSED" Wattage="0"/>
        <Output Name="Tape" IntegrationID="46" OutputType="FLUORESCENT_DB" Wattage="0"/>
      </Outputs><DeviceGroups/></Area>
      <Area Name="Empty" IntegrationID="50"><Outputs>
        <Output Name="Fan" IntegrationID="51" OutputType="CEILING_FAN_TYPE" Wattage="0"/>
      </Outputs></Area>
    </Areas></Area></Areas></Project>"""
    (group,) = parse_dbxml(document).devices
    assert (group.kind, group.serial, group.integration_id, group.name) == (
        DeviceKind.AREA_GROUP,
        "00000000-area-40",
        40,
        "Den",
    )
    assert [(o.number, o.integration_id, o.control_type) for o in group.outputs] == [
        (1, 41, ControlType.DIMMED),
        (2, 42, ControlType.SHADE),
        (3, 44, ControlType.SWITCHED),
        (4, 45, ControlType.CCO),
        (5, 46, ControlType.DIMMED),
    ]
    cans = group.zone(1)
    assert (cans.amps, cans.load_type, cans.is_light) == (
        2.0,
        LoadType.INCANDESCENT,
        True,
    )
    assert group.zone(2).is_light is False
    assert group.zone(5).load_type is LoadType.ELECTRONIC_BALLAST


def _keypad_db(button: str = "", output: str = "") -> bytes:
    return (
        "<Project><Areas><Area Name='P'><Areas><Area Name='A' IntegrationID='9'><Outputs>"
        f"{output}</Outputs><DeviceGroups><DeviceGroup Name='A'><Devices>"
        f"<Device Name='K' IntegrationID='{KEYPAD_ID}' DeviceType='SEETOUCH_KEYPAD' SerialNumber='00F1'>"
        f"<Components><Component ComponentNumber='1' ComponentType='BUTTON'><Button {button}/></Component>"
        "</Components></Device>"
        "<Device Name='S' IntegrationID='20' DeviceType='QS_SHADE' SerialNumber='00E1'/>"
        "</Devices></DeviceGroup></DeviceGroups></Area></Areas></Area></Areas></Project>"
    ).encode()


SHADE_OUTPUT = "<Output Name='s' IntegrationID='21' OutputType='SYSTEM_SHADE' Wattage='0' DeviceSerialNumber='00E1'/>"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _keypad_db("ProgrammingModel='Dance'", SHADE_OUTPUT),
            "ProgrammingModel='Dance'",
        ),
        (
            _keypad_db(
                "ProgrammingModel='SingleActionProgrammingModel' Targets='1:x'",
                SHADE_OUTPUT,
            ),
            "output:level",
        ),
        (_keypad_db("IntegrationID='one'", SHADE_OUTPUT), "not an integer"),
        (
            _keypad_db(
                output=SHADE_OUTPUT.replace("Wattage", "ControlType='round' Wattage")
            ),
            "ControlType='round'",
        ),
        (_keypad_db(), "Shade 00E1 does not have one output"),
        (
            _keypad_db(output=SHADE_OUTPUT + SHADE_OUTPUT.replace("'21'", "'22'")),
            "one output",
        ),
        (
            _keypad_db(output=SHADE_OUTPUT.replace("00E1", "none") + SHADE_OUTPUT),
            "Duplicate",
        ),
    ],
)
def test_d_invalid_house_databases(data: bytes, message: str) -> None:
    """A house database that cannot be rebuilt is `InvalidDatabaseError` naming the cause."""
    with pytest.raises(InvalidDatabaseError) as err:
        parse_dbxml(data)
    assert message in str(err.value)


def test_d5_only_positions_1_to_80_are_listed() -> None:
    """D5, H4: a Pico-like button 0 and a position beyond 80 are not listed (LIP cannot address them)."""
    keypad = HOUSE.device(KEYPAD)
    odd = replace(
        keypad,
        inputs=(
            *keypad.inputs,
            replace(keypad.inputs[0], number=0),
            replace(keypad.inputs[0], number=81),
        ),
        indicators=(*keypad.indicators, replace(keypad.indicators[0], number=0)),
    )
    house = replace(
        HOUSE, devices=tuple(odd if d is keypad else d for d in HOUSE.devices)
    )
    root = ET.fromstring(build_dbxml(house))  # noqa: S314 - our own document
    device = next(d for d in root.iter("Device") if d.get("SerialNumber") == KEYPAD)
    numbers = sorted(
        int(c.get("ComponentNumber") or 0) for c in device.iter("Component")
    )
    assert numbers == [1, 2, 3, 4, 5, 6, 81, 82, 85, 86]
    assert parse_dbxml(build_dbxml(house)).device(KEYPAD) == keypad


def test_d2_dimmed_zone_that_is_not_a_light_and_device_types() -> None:
    """D2, D4: a dimmed zone that is not a light keeps it (ours `IsLight`); every kind has its device type."""
    dimmer = HOUSE.device(DIMMER)
    fan = replace(dimmer.zones[3], is_light=False)
    changed = replace(dimmer, outputs=(*dimmer.outputs[:3], fan))
    house = replace(
        HOUSE, devices=tuple(changed if d is dimmer else d for d in HOUSE.devices)
    )
    assert parse_dbxml(build_dbxml(house)).device(DIMMER).zone(4).is_light is False
    assert [
        device_type(d) for d in HOUSE.devices if d.kind is not DeviceKind.TIMECLOCK
    ] == [
        "QS_SWITCHING_POWER_MODULE",
        "QS_SWITCHING_POWER_MODULE",
        "QS_SWITCHING_POWER_MODULE",
        "QS_DIMMING_POWER_MODULE",
        "QS_SHADE",
        "QS_SHADE",
        "SEETOUCH_KEYPAD",
        "PALLADIOM_KEYPAD",
        "HOMEOWNER_KEYPAD",
        "MOTION_SENSOR",
    ]


def test_d7_an_output_its_device_cannot_take_is_the_area_s() -> None:
    """D7: a CCO naming a shade as its device is not the shade's: it joins the room's area group."""
    document = _keypad_db(
        output=SHADE_OUTPUT
        + "<Output Name='g' IntegrationID='23' OutputType='CCO_MAINTAINED' Wattage='0' DeviceSerialNumber='00E1'/>"
    )
    description = parse_dbxml(document)
    assert [o.integration_id for o in description.device("00E1").outputs] == [21]
    group = next(d for d in description.devices if d.kind is DeviceKind.AREA_GROUP)
    assert [(o.integration_id, o.control_type) for o in group.outputs] == [
        (23, ControlType.CCO)
    ]


def test_d1_roundtrip_of_a_house_from_a_description_file() -> None:
    """D1-D6: a house written in the description format (system-description.md) survives the database."""
    described = parse_description(
        {
            "name": "Described house",
            "processor": {"serial": "0A0B0C0D"},
            "modules": [{"area": "Kitchen"}],
            "dimming_modules": [{"area": "Dining", "zones": ["Chandelier", "Sconces"]}],
            "shades": [{"area": "Living", "type": "shade_with_tilt"}],
            "keypads": [
                {
                    "type": "palladiom",
                    "area": "Kitchen",
                    "buttons": [
                        {
                            "engraving": "Cook",
                            "programming": {"model": "single_action", "targets": [11]},
                        },
                        {
                            "engraving": "Shade",
                            "programming": {
                                "model": "open_stop_close_stop",
                                "targets": [31],
                            },
                        },
                    ],
                },
                {"type": "homeowner", "buttons": ["Away", "Home"]},
            ],
            "occupancy_sensors": [{"area": "Kitchen"}],
            "timeclocks": [{"events": [{"type": "sunset", "targets": [21]}]}],
        }
    )
    database = parse_database(build_dbxml(described))
    assert {d.serial: d for d in database.description.devices} == {
        d.serial: d for d in described.devices if d.kind is not DeviceKind.TIMECLOCK
    }
    assert list(database.occupancy_groups.values()) == [
        tuple(
            d.serial for d in described.devices if d.kind is DeviceKind.OCCUPANCY_SENSOR
        )
    ]
