"""The LEAP server serving the whole house (LP23–LP46, LP49, LP55, LP56, LP58): raw TLS clients, one rule per test.

The house is the emulation core's (the small system's switching modules, a dimming module, a shade and a tilting
blind, two seeTouch keypads, three occupancy sensors in two rooms, a timeclock) with a Palladiom keypad and the
processor's virtual keypad besides (`keypads.py`).
Ids are found the way a client finds them: from the areas, their zones and control stations, and the hrefs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
import ssl
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    Button,
    ButtonAction,
    Fault,
    Gesture,
    LedState,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.handlers import parse_duration
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import (
    PART_SLOTS,
    Profile,
    ResourceTree,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import (
    MAX_PENDING_BUTTON_EVENTS,
    LeapServer,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap.protocol import LeapError
from custom_components.homeworks_qsx.qsx.leap.pushes import PushForm
from custom_components.homeworks_qsx.qsx.model import (
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    InputType,
    SystemDescription,
)
from tests.qsx.house import (
    DIMMER,
    KEYPAD,
    SCENE,
    SENSOR_1,
    SENSOR_3,
    SHADE,
    SHADE_BUTTON,
    TILT_SHADE,
    TIMECLOCK,
    TOGGLE,
)
from tests.qsx.serving import WAIT, wait_for

from .conftest import LeapSession, command, go_to_level
from .keypads import PALLADIOM, whole_house

type Opener = Callable[[], Any]

SWITCHED_ONLY = "This request is not supported : Only switched zones can be sent to a switched level"


@pytest.fixture
def description() -> SystemDescription:
    """Return the whole house, with a Palladiom keypad and the virtual keypad besides."""
    return whole_house()


class House:
    """What a client learns of the served house: areas, zones, devices and buttons by name."""

    def __init__(self, session: LeapSession) -> None:
        """Read nothing yet."""
        self.session = session
        self.areas: dict[str, str] = {}
        self.zones: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, dict[str, Any]] = {}

    async def load(self) -> House:
        """Walk the areas (zones) and the device list."""
        areas = (await self.session.request("ReadRequest", "/area"))["Body"]["Areas"]
        for area in areas:
            self.areas[area["Name"]] = area["href"]
            reply = await self.session.request(
                "ReadRequest", area["href"] + "/associatedzone"
            )
            for zone in (reply.get("Body") or {}).get("Zones", []):
                self.zones[f"{area['Name']}/{zone['Name']}"] = zone
        devices = await self.session.request(
            "ReadRequest", "/device?where=IsThisDevice:false"
        )
        for device in devices["Body"]["Devices"]:
            self.devices[device["Name"]] = device
        return self

    def zone(self, name: str) -> str:
        """Return the href of a zone by `area/name`."""
        href: str = self.zones[name]["href"]
        return href

    async def buttons(self, device_name: str) -> list[dict[str, Any]]:
        """Return a keypad's buttons, as its expanded button group lists them."""
        reply = await self.session.request(
            "ReadRequest", self.devices[device_name]["href"] + "/buttongroup/expanded"
        )
        [group] = reply["Body"]["ButtonGroupsExpanded"]
        buttons: list[dict[str, Any]] = group["Buttons"]
        return buttons

    async def button(self, device_name: str, number: int) -> dict[str, Any]:
        """Return button `number` of a keypad."""
        [found] = [
            button
            for button in await self.buttons(device_name)
            if button["ButtonNumber"] == number
        ]
        return found


async def house_of(leap: Opener) -> House:
    """Open a session and learn the house."""
    session: LeapSession = await leap()
    return await House(session).load()


async def status_of(house: House, url: str) -> dict[str, Any]:
    """Return the one status a read of `url` answers."""
    reply = await house.session.request("ReadRequest", url)
    assert reply["Header"]["StatusCode"] == "200 OK", reply
    body: dict[str, Any] = next(iter(reply["Body"].values()))
    return body


async def test_lp24_dimmed_zone_definition_and_status(
    leap: Opener, emulator: Emulator
) -> None:
    """LP24: a Dimmed zone (a light) and its status: a whole Level, no SwitchedLevel, ZoneLockState in reads."""
    house = await house_of(leap)
    zone = house.zones["Kitchen/Dimmed 1"]
    assert zone["ControlType"] == "Dimmed"
    assert zone["Category"] == {"Type": "", "IsLight": True}
    emulator.set_level(DIMMER, 1, 42.4, 0)
    status = await status_of(house, zone["href"] + "/status")
    assert status == {
        "href": zone["href"] + "/status",
        "Zone": {"href": zone["href"]},
        "Level": 42,
        "StatusAccuracy": "Good",
        "ZoneLockState": "Unlocked",
    }
    device = house.devices["Kitchen dimmer"]
    assert device["DeviceType"] == "DimmingPowerModule"
    assert device["ModelNumber"] == "LQSE-4A1-D"
    assert {"href": zone["href"]} in device["LocalZones"]


async def test_lp25_lp27_dimmed_commands_reply_and_push_the_target(
    leap: Opener, emulator: Emulator
) -> None:
    """LP25, LP27: GoToLevel and GoToDimmedLevel answer 201 with the target at once; one push follows the reply."""
    house = await house_of(leap)
    zone = house.zone("Kitchen/Dimmed 2")
    await house.session.request("SubscribeRequest", "/zone/status", tag="zones")
    reply = await house.session.request(
        "CreateRequest", zone + "/commandprocessor", go_to_level(60)
    )
    assert reply["Header"]["StatusCode"] == "201 Created"
    assert reply["Body"]["ZoneStatus"]["Level"] == 60
    assert reply["Body"]["ZoneStatus"]["Availability"] == "Available"
    assert emulator.state(DIMMER).zones[1].level == 60
    push = await house.session.receive()
    assert push["Header"]["ClientTag"] == "zones"
    [status] = push["Body"]["ZoneStatuses"]
    assert status == {
        "href": zone + "/status",
        "Zone": {"href": zone},
        "Level": 60,
        "StatusAccuracy": "Good",
    }  # LP55 a: no ZoneLockState in pushes
    reply = await house.session.request(
        "CreateRequest",
        zone + "/commandprocessor",
        command(
            "GoToDimmedLevel",
            DimmedLevelParameters={"Level": 25, "FadeTime": "00:00:04"},
        ),
    )
    assert (
        reply["Body"]["ZoneStatus"]["Level"] == 25
    )  # the target, not a level on the way
    assert (await house.session.receive())["Body"]["ZoneStatuses"][0]["Level"] == 25
    assert emulator.state(DIMMER).zones[1].level == 25


async def test_lp25_raise_lower_stop_and_refusals(
    leap: Opener, emulator: Emulator
) -> None:
    """LP25, LP27: Raise, Lower and Stop take no parameters; GoToSwitchedLevel is refused with the seen text."""
    house = await house_of(leap)
    zone = house.zone("Kitchen/Dimmed 3")
    emulator.set_level(DIMMER, 3, 50, 0)
    for kind in ("Raise", "Stop", "Lower", "Stop"):
        reply = await house.session.request(
            "CreateRequest", zone + "/commandprocessor", command(kind)
        )
        assert reply["Header"]["StatusCode"] == "201 Created", kind
    refused = await house.session.request(
        "CreateRequest",
        zone + "/commandprocessor",
        command("GoToSwitchedLevel", SwitchedLevelParameters={"SwitchedLevel": "On"}),
    )
    assert refused["Header"]["StatusCode"] == "400 BadRequest"
    assert refused["Body"]["Message"] == SWITCHED_ONLY
    for body in (
        command("GoToCCOLevel", CCOLevelParameters={"CCOLevel": "Closed"}),
        command("GoToTilt", TiltParameters={"Tilt": 5}),
        command("GoToDimmedLevel"),
        command("GoToDimmedLevel", DimmedLevelParameters={"Level": 101}),
        command("GoToDimmedLevel", DimmedLevelParameters={"Level": 5, "FadeTime": 4}),
    ):
        before = emulator.state(DIMMER).zones[2].level
        reply = await house.session.request(
            "CreateRequest", zone + "/commandprocessor", body
        )
        assert reply["Header"]["StatusCode"] == "400 BadRequest", body
        assert emulator.state(DIMMER).zones[2].level == before


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:04", 4),
        ("0:01:30", 90),
        ("01:30", 90),
        ("4", 4),
        ("07", 7),
        ("00:00:01.50", 1.5),
        ("2.5", 2.5),
        ("PT4S", 4),
        ("PT1M30S", 90),
        ("PT1H", 3600),
        ("PT0.25S", 0.25),
        ("04:00:00", 4 * 3600),
        ("00:00:00", 0),
    ],
)
def test_lp26_durations_accepted(text: str, seconds: float) -> None:
    """LP26: hh:mm:ss, h:mm:ss, mm:ss, ss (each with .ff) and ISO-8601 PT…S."""
    assert parse_duration(text, "FadeTime") == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [
        "04:00:01",
        "PT5H",
        "00:60:00",
        "00:00:60",
        "1:2:3:4",
        "PT",
        "P1D",
        "-1",
        "4s",
        "",
        " 4",
        "00:00:04.123",
        4,
        None,
        ["00:00:04"],
    ],
)
def test_lp26_durations_refused(value: Any) -> None:
    """LP26: anything else, and more than 4 h, is 400."""
    with pytest.raises(LeapError) as refused:
        parse_duration(value, "FadeTime")
    assert refused.value.status.code == 400
    assert "FadeTime" in refused.value.message


async def test_lp26_fade_forms_on_the_wire_and_a_delay(
    leap: Opener, emulator: Emulator
) -> None:
    """LP26: an ISO fade is taken; a DelayTime holds the level back, and a later command for the zone wins."""
    house = await house_of(leap)
    zone = house.zone("Kitchen/Dimmed 4") + "/commandprocessor"
    reply = await house.session.request(
        "CreateRequest",
        zone,
        command(
            "GoToDimmedLevel", DimmedLevelParameters={"Level": 30, "FadeTime": "PT2S"}
        ),
    )
    assert reply["Body"]["ZoneStatus"]["Level"] == 30
    reply = await house.session.request(
        "CreateRequest",
        zone,
        command(
            "GoToDimmedLevel",
            DimmedLevelParameters={"Level": 80, "DelayTime": "0.20"},
        ),
    )
    assert reply["Body"]["ZoneStatus"]["Level"] == 30  # not yet
    await wait_for(lambda: emulator.state(DIMMER).zones[3].level == 80)
    await house.session.request(
        "CreateRequest",
        zone,
        command(
            "GoToDimmedLevel", DimmedLevelParameters={"Level": 10, "DelayTime": "10"}
        ),
    )
    await house.session.request("CreateRequest", zone, go_to_level(55))
    assert emulator.state(DIMMER).zones[3].level == 55  # the delayed 10 was dropped


async def test_lp30_shades_and_their_devices(leap: Opener, emulator: Emulator) -> None:
    """LP30: Shade and ShadeWithTilt zones (not lights) under their area; the devices are Shade/QS Shade, no LocalZones."""
    house = await house_of(leap)
    shade_zone = house.zones["Living/Shade"]
    blind_zone = house.zones["Living/Blind"]
    assert shade_zone["ControlType"] == "Shade"
    assert blind_zone["ControlType"] == "ShadeWithTilt"
    assert (
        shade_zone["Category"]
        == blind_zone["Category"]
        == {"Type": "", "IsLight": False}
    )
    for name in ("Living shade", "Living blind"):
        device = house.devices[name]
        assert device["DeviceType"] == "Shade"
        assert device["ModelNumber"] == "QS Shade"
        assert "LocalZones" not in device
        assert device["AssociatedArea"] == {"href": house.areas["Living"]}
    emulator.set_level(TILT_SHADE, 1, 40)
    emulator.set_tilt(TILT_SHADE, 1, 70)
    status = await status_of(house, blind_zone["href"] + "/status")
    assert (status["Level"], status["Tilt"]) == (40, 70)
    assert "Tilt" not in await status_of(house, shade_zone["href"] + "/status")


async def test_lp31_shade_commands(leap: Opener, emulator: Emulator) -> None:
    """LP31: levels, Raise/Lower/Stop, GoToTilt where the shade tilts; installer and tilt-motion commands are 400."""
    house = await house_of(leap)
    shade_url = house.zone("Living/Shade") + "/commandprocessor"
    blind_url = house.zone("Living/Blind") + "/commandprocessor"
    reply = await house.session.request("CreateRequest", shade_url, go_to_level(100))
    assert reply["Body"]["ZoneStatus"]["Level"] == 100
    assert emulator.state(SHADE).zones[0].level == 100
    reply = await house.session.request(
        "CreateRequest",
        shade_url,
        command("GoToShadeLevel", ShadeLevelParameters={"Level": 20}),
    )
    assert emulator.state(SHADE).zones[0].level == 20
    for kind in ("Lower", "Stop"):
        reply = await house.session.request("CreateRequest", shade_url, command(kind))
        assert reply["Header"]["StatusCode"] == "201 Created"
    reply = await house.session.request(
        "CreateRequest", blind_url, command("GoToTilt", TiltParameters={"Tilt": 35})
    )
    assert reply["Body"]["ZoneStatus"]["Tilt"] == 35
    reply = await house.session.request(
        "CreateRequest",
        blind_url,
        command(
            "GoToShadeLevelWithTilt",
            ShadeWithTiltLevelParameters={"Level": 60, "Tilt": 10},
        ),
    )
    assert (
        reply["Body"]["ZoneStatus"]["Level"],
        reply["Body"]["ZoneStatus"]["Tilt"],
    ) == (60, 10)
    refusals = [
        (shade_url, command("GoToTilt", TiltParameters={"Tilt": 35}), "shade zone"),
        (
            shade_url,
            command("ShadeLimitRaise", ShadeLimitRaiseParameters={}),
            "installer",
        ),
        (blind_url, command("RaiseTilt"), "not supported"),
        (
            shade_url,
            command("GoToDimmedLevel", DimmedLevelParameters={"Level": 5}),
            "shade zone",
        ),
        (blind_url, command("GoToTilt", TiltParameters={"Tilt": -1}), "Tilt must be"),
        (shade_url, command("GoToShadeLevel"), "ShadeLevelParameters"),
    ]
    for url, body, message in refusals:
        reply = await house.session.request("CreateRequest", url, body)
        assert reply["Header"]["StatusCode"] == "400 BadRequest", body
        assert message in reply["Body"]["Message"], body
    assert (
        emulator.state(TILT_SHADE).zones[0].level,
        emulator.state(TILT_SHADE).zones[0].tilt,
    ) == (60, 10)


async def test_lp34_control_stations_per_area(leap: Opener) -> None:
    """LP34: each keypad is a one-gang control station of its area; the keypad's device names its station."""
    house = await house_of(leap)
    reply = await house.session.request(
        "ReadRequest", house.areas["Kitchen"] + "/associatedcontrolstation"
    )
    assert reply["Header"]["MessageBodyType"] == "MultipleControlStationDefinition"
    [station] = reply["Body"]["ControlStations"]
    [gang] = station["AssociatedGangedDevices"]
    assert gang["GangPosition"] == 0
    assert gang["Device"]["DeviceType"] == "SeeTouchKeypad"
    assert station["AssociatedArea"] == {"href": house.areas["Kitchen"]}
    device = house.devices["Kitchen keypad"]
    assert gang["Device"]["href"] == device["href"]
    assert device["AssociatedControlStation"]["href"] == station["href"]
    one = await status_of(house, station["href"])
    assert one == station
    reply = await house.session.request(
        "ReadRequest", house.areas["Living"] + "/associatedcontrolstation"
    )
    assert reply["Header"]["StatusCode"] == "204 NoContent"
    reply = await house.session.request("ReadRequest", "/controlstation")
    assert reply["Header"]["StatusCode"] == "405 MethodNotAllowed"  # LP58


async def test_lp35_keypad_device_types(leap: Opener) -> None:
    """LP35: SeeTouchKeypad, PalladiomKeypad and the virtual HomeownerKeypad, each with model and area."""
    house = await house_of(leap)
    types = {
        name: (device["DeviceType"], device["ModelNumber"], "SerialNumber" in device)
        for name, device in house.devices.items()
        if device["DeviceType"].endswith("Keypad")
    }
    assert types == {
        "Kitchen keypad": ("SeeTouchKeypad", "QSWS2-7B", True),
        "Hall keypad": ("SeeTouchKeypad", "QSWS2-2B", True),
        "Hall Palladiom": ("PalladiomKeypad", "HQWT-U-P2W", True),
        "Homeowner keypad": ("HomeownerKeypad", "Homeowner Keypad", False),
    }
    homeowner = house.devices["Homeowner keypad"]
    assert homeowner["AssociatedArea"]["href"] in house.areas.values()


async def test_lp36_button_groups_buttons_and_leds(leap: Opener) -> None:
    """LP36: the expanded group lists buttons by position, with engraving, LED and programming model."""
    house = await house_of(leap)
    hall = house.devices["Hall Palladiom"]
    reply = await house.session.request(
        "ReadRequest", hall["href"] + "/buttongroup/expanded"
    )
    assert reply["Header"]["MessageBodyType"] == "MultipleButtonGroupExpandedDefinition"
    [group] = reply["Body"]["ButtonGroupsExpanded"]
    assert group["Parent"] == {"href": hall["href"]}
    assert group["ProgrammingType"] == "Freeform"
    first, fourth = group["Buttons"]
    assert (first["ButtonNumber"], fourth["ButtonNumber"]) == (1, 4)
    assert first["Engraving"] == {"Text": "Welcome\nHome"}
    assert fourth["Engraving"] == {"Text": ""}
    assert (
        first["ProgrammingModel"]["ProgrammingModelType"]
        == "SingleActionProgrammingModel"
    )
    assert first["Parent"] == {"href": group["href"]}
    assert (await status_of(house, first["href"])) == first
    assert (await status_of(house, first["ProgrammingModel"]["href"]))[
        "ProgrammingModelType"
    ] == "SingleActionProgrammingModel"
    led = await status_of(house, first["AssociatedLED"]["href"] + "/status")
    assert led == {
        "href": first["AssociatedLED"]["href"] + "/status",
        "LED": first["AssociatedLED"],
        "State": "Off",
    }
    kitchen = await house.buttons("Kitchen keypad")
    models = {
        button["ButtonNumber"]: button.get("ProgrammingModel", {}).get(
            "ProgrammingModelType"
        )
        for button in kitchen
    }
    assert models[TOGGLE] == "AdvancedToggleProgrammingModel"
    assert models[SHADE_BUTTON] == "OpenStopCloseStopProgrammingModel"
    plain = await status_of(house, group["href"])
    assert plain["Buttons"] == [{"href": first["href"]}, {"href": fourth["href"]}]
    for url, status in (
        ("/buttongroup", "204 NoContent"),
        ("/buttongroup/expanded", "400 BadRequest"),
        (
            house.devices["Living shade"]["href"] + "/buttongroup/expanded",
            "204 NoContent",
        ),
        (
            house.devices["Kitchen panel"]["href"] + "/buttongroup/expanded",
            "204 NoContent",
        ),
        (hall["href"] + "/led/status", "400 BadRequest"),  # LP41
        ("/button/999999/status/event", "404 NotFound"),
    ):
        reply = await house.session.request("ReadRequest", url)
        assert reply["Header"]["StatusCode"] == status, url
    button = await house.session.request("ReadRequest", "/button")
    assert (button["Header"]["StatusCode"], button["Body"]) == ("200 OK", {})


async def test_lp38_lp39_button_events_pushed_never_stored(
    leap: Opener, emulator: Emulator
) -> None:
    """LP39: subscribing is 204 without a body; LP38: a tap is pushed as Press then Release on the button's tag."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)
    url = button["href"] + "/status/event"
    reply = await house.session.request("SubscribeRequest", url, tag="scene")
    assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
        "SubscribeResponse",
        "204 NoContent",
    )
    assert "Body" not in reply
    emulator.press(KEYPAD, SCENE, Gesture.TAP)
    for expected in ("Press", "Release"):
        push = await house.session.receive()
        assert push["CommuniqueType"] == "ReadResponse"
        assert push["Header"] == {
            "StatusCode": "200 OK",
            "Url": url,
            "MessageBodyType": "OneButtonStatusEvent",
            "ClientTag": "scene",
        }
        assert push["Body"] == {
            "ButtonStatus": {
                "Button": {"href": button["href"]},
                "ButtonEvent": {"EventType": expected},
            }
        }
    again = await house.session.request("SubscribeRequest", url, tag="again")
    assert "Body" not in again  # no stored event on a new subscription
    reply = await house.session.request("ReadRequest", url)
    assert reply["Header"]["StatusCode"] == "204 NoContent"
    for kind in ("SubscribeRequest", "ReadRequest"):
        reply = await house.session.request(kind, "/button/status/event")
        assert reply["Header"]["StatusCode"] == "405 MethodNotAllowed"


async def test_lp38_double_tap_and_hold(leap: Opener, emulator: Emulator) -> None:
    """LP38, LP39: a second tap is MultiTap; a hold gives LongHold after 2 s and Release when let go."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", TOGGLE)
    await house.session.request(
        "SubscribeRequest", button["href"] + "/status/event", tag="toggle"
    )
    emulator.press(KEYPAD, TOGGLE, Gesture.DOUBLE_TAP)
    events = [
        (await house.session.receive())["Body"]["ButtonStatus"]["ButtonEvent"][
            "EventType"
        ]
        for _ in range(4)
    ]
    assert events == ["Press", "Release", "MultiTap", "Release"]
    reply = await house.session.request(
        "CreateRequest",
        button["href"] + "/commandprocessor",
        command("PressAndHold"),
        tag="hold",
    )
    assert reply["Header"]["StatusCode"] == "204 NoContent"
    events = []
    while len(events) < 2:
        push = await house.session.receive(timeout=WAIT + 2)
        events.append(push["Body"]["ButtonStatus"]["ButtonEvent"]["EventType"])
    assert events == ["Press", "LongHold"]
    await house.session.request(
        "CreateRequest", button["href"] + "/commandprocessor", command("Release")
    )
    push = await house.session.receive()
    assert push["Body"]["ButtonStatus"]["ButtonEvent"]["EventType"] == "Release"


async def test_lp40_press_from_a_client_runs_the_programming(
    leap: Opener, emulator: Emulator
) -> None:
    """LP40: PressAndRelease answers 204 without a body and runs the button's programming; other types are 400."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)
    url = button["href"] + "/commandprocessor"
    await house.session.request(
        "SubscribeRequest", button["href"] + "/status/event", tag="ev"
    )
    reply = await house.session.request(
        "CreateRequest", url, command("PressAndRelease")
    )
    assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
        "CreateResponse",
        "204 NoContent",
    )
    assert "Body" not in reply
    assert emulator.state(DIMMER).zones[0].level == 75  # the scene's level
    assert [
        (await house.session.receive())["Body"]["ButtonStatus"]["ButtonEvent"][
            "EventType"
        ]
        for _ in range(2)
    ] == ["Press", "Release"]
    bodies: list[Any] = [command("Press"), command("GoToLevel"), {"Command": []}, None]
    for body in bodies:
        reply = await house.session.request("CreateRequest", url, body)
        assert reply["Header"]["StatusCode"] == "400 BadRequest", body
    reply = await house.session.request("ReadRequest", url)
    assert reply["Header"]["StatusCode"] == "405 MethodNotAllowed"


async def test_lp40_a_press_that_fails_after_its_reply_is_counted(
    leap: Opener,
    server: LeapServer,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP40: a press runs once its 204 is queued; a fault of ours then is counted, and the session goes on."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)

    def broken(*_: Any) -> None:
        raise RuntimeError("press failed")

    monkeypatch.setattr(emulator, "press", broken)
    errors = server.diagnostics()["errors"]
    reply = await house.session.request(
        "CreateRequest",
        button["href"] + "/commandprocessor",
        command("PressAndRelease"),
    )
    assert reply["Header"]["StatusCode"] == "204 NoContent"
    assert server.diagnostics()["errors"] == errors + 1
    reply = await house.session.request("ReadRequest", button["href"])
    assert reply["Header"]["StatusCode"] == "200 OK"


async def test_lp41_lp42_leds(leap: Opener, emulator: Emulator) -> None:
    """LP41: an LED subscription answers its status; LP42: a write answers the state in force, changes are pushed."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)
    led = button["AssociatedLED"]["href"]
    reply = await house.session.request("SubscribeRequest", led + "/status", tag="led")
    assert reply["Header"]["MessageBodyType"] == "OneLEDStatus"
    assert reply["Body"]["LEDStatus"]["State"] == "Off"
    reply = await house.session.request(
        "UpdateRequest", led + "/status", {"LEDStatus": {"State": "On"}}, tag="set"
    )
    assert (reply["CommuniqueType"], reply["Header"]["StatusCode"]) == (
        "UpdateResponse",
        "200 OK",
    )
    assert reply["Header"]["MessageBodyType"] == "OneLEDStatus"
    assert reply["Body"]["LEDStatus"] == {
        "href": led + "/status",
        "LED": {"href": led},
        "State": "On",
    }
    push = await house.session.receive()
    assert (push["Header"]["ClientTag"], push["Header"]["Url"]) == (
        "led",
        led + "/status",
    )
    assert push["Body"]["LEDStatus"]["State"] == "On"
    for body in (
        {"LEDStatus": {"State": "NormalFlash"}},
        {"LEDStatus": {"State": 1}},
        {"LEDStatus": "On"},
        None,
    ):
        reply = await house.session.request("UpdateRequest", led + "/status", body)
        assert reply["Header"]["StatusCode"] == "400 BadRequest", body
    reply = await house.session.request(
        "UpdateRequest", led + "/status", {"LEDStatus": {"State": "Off"}}
    )
    assert reply["Body"]["LEDStatus"]["State"] == "Off"
    assert (await house.session.receive())["Body"]["LEDStatus"]["State"] == "Off"
    # LP42: the programming drives it again: the scene set, its LED lights; the scene left, it goes out.
    emulator.press(KEYPAD, SCENE, Gesture.TAP)
    assert (await house.session.receive())["Body"]["LEDStatus"]["State"] == "On"
    emulator.set_level(DIMMER, 1, 10, 0)
    assert (await house.session.receive())["Body"]["LEDStatus"]["State"] == "Off"


async def test_lp43_lp44_occupancy_in_area_status(
    leap: Opener, emulator: Emulator
) -> None:
    """LP43, LP44: rooms with a sensor report Occupied/Unoccupied, others Unknown; changes are pushed."""
    house = await house_of(leap)
    reply = await house.session.request("SubscribeRequest", "/area/status", tag="areas")
    statuses = {s["href"]: s for s in reply["Body"]["AreaStatuses"]}
    kitchen = house.areas["Kitchen"] + "/status"
    assert statuses[kitchen]["OccupancyStatus"] == "Unoccupied"
    assert statuses[house.areas["Hall"] + "/status"]["OccupancyStatus"] == "Unknown"
    one = await house.session.request(
        "SubscribeRequest", house.areas["Living"] + "/status", tag="living"
    )
    assert one["Body"]["AreaStatus"]["OccupancyStatus"] == "Unoccupied"
    emulator.simulate(SENSOR_1, Fault.OCCUPANCY, True)
    push = await house.session.receive()
    assert push["Header"]["ClientTag"] == "areas"
    [status] = push["Body"]["AreaStatuses"]
    assert (status["href"], status["OccupancyStatus"]) == (kitchen, "Occupied")
    emulator.simulate(SENSOR_3, Fault.OCCUPANCY, True)
    pushes = [await house.session.receive() for _ in range(2)]
    assert {push["Header"]["ClientTag"] for push in pushes} == {"areas", "living"}
    [living] = [p for p in pushes if p["Header"]["ClientTag"] == "living"]
    assert living["Header"]["MessageBodyType"] == "OneAreaStatus"
    assert living["Body"]["AreaStatus"]["OccupancyStatus"] == "Occupied"
    sensor = house.devices["Living sensor"]
    assert sensor["DeviceType"] == "RPSOccupancySensor"
    assert sensor["AssociatedArea"] == {"href": house.areas["Living"]}
    assert sensor["SerialNumber"] == int(SENSOR_3, 16)
    for kind in ("ReadRequest", "SubscribeRequest"):
        for url in ("/occupancygroup", "/occupancygroup/status"):
            reply = await house.session.request(kind, url)
            assert reply["Header"]["StatusCode"] == "204 NoContent", (kind, url)
            assert "Body" not in reply


async def test_lp45_lp46_timeclocks(leap: Opener, emulator: Emulator) -> None:
    """LP45, LP46: timeclocks, their status (read, subscribe, update and its push) and their events."""
    house = await house_of(leap)
    project = await status_of(house, "/project")
    assert project["TimeclockEventRules"] == {"href": "/project/timeclockeventrules"}
    reply = await house.session.request("ReadRequest", "/timeclock")
    assert reply["Header"]["MessageBodyType"] == "MultipleTimeclockDefinition"
    [clock] = reply["Body"]["Timeclocks"]
    assert (clock["Name"], clock["Parent"]) == ("Main timeclock", {"href": "/project"})
    reply = await house.session.request(
        "SubscribeRequest", "/timeclock/status", tag="tc"
    )
    assert reply["Header"]["MessageBodyType"] == "MultipleTimeclockStatus"
    assert reply["Body"]["TimeclockStatuses"] == [
        {
            "href": clock["href"] + "/status",
            "Timeclock": {"href": clock["href"]},
            "EnabledState": "Enabled",
        }
    ]
    reply = await house.session.request(
        "UpdateRequest",
        clock["href"] + "/status",
        {"TimeclockStatus": {"EnabledState": "Disabled"}},
        tag="off",
    )
    assert reply["Header"]["MessageBodyType"] == "OneTimeclockStatus"
    assert reply["Body"]["TimeclockStatus"]["EnabledState"] == "Disabled"
    assert emulator.state(TIMECLOCK).timeclock_enabled is False
    push = await house.session.receive()
    assert push["Header"]["ClientTag"] == "tc"
    assert push["Body"]["TimeclockStatuses"][0]["EnabledState"] == "Disabled"
    reply = await house.session.request(
        "UpdateRequest",
        clock["href"] + "/status",
        {"TimeclockStatus": {"EnabledState": "Off"}},
    )
    assert reply["Header"]["StatusCode"] == "400 BadRequest"
    events = (await house.session.request("ReadRequest", "/timeclockevent"))["Body"][
        "TimeclockEvents"
    ]
    by_name = {event["Name"]: event for event in events}
    morning, dusk = by_name["Morning"], by_name["Dusk"]
    assert morning["TimeclockEventType"] == "FixedTime"
    assert morning["TimeOfDay"] == {"Hour": 7, "Minute": 30, "Second": 0}
    assert (morning["Sunday"], morning["Monday"], morning["ScheduleType"]) == (
        False,
        True,
        "DayOfWeek",
    )
    assert (dusk["TimeclockEventType"], dusk["AstronomicEventType"]) == (
        "Astronomic",
        "Sunset",
    )
    assert dusk["AstronomicTimeOffset"] == "15"
    assert all(event["Parent"] == {"href": clock["href"]} for event in events)
    assert (await status_of(house, dusk["href"])) == dusk
    assert (await status_of(house, clock["href"])) == clock


async def test_lp49_device_status(leap: Opener, emulator: Emulator) -> None:
    """LP49: the processor is Available (nothing else); a device without power is Unavailable, its levels Bad."""
    house = await house_of(leap)
    processor = (
        await house.session.request("ReadRequest", "/device?where=IsThisDevice:true")
    )["Body"]["Devices"][0]
    status = await status_of(house, processor["href"] + "/status")
    assert status == {
        "href": processor["href"] + "/status",
        "Device": {"href": processor["href"]},
        "Availability": "Available",
    }
    dimmer = house.devices["Kitchen dimmer"]["href"]
    assert (await status_of(house, dimmer + "/status"))["Availability"] == "Available"
    emulator.set_level(DIMMER, 1, 30, 0)
    emulator.simulate(DIMMER, Fault.POWER, False)
    status = await status_of(house, dimmer + "/status")
    assert (status["Availability"], status["ConfigurationTransferStatus"]) == (
        "Unavailable",
        "NotRequired",
    )
    zone = house.zone("Kitchen/Dimmed 1")
    level = await status_of(house, zone + "/status")
    assert (level["Level"], level["StatusAccuracy"]) == (30, "Bad")
    reply = await house.session.request(
        "CreateRequest", zone + "/commandprocessor", go_to_level(90)
    )
    assert reply["Body"]["ZoneStatus"]["Level"] == 30  # LP19: ignored, the real level
    assert reply["Body"]["ZoneStatus"]["Availability"] == "Unavailable"
    reply = await house.session.request("ReadRequest", "/device/999999/status")
    assert reply["Header"]["StatusCode"] == "404 NotFound"


async def test_lp56_pushes_follow_the_reply_in_order(
    leap: Opener, emulator: Emulator
) -> None:
    """LP56: a keypad press over LEAP: the 204 first, then the button's events, the zones and the LED, each tagged.

    LP38, LP40: the press event comes before anything its programming changes, as a real keypad's does.
    """
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)
    await house.session.request("SubscribeRequest", "/zone/status", tag="zones")
    await house.session.request(
        "SubscribeRequest", button["href"] + "/status/event", tag="ev"
    )
    await house.session.request(
        "SubscribeRequest", button["AssociatedLED"]["href"] + "/status", tag="led"
    )
    house.session.send(
        {
            "CommuniqueType": "CreateRequest",
            "Header": {
                "Url": button["href"] + "/commandprocessor",
                "ClientTag": "press",
            },
            "Body": command("PressAndRelease"),
        }
    )
    first = await house.session.receive()
    assert first["Header"]["ClientTag"] == "press"
    pressed = await house.session.receive()
    assert pressed["Header"]["ClientTag"] == "ev"
    seen: dict[str, list[dict[str, Any]]] = {"ev": [pressed]}
    while set(seen) != {"ev", "zones", "led"} or len(seen["ev"]) < 2:
        push = await house.session.receive()
        assert push["CommuniqueType"] == "ReadResponse"
        seen.setdefault(push["Header"]["ClientTag"], []).append(push)
    assert [
        p["Body"]["ButtonStatus"]["ButtonEvent"]["EventType"] for p in seen["ev"]
    ] == [
        "Press",
        "Release",
    ]
    assert all(
        p["Header"]["MessageBodyType"] == "MultipleZoneStatus" for p in seen["zones"]
    )
    assert seen["led"][-1]["Body"]["LEDStatus"]["State"] == "On"


@pytest.mark.parametrize("form", list(PushForm))
async def test_lp23_push_forms_of_buttons_leds_and_areas(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    form: PushForm,
) -> None:
    """LP23: button events, LEDs and areas pushed tagged on their URLs, or untagged in the untagged form."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, push_form=form)
    await server.start()
    session = await LeapSession.open(server.port, client_context)
    try:
        house = await House(session).load()
        button = await house.button("Kitchen keypad", SCENE)
        led = button["AssociatedLED"]["href"] + "/status"
        events = button["href"] + "/status/event"
        await session.request("SubscribeRequest", events, tag="ev")
        await session.request("SubscribeRequest", led, tag="led")
        await session.request("SubscribeRequest", "/area/status", tag="areas")
        emulator.press(KEYPAD, SCENE, Gesture.TAP)
        received: list[dict[str, Any]] = []
        while (
            not any(p["Header"]["MessageBodyType"] == "OneLEDStatus" for p in received)
            or not any(
                "AreaStatus" in str(p["Header"]["MessageBodyType"]) for p in received
            )
            or sum(
                p["Header"]["MessageBodyType"] == "OneButtonStatusEvent"
                for p in received
            )
            < 2
        ):
            received.append(await session.receive())
        tags = {
            p["Header"]["MessageBodyType"]: p["Header"].get("ClientTag")
            for p in received
        }
        urls = {p["Header"]["MessageBodyType"]: p["Header"]["Url"] for p in received}
        untagged = form is PushForm.UNTAGGED
        assert tags["OneButtonStatusEvent"] == (None if untagged else "ev")
        assert urls["OneButtonStatusEvent"] == events
        assert tags["OneLEDStatus"] == (None if untagged else "led")
        assert urls["OneLEDStatus"] == led
        kitchen = house.areas["Kitchen"] + "/status"
        if form is PushForm.COLLECTION:
            assert tags["MultipleAreaStatus"] == "areas"
            assert urls["MultipleAreaStatus"] == "/area/status"
        else:
            assert tags["OneAreaStatus"] == (None if untagged else "areas")
            assert urls["OneAreaStatus"] == kitchen
    finally:
        await session.close()
        await server.stop()


@pytest.mark.parametrize("profile", list(Profile))
def test_lp16_both_profiles_serve_every_kind(
    description: SystemDescription, profile: Profile
) -> None:
    """LP16: the profile changes how enclosure modules (switching and dimming) are listed, nothing else."""
    tree = ResourceTree(description, profile)
    types = sorted(
        tree.devices[device_id]["DeviceType"] for device_id in tree.module_devices
    )
    modules = ["DimmingPowerModule", *["SwitchingPowerModule"] * 4]
    expected_modules = modules if profile is Profile.FULL else ["Unknown"] * 5
    others = [
        "HomeownerKeypad",
        "PalladiomKeypad",
        "RPSOccupancySensor",
        "RPSOccupancySensor",
        "RPSOccupancySensor",
        "SeeTouchKeypad",
        "SeeTouchKeypad",
        "Shade",
        "Shade",
    ]
    assert types == sorted([*expected_modules, *others])
    assert {zone["ControlType"] for zone in tree.zones.values()} == {
        "Switched",
        "CCO",
        "Dimmed",
        "Shade",
        "ShadeWithTilt",
    }
    assert len(tree.buttons) == len(tree.leds) == 12  # 7 + 2 + 2 + 1
    assert len(tree.timeclocks) == 1


def test_lp10_ids_unique_across_every_kind(description: SystemDescription) -> None:
    """LP10–LP16: ids are unique across areas, devices, zones, links, stations, groups, buttons, LEDs, timeclocks."""
    tree = ResourceTree(description)
    ids = [
        *tree.areas,
        *tree.devices,
        *tree.zones,
        *tree.links,
        *tree.control_stations,
        *tree.button_groups,
        *tree.buttons,
        *tree.leds,
        *tree.programming_models,
        *tree.timeclocks,
        *tree.timeclock_events,
    ]
    assert len(ids) == len(set(ids))
    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert ResourceTree(description).buttons == tree.buttons  # stable


async def test_lp13_every_zone_in_one_area_with_the_virtual_keypad_at_the_root(
    leap: Opener,
) -> None:
    """LP13: every zone of /zone/status is listed by exactly one area; a device without a room is in the root area."""
    house = await house_of(leap)
    statuses = (await house.session.request("ReadRequest", "/zone/status"))["Body"][
        "ZoneStatuses"
    ]
    listed = sorted(zone["href"] for zone in house.zones.values())
    assert listed == sorted(status["Zone"]["href"] for status in statuses)
    assert len(listed) == len(set(listed))
    root = (await house.session.request("ReadRequest", "/area"))["Body"]["Areas"][0]
    assert house.devices["Homeowner keypad"]["AssociatedArea"] == {"href": root["href"]}


async def test_lp56_changes_of_objects_not_served_push_nothing(
    leap: Opener, server: LeapServer, emulator: Emulator
) -> None:
    """LP56, LP17: events naming nothing the server lists (or a module's front button) are not pushed."""
    house = await house_of(leap)
    for url in ("/zone/status", "/area/status", "/timeclock/status"):
        await house.session.request("SubscribeRequest", url)
    for kind, zone, value in (
        (EventKind.LEVEL, 1, 5.0),
        (EventKind.INDICATOR, 1, LedState.ON),
        (EventKind.BUTTON, 1, ButtonAction.PRESS),
        (EventKind.OCCUPANCY, None, True),
        (EventKind.TIMECLOCK, None, False),
    ):
        emulator.events.publish(Event(kind, "FFFFFFFF", zone, value))
    emulator.events.publish(Event(EventKind.BUTTON, KEYPAD, 99, ButtonAction.PRESS))
    emulator.press_button("000000A1", Button.ZONE_1)  # a module's own button: LP17
    house.session.send(
        {
            "CommuniqueType": "ReadRequest",
            "Header": {"Url": "/server/1/status/ping", "ClientTag": "ping"},
        }
    )
    pushed = []
    while (message := await house.session.receive())["Header"].get(
        "ClientTag"
    ) != "ping":
        pushed.append(message["Body"])
    # Only what the module's button switched: its zone, and its room's level.
    assert pushed == [
        {
            "ZoneStatuses": [
                await status_of(house, house.zone("Kitchen/Island") + "/status")
            ]
        },
        {"AreaStatuses": [await status_of(house, house.areas["Kitchen"] + "/status")]},
    ]


async def test_lp38_button_events_waiting_are_bounded(
    leap: Opener, server: LeapServer, emulator: Emulator
) -> None:
    """LP38: events are never merged, but those waiting for one push are bounded; the oldest give way, counted."""
    house = await house_of(leap)
    button = await house.button("Kitchen keypad", SCENE)
    await house.session.request(
        "SubscribeRequest", button["href"] + "/status/event", tag="ev"
    )
    extra = 10
    for _ in range(MAX_PENDING_BUTTON_EVENTS + extra):
        emulator.events.publish(
            Event(EventKind.BUTTON, KEYPAD, SCENE, ButtonAction.PRESS)
        )
    emulator.events.publish(
        Event(EventKind.BUTTON, KEYPAD, SCENE, ButtonAction.RELEASE)
    )
    events = [
        (await house.session.receive())["Body"]["ButtonStatus"]["ButtonEvent"][
            "EventType"
        ]
        for _ in range(MAX_PENDING_BUTTON_EVENTS)
    ]
    assert events[-1] == "Release"
    assert server.diagnostics()["dropped_button_events"] == extra + 1


async def test_lp26_delayed_commands_end_with_the_server(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    client_context: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP26: a delayed level the device ignores is counted, one that fails is dropped quietly, and stop drops the rest."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    try:
        house = await House(await LeapSession.open(server.port, client_context)).load()
        delayed = command(
            "GoToDimmedLevel", DimmedLevelParameters={"Level": 70, "DelayTime": "0.05"}
        )
        emulator.simulate(DIMMER, Fault.POWER, False)
        await house.session.request(
            "CreateRequest",
            house.zone("Kitchen/Dimmed 1") + "/commandprocessor",
            delayed,
        )
        await wait_for(lambda: server.diagnostics()["ignored_commands"] == 1)
        emulator.simulate(DIMMER, Fault.POWER, True)

        def broken(*_: Any) -> None:
            raise RuntimeError("dimmer fault")

        monkeypatch.setattr(emulator, "set_level", broken)
        await house.session.request(
            "CreateRequest",
            house.zone("Kitchen/Dimmed 2") + "/commandprocessor",
            delayed,
        )
        await asyncio.sleep(0.2)
        monkeypatch.undo()
        later = command(
            "GoToDimmedLevel", DimmedLevelParameters={"Level": 70, "DelayTime": "0.2"}
        )
        await house.session.request(
            "CreateRequest", house.zone("Kitchen/Dimmed 3") + "/commandprocessor", later
        )
        await house.session.close()
    finally:
        await server.stop()
    await asyncio.sleep(0.4)
    assert [zone.level for zone in emulator.state(DIMMER).zones[:3]] == [0, 0, 0]


async def test_lp45_one_timeclock_and_other_reads(leap: Opener) -> None:
    """LP45, LP12: a timeclock's status alone; the project's event rules; a device query of another kind is 404."""
    house = await house_of(leap)
    [clock] = (await house.session.request("ReadRequest", "/timeclock"))["Body"][
        "Timeclocks"
    ]
    status = await status_of(house, clock["href"] + "/status")
    assert status["EnabledState"] == "Enabled"
    rules = await house.session.request("ReadRequest", "/project/timeclockeventrules")
    assert rules["Header"]["StatusCode"] == "204 NoContent"
    other = await house.session.request("ReadRequest", "/device?where=Name:x")
    assert other["Header"]["StatusCode"] == "404 NotFound"
    other = await house.session.request("ReadRequest", "/area?where=IsLeaf:true")
    assert other["Header"]["StatusCode"] == "404 NotFound"


def test_lp36_positions_beyond_the_id_space_are_not_listed(
    description: SystemDescription,
) -> None:
    """LP36 (ours): buttons, LEDs and timeclock events numbered past `PART_SLOTS` are left out; ids never collide."""
    devices = []
    for device in description.devices:
        if device.serial == PALLADIOM:
            far = InputDescription(PART_SLOTS + 1, InputType.BUTTON, "Far")
            device = replace(
                device,
                inputs=(*device.inputs, far),
                indicators=(
                    *device.indicators,
                    IndicatorDescription(PART_SLOTS + 1, "Far"),
                ),
            )
        elif device.kind is DeviceKind.TIMECLOCK:
            device = replace(
                device,
                schedule=(
                    *device.schedule,
                    replace(device.schedule[0], number=PART_SLOTS + 1),
                ),
            )
        elif device.kind is DeviceKind.SHADE:
            device = replace(device, has_serial_number=False)
        devices.append(device)
    tree = ResourceTree(replace(description, devices=tuple(devices)))
    assert len(tree.buttons) == len(tree.leds) == 12
    assert len(tree.timeclock_events) == 3
    shades = [d for d in tree.devices.values() if d.get("DeviceType") == "Shade"]
    assert shades and all("SerialNumber" not in shade for shade in shades)


@pytest.mark.parametrize("profile", list(Profile))
def test_lp47_lp48_link_nodes_expanded(
    description: SystemDescription, profile: Profile
) -> None:
    """LP47, LP48, LP51: each link lists the processor and every device on it, its device as Parent (LP16 form).

    In the addressed listing a module's link node is the only place that names its zones (`Parent.LocalZones`).
    """
    tree = ResourceTree(description, profile)
    processor = tree.devices[tree.processor_id]
    for link in description.links:
        link_href = next(
            link_id
            for link_id, found in tree.links.items()
            if found["LinkNumber"] == link.number
        )
        result = tree.read(f"/link/{link_href}/associatedlinknode/expanded")
        assert result is not None
        body_type, nodes = result
        assert body_type.value == "MultipleLinkNodeExpandedDefinition"
        assert body_type.body_key == "LinkNodesExpanded"
        names = [node["Parent"]["Name"] for node in nodes]
        on_link = [
            d
            for d in description.devices
            if d.link == link.number and d.kind is not DeviceKind.TIMECLOCK
        ]
        assert len(names) == 1 + len(on_link)
        assert nodes[0]["Parent"]["href"] == processor["href"]
        assert nodes[0]["Parent"]["FirmwareImage"] == processor["FirmwareImage"]
        for node in nodes:
            parent = tree.devices[int(node["Parent"]["href"].rsplit("/", 1)[1])]
            assert node["href"] == parent["LinkNodes"][0]["href"]
            assert node["LinkType"] == "QS"
            shown = dict(node["Parent"])
            if profile is Profile.ADDRESSED and parent["DeviceType"] == "Unknown":
                local = shown.pop("LocalZones")
                assert "LocalZones" not in parent
                assert [zone["href"] for zone in local] == [
                    tree.zones[zone_id]["href"]
                    for zone_id, target in tree.targets.items()
                    if tree.device_serials[int(parent["href"].rsplit("/", 1)[1])]
                    == target.serial
                ]
            assert shown.items() <= parent.items()
            # LP47: no link address in LEAP
            assert not {"Address", "LinkAddress"} & (set(node) | set(node["Parent"]))
        modules = [
            n["Parent"]
            for n in nodes
            if n["Parent"]["DeviceType"] in ("Unknown", "SwitchingPowerModule")
        ]
        assert modules
        if profile is Profile.FULL:
            assert all("LocalZones" in m and "SerialNumber" in m for m in modules)
        elif profile is Profile.ADDRESSED:
            assert all(
                {"LocalZones", "SerialNumber", "ModelNumber"} <= set(m) for m in modules
            )
        else:
            assert not any(
                {"LocalZones", "SerialNumber", "ModelNumber"} & set(m) for m in modules
            )


async def test_lp48_lp51_the_addressed_listing_names_modules_but_not_their_zones(
    socket_enabled: None, emulator: Emulator, credentials: LeapCredentials
) -> None:
    """LP48, LP50, LP51: addressed, a module is `Unknown` with its serial and model, its zones only in its link node."""
    server = LeapServer(
        emulator, credentials, "127.0.0.1", 0, profile=Profile.ADDRESSED
    )
    await server.start()
    session = await LeapSession.open(
        server.port, credentials.client_context(*credentials.issue_client())
    )
    try:
        devices = (
            await session.request("ReadRequest", "/device?where=IsThisDevice:false")
        )["Body"]["Devices"]
        modules = {
            device["SerialNumber"]: device
            for device in devices
            if device["DeviceType"] == "Unknown"
        }
        described = {
            int(device.serial, 16): device
            for device in emulator.description.devices
            if device.kind in (DeviceKind.SWITCHING_MODULE, DeviceKind.DIMMING_MODULE)
        }
        assert sorted(modules) == sorted(described)
        for serial, module in modules.items():
            assert (module["Name"], module["ModelNumber"]) == (
                described[serial].name,
                described[serial].model,
            )
            assert module["DeviceClass"] == {"HexadecimalEncoding": "0"}
            assert "LocalZones" not in module
            one = await session.request("ReadRequest", module["href"])
            assert "LocalZones" not in one["Body"]["Device"]
        [processor] = (
            await session.request("ReadRequest", "/device?where=IsThisDevice:true")
        )["Body"]["Devices"]
        found: dict[int, list[str]] = {}
        for link in processor["OwnedLinks"]:
            nodes = (
                await session.request(
                    "ReadRequest", link["href"] + "/associatedlinknode/expanded"
                )
            )["Body"]["LinkNodesExpanded"]
            for node in nodes:
                parent = node["Parent"]
                if parent["DeviceType"] == "Unknown":
                    found[parent["SerialNumber"]] = [
                        zone["href"] for zone in parent["LocalZones"]
                    ]
        assert sorted(found) == sorted(described)
        for serial, zones in found.items():
            assert len(zones) == len(described[serial].outputs)
            for href in zones:
                zone = (await session.request("ReadRequest", href))["Body"]["Zone"]
                assert "Device" not in zone  # LP50: no capture shows it
    finally:
        await session.close()
        await server.stop()
