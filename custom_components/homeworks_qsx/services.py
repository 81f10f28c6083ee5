"""Actions of the HomeWorks QSX integration: what a person does at the panel, and CCO pulses.

The simulation actions change physical conditions of an emulated system (its CCI contact, mains power, QS link
wiring, bypass jumper, temperature). Pressing a module's button and pulsing its CCO work on live processors too.
Every action targets modules by device id.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .const import (
    ATTR_BUTTON,
    ATTR_DEVICE_ID,
    ATTR_DURATION,
    ATTR_ENABLED,
    ATTR_INSTALLED,
    ATTR_OPEN,
    ATTR_POWERED,
    ATTR_TEMPERATURE,
    ATTR_UP,
    DOMAIN,
)
from .helpers import homeworks_qsx_exception_handler, simulation_exception_handler
from .qsx.backend import Capability
from .qsx.const import MAX_PULSE_SECONDS, MIN_PULSE_SECONDS, Button, Fault
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

SERVICE_SET_CCI = "set_cci"
SERVICE_PRESS_BUTTON = "press_button"
SERVICE_SET_POWER = "set_power"
SERVICE_SET_LINK = "set_link"
SERVICE_SET_BYPASS = "set_bypass"
SERVICE_SET_TEMPERATURE = "set_temperature"
SERVICE_SET_PROGRAM_MODE = "set_program_mode"
SERVICE_PULSE_CCO = "pulse_cco"

BUTTONS: dict[str, Button] = {
    "zone_1": Button.ZONE_1,
    "zone_2": Button.ZONE_2,
    "zone_3": Button.ZONE_3,
    "zone_4": Button.ZONE_4,
    "prog": Button.PROG,
}

_DEVICES = {probatio.Required(ATTR_DEVICE_ID): cv.ensure_list_csv}


def _schema(field: str, validator: object) -> probatio.Schema:
    return probatio.Schema({**_DEVICES, probatio.Required(field): validator})


@dataclass(frozen=True, kw_only=True)
class _Simulation:
    """A physical condition and the field of the action that sets it."""

    fault: Fault
    field: str
    schema: probatio.Schema


SIMULATIONS: dict[str, _Simulation] = {
    SERVICE_SET_CCI: _Simulation(
        fault=Fault.CCI, field=ATTR_OPEN, schema=_schema(ATTR_OPEN, cv.boolean)
    ),
    SERVICE_SET_POWER: _Simulation(
        fault=Fault.POWER,
        field=ATTR_POWERED,
        schema=_schema(ATTR_POWERED, cv.boolean),
    ),
    SERVICE_SET_LINK: _Simulation(
        fault=Fault.LINK, field=ATTR_UP, schema=_schema(ATTR_UP, cv.boolean)
    ),
    SERVICE_SET_BYPASS: _Simulation(
        fault=Fault.BYPASS,
        field=ATTR_INSTALLED,
        schema=_schema(ATTR_INSTALLED, cv.boolean),
    ),
    SERVICE_SET_TEMPERATURE: _Simulation(
        fault=Fault.TEMPERATURE,
        field=ATTR_TEMPERATURE,
        schema=_schema(
            ATTR_TEMPERATURE,
            probatio.All(probatio.Coerce(float), probatio.Range(min=-40, max=150)),
        ),
    ),
    SERVICE_SET_PROGRAM_MODE: _Simulation(
        fault=Fault.PROGRAM,
        field=ATTR_ENABLED,
        schema=_schema(ATTR_ENABLED, cv.boolean),
    ),
}

PRESS_BUTTON_SCHEMA = _schema(ATTR_BUTTON, probatio.In(BUTTONS))
PULSE_CCO_SCHEMA = probatio.Schema(
    {
        **_DEVICES,
        probatio.Optional(ATTR_DURATION): probatio.All(
            probatio.Coerce(float),
            probatio.Range(min=MIN_PULSE_SECONDS, max=MAX_PULSE_SECONDS),
        ),
    }
)


@dataclass(frozen=True, kw_only=True)
class _Target:
    """A module an action targets, with the loaded entry it belongs to."""

    entry: HomeworksQsxConfigEntry
    serial: str

    @property
    def runtime(self) -> HomeworksQsxRuntime:
        """The runtime of the module's entry."""
        return self.entry.runtime_data


def _targets(hass: HomeAssistant, call: ServiceCall) -> list[_Target]:
    """Resolve the targeted devices into modules of loaded entries; a translated error for anything else."""
    targets: list[_Target] = []
    for device_id in call.data[ATTR_DEVICE_ID]:
        device, entry = dr.async_get_device_and_config_entry_for_domain(
            hass, device_id, domain=DOMAIN, include_child_devices=False
        )
        if device is None or entry is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_device",
                translation_placeholders={"device_id": device_id},
            )
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"name": entry.title},
            )
        loaded: HomeworksQsxConfigEntry = entry
        serial = next(ident for domain, ident in device.identifiers if domain == DOMAIN)
        if serial == loaded.runtime_data.processor_serial:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_module",
                translation_placeholders={"device": device.name or device_id},
            )
        targets.append(_Target(entry=loaded, serial=serial))
    return targets


@simulation_exception_handler
async def _async_simulate(target: _Target, fault: Fault, value: bool | float) -> None:
    await target.runtime.backend.async_simulate(target.serial, fault, value)


@homeworks_qsx_exception_handler
async def _async_press(target: _Target, button: Button) -> None:
    await target.runtime.backend.async_press_button(target.serial, button)


@homeworks_qsx_exception_handler
async def _async_pulse(target: _Target, duration: float | None) -> None:
    await target.runtime.backend.async_pulse_cco(target.serial, duration)


async def _async_handle_simulation(simulation: _Simulation, call: ServiceCall) -> None:
    """Change one physical condition of every targeted module (emulated systems only)."""
    targets = _targets(call.hass, call)
    for target in targets:
        if not target.runtime.backend.supports_simulation:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="simulation_not_supported",
                translation_placeholders={
                    "name": target.entry.title,
                    "reason": target.runtime.backend.unsupported_reason(
                        Capability.SIMULATION
                    )
                    or "",
                },
            )
    value = call.data[simulation.field]
    for target in targets:
        await _async_simulate(target, simulation.fault, value)


async def _async_press_button(call: ServiceCall) -> None:
    """Press a button of every targeted module."""
    button = BUTTONS[call.data[ATTR_BUTTON]]
    for target in _targets(call.hass, call):
        await _async_press(target, button)


async def _async_pulse_cco(call: ServiceCall) -> None:
    """Pulse the CCO of every targeted module."""
    duration: float | None = call.data.get(ATTR_DURATION)
    targets = _targets(call.hass, call)
    for target in targets:
        description = target.runtime.backend.description
        if any(group.serial == target.serial for group in description.groups):
            # An area group (LEAP) has CCO zones, switched by their switches, but no CCO of its own.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="area_group_no_cco",
                translation_placeholders={
                    "device": description.group(target.serial).name
                },
            )
    for target in targets:
        await _async_pulse(target, duration)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of the integration (once, for every config entry)."""
    # Module-level handlers: an entry adds no closures to what Home Assistant keeps.
    for service, simulation in SIMULATIONS.items():
        hass.services.async_register(
            DOMAIN,
            service,
            partial(_async_handle_simulation, simulation),
            schema=simulation.schema,
        )
    hass.services.async_register(
        DOMAIN, SERVICE_PRESS_BUTTON, _async_press_button, schema=PRESS_BUTTON_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_PULSE_CCO, _async_pulse_cco, schema=PULSE_CCO_SCHEMA
    )
