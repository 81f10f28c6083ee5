"""Device triggers of keypads: a button pressed, released, long pressed or multi-tapped (LP38).

The automation editor offers each of a keypad's buttons with each action ("Button 2" long pressed); a trigger
listens to the integration's button events on Home Assistant's bus, as lutron_caseta's keypad triggers do.
"""

from __future__ import annotations

import re
from typing import Final

import probatio

from homeassistant.components.device_automation import (
    DEVICE_TRIGGER_BASE_SCHEMA,
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .const import ATTR_ACTION, ATTR_BUTTON, DOMAIN, EVENT_KEYPAD_BUTTON
from .qsx import ButtonAction, Capability, DeviceDescription, UnknownObjectError
from .runtime import HomeworksQsxConfigEntry

CONF_SUBTYPE: Final = "subtype"
TRIGGER_TYPES: Final = [action.value for action in ButtonAction]
_SUBTYPE: Final = re.compile(r"button_(\d+)")

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        probatio.Required(CONF_TYPE): probatio.In(TRIGGER_TYPES),
        probatio.Required(CONF_SUBTYPE): probatio.Match(_SUBTYPE.pattern),
    }
)


def subtype(number: int) -> str:
    """Return the trigger subtype of button `number` (its position on the keypad)."""
    return f"button_{number}"


def _button_number(value: str) -> int:
    match = _SUBTYPE.fullmatch(value)
    assert match is not None  # the schema matched it
    return int(match.group(1))


def _keypad(hass: HomeAssistant, device_id: str) -> DeviceDescription | None:
    """Return the keypad of a loaded entry that the device is, or None (not a keypad, or not loaded)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    for entry_id in device.config_entries:
        entry: HomeworksQsxConfigEntry | None = hass.config_entries.async_get_entry(
            entry_id
        )
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
        ):
            continue
        backend = entry.runtime_data.backend
        if Capability.KEYPAD not in backend.capabilities:
            return None
        for domain, serial in device.identifiers:
            if domain != DOMAIN:
                continue
            try:
                found = backend.description.device(serial)
            except UnknownObjectError:
                continue
            if Capability.KEYPAD in found.capabilities:
                return found
    return None


async def async_validate_trigger_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Check the trigger; a loaded keypad must have the button (an unloaded one is checked when it loads)."""
    config = TRIGGER_SCHEMA(config)
    keypad = _keypad(hass, config[CONF_DEVICE_ID])
    if keypad is not None and _button_number(config[CONF_SUBTYPE]) not in {
        button.number for button in keypad.buttons
    }:
        raise InvalidDeviceAutomationConfig(
            f"{keypad.name} has no {config[CONF_SUBTYPE].replace('_', ' ')}"
        )
    return config


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List every action of every button of a keypad; nothing for other devices."""
    keypad = _keypad(hass, device_id)
    if keypad is None:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
            CONF_SUBTYPE: subtype(button.number),
        }
        for button in keypad.buttons
        for trigger_type in TRIGGER_TYPES
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen to the keypad's button events of this button and action."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            event_trigger.CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_KEYPAD_BUTTON,
            event_trigger.CONF_EVENT_DATA: {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                ATTR_BUTTON: _button_number(config[CONF_SUBTYPE]),
                ATTR_ACTION: config[CONF_TYPE],
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
