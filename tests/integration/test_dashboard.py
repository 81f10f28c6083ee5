"""The dashboard `scripts/develop` makes: room by room, controls first, CCOs apart without a header toggle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.homeworks_qsx import button, switch
from custom_components.homeworks_qsx.const import CONF_DESCRIPTION_PATH, DOMAIN
from custom_components.homeworks_qsx.qsx.model import ControlType
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from scripts.dashboard import CCO_CARD_TITLE, CCO_TRANSLATION_KEYS, system_dashboard

from .conftest import emulated_data

EXAMPLE_HOUSE = Path(__file__).parents[2] / "examples" / "house.yaml"
CONTROL_DOMAINS = {"light", "cover", "switch", "button"}


async def _registries(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the entry's devices and entities, and the areas, as the websocket API lists them (what develop reads)."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "config/device_registry/list"})
    devices = (await client.receive_json())["result"]
    await client.send_json_auto_id({"type": "config/entity_registry/list"})
    entities = (await client.receive_json())["result"]
    await client.send_json_auto_id({"type": "config/area_registry/list"})
    areas = (await client.receive_json())["result"]
    return (
        [device for device in devices if entry_id in device["config_entries"]],
        [entity for entity in entities if entity["config_entry_id"] == entry_id],
        areas,
    )


def _rows(card: dict[str, Any]) -> list[str]:
    return [row["entity"] for row in card["entities"]]


def _entity_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the entities cards, those in vertical stacks (a room's, a device's) included."""
    found: list[dict[str, Any]] = []
    for card in cards:
        if card["type"] == "vertical-stack":
            found.extend(_entity_cards(card["cards"]))
        elif card["type"] == "entities":
            found.append(card)
    return found


def _stacks(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the vertical stacks, nested ones included."""
    found: list[dict[str, Any]] = []
    for card in cards:
        if card["type"] == "vertical-stack":
            found.append(card)
            found.extend(_stacks(card["cards"]))
    return found


def _rooms(cards: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Return each room's cards under its heading."""
    return {
        card["cards"][0]["heading"]: card["cards"][1:]
        for card in cards
        if card["type"] == "vertical-stack" and card["cards"][0]["type"] == "heading"
    }


@pytest.fixture
async def example_house(hass: HomeAssistant) -> MockConfigEntry:
    """Set up the example house as scripts/develop adds it, with the websocket API of the registries."""
    assert await async_setup_component(hass, "config", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Maple Street house",
        data=emulated_data(
            name="Maple Street house", **{CONF_DESCRIPTION_PATH: str(EXAMPLE_HOUSE)}
        ),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_cco_cards_apart_without_header_toggle(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    example_house: MockConfigEntry,
) -> None:
    """Each CCO is on a card of its own with no header toggle: "all on" over the zones never pulses the gate."""
    devices, entities, areas = await _registries(
        hass, hass_ws_client, example_house.entry_id
    )
    dashboard = system_dashboard("Maple Street house", devices, entities, areas)
    controls, diagnostics = dashboard["views"]
    cco_ids = {
        entity["entity_id"]
        for entity in entities
        if entity["translation_key"] in CCO_TRANSLATION_KEYS
    }
    assert "button.kitchen_panel_pulse_gate_opener" in cco_ids
    for card in _entity_cards(controls["cards"]):
        rows = set(_rows(card))
        if rows & cco_ids:
            assert rows <= cco_ids, card["title"]
            assert card["show_header_toggle"] is False
    kitchen = next(
        card
        for card in _stacks(controls["cards"])
        if card["cards"][0].get("title") == "Kitchen panel"
    )
    zones, cco = kitchen["cards"]
    assert _rows(zones)[:4] == [
        "switch.kitchen_panel_island_pendants",
        "switch.kitchen_panel_under_cabinet",
        "switch.kitchen_panel_range_hood_fan",
        "switch.kitchen_panel_downlights",
    ]
    assert "show_header_toggle" not in zones  # "all on" over the four zones stays
    assert cco["title"] == CCO_CARD_TITLE
    assert _rows(cco) == [
        "switch.kitchen_panel_gate_opener",
        "button.kitchen_panel_pulse_gate_opener",
    ]
    # The garage panel's CCO is maintained: a switch, no pulse button.
    assert "button.garage_panel_pulse_contact_closure_output" not in cco_ids
    assert diagnostics["title"] == "Diagnostics"


async def test_controls_first_short_names_diagnostics_aside(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    example_house: MockConfigEntry,
) -> None:
    """Rows are named by the entity alone; diagnostic entities are on the second view only."""
    devices, entities, areas = await _registries(
        hass, hass_ws_client, example_house.entry_id
    )
    controls, diagnostics = system_dashboard(
        "Maple Street house", devices, entities, areas
    )["views"]
    category = {entity["entity_id"]: entity["entity_category"] for entity in entities}
    for card in _entity_cards(controls["cards"]):
        assert all(row["name"] == {"type": "entity"} for row in card["entities"])
        assert all(category[row] is None for row in _rows(card)), card["title"]
        domains = [row.split(".", 1)[0] for row in _rows(card)]
        # Lights, covers, switches and buttons first, then what only shows.
        controls_end = sum(domain in CONTROL_DOMAINS for domain in domains)
        assert set(domains[:controls_end]) <= CONTROL_DOMAINS, card["title"]
    shown_diagnostics = {row for card in diagnostics["cards"] for row in _rows(card)}
    assert shown_diagnostics == {
        entity["entity_id"]
        for entity in entities
        if entity["entity_category"] is not None and entity["disabled_by"] is None
    }
    assert "sensor.kitchen_panel_operating_mode" in shown_diagnostics
    # The processor first.
    assert controls["cards"][0]["title"] == "Maple Street house"


async def test_cco_translation_keys_are_the_integrations(
    example_house: MockConfigEntry,
) -> None:
    """The dashboard knows a CCO by the translation keys the integration gives its CCO switches and buttons."""
    kitchen = next(
        device
        for device in example_house.runtime_data.backend.description.devices
        if device.name == "Kitchen panel"
    )
    assert {
        # A module's own CCO translates by its output key; a CCO zone of an area group by its control type.
        kitchen.output_key(kitchen.cco),
        switch.DESCRIPTIONS[ControlType.CCO].translation_key,
        button.PULSE_DESCRIPTION.translation_key,
        button.NAMED_PULSE_DESCRIPTION.translation_key,
    } == CCO_TRANSLATION_KEYS


async def test_room_by_room(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    whole_house: MockConfigEntry,
) -> None:
    """Each room under its heading with its lights, shades, keypads and occupancy; keypads without a header toggle."""
    assert await async_setup_component(hass, "config", {})
    devices, entities, areas = await _registries(
        hass, hass_ws_client, whole_house.entry_id
    )
    controls = system_dashboard("Whole house", devices, entities, areas)["views"][0]
    rooms = _rooms(controls["cards"])
    assert list(rooms) == ["Dining room", "Kitchen", "Living room", "Study"]
    dining = _entity_cards(rooms["Dining room"])
    assert [card["title"] for card in dining] == ["Dining room dimmers"]
    assert _rows(dining[0])[:2] == [
        "light.dining_room_dimmers_chandelier",
        "light.dining_room_dimmers_sconces",
    ]
    assert _rows(_entity_cards(rooms["Living room"])[0]) == ["cover.living_room_shade"]
    kitchen = {card["title"]: card for card in _entity_cards(rooms["Kitchen"])}
    assert set(kitchen) >= {"Kitchen panel", "Kitchen keypad", "Kitchen sensor"}
    keypad = kitchen["Kitchen keypad"]
    assert keypad["show_header_toggle"] is False
    # Button by button: the button to press, then its LED; the events are on the keypad's page.
    assert _rows(keypad) == [
        "button.kitchen_keypad_dinner",
        "switch.kitchen_keypad_dinner_led",
        "button.kitchen_keypad_button_2",
        "switch.kitchen_keypad_button_2_led",
        "button.kitchen_keypad_shade",
        "switch.kitchen_keypad_shade_led",
    ]
    assert _rows(kitchen["Kitchen sensor"]) == [
        "binary_sensor.kitchen_sensor_occupancy"
    ]
    # What has no room (the processor's virtual keypad, the timeclock) comes first, outside the rooms.
    titles = [card.get("title") for card in controls["cards"]]
    assert titles[:2] == ["Homeowner keypad", "Outdoor timeclock"]
    assert titles[2:] == [None] * len(rooms)
