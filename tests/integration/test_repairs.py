"""Repair issues: a CCI left open without override device."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homeworks_qsx.const import CONF_CCI_REPAIR_MINUTES, DOMAIN
from custom_components.homeworks_qsx.issues import cci_issue_id
from custom_components.homeworks_qsx.qsx.const import Fault
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from .conftest import GARAGE, KITCHEN

ISSUE = cci_issue_id(KITCHEN)


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float
) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _open(entry: MockConfigEntry, serial: str, open_: bool = True) -> None:
    await entry.runtime_data.backend.async_simulate(serial, Fault.CCI, open_)


async def test_cci_open_too_long(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A CCI open for more than 10 minutes without override device raises an issue; closing clears it."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 9)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None
    await _advance(hass, freezer, 1.5)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE)
    assert issue is not None
    assert issue.translation_key == "cci_open"
    assert issue.translation_placeholders == {
        "module": "Kitchen panel",
        "minutes": "10",
    }
    assert not issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING

    await _open(init_integration, KITCHEN, False)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_cci_closed_in_time(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A CCI closed before the threshold raises nothing."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 5)
    await _open(init_integration, KITCHEN, False)
    await _advance(hass, freezer, 10)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_cci_group_is_not_an_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Modules wired to an override device (a CCI group) are in override on purpose."""
    await _open(init_integration, GARAGE)
    await _advance(hass, freezer, 30)
    assert not [
        issue for issue in issue_registry.issues.values() if issue.domain == DOMAIN
    ]


async def test_threshold_option(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A changed threshold applies at once, also to a CCI that is open already."""
    await _open(init_integration, KITCHEN)
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_CCI_REPAIR_MINUTES: 2}
    )
    await hass.async_block_till_done()
    await _advance(hass, freezer, 2.5)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["minutes"] == "2"


async def test_open_at_start(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A CCI still open after a restart is watched again; one closed meanwhile clears its issue."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 11)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is not None
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await _advance(hass, freezer, 11)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is not None

    await _open(init_integration, KITCHEN, False)
    await _open(init_integration, KITCHEN)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    # The contact closed while Home Assistant was not running.
    stored = hass_storage[f"{DOMAIN}.{init_integration.entry_id}"]["data"]
    stored["emulator"]["modules"][KITCHEN]["cci_open"] = False
    stored["emulator"]["modules"][KITCHEN]["override_active"] = False
    stored["emulator"]["modules"][KITCHEN]["saved_levels"] = None
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="cci_open",
    )
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_removed_module_clears_issue(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A module removed from the system takes its issue and its timer with it."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 11)
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    await _open(init_integration, GARAGE)
    backend.emulator.remove_module(KITCHEN)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_removed_module_cancels_watch(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A module removed while its CCI is watched raises nothing later."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 5)
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    backend.emulator.remove_module(KITCHEN)
    await _advance(hass, freezer, 10)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE) is None


async def test_module_changed_while_watched(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Changing a module's settings keeps watching its open CCI from when it opened."""
    await _open(init_integration, KITCHEN)
    await _advance(hass, freezer, 6)
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    module = backend.description.device(KITCHEN)
    backend.emulator.update_module(replace(module, name="Chef panel"))
    await _advance(hass, freezer, 5)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["module"] == "Chef panel"


async def test_module_whose_device_was_deleted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A module changed or removed after its device was deleted by hand raises nothing."""
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, GARAGE), init_integration.entry_id
    )
    assert device is not None
    device_registry.async_remove_device(device.id)
    await hass.async_block_till_done()
    module = backend.description.device(GARAGE)
    backend.emulator.update_module(replace(module, name="Shed panel"))
    backend.emulator.remove_module(GARAGE)
    await hass.async_block_till_done()
    assert (
        device_registry.async_get_device_by_identifier(
            (DOMAIN, GARAGE), init_integration.entry_id
        )
        is None
    )
