"""The model's one index of a system (L3): modules by serial and integration id, outputs by theirs, CCI groups."""

from __future__ import annotations

import pytest

from custom_components.homeworks_qsx.qsx.const import IntegrationIdKind
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.model import OutputRef, SystemDescription

from .conftest import A1, module_at


def test_l3_look_ups(emulator: Emulator) -> None:
    """L3: modules are found by serial, by (link, address) and by integration id; outputs by theirs."""
    description = emulator.description
    module = description.device(A1)
    assert module_at(description, 1, 1) == module
    assert description.device_by_integration_id(module.integration_id) == module
    assert description.output_by_integration_id(
        module.zones[2].integration_id
    ) == OutputRef(module, 3)
    cco = description.output_by_integration_id(module.cco.integration_id)
    assert cco == OutputRef(module, None)
    assert cco.serial == A1
    assert description.output(module.cco.integration_id) == cco
    assert description.output(9999) is None
    assert description.integration_id_info(module.integration_id) == (
        IntegrationIdKind.DEVICE,
        A1,
    )
    assert description.integration_id_info(module.zones[0].integration_id) == (
        IntegrationIdKind.OUTPUT,
        A1,
    )
    assert description.integration_id_info(module.cco.integration_id) == (
        IntegrationIdKind.OUTPUT,
        A1,
    )
    processor = description.processor
    assert description.integration_id_info(processor.integration_id) == (
        IntegrationIdKind.DEVICE,
        processor.serial,
    )


@pytest.mark.parametrize(
    "look_up",
    [
        lambda d: d.device("12345678"),
        lambda d: d.device_by_integration_id(11),
        lambda d: d.device_by_integration_id(9999),
        lambda d: d.output_by_integration_id(10),
        lambda d: d.integration_id_info(9999),
    ],
)
def test_l3_unknown_ids(emulator: Emulator, look_up: object) -> None:
    """Unknown serials and ids, or ids of the wrong kind, raise `UnknownObjectError` (a `KeyError` too)."""
    with pytest.raises(UnknownObjectError):
        look_up(emulator.description)  # type: ignore[operator]


def test_cci_groups(small_description: SystemDescription) -> None:
    """C7: a group lists its modules' serials in description order; an unknown group has none."""
    grouped = [m for m in small_description.modules if m.cci_group is not None]
    assert grouped
    name = grouped[0].cci_group
    assert name is not None
    assert small_description.cci_group(name) == tuple(
        m.serial for m in grouped if m.cci_group == name
    )
    assert small_description.cci_group("no such group") == ()
