"""Physical conditions: power, QS link, bypass jumper, program mode, temperature (M7, M10–M13, L2)."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    HIGH_TEMPERATURE_C,
    MODULE_MAX_HEAT_BTU_HR,
    Button,
    Fault,
    IgnoredReason,
    LedState,
    OperatingMode,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.events import Event, EventKind

from .conftest import A1, A2, A3, B1, EventLog, zone_levels


def test_m7_power_failure_memory(emulator: Emulator, log: EventLog) -> None:
    """M7: without power zones are off and draw nothing; when power returns they go back to their levels."""
    emulator.set_zone(A1, 1, True)
    emulator.set_zone(A1, 4, True)
    log.clear()
    emulator.set_power(A1, False)
    state = emulator.state(A1)
    assert [zone.on for zone in state.zones] == [False] * 4
    assert state.load_current(emulator.module(A1)) == 0.0
    assert state.zone_leds == [LedState.OFF] * 4
    assert state.mode is OperatingMode.NO_POWER
    assert log.events[0] == Event(EventKind.POWER, A1, None, False)
    assert log.events[-1] == Event(EventKind.MODE, A1, None, OperatingMode.NO_POWER)
    emulator.set_power(A1, True)
    assert [zone.on for zone in state.zones] == [True, False, False, True]
    assert state.load_current(emulator.module(A1)) == pytest.approx(4.5)
    assert state.zone_leds == [LedState.ON, LedState.OFF, LedState.OFF, LedState.ON]


def test_m7_commands_ignored_without_power(emulator: Emulator) -> None:
    """M7: a module without power ignores commands and buttons (`NO_POWER`); nothing changes."""
    emulator.set_power(A2, False)
    assert emulator.set_zone(A2, 1, True) is IgnoredReason.NO_POWER
    assert emulator.press_button(A2, Button.PROG) is IgnoredReason.NO_POWER
    assert emulator.pulse_cco(A2) is IgnoredReason.NO_POWER
    emulator.set_power(A2, True)
    assert zone_levels(emulator, A2) == (False,) * 4


def test_m10_l2_link_loss(emulator: Emulator, log: EventLog) -> None:
    """M10, L2: without the QS link zones keep their state, zone LEDs scroll and processor commands are ignored."""
    emulator.set_zone(B1, 2, True)
    log.clear()
    emulator.set_link(B1, False)
    state = emulator.state(B1)
    assert not state.link_up
    assert [zone.on for zone in state.zones] == [False, True, False, False]
    assert state.zone_leds == [LedState.FLASH] * 4
    assert state.prog_led is LedState.ON
    assert state.mode is OperatingMode.NO_LINK
    assert log.events[0] == Event(EventKind.LINK, B1, None, False)
    assert emulator.set_zone(B1, 1, True) is IgnoredReason.NO_LINK
    assert emulator.set_cco(B1, True) is IgnoredReason.NO_LINK
    assert zone_levels(emulator, B1) == (False, True, False, False)


def test_l2_local_control_without_link(emulator: Emulator) -> None:
    """L2: buttons and the CCI still work without the link; LEDs keep scrolling."""
    emulator.set_link(B1, False)
    assert emulator.press_button(B1, Button.ZONE_1) is None
    assert emulator.state(B1).zones[0].on
    assert emulator.state(B1).zone_leds == [LedState.FLASH] * 4
    emulator.set_cci(B1, True)
    assert emulator.state(B1).override_active
    assert emulator.state(B1).ignored_reason is IgnoredReason.MANUAL_OVERRIDE
    emulator.set_cci(B1, False)
    emulator.set_link(B1, True)
    assert emulator.state(B1).zone_leds == [
        LedState.ON,
        LedState.OFF,
        LedState.OFF,
        LedState.OFF,
    ]
    assert emulator.set_zone(B1, 1, False) is None


def test_m11_prog_led_states(emulator: Emulator, log: EventLog) -> None:
    """M11: Prog LED steady on normally, flashing in program mode, rapid with the CCI open, off without power."""
    state = emulator.state(A3)
    assert state.prog_led is LedState.ON
    emulator.set_program_mode(A3, True)
    assert state.prog_led is LedState.FLASH
    assert state.mode is OperatingMode.PROGRAM
    assert emulator.set_zone(A3, 1, True) is None  # program mode still obeys
    assert log.of(EventKind.PROGRAM) == [Event(EventKind.PROGRAM, A3, None, True)]
    emulator.set_cci(A3, True)
    assert state.prog_led is LedState.RAPID_FLASH
    emulator.set_power(A3, False)
    assert state.prog_led is LedState.OFF
    emulator.set_power(A3, True)
    emulator.set_cci(A3, False)
    emulator.set_program_mode(A3, False)
    assert state.prog_led is LedState.ON
    assert state.mode is OperatingMode.NORMAL


def test_m12_high_temperature(emulator: Emulator, log: EventLog) -> None:
    """M12: the high-temperature flag is set from the 65 °C calibration point; heat is a diagnostic fact."""
    state = emulator.state(A1)
    emulator.set_temperature(A1, 64.9)
    assert state.high_temperature is False
    emulator.set_temperature(A1, HIGH_TEMPERATURE_C)
    assert state.high_temperature is True
    assert [e.value for e in log.of(EventKind.TEMPERATURE)] == [64.9, 65.0]
    assert emulator.diagnostics()["modules_high_temperature"] == 1
    assert emulator.diagnostics()["module"]["max_heat_btu_hr"] == MODULE_MAX_HEAT_BTU_HR
    emulator.set_temperature(A1, 30)
    assert state.high_temperature is False


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "hot"])
def test_m12_bad_temperature(emulator: Emulator, value: object) -> None:
    """M12: a temperature is a finite number; anything else is a `ValueError`."""
    with pytest.raises(ValueError, match="finite number"):
        emulator.set_temperature(A1, value)  # type: ignore[arg-type]


def test_m13_bypass_jumper(emulator: Emulator, log: EventLog) -> None:
    """M13: with the bypass jumper zones are reported on, draw full current and ignore commands; removing it restores."""
    emulator.set_zone(A1, 2, True)
    counts = [zone.relay_operations for zone in emulator.state(A1).zones]
    log.clear()
    emulator.set_bypass(A1, True)
    state = emulator.state(A1)
    assert state.bypass
    assert state.mode is OperatingMode.BYPASS
    assert [zone.on for zone in state.zones] == [True] * 4
    assert state.load_current(emulator.module(A1)) == pytest.approx(8.0)
    assert [zone.relay_operations for zone in state.zones] == counts  # no relay moved
    assert log.events[0] == Event(EventKind.BYPASS, A1, None, True)
    assert emulator.set_zone(A1, 2, False) is IgnoredReason.BYPASS
    assert emulator.press_button(A1, Button.ZONE_1) is IgnoredReason.BYPASS
    assert emulator.set_cco(A1, True) is IgnoredReason.BYPASS
    emulator.set_bypass(A1, False)
    assert [zone.on for zone in state.zones] == [False, True, False, False]


def test_m13_bypass_with_override(emulator: Emulator) -> None:
    """M13, C2: an override during bypass changes the module's levels, shown once the jumper is removed."""
    emulator.set_bypass(A3, True)
    emulator.set_cci(A3, True)
    assert emulator.state(A3).mode is OperatingMode.BYPASS
    emulator.set_bypass(A3, False)
    assert emulator.state(A3).mode is OperatingMode.MANUAL_OVERRIDE
    assert [zone.on for zone in emulator.state(A3).zones] == [True] * 4


def test_simulate_dispatches(emulator: Emulator) -> None:
    """`simulate` applies each fault through its setter."""
    emulator.simulate(A3, Fault.TEMPERATURE, 70)
    assert emulator.state(A3).temperature_c == 70.0
    emulator.simulate(A3, Fault.PROGRAM, True)
    assert emulator.state(A3).program_mode
    emulator.simulate(A3, Fault.LINK, False)
    assert not emulator.state(A3).link_up
    emulator.simulate(A3, "bypass", True)  # type: ignore[arg-type]
    assert emulator.state(A3).bypass
    emulator.simulate(A3, Fault.CCI, True)
    assert emulator.state(A3).cci_open
    emulator.simulate(A3, Fault.POWER, False)
    assert not emulator.state(A3).powered


@pytest.mark.parametrize(
    ("fault", "value", "error"),
    [
        (Fault.POWER, 1, TypeError),
        (Fault.CCI, "open", TypeError),
        ("smoke", True, ValueError),
    ],
)
def test_simulate_rejects_bad_values(
    emulator: Emulator, fault: Fault, value: object, error: type[Exception]
) -> None:
    """A fault value of the wrong kind, or an unknown fault, is refused and changes nothing."""
    with pytest.raises(error):
        emulator.simulate(A3, fault, value)  # type: ignore[arg-type]
    assert emulator.state(A3).powered
    assert not emulator.state(A3).cci_open
