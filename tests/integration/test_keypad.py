"""Keypads: events per button (LP38, LP39), device triggers, button presses (LP40), LEDs as switches (LP41, LP42).

Each keypad is a device; the action presses its buttons as a person would (tap, hold, double tap).
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx import device_trigger
from custom_components.homeworks_qsx.const import DOMAIN, EVENT_KEYPAD_BUTTON
from custom_components.homeworks_qsx.qsx.const import LedState
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    InvalidDeviceAutomationConfig,
    async_get_device_automations,
)
from homeassistant.const import EVENT_STATE_CHANGED, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component

from .conftest import emulated_backend, get_device, get_state, state_of, tick
from .whole_house import DIMMERS, HOMEOWNER_KEYPAD, KEYPAD_MODEL, KITCHEN_KEYPAD, PANEL

DINNER_EVENT = "event.kitchen_keypad_dinner"
BUTTON_2_EVENT = "event.kitchen_keypad_button_2"
DINNER = "button.kitchen_keypad_dinner"
BUTTON_2 = "button.kitchen_keypad_button_2"
DINNER_LED = "switch.kitchen_keypad_dinner_led"
BUTTON_2_LED = "switch.kitchen_keypad_button_2_led"
# LP39: a hold reports a long press after 2 s.
HOLD_SECONDS = 2


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up what a keypad has: its events, buttons and LED switches."""
    return [Platform.BUTTON, Platform.EVENT, Platform.SWITCH]


def _event_types(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Record the event types an event entity shows from now on."""
    seen: list[str] = []

    @callback
    def _record(event: Event[Any]) -> None:
        if event.data["entity_id"] == entity_id and event.data["new_state"]:
            seen.append(event.data["new_state"].attributes["event_type"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    return seen


async def _press(
    hass: HomeAssistant, entry: MockConfigEntry, serial: str, **data: Any
) -> None:
    await hass.services.async_call(
        DOMAIN,
        "press_keypad_button",
        {"device_id": get_device(hass, entry.entry_id, serial).id, **data},
        blocking=True,
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    "platforms", [[Platform.BUTTON], [Platform.EVENT], [Platform.SWITCH]]
)
async def test_snapshot(
    hass: HomeAssistant,
    whole_house: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platforms: list[Platform],
) -> None:
    """Per button an event entity, a button and an LED switch, named by the engraving or "Button n"."""
    await snapshot_platform(hass, entity_registry, snapshot, whole_house.entry_id)
    if platforms == [Platform.EVENT]:
        assert get_state(hass, DINNER_EVENT).attributes["event_types"] == [
            "press",
            "release",
            "long_press",
            "multi_tap",
        ]


async def test_keypad_devices(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A keypad is a device in its room with its model; the processor's virtual keypad has no serial number."""
    kitchen = get_device(hass, whole_house.entry_id, KITCHEN_KEYPAD)
    assert kitchen.name == "Kitchen keypad"
    assert kitchen.model_id == KEYPAD_MODEL
    assert kitchen.model == "Palladiom keypad"
    assert kitchen.serial_number == KITCHEN_KEYPAD
    assert kitchen.suggested_area == "Kitchen"
    homeowner = get_device(hass, whole_house.entry_id, HOMEOWNER_KEYPAD)
    assert homeowner.serial_number is None
    assert homeowner.model == "Homeowner keypad"
    assert homeowner.via_device_id == kitchen.via_device_id
    assert state_of(hass, "event.homeowner_keypad_button_1") == "unknown"


async def test_button_entity_taps_lp39_lp40(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """The button entity taps the keypad's button: press then release, on the entity and on the bus."""
    seen = _event_types(hass, BUTTON_2_EVENT)
    fired = async_capture_events(hass, EVENT_KEYPAD_BUTTON)
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON_2}, blocking=True
    )
    await hass.async_block_till_done()
    assert seen == ["press", "release"]
    device_id = get_device(hass, whole_house.entry_id, KITCHEN_KEYPAD).id
    assert [event.data for event in fired] == [
        {"device_id": device_id, "serial": KITCHEN_KEYPAD, "button": 2, "action": a}
        for a in ("press", "release")
    ]
    # Other buttons saw nothing.
    assert state_of(hass, DINNER_EVENT) == "unknown"


async def test_press_runs_the_programming_lp42(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A scene button sets its zones and lights its LED; its LED switch shows it (LP42)."""
    assert state_of(hass, DINNER_LED) == "off"
    await hass.services.async_call(
        "button", "press", {"entity_id": DINNER}, blocking=True
    )
    await hass.async_block_till_done()
    backend = emulated_backend(whole_house)
    assert backend.device_state(DIMMERS).output_level(1) == 75
    assert state_of(hass, DINNER_LED) == "on"


async def test_hold_and_double_tap_lp39(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """A person's hold gives press, long press after 2 s, then release when let go; a double tap a multi-tap."""
    seen = _event_types(hass, BUTTON_2_EVENT)
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2, gesture="hold")
    assert seen == ["press"]
    await tick(hass, freezer, HOLD_SECONDS + 0.5)
    assert seen == ["press", "long_press"]
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2, gesture="release")
    assert seen == ["press", "long_press", "release"]

    seen.clear()
    await tick(hass, freezer, 5)
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2, gesture="double_tap")
    assert "multi_tap" in seen
    assert seen[-1] == "release"


async def test_press_action_refusals(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """The press action takes keypads only, and only their buttons."""
    with pytest.raises(ServiceValidationError) as err:
        await _press(hass, whole_house, PANEL, button=1)
    assert err.value.translation_key == "not_a_keypad"
    with pytest.raises(ServiceValidationError) as err:
        await _press(hass, whole_house, KITCHEN_KEYPAD, button=3)
    assert err.value.translation_key == "no_such_button"
    assert str(err.value) == "Kitchen keypad has no button 3"


async def test_led_switch_lp41(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """An LED is a switch: turned on and off by the client, and reported back (LP41)."""
    backend = emulated_backend(whole_house)
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": BUTTON_2_LED}, blocking=True
    )
    assert backend.device_state(KITCHEN_KEYPAD).indicators[2] == LedState.ON
    assert state_of(hass, BUTTON_2_LED) == "on"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": BUTTON_2_LED}, blocking=True
    )
    assert backend.device_state(KITCHEN_KEYPAD).indicators[2] == LedState.OFF
    assert state_of(hass, BUTTON_2_LED) == "off"


async def test_device_triggers_listed(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    whole_house: MockConfigEntry,
) -> None:
    """A keypad offers every action of every button as a device trigger; a module offers none of ours."""
    keypad = get_device(hass, whole_house.entry_id, KITCHEN_KEYPAD)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [keypad.id]
    )
    ours = [
        (trigger["type"], trigger["subtype"])
        for trigger in triggers[keypad.id]
        if trigger["domain"] == DOMAIN
    ]
    assert ours == [
        (action, f"button_{number}")
        for number in (1, 2, 4)
        for action in ("press", "release", "long_press", "multi_tap")
    ]
    panel = get_device(hass, whole_house.entry_id, PANEL)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [panel.id]
    )
    assert [t for t in triggers[panel.id] if t["domain"] == DOMAIN] == []


async def test_device_trigger_runs_an_automation(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    whole_house: MockConfigEntry,
) -> None:
    """The trigger "Button 2 long pressed" of the kitchen keypad runs its automation on a hold of button 2 only."""
    calls = async_mock_service(hass, "test", "automation")
    keypad = get_device(hass, whole_house.entry_id, KITCHEN_KEYPAD)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": [
                    {
                        "trigger": "device",
                        "domain": DOMAIN,
                        "device_id": keypad.id,
                        "type": "long_press",
                        "subtype": "button_2",
                    }
                ],
                "actions": [
                    {
                        "action": "test.automation",
                        "data": {"button": "{{ trigger.event.data.button }}"},
                    }
                ],
            }
        },
    )
    await hass.async_block_till_done()
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2)
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=1, gesture="hold")
    await tick(hass, freezer, HOLD_SECONDS + 0.5)
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=1, gesture="release")
    assert calls == []
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2, gesture="hold")
    await tick(hass, freezer, HOLD_SECONDS + 0.5)
    await _press(hass, whole_house, KITCHEN_KEYPAD, button=2, gesture="release")
    assert [call.data for call in calls] == [{"button": 2}]


async def test_trigger_of_a_missing_button_is_invalid(
    hass: HomeAssistant, whole_house: MockConfigEntry
) -> None:
    """A trigger for a button the keypad does not have is refused while its keypad is loaded."""
    keypad = get_device(hass, whole_house.entry_id, KITCHEN_KEYPAD)
    config = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": keypad.id,
        "type": "press",
        "subtype": "button_3",
    }
    with pytest.raises(InvalidDeviceAutomationConfig, match="no button 3"):
        await device_trigger.async_validate_trigger_config(hass, config)
    valid = await device_trigger.async_validate_trigger_config(
        hass, {**config, "subtype": "button_4"}
    )
    assert valid["subtype"] == "button_4"
    await hass.config_entries.async_unload(whole_house.entry_id)
    # Not loaded: checked when it loads again.
    assert await device_trigger.async_validate_trigger_config(hass, config)
