"""Pulse buttons of momentary CCOs (O2): what exists, what a press does, on an emulated and a live LIP system."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.const import (
    CONF_CCO_TYPE,
    CONF_PULSE_SECONDS,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .conftest import (
    GARAGE,
    KITCHEN,
    PROCESSOR,
    emulated_backend,
    live_data,
    state_of,
    wait_for,
)

GATE_PULSE = "button.kitchen_panel_pulse_gate"
GATE = "switch.kitchen_panel_gate"
GARAGE_PULSE = "button.garage_panel_pulse_contact_closure_output"


@pytest.fixture
def platforms() -> list[Platform]:
    """Buttons, and switches to see the CCO."""
    return [Platform.BUTTON, Platform.SWITCH]


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": entity_id}, blocking=True
    )


async def _set_cco_type(
    hass: HomeAssistant, entry: MockConfigEntry, serial: str, cco_type: str
) -> None:
    """Change a module's CCO type in the options, as a person does."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "select_module"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"module": serial}
    )
    module = emulated_backend(entry).description.device(serial)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_CCO_TYPE: cco_type,
            CONF_PULSE_SECONDS: module.cco.pulse_seconds,
            **{
                f"zone_{zone.number}_override": zone.override_level.value
                for zone in module.zones
            },
        },
    )
    assert result["type"] == "create_entry", result
    await hass.async_block_till_done()


@pytest.mark.parametrize("platforms", [[Platform.BUTTON]], ids=["button"])
async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Only the momentary CCO (the kitchen's gate) has a pulse button, named after it."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    buttons = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.domain == "button"
    ]
    assert buttons == [GATE_PULSE]


async def test_press_pulses_the_cco(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """O2: a press closes the CCO for its pulse time (2 s), then it opens by itself."""
    backend = emulated_backend(init_integration)
    await _press(hass, GATE_PULSE)
    assert backend.device_state(KITCHEN).cco_closed
    assert state_of(hass, GATE) == "on"
    assert state_of(hass, GATE_PULSE) != STATE_UNKNOWN  # the press is remembered
    # A time change fires what is due within half a second more.
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert backend.device_state(KITCHEN).cco_closed
    freezer.tick(timedelta(seconds=1.5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not backend.device_state(KITCHEN).cco_closed
    assert state_of(hass, GATE) == "off"


async def test_press_refused_in_manual_override(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A module in manual override ignores its CCO: the press is refused with the reason, nothing is sent."""
    backend = emulated_backend(init_integration)
    await backend.async_simulate(KITCHEN, Fault.CCI, True)
    with pytest.raises(ServiceValidationError) as err:
        await _press(hass, GATE_PULSE)
    assert err.value.translation_key == "ignored_manual_override"
    assert not backend.device_state(KITCHEN).cco_closed


async def test_follows_the_cco_type(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A CCO made momentary gets its button at once; made maintained again, the button goes."""
    assert hass.states.get(GARAGE_PULSE) is None
    await _set_cco_type(hass, init_integration, GARAGE, "momentary")
    assert state_of(hass, GARAGE_PULSE) == STATE_UNKNOWN
    await _press(hass, GARAGE_PULSE)
    assert emulated_backend(init_integration).device_state(GARAGE).cco_closed

    await _set_cco_type(hass, init_integration, GARAGE, "maintained")
    assert hass.states.get(GARAGE_PULSE) is None
    await _set_cco_type(hass, init_integration, GARAGE, "momentary")
    # Back, with the time of its last press.
    assert state_of(hass, GARAGE_PULSE) not in (STATE_UNKNOWN, STATE_UNAVAILABLE)


@pytest.mark.usefixtures("fast_live_timing")
async def test_press_on_a_live_lip_processor(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """Over LIP the database gives the CCO's type: the momentary one has a button, and a press pulses it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data=live_data(lip_server.port, lip_server.http_port or 0),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(GARAGE_PULSE) is None
    await _press(hass, GATE_PULSE)
    assert lip_server.emulator.state(KITCHEN).cco_closed
    assert await wait_for(hass, lambda: state_of(hass, GATE) == "on")
