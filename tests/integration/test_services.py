"""Actions: what a person does at the panel, on emulated systems, and CCO pulses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.errors import NotSupportedError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr

from .conftest import GARAGE, HALL, KITCHEN, PROCESSOR, get_device, get_state, state_of

MODE = "sensor.kitchen_panel_operating_mode"
ISLAND = "switch.kitchen_panel_island"
PENDANTS = "switch.kitchen_panel_pendants"
GATE = "switch.kitchen_panel_gate"
GARAGE_CCO = "switch.garage_panel_contact_closure_output"


async def _call(
    hass: HomeAssistant, service: str, devices: list[str], **data: Any
) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"device_id": devices, **data}, blocking=True
    )


async def test_set_cci(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Opening the CCI puts the module in manual override; closing it restores the zones (C2, C5)."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    await _call(hass, "set_cci", [kitchen], open=True)
    assert state_of(hass, MODE) == "manual_override"
    assert state_of(hass, PENDANTS) == "on"
    await _call(hass, "set_cci", [kitchen], open=False)
    assert state_of(hass, MODE) == "normal"
    assert state_of(hass, PENDANTS) == "off"


async def test_press_button(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A zone button toggles its zone; Prog switches all four (M8)."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    await _call(hass, "press_button", [kitchen], button="zone_1")
    assert state_of(hass, ISLAND) == "on"
    assert (
        get_state(hass, "event.kitchen_panel_button").attributes["event_type"]
        == "zone_1"
    )
    await _call(hass, "press_button", [kitchen], button="prog")
    assert state_of(hass, ISLAND) == "off"


async def test_press_button_refused_in_override(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The module ignores its buttons in manual override (C3): the action says why."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    await _call(hass, "set_cci", [kitchen], open=True)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "press_button", [kitchen], button="zone_1")
    assert err.value.translation_key == "ignored_manual_override"


async def test_power_link_bypass_program_temperature(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every physical condition reaches the module."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    await _call(hass, "set_power", [kitchen], powered=False)
    assert state_of(hass, MODE) == "no_power"
    await _call(hass, "set_power", [kitchen], powered=True)
    await _call(hass, "set_link", [kitchen], up=False)
    assert state_of(hass, MODE) == "no_link"
    assert state_of(hass, "binary_sensor.kitchen_panel_qs_link") == "off"
    await _call(hass, "set_link", [kitchen], up=True)
    await _call(hass, "set_bypass", [kitchen], installed=True)
    assert state_of(hass, MODE) == "bypass"
    assert state_of(hass, ISLAND) == "on"
    await _call(hass, "set_bypass", [kitchen], installed=False)
    await _call(hass, "set_program_mode", [kitchen], enabled=True)
    assert state_of(hass, MODE) == "program"
    await _call(hass, "set_temperature", [kitchen], temperature=71)
    assert state_of(hass, "sensor.kitchen_panel_temperature") == "71.0"
    assert state_of(hass, "binary_sensor.kitchen_panel_high_temperature") == "on"


async def test_several_modules(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An action acts on every targeted module."""
    devices = [
        get_device(hass, init_integration.entry_id, serial).id
        for serial in (KITCHEN, HALL)
    ]
    await _call(hass, "set_power", devices, powered=False)
    assert state_of(hass, MODE) == "no_power"
    assert state_of(hass, "sensor.hall_panel_operating_mode") == "no_power"


async def test_pulse_cco(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A pulse closes the CCO for the given time (or the module's pulse time), then opens it."""
    garage = get_device(hass, init_integration.entry_id, GARAGE).id
    await _call(hass, "pulse_cco", [garage], duration=3)
    assert state_of(hass, GARAGE_CCO) == "on"
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state_of(hass, GARAGE_CCO) == "on"
    freezer.tick(timedelta(seconds=1.5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state_of(hass, GARAGE_CCO) == "off"

    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    await _call(hass, "pulse_cco", [kitchen])
    assert state_of(hass, GATE) == "on"
    freezer.tick(timedelta(seconds=2.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert state_of(hass, GATE) == "off"


async def test_invalid_duration(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A pulse outside 0.25 to 3600 s is refused by the action's schema."""
    garage = get_device(hass, init_integration.entry_id, GARAGE).id
    with pytest.raises(probatio.Invalid, match="duration"):
        await _call(hass, "pulse_cco", [garage], duration=0.1)
    assert state_of(hass, GARAGE_CCO) == "off"


async def test_bad_targets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Unknown devices, the processor and devices of other integrations are refused."""
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_cci", ["nope"], open=True)
    assert err.value.translation_key == "unknown_device"

    processor = get_device(hass, init_integration.entry_id, PROCESSOR).id
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_cci", [processor], open=True)
    assert err.value.translation_key == "not_a_module"
    assert str(err.value) == "Test house is a processor; choose switching modules"

    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = device_registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "1")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_cci", [other.id], open=True)
    assert err.value.translation_key == "unknown_device"


async def test_entry_not_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Modules of an unloaded system cannot be acted on."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_cci", [kitchen], open=True)
    assert err.value.translation_key == "entry_not_loaded"


async def test_device_of_no_module(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device left over from a module that is gone is refused with a clear error."""
    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "DEADBEEF")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "press_button", [stale.id], button="zone_1")
    assert err.value.translation_key == "unknown_module"
    assert str(err.value) == "Module DEADBEEF is not part of the system"


async def test_simulation_the_backend_refuses(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A condition the backend cannot simulate is refused with its reason, as a request that cannot be done."""
    kitchen = get_device(hass, init_integration.entry_id, KITCHEN).id
    with (
        patch.object(
            EmulatedBackend,
            "async_simulate",
            side_effect=NotSupportedError("this condition cannot be simulated"),
        ),
        pytest.raises(ServiceValidationError) as err,
    ):
        await _call(hass, "set_temperature", [kitchen], temperature=70)
    assert err.value.translation_key == "not_supported"
    assert (
        str(err.value)
        == "Module Kitchen panel cannot do this: this condition cannot be simulated"
    )
