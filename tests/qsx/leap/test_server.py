"""The LEAP server against raw TLS clients: each test names the LP rule it checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import ssl
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import ResourceTree
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.leap.protocol import MAX_OUTBOUND_LINE_BYTES
from custom_components.homeworks_qsx.qsx.leap.pushes import PushForm
from tests.qsx.serving import WAIT, wait_for

from .conftest import A1, A2, A3, B1, LeapSession, command, go_to_level

type Opener = Callable[[], Any]

ISLAND, PANTRY, HOOD, COUNTER, GATE = (
    90,
    98,
    106,
    114,
    122,
)  # A1's zones and its momentary CCO
A2_ZONE1, A2_CCO = 170, 202
A3_ZONE1 = 250
ROOT, GARAGE, HALL, KITCHEN = 3, 11, 19, 27


def snapshot(emulator: Emulator) -> list[Any]:
    """Everything a bad request must leave unchanged."""
    return [
        (emulator.state(module.serial).zones, emulator.state(module.serial).cco_closed)
        for module in emulator.description.modules
    ]


async def test_lp3_ping(leap: Opener) -> None:
    """LP3: ReadRequest /server/1/status/ping answers the LEAP version, on a long-lived session."""
    session: LeapSession = await leap()
    for _ in range(3):
        reply = await session.request("ReadRequest", "/server/1/status/ping")
        assert reply["CommuniqueType"] == "ReadResponse"
        assert reply["Header"]["StatusCode"] == "200 OK"
        assert reply["Header"]["MessageBodyType"] == "OnePingResponse"
        assert reply["Body"] == {"PingResponse": {"LEAPVersion": 1.115}}


async def test_lp2_lf_and_crlf_and_blank_lines(leap: Opener) -> None:
    """LP2: one JSON object per line, LF or CR LF; replies end with CR LF."""
    session: LeapSession = await leap()
    ping = {
        "CommuniqueType": "ReadRequest",
        "Header": {"Url": "/server/1/status/ping", "ClientTag": "x"},
    }
    session.send_raw(
        json.dumps(ping).encode() + b"\n\r\n\n" + json.dumps(ping).encode()
    )
    session.send_raw(b"\r\n")
    for _ in range(2):
        line = await asyncio.wait_for(session.reader.readline(), WAIT)
        assert line.endswith(b"\r\n")
        assert json.loads(line)["Header"]["ClientTag"] == "x"


async def test_lp5_reply_carries_tag_and_url(leap: Opener) -> None:
    """LP5: a reply carries the request's ClientTag and Url, a StatusCode and a MessageBodyType."""
    session: LeapSession = await leap()
    reply = await session.request("ReadRequest", "/project", tag="my-tag")
    assert reply["Header"] == {
        "StatusCode": "200 OK",
        "Url": "/project",
        "MessageBodyType": "OneProjectDefinition",
        "ClientTag": "my-tag",
    }


async def test_lp5_request_without_tag_is_answered_untagged(leap: Opener) -> None:
    """LP5: a request without ClientTag (pylutron-caseta's pairing check sends one) gets an untagged answer."""
    session: LeapSession = await leap()
    session.send(
        {"CommuniqueType": "ReadRequest", "Header": {"Url": "/server/1/status/ping"}}
    )
    reply = await session.receive()
    assert "ClientTag" not in reply["Header"]
    assert reply["Body"]["PingResponse"]["LEAPVersion"] == 1.115


async def test_lp10_project(leap: Opener) -> None:
    """LP10: the project names the QSX product type exactly and lists the processor."""
    session: LeapSession = await leap()
    project = (await session.request("ReadRequest", "/project"))["Body"]["Project"]
    assert project["ProductType"] == "Lutron HWQS Project"
    assert project["Name"] == "Leap house"
    assert project["MasterDeviceList"] == {"Devices": [{"href": "/device/9"}]}
    assert project["ProjectModifiedTimestamp"]["Year"] == 2026


async def test_lp11_processor(leap: Opener) -> None:
    """LP11: the processor: HWQSProcessor, model, integer serial, an area of /area, firmware, MAC, one QS link each."""
    session: LeapSession = await leap()
    reply = await session.request("ReadRequest", "/device?where=IsThisDevice:true")
    assert reply["Header"]["MessageBodyType"] == "MultipleDeviceDefinition"
    [processor] = reply["Body"]["Devices"]
    assert processor["DeviceType"] == "HWQSProcessor"
    assert processor["ModelNumber"] == "HQP7-2"
    assert processor["SerialNumber"] == 0x0A0B0C0D
    assert processor["FirmwareImage"]["Firmware"]["DisplayName"]
    assert processor["NetworkInterfaces"][0]["MACAddress"] == "02:00:0a:0b:0c:0d"
    assert [link["LinkType"] for link in processor["OwnedLinks"]] == ["QS", "QS"]
    areas = (await session.request("ReadRequest", "/area"))["Body"]["Areas"]
    assert processor["AssociatedArea"]["href"] in {area["href"] for area in areas}
    link = await session.request("ReadRequest", processor["OwnedLinks"][1]["href"])
    assert link["Body"]["Link"]["LinkNumber"] == 2


async def test_lp12_devices(leap: Opener) -> None:
    """LP12: the other devices; `/device` alone is 204; `/device/<id>` is one definition."""
    session: LeapSession = await leap()
    devices = (
        await session.request("ReadRequest", "/device?where=IsThisDevice:false")
    )["Body"]["Devices"]
    assert [device["SerialNumber"] for device in devices] == [
        int(s, 16) for s in (A1, A2, A3, B1)
    ]
    plain = await session.request("ReadRequest", "/device")
    assert plain["Header"]["StatusCode"] == "204 NoContent"
    assert "Body" not in plain
    one = await session.request("ReadRequest", devices[0]["href"])
    assert one["Header"]["MessageBodyType"] == "OneDeviceDefinition"
    assert one["Body"]["Device"] == devices[0]


async def test_lp13_areas_and_associated_zones(leap: Opener) -> None:
    """LP13: areas with a root; every zone of /zone/status is in exactly one area's associatedzone."""
    session: LeapSession = await leap()
    areas = (await session.request("ReadRequest", "/area"))["Body"]["Areas"]
    assert [area["Name"] for area in areas] == [
        "Leap house",
        "Garage",
        "Hall",
        "Kitchen",
    ]
    assert "Parent" not in areas[0]
    assert not areas[0]["IsLeaf"]
    assert all(
        area["Parent"] == {"href": "/area/3"} and area["IsLeaf"] for area in areas[1:]
    )
    listed: list[str] = []
    for area in areas:
        reply = await session.request("ReadRequest", area["href"] + "/associatedzone")
        if area["href"] == "/area/3":
            assert reply["Header"]["StatusCode"] == "204 NoContent"
            continue
        zones = reply["Body"]["Zones"]
        assert all(zone["AssociatedArea"] == {"href": area["href"]} for zone in zones)
        listed += [zone["href"] for zone in zones]
        stations = await session.request(
            "ReadRequest", area["href"] + "/associatedcontrolstation"
        )
        assert stations["Header"]["StatusCode"] == "204 NoContent"
    statuses = (await session.request("ReadRequest", "/zone/status"))["Body"][
        "ZoneStatuses"
    ]
    assert sorted(listed) == sorted(status["Zone"]["href"] for status in statuses)
    assert len(listed) == len(set(listed)) == 20
    one = await session.request("ReadRequest", f"/area/{KITCHEN}")
    assert one["Body"]["Area"]["Name"] == "Kitchen"


async def test_lp14_switched_zone(leap: Opener, emulator: Emulator) -> None:
    """LP14: a switched zone's definition (lighting or not) and status."""
    session: LeapSession = await leap()
    island = (await session.request("ReadRequest", f"/zone/{ISLAND}"))["Body"]["Zone"]
    assert island["ControlType"] == "Switched"
    assert island["Category"] == {"Type": "", "IsLight": True}
    hood = (await session.request("ReadRequest", f"/zone/{HOOD}"))["Body"]["Zone"]
    assert hood["Category"] == {"Type": "", "IsLight": False}
    emulator.set_zone(A1, 1, True)
    status = (await session.request("ReadRequest", f"/zone/{ISLAND}/status"))["Body"][
        "ZoneStatus"
    ]
    assert status == {
        "href": f"/zone/{ISLAND}/status",
        "Zone": {"href": f"/zone/{ISLAND}"},
        "Level": 100,
        "SwitchedLevel": "On",
        "StatusAccuracy": "Good",
    }


async def test_lp15_cco_zone(leap: Opener, emulator: Emulator) -> None:
    """LP15: a CCO is a zone with ControlType CCO and a CCOLevel instead of a Level."""
    session: LeapSession = await leap()
    zone = (await session.request("ReadRequest", f"/zone/{A2_CCO}"))["Body"]["Zone"]
    assert zone["ControlType"] == "CCO"
    emulator.set_cco(A2, True)
    status = (await session.request("ReadRequest", f"/zone/{A2_CCO}/status"))["Body"][
        "ZoneStatus"
    ]
    assert status["CCOLevel"] == "Closed"
    assert "Level" not in status


async def test_lp16_full_profile_module(leap: Opener) -> None:
    """LP16 (ours): each module is a SwitchingPowerModule with model, serial, its room and LocalZones (4 + CCO)."""
    session: LeapSession = await leap()
    device = (await session.request("ReadRequest", "/device/81"))["Body"]["Device"]
    assert device["DeviceType"] == "SwitchingPowerModule"
    assert device["ModelNumber"] == "LQSE-4S8-120-D"
    assert device["SerialNumber"] == int(A1, 16)
    assert device["Name"] == "Kitchen panel"
    assert device["AssociatedArea"] == {"href": f"/area/{KITCHEN}"}
    assert device["LocalZones"] == [
        {"href": f"/zone/{z}"} for z in (ISLAND, PANTRY, HOOD, COUNTER, GATE)
    ]
    assert device["AddressedState"] == "Addressed"


async def test_lp16_ids_unique_and_derived(
    server: LeapServer, emulator: Emulator
) -> None:
    """LP10–LP16: ids are integration id × 8 + kind (areas by sorted room), unique across kinds, stable."""
    tree = ResourceTree(emulator.description)
    ids = [*tree.areas, *tree.devices, *tree.zones, *tree.links]
    assert len(ids) == len(set(ids))
    assert tree.processor_id == 1 * 8 + 1
    assert tree.zones[ISLAND]["Name"] == "Island"
    again = ResourceTree(Emulator.from_export(emulator.export_state()).description)
    assert (again.areas, again.devices, again.zones) == (
        tree.areas,
        tree.devices,
        tree.zones,
    )


async def test_lp17_no_cci_buttons_or_leds(leap: Opener) -> None:
    """LP17, LP36: a module's CCI, front buttons and LEDs are not in LEAP: it is a device without buttons."""
    session: LeapSession = await leap()
    for url in ("/device/81/buttongroup/expanded", "/device/81/buttongroup"):
        reply = await session.request("ReadRequest", url)
        assert reply["Header"]["StatusCode"] == "204 NoContent"
        assert "Body" not in reply
    for url in ("/button/1/status/event", "/led/1/status", "/button/81"):
        reply = await session.request("ReadRequest", url)
        assert reply["Header"]["StatusCode"] == "404 NotFound"


async def test_lp8_paging(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """LP8: a list longer than a page is paged; the client follows Paging until a reply comes without it."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, page_size=3)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        zones: list[dict[str, Any]] = []
        paging = None
        for _ in range(10):
            reply = await session.request("ReadRequest", "/zone/status", paging=paging)
            zones += reply["Body"]["ZoneStatuses"]
            paging = reply["Header"].get("Paging")
            if paging is None:
                break
        assert len(zones) == 20
        assert len({zone["href"] for zone in zones}) == 20
        # A subscription's first answer is whole (clients do not page it).
        subscribed = await session.request("SubscribeRequest", "/zone/status")
        assert "Paging" not in subscribed["Header"]
        assert len(subscribed["Body"]["ZoneStatuses"]) == 20
        first = await session.request("ReadRequest", "/zone/status")
        token = first["Header"]["Paging"]
        # Forged paging objects are refused: altered, made up, for another URL, on a request that is not a list.
        for url, forged in (
            ("/zone/status", {**token, "Offset": token["Offset"] + 1}),
            ("/zone/status", {"Offset": 3, "Token": "0" * 32}),
            ("/zone/status", {"Offset": 3}),
            ("/zone/status", {**token, "Extra": 1}),
            ("/area", token),
            ("/project", token),
            ("/server/1/status/ping", token),
            ("/device", token),
        ):
            refused = await session.request("ReadRequest", url, paging=forged)
            assert refused["CommuniqueType"] == "ExceptionResponse", url
            assert refused["Header"]["StatusCode"] == "400 BadRequest"
        refused = await session.request(
            "ReadRequest",
            "/zone/status",
            paging="not an object",  # type: ignore[arg-type]
        )
        assert refused["Header"]["StatusCode"] == "400 BadRequest"
        await session.close()
    finally:
        await server.stop()


async def test_lp8_default_page_is_100(
    socket_enabled: None, credentials: LeapCredentials, client_context: ssl.SSLContext
) -> None:
    """LP8 (ours): 198 modules: the 198 devices come in pages of 100 items."""
    from custom_components.homeworks_qsx.qsx.emulator.description import (  # noqa: PLC0415
        build_description,
    )

    emulator = Emulator(build_description([99, 99]))
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        first = await session.request("ReadRequest", "/device?where=IsThisDevice:false")
        assert len(first["Body"]["Devices"]) == 100
        second = await session.request(
            "ReadRequest",
            "/device?where=IsThisDevice:false",
            paging=first["Header"]["Paging"],
        )
        assert len(second["Body"]["Devices"]) == 98
        assert "Paging" not in second["Header"]
        subscribed = await session.request("SubscribeRequest", "/zone/status")
        assert len(subscribed["Body"]["ZoneStatuses"]) == 990
        assert (
            len(json.dumps(subscribed, separators=(",", ":"))) < MAX_OUTBOUND_LINE_BYTES
        )  # LP2
        await session.close()
    finally:
        await server.stop()
        emulator.close()


async def test_lp18_subscribe_and_push_from_every_cause(
    leap: Opener, emulator: Emulator
) -> None:
    """LP18: the subscription's tag on every push; only changed zones; LIP-style commands, buttons, power."""
    from custom_components.homeworks_qsx.qsx.const import Button  # noqa: PLC0415

    session: LeapSession = await leap()
    subscribed = await session.request("SubscribeRequest", "/zone/status", tag="sub")
    assert subscribed["CommuniqueType"] == "SubscribeResponse"
    assert len(subscribed["Body"]["ZoneStatuses"]) == 20

    emulator.set_zone(
        A3, 2, True
    )  # a command from elsewhere (what the LIP server calls)
    push = await session.receive()
    assert push["CommuniqueType"] == "ReadResponse"
    assert push["Header"] == {
        "StatusCode": "200 OK",
        "Url": "/zone/status",
        "MessageBodyType": "MultipleZoneStatus",
        "ClientTag": "sub",
    }
    assert [(s["Zone"]["href"], s["Level"]) for s in push["Body"]["ZoneStatuses"]] == [
        ("/zone/258", 100)
    ]

    emulator.press_button(B1, Button(1))  # a button at the module (M8)
    push = await session.receive()
    assert [(s["Zone"]["href"], s["Level"]) for s in push["Body"]["ZoneStatuses"]] == [
        ("/zone/330", 100)
    ]

    emulator.set_power(B1, False)
    push = await session.receive()
    assert [(s["Zone"]["href"], s["Level"]) for s in push["Body"]["ZoneStatuses"]] == [
        ("/zone/330", 0)
    ]
    emulator.set_power(B1, True)  # M7: the level comes back
    push = await session.receive()
    assert [(s["Zone"]["href"], s["Level"]) for s in push["Body"]["ZoneStatuses"]] == [
        ("/zone/330", 100)
    ]


async def test_lp18_override_burst_is_one_push_in_order(
    leap: Opener, emulator: Emulator
) -> None:
    """LP18: an override of a CCI group (C7) is one push with every changed zone, in the order they changed."""
    session: LeapSession = await leap()
    await session.request("SubscribeRequest", "/zone/status")
    emulator.set_zone(A1, 2, True)
    await session.receive()
    emulator.set_cci(
        A1, True
    )  # A1 and A2: zones on, A1's Pantry off (its override level)
    push = await session.receive()
    changed = [(s["Zone"]["href"], s["Level"]) for s in push["Body"]["ZoneStatuses"]]
    assert changed == [
        ("/zone/90", 100),
        ("/zone/98", 0),
        ("/zone/106", 100),
        ("/zone/114", 100),
        ("/zone/170", 100),
        ("/zone/178", 100),
        ("/zone/186", 100),
        ("/zone/194", 100),
    ]
    reply = await session.request(
        "ReadRequest", "/server/1/status/ping"
    )  # nothing else was pushed
    assert reply["Body"]["PingResponse"]


async def test_lp18_area_status(leap: Opener, emulator: Emulator) -> None:
    """LP18: /area/status works the same: the whole state, then pushes of the areas that changed."""
    session: LeapSession = await leap()
    subscribed = await session.request("SubscribeRequest", "/area/status", tag="areas")
    assert subscribed["Header"]["MessageBodyType"] == "MultipleAreaStatus"
    statuses = {s["href"]: s for s in subscribed["Body"]["AreaStatuses"]}
    assert statuses[f"/area/{HALL}/status"]["Level"] == 0
    assert "Level" not in statuses["/area/3/status"]
    emulator.set_zone(A3, 1, True)
    push = await session.receive()
    assert push["Header"]["ClientTag"] == "areas"
    assert push["Body"]["AreaStatuses"] == [
        {
            "href": f"/area/{HALL}/status",
            "Level": 100,
            "OccupancyStatus": "Unknown",
            "CurrentScene": None,
        }
    ]
    emulator.set_zone(A3, 2, True)  # the area's level does not change: no push
    one = await session.request("ReadRequest", f"/area/{HALL}/status")
    assert one["Body"]["AreaStatus"]["Level"] == 100


async def test_lp18_unsubscribe_and_other_sessions(
    leap: Opener, emulator: Emulator
) -> None:
    """LP18: UnsubscribeRequest ends the pushes (204); a session without a subscription gets none."""
    first: LeapSession = await leap()
    second: LeapSession = await leap()
    await first.request("SubscribeRequest", "/zone/status")
    await second.request("SubscribeRequest", "/zone/status")
    reply = await first.request("UnsubscribeRequest", "/zone/status")
    assert reply["CommuniqueType"] == "UnsubscribeResponse"
    assert reply["Header"]["StatusCode"] == "204 NoContent"
    emulator.set_zone(A1, 4, True)
    assert (await second.receive())["Body"]["ZoneStatuses"][0]["Zone"][
        "href"
    ] == f"/zone/{COUNTER}"
    ping = await first.request("ReadRequest", "/server/1/status/ping")
    assert ping["CommuniqueType"] == "ReadResponse"


async def test_lp19_commands(leap: Opener, emulator: Emulator) -> None:
    """LP19: GoToLevel, GoToSwitchedLevel, GoToCCOLevel answer 201 with the zone's new status and push it."""
    session: LeapSession = await leap()
    await session.request("SubscribeRequest", "/zone/status", tag="sub")
    reply = await session.request(
        "CreateRequest", f"/zone/{ISLAND}/commandprocessor", go_to_level(37)
    )
    assert reply["CommuniqueType"] == "CreateResponse"
    assert reply["Header"]["StatusCode"] == "201 Created"
    assert reply["Header"]["MessageBodyType"] == "OneZoneStatus"
    assert reply["Body"]["ZoneStatus"]["Level"] == 100
    assert emulator.state(A1).zones[0].on
    push = await session.receive()
    assert push["Header"]["ClientTag"] == "sub"

    reply = await session.request(
        "CreateRequest",
        f"/zone/{ISLAND}/commandprocessor",
        command("GoToSwitchedLevel", SwitchedLevelParameters={"SwitchedLevel": "Off"}),
    )
    assert reply["Body"]["ZoneStatus"]["SwitchedLevel"] == "Off"
    assert not emulator.state(A1).zones[0].on
    await session.receive()

    reply = await session.request(
        "CreateRequest",
        f"/zone/{A2_CCO}/commandprocessor",
        command("GoToCCOLevel", CCOLevelParameters={"CCOLevel": "Closed"}),
    )
    assert reply["Body"]["ZoneStatus"]["CCOLevel"] == "Closed"
    assert emulator.state(A2).cco_closed
    await session.receive()
    reply = await session.request(
        "CreateRequest", f"/zone/{ISLAND}/commandprocessor", go_to_level(0.0)
    )
    assert reply["Body"]["ZoneStatus"]["Level"] == 0


async def test_lp19_ignored_command_shows_real_state(
    leap: Opener, server: LeapServer, emulator: Emulator
) -> None:
    """LP19: a module in override (or without power) ignores the command; the reply shows the unchanged level."""
    session: LeapSession = await leap()
    emulator.set_cci(A3, True)  # A3 alone: all zones on
    reply = await session.request(
        "CreateRequest", "/zone/250/commandprocessor", go_to_level(0)
    )
    assert reply["Header"]["StatusCode"] == "201 Created"
    assert reply["Body"]["ZoneStatus"]["Level"] == 100
    assert emulator.state(A3).zones[0].on
    emulator.set_power(B1, False)
    reply = await session.request(
        "CreateRequest", "/zone/330/commandprocessor", go_to_level(100)
    )
    assert reply["Body"]["ZoneStatus"]["Level"] == 0
    assert server.diagnostics()["ignored_commands"] == 2


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        (f"/zone/{ISLAND}/commandprocessor", None, "Body.Command"),
        (f"/zone/{ISLAND}/commandprocessor", {"Command": "GoToLevel"}, "Body.Command"),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("Raise"),
            "does not apply to a switched zone",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("Flash"),
            "Unknown CommandType",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            {"Command": {"CommandType": ["GoToLevel"]}},
            "Unknown CommandType",
        ),
        (f"/zone/{ISLAND}/commandprocessor", go_to_level(101), "Level must be"),
        (f"/zone/{ISLAND}/commandprocessor", go_to_level(-1), "Level must be"),
        (f"/zone/{ISLAND}/commandprocessor", go_to_level(True), "Level must be"),
        (f"/zone/{ISLAND}/commandprocessor", go_to_level("50"), "Level must be"),
        (f"/zone/{ISLAND}/commandprocessor", command("GoToLevel"), "one Parameter"),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("GoToLevel", Parameter=[{"Type": "Tilt", "Value": 3}]),
            "one Parameter",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("GoToSwitchedLevel"),
            "SwitchedLevel must be",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command(
                "GoToSwitchedLevel", SwitchedLevelParameters={"SwitchedLevel": "Dim"}
            ),
            "SwitchedLevel must be",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("GoToCCOLevel", CCOLevelParameters={"CCOLevel": "Closed"}),
            "CCO zones only",
        ),
        (
            f"/zone/{A2_CCO}/commandprocessor",
            go_to_level(100),
            "does not apply to a CCO",
        ),
        (
            f"/zone/{A2_CCO}/commandprocessor",
            command("GoToCCOLevel", CCOLevelParameters={}),
            "Open or Closed",
        ),
        (
            f"/zone/{A2_CCO}/commandprocessor",
            command("GoToCCOLevel", CCOLevelParameters={"CCOLevel": ["Open"]}),
            "Open or Closed",
        ),
        (
            f"/zone/{ISLAND}/commandprocessor",
            command("GoToSwitchedLevel", SwitchedLevelParameters={"SwitchedLevel": {}}),
            "SwitchedLevel must be",
        ),
    ],
)
async def test_lp19_bad_commands_change_nothing(
    leap: Opener, emulator: Emulator, url: str, body: Any, message: str
) -> None:
    """LP19, LP7: a wrong command type, a missing or out-of-range value: 400 naming the cause, nothing changes."""
    session: LeapSession = await leap()
    before = snapshot(emulator)
    reply = await session.request("CreateRequest", url, body)
    assert reply["CommuniqueType"] == "ExceptionResponse"
    assert reply["Header"]["StatusCode"] == "400 BadRequest"
    assert reply["Header"]["MessageBodyType"] == "ExceptionDetail"
    assert reply["Header"]["Url"] == url
    assert message in reply["Body"]["Message"]
    assert snapshot(emulator) == before


@pytest.mark.parametrize(
    ("kind", "url", "status"),
    [
        ("ReadRequest", "/zone", "405 MethodNotAllowed"),  # as on a real QSX
        ("ReadRequest", "/nothing", "404 NotFound"),
        ("ReadRequest", "/zone/999999", "404 NotFound"),
        ("ReadRequest", "/zone/abc/status", "404 NotFound"),
        ("ReadRequest", "/device/90", "404 NotFound"),  # a zone's id names no device
        ("ReadRequest", "/device?where=Color:blue", "404 NotFound"),
        ("ReadRequest", "/area/999/associatedzone", "404 NotFound"),
        ("ReadRequest", "/area/9/status", "404 NotFound"),
        ("ReadRequest", f"/zone/{ISLAND}/commandprocessor", "405 MethodNotAllowed"),
        ("ReadRequest", "/zone/1/commandprocessor", "404 NotFound"),
        ("SubscribeRequest", "/project", "405 MethodNotAllowed"),
        ("SubscribeRequest", "/button/5/status/event", "404 NotFound"),
        (
            "SubscribeRequest",
            "/zone/status",
            "400 BadRequest",
        ),  # with a forged paging header (below)
        ("UnsubscribeRequest", "/project", "405 MethodNotAllowed"),
        ("CreateRequest", "/zone/status", "405 MethodNotAllowed"),
        ("CreateRequest", "/area", "405 MethodNotAllowed"),
        ("CreateRequest", "/zone/999/commandprocessor", "404 NotFound"),
        ("CreateRequest", "/button/3/commandprocessor", "404 NotFound"),
        ("UpdateRequest", f"/zone/{ISLAND}/status", "405 MethodNotAllowed"),
        ("UpdateRequest", "/led/1/status", "404 NotFound"),
    ],
)
async def test_lp7_refusals(
    leap: Opener, emulator: Emulator, kind: str, url: str, status: str
) -> None:
    """LP7: unknown URLs get 404 (naming the URL), wrong verbs 405, with the request's tag; nothing changes."""
    session: LeapSession = await leap()
    before = snapshot(emulator)
    paging = {"Offset": 1, "Token": "forged"} if status == "400 BadRequest" else None
    reply = await session.request(kind, url, go_to_level(100), paging=paging, tag="t")
    assert reply["CommuniqueType"] == "ExceptionResponse"
    assert reply["Header"]["StatusCode"] == status
    assert reply["Header"]["ClientTag"] == "t"
    if status == "404 NotFound":
        assert reply["Body"]["Message"] == f"This resource does not exist : {url}"
    if status == "405 MethodNotAllowed":
        assert reply["Body"]["Message"] == "This request is not supported"
    assert snapshot(emulator) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (
            b'{"Header": {"Url": "/project", "ClientTag": "t"}}',
            "CommuniqueType is missing",
        ),
        (
            b'{"CommuniqueType": "DeleteRequest", "Header": {"Url": "/project", "ClientTag": "t"}}',
            "Unknown Commun",
        ),
        (
            b'{"CommuniqueType": "ReadResponse", "Header": {"Url": "/project", "ClientTag": "t"}}',
            "Unknown Commun",
        ),
        (b'{"CommuniqueType": "ReadRequest", "ClientTag": "t"}', "Header is missing"),
        (
            b'{"CommuniqueType": "ReadRequest", "Header": {"ClientTag": "t"}}',
            "Url is missing",
        ),
        (
            b'{"CommuniqueType": "ReadRequest", "Header": {"Url": 5, "ClientTag": "t"}}',
            "Url is missing",
        ),
        (
            b'{"CommuniqueType": "ReadRequest", "Header": {"Url": "/project", "ClientTag": 7}}',
            "ClientTag is not",
        ),
    ],
)
async def test_lp7_malformed_lines_keep_the_session(
    leap: Opener, emulator: Emulator, line: bytes, message: str
) -> None:
    """LP7: a line that is not JSON, not an object, or not a request gets 400 naming the cause; the session stays."""
    session: LeapSession = await leap()
    before = snapshot(emulator)
    session.send_raw(line + b"\r\n")
    reply = await session.receive()
    assert reply["CommuniqueType"] == "ExceptionResponse"
    assert reply["Header"]["StatusCode"] == "400 BadRequest"
    assert message in reply["Body"]["Message"]
    assert reply["Header"].get("ClientTag") in {None, "t"}
    ping = await session.request("ReadRequest", "/server/1/status/ping")
    assert ping["Header"]["StatusCode"] == "200 OK"
    assert snapshot(emulator) == before


async def test_lp2_long_line_refused_and_closed(
    leap: Opener, server: LeapServer, emulator: Emulator
) -> None:
    """LP2: a 10 MB line gets 400 and the connection is closed; the server keeps serving; memory stays bounded."""
    session: LeapSession = await leap()
    before = snapshot(emulator)
    chunk = b"x" * (1024 * 1024)
    for _ in range(10):
        session.send_raw(chunk)
        try:
            await asyncio.wait_for(session.writer.drain(), WAIT)
        except ConnectionError, ssl.SSLError:
            break
    rest = await session.read_eof()
    reply = json.loads(rest.splitlines()[0])
    assert reply["Header"]["StatusCode"] == "400 BadRequest"
    assert "longer than 65536 bytes" in reply["Body"]["Message"]
    assert snapshot(emulator) == before
    other: LeapSession = await leap()
    assert (await other.request("ReadRequest", "/server/1/status/ping"))["Header"][
        "StatusCode"
    ] == "200 OK"
    await wait_for(lambda: server.session_count == 1)


async def test_lp2_lines_before_a_long_line_are_answered(leap: Opener) -> None:
    """LP2: requests that came before the long line in the same packet are still answered, then 400 and close."""
    session: LeapSession = await leap()
    ping = b'{"CommuniqueType":"ReadRequest","Header":{"Url":"/server/1/status/ping","ClientTag":"a"}}\n'
    session.send_raw(ping + b"y" * (70 * 1024) + b"\n" + ping)
    lines = (await session.read_eof()).splitlines()
    assert [json.loads(line)["Header"]["StatusCode"] for line in lines] == [
        "200 OK",
        "400 BadRequest",
    ]


async def test_lp1_tls_without_client_certificate_is_refused(
    server: LeapServer, credentials: LeapCredentials
) -> None:
    """LP1: a client without a certificate does not get a session."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cadata=credentials.ca_cert_pem)
    await assert_refused(server, context)


async def test_lp1_certificate_from_another_ca_is_refused(server: LeapServer) -> None:
    """LP1: a client certificate that another CA signed is refused at the handshake."""
    other = LeapCredentials.generate()
    key, cert = other.issue_client("intruder")
    context = other.client_context(key, cert)
    context.verify_mode = ssl.CERT_NONE  # the intruder does not even check the server
    await assert_refused(server, context)


async def assert_refused(server: LeapServer, context: ssl.SSLContext) -> None:
    """Check that the handshake fails, or (TLS 1.3) the first read does; no session opens; the server goes on."""
    with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
        await _ping_over(server.port, context)
    assert server.session_count == 0
    assert server.diagnostics()["sessions"] == 0
    assert server.diagnostics()["failed_handshakes"] == 1


async def _ping_over(port: int, context: ssl.SSLContext) -> None:
    session = await LeapSession.open(port, context)
    session.send(
        {"CommuniqueType": "ReadRequest", "Header": {"Url": "/server/1/status/ping"}}
    )
    line = await asyncio.wait_for(session.reader.readline(), WAIT)
    if not line:
        raise ConnectionError("closed")


async def test_lp4_handshake_deadline(
    socket_enabled: None, emulator: Emulator, credentials: LeapCredentials
) -> None:
    """LP4: a client that never finishes the TLS handshake is closed at the deadline (10 s; 0.2 s here)."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, handshake_timeout=0.2)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        writer.close()
        assert server.session_count == 0
    finally:
        await server.stop()


async def test_lp4_session_limit(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """LP4: sessions beyond the limit get a TLS close and nothing else; the others keep working."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, max_sessions=2)
    await server.start()
    try:
        kept = [await LeapSession.open(server.port, client_context) for _ in range(2)]
        await wait_for(lambda: server.session_count == 2)
        refused = await LeapSession.open(server.port, client_context)
        assert await refused.read_eof() == b""
        assert server.diagnostics()["refused"] == 1
        for session in kept:
            reply = await session.request("ReadRequest", "/server/1/status/ping")
            assert reply["Header"]["StatusCode"] == "200 OK"
            await session.close()
        await refused.close()
    finally:
        await server.stop()


async def test_lp4_peer_that_does_not_read_is_dropped(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """A subscriber that never reads its pushes is dropped once its unread replies pass the limit."""
    server = LeapServer(
        emulator, credentials, "127.0.0.1", 0, write_buffer_limit=64 * 1024
    )
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        await session.request("SubscribeRequest", "/zone/status")
        transport = session.writer.transport
        assert isinstance(transport, asyncio.ReadTransport)
        transport.pause_reading()
        for index in range(20000):
            emulator.set_cci(
                A1, index % 2 == 0
            )  # eight zones of two modules change each time
            await asyncio.sleep(0)
            if server.diagnostics()["dropped"]:
                break
        await wait_for(lambda: server.diagnostics()["dropped"] == 1)
        assert server.session_count == 0
        session.writer.transport.abort()
    finally:
        await server.stop()


async def test_reply_delay_keeps_order(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """The reply delay answers lines sent together one delay later, in order; a long line still closes."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, reply_delay=0.05)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for tag in ("a", "b", "c"):
            session.send(
                {
                    "CommuniqueType": "ReadRequest",
                    "Header": {"Url": "/server/1/status/ping", "ClientTag": tag},
                }
            )
        tags = [(await session.receive())["Header"]["ClientTag"] for _ in range(3)]
        assert tags == ["a", "b", "c"]
        assert loop.time() - started >= 0.05
        session.send_raw(b"z" * (70 * 1024))
        rest = await session.read_eof()
        assert (
            json.loads(rest.splitlines()[0])["Header"]["StatusCode"] == "400 BadRequest"
        )
    finally:
        await server.stop()
    with pytest.raises(ValueError, match="negative"):
        LeapServer(emulator, credentials, reply_delay=-1)


async def test_diagnostics_and_restart(
    server: LeapServer, leap: Opener, emulator: Emulator
) -> None:
    """Diagnostics count sessions, requests and errors and show no key; start is idempotent; stop closes sessions."""
    session: LeapSession = await leap()
    await session.request("ReadRequest", "/nothing")
    await session.request(
        "CreateRequest", "/zone/250/commandprocessor", go_to_level(100)
    )
    diagnostics = server.diagnostics()
    assert diagnostics["open_sessions"] == 1
    assert diagnostics["requests"] == 2
    assert diagnostics["errors"] == 1
    assert diagnostics["commands"] == 1
    assert "PRIVATE" not in json.dumps(diagnostics)
    await server.start()
    await server.stop()
    assert await session.read_eof() == b""
    assert not server.diagnostics()["listening"]


async def test_module_added_appears_and_pushes(
    leap: Opener, emulator: Emulator
) -> None:
    """The tree follows the description: a module added later is listed, and its changes are pushed."""
    from dataclasses import replace  # noqa: PLC0415

    session: LeapSession = await leap()
    await session.request("SubscribeRequest", "/zone/status")
    template = emulator.module(A3)
    added = replace(
        template,
        serial="000000A4",
        name="Added",
        address=4,
        integration_id=50,
    ).with_outputs(
        zones=tuple(
            replace(zone, integration_id=50 + zone.number) for zone in template.zones
        ),
        cco=replace(template.cco, integration_id=55),
    )
    emulator.add_module(added)
    emulator.set_zone("000000A4", 1, True)
    push = await session.receive()
    assert push["Body"]["ZoneStatuses"][0]["Zone"]["href"] == f"/zone/{51 * 8 + 2}"
    devices = (
        await session.request("ReadRequest", "/device?where=IsThisDevice:false")
    )["Body"]["Devices"]
    assert "Added" in [device["Name"] for device in devices]
    emulator.remove_module("000000A4")
    reply = await session.request("ReadRequest", f"/zone/{51 * 8 + 2}")
    assert reply["Header"]["StatusCode"] == "404 NotFound"


async def test_lp7_unexpected_failure_is_500_and_changes_nothing(
    leap: Opener, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LP7: an error inside the emulator answers 500 with the tag; the session and the server go on."""

    def broken(*_: Any) -> None:
        raise RuntimeError("relay stuck")

    monkeypatch.setattr(emulator, "set_zone", broken)
    session: LeapSession = await leap()
    reply = await session.request(
        "CreateRequest", f"/zone/{ISLAND}/commandprocessor", go_to_level(100), tag="t"
    )
    assert reply["Header"]["StatusCode"] == "500 InternalServerError"
    assert reply["Header"]["ClientTag"] == "t"
    assert (await session.request("ReadRequest", "/server/1/status/ping"))["Header"][
        "StatusCode"
    ] == "200 OK"


async def test_lp7_ping_supports_reads_only(leap: Opener) -> None:
    """LP7: the ping URL exists; other verbs on it are 405."""
    session: LeapSession = await leap()
    for kind in ("SubscribeRequest", "CreateRequest", "UpdateRequest"):
        reply = await session.request(kind, "/server/1/status/ping")
        assert reply["Header"]["StatusCode"] == "405 MethodNotAllowed"


async def test_reply_delay_for_lines_sent_apart(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
) -> None:
    """Lines sent at different times are each answered one delay after their arrival, in order."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, reply_delay=0.03)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        for tag in ("a", "b"):
            session.send(
                {
                    "CommuniqueType": "ReadRequest",
                    "Header": {"Url": "/server/1/status/ping", "ClientTag": tag},
                }
            )
            await asyncio.sleep(0.01)
        assert [(await session.receive())["Header"]["ClientTag"] for _ in range(2)] == [
            "a",
            "b",
        ]
        session.send(
            {
                "CommuniqueType": "ReadRequest",
                "Header": {"Url": "/server/1/status/ping", "ClientTag": "c"},
            }
        )
        await (
            session.close()
        )  # gone before its answer: nothing is written, nothing fails
        await wait_for(lambda: server.session_count == 0)
    finally:
        await server.stop()


async def test_changes_while_stopping_are_dropped_quietly(
    server: LeapServer, emulator: Emulator
) -> None:
    """A change published just before the server stops leaves no pending work behind."""
    emulator.set_zone(A1, 1, True)
    await server.stop()
    emulator.set_zone(A1, 1, False)
    await asyncio.sleep(0)
    assert server.diagnostics()["pushes"] == 0


async def test_lp18_override_of_32_modules_is_one_push(
    socket_enabled: None, credentials: LeapCredentials, client_context: ssl.SSLContext
) -> None:
    """LP18, C7: 32 modules wired to one override contact: one push with their 128 zones, in link/address order."""
    from custom_components.homeworks_qsx.qsx.emulator.description import (  # noqa: PLC0415
        parse_description,
    )

    modules = [
        {"serial": f"000001{index:02X}", "address": index, "cci_group": "fire"}
        for index in range(1, 33)
    ]
    emulator = Emulator(
        parse_description(
            {"name": "Big", "processor": {"serial": "0A0B0C0E"}, "modules": modules}
        )
    )
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        session = await LeapSession.open(server.port, client_context)
        await session.request("SubscribeRequest", "/zone/status", tag="sub")
        emulator.set_cci("00000101", True)
        push = await session.receive()
        statuses = push["Body"]["ZoneStatuses"]
        assert len(statuses) == 128
        assert all(status["Level"] == 100 for status in statuses)
        zone_ids = [
            int(status["Zone"]["href"].rsplit("/", 1)[1]) for status in statuses
        ]
        assert zone_ids == sorted(zone_ids)
        reply = await session.request(
            "ReadRequest", "/server/1/status/ping"
        )  # nothing else was pushed
        assert reply["CommuniqueType"] == "ReadResponse"
        emulator.set_cci("00000101", False)  # C5: back to the levels before
        assert len((await session.receive())["Body"]["ZoneStatuses"]) == 128
        await session.close()
    finally:
        await server.stop()
        emulator.close()


BODY_KEYS = {
    "OneProjectDefinition": "Project",
    "MultipleAreaDefinition": "Areas",
    "OneAreaDefinition": "Area",
    "MultipleDeviceDefinition": "Devices",
    "OneDeviceDefinition": "Device",
    "MultipleZoneDefinition": "Zones",
    "OneZoneDefinition": "Zone",
    "MultipleZoneStatus": "ZoneStatuses",
    "OneZoneStatus": "ZoneStatus",
    "MultipleAreaStatus": "AreaStatuses",
    "OneAreaStatus": "AreaStatus",
    "OnePingResponse": "PingResponse",
    "OneLinkDefinition": "Link",
}


async def test_lp6_lp9_reply_types_and_body_keys(leap: Opener) -> None:
    """LP6: each request type's reply type and status; LP9: the body's one key is the one its MessageBodyType names."""
    session: LeapSession = await leap()
    reads = [
        "/project",
        "/area",
        f"/area/{KITCHEN}",
        f"/area/{KITCHEN}/associatedzone",
        "/device?where=IsThisDevice:true",
        "/device?where=IsThisDevice:false",
        "/device/81",
        f"/zone/{ISLAND}",
        f"/zone/{ISLAND}/status",
        "/zone/status",
        "/area/status",
        f"/area/{HALL}/status",
        "/server/1/status/ping",
        "/link/12",
    ]
    for url in reads:
        reply = await session.request("ReadRequest", url)
        assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
            "ReadResponse",
            "200 OK",
        ), url
        assert list(reply["Body"]) == [BODY_KEYS[reply["Header"]["MessageBodyType"]]], (
            url
        )
    for url in ("/zone/status", "/area/status"):
        reply = await session.request("SubscribeRequest", url)
        assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
            "SubscribeResponse",
            "200 OK",
        )
        assert list(reply["Body"]) == [BODY_KEYS[reply["Header"]["MessageBodyType"]]]
        reply = await session.request("UnsubscribeRequest", url)
        assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
            "UnsubscribeResponse",
            "204 NoContent",
        )
        assert "Body" not in reply
        assert "MessageBodyType" not in reply["Header"]
    reply = await session.request(
        "CreateRequest", f"/zone/{ISLAND}/commandprocessor", go_to_level(100)
    )
    assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
        "CreateResponse",
        "201 Created",
    )
    assert list(reply["Body"]) == ["ZoneStatus"]
    empty = await session.request(
        "ReadRequest", "/area/3/associatedzone"
    )  # the root area holds no zone
    assert (empty["Header"]["StatusCode"], "Body" in empty) == ("204 NoContent", False)


@pytest.mark.parametrize("form", list(PushForm))
async def test_lp23_push_forms(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    form: PushForm,
) -> None:
    """LP23: zone and area changes are pushed in the form chosen; the subscription's first answer is the same.

    Tagged collection deltas (LP56), tagged object statuses, or untagged object statuses (LP55 b).
    """
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, push_form=form)
    await server.start()
    session = await LeapSession.open(server.port, client_context)
    try:
        zones = await session.request("SubscribeRequest", "/zone/status", tag="zones")
        assert zones["Header"]["MessageBodyType"] == "MultipleZoneStatus"
        areas = await session.request("SubscribeRequest", "/area/status", tag="areas")
        assert areas["Header"]["MessageBodyType"] == "MultipleAreaStatus"
        emulator.set_zone(
            A3, 1, True
        )  # a zone of the hall, whose level changes with it
        zone_push, area_push = await session.receive(), await session.receive()
        for push in (zone_push, area_push):
            assert push["CommuniqueType"] == "ReadResponse"
            assert push["Header"]["StatusCode"] == "200 OK"
        zone_status = {
            "href": f"/zone/{A3_ZONE1}/status",
            "Zone": {"href": f"/zone/{A3_ZONE1}"},
        }
        if form is PushForm.COLLECTION:
            assert zone_push["Header"]["ClientTag"] == "zones"
            assert zone_push["Header"]["Url"] == "/zone/status"
            assert zone_push["Header"]["MessageBodyType"] == "MultipleZoneStatus"
            [status] = zone_push["Body"]["ZoneStatuses"]
            assert area_push["Header"]["ClientTag"] == "areas"
            assert area_push["Header"]["Url"] == "/area/status"
            [area] = area_push["Body"]["AreaStatuses"]
        else:
            tags = ("zones", "areas") if form is PushForm.OBJECT else (None, None)
            assert zone_push["Header"].get("ClientTag") == tags[0]
            assert zone_push["Header"]["Url"] == f"/zone/{A3_ZONE1}/status"
            assert zone_push["Header"]["MessageBodyType"] == "OneZoneStatus"
            status = zone_push["Body"]["ZoneStatus"]
            assert area_push["Header"].get("ClientTag") == tags[1]
            assert area_push["Header"]["Url"] == f"/area/{HALL}/status"
            assert area_push["Header"]["MessageBodyType"] == "OneAreaStatus"
            area = area_push["Body"]["AreaStatus"]
        assert status.items() >= zone_status.items()
        assert status["Level"] == 100
        assert area["href"] == f"/area/{HALL}/status"
        assert area["Level"] == 100
        assert server.diagnostics()["push_form"] == form.value
    finally:
        await session.close()
        await server.stop()
