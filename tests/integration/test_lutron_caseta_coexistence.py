"""Beside Home Assistant's core `lutron_caseta`: the flow says so, a repair issue explains it, and what each shows.

The emulated whole house (whole_house.py) is served over LEAP on a loopback address of its own (lutron_caseta always
dials 8081). Both integrations connect to it with certificates its CA issued, as both would to one processor. The
numbers and entity ids of docs/migrating-from-lutron-caseta.md come from `test_both_integrations_on_one_processor`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.homeworks_qsx.const import (
    CONF_BACKEND,
    CONF_HAVE_CERTIFICATES,
    DOMAIN,
    EVENT_KEYPAD_BUTTON,
    BackendType,
)
from custom_components.homeworks_qsx.flow_schemas import PEM_FIELDS
from custom_components.homeworks_qsx.issues import lutron_caseta_issue_id
from custom_components.homeworks_qsx.qsx.clock import AsyncioScheduler
from custom_components.homeworks_qsx.qsx.const import Gesture
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.leap import (
    LEAP_PORT,
    LeapCredentials,
    LeapServer,
)
from homeassistant.components.device_automation import (
    DeviceAutomationType,
    async_get_device_automations,
)
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)

from .conftest import (
    PROCESSOR as HOUSE_PROCESSOR,
    async_set_up_whole_house,
    get_device,
    live_data,
)
from .whole_house import (
    DIMMERS,
    KITCHEN_KEYPAD,
    KITCHEN_SENSOR,
    NAME,
    PANEL,
    PROCESSOR,
    whole_house,
)

HOST = "127.0.0.14"
OTHER_HOST = "127.0.0.15"  # another processor: nothing listens there
CASETA = "lutron_caseta"
WAIT = 10.0


@pytest.fixture(autouse=True)
def caseta_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test reach the served processor's own loopback address."""
    pytest_socket.socket_allow_hosts([HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture(scope="module")
def credentials() -> LeapCredentials:
    """Return the served processor's CA and server certificate."""
    return LeapCredentials.generate()


@pytest.fixture
async def served(credentials: LeapCredentials) -> AsyncGenerator[Emulator]:
    """Serve the whole house over LEAP on port 8081 of its own loopback address."""
    emulator = Emulator(whole_house(), scheduler=AsyncioScheduler())
    server = LeapServer(emulator, credentials, HOST, LEAP_PORT)
    await server.start()
    yield emulator
    await server.stop()
    emulator.close()


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Do not set up the entries the flows create."""
    with patch(
        "custom_components.homeworks_qsx.async_setup_entry", return_value=True
    ) as mock:
        yield mock


def pem_data(credentials: LeapCredentials) -> dict[str, str]:
    """Our LEAP entry's certificates, issued by the processor's CA."""
    key, cert = credentials.issue_client()
    return dict(zip(PEM_FIELDS, (key, cert, credentials.ca_cert_pem), strict=True))


def caseta_data(
    tmp_path: Path, credentials: LeapCredentials, host: str = HOST
) -> dict[str, str]:
    """lutron_caseta's entry data: the host and certificate files the processor's CA issued."""
    key, cert = credentials.issue_client()
    data = {CONF_HOST: host}
    for name, text in (
        ("keyfile", key),
        ("certfile", cert),
        ("ca_certs", credentials.ca_cert_pem),
    ):
        path = tmp_path / f"caseta-{name}.pem"
        path.write_text(text, encoding="utf-8")
        data[name] = str(path)
    return data


def caseta_entry(
    hass: HomeAssistant,
    tmp_path: Path,
    credentials: LeapCredentials,
    *,
    host: str = HOST,
    unique_id: str | None = PROCESSOR.lower(),
    **kwargs: Any,
) -> MockConfigEntry:
    """Add a lutron_caseta entry (not set up); its unique id is the processor's serial as lutron_caseta writes it."""
    entry = MockConfigEntry(
        domain=CASETA,
        title="Lutron Caséta",
        unique_id=unique_id,
        data=caseta_data(tmp_path, credentials, host),
        **kwargs,
    )
    entry.add_to_hass(hass)
    return entry


async def setup_ours(
    hass: HomeAssistant, credentials: LeapCredentials
) -> MockConfigEntry:
    """Set up our LEAP entry of the served processor."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=NAME,
        unique_id=PROCESSOR,
        data={
            CONF_BACKEND: BackendType.LEAP.value,
            CONF_HOST: HOST,
            **pem_data(credentials),
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return our entry's lutron_caseta repair issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, lutron_caseta_issue_id(entry.entry_id)
    )


async def until(condition: Callable[[], bool]) -> None:
    """Wait (bounded) until `condition()` holds."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


def entity_ids(hass: HomeAssistant, entry_id: str) -> list[er.RegistryEntry]:
    """Return the entity registry entries of one config entry."""
    return er.async_entries_for_config_entry(er.async_get(hass), entry_id)


def by_domain(entries: list[er.RegistryEntry]) -> dict[str, int]:
    """Count entities per platform domain."""
    return dict(sorted(Counter(entry.domain for entry in entries).items()))


def entity_of(entries: list[er.RegistryEntry], unique_id: str) -> str:
    """Return the entity id of the one entry with this unique id."""
    [entity_id] = [entry.entity_id for entry in entries if entry.unique_id == unique_id]
    return entity_id


async def trigger_types(hass: HomeAssistant, device_id: str) -> set[tuple[str, str]]:
    """Return the (type, subtype) of a device's device triggers."""
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, [device_id]
    )
    return {(item["type"], item.get("subtype", "")) for item in triggers[device_id]}


async def test_both_integrations_on_one_processor(
    hass: HomeAssistant, served: Emulator, credentials: LeapCredentials, tmp_path: Path
) -> None:
    """Both loaded on one processor: the repair until lutron_caseta goes, and what each shows (the migration guide).

    lutron_caseta: a device per zone, entity ids of area + device + name; ours: a device per module or keypad,
    entity ids of device + name, and more entities (CCO pulse, shades with tilt, events, link sensors, timeclock).
    """
    caseta = caseta_entry(hass, tmp_path, credentials)
    assert await hass.config_entries.async_setup(caseta.entry_id)
    await hass.async_block_till_done()
    assert caseta.state is ConfigEntryState.LOADED
    ours = await setup_ours(hass, credentials)
    raised = issue(hass, ours)
    assert raised is not None
    assert raised.translation_key == "lutron_caseta"
    assert raised.severity is ir.IssueSeverity.WARNING
    assert not raised.is_fixable
    assert raised.learn_more_url is not None
    assert raised.learn_more_url.endswith("docs/migrating-from-lutron-caseta.md")
    assert raised.translation_placeholders == {
        "name": NAME,
        "other": caseta.title,
        "host": HOST,
    }

    # What each shows of the whole house (numbers in docs/migrating-from-lutron-caseta.md).
    theirs, mine = entity_ids(hass, caseta.entry_id), entity_ids(hass, ours.entry_id)
    devices = dr.async_get(hass)
    assert by_domain(theirs) == {
        "binary_sensor": 1,
        "button": 4,
        "cover": 1,
        "light": 4,
        "switch": 9,
    }
    assert by_domain(mine) == {
        "binary_sensor": 2,
        "button": 5,
        "cover": 2,
        "event": 4,
        "light": 4,
        "sensor": 4,
        "switch": 10,
    }
    assert len(dr.async_entries_for_config_entry(devices, caseta.entry_id)) == 14
    assert len(dr.async_entries_for_config_entry(devices, ours.entry_id)) == 9
    # The same zone, button, LED, shade and sensor: lutron_caseta's entity id, then ours.
    pairs = {
        entity_of(theirs, f"{PROCESSOR.lower()}_170"): entity_of(
            mine, f"{DIMMERS}_zone_1"
        ),
        entity_of(theirs, f"{PROCESSOR.lower()}_90"): entity_of(
            mine, f"{PANEL}_zone_1"
        ),
        entity_of(theirs, f"{PROCESSOR.lower()}_122"): entity_of(mine, f"{PANEL}_cco"),
        entity_of(theirs, f"{PROCESSOR.lower()}_250"): entity_of(
            mine,
            f"{ours.entry_id}-area-27_zone_250",  # LP51: keyed by our entry id
        ),
        entity_of(theirs, f"occupancygroup_{PROCESSOR.lower()}_19"): entity_of(
            mine, f"{KITCHEN_SENSOR}_occupancy"
        ),
    }
    assert pairs == {
        "light.dining_room_dining_room_chandelier": "light.dining_room_dimmers_chandelier",
        "switch.kitchen_kitchen_zone_1": "switch.kitchen_panel_zone_1",
        "switch.kitchen_kitchen_cco": "switch.kitchen_panel_contact_closure_output",
        "cover.living_room_living_room_shade": "cover.living_room_shade",
        "binary_sensor.kitchen_kitchen_occupancy": "binary_sensor.kitchen_sensor_occupancy",
    }
    dinner = [
        e.entity_id
        for e in theirs
        if e.original_name and e.original_name.endswith("Keypad Dinner")
    ]
    assert dinner == [
        "button.kitchen_kitchen_kitchen_keypad_kitchen_keypad_keypad_dinner"
    ]
    registry = er.async_get(hass)
    assert registry.async_get_entity_id(
        "button", DOMAIN, f"{KITCHEN_KEYPAD}_button_1"
    ) == ("button.kitchen_keypad_dinner")
    assert registry.async_get_entity_id(
        "event", DOMAIN, f"{KITCHEN_KEYPAD}_button_1"
    ) == ("event.kitchen_keypad_dinner")
    assert (
        entity_of(mine, f"{KITCHEN_KEYPAD}_led_1") == "switch.kitchen_keypad_dinner_led"
    )

    # A person's tap: each integration fires its own button event; device triggers name the button differently.
    presses: list[Event[Any]] = []

    @callback
    def heard(event: Event[Any]) -> None:
        """Record in the loop, in order."""
        presses.append(event)

    hass.bus.async_listen("lutron_caseta_button_event", heard)
    hass.bus.async_listen(EVENT_KEYPAD_BUTTON, heard)
    served.press(KITCHEN_KEYPAD, 1, Gesture.TAP)
    await until(lambda: len(presses) == 4)
    theirs_events = [
        e.data for e in presses if e.event_type == "lutron_caseta_button_event"
    ]
    our_events = [e.data for e in presses if e.event_type == EVENT_KEYPAD_BUTTON]
    assert [
        (e["button_type"], e["leap_button_number"], e["action"]) for e in theirs_events
    ] == [
        ("Dinner", 1, "press"),
        ("Dinner", 1, "release"),
    ]
    assert theirs_events[0]["serial"] == int(KITCHEN_KEYPAD, 16)
    assert [(e["serial"], e["button"], e["action"]) for e in our_events] == [
        (KITCHEN_KEYPAD, 1, "press"),
        (KITCHEN_KEYPAD, 1, "release"),
    ]
    # lutron_caseta's keypad device is identified by the serial as an integer (its own choice), ours as hex.
    [their_keypad] = [
        device
        for device in dr.async_entries_for_config_entry(devices, caseta.entry_id)
        if (CASETA, int(KITCHEN_KEYPAD, 16)) in device.identifiers
    ]
    our_keypad = get_device(hass, ours.entry_id, KITCHEN_KEYPAD)
    their_triggers = await trigger_types(hass, their_keypad.id)
    our_triggers = await trigger_types(hass, our_keypad.id)
    actions = ("press", "release", "long_press", "multi_tap")
    assert {item for item in their_triggers if item[0] in actions} == {
        (action, name) for action in actions for name in ("Dinner", "Button 2", "Shade")
    }
    assert {item for item in our_triggers if item[0] in actions} == {
        (action, f"button_{number}") for action in actions for number in (1, 2, 4)
    }

    # Removing the lutron_caseta entry clears the issue; ours keeps running.
    assert await hass.config_entries.async_remove(caseta.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, ours) is None
    assert ours.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(ours.entry_id)


async def test_issue_follows_the_lutron_caseta_entry(
    hass: HomeAssistant, served: Emulator, credentials: LeapCredentials, tmp_path: Path
) -> None:
    """Added after ours, found by its host alone: the issue comes; disabled, it goes; enabled, it comes back."""
    ours = await setup_ours(hass, credentials)
    assert issue(hass, ours) is None
    caseta = MockConfigEntry(
        domain=CASETA,
        title="Pool house bridge",
        unique_id="0000abcd",  # not the processor's serial: the host says it is the same processor
        data=caseta_data(tmp_path, credentials),
    )
    await hass.config_entries.async_add(caseta)
    await hass.async_block_till_done()
    raised = issue(hass, ours)
    assert raised is not None
    assert raised.translation_placeholders is not None
    assert raised.translation_placeholders["other"] == "Pool house bridge"
    assert await hass.config_entries.async_set_disabled_by(
        caseta.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    assert issue(hass, ours) is None
    assert await hass.config_entries.async_set_disabled_by(caseta.entry_id, None)
    await hass.async_block_till_done()
    assert issue(hass, ours) is not None
    # Unloading ours clears it; setting it up again raises it again.
    assert await hass.config_entries.async_unload(ours.entry_id)
    assert issue(hass, ours) is None
    assert await hass.config_entries.async_setup(ours.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, ours) is not None
    for entry in hass.config_entries.async_entries(CASETA):
        assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, ours) is None
    assert await hass.config_entries.async_unload(ours.entry_id)


async def test_entries_that_show_nothing_or_another_processor_do_not_count(
    hass: HomeAssistant, credentials: LeapCredentials, tmp_path: Path
) -> None:
    """Ignored and disabled lutron_caseta entries, and one of another processor, raise nothing; the serial does."""
    caseta_entry(hass, tmp_path, credentials, source=SOURCE_IGNORE)
    caseta_entry(hass, tmp_path, credentials, disabled_by=ConfigEntryDisabler.USER)
    caseta_entry(hass, tmp_path, credentials, host=OTHER_HOST, unique_id="0000abcd")
    ours = await async_set_up_whole_house(
        hass
    )  # emulated: no host, known by its serial
    assert issue(hass, ours) is None
    # Found by the unique id lutron_caseta gives a processor (its serial in lower case), whatever its host.
    by_serial = caseta_entry(hass, tmp_path, credentials, host=OTHER_HOST)
    assert (
        issue(hass, ours) is None
    )  # added behind the registry's back: no change was announced
    hass.config_entries.async_update_entry(by_serial, title="Caséta bridge")
    await hass.async_block_till_done()
    raised = issue(hass, ours)
    assert raised is not None
    assert raised.translation_placeholders == {
        "name": NAME,
        "other": by_serial.title,
        "host": OTHER_HOST,
    }


# ---------------------------------------------------------------------------------------------------------------
# The config flow says so


async def _leap_flow_with_certificates(
    hass: HomeAssistant, credentials: LeapCredentials
) -> dict[str, Any]:
    """Add the served processor over LEAP with certificates the user has; return the flow's last step."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "leap"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_HAVE_CERTIFICATES: True}
    )
    assert result["step_id"] == "leap_certificates"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], pem_data(credentials)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return dict(result)


@pytest.mark.usefixtures("mock_setup_entry")
async def test_leap_flow_says_lutron_caseta_shows_the_processor(
    hass: HomeAssistant, served: Emulator, credentials: LeapCredentials, tmp_path: Path
) -> None:
    """The flow's last step says that lutron_caseta shows this processor (same host), and what to do."""
    caseta = caseta_entry(hass, tmp_path, credentials, unique_id="0000abcd")
    result = await _leap_flow_with_certificates(hass, credentials)
    assert result["description"] == "lutron_caseta"
    assert result["description_placeholders"] == {"other": caseta.title, "host": HOST}


@pytest.mark.usefixtures("mock_setup_entry")
async def test_leap_flow_without_lutron_caseta_says_nothing_more(
    hass: HomeAssistant, served: Emulator, credentials: LeapCredentials, tmp_path: Path
) -> None:
    """Without a lutron_caseta entry of this processor, the last step is the plain one."""
    caseta_entry(hass, tmp_path, credentials, host=OTHER_HOST, unique_id="0000abcd")
    result = await _leap_flow_with_certificates(hass, credentials)
    assert result["description"] is None
    assert result["description_placeholders"] is None


@pytest.mark.usefixtures("mock_setup_entry")
async def test_lip_flow_says_lutron_caseta_shows_the_processor(
    hass: HomeAssistant,
    lip_server: LipServer,
    credentials: LeapCredentials,
    tmp_path: Path,
) -> None:
    """Over LIP too: the processor's serial is lutron_caseta's unique id (lower case)."""
    caseta = caseta_entry(
        hass, tmp_path, credentials, host=OTHER_HOST, unique_id=HOUSE_PROCESSOR.lower()
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "live"}
    )
    data = live_data(lip_server.port, lip_server.http_port or 0)
    del data[CONF_BACKEND]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "lutron_caseta"
    assert result["description_placeholders"] == {
        "other": caseta.title,
        "host": OTHER_HOST,
    }
