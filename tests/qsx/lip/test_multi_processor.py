"""A project of two processors served over LIP (P4, LP52–LP54, D8).

Each processor is a `LipServer` of one `Emulator` (one project, one id space) on its own loopback address, on the
ports a real processor uses (23 and 80, which pylutron cannot change). Each serves the same project database,
listing both processors with their links and devices; each answers queries and commands for every device of the
project; a change made through one is reported on the other's sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
import contextlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
from pylutron import Lutron, Output
import pytest
import pytest_socket

from benchmarks.common import close_pylutron
from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description.files import (
    load_description,
)
from custom_components.homeworks_qsx.qsx.emulator.lip.dbxml_build import build_dbxml
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.errors import CommandIgnoredError
from custom_components.homeworks_qsx.qsx.lip.backend import LipBackend
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.lip.dbxml import parse_dbxml
from custom_components.homeworks_qsx.qsx.model import (
    DeviceKind,
    ProcessorDescription,
    SystemDescription,
)
from tests.qsx.serving import wait_for

from .conftest import FAST, PASSWORD, USER, RawSession, hand_built_description, levels
from .test_pylutron import in_thread

MAIN_HOST = "127.0.0.71"
POOL_HOST = "127.0.0.72"
POOL = ProcessorDescription(
    serial="0ABCDEF2",
    integration_id=2,
    name="Pool house processor",
    firmware="22.08.14f001",
)


def two_processor_project() -> SystemDescription:
    """Return the test house with a second processor: the garage module is on the pool house processor's link 1.

    Link numbers are per processor (P3): each processor's link 1 is another wire.
    """
    house = hand_built_description()
    main_link, spare = house.links
    devices = list(house.devices)
    devices[2] = replace(devices[2], processor=POOL.serial, link=1)
    return replace(
        house,
        processor=replace(house.processor, name="Main house processor"),
        other_processors=(POOL,),
        links=(main_link, replace(spare, number=1, processor=POOL.serial)),
        devices=tuple(devices),
    )


@pytest.fixture
def description() -> SystemDescription:
    """Return the two-processor project (the `emulator` fixture serves it)."""
    return two_processor_project()


@pytest.fixture
def two_loopbacks(socket_enabled: None) -> Generator[None]:
    """Let the test reach both processors' addresses."""
    pytest_socket.socket_allow_hosts([MAIN_HOST, POOL_HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def servers(
    two_loopbacks: None, emulator: Emulator
) -> AsyncGenerator[tuple[LipServer, LipServer]]:
    """Return each processor's LIP server (the main house's first), on ports 23 and 80 of its own address."""
    main = LipServer(emulator, MAIN_HOST, 23, USER, PASSWORD, http_port=80)
    pool = LipServer(
        emulator, POOL_HOST, 23, USER, PASSWORD, http_port=80, this_processor="0abcdef2"
    )
    await main.start()
    try:
        await pool.start()
        try:
            yield main, pool
        finally:
            await pool.stop()
    finally:
        await main.stop()


async def _session(host: str) -> RawSession:
    session = await RawSession.open(23, host)
    await session.login()
    session.send("#MONITORING,12,2")  # prompts off: `sync` reads up to each barrier
    await session.sync()
    return session


async def _database(http: aiohttp.ClientSession, host: str) -> bytes:
    async with asyncio.timeout(5), http.get(f"http://{host}/DbXmlInfo.xml") as reply:
        assert reply.status == 200
        return await reply.read()


def test_d8_lp53_the_database_lists_every_processor_with_its_links_and_devices() -> (
    None
):
    """D8, P4: a processor element per processor, each with the links it drives; a device names its processor.

    Link numbers are per processor (P3): both processors' link 1 reads back as two links.
    """
    project = two_processor_project()
    document = build_dbxml(project)
    assert document.count(b"<Processor ") == 2
    assert b'Processor="0ABCDEF2"' in document
    assert parse_dbxml(document) == project
    pool_module = project.devices[2]
    parsed = parse_dbxml(document)
    assert parsed.processor_of(parsed.device(pool_module.serial)) == POOL
    assert [link.number for link in parsed.links_of(POOL.serial)] == [1]
    assert [device.serial for device in parsed.devices_of(POOL.serial)] == [
        pool_module.serial
    ]


def test_d8_the_example_project_reads_back_with_every_processor() -> None:
    """D8, P4: the example project reads back with both processors, their links and its listed devices.

    The main house and the pool house, each device on its own processor (D1: every device but timeclocks).
    """
    project = load_description(Path("examples/project.yaml"))
    assert project.other_processors
    parsed = parse_dbxml(build_dbxml(project))
    assert parsed.processors == project.processors
    assert parsed.links == project.links
    listed = [d for d in project.devices if d.kind is not DeviceKind.TIMECLOCK]
    assert sorted(parsed.devices, key=lambda d: d.serial) == sorted(
        listed, key=lambda d: d.serial
    )
    for processor in project.processors:
        assert {d.serial for d in parsed.devices_of(processor.serial)} == {
            d.serial for d in project.devices_of(processor.serial) if d in listed
        }


async def test_lp53_p4_each_processor_serves_the_whole_project_database(
    servers: tuple[LipServer, LipServer],
    http_session: aiohttp.ClientSession,
    description: SystemDescription,
) -> None:
    """LP53: one project, the same database on every processor; each server knows which processor it is."""
    main, pool = servers
    assert (main.this_processor, pool.this_processor) == ("0ABCDEF1", POOL.serial)
    assert pool.diagnostics()["processor"] == POOL.serial
    from_main = await _database(http_session, MAIN_HOST)
    from_pool = await _database(http_session, POOL_HOST)
    assert from_main == from_pool == build_dbxml(description)
    assert parse_dbxml(from_pool) == description


async def test_lp53_queries_and_commands_for_any_processor_work_on_each(
    servers: tuple[LipServer, LipServer],
    emulator: Emulator,
    description: SystemDescription,
) -> None:
    """LP53: each processor answers for every device of the project, and a change through one is reported on both."""
    main_module, _, pool_module = description.devices
    main = await _session(MAIN_HOST)
    pool = await _session(POOL_HOST)
    try:
        pool_zone = pool_module.zones[0].integration_id
        main_zone = main_module.zones[0].integration_id
        # A zone of the pool house's link, switched through the main house's processor: reported on both.
        main.send(f"#OUTPUT,{pool_zone},1,100")
        assert levels(await main.sync())[pool_zone] == 100.0
        await wait_for(lambda: emulator.state(pool_module.serial).zones[0].on)
        assert levels(await pool.sync())[pool_zone] == 100.0
        # And the other way round.
        pool.send(f"#OUTPUT,{main_zone},1,100")
        assert levels(await pool.sync())[main_zone] == 100.0
        assert levels(await main.sync())[main_zone] == 100.0
        # Queries of either processor's devices, on either processor.
        for session in (main, pool):
            session.send(f"?OUTPUT,{pool_zone},1")
            session.send(f"?OUTPUT,{main_module.zones[1].integration_id},1")
            answered = levels(await session.sync())
            assert answered[pool_zone] == 100.0
            assert answered[main_module.zones[1].integration_id] == 0.0
        # Each processor is its own device, known by id and by serial on both; each gives its own firmware.
        for session in (main, pool):
            session.send("?DETAILS,2")
            session.send(f"?INTEGRATIONID,1,{POOL.serial}")
            session.send("?INTEGRATIONID,3,2")
            assert await session.sync() == [
                (
                    f"~DETAILS,SN:{POOL.serial},IntegrationID:2,Family:HOMEWORKS_QSX_PROCESSOR,"
                    f"Product:HQP7-2,CODE:{POOL.firmware},Boot:1.003,HW:1.0"
                ),
                f"~INTEGRATIONID,1,{POOL.serial},2",
                f"~INTEGRATIONID,3,2,DEVICE,{POOL.serial}",
            ]
        for session, firmware in (
            (main, description.processor.firmware),
            (pool, POOL.firmware),
        ):
            session.send(
                "?SYSTEM,8"
            )  # its answer starts as the barrier's does: read alone
            assert (
                await session.read_until(b"\r\n")
                == f"~SYSTEM,8,{firmware}\r\n".encode()
            )
    finally:
        await main.close()
        await pool.close()


async def test_lp53_the_network_action_takes_a_processor_only(
    servers: tuple[LipServer, LipServer], description: SystemDescription
) -> None:
    """`#EMULATOR,<processor>,NETWORK,<UP|DOWN>`: a processor takes no other word, a device not this one."""
    module = description.devices[0]
    main = await _session(MAIN_HOST)
    try:
        main.send("#EMULATOR,2,POWER,OFF")
        main.send(f"#EMULATOR,{module.integration_id},NETWORK,DOWN")
        main.send("#EMULATOR,2,NETWORK,MAYBE")
        main.send("#EMULATOR,2,NETWORK,DOWN,1")
        assert await main.sync() == ["~ERROR,3", "~ERROR,3", "~ERROR,5", "~ERROR,1"]
        main.send("?HELP")
        assert "#EMULATOR,<processor>,NETWORK,<UP|1|DOWN|0>" in await main.sync()
    finally:
        await main.close()


async def test_lp53_p4_the_client_reads_every_processor_through_either(
    servers: tuple[LipServer, LipServer],
    http_session: aiohttp.ClientSession,
    description: SystemDescription,
) -> None:
    """LP53, LP54: through the pool house's processor, the client sees the whole project, every device's processor.

    The project's first processor stays `processor` whichever one answers, so keys do not depend on it.
    """
    client = LipClient(
        POOL_HOST, 23, USER, PASSWORD, session=http_session, timings=FAST
    )
    await client.connect()
    try:
        seen = client.description
        assert seen.processor.serial == description.processor.serial
        assert seen.other_processors == (POOL,)
        assert [device.processor for device in seen.devices] == [
            None,
            None,
            POOL.serial,
        ]
        assert [(link.number, link.processor) for link in seen.links] == [
            (1, None),
            (1, POOL.serial),
        ]
        pool_module = description.devices[2]
        await client.set_zone(pool_module.serial, 2, True)
        assert client.state(pool_module.serial).zones[1].on
    finally:
        await client.close()


async def test_lp53_pylutron_against_the_second_processor_sees_the_project(
    servers: tuple[LipServer, LipServer],
    emulator: Emulator,
    description: SystemDescription,
) -> None:
    """Pylutron (Home Assistant's core `lutron`) pointed at the pool house's processor sees and drives every zone."""
    lutron = Lutron(POOL_HOST, USER, PASSWORD)
    assert await in_thread(lutron.load_xml_db)
    try:
        await in_thread(lutron.connect)
        assert lutron.guid == description.guid
        outputs: dict[int, Output] = {
            output.id: output for area in lutron.areas for output in area.outputs
        }
        expected = {
            output.integration_id
            for device in description.devices
            for output in device.outputs
        }
        assert set(outputs) == expected
        main_module = description.devices[0]
        # A zone of the main house, switched through the pool house's processor.
        await in_thread(outputs[main_module.zones[3].integration_id].set_level, 100.0)
        await wait_for(lambda: emulator.state(main_module.serial).zones[3].on)

        changed = asyncio.Event()
        loop = asyncio.get_running_loop()

        def level_changed(*_: Any) -> None:  # on pylutron's thread
            loop.call_soon_threadsafe(changed.set)

        watched = outputs[main_module.zones[2].integration_id]
        watched.subscribe(level_changed, None)
        main = await _session(MAIN_HOST)
        try:
            main.send(f"#OUTPUT,{main_module.zones[2].integration_id},1,100")
            await main.sync()
            async with asyncio.timeout(5):
                await changed.wait()
        finally:
            await main.close()
        assert watched.last_level() == 100.0
    finally:
        await in_thread(close_pylutron, lutron)


async def test_lp53_a_processor_cut_off_and_back(
    servers: tuple[LipServer, LipServer],
    emulator: Emulator,
    description: SystemDescription,
    http_session: aiohttp.ClientSession,
) -> None:
    """LP53: `#EMULATOR,2,NETWORK,DOWN` cuts the pool house's processor off; `UP` brings it back.

    Cut off, its sessions end and it takes no new LIP or HTTP connection; through the main house's processor its
    module is unreachable as with a link fault (M10): a command is answered with the unchanged level, the zone LEDs
    flash. Back, it serves again and its module obeys.
    """
    _, pool_server = servers
    pool_module = description.devices[2]
    zone = pool_module.zones[0].integration_id
    main = await _session(MAIN_HOST)
    pool = await _session(POOL_HOST)
    try:
        main.send("#EMULATOR,2,NETWORK,DOWN")
        await main.sync()
        assert not emulator.processor_online(POOL.serial)
        assert pool_server.diagnostics()["on_network"] is False
        await pool.read_eof()
        refused = await RawSession.open(23, POOL_HOST)
        try:
            with contextlib.suppress(ConnectionError):
                assert await refused.read_eof() == b""
        finally:
            await refused.close()
        with pytest.raises(aiohttp.ClientError):
            await _database(http_session, POOL_HOST)

        main.send(f"#OUTPUT,{zone},1,100")
        main.send(f"?DEVICE,{pool_module.integration_id},81,9")
        answered = await main.sync()
        assert levels(answered)[zone] == 0.0
        assert f"~DEVICE,{pool_module.integration_id},81,9,2" in answered
        assert not emulator.state(pool_module.serial).zones[0].on

        main.send("#EMULATOR,2,NETWORK,1")
        await main.sync()
        assert emulator.processor_online(POOL.serial)
        main.send(f"#OUTPUT,{zone},1,100")
        assert levels(await main.sync())[zone] == 100.0
        back = await _session(POOL_HOST)
        try:
            back.send(f"?OUTPUT,{zone},1")
            assert levels(await back.sync())[zone] == 100.0
        finally:
            await back.close()
        assert await _database(http_session, POOL_HOST) == build_dbxml(description)
    finally:
        await main.close()
        await pool.close()


OTHER_HOST = "127.0.0.73"


@pytest.fixture
async def other_project(
    two_loopbacks: None,
) -> AsyncGenerator[LipServer]:
    """Return a processor of another project (another GUID) on a third address, ports 23 and 80."""
    pytest_socket.socket_allow_hosts([MAIN_HOST, POOL_HOST, OTHER_HOST, "127.0.0.1"])
    emulator = Emulator(
        replace(hand_built_description(), guid="another-project-guid-0001")
    )
    server = LipServer(emulator, OTHER_HOST, 23, USER, PASSWORD, http_port=80)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        emulator.close()


async def test_lp53_lp54_the_backend_fails_over_to_another_processor_keeping_every_key(
    servers: tuple[LipServer, LipServer],
    other_project: LipServer,
    emulator: Emulator,
    description: SystemDescription,
    http_session: aiohttp.ClientSession,
) -> None:
    """LP53, LP54: the processor in use cut off, the backend moves to the next failover host that answers.

    A host of another project (another GUID) is passed over; the description, and so every key, stays the same; a
    change made meanwhile is seen; back, the first processor is not taken again until the one in use fails.
    """
    backend = LipBackend(
        MAIN_HOST,
        23,
        USER,
        PASSWORD,
        session=http_session,
        timings=FAST,
        failover_hosts=[OTHER_HOST, POOL_HOST],
    )
    pool_module = description.devices[2]
    await backend.async_start()
    try:
        assert backend.endpoint.host == MAIN_HOST
        before = backend.description
        assert before == description
        emulator.simulate(description.processor.serial, Fault.PROCESSOR, False)
        await wait_for(
            lambda: backend.client.connected and backend.endpoint.host == POOL_HOST
        )
        assert backend.description == before
        endpoints = backend.diagnostics()["endpoints"]
        assert [e["host"] for e in endpoints] == [MAIN_HOST, OTHER_HOST, POOL_HOST]
        assert "another project" in endpoints[1]["last_error"]
        assert endpoints[2]["in_use"]
        # Commands and reports go through the pool house's processor now.
        await backend.async_set_zone(pool_module.serial, 3, True)
        assert emulator.state(pool_module.serial).zones[2].on
        emulator.set_zone(pool_module.serial, 4, True)
        await wait_for(lambda: backend.device_state(pool_module.serial).zones[3].on)
        # Its own processor cut off, the main house's module is unreachable, as with a link fault.
        main_module = description.devices[0]
        with pytest.raises(CommandIgnoredError):
            await backend.async_set_zone(main_module.serial, 1, True)

        emulator.simulate(description.processor.serial, Fault.PROCESSOR, True)
        await backend.client.ping()
        assert backend.endpoint.host == POOL_HOST  # stays where it works
        await backend.async_set_zone(main_module.serial, 1, True)
        assert emulator.state(main_module.serial).zones[0].on
        emulator.simulate(POOL.serial, Fault.PROCESSOR, False)
        await wait_for(
            lambda: backend.client.connected and backend.endpoint.host == MAIN_HOST
        )
        assert backend.description == before
    finally:
        await backend.async_stop()
