"""Event entities: presses of the buttons on a module."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.qsx.const import Button, Fault
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import KITCHEN, get_state, state_of

BUTTON = "event.kitchen_panel_button"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only events."""
    return [Platform.EVENT]


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One button event entity per module, with its event types."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    # one button entity per module
    assert len(entries) == 3


async def test_presses(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A zone button and Prog pressed at the module fire events."""
    backend = init_integration.runtime_data.backend
    await backend.async_press_button(KITCHEN, Button.ZONE_2)
    state = get_state(hass, BUTTON)
    assert state.attributes["event_type"] == "zone_2"
    first = state.state
    await backend.async_press_button(KITCHEN, Button.PROG)
    state = get_state(hass, BUTTON)
    assert state.attributes["event_type"] == "prog"
    assert state.state >= first


async def test_unavailable_when_stopped(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Other module changes leave the event alone; a stopped backend makes it unavailable."""
    backend = init_integration.runtime_data.backend
    await backend.async_simulate(KITCHEN, Fault.TEMPERATURE, 30)
    assert state_of(hass, BUTTON) == "unknown"
    await backend.async_stop()
    assert state_of(hass, BUTTON) == "unavailable"
