"""The model built from what a processor reports (LP10–LP17), from hand-made answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import LinkType, ProcessorModel
from custom_components.homeworks_qsx.qsx.leap.system import (
    UNKNOWN_DATE,
    Snapshot,
    build_system,
    database_date,
    serial_text,
)
from custom_components.homeworks_qsx.qsx.model import (
    Capability,
    ControlType,
    DeviceKind,
    OutputRef,
)


def snapshot(**overrides: Any) -> Snapshot:
    """Return a processor with links, and one area holding zones of every control type, two the model lacks."""
    fields: dict[str, Any] = {
        "project": {
            "Name": "Villa",
            "ProjectModifiedTimestamp": {
                "Year": 2026,
                "Month": 3,
                "Day": 4,
                "Hour": 5,
                "Minute": 6,
                "Second": 7,
            },
        },
        "processor": {
            "href": "/device/9",
            "Name": "Rack",
            "SerialNumber": 0x1234ABCD,
            "ModelNumber": "HQP7-1",
            "FirmwareImage": {"Firmware": {"DisplayName": "22.02.17f000"}},
            "NetworkInterfaces": [{"MACAddress": "00:11:22:33:44:55"}],
        },
        "links": [
            {"href": "/link/3", "LinkType": "QS", "LinkNumber": 1},
            {"href": "/link/4", "LinkType": "RF"},
            {"href": "/link/5", "LinkType": "ClearConnectTypeA"},
        ],
        "areas": [{"href": "/area/2", "Name": "Hall"}],
        "devices": [
            {
                "href": "/device/20",
                "DeviceType": "Unknown",
                "Name": "Enclosure Device 001",
            }
        ],
        "area_zones": {
            2: [
                {"href": "/zone/11", "Name": "Lamp", "ControlType": "Switched"},
                {
                    "href": "/zone/12",
                    "Name": "Pump",
                    "ControlType": "Switched",
                    "Category": {"Type": "", "IsLight": False},
                },
                {"href": "/zone/13", "Name": "Gate", "ControlType": "CCO"},
                {"href": "/zone/14", "Name": "Downlights", "ControlType": "Dimmed"},
                {"href": "/zone/15", "Name": "Blind", "ControlType": "Shade"},
                {
                    "href": "/zone/16",
                    "Name": "Table Lamp",
                    "ControlType": "SpectrumTune",
                },
                {"href": "/zone/17", "Name": "Screen", "ControlType": "OpenCloseStop"},
                {"Name": "no href"},
            ]
        },
    }
    return Snapshot(**(fields | overrides))


def test_processor_links_and_groups() -> None:
    """LP11, LP16, LP24, LP30, LP51: the processor is the hub; zones no device owns form the area's group."""
    description = build_system(snapshot())
    processor = description.processor
    assert (processor.serial, processor.model, processor.name) == (
        "1234ABCD",
        ProcessorModel.HQP7_1,
        "Rack",
    )
    assert (processor.firmware, processor.mac, processor.integration_id) == (
        "22.02.17f000",
        "00:11:22:33:44:55",
        9,
    )
    assert [(link.number, link.link_type) for link in description.links] == [
        (1, LinkType.QS),
        (3, LinkType.CLEAR_CONNECT_A),  # the RF link is not one a QSX module sits on
    ]
    assert description.database_date == "03/04/2026,05:06:07"
    (group,) = description.devices
    assert (group.serial, group.name, group.area, group.integration_id) == (
        "1234ABCD-area-2",
        "Hall",
        "Hall",
        2,
    )
    assert (group.kind, group.capabilities) == (
        DeviceKind.AREA_GROUP,
        frozenset({Capability.ZONES, Capability.LEVELS}),
    )
    assert [
        (output.name, output.control_type, getattr(output, "is_light", None))
        for output in group.outputs
    ] == [
        ("Lamp", ControlType.SWITCHED, True),
        ("Pump", ControlType.SWITCHED, False),
        ("Gate", ControlType.CCO, None),
        ("Downlights", ControlType.DIMMED, True),
        ("Blind", ControlType.SHADE, True),
    ]
    assert [description.output(zone_id) for zone_id in (11, 12, 13, 14, 15)] == [
        OutputRef(group, number) for number in range(1, 6)
    ]
    assert description.output(16) is None


def test_lp58_other_control_types_logged_once_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LP58: zones of other control types are skipped, said so once at debug level, and counted by type."""
    caplog.set_level(logging.DEBUG)
    shared = snapshot()
    build_system(shared)
    build_system(shared)
    skipped = [r.message for r in caplog.records if "skipped" in r.message]
    assert len([m for m in skipped if "Table Lamp" in m]) == 1
    assert len([m for m in skipped if "Screen" in m]) == 1
    assert shared.skipped == {16, 17}
    assert shared.unknown_control_types == {"SpectrumTune": 1, "OpenCloseStop": 1}
    assert shared.unknown_device_types == {"Unknown": 1}


def test_what_the_processor_leaves_out() -> None:
    """Missing names, firmware, timestamp and an unknown model get plain defaults; no serial is an error."""
    description = build_system(
        snapshot(
            project={"ProjectModifiedTimestamp": {"Year": "x"}},
            processor={"SerialNumber": 7, "ModelNumber": "HQP9"},
            links=[],
            areas=[],
        )
    )
    assert description.processor.model is ProcessorModel.HQP7_1
    assert description.processor.firmware == "unknown"
    assert description.processor.mac is None
    assert description.name == "HomeWorks QSX processor"
    assert description.database_date == UNKNOWN_DATE
    assert description.devices[0].name == "Area 2"
    with pytest.raises(ValueError, match="SerialNumber"):
        build_system(snapshot(processor={"SerialNumber": "12"}))


def test_only_complete_modules_become_modules() -> None:
    """LP16: a device owning four switched zones and a CCO is a module; anything else goes to its area's group."""
    zones = [
        {"href": f"/zone/{n}", "Name": f"Z{n}", "ControlType": "Switched"}
        for n in range(30, 34)
    ] + [{"href": "/zone/34", "Name": "Out", "ControlType": "CCO"}]
    local = [{"href": zone["href"]} for zone in zones]
    devices = [
        {
            "href": "/device/40",
            "SerialNumber": 0xA1,
            "Name": "Panel",
            "AssociatedArea": {"href": "/area/2"},
            "LocalZones": local,
        },
        {"href": "/device/41", "SerialNumber": 0xA2, "LocalZones": local[:2]},
    ]
    description = build_system(snapshot(devices=devices, area_zones={2: zones}))
    (module,) = description.modules
    assert (module.serial, module.name, module.area, module.integration_id) == (
        "000000A1",
        "Panel",
        "Hall",
        40,
    )
    assert [zone.name for zone in module.zones] == ["Z30", "Z31", "Z32", "Z33"]
    assert (module.cco.name, module.link, module.address) == ("Out", 0, 0)
    assert description.devices == (module,)
    assert module.kind is DeviceKind.SWITCHING_MODULE
    assert description.output(34) == OutputRef(module, None)


@pytest.mark.parametrize(
    ("value", "text"), [(0xA1, "000000A1"), (True, None), ("A1", None), (-1, None)]
)
def test_serial_text(value: Any, text: str | None) -> None:
    """LP11: serials are integers; anything else is no serial."""
    assert serial_text(value) == text


def test_database_date_needs_every_field() -> None:
    """LP10: a timestamp missing a field, or none at all, is unknown."""
    assert database_date(None) == UNKNOWN_DATE
    assert database_date({"Year": 2026}) == UNKNOWN_DATE
