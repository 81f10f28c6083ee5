"""One user scenario, run on an emulated system and on a live processor: both behave the same."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .conftest import (
    KITCHEN,
    PROCESSOR,
    emulated_data,
    get_device,
    get_state,
    live_data,
    state_of,
    wait_for,
)

ISLAND = "switch.kitchen_panel_island"
PENDANTS = "switch.kitchen_panel_pendants"
UNDER_CABINET = "switch.kitchen_panel_under_cabinet"
GATE = "switch.kitchen_panel_gate"
CCI = "binary_sensor.kitchen_panel_manual_override_input"
MODE = "sensor.kitchen_panel_operating_mode"
BUTTON = "event.kitchen_panel_button"


@dataclass
class System:
    """A set-up system, and the panel where a person acts on its hardware."""

    entry: MockConfigEntry
    panel: Emulator


@pytest.fixture(params=["emulated", "live"])
async def system(  # noqa: PLR0917
    request: pytest.FixtureRequest,
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
    fast_live_timing: None,
) -> AsyncGenerator[System]:
    """Set up the emulated house, either inside Home Assistant or behind the LIP server.

    The clock is frozen before anything starts: freezing it later would make every running timer due at once.
    """
    if request.param == "emulated":
        data = emulated_data()
    else:
        data = live_data(lip_server.port, lip_server.http_port or 0)
    entry = MockConfigEntry(
        domain=DOMAIN, title="Test house", unique_id=PROCESSOR, data=data
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    backend = entry.runtime_data.emulated
    yield System(entry, backend.emulator if backend else lip_server.emulator)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_user_scenario(
    hass: HomeAssistant, system: System, freezer: FrozenDateTimeFactory
) -> None:
    """Switch, press, override, refuse, restore, pulse: the same states on both backends."""
    kitchen = get_device(hass, system.entry.entry_id, KITCHEN)

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": ISLAND}, blocking=True
    )
    assert state_of(hass, ISLAND) == "on"

    await hass.services.async_call(
        DOMAIN,
        "press_button",
        {"device_id": kitchen.id, "button": "zone_2"},
        blocking=True,
    )
    assert await wait_for(hass, lambda: state_of(hass, PENDANTS) == "on")
    assert await wait_for(
        hass, lambda: get_state(hass, BUTTON).attributes["event_type"] == "zone_2"
    )

    # Someone opens the manual override contact at the panel.
    system.panel.set_cci(KITCHEN, True)
    assert await wait_for(hass, lambda: state_of(hass, CCI) == "on")
    assert await wait_for(hass, lambda: state_of(hass, UNDER_CABINET) == "on")
    assert state_of(hass, MODE) == "manual_override"

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "switch", "turn_off", {"entity_id": ISLAND}, blocking=True
        )
    assert str(err.value) == (
        "Module Kitchen panel is in manual override: its zones follow the override input"
    )

    system.panel.set_cci(KITCHEN, False)
    assert await wait_for(hass, lambda: state_of(hass, MODE) == "normal")
    assert await wait_for(hass, lambda: state_of(hass, UNDER_CABINET) == "off")
    assert state_of(hass, ISLAND) == "on"
    assert state_of(hass, PENDANTS) == "on"

    await hass.services.async_call(
        DOMAIN, "pulse_cco", {"device_id": kitchen.id, "duration": 1}, blocking=True
    )
    assert await wait_for(hass, lambda: state_of(hass, GATE) == "on")
    freezer.tick(timedelta(seconds=1.5))
    async_fire_time_changed(hass)
    assert await wait_for(hass, lambda: state_of(hass, GATE) == "off")

    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": ISLAND}, blocking=True
    )
    assert state_of(hass, ISLAND) == "off"
