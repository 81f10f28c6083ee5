"""The live client against the emulator's LEAP server serving a whole house (tests/qsx/house.py).

Dimmed zones, shades with and without tilt, keypads with their buttons and LEDs, occupancy sensors and a timeclock:
the client reads them as the emulator describes them, follows what changes there in every push form (LP23, LP57),
and drives each kind (LP25, LP31, LP33, LP40, LP41, LP46).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    ButtonAction,
    Fault,
    Gesture,
    LedState,
    ProgrammingModel,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap.backend import LeapBackend
from custom_components.homeworks_qsx.qsx.leap.pushes import PushForm
from custom_components.homeworks_qsx.qsx.model import (
    ControlType,
    DeviceDescription,
    DeviceKind,
)
from tests.qsx.house import (
    DIMMER,
    HALL_KEYPAD,
    KEYPAD,
    SCENE,
    SENSOR_1,
    SENSOR_2,
    SHADE,
    TILT_SHADE,
    TOGGLE,
    house_description,
)

from .rig import FAST, HOST, Processor, processor, wait_until

pytestmark = pytest.mark.usefixtures("socket_enabled")


@contextlib.asynccontextmanager
async def served_house(
    profile: Profile = Profile.FULL, push_form: PushForm = PushForm.COLLECTION
) -> AsyncIterator[tuple[Processor, LeapBackend]]:
    """Yield the emulated house served over LEAP and a backend connected to it."""
    async with processor(profile, house_description(), push_form=push_form) as served:
        backend = LeapBackend(
            HOST, served.certificates, port=served.server.port, timings=FAST
        )
        await backend.async_start()
        try:
            await backend.client.wait_subscribed()  # LP39: the buttons' events too
            yield served, backend
        finally:
            await backend.async_stop()


def living_group(backend: LeapBackend) -> DeviceDescription:
    """Return the Living area's group: the house's two shades (LP30)."""
    return next(
        d
        for d in backend.description.devices
        if d.kind is DeviceKind.AREA_GROUP and d.name == "Living"
    )


async def test_house_read_as_the_emulator_describes_it() -> None:
    """LP24, LP30, LP34–LP36, LP43, LP45, LP51: every kind of the emulated house, as the client reads it."""
    async with served_house() as (served, backend):
        truth = served.emulator.description
        description = backend.description
        for serial in (DIMMER, KEYPAD, HALL_KEYPAD, SENSOR_1, SENSOR_2):
            device, expected = description.device(serial), truth.device(serial)
            assert (device.kind, device.name, device.area, device.model) == (
                expected.kind,
                expected.name,
                expected.area,
                expected.model,
            ), serial
            assert [(o.name, o.control_type) for o in device.outputs] == [
                (o.name, o.control_type) for o in expected.outputs
            ]
        keypad = description.device(KEYPAD)
        expected = truth.device(KEYPAD)
        assert [(b.number, b.engraving) for b in keypad.buttons] == [
            (b.number, b.engraving) for b in expected.buttons
        ]
        assert [
            b.programming.model if b.programming else None for b in keypad.buttons
        ] == [b.programming.model if b.programming else None for b in expected.buttons]
        assert [i.number for i in keypad.indicators] == [
            i.number for i in expected.indicators
        ]
        assert [
            d.name for d in description.devices if d.kind is DeviceKind.TIMECLOCK
        ] == ["Main timeclock"]
        (clock,) = [d for d in description.devices if d.kind is DeviceKind.TIMECLOCK]
        (truth_clock,) = [d for d in truth.devices if d.kind is DeviceKind.TIMECLOCK]
        assert [
            (e.name, e.event_type, e.time_of_day, e.offset_minutes, e.days)
            for e in clock.schedule
        ] == [
            (e.name, e.event_type, e.time_of_day, e.offset_minutes, e.days)
            for e in truth_clock.schedule
        ]
        # LP30, LP51: a QS shade is listed without `LocalZones`, so its zone is its area's.
        living = living_group(backend)
        assert [(o.name, o.control_type) for o in living.outputs] == [
            ("Shade", ControlType.SHADE),
            ("Blind", ControlType.SHADE_WITH_TILT),
        ]
        diagnostics = backend.diagnostics()
        assert diagnostics["unknown_device_types"] == {}
        assert diagnostics["unknown_control_types"] == {}


async def test_house_keypads_read_from_every_page_of_the_device_list() -> None:
    """LP8, LP36, LP41: with the device list paged two by two, every keypad's buttons and LEDs are read and followed."""
    async with processor(Profile.FULL, house_description(), page_size=2) as served:
        backend = LeapBackend(
            HOST, served.certificates, port=served.server.port, timings=FAST
        )
        await backend.async_start()
        try:
            truth = served.emulator.description
            keypads = [d for d in truth.devices if d.kind is DeviceKind.KEYPAD]
            assert len(keypads) >= 2
            for expected in keypads:
                keypad = backend.description.device(expected.serial)
                assert [b.number for b in keypad.buttons] == [
                    b.number for b in expected.buttons
                ]
                assert [i.number for i in keypad.indicators] == [
                    i.number for i in expected.indicators
                ]
            assert backend.diagnostics()["pages"] >= 2
            served.emulator.press(KEYPAD, SCENE)
            await wait_until(
                lambda: backend.device_state(KEYPAD).indicators[SCENE] is LedState.ON
            )
        finally:
            await backend.async_stop()


@pytest.mark.parametrize("push_form", list(PushForm))
async def test_house_changes_reach_the_client_in_every_form(
    push_form: PushForm,
) -> None:
    """LP23, LP27, LP38, LP42, LP43, LP57: what changes at the emulator reaches the client, in each push form.

    A person's tap on a scene button (its events, the levels it sets, its LED), a dimmed zone set at the device,
    a person entering the kitchen, the timeclock disabled.
    """
    async with served_house(push_form=push_form) as (served, backend):
        emulator = served.emulator
        events: list[Event] = []
        backend.subscribe(events.append)
        emulator.press(KEYPAD, SCENE, Gesture.TAP)
        await wait_until(
            lambda: (
                [e.value for e in events if e.kind is EventKind.BUTTON]
                == [ButtonAction.PRESS, ButtonAction.RELEASE]
            )
        )
        await wait_until(lambda: backend.device_state(DIMMER).zones[0].level == 75)
        await wait_until(
            lambda: backend.device_state(KEYPAD).indicators[SCENE] is LedState.ON
        )
        emulator.simulate(DIMMER, Fault.MANUAL_LEVEL, 30, output=2)
        await wait_until(lambda: backend.device_state(DIMMER).zones[1].level == 30)
        emulator.simulate(SENSOR_1, Fault.OCCUPANCY, True)
        await wait_until(lambda: backend.device_state(SENSOR_2).occupied is True)
        clock = next(
            d.serial
            for d in backend.description.devices
            if d.kind is DeviceKind.TIMECLOCK
        )
        emulator.set_timeclock(
            next(
                d.serial
                for d in emulator.description.devices
                if d.kind is DeviceKind.TIMECLOCK
            ),
            False,
        )
        await wait_until(lambda: backend.device_state(clock).timeclock_enabled is False)
        assert (EventKind.OCCUPANCY, SENSOR_1, None, True) in [
            (e.kind, e.serial, e.zone, e.value) for e in events
        ]


async def test_house_driven_by_the_client() -> None:
    """LP25, LP28, LP31, LP33, LP40, LP41, LP46: each kind driven from the client, as the emulator shows it."""
    async with served_house() as (served, backend):
        emulator = served.emulator
        await backend.async_set_level(DIMMER, 1, 40, fade_seconds=2)
        assert emulator.state(DIMMER).zones[0].level == 40
        await backend.async_set_level(DIMMER, 2, 0.4)  # at least level 1 (LP28)
        assert emulator.state(DIMMER).zones[1].level == 1
        living = living_group(backend).serial
        await backend.async_set_level(
            living, 1, 100
        )  # open: a level, not a Raise (LP32)
        await wait_until(lambda: emulator.state(SHADE).zones[0].level > 0)
        await backend.async_set_tilt(living, 2, 25)
        await wait_until(lambda: emulator.state(TILT_SHADE).zones[0].tilt == 25)
        await backend.async_move_shade(living, 2, ShadeMove.LOWER)
        await wait_until(lambda: emulator.shade_moving(TILT_SHADE, 1))
        await backend.async_move_shade(living, 2, ShadeMove.STOP)
        await wait_until(lambda: not emulator.shade_moving(TILT_SHADE, 1))
        events: list[Event] = []
        backend.subscribe(events.append)
        await backend.async_press_keypad_button(KEYPAD, TOGGLE)
        await wait_until(
            lambda: (
                [e.value for e in events if e.kind is EventKind.BUTTON]
                == [ButtonAction.PRESS, ButtonAction.RELEASE]
            )
        )
        await wait_until(lambda: backend.device_state(DIMMER).zones[1].level == 50)
        await backend.async_set_indicator(KEYPAD, SCENE, True)
        assert emulator.state(KEYPAD).indicators[SCENE] is LedState.ON
        assert backend.device_state(KEYPAD).indicators[SCENE] is LedState.ON
        clock = next(
            d.serial
            for d in backend.description.devices
            if d.kind is DeviceKind.TIMECLOCK
        )
        await backend.async_set_timeclock(clock, False)
        assert backend.device_state(clock).timeclock_enabled is False
        assert [
            d.timeclock_enabled
            for d in (
                emulator.state(d.serial)
                for d in emulator.description.devices
                if d.kind is DeviceKind.TIMECLOCK
            )
        ] == [False]


async def test_house_anonymous_profile() -> None:
    """LP16, LP50, LP51: served as a real QSX serves an unaddressed project, the zones go to their areas' groups."""
    async with served_house(Profile.ANONYMOUS) as (served, backend):
        description = backend.description
        kinds = {d.kind for d in description.devices}
        assert DeviceKind.AREA_GROUP in kinds
        kitchen = next(
            d
            for d in description.devices
            if d.kind is DeviceKind.AREA_GROUP and d.name == "Kitchen"
        )
        assert ControlType.DIMMED in {o.control_type for o in kitchen.outputs}
        keypads = [d for d in description.devices if d.kind is DeviceKind.KEYPAD]
        assert sorted(k.serial for k in keypads) == [KEYPAD, HALL_KEYPAD]
        programming = {
            b.programming.model for k in keypads for b in k.buttons if b.programming
        }
        assert ProgrammingModel.TOGGLE in programming
