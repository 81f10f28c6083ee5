"""What the config flow checks before it stores an entry.

An emulated system's description, the ports it is served on, a live connection (LIP or LEAP), a processor's identity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .backends import (
    ModelMismatchError,
    async_build_description,
    create_leap_backend,
    create_live_backend,
    served_ports,
    serves_leap,
    serves_lip,
    serving_binds,
)
from .const import (
    CONF_BACKEND,
    CONF_DESCRIPTION_PATH,
    CONF_FAILOVER,
    CONF_HTTP_PORT,
    CONF_LEAP_PORT,
    CONF_LINK_1_MODULES,
    CONF_LINK_2_MODULES,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_PAIRING_PORT,
    CONF_PROCESSOR_HOSTS,
    CONF_PROCESSOR_SERIAL,
    CONF_PROJECT_PROCESSORS,
    CONF_SERIAL,
    CONF_SERVE,
    DEFAULT_NAME,
    LOGGER,
    BackendType,
)
from .flow_schemas import model_of_option
from .qsx import (
    AuthenticationError,
    CommandTimeoutError,
    ConnectionFailedError,
    DescriptionError,
    InvalidDatabaseError,
    LimitError,
    PairingError,
    PairingNoAnswerError,
    PairingTimeoutError,
    PairingUnreachableError,
    QsxBackend,
    QsxError,
    SystemDescription,
    describe_cause,
)
from .runtime import HomeworksQsxConfigEntry


@dataclass(frozen=True, slots=True)
class FlowFailure:
    """Why a step failed: the form's error key, and its cause for the error's `{error}` placeholder."""

    key: str
    cause: str


class FormError(Exception):
    """A form's input that cannot be used: the field to mark, the error key, and the text the error shows."""

    def __init__(self, field: str, key: str, text: str = "") -> None:
        """Name the field, the error key and its text."""
        super().__init__(f"{field}: {key} {text}".rstrip())
        self.field = field
        self.key = key
        self.text = text


async def async_emulated_data(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], SystemDescription]:
    """Build the emulated system the form asks for; return its entry data and description, or raise FormError."""
    model = model_of_option(user_input[CONF_MODEL])
    data: dict[str, Any] = {
        CONF_BACKEND: BackendType.EMULATED.value,
        CONF_NAME: user_input[CONF_NAME].strip() or DEFAULT_NAME,
        CONF_MODEL: model.value,
        CONF_SERVE: bool(user_input.get(CONF_SERVE)),
    }
    if path := (user_input.get(CONF_DESCRIPTION_PATH) or "").strip():
        data[CONF_DESCRIPTION_PATH] = path
        field = CONF_DESCRIPTION_PATH
    else:
        counts = [int(user_input[CONF_LINK_1_MODULES])]
        link_2 = int(user_input[CONF_LINK_2_MODULES])
        if model.link_count == 2:
            counts.append(link_2)
        elif link_2:
            raise FormError(CONF_LINK_2_MODULES, "single_link_model", model.value)
        data[CONF_MODULES_PER_LINK] = counts
        field = "base"
    try:
        description = await async_build_description(hass, data)
    except ModelMismatchError as err:
        raise FormError(CONF_MODEL, "model_mismatch", err.message) from err
    except (DescriptionError, LimitError) as err:
        raise FormError(field, "invalid_description", str(err)) from err
    data[CONF_PROCESSOR_SERIAL] = description.processor.serial
    return data, description


def parse_processor_hosts(
    text: str | None, description: SystemDescription
) -> dict[str, str]:
    """Read the addresses the project's other processors are served on: `SERIAL=address`, one a line or a comma.

    Raises `FormError` naming what is not such a pair, or a serial that is no other processor of the project.
    """
    hosts: dict[str, str] = {}
    others = {processor.serial for processor in description.other_processors}
    for item in (text or "").replace(",", "\n").splitlines():
        if not item.strip():
            continue
        serial, sign, host = item.partition("=")
        serial, host = serial.strip().upper(), host.strip()
        if not sign or not host or serial not in others:
            raise FormError(
                CONF_PROCESSOR_HOSTS, "invalid_processor_hosts", item.strip()
            )
        hosts[serial] = host
    return hosts


def serving_data(
    user_input: Mapping[str, Any], description: SystemDescription
) -> dict[str, Any]:
    """Return the entry data of the serve form: the other processors' addresses read (P4, LP53); `FormError`."""
    data = {
        key: value for key, value in user_input.items() if key != CONF_PROCESSOR_HOSTS
    }
    if description.other_processors:
        data[CONF_PROCESSOR_HOSTS] = parse_processor_hosts(
            user_input.get(CONF_PROCESSOR_HOSTS), description
        )
    return data


def processor_hosts_text(data: Mapping[str, Any]) -> str:
    """Write the entry's processor addresses as the form shows them."""
    return "\n".join(
        f"{serial}={host}"
        for serial, host in data.get(CONF_PROCESSOR_HOSTS, {}).items()
    )


async def async_test_serve(
    data: Mapping[str, Any],
    in_use_by_us: frozenset[int] = frozenset(),
    description: SystemDescription | None = None,
) -> tuple[str, str] | None:
    """Check that the servers can listen where asked; return (error key, error text), or None.

    With the `description` of a project of several processors, every processor's ports at its address (P4,
    LP53). Ports our own running servers hold already (`in_use_by_us`) are not tried again.
    """
    ports: list[int] = []
    if serves_lip(data):
        if not data[CONF_USERNAME] or not data[CONF_PASSWORD]:
            return "missing_credentials", ""
        ports += [data[CONF_LIP_PORT], data[CONF_HTTP_PORT]]
    if serves_leap(data):
        ports += [data[CONF_LEAP_PORT], data[CONF_PAIRING_PORT]]
    if not ports:
        return "nothing_to_serve", ""
    if len(set(ports)) < len(ports):
        return "same_ports", ""
    binds = [(data[CONF_HOST], port) for port in ports]
    if description is not None and description.other_processors:
        # The addresses are read already (`serving_data`): every serial is a processor of the project.
        binds = [
            (bind.host, port)
            for bind in serving_binds(description, data).values()
            for port in served_ports(bind, data)
        ]
    loop = asyncio.get_running_loop()
    for host, port in dict.fromkeys(binds):
        if port in in_use_by_us:
            continue
        try:
            server = await loop.create_server(asyncio.Protocol, host, port)
        except OSError as err:
            return "cannot_serve", str(err)
        server.close()
        await server.wait_closed()
    return None


def ports_in_use(entry: HomeworksQsxConfigEntry) -> frozenset[int]:
    """Return the ports the entry's own running servers hold (they are stopped before serving again)."""
    if entry.state is not ConfigEntryState.LOADED or entry.runtime_data.servers is None:
        return frozenset()
    return entry.runtime_data.servers.ports


async def async_test_live(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[SystemDescription | None, FlowFailure | None]:
    """Connect, log in, read the database, disconnect; return the description, or why it failed.

    The one connection test of a new live entry, of reauthentication and of reconfiguration, over LIP or LEAP.
    Nothing raises out of it: every failure is a translated error that names its cause.
    """
    leap = data[CONF_BACKEND] == BackendType.LEAP
    backend: QsxBackend | None = None
    try:
        backend = create_leap_backend(data) if leap else create_live_backend(hass, data)
        await backend.async_start()
    except AuthenticationError as err:
        return None, FlowFailure(
            "invalid_certificate" if leap else "invalid_auth", describe_cause(err)
        )
    except InvalidDatabaseError as err:
        return None, FlowFailure("invalid_database", describe_cause(err))
    except CommandTimeoutError as err:
        return None, FlowFailure("no_reply", describe_cause(err))
    except (ConnectionFailedError, OSError) as err:
        return None, FlowFailure(
            "cannot_connect_leap" if leap else "cannot_connect", describe_cause(err)
        )
    except QsxError as err:
        return None, FlowFailure("processor_error", describe_cause(err))
    except Exception as err:  # noqa: BLE001
        LOGGER.exception("Unexpected error while connecting to %s", data[CONF_HOST])
        return None, FlowFailure("unknown", describe_cause(err))
    else:
        return backend.description, None
    finally:
        if backend is not None:
            await _async_stop_quietly(backend, data[CONF_HOST])


async def _async_stop_quietly(backend: QsxBackend, host: str) -> None:
    """Disconnect after a test; a failure to close what the test opened is logged, never shown as the test's."""
    try:
        await backend.async_stop()
    except Exception:  # noqa: BLE001 - the test's outcome is known already; a close that fails only leaks
        LOGGER.exception("Closing the test connection to %s failed", host)


def pairing_error(error: PairingError) -> FlowFailure:
    """Return the form's error for a failed pairing."""
    if isinstance(error, PairingTimeoutError):
        key = "pairing_timeout"
    elif isinstance(error, PairingUnreachableError):
        key = "pairing_unreachable"
    elif isinstance(error, PairingNoAnswerError):
        key = "pairing_no_answer"
    else:
        key = "pairing_refused"
    return FlowFailure(key, describe_cause(error))


def live_unique_id(description: SystemDescription) -> str:
    """Identify a live system by its processor's serial number, else by its project GUID."""
    return description.processor.serial or description.guid


def project_entry(
    entries: Iterable[HomeworksQsxConfigEntry],
    backend: BackendType,
    description: SystemDescription,
) -> HomeworksQsxConfigEntry | None:
    """Return the entry of the project `description`'s processor belongs to, if it is another processor (LP54).

    An entry of the same backend whose own processor the project lists among the others (by serial), or whose
    project (as noted at its last set-up) holds this processor; None for the entry's own processor, or for a
    processor of no configured project.
    """
    serial = live_unique_id(description)
    others = {p.serial for p in description.other_processors if p.serial}
    for entry in entries:
        if entry.data.get(CONF_BACKEND) != backend or entry.unique_id == serial:
            continue
        if entry.unique_id in others or serial in entry.data.get(
            CONF_PROJECT_PROCESSORS, ()
        ):
            return entry
    return None


def announced_project_entry(
    entries: Iterable[HomeworksQsxConfigEntry], serial: str
) -> HomeworksQsxConfigEntry | None:
    """Return the LEAP entry whose project holds the announced processor as another processor (LP22, LP54)."""
    return next(
        (
            entry
            for entry in entries
            if entry.data.get(CONF_BACKEND) == BackendType.LEAP
            and entry.unique_id != serial
            and serial in entry.data.get(CONF_PROJECT_PROCESSORS, ())
        ),
        None,
    )


def with_failover(
    entry: HomeworksQsxConfigEntry, failover: Mapping[str, str]
) -> list[dict[str, str]]:
    """Return the entry's failover processors with `failover` added, or in place of the one with its serial."""
    kept = [
        dict(known)
        for known in entry.data.get(CONF_FAILOVER, ())
        if known[CONF_SERIAL] != failover[CONF_SERIAL]
    ]
    return [*kept, dict(failover)]


def known_failover(
    entry: HomeworksQsxConfigEntry, serial: str
) -> Mapping[str, str] | None:
    """Return the entry's failover processor with this serial, if it has one."""
    return next(
        (
            known
            for known in entry.data.get(CONF_FAILOVER, ())
            if known[CONF_SERIAL] == serial
        ),
        None,
    )


def announced_serial(sernum: Any, hostname: str) -> str | None:
    """Return the serial number a processor announces (LP22: `SERNUM`, else its host name `Lutron-<serial>.local.`).

    Written as the processor's serial is everywhere else: 8 upper-case hexadecimal digits.
    """
    text = str(sernum or "").strip()
    if not text and hostname.lower().startswith("lutron-"):
        text = hostname[len("lutron-") :].split(".", 1)[0]
    try:
        return f"{int(text, 16):08X}"
    except ValueError:
        return None
