"""One config entry per project of several processors (P4, LP52-LP54): another processor is a failover, never an entry.

A processor of a configured project, set up by hand or announced by zeroconf, is recognised by the serials the
entry keeps of its project and by the other processors its own listing names; it is paired on its own (each
processor has its own CA) and kept as a failover of the entry.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_FAILOVER,
    CONF_KEY_PEM,
    CONF_PROJECT_PROCESSORS,
    DOMAIN,
    BackendType,
)
from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.leap import LeapCredentials, Profile
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError

from .conftest import (
    HOUSE,
    KITCHEN,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    get_device,
    live_data,
    placeholders,
)
from .test_leap import (  # noqa: F401  (the emulated LEAP processor and its fixtures)
    HOST,
    OTHER_HOST,
    EmulatedProcessor,
    announcement,
    fast_leap_timing,
    leap_loopback,
    pair,
    start_leap_flow,
)

SECOND = "0A1B2C3E"  # the project's second processor


def house_processed_by(serial: str) -> SystemDescription:
    """Return the test house as the processor with `serial` serves it (its own serial; one processor listed)."""
    description = load_description(HOUSE)
    return replace(description, processor=replace(description.processor, serial=serial))


@pytest.fixture(scope="module")
def second_credentials() -> LeapCredentials:
    """Return the second processor's own CA (LP53: each processor pairs on its own)."""
    return LeapCredentials.generate()


@pytest.fixture
async def second(
    hass: HomeAssistant, second_credentials: LeapCredentials
) -> AsyncGenerator[EmulatedProcessor]:
    """Serve the project as its second processor does, on the emulated processor's address."""
    emulator = Emulator(house_processed_by(SECOND), scheduler=AsyncioScheduler())
    emulated = EmulatedProcessor(emulator, second_credentials, Profile.FULL)
    await emulated.start()
    yield emulated
    await emulated.stop()
    emulator.close()


@pytest.fixture
def trusted_second(
    monkeypatch: pytest.MonkeyPatch, second_credentials: LeapCredentials
) -> None:
    """Point pylutron-caseta's trust of the pairing server at the second processor's CA."""
    monkeypatch.setattr(
        "pylutron_caseta.pairing.LAP_CA_PEM", second_credentials.ca_cert_pem
    )


def project_entry(hass: HomeAssistant, **data: Any) -> MockConfigEntry:
    """Add the project's LEAP entry (its first processor, unreachable here), knowing both processors' serials."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: OTHER_HOST,
            CONF_KEY_PEM: "key",
            CONF_CERT_PEM: "cert",
            CONF_CA_PEM: "ca",
            CONF_PROJECT_PROCESSORS: [PROCESSOR, SECOND],
            **data,
        },
    )
    entry.add_to_hass(hass)
    return entry


def only_entry(hass: HomeAssistant) -> MockConfigEntry:
    """Return the one entry of the integration (LP54: never a second one per project)."""
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert isinstance(entry, MockConfigEntry)
    return entry


def assert_failover_of_second(
    entry: MockConfigEntry, second: EmulatedProcessor, host: str = HOST
) -> None:
    """Check that the entry keeps the second processor as its failover: its host, and certificates its own CA signed."""
    [failover] = entry.data[CONF_FAILOVER]
    assert failover["serial"] == SECOND
    assert failover[CONF_HOST] == host
    assert failover[CONF_CA_PEM] == second.credentials.ca_cert_pem
    assert "PRIVATE KEY" in failover[CONF_KEY_PEM]
    assert "CERTIFICATE" in failover[CONF_CERT_PEM]


@pytest.mark.usefixtures("trusted_second")
async def test_second_processor_by_hand_is_a_failover_lp54(
    hass: HomeAssistant, second: EmulatedProcessor
) -> None:
    """LP54: pairing by hand with another processor of a configured project aborts `already_configured`.

    The processor is kept as a failover of the project's entry, with its host and its own certificates.
    """
    entry = project_entry(hass)
    flow_id = await start_leap_flow(hass)
    result = await pair(hass, second, flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert only_entry(hass) is entry
    assert_failover_of_second(entry, second)
    assert (
        entry.data[CONF_HOST] == OTHER_HOST
    )  # the entry's own processor stays where it was


@pytest.mark.usefixtures("trusted_second")
async def test_second_processor_by_hand_replaces_its_failover_lp54(
    hass: HomeAssistant, second: EmulatedProcessor
) -> None:
    """Pairing again with a failover the entry has already replaces it (new host, new certificates), no duplicate."""
    entry = project_entry(
        hass,
        **{
            CONF_FAILOVER: [
                {
                    "serial": SECOND,
                    CONF_HOST: OTHER_HOST,
                    CONF_KEY_PEM: "old",
                    CONF_CERT_PEM: "old",
                    CONF_CA_PEM: "old",
                }
            ]
        },
    )
    result = await pair(hass, second, await start_leap_flow(hass))
    assert result["reason"] == "already_configured"
    assert_failover_of_second(entry, second)


@pytest.mark.usefixtures("trusted_second")
async def test_zeroconf_second_processor_offered_as_failover_lp54(
    hass: HomeAssistant, second: EmulatedProcessor
) -> None:
    """LP22, LP54: an announced processor of a configured project is offered as its failover, then paired.

    A confirm step names the entry; pairing keeps the processor as a failover and aborts `failover_added`.
    """
    entry = project_entry(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announcement(serial=SECOND)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "failover_confirm"
    assert placeholders(result)["name"] == "Test house"
    assert placeholders(result)["host"] == HOST
    assert placeholders(result)["serial"] == SECOND
    # A second announcement of the same processor while the first waits starts nothing more.
    again = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announcement(serial=SECOND)
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_in_progress"
    flow_id = result["flow_id"]
    # Nobody presses the button: the confirm step comes back with the error.
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "failover_confirm"
    assert result["errors"] == {"base": "pairing_timeout"}
    second.press_pairing_button()
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "failover_added"
    assert only_entry(hass) is entry
    assert_failover_of_second(entry, second)


async def test_zeroconf_known_failover_moved_lp54(hass: HomeAssistant) -> None:
    """A failover announcing itself again: at a new address it takes it; at the same, nothing changes."""
    known = {
        "serial": SECOND,
        CONF_HOST: OTHER_HOST,
        CONF_KEY_PEM: "key",
        CONF_CERT_PEM: "cert",
        CONF_CA_PEM: "ca",
    }
    entry = project_entry(hass, **{CONF_FAILOVER: [known]})
    for _ in range(2):  # moved, then announced at the same address again
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=announcement(serial=SECOND),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        assert entry.data[CONF_FAILOVER] == [{**known, CONF_HOST: HOST}]
        await hass.async_block_till_done()
    assert only_entry(hass) is entry


async def test_zeroconf_of_a_processor_of_no_project_starts_pairing(
    hass: HomeAssistant,
) -> None:
    """A processor no entry's project holds is a new system: the usual LEAP flow starts."""
    project_entry(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=announcement(serial="0A1B2C3F"),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "leap"


@pytest.mark.usefixtures("socket_enabled")
async def test_lip_second_processor_by_hand_is_a_failover_lp54(
    hass: HomeAssistant,
) -> None:
    """Over LIP too: another processor of a configured project is kept as a failover host, never an entry."""
    emulator = Emulator(house_processed_by(SECOND), scheduler=AsyncioScheduler())
    server = LipServer(
        emulator,
        "127.0.0.1",
        0,
        USERNAME,
        PASSWORD,
        http_port=0,
        failed_login_delay=0.0,
    )
    await server.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=PROCESSOR,
            data={
                **live_data(1, 1, **{CONF_HOST: OTHER_HOST}),
                CONF_PROJECT_PROCESSORS: [PROCESSOR, SECOND],
            },
        )
        entry.add_to_hass(hass)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": BackendType.LIP}
        )
        assert server.http_port is not None
        data = live_data(server.port, server.http_port)
        del data[CONF_BACKEND]
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        assert entry.data[CONF_FAILOVER] == [{"serial": SECOND, CONF_HOST: "127.0.0.1"}]
        assert only_entry(hass) is entry
        await hass.async_block_till_done()
    finally:
        await server.stop()
        emulator.close()


async def test_processor_cut_off_and_back_by_the_action_lp53(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """LP53: the action cuts an emulated processor off the network and brings it back; it takes processors only."""
    entry = init_integration
    processor = get_device(hass, entry.entry_id, PROCESSOR)
    backend = entry.runtime_data.emulated
    assert backend is not None
    for online in (False, True):
        await hass.services.async_call(
            DOMAIN,
            "set_processor_online",
            {"device_id": processor.id, "online": online},
            blocking=True,
        )
        assert backend.processor_online(PROCESSOR) is online
    module = get_device(hass, entry.entry_id, KITCHEN)
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "set_processor_online",
            {"device_id": module.id, "online": False},
            blocking=True,
        )
    assert refused.value.translation_key == "not_a_processor"
