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
    CONF_PROCESSOR_HOSTS,
    CONF_PROCESSOR_SERIAL,
    CONF_SERIAL,
    CONF_SERVE_LEAP,
    CONF_SERVE_LIP,
    STORED_LEAP_CREDENTIALS,
    STORED_PROCESSOR_LEAP_CREDENTIALS,
)
from .qsx import (
    AsyncioScheduler,
    DescriptionError,
    LipLogin,
    ProcessorBind,
    ProcessorModel,
    ProjectLeap,
    ProjectServers,
    SystemDescription,
    UnknownObjectError,
    create_project_servers,
    project_binds,
)
from .qsx.emulator import Emulator
from .qsx.emulator.description import build_description, load_description
from .qsx.leap import (
    LEAP_PORT,
    PAIRING_PORT,
    LeapBackend,
    LeapCertificates,
    LeapCredentials,
    LeapEndpoint,
    Profile,
)
from .qsx.lip import EMULATOR_LIP_PORT, LipBackend


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


def serving_binds(
    description: SystemDescription, data: Mapping[str, Any]
) -> dict[str, ProcessorBind]:
    """Return where each processor of the project is served (serial → bind, the first first), as the entry says.

    The first processor where the entry says; the others at their address in `CONF_PROCESSOR_HOSTS` with the
    same ports, else on the first's address with their ports moved by `PORT_STEP` per place (P4, LP53).
    `ValueError` for an address given to a processor the project does not hold.
    """
    first = ProcessorBind(
        data[CONF_HOST],
        data.get(CONF_LEAP_PORT, LEAP_PORT),
        data.get(CONF_PAIRING_PORT, PAIRING_PORT),
        data.get(CONF_LIP_PORT, EMULATOR_LIP_PORT),
        data.get(CONF_HTTP_PORT),
    )
    try:
        return project_binds(description, first, data.get(CONF_PROCESSOR_HOSTS))
    except UnknownObjectError as err:
        raise ValueError(f"{CONF_PROCESSOR_HOSTS}: {err}") from err


def served_ports(bind: ProcessorBind, data: Mapping[str, Any]) -> list[int]:
    """Return the ports one processor listens on, by the protocols the entry serves."""
    ports: list[int] = []
    if serves_lip(data):
        ports += [bind.lip_port, *([bind.http_port] if bind.http_port else [])]
    if serves_leap(data):
        ports += [bind.leap_port, bind.pairing_port]
    return ports


def create_servers(
    emulator: Emulator,
    data: Mapping[str, Any],
    credentials: Mapping[str, LeapCredentials],
) -> ProjectServers:
    """Create the servers of every processor of the project, as the entry data asks; nothing listens yet.

    Each processor is served where `serving_binds` says. `credentials` (each processor's CA, by serial) are needed when LEAP is served. Raises `KeyError` or
    `ValueError` for entry data that cannot be served.
    """
    return create_project_servers(
        emulator,
        serving_binds(emulator.description, data),
        lip=LipLogin(data[CONF_USERNAME], data[CONF_PASSWORD])
        if serves_lip(data)
        else None,
        leap=ProjectLeap(credentials, Profile(data[CONF_LEAP_PROFILE]))
        if serves_leap(data)
        else None,
    )


def stored_leap_credentials(
    stored: Mapping[str, Any], first: str
) -> dict[str, LeapCredentials]:
    """Return each processor's CA kept with the stored state (LP4, LP53), by serial; empty before LEAP is served.

    The first processor's (`first`) is kept where a one-processor system kept its CA, so an older state loads as
    it is. `ValueError` or `TypeError` names what is wrong with a stored CA that cannot be used.
    """
    kept: dict[str, Any] = {}
    if (own := stored.get(STORED_LEAP_CREDENTIALS)) is not None:
        kept[first] = own
    others = stored.get(STORED_PROCESSOR_LEAP_CREDENTIALS, {})
    if not isinstance(others, Mapping):
        raise TypeError(
            "the stored LEAP credentials of the processors are not an object"
        )
    kept.update(others)
    credentials: dict[str, LeapCredentials] = {}
    for serial, item in kept.items():
        if not isinstance(item, Mapping):
            raise TypeError(
                f"the stored LEAP credentials of {serial} are not an object"
            )
        credentials[serial] = LeapCredentials.from_dict(item)
    return credentials


def create_live_backend(hass: HomeAssistant, data: Mapping[str, Any]) -> LipBackend:
    """Create the backend of a live processor, on Home Assistant's shared HTTP session.

    The project's other processors kept as failovers (LP54) are reached on the same ports and login.
    """
    return LipBackend(
        data[CONF_HOST],
        data[CONF_LIP_PORT],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        http_port=data[CONF_HTTP_PORT],
        session=async_get_clientsession(hass),
        failover_hosts=[
            failover[CONF_HOST] for failover in data.get(CONF_FAILOVER, ())
        ],
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
