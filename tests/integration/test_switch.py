"""Zone and CCO switches: states, commands, refusals and failures."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.qsx.const import Fault, IgnoredReason
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    CommandIgnoredError,
    CommandTimeoutError,
    ConnectionFailedError,
    QsxError,
    UnknownObjectError,
)
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .conftest import KITCHEN, emulated_backend, state_of

ISLAND = "switch.kitchen_panel_island"
PENDANTS = "switch.kitchen_panel_pendants"
ZONE_4 = "switch.kitchen_panel_zone_4"
GATE = "switch.kitchen_panel_gate"
GARAGE_CCO = "switch.garage_panel_contact_closure_output"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only switches."""
    return [Platform.SWITCH]


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        "switch", service, {"entity_id": entity_id}, blocking=True
    )


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Zones named from the description (or translated "Zone n"), and the CCO."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    # four zones and a contact closure output per module
    assert len(entries) == 3 * 5


async def test_zone_on_off(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Turning a zone on and off switches the module's relay."""
    await _switch(hass, "turn_on", ISLAND)
    assert state_of(hass, ISLAND) == "on"
    assert emulated_backend(init_integration).device_state(KITCHEN).zones[0].on
    await _switch(hass, "turn_off", ISLAND)
    assert state_of(hass, ISLAND) == "off"


async def test_zone_follows_local_press(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A change made at the module shows at once."""
    await emulated_backend(init_integration).async_press_button(KITCHEN, 4)  # type: ignore[arg-type]
    assert state_of(hass, ZONE_4) == "on"


async def test_momentary_cco_pulses(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Turning a momentary CCO on pulses it: it returns to off by itself after its pulse time."""
    await _switch(hass, "turn_on", GATE)
    assert state_of(hass, GATE) == "on"
    freezer.tick(timedelta(seconds=2.5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state_of(hass, GATE) == "off"


async def test_maintained_cco(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A maintained CCO follows on and off."""
    await _switch(hass, "turn_on", GARAGE_CCO)
    assert state_of(hass, GARAGE_CCO) == "on"
    await _switch(hass, "turn_off", GARAGE_CCO)
    assert state_of(hass, GARAGE_CCO) == "off"


@pytest.mark.parametrize(
    ("fault", "value", "key", "message"),
    [
        (
            Fault.CCI,
            True,
            "ignored_manual_override",
            "Module Kitchen panel is in manual override: its zones follow the override input",
        ),
        (
            Fault.POWER,
            False,
            "ignored_no_power",
            "Module Kitchen panel has no power: it cannot switch anything",
        ),
        (
            Fault.LINK,
            False,
            "ignored_no_link",
            "Module Kitchen panel has lost its QS link: the processor cannot reach it",
        ),
        (
            Fault.BYPASS,
            True,
            "ignored_bypass",
            "Module Kitchen panel has its bypass jumper installed: its loads are fed straight from mains",
        ),
    ],
)
async def test_refused_before_sending(  # noqa: PLR0917
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    fault: Fault,
    value: bool,
    key: str,
    message: str,
) -> None:
    """A command the module would ignore is refused with the reason, and nothing is sent."""
    backend = emulated_backend(init_integration)
    await backend.async_simulate(KITCHEN, fault, value)
    before = state_of(hass, PENDANTS)
    with (
        patch.object(EmulatedBackend, "async_set_zone") as set_zone,
        pytest.raises(ServiceValidationError) as err,
    ):
        await _switch(hass, "toggle", PENDANTS)
    assert err.value.translation_key == key
    assert str(err.value) == message
    set_zone.assert_not_called()
    assert state_of(hass, PENDANTS) == before


async def test_ignored_after_sending(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A module that ignores a command it was sent is reported the same way."""
    with (
        patch.object(
            EmulatedBackend,
            "async_set_zone",
            side_effect=CommandIgnoredError(KITCHEN, IgnoredReason.NO_LINK),
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await _switch(hass, "turn_on", ISLAND)
    assert err.value.translation_key == "ignored_no_link"


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (CommandTimeoutError("no answer"), "communication_error"),
        (ConnectionFailedError("gone"), "communication_error"),
        (QsxError("odd"), "command_failed"),
    ],
)
async def test_device_failure(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    error: QsxError,
    key: str,
) -> None:
    """A device failure is a translated Home Assistant error."""
    with (
        patch.object(EmulatedBackend, "async_set_cco", side_effect=error),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _switch(hass, "turn_on", GARAGE_CCO)
    assert err.value.translation_key == key
    assert "Garage panel" in str(err.value)


async def test_rejected_login_starts_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A command refused for the login starts the reauthentication flow."""
    with (
        patch.object(
            EmulatedBackend, "async_set_cco", side_effect=AuthenticationError("no")
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _switch(hass, "turn_off", GARAGE_CCO)
    assert err.value.translation_key == "authentication_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_module_gone_while_switching(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A module removed from the system while its command runs is reported as not part of the system."""
    with (
        patch.object(
            EmulatedBackend,
            "async_set_zone",
            side_effect=UnknownObjectError(f"No module with serial {KITCHEN}"),
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await _switch(hass, "turn_on", ISLAND)
    assert err.value.translation_key == "unknown_module"
    assert str(err.value) == f"Module {KITCHEN} is not part of the system"
