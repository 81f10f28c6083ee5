"""Power and energy: exact integration with a controlled clock, restarts, lost connections and zone loads."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.homeworks_qsx.const import (
    CONF_DESCRIPTION_PATH,
    CONF_MODULE,
    CONF_PROCESSOR_SERIAL,
    CONF_ZONE_WATTS,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, restore_state
from homeassistant.util import dt as dt_util

from .conftest import (
    FAST_TIMING,
    GARAGE,
    HALL,
    KITCHEN,
    PASSWORD,
    USERNAME,
    counted_data,
    emulated_data,
    live_data,
    state_of,
    wait_for,
)

EXAMPLE_HOUSE = Path(__file__).parents[2] / "examples" / "house.yaml"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

# The example house: the hall panel's coat closet is a 60 W zone.
CLOSET = "switch.hall_panel_coat_closet"
CLOSET_ENERGY = "sensor.hall_panel_coat_closet_energy"
CLOSET_POWER = "sensor.hall_panel_coat_closet_power"
HALL_ENERGY = "sensor.hall_panel_energy"
HALL_POWER = "sensor.hall_panel_power"
EXAMPLE_TOTAL = "sensor.maple_street_house_total_power"

# The test house: the kitchen island is a 600 W zone, the kitchen's zone 4 has no load.
ISLAND = "switch.kitchen_panel_island"
KITCHEN_ENERGY = "sensor.kitchen_panel_energy"
KITCHEN_POWER = "sensor.kitchen_panel_power"
ISLAND_ENERGY = "sensor.kitchen_panel_island_energy"
TOTAL = "sensor.test_house_total_power"

ENABLED = pytest.mark.usefixtures("entity_registry_enabled_by_default")


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float
) -> None:
    """Move the clock on, one minute at a time, firing the timers that fall due."""
    whole = int(minutes)
    for _ in range(whole):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    if rest := minutes - whole:
        freezer.tick(timedelta(minutes=rest))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def _switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


def _kwh(hass: HomeAssistant, entity_id: str) -> float:
    return float(state_of(hass, entity_id))


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _down_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    minutes: float,
) -> None:
    """Unload the entry, let the minutes pass, and set it up again: Home Assistant down in between."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await _tick(hass, freezer, minutes)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _closet_on_from_start(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Set up the example house at the start time and switch its 60 W closet light on."""
    freezer.move_to(START)
    await _setup(hass, entry)
    await _switch(hass, CLOSET, True)


@pytest.fixture
def example_entry() -> MockConfigEntry:
    """Return the example house of the README, emulated."""
    description = load_description(EXAMPLE_HOUSE)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Maple Street house",
        data=emulated_data(
            **{
                CONF_DESCRIPTION_PATH: str(EXAMPLE_HOUSE),
                CONF_PROCESSOR_SERIAL: description.processor.serial,
            }
        ),
        unique_id=description.processor.serial,
    )


@ENABLED
async def test_one_hour_of_a_60_w_zone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, example_entry: MockConfigEntry
) -> None:
    """On the example house, a 60 W zone on for one hour reads 0.060 kWh, for the zone and its module."""
    freezer.move_to(START)
    await _setup(hass, example_entry)
    assert state_of(hass, HALL_POWER) == "0.0"
    await _switch(hass, CLOSET, True)
    assert state_of(hass, HALL_POWER) == "60.0"
    assert state_of(hass, CLOSET_POWER) == "60.0"
    assert state_of(hass, EXAMPLE_TOTAL) == "60.0"
    await _tick(hass, freezer, 30)
    # Written at each statistics period boundary while power is drawn.
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.030, abs=1e-9)
    await _tick(hass, freezer, 30)
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.060, abs=1e-9)
    assert _kwh(hass, CLOSET_ENERGY) == pytest.approx(0.060, abs=1e-9)
    await _switch(hass, CLOSET, False)
    await _tick(hass, freezer, 60)
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.060, abs=1e-9)
    assert state_of(hass, EXAMPLE_TOTAL) == "0.0"
    energy = hass.states.get(HALL_ENERGY)
    assert energy is not None
    assert energy.attributes[ATTR_DEVICE_CLASS] == "energy"
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kWh"
    assert energy.attributes[ATTR_STATE_CLASS] is SensorStateClass.TOTAL_INCREASING
    power = hass.states.get(HALL_POWER)
    assert power is not None
    assert power.attributes[ATTR_DEVICE_CLASS] == "power"
    assert power.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert power.attributes[ATTR_STATE_CLASS] is SensorStateClass.MEASUREMENT


@ENABLED
async def test_restart_in_between_changes_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, example_entry: MockConfigEntry
) -> None:
    """An emulated system keeps its zones while Home Assistant is down: that time counts, the reading is restored."""
    await _closet_on_from_start(hass, freezer, example_entry)
    await _tick(hass, freezer, 20)
    # Home Assistant is down, the emulated closet light stays on.
    await _down_for(hass, freezer, example_entry, 15)
    assert state_of(hass, CLOSET) == "on"
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.035, abs=1e-9)
    await _tick(hass, freezer, 25)
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.060, abs=1e-9)
    assert _kwh(hass, CLOSET_ENERGY) == pytest.approx(0.060, abs=1e-9)


@ENABLED
async def test_stop_saves_the_reading_up_to_the_stop(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    example_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """When Home Assistant stops, the reading is saved with the time it was counted up to: the stop."""
    await _closet_on_from_start(hass, freezer, example_entry)
    await _tick(hass, freezer, 10)
    stop = dt_util.utcnow()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await _tick(hass, freezer, 3)  # the final write comes later
    await restore_state.async_get(hass).async_dump_states()
    stored = {
        item["state"]["entity_id"]: item["extra_data"]
        for item in hass_storage[restore_state.STORAGE_KEY]["data"]
    }
    # The reading is the 60 W counted from the start up to the time saved beside it, no later than the write;
    # a restart counts on from that time.
    counted_until = datetime.fromisoformat(stored[HALL_ENERGY]["counted_until"])
    assert stop <= counted_until <= dt_util.utcnow()
    hours = (counted_until - START).total_seconds() / 3600
    assert stored[HALL_ENERGY]["kwh"] == pytest.approx(0.060 * hours, abs=1e-9)


@ENABLED
async def test_restart_with_the_zone_off_counts_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, example_entry: MockConfigEntry
) -> None:
    """A zone that was off while Home Assistant was down adds nothing; the reading is not reset."""
    await _closet_on_from_start(hass, freezer, example_entry)
    await _tick(hass, freezer, 30)
    await _switch(hass, CLOSET, False)
    await _down_for(hass, freezer, example_entry, 60)
    assert _kwh(hass, HALL_ENERGY) == pytest.approx(0.030, abs=1e-9)


@ENABLED
async def test_bypass_and_power_loss(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The bypass jumper feeds every known load (M13); a module without power draws nothing."""
    backend = init_integration.runtime_data.backend
    await backend.async_simulate(KITCHEN, Fault.BYPASS, True)
    # 600 + 240 + 120 W; zone 4 has no known load.
    assert state_of(hass, KITCHEN_POWER) == "960.0"
    assert state_of(hass, TOTAL) == "960.0"
    await _tick(hass, freezer, 15)
    await backend.async_simulate(KITCHEN, Fault.POWER, False)
    assert state_of(hass, KITCHEN_POWER) == "0.0"
    assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.240, abs=1e-9)
    await _tick(hass, freezer, 15)
    assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.240, abs=1e-9)
    # The garage's 2 A workbench is 240 W at 120 V.
    await backend.async_set_zone(GARAGE, 1, True)
    assert state_of(hass, "sensor.garage_panel_power") == "240.0"
    assert state_of(hass, TOTAL) == "240.0"


async def test_sensors_only_where_the_load_is_known(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A zone or module without a known load has no power or energy sensor; zone sensors are off by default."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    keys = {
        entry.unique_id
        for entry in entries
        if entry.unique_id.endswith(("_power", "_energy"))
    }
    assert f"{KITCHEN}_zone_4_power" not in keys
    assert f"{KITCHEN}_zone_1_energy" in keys
    assert not any(key.startswith(HALL) for key in keys)
    assert f"{GARAGE}_zone_2_power" not in keys


async def test_zone_sensors_disabled_by_default(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Zone sensors are disabled until the user enables them; module sensors are enabled."""
    zone = entity_registry.async_get(ISLAND_ENERGY)
    module = entity_registry.async_get(KITCHEN_ENERGY)
    assert zone is not None
    assert zone.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert module is not None
    assert module.disabled_by is None


@ENABLED
async def test_damaged_restore_data_starts_from_zero(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Stored data that is not a reading is ignored; a negative reading is never shown."""
    freezer.move_to(START)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(KITCHEN_ENERGY, "1.0"), {"kwh": "not a number"}),
            (State(ISLAND_ENERGY, "1.0"), {"kwh": -3.0, "counted_until": None}),
        ],
    )
    entry = MockConfigEntry(domain=DOMAIN, data=emulated_data(), unique_id="x")
    await _setup(hass, entry)
    assert _kwh(hass, KITCHEN_ENERGY) == 0.0
    assert _kwh(hass, ISLAND_ENERGY) == 0.0


@ENABLED
async def test_restored_reading_of_a_fresh_start(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A reading stored by an earlier run is where counting goes on from."""
    freezer.move_to(START)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(KITCHEN_ENERGY, "12.5"),
                {"kwh": 12.5, "counted_until": START.isoformat()},
            )
        ],
    )
    entry = MockConfigEntry(domain=DOMAIN, data=emulated_data(), unique_id="x")
    await _setup(hass, entry)
    assert _kwh(hass, KITCHEN_ENERGY) == 12.5
    await _switch(hass, ISLAND, True)
    await _tick(hass, freezer, 60)
    assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(13.1, abs=1e-9)


@pytest.fixture
def slow_keepalive() -> Generator[None]:
    """Live backends with test timing, but no keepalive during the minutes the clock jumps over."""
    original = LipBackend.__init__

    def init(self: LipBackend, *args: Any, **kwargs: Any) -> None:
        original(
            self,
            *args,
            **{
                "timings": replace(FAST_TIMING, keepalive_interval=86400.0),
                **kwargs,
            },
        )

    with patch.object(LipBackend, "__init__", init):
        yield


@pytest.mark.usefixtures("slow_keepalive")
async def test_live_restart_and_reconnection(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
) -> None:
    """A live processor: time Home Assistant was down and time the connection was lost count nothing."""
    freezer.move_to(START)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        data=live_data(lip_server.port, lip_server.http_port or 0),
        unique_id="live",
    )
    await _setup(hass, entry)
    await _switch(hass, ISLAND, True)
    await _tick(hass, freezer, 10)
    assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.100, abs=1e-9)

    # Down: the live island light may or may not have stayed on.
    await _down_for(hass, freezer, entry, 30)
    assert state_of(hass, ISLAND) == "on"
    assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.100, abs=1e-9)

    await lip_server.stop()
    await wait_for(hass, lambda: state_of(hass, KITCHEN_ENERGY) == STATE_UNAVAILABLE)
    await _tick(hass, freezer, 0.5)
    server = LipServer(
        lip_server.emulator,
        "127.0.0.1",
        lip_server.port,
        USERNAME,
        PASSWORD,
        http_port=lip_server.http_port,
    )
    await server.start()
    try:
        # The client tries again every few seconds: move the clock on until it is back.
        for _ in range(20):
            freezer.tick(timedelta(seconds=1.5))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
            for _ in range(200):
                if state_of(hass, KITCHEN_ENERGY) != STATE_UNAVAILABLE:
                    break
                await asyncio.sleep(0)
                await hass.async_block_till_done()
            else:
                continue
            break
        assert state_of(hass, KITCHEN_ENERGY) != STATE_UNAVAILABLE
        # Unknown for 30 s: only the time since the reconnection counts from now on.
        assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.100, abs=1e-9)
        await _tick(hass, freezer, 10)
        assert _kwh(hass, KITCHEN_ENERGY) == pytest.approx(0.200, abs=1e-9)
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def _loads_flow(
    hass: HomeAssistant, entry: MockConfigEntry, serial: str
) -> ConfigFlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "zone_loads" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "zone_loads"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zone_loads"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MODULE: serial}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "module_loads"
    return result


@ENABLED
async def test_loads_given_in_the_options(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A load given for a zone makes its sensors; 0 W removes them; too much for the module is refused."""
    result = await _loads_flow(hass, init_integration, KITCHEN)
    assert result["description_placeholders"] == {
        "zone_1": "Island",
        "zone_2": "Pendants",
        "zone_3": "Under cabinet",
        "zone_4": "Zone 4",
        "module": "Kitchen panel",
        "zone_max": "960",
        "module_max": "1920",
    }
    flow_id = result["flow_id"]
    # 4 × 600 W is above the module's 16 A (1920 W): refused, nothing stored.
    result = await hass.config_entries.options.async_configure(
        flow_id,
        {f"zone_{number}_watts": 600 for number in range(1, 5)},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "module_overloaded"}
    assert CONF_ZONE_WATTS not in init_integration.options
    # Zone 4 gets 100 W, the under-cabinet light no known load, the others keep the description's.
    result = await hass.config_entries.options.async_configure(
        flow_id, {"zone_3_watts": 0, "zone_4_watts": 100}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options[CONF_ZONE_WATTS] == {
        KITCHEN: {"3": 0.0, "4": 100.0}
    }
    assert state_of(hass, "sensor.kitchen_panel_zone_4_energy") == "0.0"
    # The under-cabinet light's sensors are gone, from the registry too.
    assert (
        entity_registry.async_get_entity_id(
            "sensor", DOMAIN, f"{KITCHEN}_zone_3_energy"
        )
        is None
    )
    backend = init_integration.runtime_data.backend
    await backend.async_set_zone(KITCHEN, 3, True)
    await backend.async_set_zone(KITCHEN, 4, True)
    assert state_of(hass, KITCHEN_POWER) == "100.0"

    # The form suggests the loads in use; an empty form gives the description's loads back.
    result = await _loads_flow(hass, init_integration, KITCHEN)
    schema = result["data_schema"]
    assert schema is not None
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }
    assert suggested == {
        "zone_1_watts": 600.0,
        "zone_2_watts": 240.0,
        "zone_3_watts": 0.0,
        "zone_4_watts": 100.0,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options[CONF_ZONE_WATTS] == {}
    assert state_of(hass, KITCHEN_POWER) == "120.0"


@pytest.mark.usefixtures("fast_live_timing")
async def test_loads_of_a_live_system(
    socket_enabled: None,
    hass: HomeAssistant,
    lip_server: LipServer,
) -> None:
    """A live processor's zones get loads from the options too; its menu offers them beside the repair setting."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        data=live_data(lip_server.port, lip_server.http_port or 0),
        unique_id="live",
    )
    await _setup(hass, entry)
    assert hass.states.get("sensor.hall_panel_power") is None
    result = await _loads_flow(hass, entry, HALL)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"zone_2_watts": 75}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.hall_panel_power") == "0.0"
    lip_server.emulator.set_zone(HALL, 2, True)
    await wait_for(hass, lambda: state_of(hass, "sensor.hall_panel_power") == "75.0")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_loads_flow_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The loads steps need the system running and the module still there."""
    result = await _loads_flow(hass, init_integration, KITCHEN)
    emulated = init_integration.runtime_data.emulated
    assert emulated is not None
    emulated.emulator.remove_module(KITCHEN)
    await hass.async_block_till_done()
    gone = await hass.config_entries.options.async_configure(
        result["flow_id"], {"zone_1_watts": 10}
    )
    assert gone["type"] is FlowResultType.ABORT
    assert gone["reason"] == "module_gone"

    first = await hass.config_entries.options.async_init(init_integration.entry_id)
    first = await hass.config_entries.options.async_configure(
        first["flow_id"], {"next_step_id": "zone_loads"}
    )
    result = await _loads_flow(hass, init_integration, GARAGE)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    for flow_id, user_input in (
        (first["flow_id"], {CONF_MODULE: GARAGE}),
        (result["flow_id"], {"zone_1_watts": 10}),
    ):
        aborted = await hass.config_entries.options.async_configure(flow_id, user_input)
        assert aborted["type"] is FlowResultType.ABORT
        assert aborted["reason"] == "not_loaded"


async def test_system_without_loads(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """A system whose zones carry no load has no power sensor; the first load given adds them, 0 W removes them."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=counted_data(modules_per_link=[1, 0], name="Bare"),
        unique_id="bare",
    )
    await _setup(hass, entry)
    serial = entry.runtime_data.backend.description.modules[0].serial
    processor = entry.runtime_data.backend.description.processor.serial

    def power_sensors() -> set[str]:
        return {
            registered.unique_id
            for registered in er.async_entries_for_config_entry(
                entity_registry, entry.entry_id
            )
            if registered.unique_id.endswith("_power")
        }

    assert power_sensors() == set()
    for watts, expected in (
        (150, {f"{serial}_power", f"{serial}_zone_1_power", f"{processor}_power"}),
        (0, set()),
    ):
        result = await _loads_flow(hass, entry, serial)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"zone_1_watts": watts}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert power_sensors() == expected


async def test_loads_of_an_empty_system(hass: HomeAssistant) -> None:
    """A system without modules has no loads to give."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=counted_data(modules_per_link=[0, 0], name="Empty"),
        unique_id="empty",
    )
    await _setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "zone_loads"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_modules"
