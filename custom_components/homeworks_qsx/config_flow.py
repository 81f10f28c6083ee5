"""Config, reauthentication and reconfiguration flows of the HomeWorks QSX integration (options: options_flow.py).

A processor reached over LEAP is paired: the user presses the processor's pairing button while a progress step
waits for `async_pair_processor`; the certificates it gives are kept in the entry's data. Zeroconf discovery
(`_lutron._tcp.local.`, LP22) starts that flow with the host filled in, and moves a known processor to its new
address. The steps live here; their forms in flow_schemas.py, what they check in flow_checks.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import math
import time
from typing import Any, Final, override

import probatio

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.helpers.typing import UNDEFINED, UndefinedType

from .backends import async_build_description
from .const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_FAILOVER,
    CONF_HAVE_CERTIFICATES,
    CONF_KEY_PEM,
    CONF_PROCESSOR_HOSTS,
    CONF_SERIAL,
    CONF_SERVE,
    DOMAIN,
    LOGGER,
    BackendType,
)
from .flow_checks import (
    FlowFailure,
    FormError,
    announced_project_entry,
    announced_serial,
    async_emulated_data,
    async_test_live,
    async_test_serve,
    known_failover,
    live_unique_id,
    pairing_error,
    ports_in_use,
    processor_hosts_text,
    project_entry,
    serving_data,
    with_failover,
)
from .flow_schemas import (
    NEW_SERVING,
    PEM_FIELDS,
    certificates_schema,
    credentials_schema,
    emulated_schema,
    host_schema,
    leap_schema,
    ports_schema,
    reconfigure_serving_schema,
    serve_schema,
)
from .issues import lutron_caseta_notice
from .options_flow import HomeworksQsxOptionsFlow
from .qsx import PairingError, QsxError, SystemDescription
from .qsx.leap import LeapCertificates, async_pair_processor, button_wait, connect_wait
from .runtime import HomeworksQsxConfigEntry

# While the processor waits for its pairing button, the time left is shown anew this often (seconds).
PAIRING_COUNTDOWN_INTERVAL: Final = 5.0


class HomeworksQsxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an emulated system or a live processor."""

    VERSION = 1
    # 1.2: a LEAP entry's devices without a serial, area groups and timeclocks are keyed by the entry id (LP51).
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._data: dict[str, Any] = {}
        self._description: SystemDescription | None = None
        # LEAP pairing: the processor's host, the running pairing, and the error to show when the form comes back.
        self._host: str | None = None
        self._pair_task: asyncio.Task[LeapCertificates] | None = None
        self._pair_error: FlowFailure | None = None
        # When the processor, reached, stops waiting for its button (monotonic clock); None before it is reached.
        self._button_deadline: float | None = None
        # A processor announced by zeroconf that belongs to a configured project: the entry it is offered to (LP54).
        self._failover_entry_id: str | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: HomeworksQsxConfigEntry) -> OptionsFlow:
        """Options: modules of an emulated system, and the repair threshold."""
        return HomeworksQsxOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to set up: a processor over LEAP or over LIP, or an emulated system (no hardware).

        The order is the description's: the recommended way first.
        """
        return self.async_show_menu(
            step_id="user",
            menu_options=[BackendType.LEAP, BackendType.LIP, BackendType.EMULATED],
        )

    # Emulated system

    async def async_step_emulated(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Describe the emulated system: by a module count per link, or by a description file."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data, description = await async_emulated_data(self.hass, user_input)
            except FormError as err:
                errors[err.field] = err.key
                placeholders["error"] = err.text
            else:
                await self.async_set_unique_id(description.processor.serial)
                if CONF_DESCRIPTION_PATH in data:
                    self._abort_if_unique_id_configured()
                elif self._unique_id_taken():
                    # A built system's processor serial follows from its name: another name is another processor.
                    errors[CONF_NAME] = "name_in_use"
                    placeholders["error"] = ""
                if not errors:
                    self._data = data
                    self._description = description
                    if user_input.get(CONF_SERVE):
                        return await self.async_step_serve()
                    return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="emulated",
            data_schema=self.add_suggested_values_to_schema(
                emulated_schema(), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _async_update_reload_and_abort(
        self,
        entry: HomeworksQsxConfigEntry,
        data_updates: Mapping[str, Any],
        reason: str | UndefinedType = UNDEFINED,
    ) -> ConfigFlowResult:
        """Store the new data and reload the entry.

        The entry's update listener applies options only (it never reloads), so the reload is asked for here.
        """
        result = self.async_update_and_abort(
            entry, data_updates=data_updates, reason=reason
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    def _unique_id_taken(self) -> bool:
        return any(
            entry.unique_id == self.unique_id
            for entry in self._async_current_entries(include_ignore=False)
        )

    async def async_step_serve(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Serve the emulated processor over LIP and HTTP, and over LEAP, so other systems can connect to it."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        description = self._description
        assert description is not None
        if user_input is not None:
            try:
                serving = serving_data(user_input, description)
            except FormError as err:
                errors[err.field], placeholders["error"] = err.key, err.text
            else:
                if error := await async_test_serve(serving, description=description):
                    errors["base"], placeholders["error"] = error
                else:
                    data = {**self._data, **serving}
                    return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="serve",
            data_schema=self.add_suggested_values_to_schema(
                serve_schema(
                    NEW_SERVING,
                    several_processors=bool(description.other_processors),
                ),
                user_input,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    # Processor over LEAP: pairing

    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """Pair with a processor that announced itself (LP22), or note the new address of one set up already."""
        properties = discovery_info.properties
        if not str(properties.get("SYSTYPE", "")).lower().startswith("hwqs"):
            return self.async_abort(reason="not_qsx")
        serial = announced_serial(properties.get("SERNUM"), discovery_info.hostname)
        if serial is None:
            return self.async_abort(reason="not_qsx")
        if project := announced_project_entry(
            self._async_current_entries(include_ignore=False), serial
        ):
            return await self._async_offer_failover(
                project, serial, discovery_info.host
            )
        await self.async_set_unique_id(serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: discovery_info.host})
        self._host = discovery_info.host
        self.context["title_placeholders"] = {"host": discovery_info.host}
        return await self.async_step_leap()

    async def _async_offer_failover(
        self, entry: HomeworksQsxConfigEntry, serial: str, host: str
    ) -> ConfigFlowResult:
        """Offer an announced processor of a configured project as a failover of its entry (LP54), never an entry.

        A failover the entry has already only takes its new address.
        """
        if (known := known_failover(entry, serial)) is not None:
            if known[CONF_HOST] == host:
                return self.async_abort(reason="already_configured")
            return self._async_update_reload_and_abort(
                entry,
                {CONF_FAILOVER: with_failover(entry, {**known, CONF_HOST: host})},
                reason="already_configured",
            )
        # Another announcement of the same processor while this flow waits aborts `already_in_progress`.
        await self.async_set_unique_id(serial)
        self._failover_entry_id = entry.entry_id
        self._host = host
        self.context["title_placeholders"] = {"host": host}
        return await self.async_step_failover_confirm()

    async def async_step_failover_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before pairing with another processor of a configured project, to fail over to it (LP54)."""
        assert self._failover_entry_id is not None and self._host is not None
        entry = self.hass.config_entries.async_get_known_entry(self._failover_entry_id)
        if user_input is not None:
            return await self.async_step_pair()
        errors, placeholders = self._take_pair_error()
        return self.async_show_form(
            step_id="failover_confirm",
            errors=errors,
            description_placeholders={
                **placeholders,
                "name": entry.title,
                "host": self._host,
                "serial": self.unique_id or "",
            },
        )

    async def async_step_leap(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the processor's host; the next step pairs with it (or takes certificates the user has)."""
        if user_input is not None:
            self._host = user_input[CONF_HOST].strip()
            if user_input.get(CONF_HAVE_CERTIFICATES):
                return await self.async_step_leap_certificates()
            return await self.async_step_pair()
        errors, placeholders = self._take_pair_error()
        return self.async_show_form(
            step_id="leap",
            data_schema=self.add_suggested_values_to_schema(
                leap_schema(), {CONF_HOST: self._host or ""}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _take_pair_error(self) -> tuple[dict[str, str], dict[str, str]]:
        """Return the errors and placeholders of the form a failed pairing comes back to, once."""
        failure, self._pair_error = self._pair_error, None
        if failure is None:
            return {}, {"error": ""}
        return {"base": failure.key}, {"error": failure.cause}

    async def async_step_leap_certificates(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take certificates obtained elsewhere (an emulator's `issue-cert`, an earlier pairing) instead of pairing."""
        assert self._host is not None
        errors: dict[str, str] = {}
        placeholders = {"host": self._host, "error": ""}
        if user_input is not None:
            data = {
                CONF_BACKEND: BackendType.LEAP.value,
                CONF_HOST: self._host,
                **{field: user_input[field].strip() + "\n" for field in PEM_FIELDS},
            }
            description, failure = await async_test_live(self.hass, data)
            if description is not None:
                self._data = data
                return await self._async_add_leap(description)
            assert failure is not None
            errors["base"], placeholders["error"] = failure.key, failure.cause
        return self.async_show_form(
            step_id="leap_certificates",
            data_schema=certificates_schema(),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reach the processor's pairing port, then wait while the user presses its pairing button.

        The progress says which of the two is under way, and how long is left of each.
        """
        assert self._host is not None
        if self._pair_task is None:
            self._button_deadline = None
            self._pair_task = self.hass.async_create_task(
                self._async_pair(self._host), eager_start=False
            )
        if not self._pair_task.done():
            if self._button_deadline is None:
                action, seconds = "pair_connect", connect_wait()
            else:
                action = "pair"
                seconds = max(0.0, self._button_deadline - time.monotonic())
            return self.async_show_progress(
                step_id="pair",
                progress_action=action,
                progress_task=self._pair_task,
                description_placeholders={
                    "host": self._host,
                    "seconds": str(math.ceil(seconds)),
                },
            )
        task, self._pair_task = self._pair_task, None
        try:
            certificates = task.result()
        except PairingError as err:
            LOGGER.debug("Pairing with %s failed: %s", self._host, err)
            self._pair_error = pairing_error(err)
            return self.async_show_progress_done(next_step_id=self._pair_form())
        self._data = {
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: self._host,
            CONF_KEY_PEM: certificates.key_pem,
            CONF_CERT_PEM: certificates.cert_pem,
            CONF_CA_PEM: certificates.ca_pem,
        }
        return self.async_show_progress_done(next_step_id="paired")

    def _pair_form(self) -> str:
        """Return the step a failed pairing comes back to: the one that started it."""
        if self.source == SOURCE_REAUTH:
            return "reauth_leap"
        if self._failover_entry_id is not None:
            return "failover_confirm"
        return "leap"

    async def _async_pair(self, host: str) -> LeapCertificates:
        """Pair with `host`; while it waits for its button, have the progress show the time left every few seconds."""
        pairing = asyncio.create_task(async_pair_processor(host, self._processor_waits))
        try:
            while True:
                done, _ = await asyncio.wait(
                    [pairing], timeout=PAIRING_COUNTDOWN_INTERVAL
                )
                if done:
                    return pairing.result()
                if self._button_deadline is not None:
                    left = max(0.0, self._button_deadline - time.monotonic())
                    self.async_update_progress(1.0 - left / button_wait())
                    self.async_notify_flow_changed()
        finally:
            # The flow was closed: the pairing stops with it.
            if not pairing.done():
                pairing.cancel()
                await asyncio.wait([pairing])

    def _processor_waits(self) -> None:
        """Count the button's wait down from now: the processor is reached and waits for its button."""
        self._button_deadline = time.monotonic() + button_wait()
        self.async_notify_flow_changed()

    async def async_step_paired(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Read the paired processor's system, then add it (or, on reauthentication, store the new certificates)."""
        description, failure = await async_test_live(self.hass, self._data)
        if description is None:
            self._pair_error = failure
            if self.source == SOURCE_REAUTH:
                return await self.async_step_reauth_leap()
            if self._failover_entry_id is not None:
                return await self.async_step_failover_confirm()
            return await self.async_step_leap()
        return await self._async_add_leap(description)

    async def _async_add_leap(self, description: SystemDescription) -> ConfigFlowResult:
        """Add the processor reached over LEAP with the certificates in `_data` (on reauthentication, store them)."""
        if self.source == SOURCE_REAUTH:
            await self.async_set_unique_id(live_unique_id(description))
            self._abort_if_unique_id_mismatch(reason="wrong_processor")
            return self._async_update_reload_and_abort(
                self._get_reauth_entry(), self._data
            )
        if project := project_entry(
            self._async_current_entries(include_ignore=False),
            BackendType.LEAP,
            description,
        ):
            return self._async_add_failover(project, description)
        await self.async_set_unique_id(live_unique_id(description))
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._data[CONF_HOST]})
        return self.async_create_entry(
            title=description.name or description.processor.name,
            data=self._data,
            **lutron_caseta_notice(self.hass, self._data[CONF_HOST], description),
        )

    def _async_add_failover(
        self, entry: HomeworksQsxConfigEntry, description: SystemDescription
    ) -> ConfigFlowResult:
        """Keep the processor just reached as a failover of its project's entry, which reloads to use it (LP54).

        Over LEAP with its own certificates (each processor has its own CA); over LIP its host. A processor offered
        by zeroconf is `failover_added`; one set up by hand is the project's, `already_configured`.
        """
        failover = {
            CONF_SERIAL: live_unique_id(description),
            CONF_HOST: self._data[CONF_HOST],
        }
        if self._data[CONF_BACKEND] == BackendType.LEAP:
            failover.update({field: self._data[field] for field in PEM_FIELDS})
        LOGGER.debug(
            "Processor %s is another processor of %s",
            failover[CONF_SERIAL],
            entry.title,
        )
        return self._async_update_reload_and_abort(
            entry,
            {CONF_FAILOVER: with_failover(entry, failover)},
            reason="failover_added"
            if self._failover_entry_id == entry.entry_id
            else "already_configured",
        )

    # Processor over LIP

    async def async_step_live(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect to a live processor: test the connection and login, and read its database."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            data = {CONF_BACKEND: BackendType.LIP.value, **user_input}
            description, failure = await async_test_live(self.hass, data)
            if description is not None:
                if project := project_entry(
                    self._async_current_entries(include_ignore=False),
                    BackendType.LIP,
                    description,
                ):
                    self._data = data
                    return self._async_add_failover(project, description)
                await self.async_set_unique_id(live_unique_id(description))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=description.name or description.processor.name,
                    data=data,
                    **lutron_caseta_notice(self.hass, data[CONF_HOST], description),
                )
            assert failure is not None
            errors["base"], placeholders["error"] = failure.key, failure.cause
        return self.async_show_form(
            step_id="live",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema({**ports_schema({}), **credentials_schema({})}),
                user_input,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_step_update_live(
        self,
        step_id: str,
        entry: HomeworksQsxConfigEntry,
        fields: dict[Any, Any],
        user_input: dict[str, Any] | None,
    ) -> ConfigFlowResult:
        """Ask for some of a live entry's data; store it and reload once the connection test reaches the same processor.

        Reauthentication (the login) and reconfiguration (host and ports) are this one step with other fields.
        """
        errors: dict[str, str] = {}
        placeholders = {"name": entry.title, "error": ""}
        if user_input is not None:
            description, failure = await async_test_live(
                self.hass, {**entry.data, **user_input}
            )
            if description is not None:
                await self.async_set_unique_id(live_unique_id(description))
                self._abort_if_unique_id_mismatch(reason="wrong_processor")
                return self._async_update_reload_and_abort(entry, user_input)
            assert failure is not None
            errors["base"], placeholders["error"] = failure.key, failure.cause
        return self.async_show_form(
            step_id=step_id,
            data_schema=probatio.Schema(fields),
            errors=errors,
            description_placeholders=placeholders,
        )

    # Reauthentication

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start over when the processor rejects the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials (LIP), or pair again (LEAP), and check them before storing them."""
        entry = self._get_reauth_entry()
        if entry.data[CONF_BACKEND] == BackendType.LEAP:
            return await self.async_step_reauth_leap()
        return await self._async_step_update_live(
            "reauth_confirm", entry, credentials_schema(entry.data), user_input
        )

    async def async_step_reauth_leap(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pair again with a processor that refuses the stored certificate."""
        entry = self._get_reauth_entry()
        if user_input is not None:
            self._host = entry.data[CONF_HOST]
            return await self.async_step_pair()
        errors, placeholders = self._take_pair_error()
        return self.async_show_form(
            step_id="reauth_leap",
            errors=errors,
            description_placeholders={**placeholders, "name": entry.title},
        )

    async def _async_emulated_description(
        self, entry: HomeworksQsxConfigEntry
    ) -> SystemDescription | None:
        """Return the project an emulated entry holds: the running one, else the one its data builds (None if none)."""
        if entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data.backend.description
        try:
            return await async_build_description(self.hass, entry.data)
        except QsxError, OSError, KeyError, ValueError:
            return None

    # Reconfiguration

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change where a live processor is reached, or how an emulated one is served."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_BACKEND] == BackendType.EMULATED:
            return await self.async_step_reconfigure_emulated()
        fields = (
            host_schema(entry.data)
            if entry.data[CONF_BACKEND] == BackendType.LEAP
            else ports_schema(entry.data)
        )
        return await self._async_step_update_live(
            "reconfigure", entry, fields, user_input
        )

    async def async_step_reconfigure_emulated(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Serve an emulated system on the network, stop serving it, or change its protocols, address, ports or login."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title, "error": ""}
        description = await self._async_emulated_description(entry)
        several = bool(description and description.other_processors)
        if user_input is not None:
            error = None
            serving = user_input
            try:
                if description is not None:
                    serving = serving_data(user_input, description)
            except FormError as err:
                error = err.key, err.text
            else:
                if user_input[CONF_SERVE]:
                    error = await async_test_serve(
                        serving, ports_in_use(entry), description
                    )
            if error is None:
                return self._async_update_reload_and_abort(entry, serving)
            errors["base"], placeholders["error"] = error
        suggested = user_input
        if suggested is None and several:
            suggested = {CONF_PROCESSOR_HOSTS: processor_hosts_text(entry.data)}
        return self.async_show_form(
            step_id="reconfigure_emulated",
            data_schema=self.add_suggested_values_to_schema(
                reconfigure_serving_schema(entry.data, several_processors=several),
                suggested,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
