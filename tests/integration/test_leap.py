"""A live processor over LEAP: the emulated house served by the emulator's LEAP and pairing servers on loopback.

pylutron-caseta's pairing always dials ports 8083 and 8081, so the emulator listens on a loopback address of its
own. Only pylutron-caseta's trust of the pairing server is pointed at the emulator's CA (LP21): a real processor's
pairing server is signed by Lutron, which the emulator cannot be.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass, replace
from ipaddress import ip_address
from typing import Any, Final
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import pytest_socket
from syrupy.assertion import SnapshotAssertion

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_CA_PEM,
    CONF_CERT_PEM,
    CONF_KEY_PEM,
    CONF_MODULE,
    DOMAIN,
    BackendType,
)
from custom_components.homeworks_qsx.issues import database_issue_id
from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler
from custom_components.homeworks_qsx.qsx.const import Gesture
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import (
    load_description,
    new_module,
)
from custom_components.homeworks_qsx.qsx.errors import ConnectionFailedError
from custom_components.homeworks_qsx.qsx.leap import (
    LEAP_PORT,
    PAIRING_PORT,
    LeapBackend,
    LeapCredentials,
    LeapServer,
    PairingServer,
    Profile,
)
from custom_components.homeworks_qsx.qsx.leap.client import LEAP_TIMINGS
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.config_entries import (
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import (
    EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE,
    FlowResultType,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .conftest import HOUSE, KITCHEN, PROCESSOR, error_text, get_device, placeholders
from .whole_house import (
    DIMMERS,
    KITCHEN_KEYPAD,
    NAME as HOUSE_NAME,
    PROCESSOR as HOUSE_PROCESSOR,
    whole_house,
)

HOST = "127.0.0.7"  # the emulated processor
OTHER_HOST = "127.0.0.8"  # nothing listens there
SILENT_HOST = "127.0.0.9"  # takes connections on 8083 and never answers
# Timing of the LEAP client in tests: reconnection at once, on the real clock.
LEAP_TIMING: Final = replace(
    LEAP_TIMINGS,
    command_timeout=2.0,
    connect_timeout=2.0,
    reconnect_min=0.01,
    reconnect_max=0.05,
)
# Seconds the emulator's pairing port waits for the button before it closes (LP21; 180 on a processor).
PAIRING_WAIT = 0.3


@dataclass
class EmulatedProcessor:
    """The emulated house served over LEAP (8081) and pairing (8083) on its own loopback address."""

    emulator: Emulator
    credentials: LeapCredentials
    profile: Profile
    server: LeapServer | None = None
    pairing: PairingServer | None = None

    async def start(self) -> None:
        """Serve LEAP and pairing."""
        self.server = LeapServer(
            self.emulator, self.credentials, HOST, LEAP_PORT, profile=self.profile
        )
        self.pairing = PairingServer(
            self.credentials, HOST, PAIRING_PORT, pairing_timeout=PAIRING_WAIT
        )
        await self.server.start()
        await self.pairing.start()

    async def stop(self) -> None:
        """Stop serving (the processor goes away)."""
        if self.pairing is not None:
            await self.pairing.stop()
        if self.server is not None:
            await self.server.stop()
        self.server = self.pairing = None

    def press_pairing_button(self) -> None:
        """Open the pairing window, as pressing the processor's button does."""
        assert self.pairing is not None
        self.pairing.open_pairing_window(10)

    def certificates(self) -> dict[str, str]:
        """Entry data of certificates issued by the emulator directly (LP21)."""
        key, cert = self.credentials.issue_client()
        return {
            CONF_KEY_PEM: key,
            CONF_CERT_PEM: cert,
            CONF_CA_PEM: self.credentials.ca_cert_pem,
        }


@pytest.fixture(autouse=True)
def leap_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach the emulated processor's own loopback addresses."""
    pytest_socket.socket_allow_hosts([HOST, OTHER_HOST, SILENT_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture(autouse=True)
def fast_leap_timing() -> Generator[None]:
    """Give LEAP backends created by the integration test timing."""
    original = LeapBackend.__init__

    def init(self: LeapBackend, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{"timings": LEAP_TIMING, **kwargs})

    with patch.object(LeapBackend, "__init__", init):
        yield


@pytest.fixture(scope="module")
def credentials() -> LeapCredentials:
    """Return the emulated processor's CA and server certificate."""
    return LeapCredentials.generate()


@pytest.fixture
def profile() -> Profile:
    """How the emulator lists its modules (LP16)."""
    return Profile.FULL


@pytest.fixture
async def processor(
    hass: HomeAssistant, credentials: LeapCredentials, profile: Profile
) -> AsyncGenerator[EmulatedProcessor]:
    """Serve the emulated house."""
    emulator = Emulator(load_description(HOUSE), scheduler=AsyncioScheduler())
    emulated = EmulatedProcessor(emulator, credentials, profile)
    await emulated.start()
    yield emulated
    await emulated.stop()
    emulator.close()


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch, credentials: LeapCredentials) -> None:
    """Point pylutron-caseta's trust of the pairing server at the emulator's CA."""
    monkeypatch.setattr("pylutron_caseta.pairing.LAP_CA_PEM", credentials.ca_cert_pem)


def leap_entry(
    hass: HomeAssistant, processor: EmulatedProcessor, host: str = HOST
) -> MockConfigEntry:
    """Add a LEAP entry of the emulated processor, with certificates it issued."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        # Keys without a serial start with the entry id (LP51): a fixed one keeps the snapshots stable.
        entry_id="01JQSXLEAPHOUSEENTRY00000",
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: host,
            **processor.certificates(),
        },
    )
    entry.add_to_hass(hass)
    return entry


async def setup_leap(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> MockConfigEntry:
    """Set up a LEAP entry of the emulated processor."""
    entry = leap_entry(hass, processor)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def until(hass: HomeAssistant, condition: Callable[[], bool]) -> bool:
    """Run the loop, on the real clock, until `condition` holds (at most 5 s)."""
    for _ in range(500):
        if condition():
            return True
        await asyncio.sleep(0.01)
        await hass.async_block_till_done()
    return False


async def submit_host(hass: HomeAssistant, flow_id: str, host: str) -> ConfigFlowResult:
    """Submit the host form, let the pairing run, and return what follows it."""
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: host})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    # First the pairing port is reached, then the processor waits for its button.
    assert result["progress_action"] == "pair_connect"
    assert placeholders(result)["host"] == host
    assert int(placeholders(result)["seconds"]) > 0
    # Once the pairing ends, the flow manager moves the flow on by itself; the next call reads its outcome.
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


async def pair(
    hass: HomeAssistant, processor: EmulatedProcessor, flow_id: str
) -> ConfigFlowResult:
    """Press the processor's pairing button, submit its host, and return what follows the pairing."""
    processor.press_pairing_button()
    return await submit_host(hass, flow_id, HOST)


async def start_leap_flow(hass: HomeAssistant) -> str:
    """Start the user flow and choose LEAP; return the flow id at the host form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        BackendType.LEAP,
        BackendType.LIP,
        BackendType.EMULATED,
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": BackendType.LEAP}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "leap"
    return result["flow_id"]


def entity_id_of(hass: HomeAssistant, unique_id: str) -> str:
    """Return the switch with this unique id."""
    entity_id = er.async_get(hass).async_get_entity_id("switch", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def devices_by_name(
    hass: HomeAssistant, entry: MockConfigEntry
) -> dict[str, dr.DeviceEntry]:
    """Return the entry's devices by name (an area group is named after its area)."""
    return {
        device.name or "": device
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
    }


def entities_by_name(hass: HomeAssistant, device: dr.DeviceEntry) -> dict[str, str]:
    """Return the entity ids of the device's entities by their names."""
    return {
        entity.original_name or "": entity.entity_id
        for entity in er.async_entries_for_device(er.async_get(hass), device.id)
    }


# Config flow


@pytest.mark.usefixtures("trusted")
async def test_user_flow_pairs_and_creates_the_entry(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP20: the user enters the host, presses the button; the entry keeps the certificates, named after the project."""
    flow_id = await start_leap_flow(hass)
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Test house"
    data = result["data"]
    assert data[CONF_BACKEND] == BackendType.LEAP
    assert data[CONF_HOST] == HOST
    assert data[CONF_CA_PEM] == processor.credentials.ca_cert_pem
    assert "PRIVATE KEY" in data[CONF_KEY_PEM]
    entry = result["result"]
    assert entry.unique_id == PROCESSOR
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("trusted")
async def test_pairing_errors_recover(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Unreachable host, button not pressed: the form comes back with the error, and a new attempt succeeds."""
    flow_id = await start_leap_flow(hass)
    result = await submit_host(hass, flow_id, OTHER_HOST)
    assert result["step_id"] == "leap"
    assert result["errors"] == {"base": "pairing_unreachable"}
    result = await submit_host(hass, flow_id, HOST)  # nobody presses the button
    assert result["step_id"] == "leap"
    assert result["errors"] == {"base": "pairing_timeout"}
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("trusted")
async def test_pairing_port_that_never_answers(
    hass: HomeAssistant, processor: EmulatedProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port 8083 that takes the connection and never finishes the handshake is told from a button not pressed."""
    # pylutron-caseta gives the handshake 10 s; the test does not wait that long.
    monkeypatch.setattr("pylutron_caseta.pairing.SOCKET_TIMEOUT", 0.3)
    held: list[asyncio.StreamWriter] = []

    async def take_and_stay_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        held.append(writer)

    silent = await asyncio.start_server(take_and_stay_silent, SILENT_HOST, PAIRING_PORT)
    try:
        flow_id = await start_leap_flow(hass)
        result = await submit_host(hass, flow_id, SILENT_HOST)
    finally:
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()
    assert held, "the pairing never reached the silent port"
    assert result["step_id"] == "leap"
    assert result["errors"] == {"base": "pairing_no_answer"}
    assert "8083" in error_text(result)
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("trusted")
async def test_pairing_shows_the_time_left(
    hass: HomeAssistant, processor: EmulatedProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the processor waits for its button, the progress counts the wait down; then the button is pressed."""
    monkeypatch.setattr(
        "custom_components.homeworks_qsx.config_flow.PAIRING_COUNTDOWN_INTERVAL", 0.02
    )
    # The emulated processor waits for its button long enough to watch the count-down.
    assert processor.pairing is not None
    await processor.pairing.stop()
    processor.pairing = PairingServer(
        processor.credentials, HOST, PAIRING_PORT, pairing_timeout=5.0
    )
    await processor.pairing.start()
    progress: list[float] = []
    hass.bus.async_listen(
        EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE,
        lambda event: progress.append(event.data["progress"]),
    )
    flow_id = await start_leap_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST})
    assert result["progress_action"] == "pair_connect"

    shown: list[ConfigFlowResult] = []

    async def progress_shown() -> bool:
        shown.append(await hass.config_entries.flow.async_configure(flow_id))
        return shown[-1]["progress_action"] == "pair" and len(progress) >= 2

    assert await until_async(progress_shown)
    seconds = int(placeholders(shown[-1])["seconds"])
    assert 0 < seconds <= 180
    assert 0 <= progress[0] <= progress[-1] < 1
    processor.press_pairing_button()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def until_async(condition: Callable[[], Awaitable[bool]]) -> bool:
    """Run the loop, on the real clock, until `condition` holds (at most 5 s)."""
    for _ in range(500):
        if await condition():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_pairing_server_not_trusted(
    hass: HomeAssistant, processor: EmulatedProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pairing server whose certificate Lutron did not sign is refused; trusted, the pairing then works."""
    flow_id = await start_leap_flow(hass)
    result = await pair(hass, processor, flow_id)
    assert result["errors"] == {"base": "pairing_refused"}
    monkeypatch.setattr(
        "pylutron_caseta.pairing.LAP_CA_PEM", processor.credentials.ca_cert_pem
    )
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("trusted")
async def test_processor_gone_after_pairing(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Paired, but the system cannot be read: the form comes back; with the processor back, the entry is made."""
    flow_id = await start_leap_flow(hass)
    processor.press_pairing_button()
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_HOST: HOST})
    await hass.async_block_till_done()
    await processor.stop()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "leap"
    assert result["errors"] == {"base": "cannot_connect_leap"}
    await processor.start()
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("trusted")
async def test_same_processor_is_not_added_twice(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """The processor's serial identifies LEAP and LIP entries alike: pairing a known one updates its host."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PROCESSOR,
        data={CONF_BACKEND: BackendType.LIP.value, CONF_HOST: OTHER_HOST},
    )
    entry.add_to_hass(hass)
    flow_id = await start_leap_flow(hass)
    result = await pair(hass, processor, flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == HOST


# Zeroconf


def announcement(
    host: str = HOST, serial: str | None = PROCESSOR, systype: str = "hwqs"
) -> ZeroconfServiceInfo:
    """Return a processor's `_lutron._tcp.local.` announcement (LP22)."""
    properties = {"SYSTYPE": systype, "CODEVER": "22.02.17f000"}
    if serial is not None:
        properties["SERNUM"] = serial
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        port=4548,
        hostname=f"Lutron-{PROCESSOR.lower()}.local.",
        type="_lutron._tcp.local.",
        name="Lutron Status._lutron._tcp.local.",
        properties=properties,
    )


@pytest.mark.usefixtures("trusted")
async def test_zeroconf_new_processor(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A discovered processor starts the LEAP flow with its host filled in."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=announcement(serial=None),  # the host name tells the serial then
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "leap"
    schema = result["data_schema"]
    assert schema is not None
    host_field = next(iter(schema.schema))
    assert host_field.description == {"suggested_value": HOST}
    result = await pair(hass, processor, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == PROCESSOR


async def test_zeroconf_known_processor_moved(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A known processor announcing itself at a new address: the entry follows it."""
    entry = leap_entry(hass, processor, host=OTHER_HOST)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=announcement()
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == HOST
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("serial", "systype"), [(PROCESSOR, "smartbridge"), ("not a serial", "hwqs2")]
)
async def test_zeroconf_not_a_qsx(
    hass: HomeAssistant, serial: str, systype: str
) -> None:
    """Other Lutron systems, and announcements without a readable serial, are not ours."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=announcement(serial=serial, systype=systype),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_qsx"


# Reauthentication and reconfiguration


@pytest.mark.usefixtures("trusted")
async def test_refused_certificate_starts_reauth_and_pairing_again_fixes_it(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A certificate the processor's CA did not sign: set-up fails, reauthentication pairs again."""
    stranger = LeapCredentials.generate()
    key, cert = stranger.issue_client()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: HOST,
            CONF_KEY_PEM: key,
            CONF_CERT_PEM: cert,
            CONF_CA_PEM: stranger.ca_cert_pem,
        },
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "reauth_leap"
    # Nobody presses the button: the form comes back.
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "reauth_leap"
    assert result["errors"] == {"base": "pairing_timeout"}
    processor.press_pairing_button()
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_CA_PEM] == processor.credentials.ca_cert_pem
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("trusted")
async def test_reauth_processor_gone_after_pairing(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Paired again, but the system cannot be read: the reauthentication form comes back with the error."""
    entry = await setup_leap(hass, processor)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_leap"
    flow_id = result["flow_id"]
    processor.press_pairing_button()
    await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    await processor.stop()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "reauth_leap"
    assert result["errors"] == {"base": "cannot_connect_leap"}


async def test_reconfigure_host(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """The host of a LEAP entry changes once the processor answers there with the same certificates."""
    entry = leap_entry(hass, processor, host=OTHER_HOST)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: OTHER_HOST}
    )
    assert result["errors"] == {"base": "cannot_connect_leap"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == HOST
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_refused_certificate(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Another processor (another CA) at the new host refuses the entry's certificate."""
    stranger = LeapCredentials.generate()
    key, cert = stranger.issue_client()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: OTHER_HOST,
            CONF_KEY_PEM: key,
            CONF_CERT_PEM: cert,
            CONF_CA_PEM: stranger.ca_cert_pem,
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST}
    )
    assert result["errors"] == {"base": "invalid_certificate"}


# Entities


async def test_full_profile_module_devices(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP16 (full profile): modules become module devices; LP17: only what LEAP reports is created.

    LEAP does not tell a momentary CCO from a maintained one, so each module's CCO has a pulse button.
    """
    entry = await setup_leap(hass, processor)
    kitchen = get_device(hass, entry.entry_id, KITCHEN)
    assert kitchen.name == "Kitchen panel"
    assert kitchen.hw_version is None  # LEAP does not tell the link address
    platforms = {
        entity.domain
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.device_id == kitchen.id
    }
    assert platforms == {"switch", "button"}
    # The processor's connection and link sensors stay.
    assert hass.states.get("binary_sensor.test_house_connection") is not None
    island = entity_id_of(hass, f"{KITCHEN}_zone_1")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": island}, blocking=True
    )
    assert hass.states.get(island).state == STATE_ON  # type: ignore[union-attr]
    assert processor.emulator.state(KITCHEN).zones[0].on


class _DeviceInfoWithoutDelete(dict[str, Any]):
    """A device info that, like Home Assistant 2026.11's, has no `__delitem__`."""

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"device info does not support item deletion ({key})")


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.ANONYMOUS])
async def test_devices_built_whole_get_their_entities(
    hass: HomeAssistant,
    processor: EmulatedProcessor,
    profile: Profile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LP16: every module or area device gets its entities when a device info cannot lose a key once built."""
    monkeypatch.setattr(
        "custom_components.homeworks_qsx.entity.DeviceInfo", _DeviceInfoWithoutDelete
    )
    entry = await setup_leap(hass, processor)
    registry = er.async_get(hass)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    units = [device for device in devices if device.via_device_id is not None]
    names = {"Kitchen", "Garage", "Hall"}
    if profile is Profile.FULL:
        names = {f"{name} panel" for name in names}
    assert {device.name for device in units} == names
    for device in units:
        switches = [
            entity
            for entity in er.async_entries_for_device(registry, device.id)
            if entity.domain == "switch"
        ]
        assert switches, f"{device.name} has no switch"
        assert all(
            hass.states.get(entity.entity_id).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
            for entity in switches
        )


async def test_simulation_refused_on_leap(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP17: physical conditions cannot be simulated on a processor; pressing a front button is not in LEAP."""
    entry = await setup_leap(hass, processor)
    kitchen = get_device(hass, entry.entry_id, KITCHEN)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_cci", {"device_id": kitchen.id, "open": True}, blocking=True
        )
    assert err.value.translation_key == "simulation_not_supported"
    assert "LEAP" in str(err.value.translation_placeholders)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "press_button",
            {"device_id": kitchen.id, "button": "zone_1"},
            blocking=True,
        )
    assert err.value.translation_key == "not_supported"


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_anonymous_profile_area_devices(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP16 (anonymous, as a real QSX): one device per area, named after it, one switch per zone and CCO."""
    entry = await setup_leap(hass, processor)
    by_name = devices_by_name(hass, entry)
    assert {"Kitchen", "Garage", "Hall"} <= set(by_name)
    switches = entities_by_name(hass, by_name["Kitchen"])
    assert {"Island", "Pendants", "Gate"} <= set(switches)
    island = switches["Island"]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": island}, blocking=True
    )
    assert hass.states.get(island).state == STATE_ON  # type: ignore[union-attr]
    assert processor.emulator.state(KITCHEN).zones[0].on
    # A change at the processor reaches the entity.
    processor.emulator.set_zone(KITCHEN, 1, False)
    assert await until(hass, lambda: hass.states.get(island).state == STATE_OFF)  # type: ignore[union-attr]


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_anonymous_cco_zone(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A CCO zone of an area group closes and opens the module's CCO."""
    entry = await setup_leap(hass, processor)
    garage = devices_by_name(hass, entry)["Garage"]
    cco = entities_by_name(hass, garage)[processor.emulator.module("10000002").cco.name]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": cco}, blocking=True
    )
    assert processor.emulator.state("10000002").cco_closed
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": cco}, blocking=True
    )
    assert not processor.emulator.state("10000002").cco_closed


async def test_full_profile_cco(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """The CCO switch of a module device closes the emulator's CCO."""
    await setup_leap(hass, processor)
    cco = entity_id_of(hass, "10000002_cco")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": cco}, blocking=True
    )
    assert processor.emulator.state("10000002").cco_closed


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.ANONYMOUS])
async def test_snapshot(
    hass: HomeAssistant,
    processor: EmulatedProcessor,
    snapshot: SnapshotAssertion,
    profile: Profile,
) -> None:
    """The entities of a LEAP system, both ways the processor lists its modules."""
    entry = await setup_leap(hass, processor)
    registry = er.async_get(hass)
    entities = sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id),
        key=lambda entity: entity.unique_id,
    )
    devices = dr.async_get(hass)
    shown = [
        {
            "unique_id": entity.unique_id.replace(PROCESSOR, "<processor>"),
            "device": devices.async_get(entity.device_id).name,  # type: ignore[arg-type,union-attr]
            "name": entity.original_name,
            "translation_key": entity.translation_key,
            "state": hass.states.get(entity.entity_id).state,  # type: ignore[union-attr]
        }
        for entity in entities
    ]
    assert shown == snapshot


# Availability, project changes, diagnostics


async def test_availability_follows_the_connection(
    hass: HomeAssistant, processor: EmulatedProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    """The processor goes away: every entity is unavailable; back, the states are read again."""
    await setup_leap(hass, processor)
    island = entity_id_of(hass, f"{KITCHEN}_zone_1")
    await processor.stop()
    assert await until(hass, lambda: hass.states.get(island).state == STATE_UNAVAILABLE)  # type: ignore[union-attr]
    processor.emulator.set_zone(KITCHEN, 1, True)  # changed while away
    await processor.start()
    assert await until(hass, lambda: hass.states.get(island).state == STATE_ON)  # type: ignore[union-attr]
    assert caplog.text.count("Connection to Test house is lost") == 1
    assert caplog.text.count("Connection to Test house is back") == 1


async def test_set_up_with_the_link_lost_before_the_buttons_are_subscribed(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP39: a link lost while the set-up waits for the buttons' event subscriptions still sets the entry up."""
    waited: list[LeapBackend] = []

    async def lost(self: LeapBackend) -> None:
        waited.append(self)
        raise ConnectionFailedError("the session was lost")

    with patch.object(LeapBackend, "async_wait_subscribed", lost):
        entry = await setup_leap(hass, processor)
    assert entry.state is ConfigEntryState.LOADED
    assert len(waited) == 1
    assert hass.states.get(entity_id_of(hass, f"{KITCHEN}_zone_1")) is not None


async def test_project_change_raises_the_repair(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP10: a reconnection that finds another project timestamp asks for a reload."""
    entry = await setup_leap(hass, processor)
    await processor.stop()
    emulator = processor.emulator
    processor.emulator = Emulator(
        replace(emulator.description, database_date="02/02/2026,00:00:00"),
        scheduler=AsyncioScheduler(),
    )
    emulator.close()
    await processor.start()
    issues = ir.async_get(hass)
    assert await until(
        hass,
        lambda: (
            issues.async_get_issue(DOMAIN, database_issue_id(entry.entry_id))
            is not None
        ),
    )


async def test_modules_follow_a_new_project(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A project transferred while Home Assistant runs is followed without a restart (LP10).

    The processor reboots with another timestamp, one module added and one removed: the new module's device and
    switches appear, the removed one's go, and the repair asks for a reload of the rest.
    """
    entry = await setup_leap(hass, processor)
    entities = er.async_get(hass)
    kitchen_island = entity_id_of(hass, f"{KITCHEN}_zone_1")
    old = processor.emulator
    await processor.stop()
    old.remove_module(KITCHEN)
    old.add_module(
        new_module(old.description, 1, name="Workshop panel", area="Workshop")
    )
    workshop = next(m for m in old.description.modules if m.name == "Workshop panel")
    processor.emulator = Emulator(
        replace(old.description, database_date="03/03/2026,00:00:00"),
        scheduler=AsyncioScheduler(),
    )
    old.close()
    await processor.start()
    registry = dr.async_get(hass)
    assert await until(
        hass,
        lambda: (
            registry.async_get_device_by_identifier(
                (DOMAIN, workshop.serial), entry.entry_id
            )
            is not None
            and registry.async_get_device_by_identifier(
                (DOMAIN, KITCHEN), entry.entry_id
            )
            is None
        ),
    )
    assert entities.async_get(kitchen_island) is None
    switch = entity_id_of(hass, f"{workshop.serial}_zone_1")
    assert await until(hass, lambda: hass.states.get(switch).state == STATE_OFF)  # type: ignore[union-attr]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": switch}, blocking=True
    )
    assert processor.emulator.state(workshop.serial).zones[0].on
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, database_issue_id(entry.entry_id)) is not None


async def test_diagnostics_never_show_certificates(
    hass: HomeAssistant,
    processor: EmulatedProcessor,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the LEAP backend's figures, never a key or a certificate."""
    entry = await setup_leap(hass, processor)
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, entry
    )
    text = str(diagnostics)
    assert "PRIVATE KEY" not in text
    assert "CERTIFICATE" not in text
    assert diagnostics["entry"]["data"][CONF_KEY_PEM] == "**REDACTED**"
    assert diagnostics["connection"]["host"] == "**REDACTED**"
    assert diagnostics["capabilities"] == [
        "cco",
        "cco_pulse",
        "indicators",
        "keypad",
        "levels",
        "occupancy",
        "timeclock",
        "zones",
    ]
    # Nor does any device's download.
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        text = str(await get_diagnostics_for_device(hass, hass_client, entry, device))
        assert "PRIVATE KEY" not in text
        assert "CERTIFICATE" not in text
        assert HOST not in text


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_area_group_device_diagnostics(
    hass: HomeAssistant,
    processor: EmulatedProcessor,
    hass_client: ClientSessionGenerator,
) -> None:
    """An area group's page downloads the group: its zones and their states."""
    entry = await setup_leap(hass, processor)
    device = devices_by_name(hass, entry)["Kitchen"]
    diagnostics: dict[str, Any] = await get_diagnostics_for_device(
        hass, hass_client, entry, device
    )
    assert diagnostics["connected"] is True
    group = diagnostics["group"]
    assert group["name"] == "Kitchen"
    assert "Island" in [zone["name"] for zone in group["zones"]]
    assert {zone["on"] for zone in group["zones"]} == {False}


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_area_groups_follow_the_project(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Area groups added, removed and changed on the processor are followed without a reload."""
    entry = await setup_leap(hass, processor)
    entities = er.async_get(hass)

    def switches_of(name: str) -> list[str]:
        device = devices_by_name(hass, entry).get(name)
        if device is None:
            return []
        return [
            entity.original_name or ""
            for entity in er.async_entries_for_device(entities, device.id)
        ]

    emulator = processor.emulator
    await processor.stop()
    emulator.add_module(
        new_module(emulator.description, 1, name="Kitchen panel 2", area="Kitchen")
    )
    # The emulator numbers areas by room name: a room named last keeps the others' ids.
    emulator.add_module(
        new_module(
            emulator.description,
            2,
            name="Workshop panel",
            area="Workshop",
            zones=["Saw"],
        )
    )
    await processor.start()
    assert await until(hass, lambda: "Saw" in switches_of("Workshop"))
    assert len(switches_of("Kitchen")) == 10
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, database_issue_id(entry.entry_id)) is not None
    # The second kitchen module and the workshop go away again: their switches and device go with them.
    added = [
        module.serial
        for module in emulator.description.modules
        if module.name in {"Kitchen panel 2", "Workshop panel"}
    ]
    await processor.stop()
    for serial in added:
        emulator.remove_module(serial)
    await processor.start()
    assert await until(hass, lambda: len(switches_of("Kitchen")) == 5)
    assert "Workshop" not in devices_by_name(hass, entry)
    assert {"Island", "Pendants", "Gate"} <= set(switches_of("Kitchen"))
    island = entities_by_name(hass, devices_by_name(hass, entry)["Kitchen"])["Island"]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": island}, blocking=True
    )
    assert emulator.state(KITCHEN).zones[0].on


async def test_certificate_refused_on_reconnection_starts_reauth(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A processor that comes back with another authority refuses the certificate: pair again."""
    entry = await setup_leap(hass, processor)
    await processor.stop()
    processor.credentials = LeapCredentials.generate()
    await processor.start()
    assert await until(
        hass,
        lambda: any(
            flow["context"]["source"] == "reauth"
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        ),
    )
    assert entry.state is ConfigEntryState.LOADED


async def test_certificate_refused_without_an_alert_starts_reauth(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """Retry rule: sessions closed right after the handshake across the whole back-off: set-up asks to pair again.

    The emulator refuses a certificate of another CA so, without a TLS alert.
    """
    stranger = LeapCredentials.generate()
    key, cert = stranger.issue_client()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: HOST,
            CONF_KEY_PEM: key,
            CONF_CERT_PEM: cert,
            CONF_CA_PEM: processor.credentials.ca_cert_pem,
        },
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert any(
        flow["context"]["source"] == "reauth"
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )


async def test_certificates_instead_of_pairing(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP21: certificates the emulator issued are pasted instead of pairing; wrong ones are refused first."""
    flow_id = await start_leap_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: HOST, "have_certificates": True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "leap_certificates"
    stranger = LeapCredentials.generate()
    key, cert = stranger.issue_client()
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_KEY_PEM: key, CONF_CERT_PEM: cert, CONF_CA_PEM: stranger.ca_cert_pem},
    )
    assert result["errors"] == {"base": "invalid_certificate"}
    certificates = processor.certificates()
    result = await hass.config_entries.flow.async_configure(flow_id, certificates)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_KEY_PEM] == certificates[CONF_KEY_PEM]
    assert result["result"].unique_id == PROCESSOR


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_pulse_refused_on_an_area_group(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """An area group has CCO zones but no CCO of its own: pulsing it is refused with that explanation."""
    entry = await setup_leap(hass, processor)
    kitchen = devices_by_name(hass, entry)["Kitchen"]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "pulse_cco", {"device_id": kitchen.id}, blocking=True
        )
    assert err.value.translation_key == "area_group_no_cco"
    assert not processor.emulator.state(KITCHEN).cco_closed


async def test_pulse_cco_of_a_module(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """A module described in full pulses its CCO over LEAP: closed, then open again."""
    entry = await setup_leap(hass, processor)
    garage = get_device(hass, entry.entry_id, "10000002")
    closed: list[bool] = []
    processor.emulator.events.subscribe(
        lambda _event: closed.append(processor.emulator.state("10000002").cco_closed)
    )
    await hass.services.async_call(
        DOMAIN, "pulse_cco", {"device_id": garage.id, "duration": 0.25}, blocking=True
    )
    assert True in closed
    assert await until(
        hass, lambda: not processor.emulator.state("10000002").cco_closed
    )


async def test_pulse_button_of_a_module(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """O2 over LEAP: a module's pulse button closes its CCO, and the client opens it again 1 s later."""
    await setup_leap(hass, processor)
    pulse = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, "10000002_cco_pulse"
    )
    assert pulse is not None
    closed: list[bool] = []
    processor.emulator.events.subscribe(
        lambda _event: closed.append(processor.emulator.state("10000002").cco_closed)
    )
    await hass.services.async_call(
        "button", "press", {"entity_id": pulse}, blocking=True
    )
    assert closed == [True]
    assert await until(
        hass, lambda: not processor.emulator.state("10000002").cco_closed
    )


# Power and energy


async def _open_zone_loads(
    hass: HomeAssistant, entry: MockConfigEntry
) -> ConfigFlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "zone_loads" in result["menu_options"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "zone_loads"}
    )


def _energy_unique_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        entity.unique_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.unique_id.endswith(("_power", "_energy"))
    }


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_loads_given_for_a_leap_module_make_energy_sensors(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LEAP reports no loads: no power or energy sensor until the options give a module's; then they follow it."""
    entry = await setup_leap(hass, processor)
    assert _energy_unique_ids(hass, entry) == set()
    result = await _open_zone_loads(hass, entry)
    assert result["step_id"] == "zone_loads"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MODULE: KITCHEN}
    )
    assert result["step_id"] == "module_loads"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"zone_1_watts": 100}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert await until(hass, lambda: entry.state is ConfigEntryState.LOADED)
    assert _energy_unique_ids(hass, entry) == {
        f"{KITCHEN}_power",
        f"{KITCHEN}_energy",
        f"{KITCHEN}_zone_1_power",
        f"{KITCHEN}_zone_1_energy",
        f"{PROCESSOR}_power",
    }
    registry = er.async_get(hass)
    module_power = registry.async_get_entity_id("sensor", DOMAIN, f"{KITCHEN}_power")
    system_power = registry.async_get_entity_id("sensor", DOMAIN, f"{PROCESSOR}_power")
    assert module_power is not None
    assert system_power is not None
    island = entity_id_of(hass, f"{KITCHEN}_zone_1")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": island}, blocking=True
    )
    assert hass.states.get(module_power).state == "100.0"  # type: ignore[union-attr]
    assert hass.states.get(system_power).state == "100.0"  # type: ignore[union-attr]
    # A change made at the processor counts too.
    processor.emulator.set_zone(KITCHEN, 1, False)
    assert await until(hass, lambda: hass.states.get(module_power).state == "0.0")  # type: ignore[union-attr]
    assert hass.states.get(system_power).state == "0.0"  # type: ignore[union-attr]


@pytest.mark.parametrize("profile", [Profile.ANONYMOUS])
async def test_area_groups_take_no_loads(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """An area group's zones are not tied to one module: no load can be given, and no energy sensor is made."""
    entry = await setup_leap(hass, processor)
    assert _energy_unique_ids(hass, entry) == set()
    result = await _open_zone_loads(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_modules"


async def test_options_of_a_leap_system_offer_only_zone_loads(
    hass: HomeAssistant, processor: EmulatedProcessor
) -> None:
    """LP17: the override-input repair setting has nothing to act on over LEAP, so the options leave it out."""
    entry = await setup_leap(hass, processor)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["zone_loads"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


@pytest.fixture
async def whole_processor(
    hass: HomeAssistant, credentials: LeapCredentials, profile: Profile
) -> AsyncGenerator[EmulatedProcessor]:
    """Serve the emulated whole house: dimmers, shades, keypads, occupancy, a timeclock."""
    emulator = Emulator(whole_house(), scheduler=AsyncioScheduler())
    emulated = EmulatedProcessor(emulator, credentials, profile)
    await emulated.start()
    yield emulated
    await emulated.stop()
    emulator.close()


@pytest.mark.parametrize("profile", [Profile.FULL, Profile.ANONYMOUS])
async def test_whole_house_over_leap(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    whole_processor: EmulatedProcessor,
) -> None:
    """Over LEAP, the whole house is lights, covers, keypads (events, buttons, LEDs, triggers) and occupancy.

    A brightness reaches the processor as its level (LP28); a person's press at the keypad reaches the button's
    event entity (LP38); both listings of the devices give the same entities (LP16).
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=HOUSE_NAME,
        unique_id=HOUSE_PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: HOST,
            **whole_processor.certificates(),
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    by_domain: dict[str, list[er.RegistryEntry]] = {}
    for entity in entities:
        by_domain.setdefault(entity.domain, []).append(entity)
    assert len(by_domain["light"]) == 4
    assert len(by_domain["cover"]) == 2
    emulator = whole_processor.emulator

    [chandelier] = [
        entity.entity_id
        for entity in by_domain["light"]
        if entity.original_name == "Chandelier"
    ]
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": chandelier, "brightness": 128}, blocking=True
    )
    assert await until(hass, lambda: emulator.state(DIMMERS).output_level(1) == 50)

    keypad = get_device(hass, entry.entry_id, KITCHEN_KEYPAD)
    [button_2] = [
        entity.entity_id
        for entity in er.async_entries_for_device(entity_registry, keypad.id)
        if entity.domain == "event" and entity.unique_id.endswith("_button_2")
    ]
    backend = entry.runtime_data.backend
    assert isinstance(backend, LeapBackend)
    # LP39: the set-up waited for the buttons' event subscriptions, answered after the start-up.
    assert backend.diagnostics()["events_subscribed"] is True
    emulator.press(KITCHEN_KEYPAD, 2, Gesture.TAP)

    def _released() -> bool:
        state = hass.states.get(button_2)
        return state is not None and state.attributes.get("event_type") == "release"

    assert await until(hass, _released)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [keypad.id]
    )
    assert {
        trigger["subtype"]
        for trigger in triggers[keypad.id]
        if trigger["domain"] == DOMAIN
    } == {"button_1", "button_2", "button_4"}
    assert by_domain["binary_sensor"]
    assert await hass.config_entries.async_unload(entry.entry_id)
