"""Timeclocks: a switch that enables or disables each (LP45, LP46), on a device of its own via the processor."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .conftest import get_device, state_of
from .whole_house import PROCESSOR, TIMECLOCK

TIMECLOCK_SWITCH = "switch.outdoor_timeclock_enabled"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only switches."""
    return [Platform.SWITCH]


async def test_timeclock_switch_lp46(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A timeclock starts enabled; its switch disables and enables it at the processor."""
    backend: EmulatedBackend | None = whole_house.runtime_data.emulated
    assert backend is not None
    device = get_device(hass, whole_house.entry_id, TIMECLOCK)
    assert device.name == "Outdoor timeclock"
    assert device.serial_number is None
    assert device.model == "Timeclock"
    assert device.via_device_id == get_device(hass, whole_house.entry_id, PROCESSOR).id
    assert state_of(hass, TIMECLOCK_SWITCH) == "on"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": TIMECLOCK_SWITCH}, blocking=True
    )
    assert backend.device_state(TIMECLOCK).timeclock_enabled is False
    assert state_of(hass, TIMECLOCK_SWITCH) == "off"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": TIMECLOCK_SWITCH}, blocking=True
    )
    assert backend.device_state(TIMECLOCK).timeclock_enabled is True
    assert state_of(hass, TIMECLOCK_SWITCH) == "on"
