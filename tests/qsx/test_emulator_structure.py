"""Adding, removing and changing modules while running; limits leave the system unchanged (P2, P3, M2–M4, C7)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    MAX_CCI_GROUP_SIZE,
    CcoType,
    ProcessorModel,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    new_module,
    parse_description,
)
from custom_components.homeworks_qsx.qsx.errors import (
    DescriptionError,
    LimitError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.model import OutputRef, ZoneDescription

from .conftest import A1, A2, A3, B1, EventLog, module_at


def test_emulator_validates_its_description(emulator: Emulator) -> None:
    """An invalid hand-built description is refused at construction."""
    bad = replace(
        emulator.description,
        devices=(*emulator.description.devices, emulator.module(A1)),
    )
    with pytest.raises(DescriptionError, match="already used"):
        Emulator(bad, scheduler=ManualScheduler())


def test_description_is_kept_in_link_address_order(scheduler: ManualScheduler) -> None:
    """Modules given in any order are held in link/address order."""
    description = parse_description({"modules": [{"address": 5}, {"address": 2}]})
    shuffled = replace(description, devices=tuple(reversed(description.modules)))
    emulator = Emulator(shuffled, scheduler=scheduler)
    assert [m.address for m in emulator.description.modules] == [2, 5]


def test_add_module(emulator: Emulator, log: EventLog) -> None:
    """A new module appears in the description, the indexes and the events, in factory state."""
    module = new_module(emulator.description, 2, name="Attic")
    emulator.add_module(module)
    assert module in emulator.description.modules
    assert (
        emulator.description.device_by_integration_id(module.integration_id) == module
    )
    assert emulator.description.output_by_integration_id(
        module.cco.integration_id
    ) == OutputRef(module, None)
    assert module_at(emulator.description, 2, module.address) == module
    assert emulator.state(module.serial).powered
    assert log.events == [Event(EventKind.DEVICE_ADDED, module.serial, None, module)]
    assert emulator.set_zone(module.serial, 1, True) is None


def test_p3_adding_beyond_link_capacity_is_refused() -> None:
    """P3, M2: the 13th module on an MDU link (52 zones > 50) is refused with `LimitError`; nothing changes."""
    emulator = Emulator(
        build_description([12], model=ProcessorModel.HQP7_MDU_1),
        scheduler=ManualScheduler(),
    )
    before = emulator.description
    log = EventLog()
    emulator.events.subscribe(log)
    module = new_module(before, 1)
    with pytest.raises(LimitError, match=r"52 zones.*\(P3, M2\)"):
        emulator.add_module(module)
    assert emulator.description == before
    assert log.events == []
    with pytest.raises(UnknownObjectError):
        emulator.state(module.serial)


def test_p3_full_qs_link_refuses_a_new_module() -> None:
    """P3: a QS link with 99 modules has no room (the processor is the 100th device)."""
    emulator = Emulator(build_description([99, 0]), scheduler=ManualScheduler())
    with pytest.raises(LimitError, match=r"\(P3\)"):
        new_module(emulator.description, 1)
    emulator.add_module(new_module(emulator.description, 2))
    assert len(emulator.description.modules) == 100


def test_p2_module_refused_on_clear_connect_link(scheduler: ManualScheduler) -> None:
    """P2: a switching module is a QS wired device; a Clear Connect Type A link refuses it."""
    description = parse_description(
        {"links": [{"number": 1}, {"number": 2, "type": "clear_connect_a"}]}
    )
    emulator = Emulator(description, scheduler=scheduler)
    with pytest.raises(DescriptionError, match=r"\(P2\)"):
        emulator.add_module(new_module(description, 2))
    assert emulator.description.modules == ()


def test_c7_33rd_module_in_a_group_is_refused(scheduler: ManualScheduler) -> None:
    """C7: a 33rd module on one CCI group is refused with `LimitError`."""
    description = parse_description(
        {"modules": [{"cci_group": "fire"}] * MAX_CCI_GROUP_SIZE}
    )
    emulator = Emulator(description, scheduler=scheduler)
    with pytest.raises(LimitError, match=r"\(C7\)"):
        emulator.add_module(new_module(description, 1, cci_group="fire"))
    emulator.add_module(new_module(description, 1, cci_group="other"))
    assert len(emulator.description.modules) == MAX_CCI_GROUP_SIZE + 1


def test_m3_m4_load_limits_when_adding(emulator: Emulator) -> None:
    """M3, M4: a module whose loads exceed its rating, or push its feed over 16 A, is refused."""
    over = new_module(emulator.description, 1)
    zones = tuple(
        replace(zone, amps=8.0 if zone.number < 3 else 0.5) for zone in over.zones
    )
    with pytest.raises(LimitError, match=r"\(M3\)"):
        emulator.add_module(over.with_outputs(zones=zones))
    heavy = tuple(
        replace(zone, amps=2.0) for zone in over.zones
    )  # 8 A more on panel-a (12 A already)
    with pytest.raises(LimitError, match=r"\(M4\)"):
        emulator.add_module(replace(over, feed="panel-a").with_outputs(zones=heavy))
    assert over.serial not in {module.serial for module in emulator.description.modules}


def test_add_module_errors(emulator: Emulator) -> None:
    """Duplicate serials, addresses and integration ids are refused; nothing changes."""
    before = emulator.description
    with pytest.raises(DescriptionError, match="already used"):
        emulator.add_module(emulator.module(A1))
    fresh = new_module(before, 1)
    with pytest.raises(DescriptionError, match="address"):
        emulator.add_module(replace(fresh, address=1))
    with pytest.raises(DescriptionError, match="integration id"):
        emulator.add_module(
            replace(fresh, integration_id=emulator.module(A1).integration_id)
        )
    assert emulator.description == before


def test_remove_module(
    emulator: Emulator, scheduler: ManualScheduler, log: EventLog
) -> None:
    """A removed module disappears from everything; its pulse is cancelled."""
    module = emulator.module(A1)
    emulator.pulse_cco(A1)
    log.clear()
    emulator.remove_module(A1)
    assert scheduler.pending == 0
    assert A1 not in {m.serial for m in emulator.description.modules}
    assert log.events == [Event(EventKind.DEVICE_REMOVED, A1, None, module)]
    with pytest.raises(UnknownObjectError):
        emulator.description.device_by_integration_id(module.integration_id)
    with pytest.raises(UnknownObjectError):
        emulator.remove_module(A1)
    emulator.set_cci(A2, True)  # the group now holds A2 only
    assert emulator.state(A2).override_active


def test_update_module_keeps_state(emulator: Emulator, log: EventLog) -> None:
    """New settings apply, the state is kept, and MODULE_CHANGED is published (once, for a real change)."""
    emulator.set_zone(A3, 1, True)
    module = emulator.module(A3)
    renamed = replace(module, name="Garage").with_outputs(
        zones=(
            ZoneDescription(1, module.zones[0].integration_id, "Door", amps=3.0),
            *module.zones[1:],
        ),
        cco=replace(module.cco, cco_type=CcoType.MOMENTARY),
    )
    log.clear()
    emulator.update_module(renamed)
    emulator.update_module(renamed)
    assert log.events == [Event(EventKind.DEVICE_CHANGED, A3, None, renamed)]
    assert emulator.module(A3).name == "Garage"
    assert emulator.state(A3).zones[0].on
    emulator.set_cco(A3, True)  # now momentary: a pulse
    assert emulator.diagnostics()["pulses_in_progress"] == 1


def test_update_module_errors(emulator: Emulator) -> None:
    """Unknown serials and invalid settings are refused; nothing changes."""
    before = emulator.description
    with pytest.raises(UnknownObjectError):
        emulator.update_module(replace(emulator.module(A1), serial="DEADBEEF"))
    with pytest.raises(DescriptionError, match="address"):
        emulator.update_module(
            replace(emulator.module(A1), address=emulator.module(A2).address)
        )
    big = Emulator(
        parse_description(
            {"modules": [{"cci_group": "g"}] * MAX_CCI_GROUP_SIZE + [{}]}
        ),
        scheduler=ManualScheduler(),
    )
    last = replace(big.description.modules[-1], cci_group="g")
    with pytest.raises(LimitError, match=r"\(C7\)"):
        big.update_module(last)
    assert emulator.description == before


def test_moving_a_module(emulator: Emulator) -> None:
    """A module may move to another address or link; look-ups follow it."""
    module = emulator.module(B1)
    moved = replace(module, link=1, address=50)
    emulator.update_module(moved)
    assert module_at(emulator.description, 1, 50) == moved
    assert module_at(emulator.description, 2, module.address) is None
    assert (
        emulator.description.modules[-1] == moved
    )  # link 1, address 50 comes after A3 (address 3)
    assert [m.serial for m in emulator.description.modules] == [A1, A2, A3, B1]
