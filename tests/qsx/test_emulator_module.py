"""A switching module in normal operation: zones, relay counters, buttons, LEDs, current (M1–M3, M5, M6, M8, M9)."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    ZONES_PER_MODULE,
    Button,
    LedState,
    OperatingMode,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, A2, A3, B1, EventLog, zone_levels


def test_c1_factory_state(emulator: Emulator) -> None:
    """C1: a new module has its CCI closed (factory jumper); it is powered, linked, zones off, Prog LED on."""
    state = emulator.state(A1)
    assert not state.cci_open
    assert not state.override_active
    assert state.powered
    assert state.link_up
    assert not state.bypass
    assert [zone.on for zone in state.zones] == [False] * ZONES_PER_MODULE
    assert [zone.relay_operations for zone in state.zones] == [0] * ZONES_PER_MODULE
    assert state.zone_leds == [LedState.OFF] * ZONES_PER_MODULE
    assert state.prog_led is LedState.ON
    assert state.mode is OperatingMode.NORMAL
    assert state.ignored_reason is None


def test_m1_zones_switch_on_and_off(emulator: Emulator, log: EventLog) -> None:
    """M1: each of the four zones switches on and off; the command is obeyed (returns None)."""
    for zone in range(1, 5):
        assert emulator.set_zone(A2, zone, True) is None
        assert emulator.state(A2).zones[zone - 1].on
    assert zone_levels(emulator, A2) == (True, True, True, True)
    assert emulator.set_zone(A2, 3, False) is None
    assert [zone.on for zone in emulator.state(A2).zones] == [True, True, False, True]
    assert len(log.of(EventKind.ZONE)) == 5


@pytest.mark.parametrize("zone", [0, 5, True, "1"])
def test_m1_only_four_zones(emulator: Emulator, zone: object) -> None:
    """M1: a module has zones 1..4; any other zone is an `UnknownObjectError` and changes nothing."""
    with pytest.raises(UnknownObjectError, match="no zone"):
        emulator.set_zone(A1, zone, True)  # type: ignore[arg-type]
    assert zone_levels(emulator, A1) == (False,) * 4


def test_unknown_module(emulator: Emulator) -> None:
    """Commands to an unknown serial raise `UnknownObjectError`; serials are matched in any case."""
    with pytest.raises(UnknownObjectError, match="FFFFFFFF"):
        emulator.set_zone("FFFFFFFF", 1, True)
    with pytest.raises(UnknownObjectError):
        emulator.state("nope")
    emulator.set_zone(A1.lower(), 1, True)
    assert emulator.state(A1).zones[0].on


def test_m5_relay_counter_counts_each_switching(
    emulator: Emulator, log: EventLog
) -> None:
    """M5: each real switching of a relay counts once; a command to the current level does not."""
    emulator.set_zone(A1, 1, True)
    emulator.set_zone(A1, 1, True)
    emulator.set_zone(A1, 1, False)
    emulator.set_zone(A1, 2, True)
    counts = [zone.relay_operations for zone in emulator.state(A1).zones]
    assert counts == [2, 1, 0, 0]
    assert [(e.zone, e.value) for e in log.of(EventKind.RELAY_COUNT)] == [
        (1, 1),
        (1, 2),
        (2, 1),
    ]


def test_m5_relay_counter_survives_power_loss(emulator: Emulator) -> None:
    """M5: counters are kept through an outage (and the outage itself moves no relay)."""
    emulator.set_zone(A1, 1, True)
    emulator.set_power(A1, False)
    assert emulator.state(A1).zones[0].relay_operations == 1
    emulator.set_power(A1, True)
    assert emulator.state(A1).zones[0].relay_operations == 1


def test_m6_m3_load_current(emulator: Emulator) -> None:
    """M6: a zone that is off draws nothing; M3: the module draws the sum of the zones that are on."""
    module = emulator.module(A1)
    state = emulator.state(A1)
    assert state.load_current(module) == 0.0
    emulator.set_zone(A1, 1, True)  # 480 W at 120 V
    assert state.load_current(module) == pytest.approx(4.0)
    emulator.set_zone(A1, 3, True)
    assert state.load_current(module) == pytest.approx(6.0)
    for zone in range(1, 5):
        emulator.set_zone(A3, zone, True)
    assert (
        emulator.state(A3).load_current(emulator.module(A3)) == 16.0
    )  # at the module rating


def test_m8_zone_buttons_toggle(emulator: Emulator, log: EventLog) -> None:
    """M8: a zone button toggles its zone; the press is published before the change it causes."""
    assert emulator.press_button(A1, Button.ZONE_2) is None
    assert emulator.state(A1).zones[1].on
    assert log.events[0] == Event(EventKind.BUTTON, A1, 2, None)
    assert log.events[1] == Event(EventKind.ZONE, A1, 2, True)
    assert emulator.press_button(A1, Button.ZONE_2) is None
    assert not emulator.state(A1).zones[1].on


def test_m8_prog_button(emulator: Emulator) -> None:
    """M8 (our choice): Prog turns all zones off if any is on, otherwise all on."""
    emulator.press_button(A2, Button.PROG)
    assert zone_levels(emulator, A2) == (True,) * 4
    emulator.set_zone(A2, 1, False)
    emulator.press_button(A2, Button.PROG)  # three on: all off
    assert zone_levels(emulator, A2) == (False,) * 4
    emulator.set_zone(A2, 4, True)
    emulator.press_button(A2, 5)  # type: ignore[arg-type]  # plain numbers work too
    assert zone_levels(emulator, A2) == (False,) * 4


def test_m8_unknown_button(emulator: Emulator) -> None:
    """Buttons are 1..5; anything else is a `ValueError`."""
    with pytest.raises(ValueError, match="6"):
        emulator.press_button(A1, 6)  # type: ignore[arg-type]


def test_m9_zone_leds_follow_zones(emulator: Emulator, log: EventLog) -> None:
    """M9: a zone LED is off while its zone is off and steady on while it is on."""
    emulator.set_zone(A1, 4, True)
    assert emulator.state(A1).zone_leds == [
        LedState.OFF,
        LedState.OFF,
        LedState.OFF,
        LedState.ON,
    ]
    assert log.of(EventKind.LED) == [Event(EventKind.LED, A1, 4, LedState.ON)]
    emulator.set_zone(A1, 4, False)
    assert emulator.state(A1).zone_leds[3] is LedState.OFF


def test_events_only_for_real_changes(emulator: Emulator, log: EventLog) -> None:
    """Commands and conditions that change nothing publish nothing."""
    emulator.set_zone(A1, 1, False)
    emulator.set_power(A1, True)
    emulator.set_link(A1, True)
    emulator.set_bypass(A1, False)
    emulator.set_cci(A1, False)
    emulator.set_program_mode(A1, False)
    emulator.set_temperature(A1, 25.0)
    emulator.set_cco(A3, False)
    assert log.events == []


def test_event_order_of_one_command(emulator: Emulator, log: EventLog) -> None:
    """A zone change publishes the zone, then its relay counter, then its LED."""
    emulator.set_zone(B1, 1, True)
    assert log.kinds() == [EventKind.ZONE, EventKind.RELAY_COUNT, EventKind.LED]
    assert all(event.serial == B1 for event in log.events)


def test_events_name_their_module(emulator: Emulator) -> None:
    """Each event carries the serial of the module it concerns."""
    seen: list[Event] = []
    emulator.events.subscribe(seen.append)
    emulator.set_zone(A1, 1, True)
    emulator.set_zone(A2, 1, True)
    assert [event.serial for event in seen] == [A1] * 3 + [A2] * 3


def test_device_integration_id(emulator: Emulator) -> None:
    """The processor and each module are found by serial (in any case) for their DEVICE integration id."""
    processor = emulator.description.processor
    assert (
        emulator.device_integration_id(processor.serial.lower())
        == processor.integration_id
    )
    assert emulator.device_integration_id(A1) == emulator.module(A1).integration_id


@pytest.mark.parametrize(
    "look_up",
    [
        lambda e: e.device_integration_id("12345678"),
    ],
)
def test_l3_unknown_ids(emulator: Emulator, look_up: object) -> None:
    """Unknown serials raise `UnknownObjectError`."""
    with pytest.raises(UnknownObjectError):
        look_up(emulator)  # type: ignore[operator]


def test_failing_subscriber_does_not_stop_delivery(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A subscriber that raises is logged; the others still receive every event, in order."""

    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    received: list[Event] = []
    emulator.events.subscribe(broken)
    emulator.events.subscribe(received.append)
    emulator.set_zone(A1, 1, True)
    assert [event.kind for event in received] == [
        EventKind.ZONE,
        EventKind.RELAY_COUNT,
        EventKind.LED,
    ]
    assert "subscriber bug" in caplog.text


def test_unsubscribing_is_idempotent(emulator: Emulator) -> None:
    """Unsubscribing stops delivery; doing it twice is harmless and leaves other subscribers subscribed."""
    first: list[Event] = []
    second: list[Event] = []
    unsubscribe_first = emulator.events.subscribe(first.append)
    unsubscribe_second = emulator.events.subscribe(second.append)
    unsubscribe_first()
    unsubscribe_first()
    emulator.set_zone(A1, 1, True)
    assert (len(first), len(second)) == (0, 3)
    unsubscribe_second()
    unsubscribe_second()
    emulator.set_zone(A1, 1, False)
    assert len(second) == 3
