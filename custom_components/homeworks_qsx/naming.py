"""Entity ids that do not say the room twice.

Since 2026.6 Home Assistant starts a new entity's id with its device's area: area, device, entity. A module named
after its room ("Kitchen panel" in the area Kitchen) would then get `switch.kitchen_kitchen_panel_island`. When the
device's name already starts with its area, the integration suggests the id without the area
(`switch.kitchen_panel_island`). Only new entities get it: the entity registry keeps the id of an entity it knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util import slugify

# What may follow an area's name at the start of a device's name ("Kitchen panel", "Kitchen: panel").
_SEPARATORS = (" ", ":")


def starts_with_area(device_name: str, area_name: str) -> bool:
    """Whether `device_name` is `area_name`, or starts with it as a word (case ignored)."""
    name, area = device_name.casefold(), area_name.casefold().strip()
    if not area or not name.startswith(area):
        return False
    rest = name[len(area) :]
    return not rest or rest.startswith(_SEPARATORS)


# Every ASCII character but letters and digits separates words in a slug.
_ASCII_SEPARATORS = str.maketrans(
    {chr(code): " " for code in range(128) if not chr(code).isalnum()}
)


def object_id_slug(text: str) -> str:
    """Return Home Assistant's `slugify(text)`: ASCII text without its regexes.

    Thousands of entities are named at set-up; `slugify` runs a dozen substitutions on each name. In ASCII text it
    only lowers the letters and joins the words, except for `&` (HTML entities) and `,` (dropped between digits).
    """
    if text.isascii() and "&" not in text and "," not in text:
        words = text.lower().translate(_ASCII_SEPARATORS).split()
        if words:
            return "_".join(words)
    return slugify(text)


def _device_name_and_area(
    hass: HomeAssistant,
    config_entry_id: str,
    device_info: Mapping[str, Any],
    device: dr.DeviceEntry | None,
) -> tuple[str | None, str | None]:
    """Return the device's name and area name: the registry's if the device exists, else what will be suggested."""
    if device is None:
        # The entry's own device: the registry's ambiguous lookup is deprecated and reports every call, slowly.
        device = next(
            iter(
                dr.async_get(hass).async_get_devices(
                    identifiers=device_info.get("identifiers", set()),
                    config_entry_id=config_entry_id,
                )
            ),
            None,
        )
    if device is None:
        return device_info.get("name"), device_info.get("suggested_area")
    area = (
        ar.async_get(hass).async_get_area(device.area_id)
        if device.area_id is not None
        else None
    )
    return device.name_by_user or device.name, area.name if area else None


def object_id_without_repeated_area(
    hass: HomeAssistant,
    config_entry_id: str,
    device_info: Mapping[str, Any],
    entity_name: str | None,
    device: dr.DeviceEntry | None = None,
) -> str | None:
    """Return the object id to suggest for a new entity, or None to leave it to Home Assistant.

    `entity_name` is the name Home Assistant makes object ids from (`Entity.suggested_object_id`); `device` the
    registered device, when known (else it is looked up). Nothing is suggested when the user chose which parts
    entity ids are made of.
    """
    if er.async_get(hass).settings.entity_id_parts is not None:
        return None
    device_name, area_name = _device_name_and_area(
        hass, config_entry_id, device_info, device
    )
    if not device_name or not area_name or not starts_with_area(device_name, area_name):
        return None
    return object_id_slug(
        f"{device_name} {entity_name}" if entity_name else device_name
    )
