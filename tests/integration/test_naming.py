"""Entity ids of modules named after their room: the room is said once, and known entities keep their ids."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import DOMAIN
from custom_components.homeworks_qsx.naming import object_id_slug, starts_with_area
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util import slugify

from .conftest import KITCHEN, PROCESSOR, get_device, state_of


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


@pytest.mark.parametrize(
    "text",
    [
        "Kitchen panel Island",
        "  Kitchen   panel Zone 4 ",
        "LED 12",
        "x",
        "ABC123 def",
        "Kitchen: panel",
        "Bob's lamp",
        "Café lights",
        "Lamp & shade",
        "Lamp &amp; shade",
        "1,000 lumens",
        "under_cabinet",
        "a - b",
        "   ",
        "!!!",
        "Wohnzimmer Straße",
        "Room 1.01 switching 1 Circuit 3",
        "Room 2:1.01 keypad Button 1",
        "Kid's room",
        'The "big" lamp',
        "a_b-c--d__e",
        "Tab\there\nnew line",
        "(Porch) [west] {1} #2 @3 $4 %5 ^6 *7 +8 =9 /10 \\11 |12 ~13 `14 ?15 !16 <17> ;18",
        "x,y",
        "&#65;BC",
        "-",
        "",
    ],
)
def test_object_id_slug_is_home_assistants(text: str) -> None:
    """The object id of a name is what Home Assistant's `slugify` makes of it, plain words or not."""
    assert object_id_slug(text) == slugify(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=40))
def test_object_id_slug_is_home_assistants_for_any_text(text: str) -> None:
    """Any ASCII text, and text with Latin letters beyond ASCII: the same object id as `slugify`."""
    assert object_id_slug(text) == slugify(text)


async def test_a_device_the_registry_refuses_leaves_its_entities_out(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A module whose identifiers the registry holds for a child device: Home Assistant refuses its entities only."""
    mock_config_entry.add_to_hass(hass)
    parent = device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id, identifiers={(DOMAIN, PROCESSOR)}
    )
    device_registry.async_get_or_create_child(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, KITCHEN)},
        parent_device_id=parent.id,
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert "error adding device" in caplog.text
    assert hass.states.get("switch.kitchen_panel_island") is None
    assert er.async_entries_for_config_entry(
        entity_registry, mock_config_entry.entry_id
    )  # the other modules' entities are there


async def test_an_entity_renamed_by_the_user_keeps_its_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new entity id re-adds the entity: it comes back on the same device, with its state."""
    device = get_device(hass, init_integration.entry_id, KITCHEN)
    entity_registry.async_update_entity(
        "switch.kitchen_panel_island", new_entity_id="switch.island"
    )
    await hass.async_block_till_done()
    entry = entity_registry.async_get("switch.island")
    assert entry is not None
    assert entry.device_id == device.id
    assert state_of(hass, "switch.island") == "off"
    assert hass.states.get("switch.kitchen_panel_island") is None
