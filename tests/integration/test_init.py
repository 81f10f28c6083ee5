"""Setting up, persisting, unloading and removing a config entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import socket
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx import runtime as runtime_module
from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_SERVE,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator.description import (
    default_processor_serial,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.runtime import HomeworksQsxRuntime
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_STOP,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from .conftest import (
    GARAGE,
    HALL,
    KITCHEN,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    counted_data,
    emulated_backend,
    emulated_data,
    get_device,
    get_state,
    state_of,
)

STORE_KEY = f"{DOMAIN}.01JQSXTESTENTRY0000000000"
ISLAND = "switch.kitchen_panel_island"


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The emulated house sets up, and unloading stops every entity."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(ISLAND) is not None
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert state_of(hass, ISLAND) == "unavailable"


async def test_devices(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A processor device, and one device per module attached to it."""
    devices = sorted(
        dr.async_entries_for_config_entry(device_registry, init_integration.entry_id),
        key=lambda device: device.name or "",
    )
    assert len(devices) == 4
    processor = device_registry.async_get_device_by_identifier(
        (DOMAIN, PROCESSOR), init_integration.entry_id
    )
    assert processor is not None
    for device in devices:
        if device.id != processor.id:
            assert device.via_device_id == processor.id
    assert devices == snapshot


async def test_setup_from_module_counts(hass: HomeAssistant) -> None:
    """An entry built from module counts sets up with default names."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=counted_data(),
        title="Counted",
        unique_id=default_processor_serial("Counted"),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(entry.runtime_data.backend.description.modules) == 3
    assert get_state(hass, "switch.module_1_1_zone_1").name == "Module 1.1 Zone 1"


@pytest.mark.parametrize(
    ("model", "modules_per_link"),
    [("HQP7-1", [2]), ("HQP7-2", [2, 1]), ("HQP7-MDU-1", [2]), ("HQP7-MDU-2", [2, 1])],
)
async def test_entries_keep_the_stored_model_number(
    hass: HomeAssistant, model: str, modules_per_link: list[int]
) -> None:
    """Entries store the model number, as every earlier version did; the form's lower-case keys change nothing."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=counted_data(
            **{CONF_MODEL: model, CONF_MODULES_PER_LINK: modules_per_link}
        ),
        title="Counted",
        unique_id=default_processor_serial("Counted"),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.backend.description.processor.model.value == model
    assert entry.data[CONF_MODEL] == model
    assert entry.unique_id is not None
    assert get_device(hass, entry.entry_id, entry.unique_id).model_id == model


async def test_state_survives_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Changes are stored within a second, and come back after a restart."""
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": ISLAND},
        blocking=True,
    )
    await emulated_backend(init_integration).async_simulate(
        GARAGE, Fault.TEMPERATURE, 42.5
    )
    freezer.tick(timedelta(seconds=1.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]["emulator"]["modules"]
    assert stored[KITCHEN]["levels"][0] is True
    assert stored[GARAGE]["temperature_c"] == 42.5

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, ISLAND) == "on"
    assert state_of(hass, "sensor.garage_panel_temperature") == "42.5"


async def test_busy_system_is_still_saved(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Changes every 0.4 s do not postpone the write: it happens a second after the first change."""
    backend = emulated_backend(init_integration)
    hass_storage.pop(STORE_KEY, None)
    for step in range(6):
        await backend.async_simulate(KITCHEN, Fault.TEMPERATURE, 30.0 + step)
        freezer.tick(timedelta(seconds=0.4))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]["emulator"]["modules"]
    assert 30.0 <= stored[KITCHEN]["temperature_c"] <= 35.0


async def test_unload_writes_state(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading writes the state at once, with no timer left behind."""
    hass_storage.pop(STORE_KEY, None)
    await emulated_backend(init_integration).async_simulate(KITCHEN, Fault.CCI, True)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[STORE_KEY]["data"]["emulator"]["modules"][KITCHEN]["cci_open"]


async def test_invalid_stored_state(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A stored system that cannot be read is a setup error, not a crash."""
    hass_storage[STORE_KEY] = {
        "version": 1,
        "key": STORE_KEY,
        "data": {"emulator": {"format": 1, "description": {"links": "many"}}},
    }
    mock_config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert "cannot be loaded" in (mock_config_entry.reason or "")


async def test_missing_description_file(hass: HomeAssistant, tmp_path: Any) -> None:
    """A description file that disappeared before the first start is a setup error."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=emulated_data(**{CONF_DESCRIPTION_PATH: str(tmp_path / "gone.yaml")}),
        unique_id=PROCESSOR,
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.parametrize("backend", ["other", None])
async def test_invalid_backend(hass: HomeAssistant, backend: str | None) -> None:
    """Entry data naming no known backend is a setup error."""
    entry = MockConfigEntry(
        domain=DOMAIN, data=emulated_data(**{CONF_BACKEND: backend}), unique_id="x"
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_invalid_live_data(hass: HomeAssistant) -> None:
    """Live entry data without a host is a setup error."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_BACKEND: "live"}, unique_id="x")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


def _serve_data(lip_port: int, http_port: int) -> dict[str, Any]:
    return emulated_data(
        **{
            CONF_SERVE: True,
            CONF_HOST: "127.0.0.1",
            CONF_LIP_PORT: lip_port,
            CONF_HTTP_PORT: http_port,
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
        }
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _can_connect(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_serve_and_unload_closes_ports(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """A served emulated system listens on its ports, and unloading closes them."""
    lip_port, http_port = _free_port(), _free_port()
    entry = MockConfigEntry(
        domain=DOMAIN, data=_serve_data(lip_port, http_port), unique_id=PROCESSOR
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is not None
    assert await _can_connect(lip_port)
    assert await _can_connect(http_port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert not await _can_connect(lip_port)
    assert not await _can_connect(http_port)


async def test_serve_port_in_use(socket_enabled: None, hass: HomeAssistant) -> None:
    """A port in use makes the setup retry later."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        entry = MockConfigEntry(
            domain=DOMAIN,
            data=_serve_data(busy.getsockname()[1], _free_port()),
            unique_id=PROCESSOR,
        )
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_stop_closes_ports(socket_enabled: None, hass: HomeAssistant) -> None:
    """Home Assistant stopping closes the served ports (entries are not unloaded then)."""
    lip_port = _free_port()
    entry = MockConfigEntry(
        domain=DOMAIN, data=_serve_data(lip_port, _free_port()), unique_id=PROCESSOR
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not await _can_connect(lip_port)


@pytest.fixture
def long_save_delay(monkeypatch: pytest.MonkeyPatch) -> float:
    """Make the save delay far longer than a set-up takes on a loaded machine (the store times it on the loop)."""
    delay = 60.0
    monkeypatch.setattr(runtime_module, "SAVE_DELAY_SECONDS", delay)
    return delay


async def test_new_system_is_written_after_setup(
    hass: HomeAssistant,
    long_save_delay: float,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new system is written once the save delay has passed: the set-up does not wait for the disk."""
    assert STORE_KEY not in hass_storage
    freezer.tick(timedelta(seconds=long_save_delay + 0.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[STORE_KEY]["data"]["emulator"]["modules"]
    assert set(stored) == {KITCHEN, GARAGE, HALL}


async def test_new_system_is_written_on_unload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unloading a new system before its first write writes it at once."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert set(hass_storage[STORE_KEY]["data"]["emulator"]["modules"]) == {
        KITCHEN,
        GARAGE,
        HALL,
    }


async def test_remove_entry_forgets_state(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Deleting the entry deletes the stored emulated system."""
    freezer.tick(timedelta(seconds=1.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert STORE_KEY in hass_storage
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY not in hass_storage


async def test_remove_served_entry(
    socket_enabled: None,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Deleting a served emulated system closes its ports and deletes its stored state."""
    lip_port, http_port = _free_port(), _free_port()
    entry = MockConfigEntry(
        domain=DOMAIN, data=_serve_data(lip_port, http_port), unique_id=PROCESSOR
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=1.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    store_key = f"{DOMAIN}.{entry.entry_id}"
    assert store_key in hass_storage
    assert await _can_connect(lip_port)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key not in hass_storage
    assert not await _can_connect(lip_port)
    assert not await _can_connect(http_port)


async def test_remove_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Devices of the system cannot be deleted by hand; a device no longer in it can."""
    assert await async_setup_component(hass, "config", {})
    entry_id = init_integration.entry_id
    processor = device_registry.async_get_device_by_identifier(
        (DOMAIN, PROCESSOR), entry_id
    )
    kitchen = device_registry.async_get_device_by_identifier(
        (DOMAIN, KITCHEN), entry_id
    )
    stale = device_registry.async_get_or_create(
        config_entry_id=entry_id, identifiers={(DOMAIN, "DEADBEEF")}
    )
    assert processor is not None
    assert kitchen is not None
    integration = hass.data["custom_components"][DOMAIN]
    module = await integration.async_get_component()
    assert not await module.async_remove_config_entry_device(
        hass, init_integration, processor
    )
    assert not await module.async_remove_config_entry_device(
        hass, init_integration, kitchen
    )
    assert await module.async_remove_config_entry_device(hass, init_integration, stale)


async def test_stale_devices_removed_at_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device of a module that is no longer in the system is removed when the entry sets up."""
    mock_config_entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "DEADBEEF")},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, "DEADBEEF"), mock_config_entry.entry_id
        )
        is None
    )


async def test_platform_failure_stops_everything(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A failing platform setup leaves nothing running behind."""
    mock_config_entry.add_to_hass(hass)
    with patch.object(
        hass.config_entries,
        "async_forward_entry_setups",
        side_effect=RuntimeError("platform broke"),
    ):
        assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    backend = mock_config_entry.runtime_data.backend
    assert not backend.connected


async def test_unload_refused_by_a_platform(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """When a platform refuses to unload, the system keeps running."""
    with patch.object(
        hass.config_entries, "async_unload_platforms", return_value=False
    ):
        assert not await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.runtime_data.backend.connected


async def test_system_events_change_no_module(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An event about the system as a whole changes no module, and the entry follows it without an error."""
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": ISLAND}, blocking=True
    )
    before = get_state(hass, ISLAND)
    assert before.state == "on"
    caplog.clear()
    init_integration.runtime_data.backend.events.publish(Event(EventKind.MODE, None))
    await hass.async_block_till_done()
    after = get_state(hass, ISLAND)
    assert after.state == "on"
    assert after.last_updated == before.last_updated
    assert [
        record for record in caplog.records if record.levelno >= logging.ERROR
    ] == []


async def test_entities_follow_when_the_entry_work_fails(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure in the entry's own work on a change is logged, and the entities still show the change."""
    with patch.object(
        HomeworksQsxRuntime,
        "async_schedule_save",
        side_effect=RuntimeError("saving broke"),
    ):
        await emulated_backend(init_integration).async_simulate(
            KITCHEN, Fault.CCI, True
        )
        await hass.async_block_till_done()
    assert state_of(hass, "binary_sensor.kitchen_panel_manual_override_input") == "on"
    assert "saving broke" in caplog.text


async def test_module_removed_while_disconnecting(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Entities of a removed module are gone at once: a disconnection right after does not reach them."""
    backend = emulated_backend(init_integration)
    backend.emulator.remove_module(GARAGE)
    await backend.async_stop()
    await hass.async_block_till_done()
    assert hass.states.get("switch.garage_panel_workbench") is None


async def test_serve_without_password(hass: HomeAssistant) -> None:
    """Serving without a password is refused: the stored data is invalid (nothing is bound)."""
    data = _serve_data(2323, 8080)
    entry = MockConfigEntry(
        domain=DOMAIN, data={**data, CONF_PASSWORD: ""}, unique_id=PROCESSOR
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
