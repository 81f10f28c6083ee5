"""Automation blueprints: each one loaded by Home Assistant's blueprint integration, instantiated, triggered, observed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any
from urllib.parse import quote

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.homeworks_qsx.const import DOMAIN
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict

from .conftest import GARAGE, HALL, KITCHEN, get_device, state_of, tick
from .whole_house import KITCHEN_KEYPAD

BLUEPRINTS = Path(__file__).parents[2] / "blueprints"
OURS = BLUEPRINTS / "automation" / DOMAIN
NOTIFY = "notify.test_phone"


@pytest.fixture
def notifications(hass: HomeAssistant) -> list[ServiceCall]:
    """Record the calls of the notify action the blueprints are given."""
    return async_mock_service(hass, "notify", "test_phone")


@pytest.fixture(autouse=True)
def _blueprints_in_config(hass: HomeAssistant, tmp_path: Path) -> None:
    """Put the repository's blueprints where Home Assistant looks for them, as an import would."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")


def _device_id(hass: HomeAssistant, serial: str) -> str:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return get_device(hass, entry.entry_id, serial).id


async def _use(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": blueprint.removesuffix(".yaml"),
                "use_blueprint": {"path": f"{DOMAIN}/{blueprint}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    assert state_of(hass, f"automation.{blueprint.removesuffix('.yaml')}") == "on"


async def _fire_and_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    condition: Callable[[], bool],
) -> None:
    """Move the clock on and run the loop, a bounded number of turns, until `condition` holds."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not met")


async def _action(hass: HomeAssistant, action: str, serial: str, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN, action, {"device_id": _device_id(hass, serial), **data}, blocking=True
    )
    await hass.async_block_till_done()


def test_blueprints_are_described_and_filtered() -> None:
    """Every blueprint has a name, a description and a source URL; its entity and device inputs are ours."""
    files = sorted(OURS.glob("*.yaml"))
    assert [path.name for path in files] == [
        "emergency_rehearsal.yaml",
        "gate_pulse.yaml",
        "keypad_button_action.yaml",
        "link_or_power_lost.yaml",
        "manual_override_alert.yaml",
    ]

    for path in files:
        blueprint = load_yaml_dict(path)["blueprint"]
        assert blueprint["name"].startswith("HomeWorks QSX")
        assert len(blueprint["description"]) > 200, path.name
        assert blueprint["source_url"] == (
            "https://github.com/homeworks-qsx/homeworks-qsx/blob/main/blueprints/automation/"
            f"homeworks_qsx/{path.name}"
        )
        for name, field in blueprint["input"].items():
            assert field["name"], name
            assert field["description"], name
            selector = field["selector"]
            for kind in ("entity", "device"):
                if kind in selector:
                    for entry in selector[kind]["filter"]:
                        assert entry["integration"] == DOMAIN, (path.name, name)


def test_readme_imports_every_blueprint() -> None:
    """The README's "Automations" section gives the address and the import link of each blueprint."""
    readme = (BLUEPRINTS.parent / "README.md").read_text()
    section = readme.split("## Automations", 1)[1].split("\n## ", 1)[0]
    for path in OURS.glob("*.yaml"):
        address = (
            "https://github.com/homeworks-qsx/homeworks-qsx/blob/main/blueprints/automation/"
            f"homeworks_qsx/{path.name}"
        )
        assert f"`{address}`" in section
        assert f"blueprint_url={quote(address, safe='')}" in section


async def test_manual_override_alert(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    notifications: list[ServiceCall],
) -> None:
    """Opening a module's override input sends one message, closing it another, naming the module and its room."""
    await _use(
        hass,
        "manual_override_alert.yaml",
        {
            "override_inputs": [
                "binary_sensor.kitchen_panel_manual_override_input",
                "binary_sensor.garage_panel_manual_override_input",
            ],
            "notify_action": NOTIFY,
        },
    )
    await _action(hass, "set_cci", KITCHEN, open=True)
    assert len(notifications) == 1
    assert notifications[0].data == {
        "title": "Kitchen panel: manual override on",
        "message": "Kitchen panel (Kitchen) entered manual override: its zones are at their override levels "
        "and it ignores every command until its override input closes.",
    }
    await _action(hass, "set_cci", KITCHEN, open=False)
    assert len(notifications) == 2
    assert notifications[1].data["title"] == "Kitchen panel: manual override off"
    assert (
        notifications[1]
        .data["message"]
        .startswith("Kitchen panel (Kitchen) left manual override")
    )


async def test_link_or_power_lost(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    notifications: list[ServiceCall],
) -> None:
    """A link lost for less than the chosen time says nothing; lost longer, or power cut, it is reported."""
    await _use(
        hass,
        "link_or_power_lost.yaml",
        {
            "operating_modes": [
                "sensor.kitchen_panel_operating_mode",
                "sensor.garage_panel_operating_mode",
            ],
            "lost_for": {"minutes": 5},
            "notify_action": NOTIFY,
        },
    )
    await _action(hass, "set_link", KITCHEN, up=False)
    await tick(hass, freezer, 120)
    await _action(hass, "set_link", KITCHEN, up=True)
    await tick(hass, freezer, 600)
    assert notifications == []

    await _action(hass, "set_link", KITCHEN, up=False)
    since = dt_util.now().strftime("%H:%M")
    await tick(hass, freezer, 299)
    assert notifications == []
    await tick(hass, freezer, 2)
    assert len(notifications) == 1
    assert notifications[0].data == {
        "title": "Kitchen panel: no QS link",
        "message": f"Kitchen panel (Kitchen) has had no QS link since {since}.",
    }

    await _action(hass, "set_power", GARAGE, powered=False)
    await tick(hass, freezer, 301)
    assert len(notifications) == 2
    assert notifications[1].data["title"] == "Garage panel: no power"


@pytest.mark.parametrize(("pulse_seconds", "closed_for"), [(0, 2.0), (5, 5.0)])
async def test_gate_pulse(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    pulse_seconds: float,
    closed_for: float,
) -> None:
    """The chosen front button pulses the chosen CCO (the module's own 2 s, or the time given); others do not."""
    gate = "switch.kitchen_panel_gate"
    await _use(
        hass,
        "gate_pulse.yaml",
        {
            "button_event": "event.garage_panel_button",
            "buttons": ["zone_4", "prog"],
            "cco_module": _device_id(hass, KITCHEN),
            "pulse_seconds": pulse_seconds,
        },
    )
    await _action(hass, "press_button", GARAGE, button="zone_3")
    assert state_of(hass, gate) == "off"
    await _action(hass, "press_button", GARAGE, button="zone_4")
    assert state_of(hass, gate) == "on"
    # Timers fire up to 0.5 s early in tests (async_fire_time_changed).
    await tick(hass, freezer, closed_for - 1)
    assert state_of(hass, gate) == "on"
    await tick(hass, freezer, 1.5)
    assert state_of(hass, gate) == "off"


async def test_emergency_rehearsal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    notifications: list[ServiceCall],
) -> None:
    """At the chosen time the group's input opens, stays open, closes; the report says which zones followed."""
    workbench = "switch.garage_panel_workbench"
    zone_1 = "switch.hall_panel_zone_1"
    await _use(
        hass,
        "emergency_rehearsal.yaml",
        {
            "cci_module": _device_id(hass, HALL),
            "hold": {"minutes": 2},
            "zones_on": [zone_1, "switch.garage_panel_zone_2"],
            # The hall's zones go on in override: expecting zone 2 off is a finding.
            "zones_off": ["switch.hall_panel_zone_2"],
            "zones_unchanged": [workbench],
            "at": "03:00:00",
            "notify_action": NOTIFY,
        },
    )
    now = dt_util.now()
    freezer.move_to(datetime(now.year + 1, 1, 4, 2, 59, 50, tzinfo=now.tzinfo))
    # The automation waits through its delay: the loop runs without waiting for it to finish.
    await _fire_and_run(
        hass,
        freezer,
        11,
        lambda: (
            state_of(hass, "binary_sensor.hall_panel_manual_override_input") == "on"
        ),
    )
    # The whole group (the garage and the hall) is in override, the kitchen is not.
    assert state_of(hass, "binary_sensor.garage_panel_manual_override_input") == "on"
    assert state_of(hass, "binary_sensor.kitchen_panel_manual_override_input") == "off"
    assert state_of(hass, zone_1) == "on"
    assert state_of(hass, workbench) == "off"
    assert notifications == []
    await _fire_and_run(hass, freezer, 121, lambda: bool(notifications))
    await hass.async_block_till_done()
    assert state_of(hass, "binary_sensor.hall_panel_manual_override_input") == "off"
    assert state_of(hass, zone_1) == "off"  # back to where it was (C5)
    assert len(notifications) == 1
    assert notifications[0].data == {
        "title": "Emergency rehearsal: zones did not follow",
        "message": "Emergency rehearsal of Hall panel's CCI group: 3 of 4 zones followed their override "
        "levels. Followed: Hall panel Zone 1, Garage panel Zone 2, Garage panel Workbench. "
        "Did not follow: Hall panel Zone 2.",
    }
    # The time trigger waits for the next day: stop it.
    await hass.services.async_call(
        "automation",
        "turn_off",
        {"entity_id": "automation.emergency_rehearsal"},
        blocking=True,
    )


async def test_keypad_button_action(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """The chosen keypad button's chosen event runs the chosen actions; its other events and buttons do not."""
    light = "light.dining_room_dimmers_zone_3"
    await _use(
        hass,
        "keypad_button_action.yaml",
        {
            "button_event": "event.kitchen_keypad_button_2",
            "events": ["long_press"],
            "actions": [{"action": "light.toggle", "target": {"entity_id": light}}],
        },
    )
    await _action(hass, "press_keypad_button", KITCHEN_KEYPAD, button=2)
    await _action(hass, "press_keypad_button", KITCHEN_KEYPAD, button=1, gesture="hold")
    await tick(hass, freezer, 3)
    await _action(
        hass, "press_keypad_button", KITCHEN_KEYPAD, button=1, gesture="release"
    )
    assert state_of(hass, light) == "off"
    await _action(hass, "press_keypad_button", KITCHEN_KEYPAD, button=2, gesture="hold")
    await tick(hass, freezer, 3)
    assert state_of(hass, light) == "on"
    await _action(
        hass, "press_keypad_button", KITCHEN_KEYPAD, button=2, gesture="release"
    )
    assert state_of(hass, light) == "on"
