"""Config flow: emulated systems, live processors, reauthentication and reconfiguration.

Every error is shown, then corrected, and the flow ends with a created entry or an abort.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_LINK_1_MODULES,
    CONF_LINK_2_MODULES,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_PROCESSOR_SERIAL,
    CONF_SERVE,
    CONF_SERVE_LEAP,
    DOMAIN,
)
from custom_components.homeworks_qsx.qsx.emulator.description import (
    default_processor_serial,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import (
    CommandTimeoutError,
    InvalidDatabaseError,
    QsxError,
)
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from .conftest import (
    HOUSE,
    PASSWORD,
    PROCESSOR,
    USERNAME,
    emulated_data,
    error_text,
    live_data,
)


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Do not set up the entries the flows create."""
    with patch(
        "custom_components.homeworks_qsx.async_setup_entry", return_value=True
    ) as mock:
        yield mock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _emulated_input(**overrides: Any) -> dict[str, Any]:
    return {
        CONF_NAME: "Beach house",
        CONF_MODEL: "hqp7_2",
        CONF_LINK_1_MODULES: 3,
        CONF_LINK_2_MODULES: 2,
        CONF_SERVE: False,
        **overrides,
    }


def _live_input(server: LipServer, **overrides: Any) -> dict[str, Any]:
    return {
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: server.port,
        CONF_HTTP_PORT: server.http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
        **overrides,
    }


async def _start(hass: HomeAssistant, path: str) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["leap", "live", "emulated"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": path}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == path
    return result


# Emulated systems


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_from_counts(hass: HomeAssistant) -> None:
    """Module counts per link build a system; the processor serial is the unique id."""
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input()
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Beach house"
    serial = default_processor_serial("Beach house")
    assert result["result"].unique_id == serial
    assert result["data"] == {
        CONF_BACKEND: "emulated",
        CONF_NAME: "Beach house",
        CONF_MODEL: "HQP7-2",
        CONF_MODULES_PER_LINK: [3, 2],
        CONF_PROCESSOR_SERIAL: serial,
        CONF_SERVE: False,
    }


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_single_link(hass: HomeAssistant) -> None:
    """A single-link model refuses modules on link 2 until they are removed."""
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input(**{CONF_MODEL: "hqp7_1"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_LINK_2_MODULES: "single_link_model"}
    assert result["description_placeholders"] == {"error": "HQP7-1"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _emulated_input(**{CONF_MODEL: "hqp7_1", CONF_LINK_2_MODULES: 0}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODULES_PER_LINK] == [3]
    # The form's option key is "hqp7_1"; the entry stores the model number, as entries made before did.
    assert result["data"][CONF_MODEL] == "HQP7-1"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_over_the_limit(hass: HomeAssistant) -> None:
    """An MDU link holds 50 devices (P3): more is an error shown in the form."""
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _emulated_input(
            **{
                CONF_MODEL: "hqp7_mdu_1",
                CONF_LINK_1_MODULES: 60,
                CONF_LINK_2_MODULES: 0,
            }
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_description"}
    assert "50" in error_text(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _emulated_input(
            **{
                CONF_MODEL: "hqp7_mdu_1",
                CONF_LINK_1_MODULES: 12,
                CONF_LINK_2_MODULES: 0,
            }
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_name_in_use(hass: HomeAssistant) -> None:
    """A second system built with the same name would be the same processor: another name is asked for."""
    MockConfigEntry(
        domain=DOMAIN, unique_id=default_processor_serial("Beach house")
    ).add_to_hass(hass)
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input()
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NAME: "name_in_use"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input(**{CONF_NAME: "Lake house"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Lake house"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_from_file(hass: HomeAssistant) -> None:
    """A description file describes the whole system; the same file twice is the same processor."""
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input(**{CONF_DESCRIPTION_PATH: f" {HOUSE} "})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == PROCESSOR
    assert result["data"][CONF_DESCRIPTION_PATH] == str(HOUSE)
    assert CONF_MODULES_PER_LINK not in result["data"]

    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input(**{CONF_DESCRIPTION_PATH: str(HOUSE)})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_file_errors(hass: HomeAssistant, tmp_path: Path) -> None:
    """A missing file, an invalid one and one for another model are shown on the form, then fixed."""
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("links: [{number: 1, modules: [{zones: [{amps: 9}]}]}]\n")
    result = await _start(hass, "emulated")
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, _emulated_input(**{CONF_DESCRIPTION_PATH: str(tmp_path / "no.yaml")})
    )
    assert result["errors"] == {CONF_DESCRIPTION_PATH: "invalid_description"}
    assert "cannot read" in error_text(result)

    result = await hass.config_entries.flow.async_configure(
        flow_id, _emulated_input(**{CONF_DESCRIPTION_PATH: str(invalid)})
    )
    assert result["errors"] == {CONF_DESCRIPTION_PATH: "invalid_description"}
    assert "amps" in error_text(result)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _emulated_input(**{CONF_MODEL: "hqp7_1", CONF_DESCRIPTION_PATH: str(HOUSE)}),
    )
    assert result["errors"] == {CONF_MODEL: "model_mismatch"}
    assert result["description_placeholders"] == {"error": "HQP7-2"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, _emulated_input(**{CONF_DESCRIPTION_PATH: str(HOUSE)})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_emulated_served(socket_enabled: None, hass: HomeAssistant) -> None:
    """Serving asks for address, ports and login, and tests that they can be used."""
    result = await _start(hass, "emulated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _emulated_input(**{CONF_SERVE: True})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "serve"
    lip_port, http_port = _free_port(), _free_port()
    serve = {
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: lip_port,
        CONF_HTTP_PORT: http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
        CONF_SERVE_LEAP: False,
    }
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**serve, CONF_LIP_PORT: busy.getsockname()[1]}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_serve"}
    assert error_text(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**serve, CONF_PASSWORD: ""}
    )
    assert result["errors"] == {"base": "missing_credentials"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**serve, CONF_HTTP_PORT: lip_port}
    )
    assert result["errors"] == {"base": "same_ports"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], serve)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SERVE] is True
    assert result["data"][CONF_LIP_PORT] == lip_port
    assert result["data"][CONF_PASSWORD] == PASSWORD


# Live processors


@pytest.mark.usefixtures("mock_setup_entry")
async def test_live(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """A live processor is tested and read; its serial is the unique id."""
    result = await _start(hass, "live")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _live_input(lip_server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Test house"
    assert result["result"].unique_id == PROCESSOR
    assert result["data"] == live_data(lip_server.port, lip_server.http_port or 0)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_live_errors(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """Every failure is its own translated error naming its cause, and the flow recovers to a created entry."""
    result = await _start(hass, "live")
    flow_id = result["flow_id"]
    assert result["description_placeholders"] == {"error": ""}

    closed_port = _free_port()
    result = await hass.config_entries.flow.async_configure(
        flow_id, _live_input(lip_server, **{CONF_LIP_PORT: closed_port})
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert str(closed_port) in error_text(result)

    result = await hass.config_entries.flow.async_configure(
        flow_id, _live_input(lip_server, **{CONF_PASSWORD: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}

    failures = [
        (InvalidDatabaseError("bad xml"), "invalid_database"),
        (CommandTimeoutError("no answer within 2 s"), "no_reply"),
        (QsxError("unexpected report"), "processor_error"),
        (RuntimeError("boom"), "unknown"),
    ]
    for failure, key in failures:
        with patch.object(LipBackend, "async_start", side_effect=failure):
            result = await hass.config_entries.flow.async_configure(
                flow_id, _live_input(lip_server)
            )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": key}
        assert error_text(result) == str(failure)

    # A session that cannot even be made, and one that cannot be closed: still a form, never an HTTP 500.
    with patch(
        "custom_components.homeworks_qsx.flow_checks.create_live_backend",
        side_effect=ValueError("bad host"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _live_input(lip_server)
        )
    assert result["errors"] == {"base": "unknown"}
    assert error_text(result) == "bad host"
    with patch.object(
        LipBackend, "async_stop", side_effect=RuntimeError("close failed")
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _live_input(lip_server, **{CONF_LIP_PORT: closed_port})
        )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, _live_input(lip_server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_live_already_configured(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """The same processor twice aborts, also when it is an emulated system of this Home Assistant."""
    MockConfigEntry(
        domain=DOMAIN, unique_id=PROCESSOR, data=emulated_data()
    ).add_to_hass(hass)
    result = await _start(hass, "live")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _live_input(lip_server)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# Reauthentication and reconfiguration


def _live_entry(hass: HomeAssistant, server: LipServer, **data: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        unique_id=PROCESSOR,
        data=live_data(server.port, server.http_port or 0, **data),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """New credentials are tested before they are stored."""
    entry = _live_entry(hass, lip_server, **{CONF_PASSWORD: "old"})
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: USERNAME, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: USERNAME, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == PASSWORD


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_other_processor(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """Credentials that lead to another processor are refused."""
    entry = _live_entry(hass, lip_server)
    hass.config_entries.async_update_entry(entry, unique_id="FFFFFFFF")
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: USERNAME, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_processor"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_live(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """A new address is tested and must lead to the same processor."""
    entry = _live_entry(hass, lip_server, **{CONF_LIP_PORT: 1})
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    new = {
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: _free_port(),
        CONF_HTTP_PORT: lip_server.http_port,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**new, CONF_LIP_PORT: lip_server.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_LIP_PORT] == lip_server.port


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_live_other_processor(
    socket_enabled: None, hass: HomeAssistant, lip_server: LipServer
) -> None:
    """An address of another processor is refused."""
    entry = _live_entry(hass, lip_server)
    hass.config_entries.async_update_entry(entry, unique_id="FFFFFFFF")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_LIP_PORT: lip_server.port,
            CONF_HTTP_PORT: lip_server.http_port,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_processor"


def _serve_input(lip_port: int, http_port: int, serve: bool = True) -> dict[str, Any]:
    return {
        CONF_SERVE: serve,
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: lip_port,
        CONF_HTTP_PORT: http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_emulated_not_loaded(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """An emulated system can start serving; busy ports are refused first."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=PROCESSOR, data=emulated_data())
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_emulated"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _serve_input(busy.getsockname()[1], _free_port())
        )
    assert result["errors"] == {"base": "cannot_serve"}
    lip_port = _free_port()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _serve_input(lip_port, _free_port())
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SERVE] is True
    assert entry.data[CONF_LIP_PORT] == lip_port


async def test_reconfigure_emulated_loaded(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """A served system keeps its ports when only the login changes, and can stop serving."""
    lip_port, http_port = _free_port(), _free_port()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PROCESSOR,
        data=emulated_data(**_serve_input(lip_port, http_port)),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is not None

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**_serve_input(lip_port, http_port), CONF_PASSWORD: "changed"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PASSWORD] == "changed"
    assert entry.runtime_data.servers is not None

    new_port = _free_port()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _serve_input(new_port, http_port)
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is not None
    assert entry.runtime_data.servers.first.lip is not None
    assert entry.runtime_data.servers.first.lip.port == new_port

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _serve_input(new_port, http_port, serve=False)
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.servers is None
