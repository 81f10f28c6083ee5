"""The Energy dashboard accepts a module as an individual device: its own validation reports no issue."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    get_start_time,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceGenerator,
    WebSocketGenerator,
)

from homeassistant.components.recorder.core import Recorder
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from .conftest import state_of


@pytest.fixture
def mock_recorder_before_hass(
    async_setup_recorder_instance: RecorderInstanceGenerator,
) -> None:
    """Prepare the recorder's database before Home Assistant starts."""


ENERGY = "sensor.kitchen_panel_energy"
POWER = "sensor.kitchen_panel_power"
ZONE_ENERGY = "sensor.kitchen_panel_island_energy"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_energy_dashboard_validation(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With a module's energy and power, and a zone's energy, as devices: `energy/validate` finds nothing."""
    assert await async_setup_component(hass, "energy", {})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "switch",
        "turn_on",
        {ATTR_ENTITY_ID: "switch.kitchen_panel_island"},
        blocking=True,
    )
    period = get_start_time(dt_util.utcnow())
    for _ in range(6):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert float(state_of(hass, ENERGY)) > 0
    await async_wait_recording_done(hass)
    # The statistics of the period that just ended define the sensors' statistics.
    do_adhoc_statistics(hass, start=period)
    await async_wait_recording_done(hass)

    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "energy/save_prefs",
            "device_consumption": [
                {"stat_consumption": ENERGY, "stat_rate": POWER},
                {"stat_consumption": ZONE_ENERGY, "included_in_stat": ENERGY},
            ],
        }
    )
    saved = await client.receive_json()
    assert saved["success"], saved
    await client.send_json_auto_id({"type": "energy/validate"})
    result = await client.receive_json()
    assert result["success"], result
    assert result["result"]["energy_sources"] == []
    assert result["result"]["device_consumption"] == [[], []]
