"""Manual override through the contact closure input (C1–C8)."""

from __future__ import annotations

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    MAX_CCI_GROUP_SIZE,
    Button,
    IgnoredReason,
    LedState,
    OperatingMode,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, A2, A3, B1, EventLog, zone_levels


def test_c2_cci_open_enters_override_with_override_levels(
    emulator: Emulator, log: EventLog
) -> None:
    """C2: opening the CCI enters manual override; zones go to their levels (on, off, unchanged)."""
    emulator.set_zone(A1, 2, True)  # override level off
    emulator.set_zone(A1, 3, True)  # override level unchanged: stays on
    log.clear()
    emulator.set_cci(A3, True)  # A3 has no group and only default (on) override levels
    state = emulator.state(A3)
    assert state.cci_open
    assert state.override_active
    assert state.mode is OperatingMode.MANUAL_OVERRIDE
    assert [zone.on for zone in state.zones] == [True] * 4
    emulator.set_cci(A1, True)
    assert zone_levels(emulator, A1) == (True, False, True, True)
    emulator.set_cci(A1, False)
    emulator.set_zone(A1, 3, False)
    emulator.set_cci(A1, True)
    assert zone_levels(emulator, A1) == (
        True,
        False,
        False,
        True,
    )  # unchanged stays off this time


def test_c2_events_in_order(emulator: Emulator, log: EventLog) -> None:
    """C2: the CCI change, then the override, then zones with counters, LEDs and the mode, in that order."""
    emulator.set_cci(A3, True)
    assert log.events[0] == Event(EventKind.CCI, A3, None, True)
    assert log.events[1] == Event(EventKind.OVERRIDE, A3, None, True)
    assert log.kinds()[2:10] == [EventKind.ZONE, EventKind.RELAY_COUNT] * 4
    assert log.events[-2] == Event(EventKind.LED, A3, None, LedState.RAPID_FLASH)
    assert log.events[-1] == Event(
        EventKind.MODE, A3, None, OperatingMode.MANUAL_OVERRIDE
    )


def test_c3_override_ignores_commands_and_buttons(
    emulator: Emulator, scheduler: ManualScheduler
) -> None:
    """C3: in override the module ignores zone commands, CCO commands, zone buttons and Prog."""
    emulator.set_cci(A3, True)
    before = zone_levels(emulator, A3)
    assert emulator.set_zone(A3, 1, False) is IgnoredReason.MANUAL_OVERRIDE
    assert emulator.press_button(A3, Button.ZONE_1) is IgnoredReason.MANUAL_OVERRIDE
    assert emulator.press_button(A3, Button.PROG) is IgnoredReason.MANUAL_OVERRIDE
    assert emulator.set_cco(A3, True) is IgnoredReason.MANUAL_OVERRIDE
    assert emulator.pulse_cco(A3, 1) is IgnoredReason.MANUAL_OVERRIDE
    assert zone_levels(emulator, A3) == before
    assert not emulator.state(A3).cco_closed
    assert emulator.state(A3).ignored_reason is IgnoredReason.MANUAL_OVERRIDE
    assert scheduler.pending == 0


def test_c4_other_modules_keep_obeying(emulator: Emulator) -> None:
    """C4: modules not in override keep obeying commands and their buttons while another is in override."""
    emulator.set_cci(A3, True)
    assert emulator.set_zone(B1, 1, True) is None
    assert emulator.press_button(B1, Button.ZONE_2) is None
    assert zone_levels(emulator, B1) == (True, True, False, False)


def test_c5_cci_closed_restores_levels_from_before_override(
    emulator: Emulator, log: EventLog
) -> None:
    """C5: closing the CCI returns each zone to its level from just before override; refused commands are not replayed."""
    emulator.set_zone(A3, 2, True)
    before = zone_levels(emulator, A3)
    emulator.set_cci(A3, True)
    emulator.set_zone(A3, 1, True)  # refused
    emulator.set_zone(A3, 4, False)  # refused
    log.clear()
    emulator.set_cci(A3, False)
    assert zone_levels(emulator, A3) == before
    assert not emulator.state(A3).override_active
    assert emulator.state(A3).prog_led is LedState.ON
    assert log.events[:2] == [
        Event(EventKind.CCI, A3, None, False),
        Event(EventKind.OVERRIDE, A3, None, False),
    ]
    assert emulator.set_zone(A3, 1, True) is None


def test_c6_cci_acts_locally(emulator: Emulator) -> None:
    """C6: a module's CCI (without a group) does not affect any other module."""
    emulator.set_cci(A3, True)
    for serial in (A1, A2, B1):
        assert not emulator.state(serial).cci_open
        assert not emulator.state(serial).override_active


def test_c7_group_enters_override_together(emulator: Emulator, log: EventLog) -> None:
    """C7: opening a group's shared contact puts every module of the group in override, module by module."""
    emulator.set_cci(A2, True)
    assert emulator.state(A1).override_active
    assert emulator.state(A2).override_active
    assert not emulator.state(A3).override_active
    overrides = log.of(EventKind.OVERRIDE)
    assert [event.serial for event in overrides] == [A1, A2]  # link/address order
    serials = [str(event.serial) for event in log.events]
    assert serials == sorted(serials)  # all of A1's events, then all of A2's
    emulator.set_cci(A1, False)
    assert not emulator.state(A2).override_active


def test_c7_burst_of_32_modules_in_order() -> None:
    """C7: a 32-module group switches 128 zones in one burst; every event arrives, in order."""
    description = parse_description(
        {"modules": [{"cci_group": "fire"}] * MAX_CCI_GROUP_SIZE}
    )
    emulator = Emulator(description, scheduler=ManualScheduler())
    log = EventLog()
    emulator.events.subscribe(log)
    serials = [module.serial for module in description.modules]
    emulator.set_cci(serials[5], True)
    zone_events = log.of(EventKind.ZONE)
    assert len(zone_events) == MAX_CCI_GROUP_SIZE * 4
    assert [(e.serial, e.zone) for e in zone_events] == [
        (s, z) for s in serials for z in range(1, 5)
    ]
    assert len(log.of(EventKind.OVERRIDE)) == MAX_CCI_GROUP_SIZE
    log.clear()
    emulator.set_cci(serials[0], False)
    assert [e.value for e in log.of(EventKind.ZONE)] == [False] * (
        MAX_CCI_GROUP_SIZE * 4
    )


def test_c8_prog_led_flashes_rapidly_while_cci_open(emulator: Emulator) -> None:
    """C8, M11: the Prog LED flashes rapidly while the CCI is open, even in program mode."""
    emulator.set_program_mode(A3, True)
    emulator.set_cci(A3, True)
    assert emulator.state(A3).prog_led is LedState.RAPID_FLASH
    emulator.set_cci(A3, False)
    assert emulator.state(A3).prog_led is LedState.FLASH


def test_cci_opened_without_power_enters_override_at_power_up(
    emulator: Emulator,
) -> None:
    """Our choice: a CCI opened during an outage puts the module in override when power returns."""
    emulator.set_zone(A3, 1, True)
    emulator.set_power(A3, False)
    emulator.set_cci(A3, True)
    assert not emulator.state(A3).override_active
    assert emulator.state(A3).prog_led is LedState.OFF
    emulator.set_power(A3, True)
    assert emulator.state(A3).override_active
    assert zone_levels(emulator, A3) == (True,) * 4
    emulator.set_cci(A3, False)
    assert zone_levels(emulator, A3) == (True, False, False, False)


def test_power_restored_during_override_keeps_override_levels(
    emulator: Emulator,
) -> None:
    """Our choice: an override continues through an outage; the levels of before it come back at its end."""
    emulator.set_zone(A1, 2, True)
    before = zone_levels(emulator, A1)
    emulator.set_cci(A1, True)
    override_levels = zone_levels(emulator, A1)
    emulator.set_power(A1, False)
    emulator.set_power(A1, True)
    assert emulator.state(A1).override_active
    assert zone_levels(emulator, A1) == override_levels
    emulator.set_cci(A1, False)
    assert zone_levels(emulator, A1) == before


def test_cci_closed_during_outage_ends_override_at_power_up(emulator: Emulator) -> None:
    """Our choice: an override whose CCI closed during the outage ends when power returns (C5 levels)."""
    before = zone_levels(emulator, A3)
    emulator.set_cci(A3, True)
    emulator.set_power(A3, False)
    emulator.set_cci(A3, False)
    assert emulator.state(A3).override_active  # the module has no power to notice
    emulator.set_power(A3, True)
    assert not emulator.state(A3).override_active
    assert zone_levels(emulator, A3) == before
