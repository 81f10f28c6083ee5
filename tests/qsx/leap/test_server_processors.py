"""A project of several processors served over LEAP (P4, LP52, LP53): each processor serves the whole project.

Two- and three-processor projects, each processor on its own loopback address with its own CA: the same bodies from
every processor but `IsThisDevice`, commands for any zone through any processor pushed to the subscribers of every
processor, a processor cut off reported by the others, and pairing that opens only the paired processor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
import json
from pathlib import Path
import ssl
from typing import Any

import pytest

from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import (
    CA_NAME,
    PROCESSORS_KEY,
    LeapCredentials,
    load_or_create_project,
    project_credentials_from_dict,
    project_credentials_to_dict,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.pairing_server import (
    PairingServer,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.errors import UnknownObjectError
from custom_components.homeworks_qsx.qsx.leap.client_tls import client_context
from custom_components.homeworks_qsx.qsx.leap.pairing_client import async_pair_processor
from custom_components.homeworks_qsx.qsx.leap.protocol import LEAP_PORT, PAIRING_PORT
from tests.qsx.serving import WAIT

from .conftest import LeapSession, go_to_level
from .projects import (
    GARAGE,
    GARAGE_PANEL,
    HALL_PANEL,
    HOSTS,
    HOUSE_PANEL,
    MAIN,
    POOL,
    POOL_DIMMER,
    POOL_PANEL,
    allow_processor_hosts,
    project,
    served_project,
)
from .rig import tolerate_failed_handshakes

MODELS = {MAIN: "HQP7-2", POOL: "HQP7-1", GARAGE: "HQP7-1"}
PROCESSOR_NAMES = {MAIN: "Main house", POOL: "Pool house", GARAGE: "Garage"}


@pytest.fixture(autouse=True)
def processor_hosts(socket_enabled: None) -> Generator[None]:
    """Let the test reach every processor's own loopback address."""
    with allow_processor_hosts():
        yield


async def read(session: LeapSession, url: str) -> Any:
    """Return the body of a read that succeeds."""
    reply = await session.request("ReadRequest", url)
    assert reply["Header"]["StatusCode"] == "200 OK", reply
    return reply["Body"]


def without_this_device(body: Any) -> Any:
    """Return a body with every `IsThisDevice` left out (the one key that differs between processors, LP53)."""
    if isinstance(body, dict):
        return {
            key: without_this_device(value)
            for key, value in body.items()
            if key != "IsThisDevice"
        }
    if isinstance(body, list):
        return [without_this_device(item) for item in body]
    return body


async def everything(session: LeapSession) -> dict[str, Any]:
    """Read the project, its areas, devices, links and link nodes, zones and their statuses from one processor."""
    bodies: dict[str, Any] = {}
    for url in ("/project", "/area", "/zone/status", "/area/status"):
        bodies[url] = await read(session, url)
    devices = [
        *(await read(session, "/device?where=IsThisDevice:true"))["Devices"],
        *(await read(session, "/device?where=IsThisDevice:false"))["Devices"],
    ]
    bodies["devices"] = sorted(devices, key=lambda device: device["href"])
    for device in devices:
        bodies[device["href"]] = await read(session, device["href"])
        bodies[device["href"] + "/status"] = await read(
            session, device["href"] + "/status"
        )
        for link in device.get("OwnedLinks", []):
            bodies[link["href"]] = await read(session, link["href"])
            expanded = link["href"] + "/associatedlinknode/expanded"
            bodies[expanded] = await read(session, expanded)
    for area in bodies["/area"]["Areas"]:
        reply = await session.request("ReadRequest", area["href"] + "/associatedzone")
        bodies[area["href"] + "/associatedzone"] = reply.get("Body")
    return bodies


async def device_by_serial(session: LeapSession, serial: str) -> dict[str, Any]:
    """Return the device with this serial, from the processor's `IsThisDevice:false` list."""
    devices: list[dict[str, Any]] = (
        await read(session, "/device?where=IsThisDevice:false")
    )["Devices"]
    [device] = [d for d in devices if d.get("SerialNumber") == int(serial, 16)]
    return device


async def test_lp52_lp53_three_processors_serve_the_same_project(
    socket_enabled: None,
) -> None:
    """LP52, LP53: each of three processors serves the whole project; only `IsThisDevice` differs.

    Each is a `HWQSProcessor` with its own serial, model, class and links; `IsThisDevice:true` is the one connected
    to, `IsThisDevice:false` holds the other two and every device of every link; every link has its link nodes.
    """
    async with served_project(3) as (emulator, served):
        seen: dict[str, dict[str, Any]] = {}
        for serial, processor in served.items():
            session = await processor.open()
            [this] = (await read(session, "/device?where=IsThisDevice:true"))["Devices"]
            assert (
                this["DeviceType"],
                this["SerialNumber"],
                this["ModelNumber"],
                this["Name"],
                this["DeviceClass"],
                this["IsThisDevice"],
            ) == (
                "HWQSProcessor",
                int(serial, 16),
                MODELS[serial],
                PROCESSOR_NAMES[serial],
                {"HexadecimalEncoding": "8110201"},
                True,
            )
            others = (await read(session, "/device?where=IsThisDevice:false"))[
                "Devices"
            ]
            other_processors = [d for d in others if d["DeviceType"] == "HWQSProcessor"]
            assert sorted(d["SerialNumber"] for d in other_processors) == sorted(
                int(other, 16) for other in served if other != serial
            )
            assert not any(d["IsThisDevice"] for d in other_processors)
            assert {d.get("SerialNumber") for d in others} >= {
                int(device.serial, 16) for device in emulator.description.devices
            }
            hrefs = {
                device["SerialNumber"]: device["href"]
                for device in (this, *other_processors)
            }
            master = (await read(session, "/project"))["Project"]["MasterDeviceList"]
            assert master["Devices"] == [
                {"href": hrefs[int(item, 16)]} for item in (MAIN, POOL, GARAGE)
            ]
            seen[serial] = await everything(session)
        main, pool, garage = (seen[serial] for serial in (MAIN, POOL, GARAGE))
        assert main != pool  # `IsThisDevice` differs…
        assert (
            without_this_device(main)
            == without_this_device(pool)
            == without_this_device(garage)
        )  # …and nothing else

        # Every processor owns its own links (link numbers are per processor), each listing its own devices.
        processors = {
            device["SerialNumber"]: device
            for device in main["devices"]
            if device["DeviceType"] == "HWQSProcessor"
        }
        owned = {
            serial: [link["href"] for link in processors[int(serial, 16)]["OwnedLinks"]]
            for serial in served
        }
        assert [len(owned[serial]) for serial in (MAIN, POOL, GARAGE)] == [2, 1, 1]
        assert len({href for hrefs in owned.values() for href in hrefs}) == 4
        assert [main[href]["Link"]["LinkNumber"] for href in owned[MAIN]] == [1, 2]
        assert main[owned[POOL][0]]["Link"]["LinkNumber"] == 1
        assert main[owned[GARAGE][0]]["Link"]["LinkNumber"] == 1

        def on_link(href: str) -> list[tuple[str, int | None]]:
            nodes = main[href + "/associatedlinknode/expanded"]["LinkNodesExpanded"]
            return [
                (node["Parent"]["DeviceType"], node["Parent"].get("SerialNumber"))
                for node in nodes
            ]

        assert on_link(owned[POOL][0]) == [
            ("HWQSProcessor", int(POOL, 16)),
            ("SwitchingPowerModule", int(POOL_PANEL, 16)),
            ("DimmingPowerModule", int(POOL_DIMMER, 16)),
        ]
        assert on_link(owned[GARAGE][0]) == [
            ("HWQSProcessor", int(GARAGE, 16)),
            ("SwitchingPowerModule", int(GARAGE_PANEL, 16)),
        ]
        assert on_link(owned[MAIN][0]) == [
            ("HWQSProcessor", int(MAIN, 16)),
            ("SwitchingPowerModule", int(HOUSE_PANEL, 16)),
        ]
        assert on_link(owned[MAIN][1]) == [
            ("HWQSProcessor", int(MAIN, 16)),
            ("SwitchingPowerModule", int(HALL_PANEL, 16)),
        ]
        # The whole project's zones, from every processor: five per switching module, four per dimmer.
        assert len(main["/zone/status"]["ZoneStatuses"]) == 4 * 5 + 4
        assert all(
            main[href + "/status"]["DeviceStatus"]["Availability"] == "Available"
            for href in (d["href"] for d in main["devices"])
        )


async def test_lp53_a_command_through_one_processor_is_pushed_on_every_processor(
    socket_enabled: None,
) -> None:
    """LP53: a command for a zone on another processor's link is carried out and pushed to both processors."""
    async with served_project(2) as (emulator, served):
        main, pool = await served[MAIN].open(), await served[POOL].open()
        await main.request("SubscribeRequest", "/zone/status", tag="main-zones")
        await pool.request("SubscribeRequest", "/zone/status", tag="pool-zones")
        house = await device_by_serial(pool, HOUSE_PANEL)
        island = house["LocalZones"][0]["href"]

        # Through the pool house, to a zone on the main house's link.
        reply = await pool.request(
            "CreateRequest", island + "/commandprocessor", go_to_level(100)
        )
        assert reply["Header"]["StatusCode"] == "201 Created"
        assert reply["Body"]["ZoneStatus"]["Level"] == 100
        assert emulator.state(HOUSE_PANEL).zones[0].on
        for session, tag in ((pool, "pool-zones"), (main, "main-zones")):
            push = await session.receive()
            assert push["Header"]["ClientTag"] == tag
            assert [
                (status["Zone"]["href"], status["Level"], status["StatusAccuracy"])
                for status in push["Body"]["ZoneStatuses"]
            ] == [(island, 100, "Good")]

        # Through the main house, to the pool house's dimmer.
        dimmer = await device_by_serial(main, POOL_DIMMER)
        dimmed = dimmer["LocalZones"][1]["href"]
        reply = await main.request(
            "CreateRequest", dimmed + "/commandprocessor", go_to_level(40)
        )
        assert reply["Body"]["ZoneStatus"]["Level"] == 40
        assert emulator.state(POOL_DIMMER).zones[1].level == 40
        for session in (main, pool):
            push = await session.receive()
            assert [
                (status["Zone"]["href"], status["Level"])
                for status in push["Body"]["ZoneStatuses"]
            ] == [(dimmed, 40)]

        # A change made anywhere else (here the emulator itself) reaches both.
        pump = (await device_by_serial(main, POOL_PANEL))["LocalZones"][1]["href"]
        emulator.set_zone(POOL_PANEL, 2, True)
        for session in (main, pool):
            push = await session.receive()
            assert [s["Zone"]["href"] for s in push["Body"]["ZoneStatuses"]] == [pump]


async def zone_status(session: LeapSession, zone: str) -> dict[str, Any]:
    """Return a zone's status."""
    status: dict[str, Any] = (await read(session, zone + "/status"))["ZoneStatus"]
    return status


async def availability(session: LeapSession, device: str) -> str:
    """Return a device's `Availability` (LP49)."""
    body = await read(session, device + "/status")
    return str(body["DeviceStatus"]["Availability"])


async def test_lp53_a_processor_cut_off_is_reported_by_the_others(
    socket_enabled: None,
) -> None:
    """LP53, LP49, LP19: the garage's processor cut off: the others show it and its devices unavailable.

    Its zones report `StatusAccuracy: "Bad"` with their last level (pushed to every subscriber), and a command to
    one is answered `201` with the unchanged status; the rest of the project goes on. Back, all is as before.
    """
    async with served_project(3) as (emulator, served):
        main, pool = await served[MAIN].open(), await served[POOL].open()
        garage_panel = await device_by_serial(main, GARAGE_PANEL)
        garage = next(
            d
            for d in (await read(main, "/device?where=IsThisDevice:false"))["Devices"]
            if d.get("SerialNumber") == int(GARAGE, 16)
        )
        zones = [zone["href"] for zone in garage_panel["LocalZones"]]
        emulator.set_zone(GARAGE_PANEL, 1, True)
        for session, tag in ((main, "main"), (pool, "pool")):
            await session.request("SubscribeRequest", "/zone/status", tag=tag)

        emulator.simulate(GARAGE, Fault.PROCESSOR, False)
        for session, tag in ((main, "main"), (pool, "pool")):
            push = await session.receive()
            assert push["Header"]["ClientTag"] == tag
            assert [
                (status["Zone"]["href"], status["StatusAccuracy"])
                for status in push["Body"]["ZoneStatuses"]
            ] == [(zone, "Bad") for zone in zones]
            assert await availability(session, garage["href"]) == "Unavailable"
            assert await availability(session, garage_panel["href"]) == "Unavailable"
            [this] = (await read(session, "/device?where=IsThisDevice:true"))["Devices"]
            assert await availability(session, this["href"]) == "Available"
            status = await zone_status(session, zones[0])
            assert (status["Level"], status["StatusAccuracy"]) == (100, "Bad")
            cco = await zone_status(session, zones[-1])
            assert (cco["CCOLevel"], cco["StatusAccuracy"]) == ("Open", "Bad")
            reply = await session.request(
                "CreateRequest", zones[0] + "/commandprocessor", go_to_level(0)
            )
            assert reply["Header"]["StatusCode"] == "201 Created"
            assert (
                reply["Body"]["ZoneStatus"]["Level"],
                reply["Body"]["ZoneStatus"]["StatusAccuracy"],
            ) == (100, "Bad")  # LP19: ignored, the real level
        assert emulator.state(GARAGE_PANEL).zones[0].on
        # The rest of the project is unaffected.
        pool_panel = await device_by_serial(main, POOL_PANEL)
        assert await availability(main, pool_panel["href"]) == "Available"
        deck = pool_panel["LocalZones"][0]["href"]
        reply = await main.request(
            "CreateRequest", deck + "/commandprocessor", go_to_level(100)
        )
        assert (
            reply["Body"]["ZoneStatus"]["Level"],
            reply["Body"]["ZoneStatus"]["StatusAccuracy"],
        ) == (100, "Good")
        for session in (main, pool):
            push = await session.receive()
            assert [s["Zone"]["href"] for s in push["Body"]["ZoneStatuses"]] == [deck]

        emulator.simulate(GARAGE, Fault.PROCESSOR, True)
        for session in (main, pool):
            push = await session.receive()
            assert [
                (status["Zone"]["href"], status["StatusAccuracy"])
                for status in push["Body"]["ZoneStatuses"]
            ] == [(zone, "Good") for zone in zones]
            assert await availability(session, garage["href"]) == "Available"
            assert await availability(session, garage_panel["href"]) == "Available"
        reply = await pool.request(
            "CreateRequest", zones[0] + "/commandprocessor", go_to_level(0)
        )
        assert reply["Body"]["ZoneStatus"]["Level"] == 0
        assert not emulator.state(GARAGE_PANEL).zones[0].on


async def test_lp53_each_processor_pairs_with_its_own_ca(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> None:
    """LP53, LP20: pairing with the pool house's processor gives certificates that only its LEAP server accepts."""
    tolerate_failed_handshakes()
    emulator = Emulator(project(2))
    credentials = {serial: LeapCredentials.generate(serial) for serial in (MAIN, POOL)}
    servers: list[LeapServer | PairingServer] = []
    try:
        for serial in (MAIN, POOL):
            servers.append(
                LeapServer(
                    emulator,
                    credentials[serial],
                    HOSTS[serial],
                    LEAP_PORT,
                    this_processor=serial,
                )
            )
            servers.append(
                PairingServer(credentials[serial], HOSTS[serial], PAIRING_PORT)
            )
        for server in servers:
            await server.start()
        pool_pairing = servers[3]
        assert isinstance(pool_pairing, PairingServer)
        monkeypatch.setattr(
            "pylutron_caseta.pairing.LAP_CA_PEM", credentials[POOL].ca_cert_pem
        )
        paired = await async_pair_processor(
            HOSTS[POOL], lambda: pool_pairing.open_pairing_window(5)
        )
        assert paired.ca_pem == credentials[POOL].ca_cert_pem
        assert credentials[POOL].ca_cert_pem != credentials[MAIN].ca_cert_pem
        pool_context = client_context(paired.key_pem, paired.cert_pem, paired.ca_pem)
        session = await LeapSession.open(LEAP_PORT, pool_context, HOSTS[POOL])
        [this] = (await read(session, "/device?where=IsThisDevice:true"))["Devices"]
        assert this["SerialNumber"] == int(POOL, 16)
        await session.close()
        # The main house's processor has its own CA: the pool house's certificate opens nothing there.
        main_leap = servers[0]
        assert isinstance(main_leap, LeapServer)
        refused = credentials[MAIN].client_context(paired.key_pem, paired.cert_pem)
        with pytest.raises(
            (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)
        ):
            await ping(HOSTS[MAIN], refused)
        assert main_leap.session_count == 0
        assert main_leap.diagnostics()["failed_handshakes"] == 1
    finally:
        for server in servers:
            await server.stop()
        emulator.close()


async def ping(host: str, context: ssl.SSLContext) -> None:
    """Ping the LEAP server at `host`; `ConnectionError` when it closes without answering."""
    session = await LeapSession.open(LEAP_PORT, context, host)
    try:
        session.send(
            {
                "CommuniqueType": "ReadRequest",
                "Header": {"Url": "/server/1/status/ping"},
            }
        )
        if not await asyncio.wait_for(session.reader.readline(), WAIT):
            raise ConnectionError("closed")
    finally:
        await session.close()


def test_lp53_every_processor_keeps_its_own_ca(tmp_path: Path) -> None:
    """LP53, LP4: one store holds a CA per processor; a store of one processor's CA loads as the first's, unchanged."""
    fresh, created = load_or_create_project(tmp_path / "new.json", [MAIN, POOL])
    assert created
    assert sorted(fresh) == [MAIN, POOL]
    assert LeapCredentials.from_dict(json.loads((tmp_path / "new.json").read_text()))
    path = tmp_path / "state.json.leap.json"
    first, created = LeapCredentials.load_or_create(path)
    assert created
    before = path.read_text()
    kept, created = load_or_create_project(path, [MAIN])
    assert (kept, created) == ({MAIN: first}, False)
    assert path.read_text() == before  # nothing new: not written

    project_cas, created = load_or_create_project(path, [MAIN, POOL, GARAGE])
    assert created
    assert project_cas[MAIN] == first
    assert len({item.ca_cert_pem for item in project_cas.values()}) == 3
    assert project_cas[POOL].ca_certificate.subject.rfc4514_string() == (
        f"CN={CA_NAME} {POOL}"
    )
    stored = json.loads(path.read_text())
    assert (
        LeapCredentials.from_dict(stored) == first
    )  # a reader of one CA still reads the first's
    assert sorted(stored[PROCESSORS_KEY]) == [POOL, GARAGE]
    assert load_or_create_project(path, [MAIN, POOL, GARAGE]) == (project_cas, False)
    assert (
        project_credentials_from_dict(
            project_credentials_to_dict(project_cas, MAIN), MAIN
        )
        == project_cas
    )
    assert PROCESSORS_KEY not in project_credentials_to_dict({MAIN: first}, MAIN)
    # A one-processor system served from the project's store gets its own CA only; the others stay stored.
    assert load_or_create_project(path, [MAIN]) == ({MAIN: first}, False)
    assert sorted(json.loads(path.read_text())[PROCESSORS_KEY]) == [POOL, GARAGE]


@pytest.mark.parametrize(
    ("processors", "message"),
    [
        ([], "LEAP credentials: processors is not an object"),
        ({POOL: []}, f"processor {POOL}: Unknown LEAP credentials format None"),
        ({POOL: {"format": 1}}, f"processor {POOL}: LEAP credentials: ca_key"),
    ],
)
def test_lp53_a_broken_store_of_cas_names_what_is_wrong(
    tmp_path: Path, processors: Any, message: str
) -> None:
    """LP53: a store whose other processors' CAs cannot be read is refused, naming the file and the processor."""
    path = tmp_path / "cas.json"
    data = LeapCredentials.generate().to_dict() | {PROCESSORS_KEY: processors}
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=f"{path}: {message}"):
        load_or_create_project(path, [MAIN, POOL])
    path.write_text("[]")
    with pytest.raises(ValueError, match="not an object"):
        load_or_create_project(path, [MAIN])


def test_lp53_a_server_is_one_processor_of_the_project() -> None:
    """LP53: a LEAP server is built for a processor of the project (the first by default), named in diagnostics."""
    emulator = Emulator(project(2))
    try:
        credentials = LeapCredentials.generate()
        first = LeapServer(emulator, credentials, "127.0.0.1", 0)
        assert first.diagnostics()["processor"] == MAIN
        pool = LeapServer(
            emulator, credentials, "127.0.0.1", 0, this_processor=POOL.lower()
        )
        assert pool.diagnostics()["processor"] == POOL
        with pytest.raises(
            UnknownObjectError, match="No processor has serial 0A0B0C2F"
        ):
            LeapServer(emulator, credentials, "127.0.0.1", 0, this_processor=GARAGE)
    finally:
        emulator.close()


@pytest.mark.parametrize("profile", list(Profile))
async def test_lp53_every_listing_serves_every_processor(
    socket_enabled: None, profile: Profile
) -> None:
    """LP16, LP53: in every listing the other processors are listed, with their serials and links."""
    async with served_project(2, profile) as (_, served):
        session = await served[POOL].open()
        devices = (await read(session, "/device?where=IsThisDevice:false"))["Devices"]
        [main] = [d for d in devices if d["DeviceType"] == "HWQSProcessor"]
        assert main["SerialNumber"] == int(MAIN, 16)
        assert len(main["OwnedLinks"]) == 2
