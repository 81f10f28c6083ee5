"""The forms of the config and options flows: their fields, defaults and selectors, each defined once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import probatio

from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .backends import serves_leap, serves_lip
from .const import (
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_HAVE_CERTIFICATES,
    CONF_HTTP_PORT,
    CONF_KEY_PEM,
    CONF_LEAP_PORT,
    CONF_LEAP_PROFILE,
    CONF_LINK_1_MODULES,
    CONF_LINK_2_MODULES,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_PAIRING_PORT,
    CONF_PROCESSOR_HOSTS,
    CONF_SERVE,
    CONF_SERVE_LEAP,
    CONF_SERVE_LIP,
    DEFAULT_HTTP_PORT,
    DEFAULT_LIP_PORT,
    DEFAULT_MODULES_PER_LINK,
    DEFAULT_NAME,
    DEFAULT_PASSWORD,
    DEFAULT_SERVE_HOST,
    DEFAULT_SERVE_HTTP_PORT,
    DEFAULT_SERVE_LIP_PORT,
)
from .qsx import LINK_DEVICE_LIMIT, DeviceDescription, ProcessorModel, SystemDescription
from .qsx.leap import LEAP_PORT, PAIRING_PORT, Profile
from .qsx.lip import DEFAULT_USERNAME

PEM_FIELDS: Final = (CONF_KEY_PEM, CONF_CERT_PEM, CONF_CA_PEM)

# A new served system offers both protocols; an entry made before LEAP could be served keeps LIP only.
NEW_SERVING: Final[Mapping[str, Any]] = {CONF_SERVE_LIP: True, CONF_SERVE_LEAP: True}

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_MULTILINE = TextSelectorConfig(multiline=True)
_PEM = TextSelector(_MULTILINE)
_MODULE_COUNT = NumberSelector(
    NumberSelectorConfig(
        min=0, max=LINK_DEVICE_LIMIT, step=1, mode=NumberSelectorMode.BOX
    )
)


def dropdown(
    options: list[str] | list[SelectOptionDict],
    *,
    translation_key: str | None = None,
    multiple: bool = False,
) -> SelectSelector:
    """Return a drop-down list of `options`, labelled by `translation_key` when given."""
    config = SelectSelectorConfig(
        options=options, multiple=multiple, mode=SelectSelectorMode.DROPDOWN
    )
    if translation_key is not None:
        config["translation_key"] = translation_key
    return SelectSelector(config)


def module_label(module: DeviceDescription) -> str:
    """Name a module with its link, address and serial number, as the forms list it."""
    return (
        f"{module.name} (link {module.link}, address {module.address}, {module.serial})"
    )


def module_selector(
    description: SystemDescription, *, multiple: bool = False
) -> SelectSelector:
    """Return a choice among the system's modules, each named with its link, address and serial number."""
    return dropdown(
        [
            SelectOptionDict(value=module.serial, label=module_label(module))
            for module in description.modules
        ],
        multiple=multiple,
    )


def model_option(model: ProcessorModel) -> str:
    """Return the form's option key of `model`: option keys are translation keys, [a-z0-9-_] only ("hqp7_2")."""
    return model.name.lower()


def model_of_option(option: str) -> ProcessorModel:
    """Return the model of a form's option key; entries store the model number itself ("HQP7-2")."""
    return ProcessorModel[option.upper()]


def zone_placeholders(module: DeviceDescription) -> dict[str, str]:
    """Name each zone of a module for the forms' labels (`{zone_1}` … `{zone_4}`), as its entities are named."""
    return {f"zone_{zone.number}": zone.name for zone in module.zones}


def emulated_schema() -> probatio.Schema:
    """Return the form of a new emulated system: a module count per link, or a description file."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME, default=DEFAULT_NAME): str,
            probatio.Required(
                CONF_MODEL, default=model_option(ProcessorModel.HQP7_2)
            ): dropdown(
                [model_option(model) for model in ProcessorModel],
                translation_key=CONF_MODEL,
            ),
            probatio.Required(
                CONF_LINK_1_MODULES, default=DEFAULT_MODULES_PER_LINK
            ): _MODULE_COUNT,
            probatio.Required(CONF_LINK_2_MODULES, default=0): _MODULE_COUNT,
            probatio.Optional(CONF_DESCRIPTION_PATH): TextSelector(),
            probatio.Required(CONF_SERVE, default=False): BooleanSelector(),
        }
    )


def serve_schema(
    defaults: Mapping[str, Any], *, several_processors: bool = False
) -> probatio.Schema:
    """Return the form of how an emulated system is served: protocols, address, ports and login.

    A project of several processors also says where its other processors are served (P4, LP53).
    """
    schema = probatio.Schema(
        {
            probatio.Required(
                CONF_HOST, default=defaults.get(CONF_HOST, DEFAULT_SERVE_HOST)
            ): str,
            probatio.Required(
                CONF_SERVE_LIP, default=serves_lip(defaults)
            ): BooleanSelector(),
            probatio.Required(
                CONF_LIP_PORT,
                default=defaults.get(CONF_LIP_PORT, DEFAULT_SERVE_LIP_PORT),
            ): cv.port,
            probatio.Required(
                CONF_HTTP_PORT,
                default=defaults.get(CONF_HTTP_PORT, DEFAULT_SERVE_HTTP_PORT),
            ): cv.port,
            probatio.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, DEFAULT_USERNAME)
            ): str,
            probatio.Required(
                CONF_PASSWORD, default=defaults.get(CONF_PASSWORD, DEFAULT_PASSWORD)
            ): _PASSWORD,
            probatio.Required(
                CONF_SERVE_LEAP, default=serves_leap(defaults)
            ): BooleanSelector(),
            probatio.Required(
                CONF_LEAP_PORT, default=defaults.get(CONF_LEAP_PORT, LEAP_PORT)
            ): cv.port,
            probatio.Required(
                CONF_PAIRING_PORT,
                default=defaults.get(CONF_PAIRING_PORT, PAIRING_PORT),
            ): cv.port,
            probatio.Required(
                CONF_LEAP_PROFILE,
                default=defaults.get(CONF_LEAP_PROFILE, Profile.FULL.value),
            ): dropdown(
                [profile.value for profile in Profile],
                translation_key=CONF_LEAP_PROFILE,
            ),
        }
    )
    if not several_processors:
        return schema
    return schema.extend(
        {probatio.Optional(CONF_PROCESSOR_HOSTS): TextSelector(_MULTILINE)}
    )


def reconfigure_serving_schema(
    data: Mapping[str, Any], *, several_processors: bool = False
) -> probatio.Schema:
    """Return the form of an emulated entry's serving: whether it is served at all, then how."""
    return serve_schema(data, several_processors=several_processors).extend(
        {
            probatio.Required(
                CONF_SERVE, default=bool(data.get(CONF_SERVE))
            ): BooleanSelector()
        }
    )


def host_schema(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    """Return the field of a processor's host (LEAP)."""
    return {probatio.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str}


def leap_schema() -> probatio.Schema:
    """Return the form of a processor to reach over LEAP: its host, and whether certificates are at hand."""
    return probatio.Schema(
        {
            **host_schema({}),
            probatio.Required(CONF_HAVE_CERTIFICATES, default=False): BooleanSelector(),
        }
    )


def certificates_schema() -> probatio.Schema:
    """Return the form of LEAP certificates obtained elsewhere: key, certificate and CA, in PEM."""
    return probatio.Schema({probatio.Required(field): _PEM for field in PEM_FIELDS})


def ports_schema(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    """Return the fields of where a processor is reached over LIP: host, LIP port and HTTP port."""
    return {
        probatio.Required(CONF_HOST, default=defaults.get(CONF_HOST, "")): str,
        probatio.Required(
            CONF_LIP_PORT, default=defaults.get(CONF_LIP_PORT, DEFAULT_LIP_PORT)
        ): cv.port,
        probatio.Required(
            CONF_HTTP_PORT, default=defaults.get(CONF_HTTP_PORT, DEFAULT_HTTP_PORT)
        ): cv.port,
    }


def credentials_schema(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    """Return the fields of a LIP login; the password is always asked for again."""
    return {
        probatio.Required(
            CONF_USERNAME, default=defaults.get(CONF_USERNAME, DEFAULT_USERNAME)
        ): str,
        probatio.Required(CONF_PASSWORD): _PASSWORD,
    }
