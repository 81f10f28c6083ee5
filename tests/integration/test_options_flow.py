"""Options flow: modules of an emulated system added, removed and set up at run time (dynamic devices)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import (
    CONF_AREA,
    CONF_CCI_REPAIR_MINUTES,
    CONF_CCO_TYPE,
    CONF_LINK,
    CONF_MODULE,
    CONF_PULSE_SECONDS,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.const import CcoType, OverrideLevel
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.errors import LimitError
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)

from .conftest import (
    GARAGE,
    HALL,
    KITCHEN,
    counted_data,
    error_text,
    live_data,
    placeholders,
    state_of,
)


async def _menu(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> str:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "add_module",
        "remove_module",
        "select_module",
        "settings",
        "zone_loads",
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return str(result["flow_id"])


async def test_add_module(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A module added to link 2 appears at once, with its device in the area chosen and its entities."""
    studio = ar.async_get(hass).async_create("Studio")
    flow_id = await _menu(hass, init_integration, "add_module")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_LINK: "2", CONF_NAME: " Studio panel ", CONF_AREA: studio.id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    module = next(
        module
        for module in init_integration.runtime_data.backend.description.modules
        if module.name == "Studio panel"
    )
    assert (module.link, module.address) == (2, 2)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, module.serial), init_integration.entry_id
    )
    assert device is not None
    assert module.area == "Studio"
    assert device.area_id == studio.id
    assert state_of(hass, "switch.studio_panel_zone_1") == "off"
    assert state_of(hass, "sensor.test_house_link_2_devices") == "2"
    assert state_of(hass, "sensor.test_house_link_2_zones") == "8"


async def test_add_module_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An invalid module is refused with the reason, and a valid one then added."""
    flow_id = await _menu(hass, init_integration, "add_module")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_LINK: "1", CONF_NAME: "Bad\x01name"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_add_module"}
    assert error_text(result)
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_LINK: "1"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.test_house_link_1_devices") == "3"


async def test_remove_modules(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Nothing is chosen beforehand; the chosen modules are named before removal and after it.

    Removed modules leave the device registry, with their entities.
    """
    flow_id = await _menu(hass, init_integration, "remove_module")
    result = await hass.config_entries.options.async_configure(flow_id)
    schema = result["data_schema"]
    assert schema is not None
    (field,) = schema.schema
    assert field.default() == []
    # Submitting with nothing chosen removes nothing.
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MODULE: "no_module_chosen"}
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_MODULE: [GARAGE, HALL]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "remove_module_confirm"
    listed = placeholders(result)["modules"]
    assert "Garage panel" in listed
    assert "Hall panel" in listed
    assert "Kitchen panel" not in listed
    # Not removed before the confirmation.
    assert state_of(hass, "sensor.test_house_link_2_devices") != "0"
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "modules_removed"
    assert result["description_placeholders"] == {"modules": listed}
    await hass.async_block_till_done()
    entry_id = init_integration.entry_id
    for serial in (GARAGE, HALL):
        assert (
            device_registry.async_get_device_by_identifier((DOMAIN, serial), entry_id)
            is None
        )
    assert hass.states.get("switch.garage_panel_workbench") is None
    assert entity_registry.async_get("switch.garage_panel_workbench") is None
    assert state_of(hass, "switch.kitchen_panel_island") == "off"
    assert state_of(hass, "sensor.test_house_link_2_devices") == "0"


async def test_module_settings(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """CCO type, pulse time and override levels change without a restart."""
    flow_id = await _menu(hass, init_integration, "select_module")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_MODULE: KITCHEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "module_settings"
    assert placeholders(result)["module"] == "Kitchen panel"
    settings = {
        CONF_CCO_TYPE: "maintained",
        CONF_PULSE_SECONDS: 3.5,
        "zone_1_override": "off",
        "zone_2_override": "unchanged",
        "zone_3_override": "on",
        "zone_4_override": "on",
    }
    with patch.object(
        Emulator, "update_module", side_effect=LimitError("", "too much")
    ):
        result = await hass.config_entries.options.async_configure(flow_id, settings)
    assert result["errors"] == {"base": "cannot_update_module"}
    assert error_text(result) == "too much"
    result = await hass.config_entries.options.async_configure(flow_id, settings)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    module = init_integration.runtime_data.backend.description.device(KITCHEN)
    assert module.cco.cco_type is CcoType.MAINTAINED
    assert module.cco.pulse_seconds == 3.5
    assert [zone.override_level for zone in module.zones] == [
        OverrideLevel.OFF,
        OverrideLevel.UNCHANGED,
        OverrideLevel.ON,
        OverrideLevel.ON,
    ]
    # A maintained CCO now stays closed when turned on.
    await hass.services.async_call(
        "switch",
        "turn_on",
        {"entity_id": "switch.kitchen_panel_gate"},
        blocking=True,
    )
    assert state_of(hass, "switch.kitchen_panel_gate") == "on"


async def test_module_gone_meanwhile(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A module removed while its settings are open aborts the flow."""
    flow_id = await _menu(hass, init_integration, "select_module")
    await hass.config_entries.options.async_configure(flow_id, {CONF_MODULE: GARAGE})
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    backend.emulator.remove_module(GARAGE)
    result = await hass.config_entries.options.async_configure(
        flow_id,
        {
            CONF_CCO_TYPE: "maintained",
            CONF_PULSE_SECONDS: 1,
            "zone_1_override": "on",
            "zone_2_override": "on",
            "zone_3_override": "on",
            "zone_4_override": "on",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "module_gone"


async def test_settings(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The repair threshold is stored as an option."""
    flow_id = await _menu(hass, init_integration, "settings")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_CCI_REPAIR_MINUTES: 3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options == {CONF_CCI_REPAIR_MINUTES: 3}
    assert init_integration.runtime_data.issues.cci_repair_seconds == 180


async def test_live_options(hass: HomeAssistant) -> None:
    """A live system only has the repair setting."""
    entry = MockConfigEntry(domain=DOMAIN, data=live_data(23, 80), unique_id="x")
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CCI_REPAIR_MINUTES: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_CCI_REPAIR_MINUTES: 30}


async def test_not_loaded(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Modules of an emulated system can only be changed while it runs."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_unloaded_while_open(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every step aborts when the system was unloaded after the menu was shown."""
    flows = {}
    for step in ("add_module", "remove_module", "select_module"):
        flows[step] = await _menu(hass, init_integration, step)
    settings_flow = await _menu(hass, init_integration, "select_module")
    await hass.config_entries.options.async_configure(
        settings_flow, {CONF_MODULE: KITCHEN}
    )
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    inputs: dict[str, dict[str, Any]] = {
        "add_module": {CONF_LINK: "1"},
        "remove_module": {CONF_MODULE: [KITCHEN]},
        "select_module": {CONF_MODULE: KITCHEN},
    }
    for step, flow_id in flows.items():
        result = await hass.config_entries.options.async_configure(
            flow_id, inputs[step]
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "not_loaded"
    result = await hass.config_entries.options.async_configure(
        settings_flow,
        {
            CONF_CCO_TYPE: "maintained",
            CONF_PULSE_SECONDS: 1,
            "zone_1_override": "on",
            "zone_2_override": "on",
            "zone_3_override": "on",
            "zone_4_override": "on",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_no_modules(hass: HomeAssistant) -> None:
    """A system without modules has nothing to remove or set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=counted_data(modules_per_link=[0, 0], name="Empty"),
        unique_id="empty",
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for step in ("remove_module", "select_module"):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": step}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "no_modules"


async def test_remove_confirmation_after_the_modules_left(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A confirmation whose modules are gone aborts; one whose system was unloaded says so."""
    flow_id = await _menu(hass, init_integration, "remove_module")
    await hass.config_entries.options.async_configure(flow_id, {CONF_MODULE: [GARAGE]})
    backend = init_integration.runtime_data.emulated
    assert backend is not None
    backend.emulator.remove_module(GARAGE)
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "module_gone"

    flow_id = await _menu(hass, init_integration, "remove_module")
    await hass.config_entries.options.async_configure(flow_id, {CONF_MODULE: [HALL]})
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_zone_fields_named_after_the_zones(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The override and load fields of a module's zones carry the zones' names, as their entities do."""
    module = init_integration.runtime_data.backend.description.device(KITCHEN)
    names = {f"zone_{zone.number}": zone.name for zone in module.zones}
    assert names["zone_1"] == "Island"
    flow_id = await _menu(hass, init_integration, "select_module")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_MODULE: KITCHEN}
    )
    assert result["description_placeholders"] == {**names, "module": "Kitchen panel"}

    flow_id = await _menu(hass, init_integration, "zone_loads")
    result = await hass.config_entries.options.async_configure(
        flow_id, {CONF_MODULE: KITCHEN}
    )
    assert result["step_id"] == "module_loads"
    assert result["description_placeholders"] == {
        **names,
        "module": "Kitchen panel",
        "zone_max": "960",
        "module_max": "1920",
    }
