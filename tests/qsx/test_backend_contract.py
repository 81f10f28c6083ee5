"""One interface, two backends: the integration cannot tell them apart.

The same behavioural tests run against an `EmulatedBackend`, a `LipBackend` connected over 127.0.0.1 to a
`LipServer`, and a `LeapBackend` connected to a `LeapServer` in every listing it has (LP16, LP48, LP51: modules
described in full; anonymous as on a real QSX, their zones then grouped by area; where it has one, addressed,
`Unknown` with serial and model and their zones found in their link nodes) and in every push form (LP23: tagged collection
deltas, tagged object statuses, untagged object statuses), each serving an `Emulator`. Faults are injected
through the emulator.

What a live processor cannot tell (relay counts, temperature, the bypass jumper; over LEAP also the CCI, LEDs,
mode and buttons, LP17) is left out, as the backend's `capabilities` say; everything else, states and change events
alike, must be the same: the integration cannot tell the backends apart.

The whole house (tests/qsx/house.py: dimmed zones, shades, keypads with buttons and LEDs, occupancy sensors, a
timeclock) runs on a manual clock through every backend the same way: each command and each person's action (the
emulator's simulation behind the served backends) gives the same states and events. Where a protocol lacks a kind
(LIP: tilt and timeclocks), the backend's `capabilities` say so and its command raises `NotSupportedError`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, replace
import datetime as dt

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.backend import QsxBackend
from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    Button,
    ButtonAction,
    Fault,
    Gesture,
    IgnoredReason,
    LedState,
    OperatingMode,
    ShadeMove,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import (
    CommandIgnoredError,
    NotSupportedError,
    UnknownObjectError,
)
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
    DeviceDescription,
    DeviceKind,
    DeviceState,
    SystemDescription,
    ZoneState,
)

from .house import (
    BARE,
    DIMMER,
    HALL_KEYPAD,
    KEYPAD,
    RAISE,
    SCENE,
    SENSOR_1,
    SENSOR_2,
    SENSOR_3,
    SHADE,
    TILT_SHADE,
    TIMECLOCK,
    TOGGLE,
    house_description,
)

USER, PASSWORD = "lutron", "contract-secret"
VISIBLE = {
    EventKind.ZONE,
    EventKind.CCO,
    EventKind.CCI,
    EventKind.OVERRIDE,
    EventKind.LED,
    EventKind.MODE,
    EventKind.POWER,
    EventKind.LINK,
    EventKind.PROGRAM,
    EventKind.BUTTON,
}


def system() -> SystemDescription:
    """Three modules: two share a CCI group; the second has a momentary CCO."""
    return parse_description(
        {
            "name": "Contract",
            "processor": {"serial": "0C0C0C0C"},
            "links": [
                {
                    "number": 1,
                    "modules": [
                        {
                            "cci_group": "egress",
                            "zones": [{"watts": 120}, {"override": "off"}],
                        },
                        {
                            "cci_group": "egress",
                            "cco": {"type": "momentary", "pulse_seconds": 0.25},
                        },
                        {},
                    ],
                }
            ],
        }
    )


@dataclass
class Rig:
    """A started backend, the emulator behind it, and how to wait until the backend has seen every change.

    Tests name modules by the emulator's serials; on an anonymous LEAP system (LP16) a module is known only as the
    group of its area (each module of `system()` has its own area), its CCO being the group's fifth zone.
    """

    backend: QsxBackend
    emulator: Emulator
    settle: Callable[[], Awaitable[None]]
    emulator_events: list[Event]
    backend_events: list[Event]
    grouped: bool = False

    @property
    def serials(self) -> list[str]:
        """Module serials, in order."""
        return [module.serial for module in self.emulator.description.modules]

    def supports(self, capability: Capability) -> bool:
        """Whether the backend can tell or do this."""
        return capability in self.backend.capabilities

    def unit(self, serial: str) -> str:
        """Return the backend's serial of a module: its own, or its area group's."""
        if not self.grouped:
            return serial
        area = self.emulator.description.device(serial).area
        return next(
            group.serial
            for group in self.backend.description.devices
            if group.area == area
        )

    def state(self, serial: str) -> DeviceState:
        """Return the backend's state of a module (an area group's seen as the module it holds)."""
        state = self.backend.device_state(self.unit(serial))
        if not self.grouped:
            return state
        return DeviceState(
            zones=[ZoneState(zone.on, None) for zone in state.zones[:4]],
            cco_closed=state.zones[4].on,
        )

    async def set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch a zone through the backend."""
        await self.backend.async_set_zone(self.unit(serial), zone, on)

    async def set_cco(self, serial: str, closed: bool) -> None:
        """Close or open a module's CCO through the backend (a group's CCO zone, when grouped)."""
        if self.grouped:
            await self.backend.async_set_zone(self.unit(serial), 5, closed)
        else:
            await self.backend.async_set_cco(serial, closed)

    def _as_module_event(self, event: Event) -> Event:
        if not self.grouped or event.kind is not EventKind.ZONE:
            return event
        area = self.backend.description.device(str(event.serial)).area
        serial = next(
            m.serial for m in self.emulator.description.modules if m.area == area
        )
        if event.zone == 5:
            return Event(EventKind.CCO, serial, None, event.value)
        return Event(EventKind.ZONE, serial, event.zone, event.value)

    def visible_changes(self) -> tuple[Counter[Event], Counter[Event]]:
        """Return the events a live processor can report: (published by the emulator, published by the backend)."""
        kinds = (
            VISIBLE
            if self.supports(Capability.MODE)
            else {EventKind.ZONE, EventKind.CCO}
        )
        truth = Counter(e for e in self.emulator_events if e.kind in kinds)
        seen = Counter(
            event
            for e in self.backend_events
            if (event := self._as_module_event(e)).kind in kinds
        )
        self.emulator_events.clear()
        self.backend_events.clear()
        return truth, seen


async def _nothing() -> None:
    return None


# LP16, LP48, LP51: the LEAP backend on every listing the server has (each form of module), in the default push form
# and untagged (LP55 b); the full listing in the object form too (LP23, LP57).
BACKENDS = [
    "emulated",
    "lip",
    *(f"leap-{profile}" for profile in Profile),
    "leap-full-object",
    *(f"leap-{profile}-untagged" for profile in Profile),
]


@contextlib.asynccontextmanager
async def started_backend(
    request: pytest.FixtureRequest, emulator: Emulator
) -> AsyncGenerator[tuple[QsxBackend, Callable[[], Awaitable[None]], bool]]:
    """Yield the backend `request.param` names, started on `emulator`: (backend, settle, grouped).

    `settle` returns once the backend has heard every change made before it was called (a round trip to the
    server); `grouped` says the backend shows modules as their areas' groups (LP16, the anonymous listing).
    """
    param: str = request.param
    if param == "emulated":
        backend: QsxBackend = EmulatedBackend(emulator)
        await backend.async_start()
        try:
            yield backend, _nothing, False
        finally:
            await backend.async_stop()
        return
    request.getfixturevalue("socket_enabled")
    if param.startswith("leap"):
        credentials = LeapCredentials.generate()
        key, cert = credentials.issue_client()
        _, profile_name, *form = param.split("-")
        profile = Profile(profile_name)
        # LP23, LP57: the client is run against every push form (tagged collection deltas by default).
        push_form = PushForm(form[0]) if form else PushForm.COLLECTION
        leap_server = LeapServer(
            emulator, credentials, "127.0.0.1", 0, profile=profile, push_form=push_form
        )
        await leap_server.start()
        leap = LeapBackend(
            "127.0.0.1",
            LeapCertificates(key, cert, credentials.ca_cert_pem),
            port=leap_server.port,
            timings=replace(
                LEAP_TIMINGS,
                command_timeout=2.0,
                connect_timeout=2.0,
                reconnect_min=0.01,
                reconnect_max=0.05,
            ),
        )
        try:
            await leap.async_start()
            await leap.client.wait_subscribed()  # LP39: the buttons' events too
            yield leap, leap.client.ping, profile is Profile.ANONYMOUS
        finally:
            await leap.async_stop()
            await leap_server.stop()
        return
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            lip = LipBackend(
                "127.0.0.1",
                server.port,
                USER,
                PASSWORD,
                http_port=server.http_port or 0,
                session=session,
                timings=replace(
                    LIP_TIMINGS,
                    command_timeout=2.0,
                    connect_timeout=2.0,
                    reconnect_min=0.01,
                    reconnect_max=0.05,
                ),
            )
            try:
                await lip.async_start()
                yield lip, lip.client.ping, False
            finally:
                await lip.async_stop()
    finally:
        await server.stop()


@pytest.fixture(params=BACKENDS)
async def rig(request: pytest.FixtureRequest) -> AsyncGenerator[Rig]:
    """Each backend in turn, started, over the same system."""
    emulator = Emulator(system())
    emulator_events: list[Event] = []
    emulator.events.subscribe(emulator_events.append)
    try:
        async with started_backend(request, emulator) as (backend, settle, grouped):
            backend_events: list[Event] = []
            backend.subscribe(backend_events.append)
            yield Rig(
                backend, emulator, settle, emulator_events, backend_events, grouped
            )
    finally:
        emulator.close()


def visible(state: DeviceState, rig: Rig) -> tuple[object, ...]:
    """Return what a live processor can tell about a module (over LEAP: its zones and CCO, LP17)."""
    if not rig.supports(Capability.MODE):
        return ([zone.on for zone in state.zones], state.cco_closed)
    return (
        [zone.on for zone in state.zones],
        state.cci_open,
        state.override_active,
        state.cco_closed,
        state.powered,
        state.link_up,
        state.program_mode,
        list(state.zone_leds),
        state.prog_led,
        state.mode,
        state.ignored_reason,
    )


def reported(description: SystemDescription) -> tuple[object, ...]:
    """Return what LEAP tells of a description (LP11, LP13, LP16): the processor, names, areas, zone names."""
    processor = description.processor
    return (
        description.name,
        (processor.serial, processor.model, processor.name, processor.firmware),
        description.links,
        [(m.area, [z.name for z in m.zones], m.cco.name) for m in description.modules],
    )


def as_groups(description: SystemDescription) -> list[tuple[str, list[str]]]:
    """Return a description as an anonymous LEAP system shows it: per area, the zone names then the CCO's."""
    return [
        (m.area, [*(z.name for z in m.zones), m.cco.name]) for m in description.modules
    ]


def assert_same_description(rig: Rig) -> None:
    """Check that the backend describes the system as the emulator does, as far as its protocol tells."""
    if rig.supports(Capability.LINK_ADDRESS):
        assert rig.backend.description == rig.emulator.description
        return
    truth = rig.emulator.description
    seen = rig.backend.description
    if rig.grouped:
        assert seen.modules == ()
        assert all(group.kind is DeviceKind.AREA_GROUP for group in seen.devices)
        assert sorted(
            (group.area, [output.name for output in group.outputs])
            for group in seen.devices
        ) == sorted(as_groups(truth))
        assert reported(seen)[:3] == reported(truth)[:3]
        return
    assert seen.devices == seen.modules
    assert [m.serial for m in seen.modules] == [m.serial for m in truth.modules]
    assert [m.name for m in seen.modules] == [m.name for m in truth.modules]
    assert reported(seen) == reported(truth)


async def assert_same(rig: Rig) -> None:
    """Check that the backend shows exactly what the emulator holds, and published the same visible changes."""
    await rig.settle()
    assert_same_description(rig)
    for serial in rig.serials:
        assert visible(rig.state(serial), rig) == visible(
            rig.emulator.state(serial), rig
        )
    truth, seen = rig.visible_changes()
    assert seen == truth


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait (bounded) until `predicate()` holds."""
    async with asyncio.timeout(5):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_started_and_connected(rig: Rig) -> None:
    """Started: connected, the same description and states."""
    assert rig.backend.connected
    await assert_same(rig)
    assert "password" not in str(rig.backend.diagnostics()).lower()
    assert PASSWORD not in str(rig.backend.diagnostics())


async def test_zone_commands(rig: Rig) -> None:
    """A zone command returns with the state changed, and the change published once, naming its device."""
    serial = rig.serials[0]
    published: list[Event] = []
    rig.backend.subscribe(published.append)
    await rig.set_zone(serial, 2, True)
    assert rig.state(serial).zones[1].on
    assert published.count(Event(EventKind.ZONE, rig.unit(serial), 2, True)) == 1
    await rig.set_zone(serial, 2, True)
    await rig.set_zone(serial, 2, False)
    assert not rig.state(serial).zones[1].on
    await assert_same(rig)


async def test_cco_commands(rig: Rig) -> None:
    """Maintained CCO closes and opens; pulses close at once and open by themselves; momentary pulses on close."""
    first, second = rig.serials[0], rig.serials[1]
    await rig.set_cco(first, True)
    assert rig.state(first).cco_closed
    await rig.set_cco(first, False)
    if rig.grouped:  # a group's CCO zone is a plain switch: LEAP has no pulse and the group no CCO of its own
        with pytest.raises(UnknownObjectError):
            await rig.backend.async_pulse_cco(rig.unit(first), 0.25)
    else:
        await rig.backend.async_pulse_cco(first, 0.25)
        assert rig.state(first).cco_closed
        await wait_until(lambda: not rig.state(first).cco_closed)
    await rig.set_cco(second, True)
    assert rig.state(second).cco_closed
    await wait_until(lambda: not rig.state(second).cco_closed)
    await assert_same(rig)
    with pytest.raises(ValueError, match="pulse"):
        await rig.backend.async_pulse_cco(first, 0.1)


async def test_buttons(rig: Rig) -> None:
    """M8: a zone button toggles its zone, Prog all four; each press is published (LP17: not over LEAP)."""
    serial = rig.serials[2]
    if not rig.supports(Capability.BUTTONS):
        with pytest.raises(NotSupportedError, match="buttons"):
            await rig.backend.async_press_button(rig.unit(serial), Button.ZONE_3)
        await assert_same(rig)
        return
    await rig.backend.async_press_button(serial, Button.ZONE_3)
    assert rig.state(serial).zones[2].on
    await rig.backend.async_press_button(serial, Button.PROG)
    assert not any(zone.on for zone in rig.state(serial).zones)
    await rig.backend.async_press_button(serial, Button.PROG)
    assert all(zone.on for zone in rig.state(serial).zones)
    await assert_same(rig)


def expected_reason(rig: Rig, reason: IgnoredReason) -> IgnoredReason:
    """Return the reason a backend can give: the real one, or over LEAP none (LP19 shows only the level)."""
    return reason if rig.supports(Capability.MODE) else IgnoredReason.NOT_REPORTED


async def test_manual_override(rig: Rig) -> None:
    """C2, C3, C5, C7: the group's CCI opens; commands are ignored with the reason; closing restores the zones."""
    first, second = rig.serials[0], rig.serials[1]
    await rig.set_zone(first, 3, True)
    rig.emulator.set_cci(first, True)
    await assert_same(rig)
    if rig.supports(Capability.MODE):
        for serial in (first, second):
            assert rig.state(serial).mode is OperatingMode.MANUAL_OVERRIDE
    commands = [
        rig.set_zone(first, 1, False),  # held on by the override (C2)
        rig.set_cco(second, True),
    ]
    if rig.supports(
        Capability.MODE
    ):  # LEAP sees an ignored command only when the level should have changed
        commands.append(rig.set_zone(first, 1, True))
        commands.append(rig.backend.async_press_button(first, Button.ZONE_1))
    if not rig.grouped:
        commands.append(rig.backend.async_pulse_cco(first))
    for command in commands:
        with pytest.raises(CommandIgnoredError) as err:
            await command
        assert err.value.reason is expected_reason(rig, IgnoredReason.MANUAL_OVERRIDE)
    await assert_same(rig)
    rig.emulator.set_cci(second, False)
    await assert_same(rig)
    assert [zone.on for zone in rig.state(first).zones] == [
        False,
        False,
        True,
        False,
    ]


async def test_power_loss(rig: Rig) -> None:
    """M7, O3, M11: without power zones read off and commands are ignored; power back restores the levels."""
    serial = rig.serials[0]
    await rig.set_zone(serial, 1, True)
    await rig.set_cco(serial, True)
    rig.emulator.set_power(serial, False)
    await assert_same(rig)
    state = rig.state(serial)
    assert not state.cco_closed
    if rig.supports(Capability.MODE):
        assert state.mode is OperatingMode.NO_POWER
    with pytest.raises(CommandIgnoredError) as err:
        await rig.set_zone(serial, 2, True)
    assert err.value.reason is expected_reason(rig, IgnoredReason.NO_POWER)
    if rig.supports(Capability.BUTTONS):
        with pytest.raises(CommandIgnoredError):
            await rig.backend.async_press_button(serial, Button.ZONE_2)
    rig.emulator.set_power(serial, True)
    await assert_same(rig)
    assert rig.state(serial).zones[0].on


async def test_link_loss(rig: Rig) -> None:
    """L2, M10: without link the zones stay, the LEDs scroll, processor commands are ignored; buttons still work."""
    serial = rig.serials[2]
    rig.emulator.set_link(serial, False)
    await assert_same(rig)
    if rig.supports(Capability.MODE):
        assert rig.state(serial).mode is OperatingMode.NO_LINK
    with pytest.raises(CommandIgnoredError) as err:
        await rig.set_zone(serial, 1, True)
    assert err.value.reason is expected_reason(rig, IgnoredReason.NO_LINK)
    if rig.supports(Capability.BUTTONS):
        await rig.backend.async_press_button(serial, Button.ZONE_4)
        assert rig.state(serial).zones[3].on
    rig.emulator.set_link(serial, True)
    await assert_same(rig)


async def test_program_mode(rig: Rig) -> None:
    """M11: in program mode the Prog LED flashes and the module still obeys."""
    serial = rig.serials[1]
    rig.emulator.set_program_mode(serial, True)
    await assert_same(rig)
    if rig.supports(Capability.MODE):
        assert rig.state(serial).mode is OperatingMode.PROGRAM
    await rig.set_zone(serial, 4, True)
    rig.emulator.set_program_mode(serial, False)
    await assert_same(rig)


async def test_unknown_objects(rig: Rig) -> None:
    """Unknown serials and zones are `UnknownObjectError` on both."""
    with pytest.raises(UnknownObjectError):
        rig.backend.device_state("FFFFFFFF")
    with pytest.raises(UnknownObjectError):
        await rig.backend.async_set_zone("FFFFFFFF", 1, True)
    with pytest.raises(UnknownObjectError):
        await rig.set_zone(rig.serials[0], 6 if rig.grouped else 5, True)
    await assert_same(rig)


async def test_simulation_only_on_the_emulator(rig: Rig) -> None:
    """Faults can be simulated through the emulated backend only; a live one refuses."""
    serial = rig.serials[0]
    if rig.backend.supports_simulation:
        assert rig.backend.unsupported_reason(Capability.SIMULATION) is None
        await rig.backend.async_simulate(serial, Fault.CCI, True)
        assert rig.backend.device_state(serial).override_active
    else:
        assert rig.backend.unsupported_reason(Capability.SIMULATION)
        with pytest.raises(NotSupportedError):
            await rig.backend.async_simulate(rig.unit(serial), Fault.CCI, True)
        assert not rig.state(serial).override_active
    await assert_same(rig)


async def test_stop_reports_disconnected(rig: Rig) -> None:
    """Stopping reports the connection lost to the listeners."""
    changes: list[bool] = []
    rig.backend.subscribe_connection(changes.append)
    await rig.backend.async_stop()
    assert not rig.backend.connected
    assert changes == [False]


# The whole house: dimmed zones, shades, keypads with their buttons and LEDs, occupancy sensors, a timeclock.

HOUSE_KINDS = frozenset(
    {
        DeviceKind.DIMMING_MODULE,
        DeviceKind.SHADE,
        DeviceKind.KEYPAD,
        DeviceKind.OCCUPANCY_SENSOR,
        DeviceKind.TIMECLOCK,
    }
)
# What each protocol reports of the whole house (docs/lip.md H1-H6: no tilt, no timeclock over LIP).
HOUSE_EVENTS = {
    "emulated": frozenset(
        {
            EventKind.LEVEL,
            EventKind.TILT,
            EventKind.BUTTON,
            EventKind.INDICATOR,
            EventKind.OCCUPANCY,
            EventKind.TIMECLOCK,
        }
    ),
    "lip": frozenset(
        {EventKind.LEVEL, EventKind.BUTTON, EventKind.INDICATOR, EventKind.OCCUPANCY}
    ),
    "leap": frozenset(
        {
            EventKind.LEVEL,
            EventKind.TILT,
            EventKind.BUTTON,
            EventKind.INDICATOR,
            EventKind.OCCUPANCY,
            EventKind.TIMECLOCK,
        }
    ),
}
HOUSE_BACKENDS = [
    "emulated",
    "lip",
    *(
        f"leap-{profile}-{form}"
        for profile in Profile
        for form in ("collection", "object", "untagged")
    ),
]
# Level and tilt events of an output that did not change are no change to a client (LP27: a ramp's start).
REPORTED_IF_CHANGED = frozenset({EventKind.LEVEL, EventKind.TILT})


class House:
    """A started backend on the emulated whole house (tests/qsx/house.py), on a manual clock.

    Tests name devices and outputs as the emulator does; `where` finds them in the backend, where an output may be
    its area group's (LP16, LP30, LP51: a device listed without `LocalZones`) and a timeclock has an id of its own.
    After every step `check` compares the states of every device of the house and the events both published, of
    the kinds the backend's protocol reports.
    """

    def __init__(
        self,
        backend: QsxBackend,
        emulator: Emulator,
        scheduler: ManualScheduler,
        settle: Callable[[], Awaitable[None]],
        reported: frozenset[EventKind],
    ) -> None:
        """Map the emulator's devices onto the backend's and record the events of both."""
        self.backend = backend
        self.emulator = emulator
        self.scheduler = scheduler
        self.settle = settle
        self.reported = reported
        self.devices = [
            d for d in emulator.description.devices if d.kind in HOUSE_KINDS
        ]
        self._outputs: dict[tuple[str, int], tuple[str, int]] = {}
        self._serials: dict[str, str] = {}
        for device in self.devices:
            self._serials[device.serial] = self._backend_serial(device)
            for output in device.outputs:
                self._outputs[device.serial, output.number] = self._backend_output(
                    device, output.name
                )
        self._truths: dict[tuple[str, int], tuple[str, int]] = {
            seen: truth for truth, seen in self._outputs.items()
        }
        self._device_of = {seen: truth for truth, seen in self._serials.items()}
        last: dict[tuple[EventKind, str, int], float | None] = {}
        for device in self.devices:
            state = emulator.state(device.serial)
            for number, zone in enumerate(state.zones, 1):
                last[EventKind.LEVEL, device.serial, number] = zone.level
                last[EventKind.TILT, device.serial, number] = zone.tilt
        # Each side's last level and tilt of each output, to tell a change from a repeat.
        self._last = (last, dict(last))
        self.truth: list[Event] = []
        self.seen: list[Event] = []
        emulator.events.subscribe(self._record_truth)
        backend.subscribe(self._record_seen)

    def _backend_serial(self, device: DeviceDescription) -> str:
        known = {d.serial: d for d in self.backend.description.devices}
        if device.serial in known:
            return device.serial
        if device.kind is DeviceKind.TIMECLOCK:
            return next(
                (
                    d.serial
                    for d in known.values()
                    if d.kind is DeviceKind.TIMECLOCK and d.name == device.name
                ),
                "",  # a protocol without timeclocks (LIP)
            )
        return ""  # shown only through its outputs, in its area's group

    def _backend_output(self, device: DeviceDescription, name: str) -> tuple[str, int]:
        for candidate in self.backend.description.devices:
            if candidate.serial == device.serial or (
                candidate.kind is DeviceKind.AREA_GROUP
                and candidate.area == device.area
            ):
                for output in candidate.outputs:
                    if output.name == name:
                        return candidate.serial, output.number
        raise AssertionError(f"{device.name}'s {name} is not in the backend")

    def where(self, serial: str, output: int = 1) -> tuple[str, int]:
        """Return (backend serial, output number) of the emulator's output `output` of `serial`."""
        return self._outputs[serial, output]

    def serial(self, serial: str) -> str:
        """Return the backend's serial of a keypad, sensor or timeclock."""
        return self._serials[serial]

    def supports(self, capability: Capability) -> bool:
        """Whether the backend can tell or do this."""
        return capability in self.backend.capabilities

    def _record_truth(self, event: Event) -> None:
        if event.kind not in self.reported or event.serial not in self._serials:
            return
        if self._changed(0, event):
            self.truth.append(event)

    def _changed(self, side: int, event: Event) -> bool:
        if event.kind not in REPORTED_IF_CHANGED:
            return True
        last = self._last[side]
        key = (event.kind, str(event.serial), int(event.zone or 0))
        if last.get(key) == event.value:
            return False
        last[key] = event.value
        return True

    def _record_seen(self, event: Event) -> None:
        if event.kind not in self.reported:
            return
        if event.kind in REPORTED_IF_CHANGED:
            found = self._truths.get((str(event.serial), int(event.zone or 0)))
            if found is None:  # a switching module's zone in an area group
                return
            serial, zone = found
            seen = Event(event.kind, serial, zone, event.value)
            if self._changed(1, seen):
                self.seen.append(seen)
            return
        if (device := self._device_of.get(str(event.serial))) is not None:
            self.seen.append(Event(event.kind, device, event.zone, event.value))

    def seen_state(self, device: DeviceDescription) -> tuple[object, ...]:
        """Return what the backend shows of one of the emulator's devices, as `true_state` shows the emulator's."""
        levels = []
        for output in device.outputs:
            serial, number = self.where(device.serial, output.number)
            zone = self.backend.device_state(serial).zones[number - 1]
            levels.append((zone.level, zone.on, self._tilt(zone.tilt)))
        if not self.serial(device.serial):
            return (levels, {}, None, None)
        state = self.backend.device_state(self.serial(device.serial))
        return (
            levels,
            state.indicators,
            state.occupied,
            state.timeclock_enabled if self.supports(Capability.TIMECLOCK) else None,
        )

    def true_state(self, device: DeviceDescription) -> tuple[object, ...]:
        """Return what the emulator holds of one device, as far as the backend's protocol tells it."""
        state = self.emulator.state(device.serial)
        levels = [(z.level, z.on, self._tilt(z.tilt)) for z in state.zones]
        return (
            levels,
            state.indicators,
            state.occupied,
            state.timeclock_enabled if self.supports(Capability.TIMECLOCK) else None,
        )

    def _tilt(self, tilt: float | None) -> float | None:
        return tilt if EventKind.TILT in self.reported else None

    async def check(self) -> None:
        """Let the backend hear every change, then compare every device's state and the events; forget them."""
        await self.settle()
        for device in self.devices:
            assert self.seen_state(device) == self.true_state(device), device.name
        assert Counter(self.seen) == Counter(self.truth)
        self.truth.clear()
        self.seen.clear()

    async def advance(self, seconds: float) -> None:
        """Let `seconds` pass on the emulator's clock, then check."""
        self.scheduler.advance(seconds)
        await self.check()

    def button_events(self, keypad: str) -> list[tuple[int | None, object]]:
        """Return the button events the backend published for `keypad` since the last check: (button, action)."""
        return [
            (e.zone, e.value)
            for e in self.seen
            if e.kind is EventKind.BUTTON and e.serial == keypad
        ]


@pytest.fixture(params=HOUSE_BACKENDS)
async def house(request: pytest.FixtureRequest) -> AsyncGenerator[House]:
    """Each backend in turn, started on the emulated whole house."""
    scheduler = ManualScheduler()
    emulator = Emulator(house_description(), scheduler=scheduler)
    try:
        async with started_backend(request, emulator) as (backend, settle, _):
            protocol = str(request.param).split("-")[0]
            house = House(backend, emulator, scheduler, settle, HOUSE_EVENTS[protocol])
            await house.check()
            yield house
    finally:
        emulator.close()


async def test_house_described_LP24_LP30_LP34_LP36_LP41_LP43_LP45(house: House) -> None:
    """Every device of the house is in the backend: outputs with their control types, buttons, LEDs, sensors."""
    truth = house.emulator.description
    for device in house.devices:
        for output in device.outputs:
            serial, number = house.where(device.serial, output.number)
            seen = house.backend.description.device(serial).output(number)
            assert (seen.name, seen.control_type) == (
                output.name,
                output.control_type,
            )
    for device in (d for d in house.devices if d.kind is DeviceKind.KEYPAD):
        keypad = house.backend.description.device(house.serial(device.serial))
        assert [b.number for b in keypad.buttons] == [b.number for b in device.buttons]
        assert [i.number for i in keypad.indicators] == [
            i.number for i in device.indicators
        ]
    sensors = [d for d in house.devices if d.kind is DeviceKind.OCCUPANCY_SENSOR]
    for sensor in sensors:
        assert house.backend.description.device(house.serial(sensor.serial)).kind is (
            DeviceKind.OCCUPANCY_SENSOR
        )
    clocks = [d for d in truth.devices if d.kind is DeviceKind.TIMECLOCK]
    assert [house.serial(c.serial) != "" for c in clocks] == [
        house.supports(Capability.TIMECLOCK)
    ] * len(clocks)


async def test_dimmed_level_with_fade_LP25_LP26_LP27(house: House) -> None:
    """A level with or without a fade is reported at once as the target (LP27); 0 is off."""
    serial, output = house.where(DIMMER, 1)
    await house.backend.async_set_level(serial, output, 40, fade_seconds=2)
    assert house.backend.device_state(serial).zones[output - 1].level == 40
    assert house.emulator.state(DIMMER).zones[0].level == 40
    await house.check()
    await house.backend.async_set_level(serial, output, 75)
    await house.advance(1.0)  # the default fade (LP26) ends: nothing more is reported
    await house.backend.async_set_level(serial, output, 0, fade_seconds=0)
    assert not house.backend.device_state(serial).zones[output - 1].on
    await house.check()
    with pytest.raises(ValueError, match="fade"):
        await house.backend.async_set_level(serial, output, 50, fade_seconds=-1)


async def test_dimmed_raise_and_lower_ramp_LP27(house: House) -> None:
    """Raise ramps the full range in 5 s until Stop, reported when it stops; Lower likewise down to off."""
    serial, output = house.where(DIMMER, 3)
    await house.backend.async_move_shade(serial, output, ShadeMove.RAISE)
    await house.advance(1.0)
    await house.backend.async_move_shade(serial, output, ShadeMove.STOP)
    await house.check()
    assert house.emulator.state(DIMMER).zones[2].level == 20
    await house.backend.async_move_shade(serial, output, ShadeMove.LOWER)
    await house.advance(2.0)  # the end stop: off
    assert not house.emulator.state(DIMMER).zones[2].on
    await house.backend.async_move_shade(serial, output, ShadeMove.STOP)
    await house.check()


async def test_shade_level_tilt_and_stop_LP31_LP32_LP33(house: House) -> None:
    """Open and close as levels, a move stopped on the way, tilt where the backend carries it."""
    serial, output = house.where(SHADE)
    await house.backend.async_set_level(serial, output, 100)  # open, as a level (LP32)
    await house.check()
    await house.backend.async_move_shade(serial, output, ShadeMove.LOWER)
    assert house.emulator.shade_moving(SHADE, 1)
    await house.advance(4.0)  # 20 s for the full range (LP33)
    await house.backend.async_move_shade(serial, output, ShadeMove.STOP)
    await house.check()
    assert house.emulator.state(SHADE).zones[0].level == 80
    assert not house.emulator.shade_moving(SHADE, 1)
    await house.backend.async_set_level(serial, output, 0)  # close
    await house.check()
    tilt_serial, tilt_output = house.where(TILT_SHADE)
    if EventKind.TILT in house.reported:
        await house.backend.async_set_tilt(tilt_serial, tilt_output, 25)
        assert house.emulator.state(TILT_SHADE).zones[0].tilt == 25
    else:
        with pytest.raises(NotSupportedError, match="tilt"):
            await house.backend.async_set_tilt(tilt_serial, tilt_output, 25)
        assert house.emulator.state(TILT_SHADE).zones[0].tilt == 0
    await house.check()


async def test_shade_moved_by_hand_LP30(house: House) -> None:
    """A shade or dimmed zone moved at the device reaches the backend."""
    house.emulator.simulate(SHADE, Fault.MANUAL_LEVEL, 30.0)
    house.emulator.simulate(DIMMER, Fault.MANUAL_LEVEL, 60.0, output=4)
    await house.check()
    assert house.emulator.state(SHADE).zones[0].level == 30


async def test_keypad_tap_runs_its_programming_LP38_LP39_LP40_LP42(
    house: House,
) -> None:
    """A tap from the backend: Press then Release on its bus, the scene's levels, the button's LED on."""
    keypad = house.serial(KEYPAD)
    await house.backend.async_press_keypad_button(keypad, SCENE)
    await house.settle()
    assert house.button_events(KEYPAD) == [
        (SCENE, ButtonAction.PRESS),
        (SCENE, ButtonAction.RELEASE),
    ]
    assert house.emulator.state(DIMMER).zones[0].level == 75
    assert house.backend.device_state(keypad).indicators[SCENE] is LedState.ON
    await house.check()
    await house.backend.async_press_keypad_button(keypad, TOGGLE)
    await house.check()
    await house.backend.async_press_keypad_button(keypad, TOGGLE)  # and off again
    await house.check()
    assert house.emulator.state(DIMMER).zones[1].level == 0


async def test_keypad_hold_and_double_tap_LP39_LP40(house: House) -> None:
    """A hold gives LongHold after 2 s and Release when let go; a second tap soon after is a MultiTap."""
    keypad = house.serial(KEYPAD)
    await house.backend.async_press_keypad_button(keypad, RAISE, Gesture.HOLD)
    await house.settle()
    assert house.button_events(KEYPAD) == [(RAISE, ButtonAction.PRESS)]
    house.scheduler.advance(2.0)
    await house.settle()
    assert house.button_events(KEYPAD)[-1] == (RAISE, ButtonAction.LONG_PRESS)
    await house.backend.async_press_keypad_button(keypad, RAISE, Gesture.RELEASE)
    await house.settle()
    assert house.button_events(KEYPAD)[-1] == (RAISE, ButtonAction.RELEASE)
    await house.check()
    await house.backend.async_press_keypad_button(keypad, BARE, Gesture.DOUBLE_TAP)
    await house.settle()
    assert house.button_events(KEYPAD) == [
        (BARE, ButtonAction.PRESS),
        (BARE, ButtonAction.RELEASE),
        (BARE, ButtonAction.MULTI_TAP),
        (BARE, ButtonAction.RELEASE),
    ]
    await house.check()


async def test_a_persons_press_reaches_the_backend_LP38(house: House) -> None:
    """A person's tap at the keypad reaches the backend's event bus, with what it set."""
    house.emulator.press(HALL_KEYPAD, 1, Gesture.TAP)
    await house.settle()
    assert house.button_events(HALL_KEYPAD) == [
        (1, ButtonAction.PRESS),
        (1, ButtonAction.RELEASE),
    ]
    await house.check()
    assert house.emulator.state(DIMMER).zones[3].level == 20


async def test_led_set_and_its_event_LP41_LP42(house: House) -> None:
    """An LED set from the backend is shown at once and published as an INDICATOR event."""
    keypad = house.serial(KEYPAD)
    await house.backend.async_set_indicator(keypad, BARE, True)
    assert house.backend.device_state(keypad).indicators[BARE] is LedState.ON
    assert house.emulator.state(KEYPAD).indicators[BARE] is LedState.ON
    await house.settle()
    assert Event(EventKind.INDICATOR, KEYPAD, BARE, LedState.ON) in house.seen
    await house.check()
    await house.backend.async_set_indicator(keypad, BARE, False)
    await house.check()
    assert house.emulator.state(KEYPAD).indicators[BARE] is LedState.OFF


async def test_occupancy_LP43_LP44(house: House) -> None:
    """A person entering and leaving a room (the emulator's simulation): every sensor of the area follows."""
    house.emulator.simulate(SENSOR_1, Fault.OCCUPANCY, True)
    await house.settle()
    assert house.backend.device_state(house.serial(SENSOR_2)).occupied is True
    assert house.backend.device_state(house.serial(SENSOR_3)).occupied is False
    await house.check()
    house.emulator.simulate(SENSOR_1, Fault.OCCUPANCY, False)
    await house.check()
    assert house.backend.device_state(house.serial(SENSOR_1)).occupied is False


async def test_timeclock_enable_LP45_LP46(house: House) -> None:
    """A timeclock disabled and enabled from the backend; a backend without timeclocks says so."""
    if not house.supports(Capability.TIMECLOCK):
        assert house.backend.unsupported_reason(Capability.TIMECLOCK)
        with pytest.raises(NotSupportedError, match="timeclock"):
            await house.backend.async_set_timeclock(TIMECLOCK, False)
        assert house.emulator.state(TIMECLOCK).timeclock_enabled is True
        return
    clock = house.serial(TIMECLOCK)
    await house.backend.async_set_timeclock(clock, False)
    assert house.backend.device_state(clock).timeclock_enabled is False
    await house.check()
    assert house.emulator.state(TIMECLOCK).timeclock_enabled is False
    house.emulator.set_timeclock(TIMECLOCK, True)
    await house.check()


async def test_house_capabilities(house: House) -> None:
    """Each backend says what it carries of the house; a capability it has is a command it takes."""
    for capability in (
        Capability.LEVELS,
        Capability.KEYPAD,
        Capability.INDICATORS,
        Capability.OCCUPANCY,
    ):
        assert house.supports(capability), capability
    assert house.supports(Capability.TIMECLOCK) is (
        EventKind.TIMECLOCK in house.reported
    )
    assert house.supports(Capability.SIMULATION) is house.backend.supports_simulation


async def test_timeclock_runs_only_when_enabled_LP46(house: House) -> None:
    """A fixed-time event sets its targets on processor time, and every backend follows; disabled, it runs nothing."""
    dimmer, output = house.where(DIMMER, 1)
    monday = dt.datetime(2026, 12, 7, 7, 29, 59, tzinfo=dt.UTC)
    house.emulator.set_processor_time(monday)
    await house.advance(2.0)  # "Morning", 07:30 on weekdays
    assert house.backend.device_state(dimmer).zones[output - 1].level == 100
    if house.supports(Capability.TIMECLOCK):
        await house.backend.async_set_timeclock(house.serial(TIMECLOCK), False)
    else:  # disabled at the processor
        house.emulator.set_timeclock(TIMECLOCK, False)
    await house.backend.async_set_level(dimmer, output, 0)
    house.emulator.set_processor_time(monday + dt.timedelta(days=1))
    await house.advance(2.0)
    assert house.backend.device_state(dimmer).zones[output - 1].level == 0
