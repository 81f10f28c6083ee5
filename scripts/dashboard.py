"""The dashboard `scripts/develop` makes of a system: room by room, controls first, CCOs apart, diagnostics aside.

One view of controls: the processor and the devices without a room first, then each room under its heading with
its devices: modules and dimmers (their zones and lights), shades, keypads and occupancy sensors. Per device a card
of its everyday entities, rows named by the entity alone (the card's title names the device), lights and covers
first; the CCO of a module on a card of its own without a header toggle, so that "turn everything on" over the
zones never reaches a gate opener. A keypad's card holds, button by button, the button to press and its LED (its
events are on the keypad's page), without a header toggle (it would light every LED). A second view holds the diagnostic entities. Built from the device, entity and area
registries as Home Assistant's websocket API lists them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import re
from typing import Any, Final

# Translation keys of the integration's CCO entities: module and area group CCO switches, the pulse buttons.
CCO_TRANSLATION_KEYS: Final = frozenset(
    {"cco", "group_cco", "cco_pulse", "cco_pulse_named"}
)
# Translation keys of a keypad's entities: its buttons' events and presses, its LEDs.
KEYPAD_TRANSLATION_KEYS: Final = frozenset(
    {"keypad_button", "indicator", "indicator_named"}
)
CCO_CARD_TITLE: Final = "Contact closure output"
DIAGNOSTICS_VIEW_TITLE: Final = "Diagnostics"
# Domains first on a card, in this order (controls before what only shows).
_CONTROL_DOMAINS: Final = ("light", "cover", "switch", "button")
# The button number in the unique id of a keypad button's entity or of its LED's.
_KEYPAD_PART: Final = re.compile(r"_(?:button|led)_(\d+)$")

type Registry = Sequence[Mapping[str, Any]]


def _row(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Return an entities-card row named by the entity's own name (the card's title names its device)."""
    return {"entity": entity["entity_id"], "name": {"type": "entity"}}


def _order(entity: Mapping[str, Any]) -> int:
    domain = str(entity["entity_id"]).split(".", 1)[0]
    return (
        _CONTROL_DOMAINS.index(domain)
        if domain in _CONTROL_DOMAINS
        else len(_CONTROL_DOMAINS)
    )


def _card(
    title: str, entities: list[Mapping[str, Any]], *, header_toggle: bool = True
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "entities",
        "title": title,
        "entities": [_row(entity) for entity in sorted(entities, key=_order)],
    }
    if not header_toggle:
        card["show_header_toggle"] = False
    return card


def is_cco(entity: Mapping[str, Any]) -> bool:
    """Whether the entity is a contact closure output's switch or pulse button."""
    return entity.get("translation_key") in CCO_TRANSLATION_KEYS


def is_keypad(entity: Mapping[str, Any]) -> bool:
    """Whether the entity is a keypad button's event or press, or a keypad LED."""
    return entity.get("translation_key") in KEYPAD_TRANSLATION_KEYS


def _keypad_card(name: str, entities: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a keypad's card: button by button, the button to press, then its LED; no header toggle."""

    def position(entity: Mapping[str, Any]) -> tuple[int, int]:
        match = _KEYPAD_PART.search(str(entity.get("unique_id", "")))
        is_led = str(entity["entity_id"]).startswith("switch.")
        return (int(match.group(1)) if match else 0, int(is_led))

    controls = [
        entity
        for entity in entities
        if not str(entity["entity_id"]).startswith("event.")
    ]
    return {
        "type": "entities",
        "title": name,
        "entities": [_row(entity) for entity in sorted(controls, key=position)],
        "show_header_toggle": False,
    }


def _device_cards(name: str, entities: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the control cards of one device: its everyday entities, then its CCOs apart, without a header toggle."""
    if entities and all(map(is_keypad, entities)):
        return [_keypad_card(name, entities)]
    everyday = [entity for entity in entities if not is_cco(entity)]
    cco = [entity for entity in entities if is_cco(entity)]
    cards = [_card(name, everyday)] if everyday else []
    if cco:
        title = CCO_CARD_TITLE if everyday else f"{name}: {CCO_CARD_TITLE}"
        cards.append(_card(title, cco, header_toggle=False))
    return cards


def _room_name(area_id: str, areas: Mapping[str, str]) -> str:
    return areas.get(area_id) or area_id.replace("_", " ").capitalize()


def system_dashboard(
    title: str, devices: Registry, entities: Registry, areas: Registry = ()
) -> dict[str, Any]:
    """Return the dashboard configuration of a system from its registry entries (devices, entities, areas)."""
    # The processor first, then the devices in the order they were added.
    ordered = sorted(devices, key=lambda device: device["via_device_id"] is not None)
    area_names = {area["area_id"]: area["name"] for area in areas}
    shown = [
        entity
        for entity in entities
        if entity["disabled_by"] is None and entity["hidden_by"] is None
    ]
    unplaced: list[dict[str, Any]] = []
    rooms: dict[str, list[dict[str, Any]]] = {}
    diagnostics: list[dict[str, Any]] = []
    for device in ordered:
        name = device["name_by_user"] or device["name"]
        own = [entity for entity in shown if entity["device_id"] == device["id"]]
        cards = _device_cards(
            name, [entity for entity in own if entity["entity_category"] is None]
        )
        area_id = device.get("area_id")
        place = unplaced if area_id is None else rooms.setdefault(area_id, [])
        # A device's cards stay together in the view's columns.
        if len(cards) > 1:
            place.append({"type": "vertical-stack", "cards": cards})
        else:
            place.extend(cards)
        if other := [entity for entity in own if entity["entity_category"]]:
            diagnostics.append(_card(name, other, header_toggle=False))
    controls = list(unplaced)
    for room, cards in sorted(
        rooms.items(), key=lambda item: _room_name(item[0], area_names).casefold()
    ):
        if cards:
            heading = {"type": "heading", "heading": _room_name(room, area_names)}
            controls.append({"type": "vertical-stack", "cards": [heading, *cards]})
    return {
        "views": [
            {"title": title, "path": "system", "cards": controls},
            {
                "title": DIAGNOSTICS_VIEW_TITLE,
                "path": "diagnostics",
                "cards": diagnostics,
            },
        ]
    }
