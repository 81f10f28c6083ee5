"""Building the backend of a config entry: an emulated system (served over LIP if asked), or a live processor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_KEY_PEM,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_PROCESSOR_SERIAL,
)
from .qsx.clock import AsyncioScheduler
from .qsx.const import ProcessorModel
from .qsx.description import build_description, load_description
from .qsx.emulator import Emulator
from .qsx.errors import DescriptionError
from .qsx.leap import LeapBackend, LeapCertificates
from .qsx.lip.backend import LipBackend
from .qsx.lip.server import LipServer
from .qsx.model import SystemDescription


class ModelMismatchError(DescriptionError):
    """The description file describes another processor model than the one chosen."""


def scheduler() -> AsyncioScheduler:
    """Timers on Home Assistant's loop; the processor timeclock in Home Assistant's time zone."""
    return AsyncioScheduler(dt_util.get_default_time_zone())


async def async_build_description(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> SystemDescription:
    """Build the emulated system the entry data asks for.

    Raises `DescriptionError` (also for an unreadable file) or `LimitError` for an invalid system.
    """
    model = ProcessorModel(data[CONF_MODEL])
    if path := data.get(CONF_DESCRIPTION_PATH):
        description = await hass.async_add_executor_job(load_description, path)
        if description.processor.model is not model:
            raise ModelMismatchError(
                "processor.model", description.processor.model.value
            )
        return description
    return build_description(
        data[CONF_MODULES_PER_LINK],
        model=model,
        name=data[CONF_NAME],
        processor_serial=data.get(CONF_PROCESSOR_SERIAL),
    )


def create_emulator(description: SystemDescription) -> Emulator:
    """Create an emulator running on Home Assistant's loop."""
    return Emulator(description, scheduler=scheduler())


def restore_emulator(stored: Mapping[str, Any]) -> Emulator:
    """Recreate an emulator from its stored export."""
    return Emulator.from_export(stored, scheduler=scheduler())


def create_server(emulator: Emulator, data: Mapping[str, Any]) -> LipServer:
    """Create the LIP and HTTP server that serves `emulator` on the network."""
    return LipServer(
        emulator,
        data[CONF_HOST],
        data[CONF_LIP_PORT],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        http_port=data[CONF_HTTP_PORT],
    )


def create_live_backend(hass: HomeAssistant, data: Mapping[str, Any]) -> LipBackend:
    """Create the backend of a live processor, on Home Assistant's shared HTTP session."""
    return LipBackend(
        data[CONF_HOST],
        data[CONF_LIP_PORT],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        http_port=data[CONF_HTTP_PORT],
        session=async_get_clientsession(hass),
    )


def leap_certificates(data: Mapping[str, Any]) -> LeapCertificates:
    """Return the certificates pairing gave, as a LEAP entry keeps them."""
    return LeapCertificates(data[CONF_KEY_PEM], data[CONF_CERT_PEM], data[CONF_CA_PEM])


def create_leap_backend(data: Mapping[str, Any]) -> LeapBackend:
    """Create the backend of a processor reached over LEAP with the certificates of its pairing."""
    return LeapBackend(data[CONF_HOST], leap_certificates(data))
