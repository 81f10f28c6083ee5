"""System descriptions: defaults, validation with paths, limits (P1–P3, M2–M4, C7, L1, L3) and round trips."""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import (
    MAX_CCI_GROUP_SIZE,
    CcoType,
    LinkType,
    LoadType,
    OverrideLevel,
    ProcessorModel,
    link_limits,
)
from custom_components.homeworks_qsx.qsx.emulator.description import (
    build_description,
    default_module_serial,
    derived_serial,
    description_to_dict,
    load_description,
    new_module,
    parse_description,
    save_description,
    validate_description,
)
from custom_components.homeworks_qsx.qsx.errors import DescriptionError, LimitError
from custom_components.homeworks_qsx.qsx.model import (
    CcoDescription,
    LinkDescription,
    SystemDescription,
    ZoneDescription,
)

ROOT = Path(__file__).resolve().parents[2]
HOUSE = ROOT / "examples" / "house.yaml"
SERIAL = re.compile(r"^[0-9A-F]{8}$")


def _error(data: dict[str, Any]) -> DescriptionError:
    with pytest.raises(DescriptionError) as info:
        parse_description(data)
    return info.value


# ---------------------------------------------------------------------------------------------------------------
# Defaults


def test_defaults_fill_a_minimal_description() -> None:
    """`links: [{number: 1, modules: 4}]` is a whole system; ids, names and serials follow the documented defaults."""
    description = parse_description({"links": [{"number": 1, "modules": 4}]})
    assert description.name == "HomeWorks QSX"
    assert description.processor.model is ProcessorModel.HQP7_2
    assert description.processor.integration_id == 1
    assert SERIAL.match(description.processor.serial)
    assert len(description.guid) > 10
    assert [link.number for link in description.links] == [
        1,
        2,
    ]  # every link of the model
    assert [(m.link, m.address) for m in description.modules] == [
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
    ]
    for n, module in enumerate(description.modules, start=1):
        assert module.integration_id == 10 * n
        assert [zone.integration_id for zone in module.zones] == [
            10 * n + z for z in range(1, 5)
        ]
        assert module.cco.integration_id == 10 * n + 5
        assert module.name == f"Module 1.{n}"
        assert module.area == module.name
        assert [zone.name for zone in module.zones] == [
            "Zone 1",
            "Zone 2",
            "Zone 3",
            "Zone 4",
        ]
        assert module.cco.name == "CCO"
        assert module.cco.cco_type is CcoType.MAINTAINED
        assert SERIAL.match(module.serial)
        assert all(zone.override_level is OverrideLevel.ON for zone in module.zones)
        assert all(zone.amps == 0.0 for zone in module.zones)


def test_defaults_are_deterministic() -> None:
    """The same description always gives the same serials and ids; serials derive from the processor serial."""
    first = build_description([3, 2], name="Villa")
    second = build_description([3, 2], name="Villa")
    assert first == second
    other = build_description([3, 2], name="Villa", processor_serial="12345678")
    assert other.processor.serial == "12345678"
    assert {m.serial for m in other.modules}.isdisjoint(
        {m.serial for m in first.modules}
    )
    assert (
        build_description([1], name="Cottage").processor.serial
        != first.processor.serial
    )


def test_default_serials_avoid_collisions() -> None:
    """A derived serial that is taken is derived again."""
    taken = {derived_serial("0A0B0C0D:1:1")}
    serial = default_module_serial("0A0B0C0D", 1, 1, taken)
    assert serial not in taken
    assert SERIAL.match(serial)


def test_modules_listed_under_links() -> None:
    """Modules may be listed under their link (the link is implied); an empty list is fine."""
    description = parse_description(
        {
            "links": [
                {"number": 1, "modules": []},
                {"number": 2, "modules": [{"address": 3}]},
            ]
        }
    )
    assert [(m.link, m.address) for m in description.modules] == [(2, 3)]


def test_model_helpers(small_description: SystemDescription) -> None:
    """`SystemDescription.module` finds a module by serial; `DeviceDescription.zone` a zone by number."""
    module = small_description.modules[1]
    assert small_description.device(module.serial) is module
    assert module.zone(3) is module.zones[2]
    with pytest.raises(KeyError):
        small_description.device("DEADBEEF")


def test_plain_counts() -> None:
    """`modules: 3` puts three default modules on link 1; `links: 1` still configures every link of the model."""
    description = parse_description({"modules": 3, "links": 1})
    assert [(m.link, m.address) for m in description.modules] == [
        (1, 1),
        (1, 2),
        (1, 3),
    ]
    assert len(description.links) == 2


def test_modules_across_links_get_ids_in_link_address_order() -> None:
    """The n-th module in link/address order gets device id 10*n, whatever order it was written in."""
    description = parse_description(
        {"modules": [{"link": 2, "address": 5}, {"address": 9}, {"address": 3}]}
    )
    assert [(m.link, m.address, m.integration_id) for m in description.modules] == [
        (1, 3, 10),
        (1, 9, 20),
        (2, 5, 30),
    ]


def test_explicit_ids_and_default_blocks() -> None:
    """A module with its own id gets zones and CCO after it; defaults skip taken blocks (L3: one namespace)."""
    description = parse_description(
        {
            "modules": [
                {"address": 1, "integration_id": 20},
                {"address": 2},
                {"address": 3, "zones": [{"integration_id": 31}]},
            ]
        }
    )
    first, second, third = description.modules
    assert first.integration_id == 20
    assert [zone.integration_id for zone in first.zones] == [21, 22, 23, 24]
    assert first.cco.integration_id == 25
    # Block 20 is the first module's; block 30 holds the third module's explicit zone id 31.
    assert second.integration_id == 40
    third_ids = [
        third.integration_id,
        *(zone.integration_id for zone in third.zones),
        third.cco.integration_id,
    ]
    assert third_ids == [30, 31, 32, 33, 34, 35]


def test_zone_shorthand_and_numbers() -> None:
    """A zone may be a plain name; `number` places a zone; watts are converted at 120 V."""
    description = parse_description(
        {"modules": [{"zones": ["Porch", {"number": 4, "name": "Yard", "watts": 600}]}]}
    )
    zones = description.modules[0].zones
    assert [zone.name for zone in zones] == ["Porch", "Zone 2", "Zone 3", "Yard"]
    assert zones[3].amps == pytest.approx(5.0)
    assert zones[3].watts == 600.0


def test_aliases_and_yaml_booleans() -> None:
    """YAML 1.1 reads `on`/`off` as booleans; load, link and CCO types accept common aliases, any case."""
    description = parse_description(
        {
            "processor": {"model": "hqp7_1"},
            "links": [{"number": 1, "type": "QS"}],
            "modules": [
                {
                    "zones": [
                        {"override": True, "load_type": "Tungsten"},
                        {"override": False, "load_type": "NEMA 410"},
                        {"override": "Unchanged", "load_type": "ac general use"},
                    ],
                    "cco": {"type": "pulsed"},
                }
            ],
        }
    )
    module = description.modules[0]
    assert description.processor.model is ProcessorModel.HQP7_1
    assert [zone.override_level for zone in module.zones[:3]] == [
        OverrideLevel.ON,
        OverrideLevel.OFF,
        OverrideLevel.UNCHANGED,
    ]
    assert [zone.load_type for zone in module.zones[:3]] == [
        LoadType.INCANDESCENT,
        LoadType.ELECTRONIC_BALLAST,
        LoadType.AC_GENERAL,
    ]
    assert module.cco.cco_type is CcoType.MOMENTARY
    rf = parse_description(
        {"links": [{"type": "rf"}, {"type": "clear connect type a"}]}
    )
    assert [link.link_type for link in rf.links] == [LinkType.CLEAR_CONNECT_A] * 2


def test_serials_are_normalised_and_validated() -> None:
    """Serials are 8 hex digits, stored upper-case; a YAML number gets a hint to quote it."""
    assert (
        parse_description({"modules": [{"serial": "00abcdef"}]}).modules[0].serial
        == "00ABCDEF"
    )
    assert "quote it" in _error({"modules": [{"serial": 12345678}]}).message
    assert _error({"processor": {"serial": "XYZ"}}).path == "processor.serial"


# ---------------------------------------------------------------------------------------------------------------
# Round trips, files, the example


def test_round_trip_through_dict_and_json(small_description: SystemDescription) -> None:
    """`parse_description(description_to_dict(d)) == d`, also through JSON text."""
    for description in (
        small_description,
        build_description([99, 99]),
        load_description(HOUSE),
    ):
        data = description_to_dict(description)
        assert parse_description(data) == description
        assert parse_description(json.loads(json.dumps(data))) == description


def test_load_and_save_files(
    tmp_path: Path, small_description: SystemDescription
) -> None:
    """YAML and JSON files are written in full and read back identical."""
    for name in ("system.yaml", "system.yml", "system.json"):
        path = tmp_path / name
        save_description(small_description, path)
        assert load_description(path) == small_description
        assert load_description(str(path)) == small_description


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("system.txt", "name: x", "ends in .yaml"),
        ("broken.yaml", "name: [unclosed", "not valid YAML"),
        ("broken.json", "{", "not valid JSON"),
        ("list.yaml", "- 1\n- 2\n", "is a mapping"),
    ],
)
def test_load_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    """Unreadable files give a `DescriptionError` that names the problem."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DescriptionError, match=message):
        load_description(path)


def test_load_missing_file(tmp_path: Path) -> None:
    """A missing file is a `DescriptionError` naming the file."""
    with pytest.raises(DescriptionError, match="cannot read") as info:
        load_description(tmp_path / "missing.yaml")
    assert info.value.path.endswith("missing.yaml")


def test_example_house_has_what_the_issue_asks_for() -> None:
    """Several modules on two links, mixed loads, a shared emergency CCI group, a gate and a contactor CCO."""
    house = load_description(HOUSE)
    assert {module.link for module in house.modules} == {1, 2}
    assert len(house.modules) >= 5
    assert (
        len({zone.load_type for module in house.modules for zone in module.zones}) >= 6
    )
    emergency = [module for module in house.modules if module.cci_group == "emergency"]
    assert len(emergency) >= 2
    gate = [module.cco for module in house.modules if "gate" in module.cco.name.lower()]
    assert gate
    assert gate[0].cco_type is CcoType.MOMENTARY
    contactor = [
        module.cco for module in house.modules if "contactor" in module.cco.name.lower()
    ]
    assert contactor
    assert contactor[0].cco_type is CcoType.MAINTAINED


# ---------------------------------------------------------------------------------------------------------------
# Errors name the offending path


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"modules": [{}, {}, {"zones": [{}, {"amps": 9}]}]},
            "modules[2].zones[1].amps",
            "8 A zone rating (M3)",
        ),
        (
            {"modules": [{"zones": [{"watts": 1000}]}]},
            "modules[0].zones[0].watts",
            "8 A zone rating (M3)",
        ),
        (
            {"modules": [{"zones": [{"amps": -1}]}]},
            "modules[0].zones[0].amps",
            "negative",
        ),
        (
            {"modules": [{"zones": [{"amps": 1, "watts": 120}]}]},
            "modules[0].zones[0]",
            "not both",
        ),
        (
            {"modules": [{"zones": [{"number": 2}, {"number": 2}]}]},
            "modules[0].zones[1].number",
            "twice",
        ),
        (
            {"modules": [{"zones": ["a", "b", "c", "d", "e"]}]},
            "modules[0].zones",
            "4 zones",
        ),
        (
            {"modules": [{"zones": [{"load_type": "receptacle"}]}]},
            "modules[0].zones[0].load_type",
            "receptacles",
        ),
        (
            {"modules": [{"zones": [{"load_type": "neon"}]}]},
            "modules[0].zones[0].load_type",
            "not one of",
        ),
        (
            {"modules": [{"zones": [{"load_type": 5}]}]},
            "modules[0].zones[0].load_type",
            "not one of",
        ),
        ({"modules": [{"serial": ["0000000A"]}]}, "modules[0].serial", "string of 8"),
        (
            {"modules": [{"zones": [{"override": "dim"}]}]},
            "modules[0].zones[0].override",
            "not one of",
        ),
        ({"modules": [{"zones": [{"name": ""}]}]}, "modules[0].zones[0].name", "empty"),
        (
            {"modules": [{"zones": [{"name": "a\x07"}]}]},
            "modules[0].zones[0].name",
            "control",
        ),
        (
            {"modules": [{"zones": [{"name": "x" * 101}]}]},
            "modules[0].zones[0].name",
            "at most",
        ),
        ({"modules": [{"zones": [{"name": 5}]}]}, "modules[0].zones[0].name", "string"),
        (
            {"modules": [{"zones": [{"amps": True}]}]},
            "modules[0].zones[0].amps",
            "number",
        ),
        (
            {"modules": [{"zones": [{"amps": float("nan")}]}]},
            "modules[0].zones[0].amps",
            "finite",
        ),
        ({"modules": [{"address": 100}]}, "modules[0].address", "1..99"),
        ({"modules": [{"address": 1.5}]}, "modules[0].address", "integer"),
        (
            {"modules": [{"address": 4}, {"address": 4}]},
            "modules[1].address",
            "already used",
        ),
        (
            {"modules": [{"serial": "0000000A"}, {"serial": "0000000a"}]},
            "modules[1].serial",
            "already used",
        ),
        (
            {"processor": {"serial": "0000000A"}, "modules": [{"serial": "0000000A"}]},
            "modules[0].serial",
            "already used",
        ),
        ({"modules": [{"integration_id": 0}]}, "modules[0].integration_id", "positive"),
        (
            {"modules": [{"integration_id": 1}]},
            "modules[0].integration_id",
            "already used by processor",
        ),
        (
            {
                "modules": [
                    {"zones": [{"integration_id": 7}]},
                    {"cco": {"integration_id": 7}},
                ]
            },
            "modules[1].cco.integration_id",
            "already used",
        ),
        (
            {"modules": [{"integration_id": 100}, {"integration_id": 103}]},
            "modules[0]",
            "default integration id 103",
        ),
        (
            {"modules": [{"cco": {"pulse_seconds": 0.1}}]},
            "modules[0].cco.pulse_seconds",
            "pulse lasts",
        ),
        (
            {"modules": [{"cco": {"type": "latching"}}]},
            "modules[0].cco.type",
            "not one of",
        ),
        ({"modules": [{"colour": "red"}]}, "modules[0].colour", "not a valid option"),
        ({"modules": "four"}, "modules", "count or a list"),
        ({"modules": -1}, "modules", "negative"),
        (
            {"links": [{"modules": [{"link": 2}]}]},
            "links[0].modules[0].link",
            "listed under link 1",
        ),
        ({"links": [{"number": 1}, {"number": 1}]}, "links[1].number", "twice"),
        ({"links": [{"length_m": 10, "length_ft": 30}]}, "links[0]", "not both"),
        ({"processor": {"model": "HQP6"}}, "processor.model", "not one of"),
        ({"database_date": "2026-01-01"}, "database_date", "MM/DD/YYYY"),
        ({"database_date": 5}, "database_date", "MM/DD/YYYY"),
        ({"name": ["x"]}, "name", "string"),
    ],
)
def test_errors_name_the_path(data: dict[str, Any], path: str, message: str) -> None:
    """Every invalid value is reported with the path to it and a message that says what is wrong."""
    error = _error(data)
    assert error.path == path
    assert message in error.message
    assert str(error).startswith(f"{path}: ")


def test_description_must_be_a_mapping() -> None:
    """Anything but a mapping is refused."""
    error = _error(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert error.path == ""
    assert str(error) == "a system description is a mapping"


# ---------------------------------------------------------------------------------------------------------------
# Rules


@pytest.mark.parametrize(
    ("model", "links"),
    [
        (ProcessorModel.HQP7_1, 1),
        (ProcessorModel.HQP7_2, 2),
        (ProcessorModel.HQP7_MDU_1, 1),
        (ProcessorModel.HQP7_MDU_2, 2),
    ],
)
def test_p1_models_and_their_links(model: ProcessorModel, links: int) -> None:
    """P1: HQP7-1 and HQP7-MDU-1 have one link, the -2 models two; a link beyond them is refused."""
    description = parse_description({"processor": {"model": model.value}})
    assert [link.number for link in description.links] == list(range(1, links + 1))
    assert model.is_mdu == ("MDU" in model.value)
    error = _error(
        {"processor": {"model": model.value}, "links": [{"number": links + 1}]}
    )
    assert error.path == "links[0].number"
    assert "(P1)" in error.message
    error = _error(
        {"processor": {"model": model.value}, "modules": [{"link": links + 1}]}
    )
    assert error.path == "modules[0].link"
    assert "(P1)" in error.message
    with pytest.raises(DescriptionError, match=r"\(P1\)"):
        build_description([1] * (links + 1), model=model)


def test_p2_link_types_and_qs_modules() -> None:
    """P2: each link is QS wired or Clear Connect Type A; a switching module (QS wired) is refused on RF."""
    description = parse_description(
        {
            "links": [
                {"number": 1, "type": "qs"},
                {"number": 2, "type": "clear_connect_a"},
            ]
        }
    )
    assert [link.link_type for link in description.links] == [
        LinkType.QS,
        LinkType.CLEAR_CONNECT_A,
    ]
    error = _error({"links": [{"number": 2, "type": "clear_connect_a", "modules": 1}]})
    assert error.path == "links[0].modules[0].link"
    assert "(P2)" in error.message
    error = _error(
        {"links": [{"number": 2, "type": "clear_connect_a"}], "modules": [{"link": 2}]}
    )
    assert error.path == "modules[0].link"


@pytest.mark.parametrize(
    ("model", "link_type", "devices", "zones"),
    [
        (ProcessorModel.HQP7_2, LinkType.QS, 99, 512),
        (ProcessorModel.HQP7_1, LinkType.QS, 99, 512),
        (ProcessorModel.HQP7_MDU_2, LinkType.QS, 50, 50),
        (ProcessorModel.HQP7_2, LinkType.CLEAR_CONNECT_A, 99, 100),
        (ProcessorModel.HQP7_MDU_1, LinkType.CLEAR_CONNECT_A, 99, 100),
    ],
)
def test_p3_link_limits(
    model: ProcessorModel, link_type: LinkType, devices: int, zones: int
) -> None:
    """P3: capacities by link type and model."""
    assert link_limits(model, link_type) == (devices, zones)


def test_p3_full_qs_link() -> None:
    """P3: a QS link holds 99 modules (the processor is the 100th device); a 100th is refused."""
    assert len(build_description([99]).modules) == 99
    error = _error({"links": [{"number": 1, "modules": 100}]})
    assert "(P3)" in error.message
    error = _error({"modules": [{"address": a} for a in range(1, 100)] + [{"link": 1}]})
    assert error.path == "modules[99]"
    assert "(P3)" in error.message


def test_p3_m2_mdu_zone_limit() -> None:
    """P3, M2: a module counts 4 zones, so an MDU QS link (50 zones) holds 12 modules, not 13."""
    assert len(build_description([12], model=ProcessorModel.HQP7_MDU_1).modules) == 12
    error = _error({"processor": {"model": "HQP7-MDU-1"}, "modules": 13})
    assert error.path == "modules[12]"
    assert "52 zones" in error.message
    assert "(P3, M2)" in error.message


def test_p3_mdu_device_limit_on_hand_built_description() -> None:
    """P3: an MDU QS link holds at most 50 devices; checked on descriptions built in code too."""
    small = build_description([1], model=ProcessorModel.HQP7_MDU_1)
    template = small.modules[0]
    modules = tuple(
        replace(
            template,
            serial=f"{index:08X}",
            address=index,
            integration_id=100 * index,
        ).with_outputs(
            zones=tuple(
                replace(z, integration_id=100 * index + z.number)
                for z in template.zones
            ),
            cco=replace(template.cco, integration_id=100 * index + 5),
        )
        for index in range(1, 52)
    )
    with pytest.raises(LimitError, match=r"51 devices.*\(P3\)"):
        validate_description(replace(small, devices=modules))


def test_m3_ratings() -> None:
    """M3: 8 A per zone, 16 A per module with every zone on; motor loads allowed; receptacles refused."""
    at_limit = parse_description(
        {"modules": [{"zones": [{"amps": 8, "load_type": "motor"}, {"watts": 960}]}]}
    )
    assert [zone.amps for zone in at_limit.modules[0].zones[:2]] == [8.0, 8.0]
    error = _error({"modules": [{"zones": [{"amps": 6}, {"amps": 6}, {"amps": 4.5}]}]})
    assert error.path == "modules[0].zones"
    assert "16 A module rating (M3)" in error.message
    assert (
        "receptacles"
        in _error(
            {"modules": [{"zones": [{"load_type": "General purpose receptacle"}]}]}
        ).message
    )


def test_m4_feed_through_group() -> None:
    """M4: modules fed through one mains feed may draw 16 A together, at most."""
    ok = parse_description(
        {
            "modules": [
                {"feed": "a", "zones": [{"amps": 8}]},
                {"feed": "a", "zones": [{"amps": 8}]},
                {"zones": [{"amps": 8}]},
            ]
        }
    )
    assert [module.feed for module in ok.modules] == ["a", "a", None]
    error = _error(
        {
            "modules": [
                {"feed": "a", "zones": [{"amps": 8}]},
                {"feed": "a", "zones": [{"amps": 8}]},
                {"feed": "a", "zones": [{"amps": 0.5}]},
            ]
        }
    )
    assert error.path == "modules[2].feed"
    assert "(M4)" in error.message


def test_c7_cci_group_size() -> None:
    """C7: up to 32 modules may share one override contact; a 33rd is refused."""
    ok = parse_description({"modules": [{"cci_group": "e"}] * MAX_CCI_GROUP_SIZE})
    assert sum(module.cci_group == "e" for module in ok.modules) == 32
    error = _error({"modules": [{"cci_group": "e"}] * (MAX_CCI_GROUP_SIZE + 1)})
    assert error.path == "modules[32].cci_group"
    assert "(C7)" in error.message


def test_l1_link_cable_length() -> None:
    """L1: a QS link cable is at most 2000 ft (610 m); a Clear Connect link has none."""
    ok = parse_description({"links": [{"length_ft": 2000}, {"length_m": 610}]})
    assert ok.links[0].cable_length_m == pytest.approx(609.6)
    assert ok.links[1].cable_length_m == 610
    assert _error({"links": [{"length_ft": 2001}]}).path == "links[0].length_ft"
    assert _error({"links": [{"length_m": 611}]}).path == "links[0].length_m"
    error = _error({"links": [{"type": "clear_connect_a", "length_m": 10}]})
    assert error.path == "links[0]"
    assert "(L1)" in error.message
    assert _error({"links": [{"length_m": -3}]}).path == "links[0].length_m"


def test_cable_length_in_feet_kept_to_the_millimetre() -> None:
    """A length in feet becomes metres without float noise, stored and read back as it is."""
    description = parse_description(
        {"links": [{"length_ft": 850}, {"length_ft": 2000}]}
    )
    assert [link.cable_length_m for link in description.links] == [259.08, 609.6]
    data = description_to_dict(description)
    assert [link["length_m"] for link in data["links"]] == [259.08, 609.6]
    assert parse_description(data) == description


def test_l3_identities_are_unique(small_description: SystemDescription) -> None:
    """L3: serials, (link, address) pairs and integration ids (DEVICE and OUTPUT alike) are unique."""
    modules = small_description.modules
    assert len({m.serial for m in modules}) == len(modules)
    assert len({(m.link, m.address) for m in modules}) == len(modules)
    ids = [small_description.processor.integration_id]
    for module in modules:
        ids += [
            module.integration_id,
            *(z.integration_id for z in module.zones),
            module.cco.integration_id,
        ]
    assert len(set(ids)) == len(ids)
    error = _error(
        {"modules": [{"integration_id": 50}, {"zones": [{"integration_id": 50}]}]}
    )
    assert error.path == "modules[1].zones[0].integration_id"


# ---------------------------------------------------------------------------------------------------------------
# Hand-built descriptions


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda d: replace(d, processor=replace(d.processor, serial="abc")),
            "processor.serial",
        ),
        (
            lambda d: replace(d, processor=replace(d.processor, integration_id=0)),
            "processor.integration_id",
        ),
        (lambda d: replace(d, links=(*d.links, LinkDescription(3))), "links[2].number"),
        (lambda d: replace(d, links=(d.links[0], d.links[0])), "links[1].number"),
        (
            lambda d: replace(
                d, links=(LinkDescription(1, cable_length_m=700.0), d.links[1])
            ),
            "links[0].length_m",
        ),
        (lambda d: _module(d, serial="000000a1"), "modules[0].serial"),
        (lambda d: _module(d, serial=d.modules[1].serial), "modules[1].serial"),
        (lambda d: _module(d, link=3), "modules[0].link"),
        (lambda d: _module(d, address=0), "modules[0].address"),
        (lambda d: _module(d, address=d.modules[1].address), "modules[1].address"),
        (lambda d: _module(d, zones=d.modules[0].zones[:3]), "modules[0].zones"),
        (
            lambda d: _module(d, cco=replace(d.modules[0].cco, pulse_seconds=0.0)),
            "modules[0].cco.pulse_seconds",
        ),
        (
            lambda d: _module(d, cco=replace(d.modules[0].cco, integration_id=-4)),
            "modules[0].cco.integration_id",
        ),
        (lambda d: _zone(d, amps=-0.5), "modules[0].zones[0].amps"),
        (lambda d: _zone(d, amps=8.5), "modules[0].zones[0].amps"),
    ],
)
def test_validate_hand_built_descriptions(
    small_description: SystemDescription, change: Any, path: str
) -> None:
    """Descriptions built in code are checked with the same rules, and errors use canonical paths."""
    validate_description(small_description)
    with pytest.raises(DescriptionError) as info:
        validate_description(change(small_description))
    assert info.value.path == path


def _module(description: SystemDescription, **changes: Any) -> SystemDescription:
    modules = list(description.modules)
    outputs = {key: changes.pop(key) for key in ("zones", "cco") if key in changes}
    modules[0] = replace(modules[0], **changes).with_outputs(**outputs)
    return replace(description, devices=tuple(modules))


def _zone(description: SystemDescription, **changes: Any) -> SystemDescription:
    module = description.modules[0]
    zones = (replace(module.zones[0], **changes), *module.zones[1:])
    return _module(description, zones=zones)


def test_limit_errors_are_description_errors(
    small_description: SystemDescription,
) -> None:
    """Load limits raise `LimitError`, a `DescriptionError` with the path of the offending value, naming the rule."""
    overloaded = _zone(small_description, amps=8.5)
    with pytest.raises(LimitError, match=r"\(M3\)") as caught:
        validate_description(overloaded)
    assert isinstance(caught.value, DescriptionError)
    assert caught.value.path == "modules[0].zones[0].amps"


# ---------------------------------------------------------------------------------------------------------------
# New modules


def test_new_module_defaults(small_description: SystemDescription) -> None:
    """A new module takes the lowest free address, a fresh serial and the next free block of ids."""
    module = new_module(small_description, 1)
    assert (module.link, module.address) == (1, 4)
    assert module.integration_id == 50  # four modules already: n = 5
    assert module.cco.integration_id == 55
    assert module.name == "Module 1.4"
    assert module.serial not in {m.serial for m in small_description.modules}
    assert new_module(small_description, 2).address == 1
    validate_description(
        replace(small_description, devices=(*small_description.modules, module))
    )


def test_new_module_overrides(small_description: SystemDescription) -> None:
    """Overrides use the description keys; zones and CCO may be given as description objects."""
    zone = ZoneDescription(number=2, integration_id=902, name="Lamp", amps=2.0)
    cco = CcoDescription(
        integration_id=905, name="Gate", cco_type=CcoType.MOMENTARY, pulse_seconds=3.0
    )
    module = new_module(
        small_description,
        2,
        name="Studio",
        area="Loft",
        address=9,
        serial="abcdef01",
        zones=[zone],
        cco=cco,
    )
    assert (module.name, module.area, module.address, module.serial) == (
        "Studio",
        "Loft",
        9,
        "ABCDEF01",
    )
    assert module.zones[1] == zone
    assert module.cco == cco


@pytest.mark.parametrize(
    ("link", "overrides", "path"),
    [
        (1, {"colour": "red"}, "module.colour"),
        (1, {"address": 1}, "module.address"),
        (1, {"serial": "000000A2"}, "module.serial"),
        (1, {"serial": "0A0B0C0D"}, "module.serial"),
        (1, {"zones": [{"amps": 20}]}, "module.zones[0].amps"),
        (1, {"integration_id": 11}, "module.integration_id"),
    ],
)
def test_new_module_errors(
    small_description: SystemDescription,
    link: int,
    overrides: dict[str, Any],
    path: str,
) -> None:
    """Bad overrides are refused with the path of the offending key."""
    with pytest.raises(DescriptionError) as info:
        new_module(small_description, link, **overrides)
    assert info.value.path == path


def test_new_module_on_missing_or_full_link() -> None:
    """A link the processor lacks is a `DescriptionError`; a full link a `LimitError` (P3)."""
    one_link = build_description([99], model=ProcessorModel.HQP7_1)
    with pytest.raises(DescriptionError, match=r"\(P1\)"):
        new_module(one_link, 2)
    with pytest.raises(LimitError, match=r"\(P3\)"):
        new_module(one_link, 1)
