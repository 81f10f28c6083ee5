"""Options flow of the HomeWorks QSX integration: the modules of an emulated system, the repair threshold, zone loads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import probatio

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers.selector import (
    AreaSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .const import (
    CONF_AREA,
    CONF_BACKEND,
    CONF_CCI_REPAIR_MINUTES,
    CONF_CCO_TYPE,
    CONF_LINK,
    CONF_MODULE,
    CONF_PULSE_SECONDS,
    DEFAULT_CCI_REPAIR_MINUTES,
    BackendType,
)
from .flow_schemas import dropdown, module_label, module_selector, zone_placeholders
from .load_options import STEP_ZONE_LOADS, ZoneLoadsOptionsFlow
from .qsx import (
    MAX_PULSE_SECONDS,
    MIN_PULSE_SECONDS,
    ZONES_PER_MODULE,
    Capability,
    CcoType,
    DeviceDescription,
    EmulatedBackend,
    OverrideLevel,
    QsxError,
)
from .qsx.emulator.description import new_module
from .runtime import HomeworksQsxConfigEntry


def _zone_override_key(number: int) -> str:
    return f"zone_{number}_override"


class HomeworksQsxOptionsFlow(ZoneLoadsOptionsFlow):
    """Add, remove and set up modules of an emulated system; the repair threshold of every system."""

    def __init__(self) -> None:
        """Start with no module chosen."""
        self._serial: str | None = None
        # The modules chosen for removal, until the user confirms.
        self._to_remove: list[str] = []

    @property
    def _entry(self) -> HomeworksQsxConfigEntry:
        entry: HomeworksQsxConfigEntry = self.config_entry
        return entry

    def _backend(self) -> EmulatedBackend | None:
        entry = self._entry
        if entry.state is not ConfigEntryState.LOADED:
            return None
        return entry.runtime_data.emulated

    def _backend_with_modules(self) -> EmulatedBackend | ConfigFlowResult:
        """Return the loaded emulated backend, or the abort saying why there is no module to choose."""
        backend = self._backend()
        if backend is None:
            return self.async_abort(reason="not_loaded")
        if not backend.description.modules:
            return self.async_abort(reason="no_modules")
        return backend

    def _show_module_choice(
        self, step_id: str, backend: EmulatedBackend
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(
                {probatio.Required(CONF_MODULE): module_selector(backend.description)}
            ),
        )

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer what can be changed."""
        if self._entry.data[CONF_BACKEND] != BackendType.EMULATED:
            loaded = self._entry.state is ConfigEntryState.LOADED
            # The repair setting is about the override input (CCI), which LEAP does not report (LP17).
            has_cci = (
                Capability.CCI in self._entry.runtime_data.backend.capabilities
                if loaded
                else self._entry.data[CONF_BACKEND] != BackendType.LEAP
            )
            if not loaded:
                if has_cci:
                    return await self.async_step_settings()
                return self.async_abort(reason="not_loaded")
            return self.async_show_menu(
                step_id="init",
                menu_options=["settings", STEP_ZONE_LOADS]
                if has_cci
                else [STEP_ZONE_LOADS],
            )
        if self._backend() is None:
            return self.async_abort(reason="not_loaded")
        return self.async_show_menu(
            step_id="init",
            menu_options=[
                "add_module",
                "remove_module",
                "select_module",
                "settings",
                STEP_ZONE_LOADS,
            ],
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How long a CCI may stay open without an override device before a repair issue appears."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **self._entry.options,
                    CONF_CCI_REPAIR_MINUTES: int(user_input[CONF_CCI_REPAIR_MINUTES]),
                }
            )
        return self.async_show_form(
            step_id="settings",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_CCI_REPAIR_MINUTES,
                        default=self._entry.options.get(
                            CONF_CCI_REPAIR_MINUTES, DEFAULT_CCI_REPAIR_MINUTES
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1,
                            max=1440,
                            step=1,
                            mode=NumberSelectorMode.BOX,
                            unit_of_measurement="min",
                        )
                    )
                }
            ),
        )

    async def async_step_add_module(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a switching module to a link of the emulated system; its entities appear at once."""
        backend = self._backend()
        if backend is None:
            return self.async_abort(reason="not_loaded")
        description = backend.description
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            overrides: dict[str, str] = {}
            if name := user_input.get(CONF_NAME, "").strip():
                overrides[CONF_NAME] = name
            # The module's room is the chosen area's name: its device is then placed in that area.
            if (area_id := user_input.get(CONF_AREA)) and (
                area := ar.async_get(self.hass).async_get_area(area_id)
            ):
                overrides[CONF_AREA] = area.name
            try:
                module = new_module(
                    description, int(user_input[CONF_LINK]), **overrides
                )
                backend.emulator.add_module(module)
            except QsxError as err:
                errors["base"] = "cannot_add_module"
                placeholders["error"] = str(err)
            else:
                return self.async_create_entry(data=dict(self._entry.options))
        links = [str(link.number) for link in description.links]
        schema = probatio.Schema(
            {
                probatio.Required(CONF_LINK, default=links[0]): dropdown(links),
                probatio.Optional(CONF_NAME): str,
                probatio.Optional(CONF_AREA): AreaSelector(),
            }
        )
        return self.async_show_form(
            step_id="add_module",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_remove_module(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose modules to remove (none is chosen beforehand); the next step asks to confirm."""
        backend = self._backend_with_modules()
        if not isinstance(backend, EmulatedBackend):
            return backend
        errors: dict[str, str] = {}
        if user_input is not None:
            self._to_remove = list(user_input.get(CONF_MODULE, []))
            if self._to_remove:
                return await self.async_step_remove_module_confirm()
            errors[CONF_MODULE] = "no_module_chosen"
        # Optional with an empty default: the form starts with nothing selected.
        return self.async_show_form(
            step_id="remove_module",
            data_schema=probatio.Schema(
                {
                    probatio.Optional(CONF_MODULE, default=[]): module_selector(
                        backend.description, multiple=True
                    )
                }
            ),
            errors=errors,
        )

    async def async_step_remove_module_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the modules about to be removed; remove them once confirmed, and say which were removed."""
        backend = self._backend()
        if backend is None:
            return self.async_abort(reason="not_loaded")
        modules = [
            module
            for module in backend.description.modules
            if module.serial in self._to_remove
        ]
        if not modules:
            return self.async_abort(reason="module_gone")
        listed = {
            "modules": "\n".join(f"- {module_label(module)}" for module in modules)
        }
        if user_input is None:
            return self.async_show_form(
                step_id="remove_module_confirm", description_placeholders=listed
            )
        for module in modules:
            backend.emulator.remove_module(module.serial)
        # An abort is the options dialog's only way to show a message of its own ("Options saved" otherwise).
        return self.async_abort(
            reason="modules_removed", description_placeholders=listed
        )

    async def async_step_select_module(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the module whose settings to change."""
        backend = self._backend_with_modules()
        if not isinstance(backend, EmulatedBackend):
            return backend
        if user_input is not None:
            self._serial = user_input[CONF_MODULE]
            return await self.async_step_module_settings()
        return self._show_module_choice("select_module", backend)

    async def async_step_module_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a module's CCO type and pulse time, and what each zone does in manual override."""
        backend = self._backend()
        if backend is None:
            return self.async_abort(reason="not_loaded")
        assert self._serial is not None
        try:
            module = backend.description.device(self._serial)
        except KeyError:
            return self.async_abort(reason="module_gone")
        errors: dict[str, str] = {}
        placeholders = {**zone_placeholders(module), "module": module.name}
        if user_input is not None:
            try:
                backend.emulator.update_module(_updated_module(module, user_input))
            except QsxError as err:
                errors["base"] = "cannot_update_module"
                placeholders["error"] = str(err)
            else:
                return self.async_create_entry(data=dict(self._entry.options))
        return self.async_show_form(
            step_id="module_settings",
            data_schema=self.add_suggested_values_to_schema(
                _module_settings_schema(), _module_settings(module)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _module_settings_schema() -> probatio.Schema:
    override = dropdown(
        [level.value for level in OverrideLevel], translation_key="override_level"
    )
    return probatio.Schema(
        {
            probatio.Required(CONF_CCO_TYPE): dropdown(
                [cco_type.value for cco_type in CcoType], translation_key=CONF_CCO_TYPE
            ),
            probatio.Required(CONF_PULSE_SECONDS): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_PULSE_SECONDS,
                    max=MAX_PULSE_SECONDS,
                    step=0.25,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="s",
                )
            ),
            **{
                probatio.Required(_zone_override_key(number)): override
                for number in range(1, ZONES_PER_MODULE + 1)
            },
        }
    )


def _module_settings(module: DeviceDescription) -> dict[str, Any]:
    return {
        CONF_CCO_TYPE: module.cco.cco_type.value,
        CONF_PULSE_SECONDS: module.cco.pulse_seconds,
        **{
            _zone_override_key(zone.number): zone.override_level.value
            for zone in module.zones
        },
    }


def _updated_module(
    module: DeviceDescription, user_input: Mapping[str, Any]
) -> DeviceDescription:
    return module.with_outputs(
        cco=replace(
            module.cco,
            cco_type=CcoType(user_input[CONF_CCO_TYPE]),
            pulse_seconds=float(user_input[CONF_PULSE_SECONDS]),
        ),
        zones=tuple(
            replace(
                zone,
                override_level=OverrideLevel(
                    user_input[_zone_override_key(zone.number)]
                ),
            )
            for zone in module.zones
        ),
    )
