"""Actions of the HomeWorks QSX integration: what a person does at the panel, CCO pulses, and LEAP clients.

The simulation actions change physical conditions of an emulated system (its CCI contact, mains power, QS link
wiring, bypass jumper, temperature; a person entering or leaving a room; a shade moved or a light dimmed by hand).
Pressing a module's button, pulsing its CCO and a person's tap, hold or double tap on a keypad button work on live
processors too. These actions target devices by device id.

The LEAP actions target the processor of an emulated system served over LEAP: pressing its pairing button opens
the pairing window (LP21), and issuing a client certificate writes the three files Home Assistant's lutron_caseta
reads (LP21's direct issue) into a folder of the configuration directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
import re

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .const import (
    ATTR_BUTTON,
    ATTR_DEVICE_ID,
    ATTR_DURATION,
    ATTR_ENABLED,
    ATTR_FOLDER,
    ATTR_GESTURE,
    ATTR_HOST,
    ATTR_INSTALLED,
    ATTR_LEVEL,
    ATTR_OCCUPIED,
    ATTR_ONLINE,
    ATTR_OPEN,
    ATTR_OUTPUT,
    ATTR_POWERED,
    ATTR_TEMPERATURE,
    ATTR_UP,
    DEFAULT_PAIRING_WINDOW_SECONDS,
    DOMAIN,
    LOGGER,
    MAX_PAIRING_WINDOW_SECONDS,
)
from .helpers import homeworks_qsx_exception_handler, simulation_exception_handler
from .qsx import (
    MAX_PULSE_SECONDS,
    MIN_PULSE_SECONDS,
    Button,
    Capability,
    DeviceDescription,
    EmulatedBackend,
    EmulatorServers,
    Fault,
    Gesture,
    UnknownObjectError,
    ZoneDescription,
)
from .qsx.leap import LeapCredentials
from .runtime import HomeworksQsxConfigEntry, HomeworksQsxRuntime

SERVICE_SET_CCI = "set_cci"
SERVICE_PRESS_BUTTON = "press_button"
SERVICE_SET_POWER = "set_power"
SERVICE_SET_LINK = "set_link"
SERVICE_SET_BYPASS = "set_bypass"
SERVICE_SET_TEMPERATURE = "set_temperature"
SERVICE_SET_PROGRAM_MODE = "set_program_mode"
SERVICE_PULSE_CCO = "pulse_cco"
SERVICE_PRESS_PAIRING_BUTTON = "press_pairing_button"
SERVICE_ISSUE_CLIENT_CERTIFICATE = "issue_client_certificate"
SERVICE_PRESS_KEYPAD_BUTTON = "press_keypad_button"
SERVICE_SET_OCCUPANCY = "set_occupancy"
SERVICE_SET_MANUAL_LEVEL = "set_manual_level"
SERVICE_SET_PROCESSOR_ONLINE = "set_processor_online"

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
    """A physical condition and the field of the action that sets it.

    `capability`: what a targeted device must have (None: the module conditions, which the emulator checks).
    """

    fault: Fault
    field: str
    schema: probatio.Schema
    capability: Capability | None = None
    with_output: bool = (
        False  # the condition is of one output of the device (`ATTR_OUTPUT`)
    )


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
    # A person enters (True) or leaves (False) the room of occupancy sensors (LP44).
    SERVICE_SET_OCCUPANCY: _Simulation(
        fault=Fault.OCCUPANCY,
        field=ATTR_OCCUPIED,
        schema=_schema(ATTR_OCCUPIED, cv.boolean),
        capability=Capability.OCCUPANCY,
    ),
    # A shade moved by hand, or a light set at its own control, to a level.
    SERVICE_SET_MANUAL_LEVEL: _Simulation(
        fault=Fault.MANUAL_LEVEL,
        field=ATTR_LEVEL,
        schema=probatio.Schema(
            {
                **_DEVICES,
                probatio.Required(ATTR_LEVEL): probatio.All(
                    probatio.Coerce(float), probatio.Range(min=0, max=100)
                ),
                probatio.Optional(ATTR_OUTPUT, default=1): probatio.All(
                    probatio.Coerce(int), probatio.Range(min=1)
                ),
            }
        ),
        capability=Capability.LEVELS,
        with_output=True,
    ),
}

# How a person presses a keypad button (LP40): the release ends a hold.
GESTURES: dict[str, Gesture] = {gesture.value: gesture for gesture in Gesture}

PRESS_BUTTON_SCHEMA = _schema(ATTR_BUTTON, probatio.In(BUTTONS))
PRESS_KEYPAD_BUTTON_SCHEMA = probatio.Schema(
    {
        **_DEVICES,
        probatio.Required(ATTR_BUTTON): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0)
        ),
        probatio.Optional(ATTR_GESTURE, default=Gesture.TAP.value): probatio.In(
            GESTURES
        ),
    }
)
PULSE_CCO_SCHEMA = probatio.Schema(
    {
        **_DEVICES,
        probatio.Optional(ATTR_DURATION): probatio.All(
            probatio.Coerce(float),
            probatio.Range(min=MIN_PULSE_SECONDS, max=MAX_PULSE_SECONDS),
        ),
    }
)
PRESS_PAIRING_BUTTON_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(
            ATTR_DURATION, default=DEFAULT_PAIRING_WINDOW_SECONDS
        ): probatio.All(
            probatio.Coerce(float),
            probatio.Range(min=1, max=MAX_PAIRING_WINDOW_SECONDS),
        ),
    }
)
ISSUE_CLIENT_CERTIFICATE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Required(ATTR_FOLDER): cv.string,
        probatio.Optional(ATTR_HOST): cv.string,
    }
)
# The <id> of lutron_caseta's file names is a host: a name or an address, never a path.
_FILE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:_-]*")
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})
# Served by Home Assistant's web server to anyone (as /local/): never a place for a private key.
_PUBLIC_FOLDER = "www"


@dataclass(frozen=True, kw_only=True)
class _Target:
    """A module an action targets, with the loaded entry it belongs to."""

    entry: HomeworksQsxConfigEntry
    serial: str

    @property
    def runtime(self) -> HomeworksQsxRuntime:
        """The runtime of the module's entry."""
        return self.entry.runtime_data


def _device_of_loaded_entry(
    hass: HomeAssistant, device_id: str, unknown_key: str
) -> tuple[dr.DeviceEntry, HomeworksQsxConfigEntry]:
    """Resolve a targeted device into itself and its loaded entry; `unknown_key` names the error if it is not ours."""
    device, entry = dr.async_get_device_and_config_entry_for_domain(
        hass, device_id, domain=DOMAIN, include_child_devices=False
    )
    if device is None or entry is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=unknown_key,
            translation_placeholders={"device_id": device_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    loaded: HomeworksQsxConfigEntry = entry
    return device, loaded


def _targets(hass: HomeAssistant, call: ServiceCall) -> list[_Target]:
    """Resolve the targeted devices into modules of loaded entries; a translated error for anything else."""
    targets: list[_Target] = []
    for device_id in call.data[ATTR_DEVICE_ID]:
        device, loaded = _device_of_loaded_entry(hass, device_id, "unknown_device")
        serial = next(ident for domain, ident in device.identifiers if domain == DOMAIN)
        if serial in loaded.runtime_data.processor_serials():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_module",
                translation_placeholders={"device": device.name or device_id},
            )
        targets.append(_Target(entry=loaded, serial=serial))
    return targets


def _device(target: _Target) -> DeviceDescription | None:
    """Return the targeted device's description; None when it is gone (the command then says so)."""
    try:
        return target.runtime.backend.description.device(target.serial)
    except UnknownObjectError:
        return None


def _require(target: _Target, capability: Capability, translation_key: str) -> None:
    """Refuse a device that does not have `capability` (a keypad action on a module, ...)."""
    device = _device(target)
    if device is not None and capability not in device.capabilities:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={"device": device.name},
        )


def _require_level_output(target: _Target, output: int) -> None:
    """Refuse an output the device does not have, or whose state is no level."""
    device = _device(target)
    if device is not None and not any(
        isinstance(item, ZoneDescription) and item.has_level and item.number == output
        for item in device.outputs
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_level_output",
            translation_placeholders={"device": device.name, "output": str(output)},
        )


@simulation_exception_handler
async def _async_simulate(
    target: _Target, fault: Fault, value: bool | float, output: int | None
) -> None:
    if output is not None and (emulated := target.runtime.emulated) is not None:
        await emulated.async_simulate(target.serial, fault, value, output=output)
        return
    await target.runtime.backend.async_simulate(target.serial, fault, value)


@homeworks_qsx_exception_handler
async def _async_press(target: _Target, button: Button) -> None:
    await target.runtime.backend.async_press_button(target.serial, button)


@homeworks_qsx_exception_handler
async def _async_press_keypad(target: _Target, button: int, gesture: Gesture) -> None:
    await target.runtime.backend.async_press_keypad_button(
        target.serial, button, gesture
    )


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
        if simulation.capability is not None:
            _require(target, simulation.capability, "not_for_this_device")
        if simulation.with_output:
            _require_level_output(target, call.data[ATTR_OUTPUT])
    value = call.data[simulation.field]
    output: int | None = call.data[ATTR_OUTPUT] if simulation.with_output else None
    for target in targets:
        await _async_simulate(target, simulation.fault, value, output)


async def _async_press_button(call: ServiceCall) -> None:
    """Press a button of every targeted module."""
    button = BUTTONS[call.data[ATTR_BUTTON]]
    for target in _targets(call.hass, call):
        await _async_press(target, button)


async def _async_press_keypad_button(call: ServiceCall) -> None:
    """Press a button of every targeted keypad, as a person would: a tap, a hold (until released), a double tap."""
    number: int = call.data[ATTR_BUTTON]
    gesture = GESTURES[call.data[ATTR_GESTURE]]
    targets = _targets(call.hass, call)
    for target in targets:
        _require(target, Capability.KEYPAD, "not_a_keypad")
        device = _device(target)
        if device is not None and number not in {
            button.number for button in device.buttons
        }:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_such_button",
                translation_placeholders={
                    "device": device.name,
                    "button": str(number),
                },
            )
    for target in targets:
        await _async_press_keypad(target, number, gesture)


async def _async_pulse_cco(call: ServiceCall) -> None:
    """Pulse the CCO of every targeted module."""
    duration: float | None = call.data.get(ATTR_DURATION)
    targets = _targets(call.hass, call)
    for target in targets:
        description = target.runtime.backend.description
        try:
            device = description.device(target.serial)
        except UnknownObjectError:
            continue  # refused with the reason by the command itself
        if Capability.CCO not in device.capabilities:
            # An area group (LEAP) has CCO zones, switched by their switches, but no CCO of its own.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="area_group_no_cco",
                translation_placeholders={"device": device.name},
            )
    for target in targets:
        await _async_pulse(target, duration)


def _served_over_leap(
    hass: HomeAssistant, device_id: str
) -> tuple[HomeworksQsxConfigEntry, EmulatorServers]:
    """Resolve the targeted processor into its loaded entry and servers; a translated error otherwise.

    Each processor of an emulated project has its own servers, pairing port and CA (LP53).
    """
    device, loaded = _device_of_loaded_entry(hass, device_id, "unknown_processor")
    runtime = loaded.runtime_data
    serial = _processor_of_device(device, runtime)
    if serial is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_processor",
            translation_placeholders={"device": device.name or device_id},
        )
    servers = (
        None if runtime.servers is None else runtime.servers.processors.get(serial)
    )
    if servers is None or servers.pairing is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="leap_not_served",
            translation_placeholders={"name": loaded.title},
        )
    return loaded, servers


def _processor_of_device(
    device: dr.DeviceEntry, runtime: HomeworksQsxRuntime
) -> str | None:
    """Return the serial of the processor a device of the entry stands for; None for another device."""
    return next(
        (
            value
            for domain, value in device.identifiers
            if domain == DOMAIN and value in runtime.processor_serials()
        ),
        None,
    )


async def _async_set_processor_online(call: ServiceCall) -> None:
    """Cut processors of an emulated project off the network, or bring them back (LP53)."""
    changes: list[tuple[EmulatedBackend, str]] = []
    for device_id in call.data[ATTR_DEVICE_ID]:
        device, loaded = _device_of_loaded_entry(
            call.hass, device_id, "unknown_processor"
        )
        runtime = loaded.runtime_data
        if (serial := _processor_of_device(device, runtime)) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_processor",
                translation_placeholders={"device": device.name or device_id},
            )
        if (emulated := runtime.emulated) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="simulation_not_supported",
                translation_placeholders={
                    "name": loaded.title,
                    "reason": runtime.backend.unsupported_reason(Capability.SIMULATION)
                    or "",
                },
            )
        changes.append((emulated, serial))
    for emulated, serial in changes:
        await emulated.async_set_processor_online(serial, call.data[ATTR_ONLINE])


async def _async_press_pairing_button(call: ServiceCall) -> None:
    """Open the pairing window of an emulated processor served over LEAP (LP21)."""
    entry, servers = _served_over_leap(call.hass, call.data[ATTR_DEVICE_ID])
    assert servers.pairing is not None
    # The CA that will sign is on disk before anyone can obtain a certificate from it.
    await entry.runtime_data.async_save_now()
    servers.pairing.open_pairing_window(call.data[ATTR_DURATION])


def _certificate_folder(hass: HomeAssistant, folder: str, file_id: str) -> Path | None:
    """Resolve `folder` (relative to the configuration directory, or absolute); None if it may not hold keys.

    It must lie inside the configuration directory, not in its public `www` folder, and the files must be allowed
    for writing (`allowlist_external_dirs`). Runs in the executor (it reads the file system).
    """
    config_dir = Path(hass.config.config_dir).resolve()
    target = (config_dir / folder).resolve()
    if not target.is_relative_to(config_dir) or target.is_relative_to(
        config_dir / _PUBLIC_FOLDER
    ):
        return None
    files = LeapCredentials.client_file_paths(target, file_id).values()
    if not all(hass.config.is_allowed_path(str(path)) for path in files):
        return None
    return target


async def _async_issue_client_certificate(call: ServiceCall) -> ServiceResponse:
    """Write a client key, its certificate and the CA as lutron_caseta's files; return their paths."""
    hass = call.hass
    entry, servers = _served_over_leap(hass, call.data[ATTR_DEVICE_ID])
    assert servers.pairing is not None
    pairing = servers.pairing
    # Named after the address the processor is served on (each processor of a project has its own).
    file_id = call.data.get(ATTR_HOST, servers.host).strip()
    if file_id in _ANY_ADDRESS or not _FILE_ID.fullmatch(file_id):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_certificate_host",
            translation_placeholders={"host": file_id},
        )
    folder = await hass.async_add_executor_job(
        _certificate_folder, hass, call.data[ATTR_FOLDER], file_id
    )
    if folder is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="folder_not_allowed",
            translation_placeholders={
                "folder": call.data[ATTR_FOLDER],
                "config_dir": hass.config.config_dir,
            },
        )
    await entry.runtime_data.async_save_now()
    try:
        paths = await hass.async_add_executor_job(
            pairing.credentials.write_client_files, folder, file_id
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_write_certificate",
            translation_placeholders={"folder": str(folder), "error": str(err)},
        ) from err
    LOGGER.info("LEAP client certificate for %s written to %s", file_id, folder)
    # The keys of lutron_caseta's configuration, so that the answer can be used as it is.
    return {
        "keyfile": str(paths["key"]),
        "certfile": str(paths["cert"]),
        "ca_certs": str(paths["ca"]),
    }


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
        DOMAIN,
        SERVICE_PRESS_KEYPAD_BUTTON,
        _async_press_keypad_button,
        schema=PRESS_KEYPAD_BUTTON_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_PULSE_CCO, _async_pulse_cco, schema=PULSE_CCO_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_PROCESSOR_ONLINE,
        _async_set_processor_online,
        schema=_schema(ATTR_ONLINE, cv.boolean),
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_PRESS_PAIRING_BUTTON,
        _async_press_pairing_button,
        schema=PRESS_PAIRING_BUTTON_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ISSUE_CLIENT_CERTIFICATE,
        _async_issue_client_certificate,
        schema=ISSUE_CLIENT_CERTIFICATE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
