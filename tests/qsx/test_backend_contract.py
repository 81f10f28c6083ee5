"""One interface, two backends: the integration cannot tell them apart.

The same behavioural tests run against an `EmulatedBackend`, a `LipBackend` connected over 127.0.0.1 to a
`LipServer`, and a `LeapBackend` connected to a `LeapServer` in both profiles (LP16: modules described in full, or
anonymous as on a real QSX, their zones then grouped by area) and in every push form (LP23: tagged collection
deltas, tagged object statuses, untagged object statuses), each serving an `Emulator`. Faults are injected
through the emulator.

What a live processor cannot tell (relay counts, temperature, the bypass jumper; over LEAP also the CCI, LEDs,
mode and buttons, LP17) is left out, as the backend's `capabilities` say; everything else, states and change events
alike, must be the same: the integration cannot tell the backends apart.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, replace

import aiohttp
import pytest

from custom_components.homeworks_qsx.qsx.backend import QsxBackend
from custom_components.homeworks_qsx.qsx.const import (
    Button,
    Fault,
    IgnoredReason,
    OperatingMode,
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
    DeviceKind,
    DeviceState,
    SystemDescription,
    ZoneState,
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


@pytest.fixture(
    params=[
        "emulated",
        "lip",
        "leap-full",
        "leap-anonymous",
        "leap-full-object",
        "leap-full-untagged",
        "leap-anonymous-untagged",
    ]
)
async def rig(request: pytest.FixtureRequest) -> AsyncGenerator[Rig]:
    """Each backend in turn, started, over the same system."""
    emulator = Emulator(system())
    emulator_events: list[Event] = []
    emulator.events.subscribe(emulator_events.append)
    if request.param.startswith("leap"):
        request.getfixturevalue("socket_enabled")
        credentials = LeapCredentials.generate()
        key, cert = credentials.issue_client()
        _, profile_name, *form = request.param.split("-")
        profile = Profile(profile_name)
        # LP23, LP57: the client is run against every push form (tagged collection deltas by default).
        push_form = PushForm(form[0]) if form else PushForm.COLLECTION
        leap_server = LeapServer(
            emulator,
            credentials,
            "127.0.0.1",
            0,
            profile=profile,
            push_form=push_form,
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
        await leap.async_start()
        leap_events: list[Event] = []
        leap.subscribe(leap_events.append)
        yield Rig(
            leap,
            emulator,
            leap.client.ping,
            emulator_events,
            leap_events,
            grouped=profile is Profile.ANONYMOUS,
        )
        await leap.async_stop()
        await leap_server.stop()
        emulator.close()
        return
    if request.param == "emulated":
        backend: QsxBackend = EmulatedBackend(emulator)
        await backend.async_start()
        backend_events: list[Event] = []
        backend.subscribe(backend_events.append)
        yield Rig(backend, emulator, _nothing, emulator_events, backend_events)
        await backend.async_stop()
        emulator.close()
        return
    request.getfixturevalue("socket_enabled")
    server = LipServer(emulator, "127.0.0.1", 0, USER, PASSWORD, http_port=0)
    await server.start()
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
        await lip.async_start()
        backend_events = []
        lip.subscribe(backend_events.append)
        yield Rig(lip, emulator, lip.client.ping, emulator_events, backend_events)
        await lip.async_stop()
    await server.stop()
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
