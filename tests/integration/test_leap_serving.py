"""An emulated system served over LEAP from Home Assistant: set-up, its CA in the entry's store, the two actions.

Clients are pylutron-caseta 0.30.0 (what Home Assistant's core lutron_caseta runs) and raw TLS, against the real
servers on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from datetime import timedelta
import json
from pathlib import Path
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

import probatio
from pylutron_caseta import pairing
from pylutron_caseta.smartbridge import Smartbridge
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import pytest_socket

from custom_components.homeworks_qsx.backends import create_servers
from custom_components.homeworks_qsx.const import (
    CONF_HTTP_PORT,
    CONF_LEAP_PORT,
    CONF_LEAP_PROFILE,
    CONF_LIP_PORT,
    CONF_PAIRING_PORT,
    CONF_SERVE,
    CONF_SERVE_LEAP,
    CONF_SERVE_LIP,
    DOMAIN,
    STORED_LEAP_CREDENTIALS,
)
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.leap import LeapCredentials
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from .conftest import (
    HOUSE,
    KITCHEN,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    emulated_data,
    error_text,
    get_device,
    state_of,
    wait_for,
)

WAIT = 5.0  # upper bound of any single wait on loopback
ISLAND = "switch.kitchen_panel_island"
STORE_KEY = f"{DOMAIN}.01JQSXLEAPENTRY0000000000"
# pylutron-caseta's async_pair always dials 8083 and 8081: that test binds the emulator on its own loopback address.
PAIRING_HOST = "127.0.0.8"
CASETA_HOST = "127.0.0.9"


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def _leap_serving(host: str = "127.0.0.1", *, lip: bool = False) -> dict[str, Any]:
    """Return the serve step's answers: LEAP on free ports (and LIP if asked)."""
    return {
        CONF_HOST: host,
        CONF_SERVE_LIP: lip,
        CONF_LIP_PORT: _free_port(),
        CONF_HTTP_PORT: _free_port(),
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
        CONF_SERVE_LEAP: True,
        CONF_LEAP_PORT: _free_port(),
        CONF_PAIRING_PORT: _free_port(),
        CONF_LEAP_PROFILE: "full",
    }


def _entry(hass: HomeAssistant, **serving: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PROCESSOR,
        entry_id=STORE_KEY.split(".")[1],
        data=emulated_data(**{CONF_SERVE: True, **serving}),
    )
    entry.add_to_hass(hass)
    return entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _issue(hass: HomeAssistant, device_id: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "issue_client_certificate",
        {"device_id": device_id, "folder": "certs", **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def _connect(host: str, port: int, files: dict[str, Any]) -> Smartbridge:
    """Log in with pylutron-caseta, exactly as Home Assistant's lutron_caseta does, with the issued files."""
    bridge = Smartbridge.create_tls(
        host, files["keyfile"], files["certfile"], files["ca_certs"], port=port
    )
    await asyncio.wait_for(bridge.connect(), WAIT)
    return bridge


async def _close(bridge: Smartbridge) -> None:
    """Close the bridge and wait for its tasks (`close()` only cancels them)."""
    tasks = [bridge._monitor_task, bridge._ping_task, bridge._login_task]  # noqa: SLF001
    await bridge.close()  # type: ignore[no-untyped-call]
    if running := [task for task in tasks if task is not None]:
        await asyncio.wait(running, timeout=WAIT)


def _zone(bridge: Smartbridge, name: str) -> dict[str, Any]:
    [device] = [
        device
        for device in bridge.get_devices_by_domain("switch")
        if device["name"] == name
    ]
    return dict(device)


async def _can_connect(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a configuration directory of its own, whose `certs` folder may be written."""
    config = tmp_path / "config"
    (config / "www").mkdir(parents=True)
    hass.config.config_dir = str(config)
    hass.config.allowlist_external_dirs = {str(config / "certs"), str(config / "www")}
    return config


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Do not set up the entries the flows create."""
    with patch(
        "custom_components.homeworks_qsx.async_setup_entry", return_value=True
    ) as mock:
        yield mock


# The serve step and reconfiguration


@pytest.mark.usefixtures("mock_setup_entry")
async def test_serve_step_offers_leap(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """The serve step offers LEAP beside LIP; every error is shown, then corrected."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "emulated"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "name": "Beach house",
            "model": "hqp7_2",
            "link_1_modules": 2,
            "link_2_modules": 0,
            CONF_SERVE: True,
        },
    )
    assert result["step_id"] == "serve"
    schema = result["data_schema"]
    assert schema is not None
    defaults = {
        str(key): key.default()
        for key in schema.schema
        if str(key)
        in {CONF_SERVE_LIP, CONF_SERVE_LEAP, CONF_LEAP_PORT, CONF_PAIRING_PORT}
    }
    assert defaults == {
        CONF_SERVE_LIP: True,
        CONF_SERVE_LEAP: True,
        CONF_LEAP_PORT: 8081,
        CONF_PAIRING_PORT: 8083,
    }
    flow_id = result["flow_id"]
    serving = _leap_serving()

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**serving, CONF_SERVE_LEAP: False}
    )
    assert result["errors"] == {"base": "nothing_to_serve"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**serving, CONF_PAIRING_PORT: serving[CONF_LEAP_PORT]}
    )
    assert result["errors"] == {"base": "same_ports"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {**serving, CONF_SERVE_LIP: True, CONF_LEAP_PORT: serving[CONF_LIP_PORT]},
    )
    assert result["errors"] == {"base": "same_ports"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await hass.config_entries.flow.async_configure(
            flow_id, {**serving, CONF_PAIRING_PORT: busy.getsockname()[1]}
        )
    assert result["errors"] == {"base": "cannot_serve"}
    assert error_text(result)
    with pytest.raises(probatio.Invalid):
        await hass.config_entries.flow.async_configure(
            flow_id, {**serving, CONF_LEAP_PROFILE: "secret"}
        )

    # LEAP alone needs no LIP login.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**serving, CONF_PASSWORD: "", CONF_LEAP_PROFILE: "anonymous"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_SERVE_LEAP] is True
    assert data[CONF_SERVE_LIP] is False
    assert data[CONF_LEAP_PORT] == serving[CONF_LEAP_PORT]
    assert data[CONF_PAIRING_PORT] == serving[CONF_PAIRING_PORT]
    assert data[CONF_LEAP_PROFILE] == "anonymous"


async def test_reconfigure_adds_and_removes_leap_keeping_the_ca(
    socket_enabled: None, hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """An entry made before LEAP serves LIP only; reconfiguring adds LEAP, and the CA outlives turning it off (LP4)."""
    lip_port, http_port = _free_port(), _free_port()
    old = {
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: lip_port,
        CONF_HTTP_PORT: http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }
    entry = await _setup(hass, _entry(hass, **old))
    assert entry.runtime_data.servers is not None
    servers = entry.runtime_data.servers.first
    assert servers is not None
    assert servers.lip is not None
    assert servers.leap is None
    assert entry.runtime_data.leap_credentials is None

    result = await entry.start_reconfigure_flow(hass)
    schema = result["data_schema"]
    assert schema is not None
    assert {str(key): key.default() for key in schema.schema}[CONF_SERVE_LEAP] is False
    leap = {
        **_leap_serving(lip=True),
        CONF_LIP_PORT: lip_port,
        CONF_HTTP_PORT: http_port,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SERVE: True, **leap}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is not None
    servers = entry.runtime_data.servers.first
    assert servers is not None
    assert servers.lip is not None
    assert servers.lip.port == lip_port
    assert servers.leap is not None
    assert servers.leap.port == leap[CONF_LEAP_PORT]
    credentials = entry.runtime_data.leap_credentials
    assert credentials is not None

    # The same ports again (held by our own servers) are accepted; LEAP off keeps the CA in the store.
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SERVE: True, **leap, CONF_SERVE_LEAP: False}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is not None
    assert entry.runtime_data.servers.first.leap is None
    assert entry.runtime_data.leap_credentials == credentials

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SERVE: True, **leap}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.leap_credentials == credentials
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[STORE_KEY]["data"][STORED_LEAP_CREDENTIALS]
    assert LeapCredentials.from_dict(stored) == credentials


# pylutron-caseta with the issued files


async def test_issued_certificate_opens_leap_and_survives_a_restart(
    socket_enabled: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    config_dir: Path,
) -> None:
    """The action's files let pylutron-caseta log in and switch a zone, and still open the port after a restart.

    Home Assistant's switch follows the zone pylutron-caseta switched; the restarted entry has the same CA (LP4,
    LP21).
    """
    entry = await _setup(hass, _entry(hass, **_leap_serving(lip=True)))
    assert entry.runtime_data.servers is not None
    servers = entry.runtime_data.servers.first
    assert servers is not None
    assert servers.leap is not None
    leap_port = servers.leap.port
    processor = get_device(hass, entry.entry_id, PROCESSOR).id

    files = await _issue(hass, processor)
    folder = config_dir / "certs"
    assert files == {
        "keyfile": str(folder / "lutron_caseta-127.0.0.1-key.pem"),
        "certfile": str(folder / "lutron_caseta-127.0.0.1-cert.pem"),
        "ca_certs": str(folder / "lutron_caseta-127.0.0.1-ca.pem"),
    }
    assert Path(files["keyfile"]).stat().st_mode & 0o777 == 0o600
    credentials = entry.runtime_data.leap_credentials
    assert credentials is not None
    assert Path(files["ca_certs"]).read_text() == credentials.ca_cert_pem
    # The CA that signed the files was on disk before they were handed out.
    stored = hass_storage[STORE_KEY]["data"][STORED_LEAP_CREDENTIALS]
    assert LeapCredentials.from_dict(stored) == credentials

    bridge = await _connect("127.0.0.1", leap_port, files)
    try:
        assert bridge.is_connected()
        island = _zone(bridge, "Kitchen_Island")
        assert state_of(hass, ISLAND) == "off"
        await bridge.turn_on(island["device_id"])
        assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "on")

        # And back: Home Assistant switches, pylutron-caseta sees the push.
        await hass.services.async_call(
            "switch", "turn_off", {"entity_id": ISLAND}, blocking=True
        )
        assert await wait_for(
            hass,
            lambda: bridge.get_device_by_id(island["device_id"])["current_state"] == 0,
        )

        # Diagnostics: LEAP sessions, counters and the pairing window, never a key or certificate.
        assert await async_setup_component(hass, "diagnostics", {})
        diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
            hass, hass_client, entry
        )
        leap = diagnostics["servers"][PROCESSOR]["leap"]
        assert leap["open_sessions"] == 1
        assert leap["commands"] == 1
        assert leap["pushes"] >= 1
        assert (
            diagnostics["servers"][PROCESSOR]["pairing"]["pairing_window_open"] is False
        )
        text = json.dumps(diagnostics)
        assert "BEGIN" not in text
        assert "PRIVATE" not in text
        assert credentials.ca_cert_pem.splitlines()[1] not in text
        assert Path(files["keyfile"]).read_text().splitlines()[1] not in text
    finally:
        await _close(bridge)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.leap_credentials == credentials
    bridge = await _connect("127.0.0.1", leap_port, files)
    try:
        assert bridge.is_connected()
        await bridge.turn_on(_zone(bridge, "Kitchen_Island")["device_id"])
        assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "on")
    finally:
        await _close(bridge)


@pytest.fixture
def pairing_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach its own loopback address as well as 127.0.0.1."""
    pytest_socket.socket_allow_hosts([PAIRING_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


async def test_pairing_button_lets_pylutron_caseta_pair(
    pairing_loopback: None,
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """LP20, LP21: the action opens the window, and pylutron-caseta's own `async_pair` pairs.

    It is granted PhysicalAccess, receives its certificate, and the certificate opens 8081.
    """
    entry = await _setup(
        hass,
        _entry(
            hass,
            **{
                **_leap_serving(PAIRING_HOST),
                CONF_LEAP_PORT: 8081,
                CONF_PAIRING_PORT: 8083,
            },
        ),
    )
    credentials = entry.runtime_data.leap_credentials
    assert credentials is not None
    # The only patch: whom the library trusts on the pairing port (Lutron's own CA, which the emulator cannot have).
    monkeypatch.setattr(pairing, "LAP_CA_PEM", credentials.ca_cert_pem)
    ready = asyncio.Event()
    task = asyncio.create_task(pairing.async_pair(PAIRING_HOST, ready.set))
    try:
        await asyncio.wait_for(ready.wait(), WAIT)
        for _ in range(10):  # the client now waits for the button
            await asyncio.sleep(0.01)
        assert not task.done()
        await hass.services.async_call(
            DOMAIN,
            "press_pairing_button",
            {"device_id": get_device(hass, entry.entry_id, PROCESSOR).id},
            blocking=True,
        )
        data = await asyncio.wait_for(task, WAIT * 2)
    finally:
        if not task.done():
            task.cancel()
    assert data["ca"] == credentials.ca_cert_pem
    assert entry.runtime_data.servers is not None
    servers = entry.runtime_data.servers.first
    assert servers is not None
    assert servers.pairing is not None
    assert servers.pairing.pairing_window_open
    assert servers.pairing.diagnostics()["paired"] == 1

    files = {
        "keyfile": tmp_path / "key.pem",
        "certfile": tmp_path / "cert.pem",
        "ca_certs": tmp_path / "ca.pem",
    }
    files["keyfile"].write_text(data["key"])
    files["certfile"].write_text(data["cert"])
    files["ca_certs"].write_text(data["ca"])
    bridge = await _connect(PAIRING_HOST, 8081, {k: str(v) for k, v in files.items()})
    try:
        assert bridge.is_connected()
    finally:
        await _close(bridge)


async def test_pairing_window_duration(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """The window opens for the duration asked, within the action's bounds, and is closed before any press."""
    entry = await _setup(hass, _entry(hass, **_leap_serving()))
    assert entry.runtime_data.servers is not None
    servers = entry.runtime_data.servers.first
    assert servers is not None
    assert servers.pairing is not None
    assert not servers.pairing.pairing_window_open
    processor = get_device(hass, entry.entry_id, PROCESSOR).id
    for duration in (0, 901):
        with pytest.raises(probatio.Invalid):
            await hass.services.async_call(
                DOMAIN,
                "press_pairing_button",
                {"device_id": processor, "duration": duration},
                blocking=True,
            )
    assert not servers.pairing.pairing_window_open
    await hass.services.async_call(
        DOMAIN,
        "press_pairing_button",
        {"device_id": processor, "duration": 1},
        blocking=True,
    )
    assert servers.pairing.pairing_window_open
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    assert not servers.pairing.pairing_window_open


# Refusals


async def test_actions_refuse_what_they_cannot_serve(
    socket_enabled: None, hass: HomeAssistant, config_dir: Path
) -> None:
    """Each action says why it refuses: unknown device, a module, an entry not loaded, LEAP not served."""
    lip_only = {
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: _free_port(),
        CONF_HTTP_PORT: _free_port(),
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }
    entry = await _setup(hass, _entry(hass, **lip_only))
    processor = get_device(hass, entry.entry_id, PROCESSOR).id
    kitchen = get_device(hass, entry.entry_id, KITCHEN).id
    cases = [
        ("nothing-here", "unknown_processor"),
        (kitchen, "not_a_processor"),
        (processor, "leap_not_served"),
    ]
    for device_id, key in cases:
        for service, data in (
            ("press_pairing_button", {}),
            ("issue_client_certificate", {"folder": "certs"}),
        ):
            with pytest.raises(ServiceValidationError) as err:
                await hass.services.async_call(
                    DOMAIN,
                    service,
                    {"device_id": device_id, **data},
                    blocking=True,
                    return_response=service == "issue_client_certificate",
                )
            assert err.value.translation_key == key, (device_id, service)
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _issue(hass, processor)
    assert err.value.translation_key == "entry_not_loaded"
    assert not (config_dir / "certs").exists()


async def test_issue_refuses_bad_folders_and_hosts(
    socket_enabled: None, hass: HomeAssistant, config_dir: Path
) -> None:
    """Folders outside the configuration directory, not allowed or public, and hosts that are not names, are refused.

    Nothing is written then; a folder that cannot be created is a failure that names its cause.
    """
    entry = await _setup(hass, _entry(hass, **_leap_serving()))
    processor = get_device(hass, entry.entry_id, PROCESSOR).id
    outside = config_dir.parent / "outside"
    for folder in (
        "../outside",
        str(outside),
        "other",
        "www",
        "www/certs",
        "certs/../other",
    ):
        with pytest.raises(ServiceValidationError) as err:
            await _issue(hass, processor, folder=folder)
        assert err.value.translation_key == "folder_not_allowed", folder
    for host in ("../x", "a/b", " ", "0.0.0.0", "-x"):
        with pytest.raises(ServiceValidationError) as err:
            await _issue(hass, processor, host=host)
        assert err.value.translation_key == "invalid_certificate_host", host
    assert not outside.exists()
    assert not (config_dir / "other").exists()
    assert not (config_dir / "certs").exists()
    assert list((config_dir / "www").iterdir()) == []

    # A file where the folder should be.
    (config_dir / "certs").write_text("not a folder")
    with pytest.raises(HomeAssistantError) as failure:
        await _issue(hass, processor, folder="certs/inner")
    assert failure.value.translation_key == "cannot_write_certificate"

    # An absolute path inside the allowed folder, and a host of the user's choice.
    (config_dir / "certs").unlink()
    files = await _issue(
        hass, processor, folder=str(config_dir / "certs" / "qsx"), host="qsx.local"
    )
    assert files["keyfile"] == str(
        config_dir / "certs" / "qsx" / "lutron_caseta-qsx.local-key.pem"
    )


async def test_issue_needs_a_host_when_listening_everywhere(
    socket_enabled: None, hass: HomeAssistant, config_dir: Path
) -> None:
    """Served on every interface, the listen address cannot name the files: the host must be given."""
    entry = await _setup(hass, _entry(hass, **_leap_serving("0.0.0.0")))
    processor = get_device(hass, entry.entry_id, PROCESSOR).id
    with pytest.raises(ServiceValidationError) as err:
        await _issue(hass, processor)
    assert err.value.translation_key == "invalid_certificate_host"
    files = await _issue(hass, processor, host="192.0.2.7")
    assert Path(files["certfile"]).name == "lutron_caseta-192.0.2.7-cert.pem"


# Unload, removal, stored state


async def test_unload_closes_leap_ports_and_removal_forgets_the_ca(
    socket_enabled: None, hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Unloading closes the LEAP and pairing ports and writes the CA with the state; deleting the entry removes it."""
    serving = _leap_serving()
    entry = await _setup(hass, _entry(hass, **serving))
    for port in (serving[CONF_LEAP_PORT], serving[CONF_PAIRING_PORT]):
        assert await _can_connect("127.0.0.1", port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for port in (serving[CONF_LEAP_PORT], serving[CONF_PAIRING_PORT]):
        assert not await _can_connect("127.0.0.1", port)
    assert STORED_LEAP_CREDENTIALS in hass_storage[STORE_KEY]["data"]
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert STORE_KEY not in hass_storage


async def test_port_in_use_retries_later(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """A LEAP port in use makes the set-up retry, with the LIP port it had opened closed again."""
    serving = _leap_serving(lip=True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", serving[CONF_PAIRING_PORT]))
        busy.listen()
        entry = _entry(hass, **serving)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not await _can_connect("127.0.0.1", serving[CONF_LIP_PORT])
    assert not await _can_connect("127.0.0.1", serving[CONF_LEAP_PORT])


@pytest.mark.parametrize(
    ("stored", "serving"),
    [
        ({"format": 1, "ca_key": "x"}, {}),
        ("not an object", {}),
    ],
    ids=["unusable", "not_an_object"],
)
async def test_unusable_stored_ca(
    socket_enabled: None,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    stored: Any,
    serving: dict[str, Any],
) -> None:
    """A stored CA that cannot be used stops the set-up with the reason (it is not replaced: clients hold it)."""
    entry = await _setup(hass, _entry(hass, **_leap_serving()))
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass_storage[STORE_KEY]["data"][STORED_LEAP_CREDENTIALS] = stored
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_nothing_to_serve_is_invalid_entry_data(hass: HomeAssistant) -> None:
    """Entry data that serves neither protocol cannot be set up."""
    entry = _entry(
        hass, **{CONF_HOST: "127.0.0.1", CONF_SERVE_LIP: False, CONF_SERVE_LEAP: False}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


def test_leap_needs_the_ca() -> None:
    """The servers of LEAP cannot be built without each processor's CA (LP53)."""
    emulator = Emulator(load_description(HOUSE))
    try:
        with pytest.raises(ValueError, match="CA"):
            create_servers(
                emulator,
                {
                    CONF_HOST: "127.0.0.1",
                    CONF_SERVE_LIP: False,
                    CONF_SERVE_LEAP: True,
                    CONF_LEAP_PORT: 8081,
                    CONF_PAIRING_PORT: 8083,
                    CONF_LEAP_PROFILE: "full",
                },
                {},
            )
    finally:
        emulator.close()


@pytest.fixture
def caseta_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach its own loopback address (lutron_caseta always dials 8081) as well as 127.0.0.1."""
    pytest_socket.socket_allow_hosts([CASETA_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


async def test_home_assistant_lutron_caseta_uses_the_issued_files(
    caseta_loopback: None, hass: HomeAssistant, config_dir: Path
) -> None:
    """Home Assistant's own lutron_caseta, configured with the action's answer, controls the emulated system."""
    entry = await _setup(
        hass,
        _entry(
            hass,
            **{
                **_leap_serving(CASETA_HOST),
                CONF_LEAP_PORT: 8081,
                CONF_PAIRING_PORT: _free_port(CASETA_HOST),
            },
        ),
    )
    files = await _issue(hass, get_device(hass, entry.entry_id, PROCESSOR).id)
    assert await async_setup_component(
        hass, "lutron_caseta", {"lutron_caseta": [{CONF_HOST: CASETA_HOST, **files}]}
    )
    await hass.async_block_till_done()
    [caseta] = hass.config_entries.async_entries("lutron_caseta")
    assert caseta.state is ConfigEntryState.LOADED
    # lutron_caseta identifies the processor by its serial number, in hex (LP11).
    assert caseta.unique_id == PROCESSOR.lower()
    registry = er.async_get(hass)
    [island] = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, caseta.entry_id)
        if entity.domain == "switch" and "Island" in (entity.original_name or "")
    ]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": island}, blocking=True
    )
    assert await wait_for(hass, lambda: state_of(hass, ISLAND) == "on")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": ISLAND}, blocking=True
    )
    assert await wait_for(hass, lambda: state_of(hass, island) == "off")
    assert await hass.config_entries.async_unload(caseta.entry_id)
