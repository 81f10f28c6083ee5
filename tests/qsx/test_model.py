"""The model's one index of a system (L3): modules by serial and integration id, outputs by theirs, CCI groups."""

from __future__ import annotations

from dataclasses import replace

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


def test_p4_a_project_with_two_processors_finds_each_processor_links_and_devices(
    emulator: Emulator,
) -> None:
    """P4, LP53: one id space; a link and a device name their processor's serial, the first where they name none."""
    description = emulator.description
    first = description.processor
    module = description.devices[0]
    second = replace(first, serial="7E57AB12", integration_id=2, name="Pool house")
    remote_link = replace(description.links[0], processor="7e57ab12")
    remote_module = replace(
        module, serial="00FF0001", integration_id=9001, processor="7E57AB12"
    )
    project = replace(
        description,
        other_processors=(second,),
        links=(*description.links, remote_link),
        devices=(*description.devices, remote_module),
    )
    assert project.processors == (first, second)
    assert project.processor_by_serial("7e57ab12") is second
    assert project.processor_of(module) is first
    assert project.processor_of(remote_module) is second
    assert project.links_of(second.serial) == (remote_link,)
    assert project.links_of(first.serial) == description.links
    assert project.devices_of(second.serial) == (remote_module,)
    assert remote_module not in project.devices_of(first.serial)
    assert project.integration_id_info(2) == (IntegrationIdKind.DEVICE, "7E57AB12")
    with pytest.raises(UnknownObjectError, match="No processor has serial 12345678"):
        project.processor_by_serial("12345678")
