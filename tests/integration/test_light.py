"""Lights of dimmed outputs: brightness and transition (LP28), the processor's level followed, refusals."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.light import (
    brightness_to_level,
    level_to_brightness,
)
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.errors import (
    CommandTimeoutError,
    NotSupportedError,
    QsxError,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .conftest import emulated_backend, get_device, get_state, state_of
from .whole_house import DIMMERS

CHANDELIER = "light.dining_room_dimmers_chandelier"
SCONCES = "light.dining_room_dimmers_sconces"
ZONE_3 = "light.dining_room_dimmers_zone_3"
ZONE_4 = "light.dining_room_dimmers_zone_4"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only lights."""
    return [Platform.LIGHT]


def _level(entry: MockConfigEntry, output: int) -> float:
    return emulated_backend(entry).device_state(DIMMERS).output_level(output)


async def _light(
    hass: HomeAssistant, service: str, entity_id: str, **data: Any
) -> None:
    await hass.services.async_call(
        "light", service, {"entity_id": entity_id, **data}, blocking=True
    )


async def test_snapshot(
    hass: HomeAssistant,
    whole_house: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One light per dimmed zone, named from the description (else "Zone n"); switched zones are no lights."""
    await snapshot_platform(hass, entity_registry, snapshot, whole_house.entry_id)
    entries = er.async_entries_for_config_entry(entity_registry, whole_house.entry_id)
    assert sorted(entry.entity_id for entry in entries) == sorted(
        [CHANDELIER, SCONCES, ZONE_3, ZONE_4]
    )


def test_brightness_level_conversion_lp28() -> None:
    """LP28: lutron_caseta's rounding both ways, but a brightness above 0 is never level 0."""
    assert brightness_to_level(255) == 100
    assert brightness_to_level(128) == 50
    assert brightness_to_level(1) == 1  # round(0.39) would be 0: the light would go off
    assert brightness_to_level(0) == 0
    assert level_to_brightness(100) == 255
    assert level_to_brightness(50) == 127
    assert level_to_brightness(1) == 2
    assert level_to_brightness(0) == 0


async def test_brightness_sets_the_level_lp28(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A brightness goes to the processor as its level; the light shows the level reported back."""
    await _light(hass, "turn_on", CHANDELIER, brightness=128)
    assert _level(whole_house, 1) == 50
    state = get_state(hass, CHANDELIER)
    assert state.state == "on"
    assert state.attributes["brightness"] == 127
    assert state.attributes["color_mode"] == "brightness"

    await _light(hass, "turn_on", CHANDELIER, brightness=1)
    assert _level(whole_house, 1) == 1
    assert state_of(hass, CHANDELIER) == "on"

    await _light(hass, "turn_off", CHANDELIER)
    assert _level(whole_house, 1) == 0
    assert state_of(hass, CHANDELIER) == "off"


async def test_turn_on_without_brightness_is_full(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """Turning on without a brightness goes to full."""
    await _light(hass, "turn_on", ZONE_3)
    assert _level(whole_house, 3) == 100
    assert get_state(hass, ZONE_3).attributes["brightness"] == 255


async def test_transition_is_the_fade_lp28(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A transition is sent as the fade in seconds; none leaves the processor's own fade (LP26)."""
    backend = emulated_backend(whole_house)
    with patch.object(
        backend, "async_set_level", wraps=backend.async_set_level
    ) as set_level:
        await _light(hass, "turn_on", SCONCES, brightness=255, transition=4)
        await _light(hass, "turn_off", SCONCES, transition=0.5)
        await _light(hass, "turn_on", SCONCES)
    assert [call.kwargs["fade_seconds"] for call in set_level.call_args_list] == [
        4.0,
        0.5,
        None,
    ]
    assert [call.args for call in set_level.call_args_list] == [
        (DIMMERS, 2, 100.0),
        (DIMMERS, 2, 0.0),
        (DIMMERS, 2, 100.0),
    ]


async def test_follows_the_processor(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A level set elsewhere (a keypad, another client) shows at once (LP27: the target is reported)."""
    await emulated_backend(whole_house).async_set_level(DIMMERS, 4, 30)
    await hass.async_block_till_done()
    state = get_state(hass, ZONE_4)
    assert state.state == "on"
    assert state.attributes["brightness"] == 76


@pytest.mark.parametrize(
    ("error", "raised", "key"),
    [
        (CommandTimeoutError("no answer"), HomeAssistantError, "communication_error"),
        (NotSupportedError("no levels"), ServiceValidationError, "not_supported"),
    ],
)
async def test_failures_are_translated(
    hass: HomeAssistant,
    whole_house: MockConfigEntry,
    error: QsxError,
    raised: type[HomeAssistantError],
    key: str,
) -> None:
    """A processor's failure or a backend that cannot set levels is a translated error naming the device."""
    with (
        patch.object(EmulatedBackend, "async_set_level", side_effect=error),
        pytest.raises(raised) as err,
    ):
        await _light(hass, "turn_on", CHANDELIER, brightness=10)
    assert err.value.translation_key == key
    assert "Dining room dimmers" in str(err.value)


async def test_unavailable_when_stopped(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A stopped backend makes the lights unavailable."""
    await emulated_backend(whole_house).async_stop()
    assert state_of(hass, CHANDELIER) == "unavailable"


async def test_set_by_hand(hass: HomeAssistant, whole_house: MockConfigEntry) -> None:
    """The manual level action sets a dimming module's zone as its own control would; the light follows."""
    device = get_device(hass, whole_house.entry_id, DIMMERS)
    await hass.services.async_call(
        DOMAIN,
        "set_manual_level",
        {"device_id": device.id, "level": 40, "output": 2},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert _level(whole_house, 2) == 40
    assert get_state(hass, SCONCES).attributes["brightness"] == 102
    assert state_of(hass, CHANDELIER) == "off"
