"""Building the backend of a config entry: an emulated system (optionally served over LIP and LEAP), or a live processor (LIP or LEAP)."""

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
    CONF_FAILOVER,
    CONF_HTTP_PORT,
    CONF_KEY_PEM,
    CONF_LEAP_PORT,
    CONF_LEAP_PROFILE,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_PAIRING_PORT,
    CONF_PROCESSOR_SERIAL,
    CONF_SERIAL,
    CONF_SERVE_LEAP,
    CONF_SERVE_LIP,
    STORED_LEAP_CREDENTIALS,
)
from .qsx import (
    AsyncioScheduler,
    DescriptionError,
    EmulatorServers,
    LeapSettings,
    LipSettings,
    ProcessorModel,
    SystemDescription,
    create_servers as create_emulator_servers,
)
from .qsx.emulator import Emulator
from .qsx.emulator.description import build_description, load_description
from .qsx.leap import (
    LEAP_PORT,
    LeapBackend,
    LeapCertificates,
    LeapCredentials,
    LeapEndpoint,
    Profile,
)
from .qsx.lip import LipBackend


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


def serves_lip(data: Mapping[str, Any]) -> bool:
    """Whether a served emulated system offers LIP (entries made before LEAP could be served offer LIP only)."""
    return bool(data.get(CONF_SERVE_LIP, True))


def serves_leap(data: Mapping[str, Any]) -> bool:
    """Whether a served emulated system offers LEAP and its pairing port."""
    return bool(data.get(CONF_SERVE_LEAP, False))


def create_servers(
    emulator: Emulator,
    data: Mapping[str, Any],
    credentials: LeapCredentials | None,
) -> EmulatorServers:
    """Create the servers the entry data asks for; nothing listens yet.

    `credentials` (the emulator's CA) are needed when LEAP is served. Raises `KeyError` or `ValueError` for entry
    data that cannot be served.
    """
    leap = None
    if serves_leap(data):
        if credentials is None:
            raise ValueError("LEAP is served without the emulator's CA")
        leap = LeapSettings(
            credentials,
            data[CONF_LEAP_PORT],
            data[CONF_PAIRING_PORT],
            Profile(data[CONF_LEAP_PROFILE]),
        )
    lip = None
    if serves_lip(data):
        lip = LipSettings(
            data[CONF_LIP_PORT],
            data[CONF_HTTP_PORT],
            data[CONF_USERNAME],
            data[CONF_PASSWORD],
        )
    return create_emulator_servers(emulator, data[CONF_HOST], lip=lip, leap=leap)


def stored_leap_credentials(stored: Mapping[str, Any]) -> LeapCredentials | None:
    """Return the emulator's CA kept with its stored state (LP4), or None if it has none yet.

    `ValueError` or `TypeError` names what is wrong with a stored CA that cannot be used.
    """
    if (kept := stored.get(STORED_LEAP_CREDENTIALS)) is None:
        return None
    if not isinstance(kept, Mapping):
        raise TypeError("the stored LEAP credentials are not an object")
    return LeapCredentials.from_dict(kept)


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
    """Return the certificates pairing gave, as a LEAP entry (or one of its failovers) keeps them."""
    return LeapCertificates(data[CONF_KEY_PEM], data[CONF_CERT_PEM], data[CONF_CA_PEM])


def leap_endpoints(
    data: Mapping[str, Any], serial: str | None = None
) -> list[LeapEndpoint]:
    """Return the processors a LEAP entry reaches, the entry's own (`serial`) first, then its failovers (LP54)."""
    return [
        LeapEndpoint(data[CONF_HOST], LEAP_PORT, leap_certificates(data), serial),
        *(
            LeapEndpoint(
                failover[CONF_HOST],
                LEAP_PORT,
                leap_certificates(failover),
                failover[CONF_SERIAL],
            )
            for failover in data.get(CONF_FAILOVER, ())
        ),
    ]


def create_leap_backend(
    data: Mapping[str, Any],
    *,
    serial: str | None = None,
    key_prefix: str | None = None,
) -> LeapBackend:
    """Create the backend of a project reached over LEAP with the certificates of each processor's pairing.

    The entry's own processor (`serial`) first, then its failovers; `key_prefix` (the entry id) keys what has no
    serial, so the keys stay whichever processor is in use (LP51, LP54).
    """
    return LeapBackend(leap_endpoints(data, serial), key_prefix=key_prefix)
