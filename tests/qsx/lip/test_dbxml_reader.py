"""The database is read in one streaming pass: it must find exactly what ElementTree's `find` / `iter` would.

Each case puts an element where a careless reader would take it (the wrong depth, a second copy, outside its
parent) and checks that the parsed system is the one a tree-based reading gives.
"""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.errors import InvalidDatabaseError
from custom_components.homeworks_qsx.qsx.lip.dbxml import parse_dbxml

ZONES = "".join(
    f'<Output Name="z{n}" IntegrationID="{20 + n}" OutputType="NON_DIM" Wattage="0"/>'
    for n in range(1, 5)
)
CCO = '<Output Name="c" IntegrationID="25" OutputType="CCO_MAINTAINED" Wattage="0"/>'
DEVICE = (
    "<Device Name='M' IntegrationID='20' DeviceType='QS_SWITCHING_POWER_MODULE' "
    "SerialNumber='0000ABCD'/>"
)
GROUPS = f"<DeviceGroups><DeviceGroup Name='A'><Devices>{DEVICE}</Devices></DeviceGroup></DeviceGroups>"
ROOM = f"<Outputs>{ZONES}{CCO}</Outputs>{GROUPS}"  # one module, as a room holds it


def _project(head: str = "", area: str = "", tail: str = "") -> bytes:
    """Return a project with one room `A` holding `area`, `head` before the areas and `tail` after them."""
    return (
        f"<Project>{head}<Areas><Area Name='P'><Areas><Area Name='A'>{area}</Area></Areas></Area>"
        f"</Areas>{tail}</Project>"
    ).encode()


def test_guid_text_stops_at_its_first_child() -> None:
    """The GUID is the text before any child element, as ElementTree's `findtext` reads it."""
    description = parse_dbxml(_project("<GUID> 0123456789ab <x/>tail</GUID>"))
    assert description.guid == "0123456789ab"


def test_only_the_first_guid_and_project_name_count_every_processor_counts() -> None:
    """A second GUID or ProjectName, or one below the root, is not read; every `Processor` of the root is (D8, P4)."""
    head = (
        "<ProjectName ProjectName='First'/><ProjectName ProjectName='Second'/>"
        "<GUID>first-guid-0001</GUID><GUID>second-guid-0002</GUID>"
        "<Processor SerialNumber='0000AAAA'><Links><Link Number='1' LinkType='qs'/></Links>"
        "<Links><Link Number='2'/></Links></Processor>"
        "<Processor SerialNumber='0000bbbb' IntegrationID='2'/>"
        "<Other><ProjectName ProjectName='Deep'/><GUID>deep</GUID>"
        "<Processor SerialNumber='0000CCCC' IntegrationID='3'/></Other>"
    )
    description = parse_dbxml(_project(head, ROOM))
    assert description.name == "First"
    assert description.guid == "first-guid-0001"
    assert description.processor.serial == "0000AAAA"
    assert [p.serial for p in description.other_processors] == ["0000BBBB"]
    # The first processor's one link, then the second's (it lists none: every link of its model).
    assert [(link.number, link.processor) for link in description.links] == [
        (1, None),
        (1, "0000BBBB"),
        (2, "0000BBBB"),
    ]


def test_processors_that_repeat_a_serial_or_an_id_are_refused() -> None:
    """P4, L3: one id space and unique serials across the processors of a project."""
    same_serial = "<Processor SerialNumber='0000AAAA'/><Processor SerialNumber='0000aaaa' IntegrationID='2'/>"
    with pytest.raises(InvalidDatabaseError, match="processor serial"):
        parse_dbxml(_project(same_serial, ROOM))
    same_id = "<Processor SerialNumber='0000AAAA'/><Processor SerialNumber='0000BBBB'/>"
    with pytest.raises(
        InvalidDatabaseError, match="Duplicate device integration ids: \\[1\\]"
    ):
        parse_dbxml(_project(same_id, ROOM))


def test_a_device_naming_the_first_processor_is_on_its_links() -> None:
    """D8, P3: a device that names the first processor shares the link of those that name none."""
    second = (
        DEVICE.replace("0000ABCD", "0000EEEE")
        .replace("'20'", "'40'")
        .replace("<Device ", "<Device Processor='0000aaaa' ")
    )
    outputs = ZONES + CCO + ZONES.replace('"2', '"4') + CCO.replace('"25"', '"45"')
    first = DEVICE.replace("<Device ", "<Device Link='1' Address='1' ")
    area = (
        f"<Outputs>{outputs}</Outputs><DeviceGroups><DeviceGroup Name='A'><Devices>{first}{second}"
        "</Devices></DeviceGroup></DeviceGroups>"
    )
    description = parse_dbxml(_project("<Processor SerialNumber='0000AAAA'/>", area))
    assert [(m.processor, m.link, m.address) for m in description.modules] == [
        (None, 1, 1),
        (None, 1, 2),
    ]


def test_a_device_on_an_unknown_processor_is_refused() -> None:
    """D8: a device names the processor whose link it is on; a serial the database does not list is an error."""
    device = DEVICE.replace("<Device ", "<Device Processor='0000FFFF' ")
    with pytest.raises(InvalidDatabaseError, match="0000FFFF"):
        parse_dbxml(
            _project(
                area=f"<Outputs>{ZONES}{CCO}</Outputs>{GROUPS.replace(DEVICE, device)}"
            )
        )


def test_links_count_only_under_the_processor() -> None:
    """`Links/Link` of the processor; links elsewhere are not the processor's."""
    head = "<Links><Link Number='7'/></Links><Processor><Link Number='8'/></Processor>"
    description = parse_dbxml(_project(head, ROOM))
    assert [link.number for link in description.links] == [
        1,
        2,
    ]  # the model's default links


def test_outputs_count_only_in_the_first_outputs_of_their_area() -> None:
    """Outputs outside an area's first `<Outputs>` belong to no module."""
    stray = '<Output Name="s" IntegrationID="30" OutputType="NON_DIM" Wattage="0"/>'
    area = (
        f"<Outputs>{ZONES}{CCO}</Outputs><Outputs>{stray}</Outputs>"
        f"<Other><Outputs>{stray}</Outputs>{stray}</Other>{GROUPS}"
    )
    (module,) = parse_dbxml(_project(area=area)).modules
    assert [zone.integration_id for zone in module.zones] == [21, 22, 23, 24]


def test_devices_count_only_in_the_first_device_groups_of_their_area() -> None:
    """A module in a second `<DeviceGroups>`, or in groups outside an area, is not a module of the system."""
    other = DEVICE.replace("0000ABCD", "0000EEEE").replace("'20'", "'40'")
    area = (
        f"<Outputs>{ZONES}{CCO}</Outputs>{GROUPS}"
        f"<DeviceGroups><Devices>{other}</Devices></DeviceGroups>"
    )
    tail = f"<DeviceGroups>{other}</DeviceGroups>"
    (module,) = parse_dbxml(_project(area=area, tail=tail)).modules
    assert module.serial == "0000ABCD"


def test_areas_outside_the_first_root_areas_are_not_rooms() -> None:
    """Only the root's first `<Areas>` holds the rooms."""
    other = (
        f"<Areas><Area Name='B'><Outputs>{ZONES}{CCO}</Outputs>{GROUPS}</Area></Areas>"
    )
    description = parse_dbxml(_project(area=ROOM, tail=other))
    assert [module.area for module in description.modules] == ["A"]


@pytest.mark.parametrize("size", [1, 3])
def test_nested_rooms_keep_their_own_modules(size: int) -> None:
    """Rooms inside rooms: each module belongs to the room whose groups hold it."""
    rooms = ""
    for index in range(size):
        serial = f"{index + 1:08X}"
        base = 100 + 10 * index
        outputs = "".join(
            f'<Output Name="z" IntegrationID="{base + n}" OutputType="NON_DIM" Wattage="0" '
            f'DeviceSerialNumber="{serial}" Zone="{n}"/>'
            for n in range(1, 5)
        )
        cco = (
            f'<Output Name="c" IntegrationID="{base + 5}" OutputType="CCO_PULSED" Wattage="0" '
            f'DeviceSerialNumber="{serial}"/>'
        )
        device = (
            f"<Device Name='M{index}' IntegrationID='{base}' DeviceType='QS_SWITCHING_POWER_MODULE' "
            f"SerialNumber='{serial}'/>"
        )
        rooms = (
            f"<Area Name='R{index}'><Outputs>{outputs}{cco}</Outputs>"
            f"<DeviceGroups><Devices>{device}</Devices></DeviceGroups><Areas>{rooms}</Areas></Area>"
        )
    description = parse_dbxml(_project(area=f"<Areas>{rooms}</Areas>"))
    assert sorted((module.name, module.area) for module in description.modules) == [
        (f"M{index}", f"R{index}") for index in range(size)
    ]
