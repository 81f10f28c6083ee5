"""Fixtures of the integration tests: config entries of emulated and live systems, and a LIP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Final
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_DESCRIPTION_PATH,
    CONF_HTTP_PORT,
    CONF_LIP_PORT,
    CONF_MODEL,
    CONF_MODULES_PER_LINK,
    CONF_PROCESSOR_SERIAL,
    CONF_SERVE,
    DOMAIN,
    BackendType,
)
from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler
from custom_components.homeworks_qsx.qsx.connection import Timings
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator.description import load_description
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from custom_components.homeworks_qsx.runtime import HomeworksQsxConfigEntry
from homeassistant.const import (
    CONF_HOST,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_USERNAME,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr

from .whole_house import (
    NAME as HOUSE_NAME,
    PROCESSOR as HOUSE_PROCESSOR,
    whole_house as house_description,
)

FIXTURES = Path(__file__).parent / "fixtures"
HOUSE = FIXTURES / "house.yaml"

PROCESSOR = "0A1B2C3D"
KITCHEN = "10000001"
GARAGE = "10000002"
HALL = "10000003"

USERNAME = "lutron"
PASSWORD = "integration"

# Timing of the live client in tests: fast keepalive and reconnection, driven by async_fire_time_changed.
FAST_TIMING: Final = Timings(
    command_timeout=2.0,
    connect_timeout=2.0,
    keepalive_interval=10.0,
    keepalive_misses=2,
    reconnect_min=1.0,
    reconnect_max=4.0,
)


def emulated_data(**overrides: Any) -> dict[str, Any]:
    """Entry data of the emulated house described in fixtures/house.yaml."""
    return {
        CONF_BACKEND: BackendType.EMULATED.value,
        CONF_NAME: "Test house",
        CONF_MODEL: "HQP7-2",
        CONF_DESCRIPTION_PATH: str(HOUSE),
        CONF_PROCESSOR_SERIAL: PROCESSOR,
        CONF_SERVE: False,
        **overrides,
    }


def counted_data(**overrides: Any) -> dict[str, Any]:
    """Entry data of an emulated system built from module counts."""
    return {
        CONF_BACKEND: BackendType.EMULATED.value,
        CONF_NAME: "Counted",
        CONF_MODEL: "HQP7-2",
        CONF_MODULES_PER_LINK: [2, 1],
        CONF_SERVE: False,
        **overrides,
    }


def live_data(port: int, http_port: int, **overrides: Any) -> dict[str, Any]:
    """Entry data of a live processor on loopback."""
    return {
        CONF_BACKEND: BackendType.LIP.value,
        CONF_HOST: "127.0.0.1",
        CONF_LIP_PORT: port,
        CONF_HTTP_PORT: http_port,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
        **overrides,
    }


def emulated_backend(entry: HomeworksQsxConfigEntry) -> EmulatedBackend:
    """Return the entry's emulated backend (the entry must run the emulator)."""
    backend = entry.runtime_data.emulated
    assert backend is not None
    return backend


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the clock on by `seconds` at once, and let what falls due run."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def get_state(hass: HomeAssistant, entity_id: str) -> State:
    """Return the state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def get_device(hass: HomeAssistant, entry_id: str, serial: str) -> dr.DeviceEntry:
    """Return the device of the processor, module or area group `serial` in a config entry (which must have it)."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, serial), entry_id
    )
    assert device is not None
    return device


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state string of an entity that must exist."""
    return get_state(hass, entity_id).state


async def wait_for(hass: HomeAssistant, condition: Callable[[], bool]) -> bool:
    """Let network round trips on loopback complete: run the loop (never sleeping) until `condition` holds.

    Returns whether it held within the bound (tests assert it). The clock may be frozen, so this only yields;
    every yield polls the sockets.
    """
    for _ in range(2000):
        if condition():
            return True
        await asyncio.sleep(0)
        await hass.async_block_till_done()
    return False


def placeholders(result: Mapping[str, Any]) -> Mapping[str, str]:
    """Return the description placeholders a flow step shows (it must show some)."""
    shown: Mapping[str, str] | None = result["description_placeholders"]
    assert shown is not None
    return shown


def error_text(result: Mapping[str, Any]) -> str:
    """Return the error placeholder a flow form shows."""
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    return str(placeholders["error"])


@pytest.fixture
def platforms() -> list[Platform]:
    """Platforms to set up (a snapshot test narrows this to one)."""
    return [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.COVER,
        Platform.EVENT,
        Platform.LIGHT,
        Platform.SENSOR,
        Platform.SWITCH,
    ]


@pytest.fixture(autouse=True)
def _set_platforms(platforms: list[Platform]) -> Generator[None]:
    with patch("custom_components.homeworks_qsx.PLATFORMS", platforms):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the entry of the emulated house."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Test house",
        data=emulated_data(),
        unique_id=PROCESSOR,
        entry_id="01JQSXTESTENTRY0000000000",
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the emulated house."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


async def async_set_up_whole_house(hass: HomeAssistant, **data: Any) -> MockConfigEntry:
    """Set up the emulated whole house of whole_house.py: every kind of device, from the model's constructors.

    `data` adds to the entry's data (serving it, for example).
    """
    description = house_description()

    async def build(
        _hass: HomeAssistant, _data: Mapping[str, Any]
    ) -> SystemDescription:
        return description

    entry = MockConfigEntry(
        domain=DOMAIN,
        title=HOUSE_NAME,
        data=emulated_data(name=HOUSE_NAME, processor_serial=HOUSE_PROCESSOR, **data),
        unique_id=HOUSE_PROCESSOR,
        entry_id="01JQSXWHOLEHOUSE000000000",
    )
    entry.add_to_hass(hass)
    # Set-up builds the system from the entry once; later starts restore it from the stored state.
    with patch(
        "custom_components.homeworks_qsx.async_build_description", side_effect=build
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry


@pytest.fixture
async def whole_house(hass: HomeAssistant) -> MockConfigEntry:
    """Set up the emulated whole house."""
    return await async_set_up_whole_house(hass)


@pytest.fixture
def fast_live_timing() -> Generator[None]:
    """Give live backends created by the integration test timing."""
    original = LipBackend.__init__

    def init(self: LipBackend, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{"timings": FAST_TIMING, **kwargs})

    with patch.object(LipBackend, "__init__", init):
        yield


@pytest.fixture
async def lip_server(
    socket_enabled: None, hass: HomeAssistant
) -> AsyncGenerator[LipServer]:
    """Serve the emulated house over LIP and HTTP on loopback, outside Home Assistant (a "live" processor)."""
    emulator = Emulator(load_description(HOUSE), scheduler=AsyncioScheduler())
    # No failed-login delay: tests freeze the clock, and the delay (a server limit, tested with the server) would
    # hold a login after a rejected one until time moves.
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
    yield server
    await server.stop()
    emulator.close()
