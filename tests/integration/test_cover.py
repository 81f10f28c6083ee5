"""Covers of shades: position, open and close as levels (LP32), stop, tilt, and a shade moved by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.qsx.const import ShadeMove
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .conftest import emulated_backend, get_device, get_state, state_of
from .whole_house import LIVING_SHADE, STUDY_BLIND

SHADE = "cover.living_room_shade"
BLIND = "cover.study_blind"
# LP33: a shade travels its full range in 20 s.
FULL_TRAVEL_SECONDS = 20


@pytest.fixture
def platforms() -> list[Platform]:
    """Only covers."""
    return [Platform.COVER]


async def _cover(
    hass: HomeAssistant, service: str, entity_id: str, **data: Any
) -> None:
    await hass.services.async_call(
        "cover", service, {"entity_id": entity_id, **data}, blocking=True
    )


async def _travel(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let the shades move for `seconds`, a second at a time."""
    for _ in range(int(seconds)):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def test_snapshot(
    hass: HomeAssistant,
    whole_house: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A shade is one cover named as its device; a shade with tilt has tilt features too (LP33)."""
    await snapshot_platform(hass, entity_registry, snapshot, whole_house.entry_id)
    entries = er.async_entries_for_config_entry(entity_registry, whole_house.entry_id)
    assert sorted(entry.entity_id for entry in entries) == [SHADE, BLIND]
    assert get_state(hass, SHADE).attributes["device_class"] == "shade"


async def test_open_and_close_are_levels_lp32(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """Open and close go to the processor as levels 100 and 0, never as a bare raise or lower (LP32)."""
    backend = emulated_backend(whole_house)
    with (
        patch.object(
            backend, "async_set_level", wraps=backend.async_set_level
        ) as set_level,
        patch.object(
            backend, "async_move_shade", wraps=backend.async_move_shade
        ) as move,
    ):
        await _cover(hass, "open_cover", SHADE)
        await _travel(hass, freezer, FULL_TRAVEL_SECONDS + 1)
        assert state_of(hass, SHADE) == "open"
        assert get_state(hass, SHADE).attributes["current_position"] == 100
        await _cover(hass, "close_cover", SHADE)
        await _travel(hass, freezer, FULL_TRAVEL_SECONDS + 1)
    assert state_of(hass, SHADE) == "closed"
    assert [call.args for call in set_level.call_args_list] == [
        (LIVING_SHADE, 1, 100.0),
        (LIVING_SHADE, 1, 0.0),
    ]
    move.assert_not_called()


async def test_position_and_stop_lp33(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """A position is a level; stop halts a raising shade where it is, between its ends (LP33)."""
    await _cover(hass, "set_cover_position", SHADE, position=40)
    await _travel(hass, freezer, FULL_TRAVEL_SECONDS)
    assert get_state(hass, SHADE).attributes["current_position"] == 40
    assert state_of(hass, SHADE) == "open"

    backend = emulated_backend(whole_house)
    # Raised from elsewhere (a keypad's raise button, another client), for 5 s of its 20 s travel.
    await backend.async_move_shade(LIVING_SHADE, 1, ShadeMove.RAISE)
    await _travel(hass, freezer, 5)
    with patch.object(
        backend, "async_move_shade", wraps=backend.async_move_shade
    ) as move:
        await _cover(hass, "stop_cover", SHADE)
    move.assert_called_once_with(LIVING_SHADE, 1, ShadeMove.STOP)
    position = get_state(hass, SHADE).attributes["current_position"]
    assert 40 < position < 100
    await _travel(hass, freezer, FULL_TRAVEL_SECONDS)
    assert get_state(hass, SHADE).attributes["current_position"] == position


async def test_tilt_lp33(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """A shade with tilt shows and takes its tilt besides its position (LP33)."""
    assert get_state(hass, BLIND).attributes["current_tilt_position"] == 0
    assert "current_tilt_position" not in get_state(hass, SHADE).attributes
    await _cover(hass, "set_cover_tilt_position", BLIND, tilt_position=30)
    await _travel(hass, freezer, 2)
    assert get_state(hass, BLIND).attributes["current_tilt_position"] == 30
    await _cover(hass, "open_cover_tilt", BLIND)
    await _travel(hass, freezer, 2)
    assert get_state(hass, BLIND).attributes["current_tilt_position"] == 100
    await _cover(hass, "close_cover_tilt", BLIND)
    await _travel(hass, freezer, 2)
    assert get_state(hass, BLIND).attributes["current_tilt_position"] == 0
    assert emulated_backend(whole_house).device_state(STUDY_BLIND).zones[0].tilt == 0


async def test_moved_by_hand(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """The manual level action moves an emulated shade as a hand would; the cover follows."""
    device = get_device(hass, whole_house.entry_id, LIVING_SHADE)
    await hass.services.async_call(
        DOMAIN,
        "set_manual_level",
        {"device_id": device.id, "level": 65},
        blocking=True,
    )
    await _travel(hass, freezer, FULL_TRAVEL_SECONDS)
    assert get_state(hass, SHADE).attributes["current_position"] == 65


async def test_moved_by_hand_refusals(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A shade has one output; a device without levels cannot be moved by hand."""
    shade = get_device(hass, whole_house.entry_id, LIVING_SHADE)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_manual_level",
            {"device_id": shade.id, "level": 65, "output": 2},
            blocking=True,
        )
    assert err.value.translation_key == "no_level_output"
    assert str(err.value) == "Living room shade has no dimmed or shade output 2"
