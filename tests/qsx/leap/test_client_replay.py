"""The live client against a scripted processor answering a tree shaped on a real QSX's captures (`replay.py`).

The tree (`fixtures/qsx_house.json`) is an unaddressed project as the public capture shows one: enclosure devices of
type `Unknown`, QS shades without zones, Palladiom and Homeowner keypads, dimmed, shade and tunable zones, Ketra and
Lumaris devices, `204`s with null bodies, optional endpoints that refuse.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Gesture,
    LedState,
    LinkType,
    ProcessorModel,
    ProgrammingModel,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.errors import (
    CommandIgnoredError,
    ConnectionFailedError,
    NotSupportedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap import client as client_module
from custom_components.homeworks_qsx.qsx.leap.backend import LeapBackend
from custom_components.homeworks_qsx.qsx.model import (
    ControlType,
    DeviceDescription,
    DeviceKind,
    LinkDescription,
    TimeclockEventType,
)

from .replay import Form, Replay, replayed
from .rig import FAST, HOST, certificates, wait_until

pytestmark = pytest.mark.usefixtures("socket_enabled")

PROCESSOR = "055F2CC0"  # 90123456 (LP11: an integer serial as 8 hexadecimal digits)


@contextlib.asynccontextmanager
async def connected(
    replay: Replay,
    events: list[Event] | None = None,
    *,
    key_prefix: str | None = None,
    subscribed: bool = True,
) -> AsyncIterator[LeapBackend]:
    """Yield a backend connected to `replay` (its events from the start into `events`), stopped on the way out.

    Unless `subscribed` is False, once the buttons' event subscriptions are answered too (LP39).
    """
    credentials = LeapCredentials.generate()
    async with replayed(credentials, replay) as port:
        backend = LeapBackend(
            HOST,
            certificates(credentials),
            port=port,
            timings=FAST,
            key_prefix=key_prefix,
        )
        if events is not None:
            backend.subscribe(events.append)
        await backend.async_start()
        try:
            if subscribed:
                await backend.client.wait_subscribed()
            yield backend
        finally:
            await backend.async_stop()


def by_name(devices: tuple[DeviceDescription, ...]) -> dict[str, DeviceDescription]:
    """Return the devices by name (the tree's names are unique once keypads carry their station's)."""
    return {device.name: device for device in devices}


async def test_replay_reads_the_whole_house() -> None:
    """LP24, LP30, LP34–LP36, LP41, LP43, LP45, LP51, LP58: every kind read from a QSX-shaped tree.

    Zones no device lists go to their area's group (the QS shades have no `LocalZones`); the Lumaris strip owns its
    dimmed zone; keypads come with buttons by position, engravings, programming and LEDs; a keypad whose button
    groups refuse (500) or are empty (204) is none; unknown device and control types are skipped and counted.
    """
    async with connected(Replay()) as backend:
        description = backend.description
        assert (description.name, description.processor.serial) == (
            "Lakeside Residence",
            PROCESSOR,
        )
        devices = by_name(description.devices)
        assert sorted(devices) == [
            "Bedroom",
            "Bedroom Sensor",
            "Enclosure Device 001",
            "Entryway Device 1",
            "Foyer",
            "Front Door Keypad 1",
            "Front Door Keypad 2",
            "Homeowner Keypad Loc Ho Kpd",
            "Lumaris Tape Strip",
            "Normal",
            "Vacation",
        ]
        foyer, bedroom = devices["Foyer"], devices["Bedroom"]
        assert foyer.serial == f"{PROCESSOR}-area-30"
        assert [(o.name, o.control_type) for o in foyer.outputs] == [
            ("Ceiling Light", ControlType.DIMMED),
            ("Accent Light", ControlType.DIMMED),
            ("Shade Group 1", ControlType.SHADE),
        ]
        assert [(o.name, o.control_type) for o in bedroom.outputs] == [
            ("Downlights", ControlType.DIMMED),
            ("Sheer", ControlType.SHADE_WITH_TILT),
            ("Fan", ControlType.SWITCHED),
            ("Gate", ControlType.CCO),
        ]
        strip = devices["Lumaris Tape Strip"]
        assert (strip.kind, strip.serial, strip.serial_number, strip.model) == (
            DeviceKind.DIMMING_MODULE,
            f"{PROCESSOR}_610",
            None,
            "HWL-TLK-SW",
        )
        homeowner = devices["Homeowner Keypad Loc Ho Kpd"]
        assert (homeowner.kind, homeowner.area, homeowner.model) == (
            DeviceKind.KEYPAD,
            "Equipment Room",
            "Homeowner Keypad",
        )
        assert [
            (b.number, b.engraving, b.integration_id) for b in homeowner.buttons
        ] == [
            (1, "Button 1", 221),
            (2, "Button 2", 222),
            (7, "Away Mode", 227),
        ]
        programming = homeowner.input(7).programming
        assert programming is not None
        assert programming.model is ProgrammingModel.TOGGLE
        two = devices["Front Door Keypad 2"]
        assert [b.number for b in two.buttons] == [1, 4]  # LP36: positions, not a count
        assert [(i.number, i.integration_id) for i in two.indicators] == [
            (1, 347),
            (4, 348),
        ]
        entry = devices["Entryway Device 1"]
        assert [(b.number, b.programming) for b in entry.buttons][1:] == [
            (16, None),
            (17, None),
        ]
        assert [i.number for i in entry.indicators] == [1]
        sensor = devices["Bedroom Sensor"]
        assert (sensor.kind, sensor.serial, sensor.area) == (
            DeviceKind.OCCUPANCY_SENSOR,
            "0ABCF234",
            "Bedroom",
        )
        assert devices["Vacation"].serial == f"{PROCESSOR}-timeclock-702"
        # LP45: the events of each timeclock; one of a type the model lacks is skipped (LP58).
        assert [
            (e.number, e.name, e.event_type, e.time_of_day, e.offset_minutes, e.days)
            for e in devices["Normal"].schedule
        ] == [
            (1, "Dusk", TimeclockEventType.SUNSET, (0, 0, 0), -30, (True,) * 7),
            (
                2,
                "Morning",
                TimeclockEventType.FIXED_TIME,
                (6, 45, 0),
                0,
                (False, True, True, True, True, True, False),
            ),
        ]
        assert [(e.name, e.offset_minutes) for e in devices["Vacation"].schedule] == [
            ("Away lights", 15)
        ]
        diagnostics = backend.diagnostics()
        assert diagnostics["unknown_device_types"] == {
            "Unknown": 2,
            "KetraD3": 2,
            "VmllcnRpRGltbWVyMTIz": 1,
        }
        assert diagnostics["unknown_control_types"] == {
            "SpectrumTune": 2,
            "OpenCloseStop": 1,
        }
        assert diagnostics["devices"]["keypad"] == 4
        # A 500 button group, a 500 LED, a 404 device status (LP49, LP58).
        assert diagnostics["optional_refusals"] == 3
        # LP47, LP51: an enclosure device the list shows anonymous, its link node with its serial and zones.
        module = description.device("0000BBBB")
        assert (module.kind, module.model, module.area) == (
            DeviceKind.SWITCHING_MODULE,
            "LQSE-4S8-120-D",
            "Equipment Room",
        )
        assert [z.name for z in module.zones] == [
            "Pool Pump",
            "Path Lights",
            "Fountain",
            "Heater",
        ]
        assert module.cco.name == "Garage Door"
        state = backend.device_state(module.serial)
        assert (state.output_on(1), state.output_on(2), state.cco_closed) == (
            True,
            False,
            True,
        )


async def test_replay_states_of_every_kind() -> None:
    """LP24, LP30, LP41, LP43, LP45, LP58: levels as floats, tilt, `Bad` accuracy, LEDs, occupancy, timeclocks.

    LP39: the event a button's subscription answers with is its past, not a press: no event.
    """
    events: list[Event] = []
    replay = Replay()
    async with connected(replay, events) as backend:
        assert not [event for event in events if event.kind is EventKind.BUTTON]
        devices = by_name(backend.description.devices)
        foyer = backend.device_state(devices["Foyer"].serial)
        assert [zone.level for zone in foyer.zones] == [0.0, 62.5, 40.0]
        assert [zone.on for zone in foyer.zones] == [False, True, True]
        bedroom = backend.device_state(devices["Bedroom"].serial)
        sheer = bedroom.zones[1]
        assert (sheer.level, sheer.tilt, sheer.level_accurate) == (0.0, 50.0, False)
        assert bedroom.output_on(3)  # the fan, switched
        assert not bedroom.output_on(
            4
        )  # the gate: no status yet (a zone may have none)
        assert (
            backend.device_state(devices["Lumaris Tape Strip"].serial).zones[0].level
            == 75
        )
        homeowner = backend.device_state(devices["Homeowner Keypad Loc Ho Kpd"].serial)
        assert homeowner.indicators == {
            1: LedState.OFF,
            2: LedState.OFF,
            7: LedState.ON,
        }
        one = backend.device_state(devices["Front Door Keypad 1"].serial)
        assert one.indicators[3] is LedState.FLASH  # `NormalFlash`
        two = backend.device_state(devices["Front Door Keypad 2"].serial)
        assert two.indicators[4] is LedState.OFF  # `Unknown` leaves the default
        assert backend.device_state(devices["Bedroom Sensor"].serial).occupied is True
        assert backend.device_state(devices["Normal"].serial).timeclock_enabled is True
        assert (
            backend.device_state(devices["Vacation"].serial).timeclock_enabled is False
        )
        replay.change(
            "/zone/status", {"href": "/zone/405/status", "CCOLevel": "Closed"}
        )
        await wait_until(lambda: bedroom.output_on(4))
        sensor = backend.device_state(devices["Bedroom Sensor"].serial)
        # LP43: occupancy as it was gives no event; `Unknown` is none known, and no event either.
        for occupancy in ("Occupied", "Unknown"):
            replay.change(
                "/area/status",
                {"href": "/area/40/status", "OccupancyStatus": occupancy},
            )
        await wait_until(lambda: sensor.occupied is None)
        assert [e.kind for e in events][-1:] == [EventKind.ZONE]


@pytest.mark.parametrize("form", list(Form))
async def test_replay_lp57_pushes_in_every_form(form: Form) -> None:
    """LP55, LP57: changes pushed in each form reach the model, delta by delta, and are published as events.

    Collection deltas, tagged object statuses, untagged ones, `SubscribeResponse`s after a `102`: a level, a tilt,
    an accuracy-only delta (the level kept), an LED, occupancy, a timeclock, and button events of each type, an
    unknown one read as a release (LP38, LP58).
    """
    replay = Replay(form=form)
    async with connected(replay) as backend:
        devices = by_name(backend.description.devices)
        events: list[Event] = []
        backend.subscribe(events.append)
        bedroom = devices["Bedroom"].serial
        keypad = devices["Front Door Keypad 1"].serial
        sensor = devices["Bedroom Sensor"].serial
        vacation = devices["Vacation"].serial
        changes: list[tuple[str, Any]] = [
            (
                "/zone/status",
                {
                    "href": "/zone/401/status",
                    "Zone": {"href": "/zone/401"},
                    "Level": 80,
                },
            ),
            ("/zone/status", {"href": "/zone/402/status", "Tilt": 20}),
            ("/zone/status", {"href": "/zone/402/status", "StatusAccuracy": "Good"}),
            ("/led/344/status", {"href": "/led/344/status", "State": "On"}),
            (
                "/area/status",
                {"href": "/area/40/status", "OccupancyStatus": "Unoccupied"},
            ),
            (
                "/timeclock/status",
                {"href": "/timeclock/702/status", "EnabledState": "Enabled"},
            ),
        ] + [
            (
                "/button/314/status/event",
                {"Button": {"href": "/button/314"}, "ButtonEvent": {"EventType": kind}},
            )
            for kind in ("Press", "LongHold", "MultiTap", "Release", "DoubleClick")
        ]
        for collection, delta in changes:
            replay.change(collection, delta)
        await wait_until(lambda: len(events) == 11)
        assert [(e.kind, e.serial, e.zone, e.value) for e in events] == [
            (EventKind.LEVEL, bedroom, 1, 80.0),
            (EventKind.TILT, bedroom, 2, 20.0),
            (EventKind.LEVEL, bedroom, 2, 0.0),
            (EventKind.INDICATOR, keypad, 2, LedState.ON),
            (EventKind.OCCUPANCY, sensor, None, False),
            (EventKind.TIMECLOCK, vacation, None, True),
            (EventKind.BUTTON, keypad, 2, ButtonAction.PRESS),
            (EventKind.BUTTON, keypad, 2, ButtonAction.LONG_PRESS),
            (EventKind.BUTTON, keypad, 2, ButtonAction.MULTI_TAP),
            (EventKind.BUTTON, keypad, 2, ButtonAction.RELEASE),
            (EventKind.BUTTON, keypad, 2, ButtonAction.RELEASE),
        ]
        sheer = backend.device_state(bedroom).zones[1]
        assert (sheer.level, sheer.tilt, sheer.level_accurate) == (0.0, 20.0, True)
        diagnostics = backend.diagnostics()
        if form is Form.SUBSCRIBE:
            assert diagnostics["provisional_replies"] == 11


async def test_replay_dimmed_commands_lp25_lp28() -> None:
    """LP25, LP28: a level without a fade is `GoToLevel`, with one `GoToDimmedLevel`, its fade rounded.

    `FadeTime` is rounded to the nearest second; a non-zero brightness is at least `Level` 1; the 201 reply is the
    state; a level the processor did not take raises `CommandIgnoredError`.
    """
    replay = Replay()
    async with connected(replay) as backend:
        foyer = by_name(backend.description.devices)["Foyer"].serial
        await backend.async_set_level(foyer, 1, 0.3)
        await backend.async_set_level(foyer, 1, 55, fade_seconds=2.5)
        await backend.async_set_level(foyer, 2, 0, fade_seconds=0.4)
        assert replay.commands("/zone/30") == [
            (
                "/zone/301/commandprocessor",
                {
                    "Command": {
                        "CommandType": "GoToLevel",
                        "Parameter": [{"Type": "Level", "Value": 1}],
                    }
                },
            ),
            (
                "/zone/301/commandprocessor",
                {
                    "Command": {
                        "CommandType": "GoToDimmedLevel",
                        "DimmedLevelParameters": {"Level": 55, "FadeTime": "00:00:03"},
                    }
                },
            ),
            (
                "/zone/302/commandprocessor",
                {
                    "Command": {
                        "CommandType": "GoToDimmedLevel",
                        "DimmedLevelParameters": {"Level": 0, "FadeTime": "00:00:00"},
                    }
                },
            ),
        ]
        state = backend.device_state(foyer)
        assert [zone.level for zone in state.zones[:2]] == [55.0, 0.0]
        replay.ignoring.add(301)
        with pytest.raises(CommandIgnoredError):
            await backend.async_set_level(foyer, 1, 10)
        with pytest.raises(ValueError, match="level"):
            await backend.async_set_level(foyer, 1, 101)
        with pytest.raises(UnknownObjectError):
            await backend.async_set_level(foyer, 9, 10)


async def test_replay_shade_commands_lp31_lp33(monkeypatch: pytest.MonkeyPatch) -> None:
    """LP31–LP33: open, close and position as levels; tilt by `GoToTilt`; every Raise/Lower followed by a Stop.

    The Stop asked for, or the one the client sends by itself `MOVE_STOP_SECONDS` later, or before the next level.
    """
    monkeypatch.setattr(client_module, "MOVE_STOP_SECONDS", 0.05)
    replay = Replay()
    async with connected(replay) as backend:
        devices = by_name(backend.description.devices)
        foyer, bedroom = devices["Foyer"].serial, devices["Bedroom"].serial
        await backend.async_set_level(foyer, 3, 100)  # open
        await backend.async_set_level(
            foyer, 3, 0, fade_seconds=5
        )  # close: a shade has no fade
        await backend.async_set_tilt(bedroom, 2, 75)
        await backend.async_move_shade(foyer, 3, ShadeMove.RAISE)
        await backend.async_move_shade(foyer, 3, ShadeMove.STOP)
        await backend.async_move_shade(foyer, 3, ShadeMove.LOWER)
        await wait_until(lambda: len(replay.commands("/zone/303")) == 6)
        await backend.async_move_shade(bedroom, 2, ShadeMove.RAISE)
        await backend.async_set_level(
            bedroom, 2, 30
        )  # the pending Stop gives way to the level
        kinds = [
            (url.split("/")[2], body["Command"]["CommandType"])
            for url, body in replay.commands("/zone/")
        ]
        assert kinds == [
            ("303", "GoToLevel"),
            ("303", "GoToLevel"),
            ("402", "GoToTilt"),
            ("303", "Raise"),
            ("303", "Stop"),
            ("303", "Lower"),
            ("303", "Stop"),
            ("402", "Raise"),
            ("402", "GoToLevel"),
        ]
        assert replay.commands("/zone/303")[0][1]["Command"]["Parameter"] == [
            {"Type": "Level", "Value": 100}
        ]
        assert backend.device_state(bedroom).zones[1].tilt == 75.0
        with pytest.raises(NotSupportedError, match="no tilt"):
            await backend.async_set_tilt(foyer, 3, 10)
        with pytest.raises(NotSupportedError, match="not a dimmed zone or a shade"):
            await backend.async_move_shade(bedroom, 3, ShadeMove.RAISE)


async def test_replay_lp39_start_up_does_not_wait_for_the_buttons_event_subscriptions() -> (
    None
):
    """LP39: `connect()` returns once every state is known, every LED's too, without the buttons' events.

    Their subscriptions carry no state: they are answered after, the session is then fully subscribed, and presses
    are delivered.
    """
    replay = Replay(hold_events=True)
    events: list[Event] = []
    async with connected(replay, events, subscribed=False) as backend:
        client = backend.client
        assert client.diagnostics()["events_subscribed"] is False
        buttons = sum(len(device.buttons) for device in backend.description.devices)
        await wait_until(
            lambda: len(replay.held) == buttons
        )  # each sent, none answered
        leds = {
            int(url.split("/")[2]): status["State"]
            for url, status in replay.statuses.items()
            if url.startswith("/led/") and status["State"] in ("On", "Off")
        }
        assert set(leds.values()) == {"On", "Off"}
        for led_id, state in leds.items():
            device, indicator = backend.description.indicator_by_integration_id(led_id)
            on = backend.device_state(device.serial).indicators[indicator.number]
            assert on is (LedState.ON if state == "On" else LedState.OFF)
        waiting = asyncio.ensure_future(client.wait_subscribed())
        await asyncio.sleep(0)
        assert not waiting.done()
        replay.release_events()
        await waiting
        assert client.diagnostics()["events_subscribed"] is True
        replay.change(
            "/button/314/status/event",
            {"Button": {"href": "/button/314"}, "ButtonEvent": {"EventType": "Press"}},
        )
        await wait_until(
            lambda: (
                [e.value for e in events if e.kind is EventKind.BUTTON]
                == [ButtonAction.PRESS]
            )
        )


async def test_replay_lp39_lp58_event_subscriptions_refused_or_never_answered() -> None:
    """LP58: an event subscription refused, or never answered, loses that button's events only.

    The session is marked subscribed once each has its answer or its time-out. Waiting on a lost session raises.
    """
    replay = Replay(hold_events=True)
    async with connected(replay, subscribed=False) as backend:
        client = backend.client
        refused = client.diagnostics()["optional_refusals"]
        buttons = sum(len(device.buttons) for device in backend.description.devices)
        await wait_until(lambda: len(replay.held) == buttons)
        [(session, answer)] = replay.held[:1]
        replay.held = replay.held[1:]
        tag = answer[0]["Header"]["ClientTag"]
        url = answer[0]["Header"]["Url"]
        session.send(Replay._refusal(url, tag, "405 MethodNotAllowed", "no"))
        await client.wait_subscribed()  # the others time out (FAST: 2 s)
        assert client.diagnostics()["optional_refusals"] == refused + buttons
        await client.wait_subscribed()  # at once, now
    replay = Replay(hold_events=True)
    async with connected(replay, subscribed=False) as backend:
        waiting = asyncio.ensure_future(backend.client.wait_subscribed())
        await asyncio.sleep(0)
        await backend.client.close()
        with pytest.raises(ConnectionFailedError, match="lost before"):
            await waiting
        with pytest.raises(ConnectionFailedError, match="Not connected"):
            await backend.client.wait_subscribed()


async def test_replay_keypad_led_and_timeclock_commands_lp40_lp41_lp46() -> None:
    """LP40: each gesture's button command; LP41: an LED write; LP46: a timeclock enabled; their events follow."""
    replay = Replay()
    async with connected(replay) as backend:
        devices = by_name(backend.description.devices)
        keypad = devices["Front Door Keypad 2"].serial
        events: list[Event] = []
        backend.subscribe(events.append)
        for gesture in Gesture:
            await backend.async_press_keypad_button(keypad, 4, gesture)
        await backend.async_set_indicator(keypad, 4, True)
        await backend.async_set_timeclock(devices["Vacation"].serial, True)
        assert replay.commands() == [
            ("/button/326/commandprocessor", {"Command": {"CommandType": command}})
            for command in ("PressAndRelease", "PressAndHold", "Release", "MultiTap")
        ] + [
            ("/led/348/status", {"LEDStatus": {"State": "On"}}),
            ("/timeclock/702/status", {"TimeclockStatus": {"EnabledState": "Enabled"}}),
        ]
        await wait_until(lambda: len(events) == 9)
        assert [e.value for e in events if e.kind is EventKind.BUTTON] == [
            ButtonAction.PRESS,
            ButtonAction.RELEASE,
            ButtonAction.PRESS,
            ButtonAction.LONG_PRESS,
            ButtonAction.RELEASE,
            ButtonAction.MULTI_TAP,
            ButtonAction.RELEASE,
        ]
        assert backend.device_state(keypad).indicators[4] is LedState.ON
        assert backend.device_state(devices["Vacation"].serial).timeclock_enabled
        with pytest.raises(UnknownObjectError):
            await backend.async_press_keypad_button(keypad, 2)
        with pytest.raises(UnknownObjectError):
            await backend.async_set_timeclock(keypad, True)


async def test_replay_lp58_statuses_the_model_cannot_use() -> None:
    """LP57, LP58: statuses naming nothing, or something the system does not hold, change nothing and are counted.

    A zone status without href, a skipped zone's (not counted: it is in the zone map), an unknown zone's, an LED
    without a state or unknown, an area delta without occupancy, an unknown or odd timeclock, a button event
    without a type or for an unknown button.
    """
    replay = Replay()
    async with connected(replay) as backend:
        events: list[Event] = []
        backend.subscribe(events.append)
        before = backend.diagnostics()["unknown_statuses"]
        changes: list[tuple[str, Any]] = [
            ("/zone/status", {"Level": 10}),
            ("/zone/status", {"href": "/zone/304/status", "Level": 10}),  # SpectrumTune
            ("/zone/status", {"href": "/zone/999/status", "Level": 10}),
            ("/led/344/status", {"href": "/led/344/status", "State": "Blinking"}),
            ("/led/344/status", {"href": "/led/999/status", "State": "On"}),
            ("/area/status", {"href": "/area/40/status", "CurrentScene": None}),
            (
                "/timeclock/status",
                {"href": "/timeclock/999/status", "EnabledState": "Enabled"},
            ),
            (
                "/timeclock/status",
                {"href": "/timeclock/701/status", "EnabledState": "Maybe"},
            ),
            (
                "/button/314/status/event",
                {"Button": {"href": "/button/314"}, "ButtonEvent": {}},
            ),
            (
                "/button/314/status/event",
                {
                    "Button": {"href": "/button/999"},
                    "ButtonEvent": {"EventType": "Press"},
                },
            ),
        ]
        for collection, delta in changes:
            replay.change(collection, delta)
        await backend.client.ping()
        # The unknown zone, LED, timeclock and button.
        await wait_until(
            lambda: backend.diagnostics()["unknown_statuses"] == before + 4
        )
        assert events == []


async def test_replay_commands_the_model_refuses(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A switched zone set by level is switched (LP19); what cannot be done is said.

    A tilt out of range, a press of what is not a button, a Stop the processor refuses (logged, LP33).
    """
    monkeypatch.setattr(client_module, "MOVE_STOP_SECONDS", 0.01)
    replay = Replay(refusing={"Stop"})
    async with connected(replay) as backend:
        devices = by_name(backend.description.devices)
        bedroom = devices["Bedroom"].serial
        await backend.async_set_level(bedroom, 3, 40)  # the fan
        assert replay.commands("/zone/404")[-1][1]["Command"]["Parameter"] == [
            {"Type": "Level", "Value": 100}
        ]
        assert backend.device_state(bedroom).output_on(3)
        with pytest.raises(ValueError, match="tilt"):
            await backend.async_set_tilt(bedroom, 2, -1)
        with pytest.raises(UnknownObjectError, match="no button"):
            await backend.async_press_keypad_button(devices["Bedroom Sensor"].serial, 1)
        await backend.async_move_shade(bedroom, 2, ShadeMove.LOWER)
        await wait_until(lambda: "could not stop" in caplog.text)


async def test_replay_lp34_keypads_from_control_stations_without_a_device_list() -> (
    None
):
    """LP34: a processor that lists no devices (`204`) still shows its keypads, from its areas' control stations.

    Named after their station and placed in its area; without the list, nothing else is known of them.
    """
    replay = Replay()
    replay.tree["/device?where=IsThisDevice:false"] = None
    async with connected(replay) as backend:
        keypads = sorted(
            (d.name, d.area, d.serial, len(d.buttons))
            for d in backend.description.devices
            if d.kind is DeviceKind.KEYPAD
        )
        assert keypads == [
            ("Entryway Keypad 620", "Living Room", f"{PROCESSOR}_620", 3),
            ("Front Door Keypad 310", "Foyer", f"{PROCESSOR}_310", 4),
            ("Front Door Keypad 320", "Foyer", f"{PROCESSOR}_320", 2),
            (
                "Homeowner Keypad Loc Keypad 210",
                "Equipment Room",
                f"{PROCESSOR}_210",
                3,
            ),
        ]
        assert replay.commands() == []
        assert (
            sum(
                request["Header"]["Url"].endswith("/associatedcontrolstation")
                for request in replay.requests
            )
            == 6
        )


async def test_replay_lp52_lp58_two_processors_as_hwqsx_lists_them() -> None:
    """LP52, LP58: the other processor, an unaddressed HQP7-RF without a serial, keyed as a device (LP51).

    It owns a Clear Connect X link (a type the model has no link for) whose nodes hold the Lumaris strip: the strip
    names that processor; the module on the QS link names none (the processor connected to). LP49: the devices the
    list leaves anonymous are read for their availability.
    """
    replay = Replay()
    async with connected(replay) as backend:
        description = backend.description
        [other] = description.other_processors
        assert (
            other.serial,
            other.name,
            other.integration_id,
            other.model,
        ) == (
            f"{PROCESSOR}_190",
            "Clear Connect X Gateway 001",
            190,
            ProcessorModel.HQP7_1,
        )
        assert [p.serial for p in description.processors] == [PROCESSOR, other.serial]
        assert description.links == (LinkDescription(1, LinkType.QS),)
        assert description.links_of(other.serial) == ()
        strip = by_name(description.devices)["Lumaris Tape Strip"]
        assert strip.processor == other.serial
        assert description.processor_of(strip) is other
        module = description.device("0000BBBB")
        assert description.processor_of(module) is description.processor
        assert [d.name for d in description.devices_of(other.serial)] == [
            "Lumaris Tape Strip"
        ]
        diagnostics = backend.diagnostics()
        assert diagnostics["processors"] == [
            {
                "serial": PROCESSOR,
                "model": "HQP7-1",
                "leap_id": 100,
                "connected": True,
                "links": [1],
                "devices": len(description.devices) - 1,
            },
            {
                "serial": other.serial,
                "model": "HQP7-1",
                "leap_id": 190,
                "connected": False,
                "links": [],
                "devices": 1,
            },
        ]
        assert diagnostics["availability"] == {
            "/device/110": "Unknown",
            "/device/112": "Unavailable",
            "/device/114": "Available",
        }
        read = {request["Header"]["Url"] for request in replay.requests}
        assert {"/link/191", "/link/191/associatedlinknode/expanded"} <= read
        # The strip on the other processor's link is driven through the one connected to.
        await backend.async_set_level(strip.serial, 1, 30)
        assert replay.commands("/zone/601") == [
            (
                "/zone/601/commandprocessor",
                {
                    "Command": {
                        "CommandType": "GoToLevel",
                        "Parameter": [{"Type": "Level", "Value": 30}],
                    }
                },
            )
        ]


async def test_replay_lp51_lp54_keys_by_the_prefix_given() -> None:
    """LP51, LP54: with a key prefix (an entry's id), every key without a serial is built on it, never on a name.

    A serial stays the key where there is one; the processors keep theirs.
    """
    async with connected(Replay(), key_prefix="entry1") as backend:
        description = backend.description
        devices = by_name(description.devices)
        assert description.processor.serial == PROCESSOR
        assert [p.serial for p in description.other_processors] == ["entry1_190"]
        assert (
            devices["Lumaris Tape Strip"].serial,
            devices["Foyer"].serial,
            devices["Vacation"].serial,
            devices["Enclosure Device 001"].serial,
            devices["Bedroom Sensor"].serial,
        ) == (
            "entry1_610",
            "entry1-area-30",
            "entry1-timeclock-702",
            "0000BBBB",
            "0ABCF234",
        )
        assert not [
            device.serial
            for device in description.devices
            if device.serial.startswith(PROCESSOR)
        ]


def addressed(tree: dict[str, Any]) -> dict[str, Any]:
    """Return the tree as an addressed QSX may list it: enclosure modules `Unknown` with serial and model, no zones.

    Device 110 is addressed, but neither it, its link node nor any zone names its zones; device 116 (new, in the
    pool house) is found by its zones, whose `Device` names it (FW `Zone`, LP50); 114 by its link node (LP47).
    """
    listed = tree["/device?where=IsThisDevice:false"]["body"]
    for device in listed:
        if device["href"] in ("/device/110", "/device/114"):
            device["AddressedState"] = "Addressed"
            device["SerialNumber"] = (
                0xAAAA if device["href"] == "/device/110" else 0xBBBB
            )
            device["ModelNumber"] = "LQSE-4S8-120-D"
    listed.append(
        {
            "Name": "Enclosure Device 001",
            "DeviceType": "Unknown",
            "AssociatedArea": {"href": "/area/80"},
            "href": "/device/116",
            "SerialNumber": 0xCCCC,
            "ModelNumber": "LQSE-4S8-120-D",
            "LinkNodes": [{"href": "/device/116/linknode/117"}],
            "AddressedState": "Addressed",
        }
    )
    nodes = tree["/link/101/associatedlinknode/expanded"]["body"]
    nodes[-1]["Parent"] = {
        "href": "/device/110",
        "DeviceType": "Unknown",
        "SerialNumber": 0xAAAA,
        "ModelNumber": "LQSE-4S8-120-D",
    }
    nodes.append(
        {
            "href": "/device/116/linknode/117",
            "LinkType": "QS",
            "Parent": {
                "href": "/device/116",
                "DeviceType": "Unknown",
                "SerialNumber": 0xCCCC,
            },
        }
    )
    tree["/area"]["body"].append(
        {
            "href": "/area/80",
            "Name": "Pool House",
            "Parent": {"href": "/area/2"},
            "IsLeaf": True,
        }
    )
    names = ["Pool Lights", "Deck", "Spa Pump", "Heater", "Cover"]
    tree["/area/80/associatedzone"] = {
        "type": "MultipleZoneDefinition",
        "body": [
            {
                "href": f"/zone/{801 + index}",
                "Name": name,
                "ControlType": "CCO" if index == 4 else "Switched",
                "Category": {"Type": "", "IsLight": index < 2},
                "AssociatedArea": {"href": "/area/80"},
                "Device": {"href": "/device/116"},
                "SortOrder": index,
            }
            for index, name in enumerate(names)
        ],
    }
    tree["/zone/status"]["body"].extend(
        {
            "href": f"/zone/{zone_id}/status",
            "Zone": {"href": f"/zone/{zone_id}"},
            "StatusAccuracy": "Good",
            **(
                {"CCOLevel": "Open"}
                if zone_id == 805
                else {"Level": 100 if zone_id == 802 else 0}
            ),
        }
        for zone_id in range(801, 806)
    )
    return tree


async def test_replay_lp16_lp47_lp51_modules_of_an_addressed_qsx() -> None:
    """LP16, LP47–LP51: modules listed `Unknown` with serial and model but no `LocalZones` become modules.

    One by its link node's zones, one by the zones that name it; one whose zones nothing names stays in its area's
    group, and the diagnostics say why, device by device and zone by zone.
    """
    replay = Replay(tree=addressed(Replay().tree))
    async with connected(replay) as backend:
        description = backend.description
        by_node = description.device("0000BBBB")
        by_zones = description.device("0000CCCC")
        for module in (by_node, by_zones):
            assert (module.kind, module.model, module.has_serial_number) == (
                DeviceKind.SWITCHING_MODULE,
                "LQSE-4S8-120-D",
                True,
            )
        assert (by_zones.area, [z.name for z in by_zones.zones], by_zones.cco.name) == (
            "Pool House",
            ["Pool Lights", "Deck", "Spa Pump", "Heater"],
            "Cover",
        )
        assert backend.device_state(by_zones.serial).output_on(2)
        with pytest.raises(UnknownObjectError):
            description.device("0000AAAA")
        diagnostics = backend.diagnostics()
        unplaced = diagnostics["unplaced"]
        assert "its link node (LP47) names its zones" in unplaced["/device/110"]
        assert "no link's nodes (LP47) hold it" in unplaced["/device/112"]
        assert "shown in its area's group (LP51)" in unplaced["/zone/401"]
        assert unplaced["/device/330"].startswith(
            "a QS shade, as a processor lists one (LP30)"
        )
        assert "/device/114" not in unplaced
        assert "/device/116" not in unplaced
        assert not [key for key in unplaced if key.startswith("/zone/8")]
        await backend.async_set_cco(by_zones.serial, True)
        assert replay.commands("/zone/805") == [
            (
                "/zone/805/commandprocessor",
                {
                    "Command": {
                        "CommandType": "GoToCCOLevel",
                        "CCOLevelParameters": {"CCOLevel": "Closed"},
                    }
                },
            )
        ]
