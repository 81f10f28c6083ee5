"""Entity ids of modules named after their room: the room is said once, and known entities keep their ids."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.naming import starts_with_area
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)

from .conftest import KITCHEN, get_device, state_of


@pytest.fixture
def platforms() -> list[Platform]:
    """Only switches."""
    return [Platform.SWITCH]


async def test_new_entities_say_the_room_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
) -> None:
    """The module "Kitchen panel" is in the area Kitchen; its switches are switch.kitchen_panel_…."""
    device = get_device(hass, init_integration.entry_id, KITCHEN)
    area = area_registry.async_get_area(device.area_id or "")
    assert area is not None
    assert area.name == "Kitchen"
    entity_ids = sorted(
        entry.entity_id
        for entry in er.async_entries_for_device(entity_registry, device.id)
    )
    assert entity_ids == [
        "switch.kitchen_panel_gate",
        "switch.kitchen_panel_island",
        "switch.kitchen_panel_pendants",
        "switch.kitchen_panel_under_cabinet",
        "switch.kitchen_panel_zone_4",
    ]


async def test_known_entities_keep_their_ids(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """An entity the registry already knows by its unique id keeps its id, the room said twice included."""
    mock_config_entry.add_to_hass(hass)
    known = entity_registry.async_get_or_create(
        "switch",
        DOMAIN,
        f"{KITCHEN}_zone_1",
        config_entry=mock_config_entry,
        suggested_object_id="kitchen_kitchen_panel_island",
    )
    assert known.entity_id == "switch.kitchen_kitchen_panel_island"
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, "switch.kitchen_kitchen_panel_island") == "off"
    assert hass.states.get("switch.kitchen_panel_island") is None
    assert (
        entity_registry.async_get_entity_id("switch", DOMAIN, f"{KITCHEN}_zone_1")
        == "switch.kitchen_kitchen_panel_island"
    )
    # The module's other entities are new: they say the room once.
    assert state_of(hass, "switch.kitchen_panel_pendants") == "off"


async def test_entity_id_parts_chosen_by_the_user(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """When the user chose what entity ids are made of, Home Assistant's own ids are kept."""
    entity_registry.async_update_settings(
        entity_id_parts=[er.EntityNamePart.AREA, er.EntityNamePart.ENTITY]
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "switch.kitchen_island") == "off"


@pytest.mark.parametrize(
    ("name_by_user", "entity_id"),
    [
        # Starts with the area: said once.
        ("Kitchen relays", "switch.kitchen_relays_island"),
        # Does not: Home Assistant's id, area first.
        ("Relays", "switch.kitchen_relays_island"),
        ("Relays by the sink", "switch.kitchen_relays_by_the_sink_island"),
    ],
)
async def test_device_named_by_the_user(  # noqa: PLR0917
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    area_registry: ar.AreaRegistry,
    name_by_user: str,
    entity_id: str,
) -> None:
    """New entities of a known device use its name and area as the user set them."""
    mock_config_entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, KITCHEN)},
        name="Kitchen panel",
    )
    device_registry.async_update_device(
        device.id,
        name_by_user=name_by_user,
        area_id=area_registry.async_get_or_create("Kitchen").id,
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, entity_id) == "off"


async def test_device_without_an_area(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A known device the user took out of every area: device and entity names only."""
    mock_config_entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, KITCHEN)},
        name="Kitchen panel",
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "switch.kitchen_panel_island") == "off"


@pytest.mark.parametrize(
    ("device_name", "area_name", "expected"),
    [
        ("Kitchen panel", "Kitchen", True),
        ("kitchen", "Kitchen", True),
        ("Kitchen: panel", "Kitchen", True),
        ("Kitchenette panel", "Kitchen", False),
        ("Panel", "Kitchen", False),
        ("Kitchen panel", " ", False),
    ],
)
def test_starts_with_area(device_name: str, area_name: str, expected: bool) -> None:
    """A device name starts with its area when the area is its first word(s), case aside."""
    assert starts_with_area(device_name, area_name) is expected
