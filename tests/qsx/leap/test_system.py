"""The model built from what a processor reports (LP10–LP17), from hand-made answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import LedState, LinkType, ProcessorModel
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.leap.system import (
    UNKNOWN_DATE,
    Snapshot,
    ZoneReading,
    area_occupancy,
    body_statuses,
    build_system,
    button_event,
    button_status_urls,
    database_date,
    led_status,
    listed_reads,
    placement,
    serial_text,
    status_zone_id,
    timeclock_enabled,
)
from custom_components.homeworks_qsx.qsx.model import (
    Capability,
    ControlType,
    DeviceKind,
    OutputRef,
    TimeclockEventType,
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


def test_lp29_lp58_other_control_types_logged_once_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LP58: zones of other control types are skipped, said so once at debug level, and counted by type.

    LP29: a tunable zone (`SpectrumTune`, where warm dim lives) is not taken for a dimmed light.
    """
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
        build_system(snapshot(processor={"SerialNumber": "twelve"}))


def test_lp58_a_serial_number_sent_as_a_string_of_digits_is_the_same_serial() -> None:
    """LP11, LP58: `SerialNumber` as a string of its decimal digits reads as the integer would."""
    as_text = build_system(snapshot(processor={"SerialNumber": " 1296126021 "}))
    as_number = build_system(snapshot(processor={"SerialNumber": 1296126021}))
    assert as_text.processor.serial == as_number.processor.serial == "4D415045"


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


def _button(
    number: Any, button_id: int, led: int | None = None, **extra: Any
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "href": f"/button/{button_id}",
        "ButtonNumber": number,
        "Name": f"Button {number}",
        **extra,
    }
    if led is not None:
        button["AssociatedLED"] = {"href": f"/led/{led}"}
    return button


def test_lp51_zones_belong_to_the_lowest_device_listing_them() -> None:
    """LP16, LP24, LP30, LP51: a zone listed by two devices goes to the lower id; what a device owns makes it.

    Only dimmed zones: a dimming module; one shade: a shade; any other mix: nothing, its zones in the area's group.
    A device without a serial is keyed by its id; one without an area takes its first zone's.
    """
    devices = [
        {
            "href": "/device/50",
            "SerialNumber": 0xB2,
            "Name": "Blind",
            "ModelNumber": "QS Shade",
            "AssociatedArea": {"href": "/area/2"},
            "LocalZones": [{"href": "/zone/14"}, {"href": "/zone/15"}],
        },
        {
            "href": "/device/45",
            "DeviceType": "DimmingPowerModule",
            "LocalZones": [{"href": "/zone/14"}],
        },
        {
            "href": "/device/60",
            "Name": "Mixed",
            "LocalZones": [{"href": "/zone/11"}, {"href": "/zone/13"}],
        },
        {
            "href": "/device/61",
            "DeviceType": "KetraD3",
            "LocalZones": [{"href": "/zone/16"}],
        },
        {"href": "/device/62", "Name": "Relay", "LocalZones": [{"href": "/zone/12"}]},
        {"DeviceType": "Unknown", "Name": "no href"},
    ]
    shared = snapshot(devices=devices)
    description = build_system(shared)
    dimmer = description.device("1234ABCD_45")
    assert (
        dimmer.kind,
        dimmer.name,
        dimmer.area,
        dimmer.serial_number,
        dimmer.model,
    ) == (
        DeviceKind.DIMMING_MODULE,
        "Device 45",
        "Hall",
        None,
        None,
    )
    assert [(o.integration_id, o.control_type) for o in dimmer.outputs] == [
        (14, ControlType.DIMMED)
    ]
    blind = description.device("000000B2")
    assert (blind.kind, blind.model, blind.serial_number) == (
        DeviceKind.SHADE,
        "QS Shade",
        "000000B2",
    )
    assert description.output(15) == OutputRef(blind, 1)
    group = description.device("1234ABCD-area-2")
    assert [o.integration_id for o in group.outputs] == [11, 12, 13]
    assert shared.unknown_device_types == {"KetraD3": 1}


def test_lp34_lp36_keypads_from_stations_and_button_groups() -> None:
    """LP34–LP36: keypads from control stations and button groups; odd buttons and entries are passed over.

    A keypad a station names but the device list does not is made from the station's entry. A button without a
    number, one that is not an object, a second button at a position are skipped; a group without `Buttons` is
    empty (LP58). A sensor-type device with buttons is a keypad.
    """
    stations = {
        2: [
            {
                "href": "/controlstation/90",
                "Name": "Door",
                "AssociatedGangedDevices": [
                    {"Device": {"DeviceType": "SeeTouchKeypad", "href": "/device/70"}},
                    {"Device": {"DeviceType": "PalladiomKeypad", "href": "/device/80"}},
                    {"Device": {"DeviceType": "PalladiomKeypad", "href": "/device/88"}},
                    {"Device": "not an object"},
                    "not a gang",
                ],
            },
            {
                "href": "/controlstation/91",
                "Name": "Other",
                "AssociatedGangedDevices": "none",
            },
        ]
    }
    groups: dict[int, list[Any]] = {
        70: [
            {
                "href": "/buttongroup/71",
                "Buttons": [
                    _button(1, 72, 73, Engraving={"Text": "  Dinner\nParty "}),
                    _button(1, 74),  # the same position again
                    _button(None, 75),
                    _button(True, 76),
                    "not a button",
                    {"ButtonNumber": 2},  # no href
                    _button(
                        3, 77, ProgrammingModel={"ProgrammingModelType": "Mystery"}
                    ),
                ],
            },
            {"href": "/buttongroup/78"},
        ],
        80: [{"href": "/buttongroup/81", "Buttons": [_button(2, 82, 83)]}],
        85: [{"href": "/buttongroup/86", "Buttons": [_button(1, 87)]}],
    }
    devices = [
        {
            "href": "/device/70",
            "DeviceType": "SeeTouchKeypad",
            "Name": "Door",
            "ModelNumber": "QSWS2-7B",
            "SerialNumber": 0x70,
            "AssociatedArea": {"href": "/area/2"},
        },
        {
            "href": "/device/85",
            "DeviceType": "RPSOccupancySensor",
            "Name": "Odd",
            "AssociatedArea": {"href": "/area/2"},
        },
    ]
    shared = snapshot(devices=devices, control_stations=stations, button_groups=groups)
    description = build_system(shared)
    door = description.device("00000070")
    assert (door.kind, door.name, door.model, door.area) == (
        DeviceKind.KEYPAD,
        "Door",
        "QSWS2-7B",
        "Hall",
    )
    assert [
        (b.number, b.integration_id, b.engraving, b.programming) for b in door.buttons
    ] == [
        (1, 72, "Dinner Party", None),
        (3, 77, "", None),
    ]
    assert [(i.number, i.integration_id, i.name) for i in door.indicators] == [
        (1, 73, "Button 1 LED")
    ]
    assert description.input_by_integration_id(77) == (door, door.input(3))
    station_only = description.device("1234ABCD_80")
    assert (station_only.name, station_only.area, station_only.model) == (
        "Door Keypad 80",
        "Hall",
        None,
    )
    assert description.indicator_by_integration_id(83)[1].number == 2
    odd = description.device("1234ABCD_85")
    assert odd.kind is DeviceKind.KEYPAD
    assert placement(shared, description).sensors_by_area == {}
    with pytest.raises(UnknownObjectError):  # a keypad without buttons is none
        description.device("1234ABCD_88")
    urls = button_status_urls(groups[70])
    assert urls.events == [
        "/button/72/status/event",
        "/button/74/status/event",
        "/button/75/status/event",
        "/button/76/status/event",
        "/button/77/status/event",
    ]
    assert urls.leds == ["/led/73/status"]


def test_lp43_lp45_sensors_and_timeclocks() -> None:
    """LP43: a sensor of one of the three RPS types is its area's; LP45: each timeclock, keyed by its id."""
    devices = [
        {
            "href": "/device/30",
            "DeviceType": "RPSWallMountedOccupancySensor",
            "SerialNumber": 0x30,
            "ModelNumber": "LRF2-OWLB-P",
            "AssociatedArea": {"href": "/area/2"},
        },
        {
            "href": "/device/31",
            "DeviceType": "RPSOccupancySensor",
        },  # no area: its occupancy is nobody's
    ]
    shared = snapshot(
        devices=devices,
        timeclocks=[
            {"href": "/timeclock/5", "Name": "Normal"},
            {"Name": "no href"},
            {"href": "/timeclock/6"},
        ],
    )
    description = build_system(shared)
    sensor = description.device("00000030")
    assert (sensor.kind, sensor.name, sensor.area, sensor.model) == (
        DeviceKind.OCCUPANCY_SENSOR,
        "Occupancy sensor",
        "Hall",
        "LRF2-OWLB-P",
    )
    assert description.device("1234ABCD_31").area == ""
    clocks = [d for d in description.devices if d.kind is DeviceKind.TIMECLOCK]
    assert [(c.serial, c.name, c.serial_number) for c in clocks] == [
        ("1234ABCD-timeclock-5", "Normal", None),
        ("1234ABCD-timeclock-6", "Timeclock 6", None),
    ]
    where = placement(shared, description)
    assert where.sensors_by_area == {2: ("00000030",)}
    assert where.timeclocks == {5: "1234ABCD-timeclock-5", 6: "1234ABCD-timeclock-6"}


@pytest.mark.parametrize(
    ("status", "reading"),
    [
        ({"Level": 62.5, "StatusAccuracy": "Good"}, (True, 62.5, None, True)),
        ({"Level": 150}, (True, 100.0, None, True)),
        ({"Level": float("nan")}, (None, None, None, True)),
        ({"Level": True}, (None, None, None, True)),
        ({"Level": 0, "Tilt": 30, "StatusAccuracy": "Bad"}, (False, 0.0, 30.0, False)),
        ({"SwitchedLevel": "On"}, (True, None, None, True)),
        ({"CCOLevel": "Closed"}, (True, None, None, True)),
        ({"Availability": "Available"}, (None, None, None, True)),
    ],
)
def test_lp24_lp58_zone_readings(
    status: dict[str, Any], reading: tuple[Any, ...]
) -> None:
    """LP14, LP15, LP24, LP30, LP58: what a zone status says, key by key; floats, odd values, `Bad` accuracy."""
    found = ZoneReading()
    found.merge(status)
    assert (found.on, found.level, found.tilt, found.accurate) == reading


def test_lp57_status_readers() -> None:
    """LP38, LP41, LP43, LP45, LP57: each status names its object by its link, else its own href."""
    assert led_status({"LED": {"href": "/led/4"}, "State": "RapidFlash"}) == (
        4,
        LedState.RAPID_FLASH,
    )
    assert led_status({"href": "/zone/4/status", "State": "On"}) is None
    assert area_occupancy({"href": "/area/3/status", "OccupancyStatus": "Unknown"}) == (
        3,
        None,
    )
    assert area_occupancy({"href": "/area/3/status"}) is None
    assert timeclock_enabled(
        {"href": "/timeclock/2/status", "EnableState": "Disabled"}
    ) == (2, False)
    assert button_event(
        {"Button": {"href": "/button/9"}, "ButtonEvent": {"EventType": "Press"}}
    ) == (9, "Press")
    assert (
        button_event({"Button": {"href": "/button/9"}, "ButtonEvent": "Press"}) is None
    )
    assert status_zone_id({"href": 5}) is None
    assert body_statuses({"Body": None}, "zone") == []
    assert body_statuses(
        {"Body": {"ZoneStatuses": [1, {"href": "/zone/1/status"}]}}, "zone"
    ) == [{"href": "/zone/1/status"}]


def test_lp45_timeclock_events_the_model_can_hold() -> None:
    """LP45, LP58: fixed-time and astronomic events; odd ones (no time, another type, no parent) are skipped."""
    events: list[dict[str, Any]] = [
        {
            "href": "/timeclockevent/7",
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "FixedTime",
            "TimeOfDay": {"Hour": "7", "Minute": 30.0},
            "Monday": False,
        },
        {
            "href": "/timeclockevent/8",
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "FixedTime",
        },
        {
            "href": "/timeclockevent/9",
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "Astronomic",
            "AstronomicEventType": "Noon",
        },
        {
            "href": "/timeclockevent/10",
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "Astronomic",
            "AstronomicEventType": "Sunrise",
            "AstronomicTimeOffset": "soon",
        },
        {
            "href": "/timeclockevent/11",
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "Astronomic",
            "AstronomicEventType": "Sunset",
            "AstronomicTimeOffset": 2.5,
        },
        {
            "Parent": {"href": "/timeclock/5"},
            "TimeclockEventType": "FixedTime",
            "TimeOfDay": {},
        },
        {
            "href": "/timeclockevent/12",
            "TimeclockEventType": "FixedTime",
            "TimeOfDay": {},
        },
    ]
    description = build_system(
        snapshot(
            timeclocks=[{"href": "/timeclock/5", "Name": "Main"}],
            timeclock_events=events,
        )
    )
    (clock,) = [d for d in description.devices if d.kind is DeviceKind.TIMECLOCK]
    assert [
        (
            e.number,
            e.name,
            e.event_type,
            e.time_of_day,
            e.offset_minutes,
            e.days[1],
            e.integration_id,
        )
        for e in clock.schedule
    ] == [
        (1, "Event 7", TimeclockEventType.FIXED_TIME, (7, 30, 0), 0, False, 7),
        (2, "Event 10", TimeclockEventType.SUNRISE, (0, 0, 0), 0, True, 10),
        (3, "Event 11", TimeclockEventType.SUNSET, (0, 0, 0), 0, True, 11),
    ]


def test_lp52_other_processors_own_their_links_and_devices() -> None:
    """LP52: every other `HWQSProcessor` listed is a processor of the project, with the links it owns.

    One addressed (its serial), one as hwqsx lists its HQP7-RF (no serial: keyed as a device, LP51); the connected
    processor listed again and a processor listed twice are taken once. A device names the processor whose link its
    node is on (LP47), none for the one connected to; links are numbered per processor.
    """
    devices = [
        {
            "href": "/device/30",
            "DeviceType": "HWQSProcessor",
            "SerialNumber": 0x0A0B0C0E,
            "ModelNumber": "HQP7-2",
            "Name": "Pool House",
            "OwnedLinks": [
                {"href": "/link/31", "LinkType": "QS"},
                {"href": "/link/32", "LinkType": "QS"},
                {"LinkType": "QS"},
            ],
        },
        {
            "href": "/device/30",
            "DeviceType": "HWQSProcessor",
            "SerialNumber": 0x0A0B0C0E,
        },
        {
            "href": "/device/9",
            "DeviceType": "HWQSProcessor",
            "SerialNumber": 0x1234ABCD,
        },
        {
            "href": "/device/982",
            "DeviceType": "HWQSProcessor",
            "ModelNumber": "HQP7-RF",
            "Name": "Clear Connect X Gateway 001",
            "OwnedLinks": [{"href": "/link/983", "LinkType": "ClearConnectTypeX"}],
        },
        {
            "href": "/device/40",
            "DeviceType": "DimmingPowerModule",
            "SerialNumber": 64,
            "LocalZones": [{"href": "/zone/14"}],
        },
        {
            "href": "/device/50",
            "DeviceType": "Shade",
            "LocalZones": [{"href": "/zone/15"}],
        },
        {
            "href": "/device/60",
            "DeviceType": "KetraD3",
            "LocalZones": [{"href": "/zone/16"}],
        },
    ]
    link_nodes = {
        3: [{"href": "/device/50/linknode/51", "Parent": {"href": "/device/50"}}],
        31: [{"href": "/device/40/linknode/41"}, {}],  # no Parent: the node's own href
        983: [{"href": "/device/60/linknode/61", "Parent": {"href": "/device/60"}}],
    }
    other_links = {31: {"href": "/link/31", "LinkType": "QS", "LinkNumber": 1}}
    for prefix, key in ((None, "1234ABCD"), ("entry", "entry")):
        description = build_system(
            snapshot(devices=devices, link_nodes=link_nodes, other_links=other_links),
            prefix,
        )
        assert [
            (p.serial, p.model, p.name, p.integration_id)
            for p in description.other_processors
        ] == [
            ("0A0B0C0E", ProcessorModel.HQP7_2, "Pool House", 30),
            (f"{key}_982", ProcessorModel.HQP7_1, "Clear Connect X Gateway 001", 982),
        ]
        assert [
            (link.number, link.link_type, link.processor) for link in description.links
        ] == [
            (1, LinkType.QS, None),
            (3, LinkType.CLEAR_CONNECT_A, None),
            (1, LinkType.QS, "0A0B0C0E"),
            (2, LinkType.QS, "0A0B0C0E"),  # not read: numbered by its place
        ]
        module = description.device("00000040")
        shade = description.device(f"{key}_50")
        assert (module.processor, shade.processor) == ("0A0B0C0E", None)
        assert description.devices_of("0A0B0C0E") == (module,)
        assert description.device(f"{key}-area-2").processor is None


def test_lp51_zones_found_by_their_device_and_why_others_are_not() -> None:
    """LP47–LP51: a device listed without `LocalZones` takes its link node's, else the zones whose `Device` names it.

    `LocalZones` wins over a zone's `Device`; a device whose zones nothing names, or whose zones make no device of
    a known kind, stays unplaced, and `unplaced` says why, for the device and for each zone left in its area's
    group. Keypads, sensors and processors are not said to be unplaced.
    """
    zones = [
        {
            "href": f"/zone/{zone_id}",
            "Name": f"Z{zone_id}",
            "ControlType": control,
            "Device": {"href": f"/device/{device}"},
        }
        for zone_id, control, device in (
            (11, "Switched", 70),
            (12, "Switched", 70),
            (13, "Switched", 70),
            (14, "Switched", 70),
            (15, "CCO", 70),
            (16, "Dimmed", 71),  # 71 lists it, 72 is named
            (17, "Shade", 73),
            (18, "Dimmed", 73),
        )
    ]
    devices = [
        {
            "href": "/device/70",
            "DeviceType": "Unknown",
            "SerialNumber": 0x70,
            "ModelNumber": "LQSE-4S8-120-D",
        },
        {
            "href": "/device/71",
            "DeviceType": "Unknown",
            "LocalZones": [{"href": "/zone/16"}],
        },
        {"href": "/device/72", "DeviceType": "Unknown", "LocalZones": []},
        {"href": "/device/73", "DeviceType": "Unknown"},
        {"href": "/device/74", "DeviceType": "Unknown"},
        {"href": "/device/75", "DeviceType": "RPSOccupancySensor"},
        {"href": "/device/76", "DeviceType": "SeeTouchKeypad"},
    ]
    made = snapshot(
        devices=devices,
        area_zones={2: zones},
        link_nodes={
            3: [
                {
                    "href": "/device/74/linknode/1",
                    "Parent": {"href": "/device/74", "LocalZones": []},
                }
            ]
        },
    )
    description = build_system(made)
    module = description.device("00000070")
    assert (
        module.kind,
        module.model,
        [z.name for z in module.zones],
        module.cco.name,
    ) == (
        DeviceKind.SWITCHING_MODULE,
        "LQSE-4S8-120-D",
        ["Z11", "Z12", "Z13", "Z14"],
        "Z15",
    )
    assert description.device("1234ABCD_71").kind is DeviceKind.DIMMING_MODULE
    group = description.device("1234ABCD-area-2")
    assert [o.name for o in group.outputs] == ["Z17", "Z18"]
    assert sorted(made.unplaced) == [
        "/device/72",
        "/device/73",
        "/device/74",
        "/zone/17",
        "/zone/18",
    ]
    assert "no link's nodes (LP47) hold it" in made.unplaced["/device/72"]
    assert "its zones (Dimmed, Shade) make no module" in made.unplaced["/device/73"]
    assert "nor its link node (LP47)" in made.unplaced["/device/74"]
    assert made.unplaced["/zone/17"].startswith("its device /device/73 makes no device")
    # Built again, the reasons are this build's.
    build_system(snapshot(devices=[], area_zones={}, unplaced=made.unplaced))
    assert made.unplaced == {}


def test_lp12_lp49_lp52_what_the_device_list_asks_to_read() -> None:
    """LP34, LP49, LP52: a listed keypad's button groups, another processor's links, an anonymous device's status.

    Not a QS shade's (LP30), a sensor's, a device listing its zones, nor one without an href.
    """
    reads = listed_reads(
        [
            {"href": "/device/1", "DeviceType": "PalladiomKeypad"},
            {
                "href": "/device/2",
                "DeviceType": "Unknown",
                "AssociatedControlStation": {"href": "/controlstation/3"},
            },
            {
                "href": "/device/4",
                "DeviceType": "HWQSProcessor",
                "OwnedLinks": [{"href": "/link/5"}, {"LinkType": "QS"}, "odd"],
            },
            {"href": "/device/6", "DeviceType": "Unknown"},
            {
                "href": "/device/7",
                "DeviceType": "SwitchingPowerModule",
                "LocalZones": [],
            },
            {"href": "/device/8", "DeviceType": "Shade"},
            {"href": "/device/9", "DeviceType": "RPSOccupancySensor"},
            {
                "href": "/device/10",
                "DeviceType": "Unknown",
                "LocalZones": [{"href": "/zone/11"}],
            },
            {"DeviceType": "Unknown"},
        ]
    )
    assert (reads.keypads, reads.other_links, reads.anonymous) == (
        [1, 2],
        [(5, "/link/5")],
        [6, 7],
    )
