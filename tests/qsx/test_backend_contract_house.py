"""The backend contract over the whole house: every backend shows and drives the new kinds as the emulator does.

The emulated backend, a `LipBackend` connected to the emulator's LIP server, and a `LeapBackend` connected to its
LEAP server in both listings (LP16: devices described in full, or as a real QSX lists an unaddressed project) and
in every push form (LP23, LP57). Each finds the house's objects by their names, as a user does: a live processor may
show a zone under its area rather than its device (LP30, LP51) and numbers it its own way.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.backend import QsxBackend
from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Fault,
    Gesture,
    LedState,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import NotSupportedError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap.backend import LeapBackend
from custom_components.homeworks_qsx.qsx.leap.client import (
    LEAP_TIMINGS,
    LeapCertificates,
)
from custom_components.homeworks_qsx.qsx.leap.pushes import PushForm
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.lip.client import LIP_TIMINGS
from custom_components.homeworks_qsx.qsx.model import (
    Capability,
    ControlType,
    DeviceDescription,
    DeviceKind,
)
from tests.qsx.house import KEYPAD, SCENE, TOGGLE, house_description
from tests.qsx.leap.rig import wait_until

USER, PASSWORD = "lutron", "contract-secret"


@dataclass
class Rig:
    """A started backend over the emulated house, and the events it published."""

    name: str
    backend: QsxBackend
    emulator: Emulator
    events: list[Event]

    def device(self, name: str) -> DeviceDescription:
        """Return the backend's device of this name (a keypad's, a sensor's, a timeclock's)."""
        return next(d for d in self.backend.description.devices if d.name == name)

    def output(self, area: str, name: str) -> tuple[str, int]:
        """Return (serial, number) of the output of this name in `area`, on whichever device the backend shows it."""
        for device in self.backend.description.devices:
            if device.area != area:
                continue
            for output in device.outputs:
                if output.name == name:
                    return device.serial, output.number
        raise AssertionError(f"no output {name} in {area}")

    def level(self, area: str, name: str) -> float:
        """Return the level the backend shows for an output."""
        serial, number = self.output(area, name)
        return self.backend.device_state(serial).zones[number - 1].level


FAST_LEAP = replace(
    LEAP_TIMINGS,
    command_timeout=2.0,
    connect_timeout=4.0,
    reconnect_min=0.01,
    reconnect_max=0.05,
)


@pytest.fixture(
    params=[
        "emulated",
        "lip",
        "leap-full",
        "leap-anonymous",
        "leap-full-object",
        "leap-full-untagged",
    ]
)
async def rig(request: pytest.FixtureRequest) -> AsyncGenerator[Rig]:
    """Each backend in turn, started, over the same house."""
    emulator = Emulator(house_description())
    events: list[Event] = []
    if request.param.startswith("leap"):
        request.getfixturevalue("socket_enabled")
        credentials = LeapCredentials.generate()
        key, cert = credentials.issue_client()
        _, profile_name, *form = request.param.split("-")
        server = LeapServer(
            emulator,
            credentials,
            "127.0.0.1",
            0,
            profile=Profile(profile_name),
            push_form=PushForm(form[0]) if form else PushForm.COLLECTION,
        )
        await server.start()
        leap = LeapBackend(
            "127.0.0.1",
            LeapCertificates(key, cert, credentials.ca_cert_pem),
            port=server.port,
            timings=FAST_LEAP,
        )
        await leap.async_start()
        leap.subscribe(events.append)
        yield Rig(request.param, leap, emulator, events)
        await leap.async_stop()
        await server.stop()
        emulator.close()
        return
    if request.param == "emulated":
        backend = EmulatedBackend(emulator)
        await backend.async_start()
        backend.subscribe(events.append)
        yield Rig(request.param, backend, emulator, events)
        await backend.async_stop()
        emulator.close()
        return
    request.getfixturevalue("socket_enabled")
    lip_server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0)
    await lip_server.start()
    async with aiohttp.ClientSession() as session:
        lip = LipBackend(
            "127.0.0.1",
            lip_server.port,
            USER,
            PASSWORD,
            http_port=lip_server.http_port or 0,
            session=session,
            timings=replace(
                LIP_TIMINGS,
                command_timeout=2.0,
                connect_timeout=4.0,
                reconnect_min=0.01,
                reconnect_max=0.05,
            ),
        )
        await lip.async_start()
        lip.subscribe(events.append)
        yield Rig(request.param, lip, emulator, events)
        await lip.async_stop()
    await lip_server.stop()
    emulator.close()


async def test_house_dimmed_levels(rig: Rig) -> None:
    """LP24–LP28: a dimmed zone set with a fade is at its level on the emulator and on the backend, with an event."""
    serial, number = rig.output("Kitchen", "Dimmed 1")
    await rig.backend.async_set_level(serial, number, 40, fade_seconds=2)
    assert rig.emulator.state("000000D1").zones[0].level == 40
    await wait_until(lambda: rig.level("Kitchen", "Dimmed 1") == 40)
    assert any(
        e.kind is EventKind.LEVEL and e.serial == serial and e.value == 40
        for e in rig.events
    )
    # A person at the dimmer (an emulator action) shows on the backend.
    rig.emulator.simulate("000000D1", Fault.MANUAL_LEVEL, 30, output=2)
    await wait_until(lambda: rig.level("Kitchen", "Dimmed 2") == 30)


async def test_house_shades(rig: Rig) -> None:
    """LP30–LP33: a shade and a tilting blind as covers: a level, a tilt, a move stopped.

    LIP carries no tilt, and says so.
    """
    serial, number = rig.output("Living", "Blind")
    blind = rig.backend.description.device(serial).output(number)
    assert blind.control_type is ControlType.SHADE_WITH_TILT
    if rig.name == "lip":
        with pytest.raises(NotSupportedError, match="tilt"):
            await rig.backend.async_set_tilt(serial, number, 25)
    else:
        await rig.backend.async_set_tilt(serial, number, 25)
        await wait_until(lambda: rig.emulator.state("000000E2").zones[0].tilt == 25)
    await rig.backend.async_move_shade(serial, number, ShadeMove.LOWER)
    await wait_until(lambda: rig.emulator.shade_moving("000000E2", 1))
    await rig.backend.async_move_shade(serial, number, ShadeMove.STOP)
    await wait_until(lambda: not rig.emulator.shade_moving("000000E2", 1))
    shade_serial, shade_number = rig.output("Living", "Shade")
    await rig.backend.async_set_level(shade_serial, shade_number, 100)
    await wait_until(lambda: rig.emulator.state("000000E1").zones[0].level > 0)


async def test_house_keypads(rig: Rig) -> None:
    """LP36–LP42: a keypad's buttons, their events, a press from the backend, an LED written from it.

    A person's tap reaches the backend as its button's events and lights its LED; a press from the backend runs
    the button's programming.
    """
    keypad = rig.device("Kitchen keypad")
    assert keypad.kind is DeviceKind.KEYPAD
    assert [b.number for b in keypad.buttons] == [
        b.number for b in rig.emulator.description.device(KEYPAD).buttons
    ]
    rig.emulator.press(KEYPAD, SCENE, Gesture.TAP)
    await wait_until(
        lambda: (
            [
                e.value
                for e in rig.events
                if e.kind is EventKind.BUTTON and e.serial == keypad.serial
            ]
            == [ButtonAction.PRESS, ButtonAction.RELEASE]
        )
    )
    await wait_until(
        lambda: rig.backend.device_state(keypad.serial).indicators[SCENE] is LedState.ON
    )
    await rig.backend.async_press_keypad_button(keypad.serial, TOGGLE)
    await wait_until(lambda: rig.level("Kitchen", "Dimmed 2") == 50)
    await rig.backend.async_set_indicator(keypad.serial, TOGGLE, False)
    await rig.backend.async_set_indicator(keypad.serial, SCENE, False)
    assert rig.emulator.state(KEYPAD).indicators[SCENE] is LedState.OFF


async def test_house_occupancy_and_timeclock(rig: Rig) -> None:
    """LP43–LP46: a person entering the kitchen occupies its sensors; a timeclock disabled from the backend.

    A backend that cannot drive timeclocks (LIP) says so.
    """
    rig.emulator.simulate("000000C1", Fault.OCCUPANCY, True)
    sensor = rig.device("Kitchen sensor 2")
    await wait_until(lambda: rig.backend.device_state(sensor.serial).occupied is True)
    (truth,) = [
        d for d in rig.emulator.description.devices if d.kind is DeviceKind.TIMECLOCK
    ]
    if Capability.TIMECLOCK not in rig.backend.capabilities:  # LIP: no such command
        with pytest.raises(NotSupportedError):
            await rig.backend.async_set_timeclock(truth.serial, False)
        return
    (clock,) = [
        d for d in rig.backend.description.devices if d.kind is DeviceKind.TIMECLOCK
    ]
    await rig.backend.async_set_timeclock(clock.serial, False)
    assert rig.emulator.state(truth.serial).timeclock_enabled is False
    await wait_until(
        lambda: rig.backend.device_state(clock.serial).timeclock_enabled is False
    )
