"""The processor: several per project, diagnostics facts, no secrets in the model (P4, P6, P7)."""

from __future__ import annotations

import json

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import ProcessorModel, processor_facts
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import build_description

from .conftest import A1, A2, A3, B1


def test_p4_several_processors_are_independent() -> None:
    """P4: a project may have several processors; each has its own description, identity and state."""
    clock = ManualScheduler()
    first = Emulator(build_description([2], name="Main house"), scheduler=clock)
    second = Emulator(build_description([2], name="Guest house"), scheduler=clock)
    assert first.description.processor.serial != second.description.processor.serial
    assert first.description.guid != second.description.guid
    serial = first.description.modules[0].serial
    first.set_zone(serial, 1, True)
    other = second.description.modules[0].serial
    assert not second.state(other).zones[0].on
    assert {m.serial for m in first.description.modules}.isdisjoint(
        {m.serial for m in second.description.modules}
    )


def test_p6_processor_facts_in_diagnostics(emulator: Emulator) -> None:
    """P6: supply, link power, consumption, heat and environment are reported as diagnostic facts.

    The expected values are the figures of P6 themselves, not the library's constants.
    """
    facts = emulator.diagnostics()["processor"]
    assert facts["model"] == "HQP7-2"
    assert facts["links"] == 2
    assert facts["supply_volts"] == [24.0, 36.0]
    assert facts["supply_current_a"] == 0.25
    assert facts["link_supply_current_a"] == 2.0
    assert facts["typical_power_w"] == 4.2
    assert facts["power_draw_units"] == 8
    assert (facts["heat_typical_btu_hr"], facts["heat_max_btu_hr"]) == (15.0, 24.0)
    assert facts["operating_temperature_c"] == [0.0, 40.0]
    assert facts["operating_humidity_percent"] == [0.0, 90.0]
    single = Emulator(build_description([1], model=ProcessorModel.HQP7_MDU_1))
    assert single.diagnostics()["processor"]["links"] == 1
    assert processor_facts(ProcessorModel.HQP7_MDU_1)["links"] == 1


def test_p5_timeclock_facts() -> None:
    """P5: the timeclock keeps 10 years without power and drifts at most a minute a year."""
    facts = processor_facts(ProcessorModel.HQP7_1)
    assert facts["timeclock_retention_years"] == 10
    assert facts["timeclock_drift_seconds_per_year"] == 60.0


def test_p7_no_credentials_in_the_model(emulator: Emulator) -> None:
    """P7: access control lives in the network server; descriptions, exports and diagnostics hold no secrets."""
    text = json.dumps([emulator.export_state(), emulator.diagnostics()]).lower()
    for secret in ("password", "username", "login", "token", "key"):
        assert secret not in text


def test_diagnostics_counts(emulator: Emulator) -> None:
    """Diagnostics count modules, zones on, overrides and faults, and sum the load current."""
    emulator.set_zone(A3, 1, True)
    emulator.set_cci(A1, True)  # A1: zones 1 and 4 on (2 off, 3 unchanged); A2: all on
    emulator.set_link(B1, False)
    emulator.set_power(A2, False)  # A2's zones are off without power
    diagnostics = emulator.diagnostics()
    assert diagnostics["modules"] == 4
    assert diagnostics["zones_on"] == 1 + 2
    assert diagnostics["overrides_active"] == 2
    assert diagnostics["modules_without_power"] == 1
    assert diagnostics["modules_without_link"] == 1
    assert diagnostics["modules_in_bypass"] == 0
    assert diagnostics["load_current_a"] == 8.0 + 4.0 + 0.5
    assert [link["number"] for link in diagnostics["links"]] == [1, 2]
