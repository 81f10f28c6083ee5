"""Options steps that give the load of each zone, in watts, for power and energy sensors, on every backend.

A live processor's database often carries no wattage (`Wattage="0"`), and a LEAP system none at all; an emulated
description may leave loads out. The loads given here are kept in the entry's options (`CONF_ZONE_WATTS`) and
complete or override the description's. An empty field keeps the description's load; 0 W means no known load, so
the zone gets no power or energy sensor. Loads are checked against the module's ratings (M3). The entry is reloaded
afterwards, since which sensors exist depends on the loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import probatio

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .const import CONF_MODULE, CONF_ZONE_WATTS
from .energy import async_remove_sensors_without_load, zone_load_overrides
from .flow_schemas import module_selector, zone_placeholders
from .qsx import (
    MAINS_VOLTAGE,
    MODULE_RATING_A,
    ZONE_RATING_A,
    ZONES_PER_MODULE,
    DeviceDescription,
    SystemDescription,
    module_loads,
)
from .runtime import HomeworksQsxConfigEntry

STEP_ZONE_LOADS: Final = "zone_loads"
STEP_MODULE_LOADS: Final = "module_loads"

ZONE_MAX_WATTS: Final = ZONE_RATING_A * MAINS_VOLTAGE  # M3: 8 A at 120 V
MODULE_MAX_WATTS: Final = MODULE_RATING_A * MAINS_VOLTAGE  # M3: 16 A at 120 V

_WATTS = NumberSelector(
    NumberSelectorConfig(
        min=0,
        max=ZONE_MAX_WATTS,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="W",
    )
)


def zone_watts_key(number: int) -> str:
    """Return the form field of zone `number`'s load."""
    return f"zone_{number}_watts"


def module_loads_schema(
    module: DeviceDescription, overrides: Mapping[int, float]
) -> probatio.Schema:
    """Return the form of a module's loads, each field suggesting the load in use (given, else described)."""
    fields: dict[Any, Any] = {}
    for zone in module.zones:
        watts = overrides.get(zone.number, zone.watts or None)
        key = probatio.Optional(
            zone_watts_key(zone.number),
            description=None if watts is None else {"suggested_value": watts},
        )
        fields[key] = _WATTS
    return probatio.Schema(fields)


def given_loads(user_input: Mapping[str, Any]) -> dict[int, float]:
    """Return the loads a form gives, by zone number (an empty field gives none)."""
    return {
        number: float(user_input[zone_watts_key(number)])
        for number in range(1, ZONES_PER_MODULE + 1)
        if user_input.get(zone_watts_key(number)) is not None
    }


def overload_error(module: DeviceDescription, given: Mapping[int, float]) -> str | None:
    """Return the form error when the module's loads together exceed its rating (M3), else None."""
    total = sum(watts or 0.0 for watts in module_loads(module, given))
    return "module_overloaded" if total > MODULE_MAX_WATTS else None


def options_with_loads(
    options: Mapping[str, Any], serial: str, given: Mapping[int, float]
) -> dict[str, Any]:
    """Return `options` with the loads of module `serial` replaced by `given` (none given: the entry is dropped)."""
    loads = {
        key: value
        for key, value in options.get(CONF_ZONE_WATTS, {}).items()
        if key != serial
    }
    if given:
        loads[serial] = {str(number): watts for number, watts in sorted(given.items())}
    return {**options, CONF_ZONE_WATTS: loads}


class ZoneLoadsOptionsFlow(OptionsFlow):
    """The steps that set the loads of a module's zones; the integration's options flow offers them."""

    _loads_serial: str | None = None

    def _loaded_description(self) -> SystemDescription | None:
        entry: HomeworksQsxConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return None
        return entry.runtime_data.backend.description

    async def async_step_zone_loads(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the module whose loads to give."""
        description = self._loaded_description()
        if description is None:
            return self.async_abort(reason="not_loaded")
        if not description.modules:
            return self.async_abort(reason="no_modules")
        if user_input is not None:
            self._loads_serial = user_input[CONF_MODULE]
            return await self.async_step_module_loads()
        return self.async_show_form(
            step_id=STEP_ZONE_LOADS,
            data_schema=probatio.Schema(
                {probatio.Required(CONF_MODULE): module_selector(description)}
            ),
        )

    async def async_step_module_loads(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Give the load of each zone of the chosen module; the entry reloads with its new sensors."""
        description = self._loaded_description()
        if description is None:
            return self.async_abort(reason="not_loaded")
        assert self._loads_serial is not None
        try:
            module = description.device(self._loads_serial)
        except KeyError:
            return self.async_abort(reason="module_gone")
        entry = self.config_entry
        errors: dict[str, str] = {}
        overrides = zone_load_overrides(entry.options, module.serial)
        if user_input is not None:
            given = given_loads(user_input)
            if error := overload_error(module, given):
                errors["base"] = error
                overrides = given
            else:
                options = options_with_loads(entry.options, module.serial, given)
                # Which sensors exist depends on the loads: the entry is set up again with them.
                self.hass.config_entries.async_update_entry(entry, options=options)
                async_remove_sensors_without_load(self.hass, entry)
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data=options)
        return self.async_show_form(
            step_id=STEP_MODULE_LOADS,
            data_schema=module_loads_schema(module, overrides),
            errors=errors,
            description_placeholders={
                **zone_placeholders(module),
                "module": module.name,
                "zone_max": f"{ZONE_MAX_WATTS:g}",
                "module_max": f"{MODULE_MAX_WATTS:g}",
            },
        )
