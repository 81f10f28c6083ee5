"""Translations, icons, actions, manifest, brand and quality scale agree with the code and with each other."""

from __future__ import annotations

import ast
from dataclasses import replace
import json
from pathlib import Path
import re
from typing import Any

from PIL import Image
import pytest
import yaml

from custom_components.homeworks_qsx import (
    binary_sensor,
    button,
    cover,
    device_trigger,
    energy,
    event,
    flow_schemas,
    light,
    sensor,
    services,
    switch,
)
from custom_components.homeworks_qsx.qsx.const import (
    MODULE_MODEL,
    IgnoredReason,
    ProcessorModel,
)
from custom_components.homeworks_qsx.qsx.model import (
    AREA_GROUP_CAPABILITIES,
    CcoDescription,
    ControlType,
    DeviceDescription,
    DeviceKind,
    IndicatorDescription,
    InputDescription,
    InputType,
    ZoneDescription,
    dimming_module,
    keypad,
    switching_module,
)
from homeassistant.helpers.entity import EntityDescription

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "homeworks_qsx"
LANGUAGES = ("en", "es", "fr")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# hassfest's pattern of a translation key (selector options, entity and state keys, ...): lower case, digits, `-`
# and `_`, neither first nor last nor doubled.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")

QUALITY_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return data


def _leaves(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    leaves: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            leaves.update(_leaves(value, f"{prefix}{key}."))
        else:
            leaves[f"{prefix}{key}"] = value
    return leaves


def _keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        keys.append(f"{prefix}{key}")
        if isinstance(value, dict):
            keys += _keys(value, f"{prefix}{key}.")
    return keys


# A module, and an area group (LEAP) with a switched zone and a CCO zone: every kind of switch there is.
_MODULE = switching_module(
    "10000001",
    10,
    "Panel",
    "Kitchen",
    zones=tuple(ZoneDescription(number, 10 + number, "") for number in range(1, 5)),
    cco=CcoDescription(15, ""),
)
_AREA_GROUP = DeviceDescription(
    serial="0A1B2C3D-area-2",
    integration_id=2,
    name="Kitchen",
    area="Kitchen",
    outputs=(ZoneDescription(1, 90, "Island"), CcoDescription(98, "Gate", number=2)),
    kind=DeviceKind.AREA_GROUP,
    capabilities=AREA_GROUP_CAPABILITIES,
)


# A dimming module, an area with a dimmed zone and shades, and a keypad with a plain and an engraved button.
_DIMMERS = dimming_module(
    "10000002",
    20,
    "Dimmers",
    "Dining room",
    zones=(ZoneDescription(1, 21, ""),),
    model_number="LQSE-4A5-120-D",
)
_LEVEL_GROUP = DeviceDescription(
    serial="0A1B2C3D-area-3",
    integration_id=3,
    name="Living room",
    area="Living room",
    outputs=(
        ZoneDescription(1, 91, "Lamp", control_type=ControlType.DIMMED),
        ZoneDescription(2, 92, "Shade", control_type=ControlType.SHADE),
        ZoneDescription(3, 93, "Blind", control_type=ControlType.SHADE_WITH_TILT),
    ),
    kind=DeviceKind.AREA_GROUP,
    capabilities=AREA_GROUP_CAPABILITIES,
)
_KEYPAD = keypad(
    "10000003",
    30,
    "Keypad",
    "Kitchen",
    buttons=(
        InputDescription(1, InputType.BUTTON, "Button 1"),
        InputDescription(2, InputType.BUTTON, "Button 2", engraving="Dinner"),
    ),
    leds=(IndicatorDescription(1, "LED 1"), IndicatorDescription(2, "LED 2")),
    model_number="HQWT-U-P4W",
)


def _descriptions() -> dict[str, list[EntityDescription]]:
    return {
        "switch": [
            *(
                switch.output_description(device, output)
                for device in (_MODULE, _AREA_GROUP)
                for output in device.outputs
            ),
            *(switch.indicator_description(_KEYPAD, led) for led in _KEYPAD.indicators),
            switch.TIMECLOCK_DESCRIPTION,
        ],
        "light": [
            light.light_description(device, device.outputs[0])
            for device in (_DIMMERS, _LEVEL_GROUP)
        ],
        "cover": [
            cover.cover_description(_LEVEL_GROUP, output)
            for output in _LEVEL_GROUP.outputs[1:]
        ],
        "binary_sensor": [
            *binary_sensor.DEVICE_DESCRIPTIONS,
            binary_sensor.PROCESSOR_CONNECTIVITY,
        ],
        "sensor": [
            *sensor.DEVICE_DESCRIPTIONS,
            *sensor._link_descriptions(1),
            energy.MODULE_POWER,
            energy.MODULE_ENERGY,
            energy.SYSTEM_POWER,
            *energy.ZONE_DESCRIPTIONS[1],
        ],
        "event": [
            event.BUTTON_DESCRIPTION,
            *(event.keypad_button_description(item) for item in _KEYPAD.buttons),
        ],
        "button": [
            button.PULSE_DESCRIPTION,
            replace(
                button.NAMED_PULSE_DESCRIPTION,
                translation_placeholders={"name": "Gate"},
            ),
            *(button.keypad_button_description(item) for item in _KEYPAD.buttons),
        ],
    }


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_translations_have_no_markup(language: str) -> None:
    """The frontend formats translations as messages: a "<word>" reads as an unclosed tag and shows an error."""
    for key, text in _leaves(_json(f"translations/{language}.json")).items():
        assert not re.search(r"<[^>]*>", text), key


@pytest.mark.parametrize("language", ["es", "fr"])
def test_languages_complete(language: str) -> None:
    """Spanish and French translate every string, with the same placeholders."""
    english = _leaves(_json("translations/en.json"))
    other = _leaves(_json(f"translations/{language}.json"))
    assert set(other) == set(english)
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), (
            key
        )
        assert other[key].strip(), key


@pytest.mark.parametrize("name", [f"translations/{lang}.json" for lang in LANGUAGES])
def test_translation_keys_follow_hassfest(name: str) -> None:
    """Every key of a translations file matches hassfest's translation-key pattern (it checks a subset of them)."""
    keys = [key.rsplit(".", 1)[-1] for key in _keys(_json(name))]
    assert keys
    assert [key for key in keys if not TRANSLATION_KEY.match(key)] == []


def test_model_options_are_translated_keys_of_every_model() -> None:
    """The processor model drop-down offers one translated key per model, and each key leads back to its model."""
    options = {flow_schemas.model_option(model): model for model in ProcessorModel}
    assert {flow_schemas.model_of_option(option) for option in options} == set(
        ProcessorModel
    )
    for option, model in options.items():
        assert flow_schemas.model_of_option(option) is model
    for language in LANGUAGES:
        strings = _json(f"translations/{language}.json")["selector"]["model"]
        assert set(strings["options"]) == set(options), language
        for option, model in options.items():
            assert model.value in strings["options"][option], (language, option)


# Components whose modules the pylint plugin lets others import (its own exceptions): the triggers of
# `homeassistant`, which device triggers build on.
_DEEP_IMPORTS_ALLOWED = ("homeassistant.components.homeassistant.triggers",)


def test_platforms_imported_from_their_component_root() -> None:
    """Home Assistant's pylint plugin (hass-component-root-import): another component is imported from its root."""
    deep = []
    for path in sorted(INTEGRATION.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            deep += [
                f"{path.relative_to(INTEGRATION)}: {module}"
                for module in modules
                if module.startswith("homeassistant.components.")
                and module.count(".") > 2
                and not module.startswith(_DEEP_IMPORTS_ALLOWED)
            ]
    assert deep == []


def test_entity_translations_and_icons() -> None:
    """Every entity has a translated name and an icon; enum states and event types are translated."""
    strings = _json("translations/en.json")["entity"]
    icons = _json("icons.json")["entity"]
    for platform, descriptions in _descriptions().items():
        for description in descriptions:
            key = description.translation_key
            assert key is not None
            assert strings[platform][key]["name"], key
            assert icons[platform][key]["default"].startswith("mdi:"), key
            if placeholders := description.translation_placeholders:
                assert set(PLACEHOLDER.findall(strings[platform][key]["name"])) == set(
                    placeholders
                )
            if options := getattr(description, "options", None):
                assert set(strings[platform][key]["state"]) == set(options)
                assert set(icons[platform][key]["state"]) == set(options)
            if event_types := getattr(description, "event_types", None):
                states = strings[platform][key]["state_attributes"]["event_type"]
                assert set(states["state"]) == set(event_types)


def test_actions_translated() -> None:
    """Every action in services.yaml is registered, translated with its fields, and has an icon."""
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    registered = {
        *services.SIMULATIONS,
        "press_button",
        "press_keypad_button",
        "pulse_cco",
        "press_pairing_button",
        "issue_client_certificate",
        "set_processor_online",
    }
    assert set(described) == registered
    strings = _json("translations/en.json")["services"]
    icons = _json("icons.json")["services"]
    assert set(strings) == registered
    assert set(icons) == registered
    for name, action in described.items():
        assert set(action["fields"]) == set(strings[name]["fields"]), name
        assert strings[name]["name"]
        assert strings[name]["description"]
    options = described["press_button"]["fields"]["button"]["selector"]["select"]
    assert set(options["options"]) == set(services.BUTTONS)
    selector_strings = _json("translations/en.json")["selector"]["button"]["options"]
    assert set(selector_strings) == set(services.BUTTONS)
    gestures = described["press_keypad_button"]["fields"]["gesture"]["selector"]
    assert set(gestures["select"]["options"]) == set(services.GESTURES)
    for language in LANGUAGES:
        strings = _json(f"translations/{language}.json")["selector"]["gesture"]
        assert set(strings["options"]) == set(services.GESTURES), language


def test_device_triggers_translated() -> None:
    """Every trigger type is translated with its subtype, and the subtypes of the buttons a keypad may have."""
    for language in LANGUAGES:
        strings = _json(f"translations/{language}.json")["device_automation"]
        assert set(strings["trigger_type"]) == set(device_trigger.TRIGGER_TYPES)
        for text in strings["trigger_type"].values():
            assert PLACEHOLDER.findall(text) == ["subtype"]
        # Buttons are numbered by position (LP36): from 0 (a Pico) to the raise and lower of large keypads.
        assert {device_trigger.subtype(number) for number in range(32)} <= set(
            strings["trigger_subtype"]
        )


def test_leap_actions_offer_processors() -> None:
    """The LEAP actions let the user pick a processor of any model, and only a processor."""
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    for name in ("press_pairing_button", "issue_client_certificate"):
        selector = described[name]["fields"]["device_id"]["selector"]["device"]
        assert "multiple" not in selector
        assert {entry["model_id"] for entry in selector["filter"]} == {
            model.value for model in ProcessorModel
        }
    # Cutting processors of a project off (LP53) takes several at once.
    selector = described["set_processor_online"]["fields"]["device_id"]["selector"]
    assert selector["device"]["multiple"] is True
    assert {entry["model_id"] for entry in selector["device"]["filter"]} == {
        model.value for model in ProcessorModel
    }


def test_device_pickers_filter_on_model_numbers() -> None:
    """Devices carry their model in words and the model number as `model_id`: the action pickers filter on it.

    Keypads, shades, dimmers and sensors come in many models: their pickers offer the integration's devices that
    have the entities the action is about (an occupancy sensor's binary sensor, a keypad's button events).
    """
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    numbers = {MODULE_MODEL, *(model.value for model in ProcessorModel)}
    selectors = [
        field["selector"]["device"]
        for action in described.values()
        for field in action.get("fields", {}).values()
        if "device" in field.get("selector", {})
    ]
    assert selectors
    for selector in selectors:
        for entry in selector["filter"]:
            assert "model" not in entry
            if "model_id" in entry:
                assert entry["model_id"] in numbers
            else:
                assert entry == {"integration": "homeworks_qsx"}
                assert selector["entity"]
                assert all(
                    item["integration"] == "homeworks_qsx"
                    for item in selector["entity"]
                )


def test_exception_translations() -> None:
    """Every translation key raised in the code is translated."""
    exceptions = _json("translations/en.json")["exceptions"]
    used: set[str] = {f"ignored_{reason.value}" for reason in IgnoredReason}
    for path in INTEGRATION.glob("*.py"):
        used.update(re.findall(r'translation_key="(\w+)"', path.read_text()))
    entity_keys = {
        description.translation_key
        for descriptions in _descriptions().values()
        for description in descriptions
    }
    used -= entity_keys
    used -= {"model", "cco_type", "override_level"}  # selector translation keys
    assert used <= set(exceptions), used - set(exceptions)
    for key in used:
        assert exceptions[key]["message"], key


def test_manifest() -> None:
    """Keys sorted: domain, name, then alphabetical; everything a custom integration needs is there."""
    manifest = _json("manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    for key in (
        "codeowners",
        "config_flow",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    ):
        assert key in manifest
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "hub"
    assert manifest["codeowners"]


def test_brand_icon() -> None:
    """The brand icon is a 256x256 PNG."""
    with Image.open(INTEGRATION / "brand" / "icon.png") as image:
        assert image.format == "PNG"
        assert image.size == (256, 256)


def _met(status: str | dict[str, str]) -> bool:
    return (status["status"] if isinstance(status, dict) else status) in (
        "done",
        "exempt",
    )


def test_manifest_claims_no_more_than_the_rules_support() -> None:
    """The manifest's quality scale is a tier whose rules, and those of every tier below, are all done or exempt."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    supported: list[str] = []
    for tier, names in QUALITY_RULES.items():
        if not all(_met(rules[name]) for name in names):
            break
        supported.append(tier)
    claimed = _json("manifest.json").get("quality_scale")
    assert claimed is None or claimed in supported, (claimed, supported)


def test_quality_scale_complete() -> None:
    """Every rule of the scale has a status; every exemption, and every rule still to do that has a note, says why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    expected = {rule for tier in QUALITY_RULES.values() for rule in tier}
    assert set(rules) == expected
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in ("exempt", "todo"), rule
            assert status["comment"].strip(), rule
        else:
            assert status in ("done", "todo"), rule
