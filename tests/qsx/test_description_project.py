"""Descriptions of a project with several processors (P4, LP53): the file format, defaults, limits and round trips.

Rules: P1 (link numbers per processor model), P3 (limits per link of each processor), P4 (a project has several
processors), L3 (one id space: serials and integration ids unique across the project), LP53 (one project, one id
space, commands for a zone on another processor's link).
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.const import (
    LinkType,
    ProcessorModel,
    link_limits,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    build_project,
    description_to_dict,
    load_description,
    new_module,
    parse_description,
    save_description,
    validate_description,
)
from custom_components.homeworks_qsx.qsx.errors import DescriptionError, LimitError
from custom_components.homeworks_qsx.qsx.model import (
    DeviceKind,
    ProcessorDescription,
    SystemDescription,
)

from .projects import (
    processor_name,
    processor_serial,
    project_data,
    project_description,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "project.yaml"
HOUSE = ROOT / "examples" / "house.yaml"
MAIN, POOL = "4D41494E", "504F4F4C"
SERIAL = re.compile(r"^[0-9A-F]{8}$")


def _error(data: dict[str, Any]) -> DescriptionError:
    with pytest.raises(DescriptionError) as info:
        parse_description(data)
    return info.value


def _two(**second: Any) -> dict[str, Any]:
    """Two processors: an HQP7-2 "Main" and a second one (HQP7-1 "Pool" unless told), a module on each."""
    return {
        "processors": [
            {"serial": MAIN, "name": "Main", "links": [{"number": 1, "modules": 1}]},
            {"serial": POOL, "name": "Pool", "model": "HQP7-1", **second},
        ],
        "modules": [{"processor": "Pool"}],
    }


def _kinds(description: SystemDescription, serial: str) -> set[DeviceKind]:
    return {device.kind for device in description.devices_of(serial)}


# ---------------------------------------------------------------------------------------------------------------
# The example project and the form of the file


def test_p4_lp53_example_project_has_two_processors_with_every_kind_on_each() -> None:
    """P4: examples/project.yaml is a main house and a pool house processor, each with a few devices of every kind."""
    description = load_description(PROJECT)
    assert [(p.serial, p.name, p.model) for p in description.processors] == [
        (MAIN, "Main house", ProcessorModel.HQP7_2),
        (POOL, "Pool house", ProcessorModel.HQP7_1),
    ]
    assert description.processor.serial == MAIN
    assert [p.integration_id for p in description.processors] == [1, 2]
    assert [(link.number, link.link_type) for link in description.links_of(MAIN)] == [
        (1, LinkType.QS),
        (2, LinkType.CLEAR_CONNECT_A),
    ]
    assert [(link.number, link.link_type) for link in description.links_of(POOL)] == [
        (1, LinkType.QS)
    ]
    every_kind = {
        DeviceKind.SWITCHING_MODULE,
        DeviceKind.DIMMING_MODULE,
        DeviceKind.SHADE,
        DeviceKind.KEYPAD,
        DeviceKind.OCCUPANCY_SENSOR,
        DeviceKind.TIMECLOCK,
    }
    assert _kinds(description, MAIN) == every_kind
    assert _kinds(description, POOL) == every_kind
    assert len(description.devices_of(MAIN)) + len(description.devices_of(POOL)) == len(
        description.devices
    )
    # Both processors have a module at link 1, address 1: addresses are per processor's link.
    at_1_1 = [m for m in description.modules if (m.link, m.address) == (1, 1)]
    assert [description.processor_of(m).serial for m in at_1_1] == [MAIN, POOL]
    # A device of the first processor names none (None: the first); the others name their serial.
    assert {d.processor for d in description.devices_of(MAIN)} == {None}
    assert {d.processor for d in description.devices_of(POOL)} == {POOL}
    assert {link.processor for link in description.links_of(POOL)} == {POOL}
    # LP53: a pool house keypad drives zones on the main house's link, in one id space.
    garage = next(d for d in description.devices if d.name == "Garage keypad")
    house_off = garage.input(3).programming
    assert house_off is not None
    targets = [description.output_by_integration_id(i) for i, _ in house_off.targets]
    assert {description.processor_of(ref.device).serial for ref in targets} == {MAIN}


def test_p4_single_processor_form_loads_unchanged() -> None:
    """The single `processor:` + `links:` form is one processor; `processors:` with that one gives the same."""
    house = load_description(HOUSE)
    assert house.other_processors == ()
    assert {d.processor for d in house.devices} == {None}
    assert {link.processor for link in house.links} == {None}
    old = house_data = description_to_dict(house)
    assert "processors" not in house_data
    assert parse_description(old) == house
    as_list = {
        key: value for key, value in old.items() if key not in ("processor", "links")
    }
    as_list["processors"] = [{**old["processor"], "links": old["links"]}]
    assert parse_description(as_list) == house


def test_p4_one_processor_list_takes_the_single_form_defaults() -> None:
    """Defaults of a one-processor list are those of the single form: serial, name, integration id, module names."""
    single = parse_description({"links": [{"number": 1, "modules": 2}]})
    listed = parse_description(
        {"processors": [{"links": [{"number": 1, "modules": 2}]}]}
    )
    assert listed == single
    assert single.processor.name == "HomeWorks QSX processor"


def test_p4_devices_name_their_processor_by_serial_or_name() -> None:
    """A device names its processor by serial (any case) or by name (any case); it defaults to the first."""
    data = _two()
    data["keypads"] = [
        {"processor": POOL.lower()},
        {"processor": "pOOL", "link": 1},
        {"processor": MAIN},
        {},
    ]
    data["timeclocks"] = [{"processor": "Pool"}, {}]
    description = parse_description(data)
    keypads = [d for d in description.devices if d.kind is DeviceKind.KEYPAD]
    assert [k.processor for k in keypads] == [POOL, POOL, None, None]
    clocks = [d for d in description.devices if d.kind is DeviceKind.TIMECLOCK]
    assert [c.processor for c in clocks] == [POOL, None]
    # A virtual device's id names its own processor.
    assert clocks[0].serial.startswith(f"{POOL}-timeclock-")
    assert clocks[1].serial.startswith(f"{MAIN}-timeclock-")


@pytest.mark.parametrize(
    ("place", "path"),
    [
        ({"modules": [{"processor": "Garage"}]}, "modules[0].processor"),
        ({"keypads": [{}, {"processor": "0000000F"}]}, "keypads[1].processor"),
        ({"shades": [{"processor": "Nowhere"}]}, "shades[0].processor"),
        (
            {"occupancy_sensors": [{"area": "Hall", "processor": "x"}]},
            "occupancy_sensors[0].processor",
        ),
        ({"timeclocks": [{"processor": "Main house"}]}, "timeclocks[0].processor"),
    ],
)
def test_p4_a_device_naming_an_unknown_processor_is_an_error_with_its_path(
    place: dict[str, Any], path: str
) -> None:
    """A device naming no processor of the project: an error at its `processor` key that lists the processors."""
    data = _two()
    data.update(place)
    error = _error(data)
    assert error.path == path
    assert "no processor of the project" in error.message
    assert f"{MAIN} (Main)" in error.message
    assert f"{POOL} (Pool)" in error.message


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"processor": {}, "processors": [{}]},
            "processor",
            "not both",
        ),
        ({"links": 1, "processors": [{}]}, "links", "each with its own links"),
        ({"processors": []}, "processors", "at least one processor"),
        (
            {
                "processors": [
                    {"links": [{"number": 1, "modules": [{"processor": "P2"}]}]},
                    {"name": "P2"},
                ]
            },
            "processors[0].links[0].modules[0].processor",
            "listed under a link of processors[0]",
        ),
        (
            {"processors": [{"name": "House"}, {"name": "house"}]},
            "processors[1].name",
            "already used by processors[0]",
        ),
        (
            {"processors": [{"serial": MAIN}, {"serial": MAIN.lower()}]},
            "processors[1].serial",
            f"serial {MAIN} is already used by processors[0].serial",
        ),
        (
            {"processors": [{"integration_id": 5}, {"integration_id": 5}]},
            "processors[1].integration_id",
            "integration id 5 is already used by processors[0].integration_id",
        ),
        (
            {
                "processors": [
                    {},
                    {"links": [{"number": 1, "modules": [{"serial": MAIN}]}]},
                    {"serial": MAIN},
                ]
            },
            "processors[1].links[0].modules[0].serial",
            "already used by processors[2].serial",
        ),
        (
            {"processors": [{}, {"serial": POOL}], "keypads": [{"serial": POOL}]},
            "keypads[0].serial",
            "already used by processors[1].serial",
        ),
        (
            {
                "processors": [{}, {"integration_id": 30}],
                "modules": [{"integration_id": 30}],
            },
            "modules[0].integration_id",
            "integration id 30 is already used by processors[1].integration_id",
        ),
        (
            {"processors": [{}, {"unknown": 1}]},
            "processors[1].unknown",
            "not a valid option",
        ),
    ],
)
def test_l3_processors_form_errors_name_the_path(
    data: dict[str, Any], path: str, message: str
) -> None:
    """L3: serials, integration ids and names are unique across the project's processors; errors name the place."""
    error = _error(data)
    assert error.path == path
    assert message in error.message


# ---------------------------------------------------------------------------------------------------------------
# P1 and P3 per processor


def test_p1_link_numbers_follow_each_processor_model() -> None:
    """P1: an HQP7-1 beside an HQP7-2 has one link; its link 2 does not exist, for links and for devices."""
    error = _error(_two(links=[{"number": 2}]))
    assert error.path == "processors[1].links[0].number"
    assert "a HQP7-1 processor has 1 link(s) (P1)" in error.message
    data = _two()
    data["modules"] = [{"processor": "Pool", "link": 2}]
    error = _error(data)
    assert error.path == "modules[0].link"
    assert "link 2 does not exist on processor 'Pool' (a HQP7-1) (P1)" in error.message
    data = _two()
    data["keypads"] = [{"processor": "Pool", "link": 2}]
    error = _error(data)
    assert error.path == "keypads[0].link"
    assert "processor 'Pool' (a HQP7-1)" in error.message
    # The same link 2 is fine on the HQP7-2.
    data = _two()
    data["modules"] = [{"link": 2}, {"processor": "Pool", "link": 1}]
    description = parse_description(data)
    assert [link.number for link in description.links_of(MAIN)] == [1, 2]
    assert [link.number for link in description.links_of(POOL)] == [1]


def test_p3_limits_count_per_link_of_each_processor() -> None:
    """P3: each processor's link 1 holds 99 devices; two full links 1 on two processors are a valid project."""
    max_devices, _ = link_limits(ProcessorModel.HQP7_2, LinkType.QS)
    project = build_project([[max_devices], [max_devices]])
    assert len(project.devices_of(project.processor.serial)) == max_devices
    assert len(project.devices_of(project.other_processors[0].serial)) == max_devices
    data = {
        "processors": [{"links": [{"number": 1, "modules": 1}]}, {"name": "Second"}],
        "modules": [{"processor": "Second"}] * (max_devices + 1),
    }
    error = _error(data)
    assert error.path == f"modules[{max_devices}]"
    assert (
        f"link 1 has no free address left: a link holds at most {max_devices} devices (P3)"
        in error.message
    )


def test_p3_a_full_link_on_the_second_processor_is_refused_with_its_path() -> None:
    """P3: the 100th device on the second processor's link 1 is refused (the first processor's link stays free)."""
    max_devices, _ = link_limits(ProcessorModel.HQP7_2, LinkType.QS)
    project = build_project([[1], [max_devices]], serials=[MAIN, POOL])
    extra = replace(
        project.modules[-1],
        serial="0000ABCD",
        integration_id=9000,
        address=1,
        outputs=tuple(
            replace(output, integration_id=9001 + index)
            for index, output in enumerate(project.modules[-1].outputs)
        ),
    )
    crowded = replace(project, devices=(*project.devices, extra))
    with pytest.raises(DescriptionError, match="already used"):
        validate_description(crowded)
    # Hand-built: a 100th address is impossible, so count with an MDU second processor (P3: 50 devices).
    mdu_devices, _ = link_limits(ProcessorModel.HQP7_MDU_1, LinkType.QS)
    data = {
        "processors": [
            {"links": [{"number": 1, "modules": mdu_devices + 1}]},
            {
                "name": "Flat",
                "model": "HQP7-MDU-1",
                "links": [{"number": 1, "modules": mdu_devices + 1}],
            },
        ]
    }
    with pytest.raises(LimitError) as info:
        parse_description(data)
    assert info.value.path == f"processors[1].links[0].modules[{mdu_devices}]"
    assert f"holds at most {mdu_devices} (P3)" in info.value.message
    assert "(Flat)" in info.value.message


def test_p3_zone_limits_count_per_processor_link() -> None:
    """P3, M2: the MDU zone limit counts the zones of one processor's link, not the project's."""
    _, mdu_zones = link_limits(ProcessorModel.HQP7_MDU_1, LinkType.QS)
    per_module = 4
    fits = mdu_zones // per_module
    data: dict[str, Any] = {
        "processors": [
            {"model": "HQP7-MDU-1", "links": [{"number": 1, "modules": fits}]},
            {
                "name": "Second",
                "model": "HQP7-MDU-1",
                "links": [{"number": 1, "modules": fits}],
            },
        ]
    }
    description = parse_description(data)
    assert len(description.modules) == 2 * fits
    data["processors"][1]["links"][0]["modules"] = fits + 1
    with pytest.raises(LimitError) as info:
        parse_description(data)
    assert info.value.path == f"processors[1].links[0].modules[{fits}]"
    assert "(P3, M2)" in info.value.message


# ---------------------------------------------------------------------------------------------------------------
# Defaults across processors


def test_l3_defaults_stay_unique_across_processors() -> None:
    """L3: default serials, integration ids and names never repeat across processors; addresses restart on each."""
    project = build_project([[3, 1], [2], [4, 2]])
    assert len(project.processors) == 3
    serials = [p.serial for p in project.processors] + [
        d.serial for d in project.devices
    ]
    assert all(SERIAL.match(serial) for serial in serials)
    assert len(set(serials)) == len(serials)
    ids = [p.integration_id for p in project.processors]
    assert ids == [1, 2, 3]
    for device in project.devices:
        ids.extend([device.integration_id, *(o.integration_id for o in device.outputs)])
    assert len(set(ids)) == len(ids)
    names = [d.name for d in project.devices]
    assert len(set(names)) == len(names)
    assert [p.name for p in project.processors] == [
        "HomeWorks QSX processor",
        "HomeWorks QSX processor 2",
        "HomeWorks QSX processor 3",
    ]
    second = project.other_processors[0].serial
    assert [(m.link, m.address, m.name) for m in project.devices_of(second)] == [
        (1, 1, "Module 1.1 (processor 2)"),
        (1, 2, "Module 1.2 (processor 2)"),
    ]
    # Deterministic: the same project twice is the same description.
    assert build_project([[3, 1], [2], [4, 2]]) == project
    # A default serial steps around a serial written for another processor.
    taken = project.other_processors[0].serial
    stepped = parse_description({"processors": [{"serial": taken}, {}]})
    assert stepped.other_processors[0].serial not in (taken, "")
    assert SERIAL.match(stepped.other_processors[0].serial)


def test_l3_default_processor_ids_step_around_written_ids() -> None:
    """L3: the second processor's default id steps around ids written for devices; the first keeps 1."""
    description = parse_description(
        {
            "processors": [{}, {}, {"integration_id": 3}],
            "occupancy_sensors": [{"area": "Hall", "integration_id": 2}],
            "keypads": [
                {"type": "homeowner", "processor": "HomeWorks QSX processor 2"}
            ],
        }
    )
    assert [p.integration_id for p in description.processors] == [1, 4, 3]
    homeowner = next(d for d in description.devices if d.kind is DeviceKind.KEYPAD)
    assert homeowner.processor == description.processors[1].serial
    assert homeowner.name == "Homeowner keypad (processor 2)"


def test_lp53_three_processor_helper_project() -> None:
    """LP53: the tests' three-processor project: every kind on each processor, a keypad driving another's zone."""
    description = project_description(3)
    assert [p.serial for p in description.processors] == [
        processor_serial(n) for n in (1, 2, 3)
    ]
    assert [p.name for p in description.processors] == [
        processor_name(n) for n in (1, 2, 3)
    ]
    for processor in description.processors:
        assert _kinds(description, processor.serial) == {
            DeviceKind.SWITCHING_MODULE,
            DeviceKind.DIMMING_MODULE,
            DeviceKind.SHADE,
            DeviceKind.KEYPAD,
            DeviceKind.OCCUPANCY_SENSOR,
        }
    keypad = next(
        d
        for d in description.devices_of(processor_serial(3))
        if d.kind is DeviceKind.KEYPAD
    )
    programming = keypad.input(2).programming
    assert programming is not None
    ref = description.output_by_integration_id(programming.targets[0][0])
    assert description.processor_of(ref.device) is description.processor
    validate_description(description)
    assert len(project_data(4)["processors"]) == 4


# ---------------------------------------------------------------------------------------------------------------
# Round trips: plain data, files, the emulator's export


def test_lp53_project_round_trips_through_dict_json_and_yaml(tmp_path: Path) -> None:
    """A project is written under `processors:` and reads back equal, as data, JSON and YAML."""
    description = load_description(PROJECT)
    data = description_to_dict(description)
    assert "processor" not in data and "links" not in data
    assert [p["serial"] for p in data["processors"]] == [MAIN, POOL]
    assert [len(p["links"]) for p in data["processors"]] == [2, 1]
    assert {m.get("processor") for m in data["modules"]} == {None, POOL}
    assert parse_description(json.loads(json.dumps(data))) == description
    for name in ("project.yaml", "project.json"):
        save_description(description, tmp_path / name)
        assert load_description(tmp_path / name) == description
    three = project_description(3)
    assert parse_description(description_to_dict(three)) == three


def test_lp53_emulator_export_keeps_every_processor() -> None:
    """The emulator's export holds the whole project and restores it with every processor, link and device."""
    description = project_description(3)
    emulator = Emulator(description, scheduler=ManualScheduler())
    data = json.loads(json.dumps(emulator.export_state()))
    assert [p["serial"] for p in data["description"]["processors"]] == [
        processor_serial(n) for n in (1, 2, 3)
    ]
    clone = Emulator.from_export(data, scheduler=ManualScheduler())
    assert clone.description == emulator.description
    assert clone.description.processors == description.processors
    assert set(clone.description.links) == set(description.links)
    assert set(clone.description.devices) == set(description.devices)
    assert clone.export_state() == emulator.export_state()


# ---------------------------------------------------------------------------------------------------------------
# Hand-built projects and new modules


def test_p4_validate_hand_built_projects() -> None:
    """Hand-built projects: links and devices naming an unknown processor, a link twice on one processor."""
    single = build_description([2])
    second = ProcessorDescription(
        serial=POOL, model=ProcessorModel.HQP7_1, integration_id=2
    )
    project = replace(
        single,
        other_processors=(second,),
        links=(*single.links, replace(single.links[0], processor=POOL)),
    )
    validate_description(project)
    moved = replace(project.modules[1], processor=POOL, address=1)
    validate_description(replace(project, devices=(project.modules[0], moved)))
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(project, devices=(replace(moved, processor="0000FFFF"),))
        )
    assert info.value.path == "modules[0].processor"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(
                project,
                links=(*project.links, replace(single.links[0], processor="0000FFFF")),
            )
        )
    assert info.value.path == "links[3].processor"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(project, links=(*project.links, project.links[-1]))
        )
    assert info.value.path == "links[3].number"
    assert "link 1 of processor" in info.value.message
    with pytest.raises(DescriptionError) as info:
        validate_description(replace(project, devices=(replace(moved, link=2),)))
    assert info.value.path == "modules[0].link"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(
                project,
                other_processors=(replace(second, serial=single.processor.serial),),
            )
        )
    assert info.value.path == "processors[1].serial"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(project, other_processors=(replace(second, integration_id=1),))
        )
    assert info.value.path == "processors[1].integration_id"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(project, other_processors=(replace(second, integration_id=0),))
        )
    assert info.value.path == "processors[1].integration_id"
    with pytest.raises(DescriptionError) as info:
        validate_description(
            replace(project, other_processors=(replace(second, serial="pool"),))
        )
    assert info.value.path == "processors[1].serial"


def test_p4_new_module_on_another_processor() -> None:
    """A new module for the second processor: its lowest free address there, fresh ids and serial, its processor."""
    description = load_description(PROJECT)
    module = new_module(description, 1, processor="Pool house")
    assert module.processor == POOL
    assert module.address == 7  # addresses 1..6 of the pool house's link 1 are taken
    assert module.name == "Module 1.7 (processor 2)"
    used = {p.integration_id for p in description.processors}
    for device in description.devices:
        used.update(
            [device.integration_id, *(o.integration_id for o in device.outputs)]
        )
    assert module.integration_id not in used
    assert module.serial not in {d.serial for d in description.devices}
    validate_description(replace(description, devices=(*description.devices, module)))
    main = new_module(description, 1)
    assert main.processor is None
    assert main.address == 7
    with pytest.raises(DescriptionError) as info:
        new_module(description, 2, processor=POOL)
    assert info.value.path == "module.link"
    assert "processor 'Pool house' (a HQP7-1) (P1)" in info.value.message
    with pytest.raises(DescriptionError) as info:
        new_module(description, 1, processor="Shed")
    assert info.value.path == "module.processor"
    with pytest.raises(DescriptionError, match="already used"):
        new_module(description, 1, processor=POOL, serial=POOL)
    with pytest.raises(DescriptionError, match="already used"):
        new_module(description, 1, processor=POOL, address=1)


def test_build_project_serials() -> None:
    """`build_project` takes the processors' serials, one per processor."""
    project = build_project(
        [[1], [1]], serials=[MAIN, POOL], model=ProcessorModel.HQP7_1
    )
    assert [p.serial for p in project.processors] == [MAIN, POOL]
    assert {p.model for p in project.processors} == {ProcessorModel.HQP7_1}
    with pytest.raises(DescriptionError) as info:
        build_project([[1], [1]], serials=[MAIN])
    assert info.value.path == "processors"
