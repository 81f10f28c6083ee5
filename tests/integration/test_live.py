"""A live processor: the emulated house served by the real LIP server on loopback, reached over the network."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.issues import database_issue_id
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import InvalidDatabaseError
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from .conftest import (
    KITCHEN,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    get_device,
    live_data,
    state_of,
    tick,
    wait_for,
)

ISLAND = "switch.kitchen_panel_island"
CCI = "binary_sensor.kitchen_panel_manual_override_input"
MODE = "sensor.kitchen_panel_operating_mode"
CONNECTION = "binary_sensor.test_house_connection"

pytestmark = pytest.mark.usefixtures("fast_live_timing")


def _entry(hass: HomeAssistant, server: LipServer, **data: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data=live_data(server.port, server.http_port or 0, **data),
    )
    entry.add_to_hass(hass)
    return entry


async def _setup(hass: HomeAssistant, server: LipServer) -> MockConfigEntry:
    entry = _entry(hass, server)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _restart(server: LipServer) -> LipServer:
    """Serve the same emulator on the same ports again (the processor comes back)."""
    again = LipServer(
        server.emulator,
        "127.0.0.1",
        server.port,
        USERNAME,
        PASSWORD,
        http_port=server.http_port,
    )
    await again.start()
    return again


def _integration_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return what the integration itself logged (not the library)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.homeworks_qsx"
    ]


def _reauth_flows(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def _tick_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    condition: Callable[[], bool],
    seconds: float = 1.5,
) -> bool:
    """Move the clock on `seconds` at a time, letting loopback round trips complete in between, until `condition`.

    The client may start a reconnection delay only after a tick (it is still closing the old socket): ticking
    again until the condition holds does not depend on that timing. Returns whether it held within the bound.
    """
    for _ in range(20):
        await tick(hass, freezer, seconds)
        for _ in range(200):
            if condition():
                return True
            await asyncio.sleep(0)
            await hass.async_block_till_done()
    return False


async def test_entities_of_a_live_system(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """What a processor cannot report (relay counts, temperature) is not created."""
    await _setup(hass, lip_server)
    assert state_of(hass, ISLAND) == "off"
    assert state_of(hass, MODE) == "normal"
    assert state_of(hass, CONNECTION) == "on"
    assert hass.states.get("sensor.kitchen_panel_temperature") is None
    assert hass.states.get("binary_sensor.kitchen_panel_high_temperature") is None
    entity_ids = hass.states.async_entity_ids()
    assert not [
        entity_id for entity_id in entity_ids if "relay_operations" in entity_id
    ]
    processor = get_device(
        hass, hass.config_entries.async_entries(DOMAIN)[0].entry_id, PROCESSOR
    )
    assert processor.configuration_url == f"http://127.0.0.1:{lip_server.http_port}/"


async def test_commands_and_reports(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """Commands reach the processor; changes at the panel come back as reports."""
    await _setup(hass, lip_server)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": ISLAND}, blocking=True
    )
    assert state_of(hass, ISLAND) == "on"
    assert lip_server.emulator.state(KITCHEN).zones[0].on

    lip_server.emulator.set_cci(KITCHEN, True)
    assert await wait_for(hass, lambda: state_of(hass, CCI) == "on")
    assert state_of(hass, MODE) == "manual_override"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "switch", "turn_off", {"entity_id": ISLAND}, blocking=True
        )
    assert err.value.translation_key == "ignored_manual_override"


async def test_simulation_refused(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """A live system's wires cannot be cut from Home Assistant."""
    entry = await _setup(hass, lip_server)
    device = get_device(hass, entry.entry_id, KITCHEN)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_cci", {"device_id": device.id, "open": True}, blocking=True
        )
    assert err.value.translation_key == "simulation_not_supported"


async def test_unavailable_and_back(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable when the link drops, with one log line; states are read again on return."""
    entry = await _setup(hass, lip_server)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="custom_components.homeworks_qsx")
    await lip_server.stop()
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "unavailable")
    assert state_of(hass, CONNECTION) == "off"

    device = get_device(hass, entry.entry_id, KITCHEN)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "pulse_cco", {"device_id": device.id}, blocking=True
        )
    assert err.value.translation_key == "not_connected"

    # Changed while Home Assistant could not see it.
    lip_server.emulator.set_zone(KITCHEN, 1, True)
    server = await _restart(lip_server)
    try:
        # The first reconnection attempt comes at most reconnect_min (1 s) later.
        await tick(hass, freezer, 1.5)
        assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "on")
        assert state_of(hass, CONNECTION) == "on"
        assert _integration_log(caplog) == [
            "Connection to Test house is lost",
            "Connection to Test house is back",
        ]
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def test_keepalive_detects_a_silent_processor(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
) -> None:
    """A processor that stops answering is noticed within the keepalive window."""
    await _setup(hass, lip_server)
    lip_server._reply_delay = (
        3600.0  # the processor hangs: lines are read, never answered
    )
    for _ in range(4):
        await tick(hass, freezer, 10)
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "unavailable")
    lip_server._reply_delay = 0.0


async def test_setup_errors(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """No connection: retry later. Invalid database: retry later. Rejected login: reauthentication."""
    entry = _entry(hass, lip_server, lip_port=1)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert await hass.config_entries.async_unload(entry.entry_id)

    with patch.object(
        LipBackend, "async_start", side_effect=InvalidDatabaseError("bad")
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert await hass.config_entries.async_unload(entry.entry_id)

    hass.config_entries.async_update_entry(
        entry, data=live_data(lip_server.port, lip_server.http_port or 0, password="x")
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_credentials_changed_on_the_processor(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """New password on the processor: lost, reauthentication at once, no more logins; the new password reloads."""
    entry = await _setup(hass, lip_server)
    caplog.set_level(logging.INFO, logger="custom_components.homeworks_qsx")
    caplog.clear()
    # The processor gets a new password and drops its sessions, then serves again with the new login.
    lip_server._password = "changed"
    await lip_server.stop()
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "unavailable")
    await lip_server.start()

    # The first reconnection attempt comes at most reconnect_min (1 s) later and is refused.
    assert await _tick_until(hass, freezer, lambda: bool(_reauth_flows(hass)))
    assert _integration_log(caplog) == [
        "Connection to Test house is lost",
        "Test house rejects the stored login",
    ]
    assert entry.runtime_data.backend.diagnostics()["credentials_rejected"] is True
    assert lip_server.diagnostics()["failed_logins"] == 1
    # Longer than reconnect_max (4 s) three times over: the rejected login is not tried again.
    for _ in range(3):
        await tick(hass, freezer, 5)
    assert lip_server.diagnostics()["failed_logins"] == 1
    assert state_of(hass, ISLAND) == "unavailable"
    assert state_of(hass, CONNECTION) == "off"

    [flow] = _reauth_flows(hass)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: USERNAME, CONF_PASSWORD: "changed"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == "changed"
    await hass.async_block_till_done()
    assert await wait_for(hass, lambda: entry.state is ConfigEntryState.LOADED)
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "off")
    assert state_of(hass, CONNECTION) == "on"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": ISLAND}, blocking=True
    )
    assert lip_server.emulator.state(KITCHEN).zones[0].on
    assert lip_server.diagnostics()["failed_logins"] == 1


async def test_processor_away_is_not_a_login_problem(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
) -> None:
    """A processor that stays away is tried again and again, and never starts reauthentication."""
    entry = await _setup(hass, lip_server)
    await lip_server.stop()
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "unavailable")
    backend = entry.runtime_data.backend
    assert await _tick_until(
        hass, freezer, lambda: backend.diagnostics()["reconnect_attempts"] >= 3
    )
    assert backend.diagnostics()["credentials_rejected"] is False
    assert not _reauth_flows(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_database_changed(
    socket_enabled: None,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    lip_server: LipServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A module changed in the processor's database is noticed on reconnection; the fix reloads."""
    entry = await _setup(hass, lip_server)
    await lip_server.stop()
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "unavailable")
    module = lip_server.emulator.description.device(KITCHEN)
    lip_server.emulator.update_module(replace(module, name="Chef panel"))
    server = await _restart(lip_server)
    try:
        await tick(hass, freezer, 1.5)
        assert await wait_for(hass, lambda: entry.runtime_data.backend.connected)
        issue_id = database_issue_id(entry.entry_id)
        issue = issue_registry.async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.is_fixable

        assert await async_setup_component(hass, "repairs", {})
        flow_manager = repairs_flow_manager(hass)
        assert flow_manager is not None
        result = await flow_manager.async_init(DOMAIN, data={"issue_id": issue_id})
        assert result["step_id"] == "confirm"
        result = await flow_manager.async_configure(result["flow_id"], {})
        assert result["type"] == "create_entry"
        await hass.async_block_till_done()
        assert await wait_for(hass, lambda: entry.state is ConfigEntryState.LOADED)
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
        device = get_device(hass, entry.entry_id, KITCHEN)
        assert device.name == "Chef panel"
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def test_live_diagnostics(
    socket_enabled: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lip_server: LipServer,
) -> None:
    """The connection state and counters, host and credentials redacted."""
    entry = await _setup(hass, lip_server)
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, entry
    )
    assert diagnostics["connected"] is True
    assert diagnostics["connection"]["backend"] == "lip"
    assert diagnostics["connection"]["host"] == "**REDACTED**"
    assert diagnostics["connection"]["connects"] == 1
    assert PASSWORD not in str(diagnostics["entry"])
    assert not diagnostics["supports_simulation"]


async def test_emulated_state_on_live_server(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """A physical condition changed at the processor shows on a live system too."""
    await _setup(hass, lip_server)
    lip_server.emulator.simulate(KITCHEN, Fault.POWER, False)
    assert await wait_for(hass, lambda: state_of(hass, MODE) == "no_power")


async def test_remove_live_entry(
    socket_enabled: None,
    hass: HomeAssistant,
    lip_server: LipServer,
    hass_storage: dict[str, Any],
) -> None:
    """Deleting a live entry ends its session at the processor; nothing of it was ever stored."""
    entry = await _setup(hass, lip_server)
    assert lip_server.diagnostics()["open_sessions"] == 1
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert await wait_for(hass, lambda: lip_server.diagnostics()["open_sessions"] == 0)
    assert f"{DOMAIN}.{entry.entry_id}" not in hass_storage
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
