"""One config entry per project of several processors (P4, LP52-LP54): another processor is a failover, never an entry.

A processor of a configured project, set up by hand or announced by zeroconf, is recognised by the serials the
entry keeps of its project and by the other processors its own listing names; it is paired on its own (each
processor has its own CA) and kept as a failover of the entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import pytest_socket

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_DESCRIPTION_PATH,
    CONF_FAILOVER,
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
    CONF_PROCESSOR_SERIAL,
    CONF_PROJECT_PROCESSORS,
    CONF_SERVE,
    CONF_SERVE_LEAP,
    CONF_SERVE_LIP,
    DOMAIN,
    STORED_LEAP_CREDENTIALS,
    STORED_PROCESSOR_LEAP_CREDENTIALS,
    BackendType,
)
from custom_components.homeworks_qsx.issues import failover_issue_id
from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.emulator.serving import PORT_STEP
from custom_components.homeworks_qsx.qsx.leap import (
    LEAP_PORT,
    PAIRING_PORT,
    LeapBackend,
    LeapCertificates,
    LeapCredentials,
    LeapServer,
    PairingServer,
    Profile,
)
from custom_components.homeworks_qsx.qsx.model import DeviceKind, SystemDescription
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_USERNAME,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from tests.qsx.projects import project_description

from .conftest import (
    HOUSE,
    KITCHEN,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    emulated_data,
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
    await (
        hass.async_block_till_done()
    )  # the reload that takes the failover ends before the test does
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.backend.endpoint.host == HOST
    assert await hass.config_entries.async_unload(entry.entry_id)


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
    await hass.async_block_till_done()


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
    await hass.async_block_till_done()


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


# A project of several processors served over LEAP, each processor on its own address with its own CA (LP53).

PROJECT_HOSTS = ("127.0.0.21", "127.0.0.22", "127.0.0.23")
WAIT_STEPS = 500  # at most 5 s of 10 ms steps for any change on loopback


@pytest.fixture(autouse=True)
def project_loopback(leap_loopback: None) -> None:  # noqa: F811  (the fixture imported above)
    """Let the test reach every served processor's own loopback address (closed again by `leap_loopback`)."""
    pytest_socket.socket_allow_hosts([HOST, OTHER_HOST, "127.0.0.1", *PROJECT_HOSTS])


@pytest.fixture(scope="module")
def project_credentials() -> list[LeapCredentials]:
    """Return a CA for each processor of a project (made once: generating one takes a while)."""
    return [LeapCredentials.generate() for _ in PROJECT_HOSTS]


@dataclass
class ServedProject:
    """An emulated project, every processor served over LEAP (and pairing) on its own address with its own CA."""

    emulator: Emulator
    credentials: dict[str, LeapCredentials]
    hosts: dict[str, str]
    servers: dict[str, tuple[LeapServer, PairingServer]] = field(default_factory=dict)

    @property
    def serials(self) -> list[str]:
        """The processors' serials, the first first."""
        return list(self.hosts)

    def certificates(self, serial: str) -> dict[str, str]:
        """Certificates the processor's own CA issued (LP21's direct issue)."""
        key, cert = self.credentials[serial].issue_client()
        return {
            CONF_KEY_PEM: key,
            CONF_CERT_PEM: cert,
            CONF_CA_PEM: self.credentials[serial].ca_cert_pem,
        }

    def pairing(self, serial: str) -> PairingServer:
        """Return the processor's pairing server."""
        return self.servers[serial][1]

    async def bring_back(self, serial: str) -> None:
        """Put the processor on the network: it serves LEAP as itself (LP53), and pairing."""
        self.emulator.set_processor_online(serial, True)
        leap = LeapServer(
            self.emulator,
            self.credentials[serial],
            self.hosts[serial],
            LEAP_PORT,
            this_processor=serial,
        )
        pairing = PairingServer(
            self.credentials[serial], self.hosts[serial], PAIRING_PORT
        )
        await leap.start()
        await pairing.start()
        self.servers[serial] = (leap, pairing)

    async def cut_off(self, serial: str) -> None:
        """Cut the processor off the network: its servers stop, and the others report its devices (LP53)."""
        self.emulator.set_processor_online(serial, False)
        for server in self.servers.pop(serial):
            await server.stop()


@pytest.fixture(params=[2, 3], ids=["two_processors", "three_processors"])
async def served_project(
    request: pytest.FixtureRequest, project_credentials: list[LeapCredentials]
) -> AsyncGenerator[ServedProject]:
    """Serve a two- or three-processor project over LEAP (LP53)."""
    description = project_description(request.param)
    emulator = Emulator(description, scheduler=AsyncioScheduler())
    hosts = {
        processor.serial: host
        for processor, host in zip(description.processors, PROJECT_HOSTS, strict=False)
    }
    project = ServedProject(
        emulator, dict(zip(hosts, project_credentials, strict=False)), hosts
    )
    for serial in hosts:
        await project.bring_back(serial)
    yield project
    for serial in list(project.servers):
        await project.cut_off(serial)
    emulator.close()


def project_leap_entry(hass: HomeAssistant, project: ServedProject) -> MockConfigEntry:
    """Add the project's LEAP entry: its first processor, every other one a failover (paired on its own)."""
    first, *others = project.serials
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Project",
        unique_id=first,
        minor_version=2,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: project.hosts[first],
            **project.certificates(first),
            CONF_FAILOVER: [
                {
                    "serial": serial,
                    CONF_HOST: project.hosts[serial],
                    **project.certificates(serial),
                }
                for serial in others
            ],
        },
    )
    entry.add_to_hass(hass)
    return entry


async def until(hass: HomeAssistant, condition: Callable[[], bool]) -> bool:
    """Run the loop, on the real clock, until `condition` holds (at most 5 s)."""
    for _ in range(WAIT_STEPS):
        if condition():
            return True
        await asyncio.sleep(0.01)
        await hass.async_block_till_done()
    return False


def identities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return what identifies the entry's devices and entities to a user: identifiers, unique ids, entity ids."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return {
        "devices": sorted(sorted(device.identifiers) for device in devices),
        "entities": sorted((entity.entity_id, entity.unique_id) for entity in entities),
    }


async def test_project_served_over_leap_is_one_entry_lp52_lp54(
    hass: HomeAssistant, served_project: ServedProject
) -> None:
    """LP52, LP54: one entry for the whole project; every processor a device; no device or entity twice.

    The entry's own processor is the hub device; every other processor is a device with its name, model, serial
    and firmware; every other device is attached to its own processor's device.
    """
    entry = project_leap_entry(hass, served_project)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # The project as read over LEAP: every processor of the emulated one, by serial.
    description = entry.runtime_data.backend.description
    assert [p.serial for p in description.processors] == served_project.serials
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, entry.entry_id)
    by_serial = {
        value: device
        for device in devices
        for domain, value in device.identifiers
        if domain == DOMAIN
    }
    assert len(by_serial) == len(devices)  # one identifier each: no device twice
    assert set(by_serial) == {p.serial for p in description.processors} | {
        device.serial for device in description.devices
    }
    assert entry.unique_id is not None
    hub = by_serial[entry.unique_id]
    assert hub.name == "Project"
    for processor in description.other_processors:
        device = by_serial[processor.serial]
        assert device.name == processor.name
        assert device.model_id == processor.model.value
        assert device.serial_number == processor.serial
        assert device.sw_version == processor.firmware
    for device in description.devices:
        own = description.processor_of(device).serial
        assert by_serial[device.serial].via_device_id == by_serial[own].id
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    # Each entity once, and shown: none left from another entry or another processor's listing.
    assert len({(entity.domain, entity.unique_id) for entity in entities}) == len(
        entities
    )
    assert all(
        hass.states.get(entity.entity_id) is not None
        for entity in entities
        if entity.disabled_by is None
    )
    # Each processor's links are counted on its own device.
    for processor in description.processors:
        assert er.async_entries_for_device(
            er.async_get(hass), by_serial[processor.serial].id
        )
    assert entry.data[CONF_PROJECT_PROCESSORS] == served_project.serials
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_failover_keeps_every_identity_lp53_lp54(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    served_project: ServedProject,
) -> None:
    """LP53, LP54: the processor in use cut off, the entry moves to another of the project and keeps every identity.

    Entities come back under the same entity ids and unique ids, commands reach the project through the new
    processor, and the diagnostics say which processor is in use.
    """
    entry = project_leap_entry(hass, served_project)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    before = identities(hass, entry)
    first, second, *_ = served_project.serials
    backend = entry.runtime_data.backend
    assert backend.description.processor.serial == first
    await served_project.cut_off(first)
    assert await until(
        hass,
        lambda: backend.connected and backend.description.processor.serial == second,
    )
    assert identities(hass, entry) == before
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert isinstance(diagnostics, dict)
    assert diagnostics["processors"] == {
        "entry": first,
        "in_use": second,
        "project": [second, *(s for s in served_project.serials if s != second)],
        "failover": served_project.serials[1:],
    }
    # A light of the second processor's own link, switched through the second processor.
    description = served_project.emulator.description
    module = next(
        device
        for device in description.devices_of(second)
        if device.kind is DeviceKind.SWITCHING_MODULE
    )
    [entity_id] = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.unique_id == f"{module.serial}_zone_1"
    ]
    platform = entity_id.split(".", 1)[0]
    await hass.services.async_call(
        platform, "turn_on", {"entity_id": entity_id}, blocking=True
    )
    assert await until(hass, lambda: hass.states.get(entity_id).state == STATE_ON)  # type: ignore[union-attr]
    assert served_project.emulator.state(module.serial).zones[0].on
    # A live project's processors cannot be cut off from Home Assistant.
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "set_processor_online",
            {"device_id": get_device(hass, entry.entry_id, second).id, "online": False},
            blocking=True,
        )
    assert refused.value.translation_key == "simulation_not_supported"
    # A repair issue says which processor is in use, and that the entry's own does not answer.
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, failover_issue_id(entry.entry_id)
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": "Project",
        "serial": first,
        "in_use": second,
    }
    # The first processor back changes nothing: the entry stays where it works.
    await served_project.bring_back(first)
    await hass.async_block_till_done()
    assert identities(hass, entry) == before
    assert backend.connected
    # Set up again, the entry starts on its own processor: the issue goes, every identity stays.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.backend.description.processor.serial == first
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, failover_issue_id(entry.entry_id))
        is None
    )
    assert identities(hass, entry) == before


async def test_zeroconf_of_a_served_project_processor_lp22_lp54(
    hass: HomeAssistant,
    served_project: ServedProject,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP22, LP54: the entry of a project notes its processors; another one announced is paired as its failover.

    No second entry: the processor is kept with its own certificates, the entry reloads with it, and moves to it
    when its own processor is cut off.
    """
    first, second, *_ = served_project.serials
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Project",
        unique_id=first,
        minor_version=2,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: served_project.hosts[first],
            **served_project.certificates(first),
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_PROJECT_PROCESSORS] == served_project.serials
    before = identities(hass, entry)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=announcement(host=served_project.hosts[second], serial=second),
    )
    assert result["step_id"] == "failover_confirm"
    monkeypatch.setattr(
        "pylutron_caseta.pairing.LAP_CA_PEM",
        served_project.credentials[second].ca_cert_pem,
    )
    served_project.pairing(second).open_pairing_window(10)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "failover_added"
    await hass.async_block_till_done()
    assert only_entry(hass) is entry
    [failover] = entry.data[CONF_FAILOVER]
    assert failover["serial"] == second
    assert failover[CONF_CA_PEM] == served_project.credentials[second].ca_cert_pem
    assert entry.state is ConfigEntryState.LOADED
    backend = entry.runtime_data.backend
    await served_project.cut_off(first)
    assert await until(
        hass,
        lambda: backend.connected and backend.description.processor.serial == second,
    )
    assert identities(hass, entry) == before


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


# An emulated entry holding a project of several processors, each served on its own address (LP53).

EXAMPLE_PROJECT = Path(__file__).parents[2] / "examples" / "project.yaml"
MAIN_HOUSE = "4D41494E"
POOL_HOUSE = "504F4F4C"


def emulated_project_entry(hass: HomeAssistant, **data: Any) -> MockConfigEntry:
    """Add an emulated entry of the example project, its processors served over LEAP on their own addresses."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Cedar Lane estate",
        unique_id=MAIN_HOUSE,
        minor_version=2,
        data=emulated_data(
            **{
                CONF_DESCRIPTION_PATH: str(EXAMPLE_PROJECT),
                CONF_PROCESSOR_SERIAL: MAIN_HOUSE,
                CONF_SERVE: True,
                CONF_HOST: PROJECT_HOSTS[0],
                CONF_SERVE_LIP: False,
                CONF_SERVE_LEAP: True,
                CONF_LEAP_PORT: LEAP_PORT,
                CONF_PAIRING_PORT: PAIRING_PORT,
                CONF_LEAP_PROFILE: Profile.FULL.value,
                CONF_PROCESSOR_HOSTS: {POOL_HOUSE: PROJECT_HOSTS[1]},
                **data,
            }
        ),
    )
    entry.add_to_hass(hass)
    return entry


async def test_emulated_project_serves_each_processor_lp53(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    """LP53: an emulated project serves every processor on its own address with its own CA, kept with its state.

    Every processor is a device and every other device hangs from its own processor; cutting a processor off
    (the action) closes its servers, and bringing it back opens them again.
    """
    entry = emulated_project_entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    runtime = entry.runtime_data
    assert runtime.servers is not None
    served = runtime.servers.processors
    assert list(served) == [MAIN_HOUSE, POOL_HOUSE]
    assert served[MAIN_HOUSE].host == PROJECT_HOSTS[0]
    assert served[POOL_HOUSE].host == PROJECT_HOSTS[1]
    credentials = runtime.processor_credentials
    assert credentials[MAIN_HOUSE].ca_cert_pem != credentials[POOL_HOUSE].ca_cert_pem
    # Each processor answers for the whole project, as itself (LP53).
    for serial in (MAIN_HOUSE, POOL_HOUSE):
        key, cert = credentials[serial].issue_client()
        backend = LeapBackend(
            served[serial].host,
            LeapCertificates(key, cert, credentials[serial].ca_cert_pem),
        )
        try:
            await backend.async_start()
            assert backend.description.processor.serial == serial
            assert {p.serial for p in backend.description.processors} == {
                MAIN_HOUSE,
                POOL_HOUSE,
            }
        finally:
            await backend.async_stop()
    hub = get_device(hass, entry.entry_id, MAIN_HOUSE)
    pool = get_device(hass, entry.entry_id, POOL_HOUSE)
    assert hub.name == "Cedar Lane estate"
    assert pool.name == "Pool house"
    description = runtime.backend.description
    for device in description.devices:
        entry_device = get_device(hass, entry.entry_id, device.serial)
        own = pool if description.processor_of(device).serial == POOL_HOUSE else hub
        assert entry_device.via_device_id == own.id
    # The pool house's own diagnostics: itself, its link, the devices it drives.
    assert await async_setup_component(hass, "diagnostics", {})
    shown: dict[str, Any] = await get_diagnostics_for_device(
        hass, hass_client, entry, pool
    )
    assert shown["processor"]["serial"] == POOL_HOUSE
    assert [link["number"] for link in shown["links"]] == [1]
    assert shown["devices"] == len(description.devices_of(POOL_HOUSE))
    assert shown["processors"]["in_use"] == MAIN_HOUSE
    # The pool house cut off: its servers close, its devices lose their link; back, everything returns.
    await hass.services.async_call(
        DOMAIN,
        "set_processor_online",
        {"device_id": pool.id, "online": False},
        blocking=True,
    )
    assert await until(hass, lambda: not served[POOL_HOUSE].listening)
    assert served[MAIN_HOUSE].listening
    assert not runtime.backend.processor_online(POOL_HOUSE)
    await hass.services.async_call(
        DOMAIN,
        "set_processor_online",
        {"device_id": pool.id, "online": True},
        blocking=True,
    )
    assert await until(hass, lambda: served[POOL_HOUSE].listening)
    # Each processor's CA is kept with the state: the first where a one-processor system keeps it.
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored[STORED_LEAP_CREDENTIALS] == credentials[MAIN_HOUSE].to_dict()
    assert stored[STORED_PROCESSOR_LEAP_CREDENTIALS] == {
        POOL_HOUSE: credentials[POOL_HOUSE].to_dict()
    }
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.processor_credentials == credentials


async def test_processor_action_refusals(hass: HomeAssistant) -> None:
    """The processor action takes processors of emulated systems only, and says why it refuses anything else."""
    entry = emulated_project_entry(hass, **{CONF_SERVE: False})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    module = get_device(
        hass, entry.entry_id, entry.runtime_data.backend.description.modules[0].serial
    )
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "set_processor_online",
            {"device_id": module.id, "online": False},
            blocking=True,
        )
    assert refused.value.translation_key == "not_a_processor"
    pool = get_device(hass, entry.entry_id, POOL_HOUSE)
    # Not served: no pairing port to open on it.
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "press_pairing_button",
            {"device_id": pool.id},
            blocking=True,
        )
    assert refused.value.translation_key == "leap_not_served"


async def test_serving_a_project_says_where_each_processor_is_lp53(
    hass: HomeAssistant,
) -> None:
    """P4, LP53: serving an emulated project asks where its other processors answer, and checks each address.

    A malformed line or a serial of no other processor is refused and named; the entry keeps the addresses, the
    project serves every processor where they say, and reconfiguring shows them again.
    """
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": BackendType.EMULATED}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Cedar Lane estate",
            CONF_MODEL: "hqp7_2",
            CONF_LINK_1_MODULES: 0,
            CONF_LINK_2_MODULES: 0,
            CONF_DESCRIPTION_PATH: str(EXAMPLE_PROJECT),
            CONF_SERVE: True,
        },
    )
    assert result["step_id"] == "serve"
    schema = result["data_schema"]
    assert schema is not None
    assert CONF_PROCESSOR_HOSTS in {str(key) for key in schema.schema}
    serve = {
        CONF_HOST: PROJECT_HOSTS[0],
        CONF_SERVE_LIP: True,
        CONF_LIP_PORT: 2323,
        CONF_HTTP_PORT: 8080,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
        CONF_SERVE_LEAP: True,
        CONF_LEAP_PORT: LEAP_PORT,
        CONF_PAIRING_PORT: PAIRING_PORT,
        CONF_LEAP_PROFILE: Profile.FULL.value,
    }
    for wrong in (f"{MAIN_HOUSE}={PROJECT_HOSTS[1]}", "pool house", "504F4F4C="):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**serve, CONF_PROCESSOR_HOSTS: wrong}
        )
        assert result["errors"] == {CONF_PROCESSOR_HOSTS: "invalid_processor_hosts"}
        assert placeholders(result)["error"] == wrong
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **serve,
            CONF_PROCESSOR_HOSTS: f"\n{POOL_HOUSE.lower()} = {PROJECT_HOSTS[1]}\n",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_PROCESSOR_HOSTS] == {POOL_HOUSE: PROJECT_HOSTS[1]}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    served = entry.runtime_data.servers.processors
    assert served[POOL_HOUSE].host == PROJECT_HOSTS[1]
    assert served[POOL_HOUSE].leap is not None
    assert served[POOL_HOUSE].leap.port == LEAP_PORT
    # Reconfiguring shows where they are, and moves the pool house back beside the first (ports moved by 10).
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_emulated"
    schema = result["data_schema"]
    assert schema is not None
    [hosts_field] = [key for key in schema.schema if str(key) == CONF_PROCESSOR_HOSTS]
    assert hosts_field.description == {
        "suggested_value": f"{POOL_HOUSE}={PROJECT_HOSTS[1]}"
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**serve, CONF_SERVE: True, CONF_PROCESSOR_HOSTS: "x=y"}
    )
    assert result["errors"] == {"base": "invalid_processor_hosts"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**serve, CONF_SERVE: True, CONF_PROCESSOR_HOSTS: ""}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PROCESSOR_HOSTS] == {}
    served = entry.runtime_data.servers.processors
    assert served[POOL_HOUSE].host == PROJECT_HOSTS[0]
    assert served[POOL_HOUSE].leap is not None
    assert served[POOL_HOUSE].leap.port == LEAP_PORT + PORT_STEP


async def test_address_of_a_processor_the_project_lacks_is_invalid_entry_data(
    hass: HomeAssistant,
) -> None:
    """An entry that gives an address to a processor its project does not hold cannot be served."""
    entry = emulated_project_entry(
        hass, **{CONF_PROCESSOR_HOSTS: {"0FFFFFFF": PROJECT_HOSTS[1]}}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.usefixtures("socket_enabled")
async def test_reconfigure_an_emulated_entry_whose_project_cannot_be_read(
    hass: HomeAssistant,
) -> None:
    """An emulated entry not loaded, whose file is gone: its serving can still be changed (one processor's form)."""
    entry = emulated_project_entry(
        hass, **{CONF_SERVE: False, CONF_DESCRIPTION_PATH: "/nonexistent/project.yaml"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_emulated"
    schema = result["data_schema"]
    assert schema is not None
    assert CONF_PROCESSOR_HOSTS not in {str(key) for key in schema.schema}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERVE: False,
            CONF_HOST: PROJECT_HOSTS[0],
            CONF_SERVE_LIP: False,
            CONF_LIP_PORT: 2323,
            CONF_HTTP_PORT: 8080,
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
            CONF_SERVE_LEAP: True,
            CONF_LEAP_PORT: LEAP_PORT,
            CONF_PAIRING_PORT: PAIRING_PORT,
            CONF_LEAP_PROFILE: Profile.FULL.value,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


@pytest.mark.usefixtures("socket_enabled")
async def test_lip_entry_reaches_its_failover_when_its_processor_is_cut_off_lp53_lp54(
    hass: HomeAssistant,
) -> None:
    """LP53, LP54: a LIP entry whose processor is off the network sets up through its failover, keys unchanged."""
    description = project_description(2, 1)
    first, second = (processor.serial for processor in description.processors)
    emulator = Emulator(description, scheduler=AsyncioScheduler())
    emulator.set_processor_online(first, False)
    servers = [
        LipServer(
            emulator,
            PROJECT_HOSTS[0],
            0,
            USERNAME,
            PASSWORD,
            http_port=0,
            failed_login_delay=0.0,
            this_processor=first,
        )
    ]
    await servers[0].start()
    try:
        port, http_port = servers[0].port, servers[0].http_port
        assert http_port is not None
        servers.append(
            LipServer(
                emulator,
                PROJECT_HOSTS[1],
                port,
                USERNAME,
                PASSWORD,
                http_port=http_port,
                failed_login_delay=0.0,
                this_processor=second,
            )
        )
        await servers[1].start()
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=first,
            data={
                **live_data(port, http_port, **{CONF_HOST: PROJECT_HOSTS[0]}),
                CONF_FAILOVER: [{"serial": second, CONF_HOST: PROJECT_HOSTS[1]}],
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.backend.endpoint.host == PROJECT_HOSTS[1]
        devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        serials = {
            identifier[1] for device in devices for identifier in device.identifiers
        }
        assert {first, second} <= serials
        assert {module.serial for module in description.modules} <= serials
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        for server in servers:
            await server.stop()
        emulator.close()
