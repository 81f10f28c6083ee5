"""The dashboard `scripts/develop` makes of a system: controls first, contact closure outputs apart, diagnostics aside.

One view of controls: per device a card of its zones and other everyday entities, rows named by the entity alone
(the card's title names the device), and the CCO of a module on a card of its own without a header toggle, so that
"turn everything on" over the zones never reaches a gate opener. A second view holds the diagnostic entities.
Built from the device and entity registries as Home Assistant's websocket API lists them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

# Translation keys of the integration's CCO entities: module and area group CCO switches, the pulse buttons.
CCO_TRANSLATION_KEYS: Final = frozenset(
    {"cco", "group_cco", "cco_pulse", "cco_pulse_named"}
)
CCO_CARD_TITLE: Final = "Contact closure output"
DIAGNOSTICS_VIEW_TITLE: Final = "Diagnostics"
# Domains first on a card, in this order (controls before what only shows).
_CONTROL_DOMAINS: Final = ("switch", "button")

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


def _device_cards(name: str, entities: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the control cards of one device: its everyday entities, then its CCOs apart, without a header toggle."""
    everyday = [entity for entity in entities if not is_cco(entity)]
    cco = [entity for entity in entities if is_cco(entity)]
    cards = [_card(name, everyday)] if everyday else []
    if cco:
        title = CCO_CARD_TITLE if everyday else f"{name}: {CCO_CARD_TITLE}"
        cards.append(_card(title, cco, header_toggle=False))
    return cards


def system_dashboard(
    title: str, devices: Registry, entities: Registry
) -> dict[str, Any]:
    """Return the dashboard configuration of a system from its registry entries (devices and entities)."""
    # The processor first, then its modules in the order they were added.
    ordered = sorted(devices, key=lambda device: device["via_device_id"] is not None)
    shown = [
        entity
        for entity in entities
        if entity["disabled_by"] is None and entity["hidden_by"] is None
    ]
    controls: list[dict[str, Any]] = []
    diagnostics: list[dict[str, Any]] = []
    for device in ordered:
        name = device["name_by_user"] or device["name"]
        own = [entity for entity in shown if entity["device_id"] == device["id"]]
        cards = _device_cards(
            name, [entity for entity in own if entity["entity_category"] is None]
        )
        # A device's cards stay together in the view's columns.
        if len(cards) > 1:
            controls.append({"type": "vertical-stack", "cards": cards})
        else:
            controls.extend(cards)
        if other := [entity for entity in own if entity["entity_category"]]:
            diagnostics.append(_card(name, other, header_toggle=False))
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
