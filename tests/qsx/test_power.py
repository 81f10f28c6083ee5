"""Power of switching modules from their loads and state (M3, M6, M13), and the exact energy meter."""

from __future__ import annotations

from dataclasses import replace
import datetime as dt

import pytest

from custom_components.homeworks_qsx.qsx.emulator.description import build_description
from custom_components.homeworks_qsx.qsx.model import DeviceDescription, DeviceState
from custom_components.homeworks_qsx.qsx.power import (
    EnergyMeter,
    has_known_load,
    known_load,
    module_loads,
    module_power,
    zone_power,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _module(*amps: float) -> DeviceDescription:
    module = build_description([1, 0]).modules[0]
    return module.with_outputs(
        zones=tuple(
            replace(zone, amps=value)
            for zone, value in zip(module.zones, amps, strict=True)
        ),
    )


def test_loads_from_the_description_and_overrides() -> None:
    """M3: amps at 120 V give watts; 0 A is unknown; overrides complete and replace the description's."""
    module = _module(0.5, 0.0, 2.5, 1.0)
    assert module_loads(module) == (60.0, None, 300.0, 120.0)
    assert module_loads(module, {2: 75, 3: 0}) == (60.0, 75.0, None, 120.0)
    assert has_known_load((None, 1.0))
    assert not has_known_load((None, None, None, None))
    assert known_load(None) is None
    assert known_load(-5) is None


def test_power_follows_zones_power_and_bypass() -> None:
    """M6: an off zone draws nothing; no power, nothing; M13: with the bypass jumper, every known load."""
    loads = module_loads(_module(0.5, 0.0, 2.5, 1.0))
    state = DeviceState()
    assert module_power(state, loads) == 0.0
    state.zones[0].on = True
    state.zones[1].on = True  # unknown load: counts nothing
    assert module_power(state, loads) == 60.0
    assert zone_power(state, 2, loads[1]) == 0.0
    state.bypass = True
    assert module_power(state, loads) == 480.0
    state.powered = False
    assert module_power(state, loads) == 0.0
    assert zone_power(state, 1, loads[0]) == 0.0


def test_meter_integrates_steps_exactly() -> None:
    """60 W for one hour is 0.060 kWh; steps are counted at the time they happen."""
    meter = EnergyMeter()
    meter.set_power(T0, 60.0)
    assert meter.watts == 60.0
    meter.set_power(T0 + dt.timedelta(minutes=30), 120.0)
    assert meter.kwh(T0 + dt.timedelta(minutes=30)) == pytest.approx(0.030)
    assert meter.kwh(T0 + dt.timedelta(hours=1)) == pytest.approx(0.090)
    meter.set_power(T0 + dt.timedelta(hours=1), 0.0)
    assert meter.kwh(T0 + dt.timedelta(hours=5)) == pytest.approx(0.090)


def test_meter_counts_nothing_while_unknown() -> None:
    """A lost connection (unknown power) counts nothing; counting starts again when the power is known."""
    meter = EnergyMeter(1.0)
    meter.set_power(T0, 1000.0)
    lost = T0 + dt.timedelta(hours=1)
    meter.set_power(lost, None)
    assert meter.counted_until == lost
    assert meter.kwh(T0 + dt.timedelta(hours=3)) == pytest.approx(2.0)
    assert meter.counted_until == lost
    back = T0 + dt.timedelta(hours=3)
    meter.set_power(back, 1000.0)
    assert meter.kwh(back + dt.timedelta(hours=1)) == pytest.approx(3.0)


def test_meter_never_decreases() -> None:
    """A clock set back, a negative power or a damaged restored reading never lowers the reading."""
    assert EnergyMeter(-2.0).kwh(T0) == 0.0
    assert EnergyMeter(float("nan")).kwh(T0) == 0.0
    assert EnergyMeter(float("inf")).kwh(T0) == 0.0
    meter = EnergyMeter(0.5)
    meter.set_power(T0, 100.0)
    meter.set_power(T0 - dt.timedelta(hours=1), -50.0)
    assert meter.watts == 0.0
    assert meter.kwh(T0 - dt.timedelta(hours=2)) == 0.5
    meter.add(100.0, T0, T0 - dt.timedelta(hours=1))
    meter.add(-100.0, T0, T0 + dt.timedelta(hours=1))
    assert meter.kwh(T0) == 0.5
    meter.add(100.0, T0, T0 + dt.timedelta(hours=1))
    assert meter.kwh(T0) == pytest.approx(0.6)
