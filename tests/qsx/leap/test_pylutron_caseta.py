"""pylutron-caseta 0.30.0 (what Home Assistant's lutron_caseta runs) against the emulator's LEAP server.

Certificates are issued by the emulator's CA; every listing (LP16, LP48) is served. The whole house's tests run the
library's processor code path (LP37: its login order) against lights, covers, keypads with LEDs and occupancy; a
project of two processors is seen whole through its second processor (LP53).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable
import contextlib
import datetime as dt
import functools
from pathlib import Path
import ssl
from typing import Any

from pylutron_caseta.smartbridge import Smartbridge
import pytest

from custom_components.homeworks_qsx.qsx.const import Fault, Gesture, LedState
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.model import ControlType, DeviceKind
from tests.qsx.house import DIMMER, KEYPAD, SCENE, SENSOR_3, SHADE
from tests.qsx.lip.conftest import RawSession
from tests.qsx.serving import WAIT, wait_for

from .conftest import A1, A2, A3, B1
from .keypads import whole_house
from .projects import (
    HOSTS,
    HOUSE_PANEL,
    POOL,
    POOL_PANEL,
    allow_processor_hosts,
    served_project,
)

ZONE_NAMES = {
    "Kitchen_Island",
    "Kitchen_Pantry",
    "Kitchen_Hood",
    "Kitchen_Counter",
    "Kitchen_Gate",
    "Hall_Zone 1",
    "Garage_CCO",
}


@pytest.fixture(params=list(Profile), ids=[profile.value for profile in Profile])
async def profile_server(
    request: pytest.FixtureRequest,
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
) -> AsyncGenerator[LeapServer]:
    """Return a LEAP server in each profile."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, profile=request.param)
    await server.start()
    yield server
    await server.stop()


async def connect(
    port: int,
    cert_files: tuple[str, str, str],
    on_connect: Callable[[], None] | None = None,
    on_disconnect: Callable[[], None] | None = None,
    host: str = "127.0.0.1",
) -> Smartbridge:
    """Log in with pylutron-caseta, as Home Assistant's lutron_caseta does."""
    bridge = Smartbridge.create_tls(
        host,
        *cert_files,
        port=port,
        on_connect_callback=on_connect,
        on_disconnect_callback=on_disconnect,
    )
    await asyncio.wait_for(bridge.connect(), WAIT)
    return bridge


async def close(bridge: Smartbridge) -> None:
    """Close the bridge and wait for its tasks to end (`close()` only cancels them)."""
    tasks = [bridge._monitor_task, bridge._ping_task, bridge._login_task]  # noqa: SLF001
    await bridge.close()  # type: ignore[no-untyped-call]
    running = [task for task in tasks if task is not None]
    if running:
        await asyncio.wait(running, timeout=WAIT)


@pytest.fixture
async def bridge(
    profile_server: LeapServer, cert_files: tuple[str, str, str]
) -> AsyncGenerator[Smartbridge]:
    """Return a logged-in pylutron-caseta bridge; closed at the end."""
    bridge = await connect(profile_server.port, cert_files)
    yield bridge
    await close(bridge)


def zone_device(bridge: Smartbridge, name: str) -> Any:
    """Return pylutron-caseta's device for a zone, by its area_zone name."""
    [device] = [
        device for device in bridge.get_devices().values() if device["name"] == name
    ]
    return device


async def test_logs_in_as_qsx_and_lists_every_zone_and_cco(
    bridge: Smartbridge, emulator: Emulator
) -> None:
    """LP10–LP16: a QSX login; every module's four zones and its CCO are switches, in their rooms."""
    assert bridge.is_connected()
    devices = bridge.get_devices()
    processor = devices["1"]
    assert processor["type"] == "HWQSProcessor"
    assert processor["model"] == "HQP7-2"
    assert processor["serial"] == 0x0A0B0C0D
    switches = bridge.get_devices_by_domain("switch")
    assert len(switches) == 5 * len(emulator.description.modules)
    assert sorted(device["type"] for device in switches).count("CCO") == 4
    assert {device["name"] for device in switches} >= ZONE_NAMES
    assert all(device["current_state"] == 0 for device in switches)
    assert {area["name"] for area in bridge.areas.values()} == {
        "Leap house",
        "Kitchen",
        "Hall",
        "Garage",
    }


async def test_turns_zones_and_ccos_on_and_off(
    bridge: Smartbridge, emulator: Emulator
) -> None:
    """LP19: turn_on/turn_off of a zone and a CCO change the emulator, and the bridge's state follows."""
    island = zone_device(bridge, "Kitchen_Island")
    await bridge.turn_on(island["device_id"])
    assert emulator.state(A1).zones[0].on
    await wait_for(lambda: bridge.is_on(island["device_id"]))
    await bridge.turn_off(island["device_id"])
    assert not emulator.state(A1).zones[0].on
    await wait_for(lambda: not bridge.is_on(island["device_id"]))

    cco = zone_device(bridge, "Kitchen_CCO")  # A2's maintained CCO
    await bridge.turn_on(cco["device_id"])
    assert emulator.state(A2).cco_closed
    await wait_for(lambda: bridge.is_on(cco["device_id"]))
    await bridge.turn_off(cco["device_id"])
    assert not emulator.state(A2).cco_closed
    await wait_for(lambda: not bridge.is_on(cco["device_id"]))


async def test_sees_changes_made_through_lip(
    bridge: Smartbridge, emulator: Emulator, profile_server: LeapServer
) -> None:
    """LP18: a LIP client switches a zone; pylutron-caseta's callback fires with the new level."""
    lip = LipServer(emulator, "127.0.0.1", 0, "lutron", "integration", http_port=None)
    await lip.start()
    try:
        hall = zone_device(bridge, "Hall_Zone 1")
        fired = asyncio.Event()
        bridge.add_subscriber(str(hall["device_id"]), fired.set)
        session = await RawSession.open(lip.port)
        await session.login("lutron", "integration")
        zone_id = emulator.module(A3).zone(1).integration_id
        await session.command(f"#OUTPUT,{zone_id},1,100")
        await asyncio.wait_for(fired.wait(), WAIT)
        assert bridge.get_device_by_id(str(hall["device_id"]))["current_state"] == 100
        await session.close()
    finally:
        await lip.stop()


async def test_sees_an_override_burst(bridge: Smartbridge, emulator: Emulator) -> None:
    """LP18, C7: a CCI group opens; every changed zone's callback fires with its override level."""
    fired: set[str] = set()
    for device in bridge.get_devices_by_domain("switch"):
        bridge.add_subscriber(
            device["device_id"], functools.partial(fired.add, device["device_id"])
        )
    emulator.set_cci(A1, True)
    expected = {
        zone_device(bridge, name)["device_id"]
        for name in (
            "Kitchen_Island",
            "Kitchen_Hood",
            "Kitchen_Counter",
            "Kitchen_Zone 1",
            "Kitchen_Zone 4",
        )
    }
    await wait_for(lambda: expected <= fired)
    assert all(bridge.is_on(device_id) for device_id in expected)
    assert not bridge.is_on(
        zone_device(bridge, "Kitchen_Pantry")["device_id"]
    )  # its override level is off


async def test_reconnects_after_the_emulator_restarts(
    socket_enabled: None,
    emulator: Emulator,
    credentials: LeapCredentials,
    cert_files: tuple[str, str, str],
) -> None:
    """LP3, LP4: the emulator stops, its state is restored in a new one with the same CA; the bridge logs in again."""
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    port = server.port
    connected, disconnected = asyncio.Event(), asyncio.Event()
    bridge = await connect(port, cert_files, connected.set, disconnected.set)
    devices_before = set(bridge.get_devices())
    await server.stop()
    await asyncio.wait_for(disconnected.wait(), WAIT)
    connected.clear()
    emulator.set_zone(B1, 3, True)
    restarted = Emulator.from_export(emulator.export_state())
    server = LeapServer(
        restarted, LeapCredentials.from_dict(credentials.to_dict()), "127.0.0.1", port
    )
    await server.start()
    try:
        await wait_for(
            bridge.is_connected, WAIT * 2
        )  # pylutron-caseta retries every 2 s
        assert (
            set(bridge.get_devices()) == devices_before
        )  # ids are stable across the restart
        await wait_for(
            lambda: bridge.is_on(zone_device(bridge, "Garage_Zone 3")["device_id"])
        )
        await bridge.turn_off(zone_device(bridge, "Garage_Zone 3")["device_id"])
        assert not restarted.state(B1).zones[2].on
    finally:
        await close(bridge)
        await server.stop()
        restarted.close()


async def test_a_certificate_of_another_ca_cannot_log_in(
    profile_server: LeapServer, tmp_path: object, cert_files: tuple[str, str, str]
) -> None:
    """LP1: pylutron-caseta with a certificate another CA signed never logs in."""
    other = LeapCredentials.generate()
    key, cert = other.issue_client()
    folder = Path(str(tmp_path))
    (folder / "other-key.pem").write_text(key)
    (folder / "other-cert.pem").write_text(cert)
    bridge = Smartbridge.create_tls(
        "127.0.0.1",
        str(folder / "other-key.pem"),
        str(folder / "other-cert.pem"),
        cert_files[2],
        port=profile_server.port,
    )
    with (
        contextlib.suppress(ssl.SSLError, ConnectionError),
        pytest.raises(TimeoutError),
    ):
        await asyncio.wait_for(bridge.connect(), 1)
    await close(bridge)
    assert profile_server.session_count == 0


# The whole house (LP24–LP46): lights, covers, keypads with LEDs and occupancy, as Home Assistant's lutron_caseta
# sees them through pylutron-caseta's processor code path.


@pytest.fixture(params=list(Profile), ids=[profile.value for profile in Profile])
async def house_emulator(
    request: pytest.FixtureRequest,
    socket_enabled: None,
    credentials: LeapCredentials,
) -> AsyncGenerator[tuple[Emulator, LeapServer]]:
    """Return the whole house, served in each profile."""
    emulator = Emulator(whole_house())
    server = LeapServer(emulator, credentials, "127.0.0.1", 0, profile=request.param)
    await server.start()
    yield emulator, server
    await server.stop()
    emulator.close()


@pytest.fixture
async def house_bridge(
    house_emulator: tuple[Emulator, LeapServer], cert_files: tuple[str, str, str]
) -> AsyncGenerator[Smartbridge]:
    """Return pylutron-caseta logged in to the whole house."""
    bridge = await connect(house_emulator[1].port, cert_files)
    yield bridge
    await close(bridge)


def named(bridge: Smartbridge, domain: str) -> dict[str, Any]:
    """Return pylutron-caseta's devices of a domain by name."""
    return {device["name"]: device for device in bridge.get_devices_by_domain(domain)}


async def test_lp24_lp30_lp35_sees_lights_covers_switches_and_keypads(
    house_bridge: Smartbridge, house_emulator: tuple[Emulator, LeapServer]
) -> None:
    """LP24, LP30, LP34–LP37: dimmed zones are lights, the shade a cover, zones, CCOs and LEDs switches, keypads sensors."""
    emulator = house_emulator[0]
    assert house_bridge.get_devices()["1"]["type"] == "HWQSProcessor"
    lights = named(house_bridge, "light")
    assert sorted(lights) == [f"Kitchen_Dimmed {n}" for n in range(1, 5)]
    assert {light["type"] for light in lights.values()} == {"Dimmed"}
    covers = named(house_bridge, "cover")
    assert list(covers) == [
        "Living_Shade"
    ]  # ShadeWithTilt is a type pylutron-caseta skips (LP33)
    switches = named(house_bridge, "switch")
    leds = [s for s in switches.values() if s["type"] == "KeypadLED"]
    modules = emulator.description.modules
    assert len(switches) - len(leds) == sum(len(m.outputs) for m in modules)
    keypads = {
        device["device_name"]: device
        for device in house_bridge.get_devices_by_domain("sensor")
    }
    assert {name: device["type"] for name, device in keypads.items()} == {
        "Kitchen keypad": "SeeTouchKeypad",
        "Hall keypad": "SeeTouchKeypad",
        "Hall Palladiom": "PalladiomKeypad",
        "Homeowner keypad": "HomeownerKeypad",
    }
    assert keypads["Kitchen keypad"]["serial"] == int(KEYPAD, 16)
    assert keypads["Homeowner keypad"]["serial"] is None
    described = [d for d in emulator.description.devices if d.buttons]
    buttons = house_bridge.get_buttons()
    assert len(buttons) == sum(len(d.buttons) for d in described)
    by_keypad = {
        name: sorted(
            b["button_number"]
            for b in buttons.values()
            if b["parent_device"] == keypad["device_id"]
        )
        for name, keypad in keypads.items()
    }
    assert by_keypad == {
        d.name: [button.number for button in d.buttons] for d in described
    }  # LP36: positions (the Palladiom's 1 and 4)
    assert len(leds) == sum(b["button_led"] is not None for b in buttons.values())
    lit = [
        led is LedState.ON
        for d in described
        for led in emulator.state(d.serial).indicators.values()
    ]
    assert sorted(led["current_state"] for led in leds) == sorted(
        100 if on else 0 for on in lit
    )


async def test_lp25_lp31_sets_a_light_and_a_cover(
    house_bridge: Smartbridge, house_emulator: tuple[Emulator, LeapServer]
) -> None:
    """LP25, LP27: set_value with and without a fade reaches the dimmer; LP31: the cover opens, lowers and stops."""
    emulator = house_emulator[0]
    light = named(house_bridge, "light")["Kitchen_Dimmed 1"]
    changed = asyncio.Event()
    house_bridge.add_subscriber(light["device_id"], changed.set)
    await house_bridge.set_value(light["device_id"], 40)
    assert emulator.state(DIMMER).zones[0].level == 40
    await asyncio.wait_for(changed.wait(), WAIT)
    assert house_bridge.get_device_by_id(light["device_id"])["current_state"] == 40
    await house_bridge.set_value(
        light["device_id"], 65, fade_time=dt.timedelta(seconds=3)
    )
    assert emulator.state(DIMMER).zones[0].level == 65
    await wait_for(
        lambda: house_bridge.get_device_by_id(light["device_id"])["current_state"] == 65
    )
    cover = named(house_bridge, "cover")["Living_Shade"]
    await house_bridge.set_value(cover["device_id"], 100)
    assert emulator.state(SHADE).zones[0].level == 100
    await house_bridge.lower_cover(cover["device_id"])
    await asyncio.sleep(0.3)  # LP33: a Stop within 200 ms would leave it where it was
    await house_bridge.stop_cover(cover["device_id"])
    assert 0 < emulator.state(SHADE).zones[0].level < 100
    await wait_for(
        lambda: (
            house_bridge.get_device_by_id(cover["device_id"])["current_state"]
            == round(emulator.state(SHADE).zones[0].level)
        )
    )


async def test_lp38_lp42_a_press_reaches_the_button_callback_and_the_led(
    house_bridge: Smartbridge, house_emulator: tuple[Emulator, LeapServer]
) -> None:
    """LP38, LP39: a press made on the emulator reaches the button subscriber; LP42: its LED follows; LP40: tap_button."""
    emulator = house_emulator[0]
    buttons = house_bridge.get_buttons()
    [keypad] = [
        device
        for device in house_bridge.get_devices_by_domain("sensor")
        if device["serial"] == int(KEYPAD, 16)
    ]
    [scene] = [
        b
        for b in buttons.values()
        if b["parent_device"] == keypad["device_id"] and b["button_number"] == SCENE
    ]
    events: list[str] = []
    house_bridge.add_button_subscriber(scene["device_id"], events.append)
    emulator.press(KEYPAD, SCENE, Gesture.TAP)
    await wait_for(lambda: events == ["Press", "Release"])
    led = scene["button_led"]
    await wait_for(lambda: house_bridge.get_device_by_id(led)["current_state"] == 100)
    await house_bridge.turn_off(led)  # the LED as a switch: an UpdateRequest
    assert emulator.state(KEYPAD).indicators[SCENE].name == "OFF"
    await house_bridge.tap_button(scene["device_id"])
    await wait_for(lambda: events == ["Press", "Release"] * 2)


async def test_lp43_lp44_occupancy_groups(
    house_bridge: Smartbridge, house_emulator: tuple[Emulator, LeapServer]
) -> None:
    """LP43, LP44: an occupancy group per room with a sensor, from the sensor devices; changes reach the subscriber."""
    emulator = house_emulator[0]
    groups = {group["name"]: group for group in house_bridge.occupancy_groups.values()}
    assert sorted(groups) == ["Kitchen Occupancy", "Living Occupancy"]
    assert {group["status"] for group in groups.values()} == {"Unoccupied"}
    living = groups["Living Occupancy"]
    fired = asyncio.Event()
    house_bridge.add_occupancy_subscriber(living["occupancy_group_id"], fired.set)
    emulator.simulate(SENSOR_3, Fault.OCCUPANCY, True)
    await asyncio.wait_for(fired.wait(), WAIT)
    assert living["status"] == "Occupied"


EXAMPLE_HOUSE = Path(__file__).parents[3] / "examples" / "house.yaml"


async def test_lp24_lp44_the_example_house_as_home_assistant_sees_it(
    socket_enabled: None,
    credentials: LeapCredentials,
    cert_files: tuple[str, str, str],
) -> None:
    """The example house (`scripts/develop`): every light, cover, switch, keypad button, LED and occupancy room.

    What pylutron-caseta lists is counted from the description: dimmed zones are lights, `Shade` zones covers
    (LP30; `ShadeWithTilt` it skips, LP33), switched and CCO zones and LEDs switches, each keypad button a button,
    and each room with a sensor an occupancy group (LP44).
    """
    description = load_description(EXAMPLE_HOUSE)
    emulator = Emulator(description)
    server = LeapServer(emulator, credentials, "127.0.0.1", 0)
    await server.start()
    bridge = await connect(server.port, cert_files)
    try:
        kinds = Counter(
            output.control_type
            for device in description.devices
            for output in device.outputs
        )
        keypads = [d for d in description.devices if d.kind is DeviceKind.KEYPAD]
        leds = sum(len(k.indicators) for k in keypads)
        assert min(kinds[ControlType.DIMMED], kinds[ControlType.SHADE], leds) > 0
        assert len(bridge.get_devices_by_domain("light")) == kinds[ControlType.DIMMED]
        assert len(bridge.get_devices_by_domain("cover")) == kinds[ControlType.SHADE]
        assert len(bridge.get_devices_by_domain("switch")) == (
            kinds[ControlType.SWITCHED] + kinds[ControlType.CCO] + leds
        )
        assert len(bridge.get_buttons()) == sum(len(k.buttons) for k in keypads)
        assert len(bridge.get_devices_by_domain("sensor")) == len(keypads)
        sensed = {
            d.area for d in description.devices if d.kind is DeviceKind.OCCUPANCY_SENSOR
        }
        assert sorted(g["name"] for g in bridge.occupancy_groups.values()) == sorted(
            f"{area} Occupancy" for area in sensed
        )
    finally:
        await close(bridge)
        await server.stop()
        emulator.close()


# A project of two processors (LP52, LP53), through its second processor.


async def test_lp53_the_second_processor_shows_the_whole_project(
    socket_enabled: None, tmp_path: Path
) -> None:
    """LP52, LP53: pylutron-caseta paired with the pool house's processor sees and drives the whole project.

    Its processor (device "1") is the pool house's; the zones of both processors are there, in their areas; a zone
    on the main house's link is switched through the pool house, and a change on the main house is heard.
    """
    with allow_processor_hosts():
        async with served_project(2) as (emulator, served):
            pool = served[POOL]
            key, cert = pool.credentials.issue_client("pylutron-caseta")
            files = (tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem")
            for path, text in zip(
                files, (key, cert, pool.credentials.ca_cert_pem), strict=True
            ):
                path.write_text(text)
            bridge = await connect(
                pool.server.port,
                (str(files[0]), str(files[1]), str(files[2])),
                host=HOSTS[POOL],
            )
            try:
                processor = bridge.get_devices()["1"]
                assert (processor["serial"], processor["model"]) == (
                    int(POOL, 16),
                    "HQP7-1",
                )
                switches = named(bridge, "switch")
                lights = named(bridge, "light")
                description = emulator.description
                # Every switching module's four zones and CCO, of both processors; the pool house's dimmer.
                assert len(switches) == 5 * len(description.modules)
                assert {"Kitchen_Island", "Pool house_Deck", "Garage_Zone 1"} <= set(
                    switches
                )
                assert len(lights) == 4
                assert {area["name"] for area in bridge.areas.values()} >= {
                    "Kitchen",
                    "Hall",
                    "Pool house",
                    "Garage",
                }
                island = switches["Kitchen_Island"]
                await bridge.turn_on(island["device_id"])
                assert emulator.state(HOUSE_PANEL).zones[0].on
                await wait_for(lambda: bridge.is_on(island["device_id"]))
                emulator.set_zone(HOUSE_PANEL, 1, False)  # changed on the main house
                await wait_for(lambda: not bridge.is_on(island["device_id"]))
                await bridge.turn_on(switches["Pool house_Deck"]["device_id"])
                assert emulator.state(POOL_PANEL).zones[0].on
            finally:
                await close(bridge)
