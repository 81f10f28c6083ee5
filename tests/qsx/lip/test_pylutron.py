"""Conformance with pylutron, the library behind Home Assistant's core `lutron` integration.

pylutron connects to the emulator, sees every zone and CCO as a non-dimmable output, reads levels, switches a zone,
and receives changes made by another session.

pylutron's ports are fixed (23 and 80), so the emulator listens on 127.0.0.2 for this test. pylutron uses a thread
and blocking sockets: its calls run in an executor, each with a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

from pylutron import Lutron, OccupancyGroup, Output
import pytest
import pytest_socket

from benchmarks.common import close_pylutron
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.lip.server import LipServer
from custom_components.homeworks_qsx.qsx.model import SystemDescription
from tests.qsx.serving import wait_for

from .conftest import PASSWORD, USER, RawSession

HOST = "127.0.0.2"


@pytest.fixture
def second_loopback(socket_enabled: None) -> Generator[None]:
    """Let the test connect to 127.0.0.2 as well as 127.0.0.1."""
    pytest_socket.socket_allow_hosts([HOST, "127.0.0.1"])
    yield
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def fixed_port_server(
    second_loopback: None, emulator: Emulator
) -> AsyncGenerator[LipServer]:
    """Return the emulator on 127.0.0.2, ports 23 and 80, as pylutron expects."""
    server = LipServer(emulator, HOST, 23, USER, PASSWORD, http_port=80)
    await server.start()
    yield server
    await server.stop()


async def in_thread[T](
    function: Callable[..., T], *args: Any, timeout: float = 10.0
) -> T:
    """Run a blocking pylutron call in the executor, bounded in time."""
    async with asyncio.timeout(timeout):
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def test_pylutron_sees_and_drives_the_emulator(
    fixed_port_server: LipServer, emulator: Emulator, description: SystemDescription
) -> None:
    """Pylutron loads the database, logs in, reads and sets levels, and follows changes made elsewhere."""
    module = description.modules[0]
    emulator.set_zone(module.serial, 1, True)
    lutron = Lutron(HOST, USER, PASSWORD)
    assert await in_thread(lutron.load_xml_db)
    try:
        await in_thread(lutron.connect)
        assert lutron.name == description.name
        assert lutron.guid == description.guid
        outputs: dict[int, Output] = {
            output.id: output for area in lutron.areas for output in area.outputs
        }
        expected = {
            zone.integration_id: zone for m in description.modules for zone in m.zones
        }
        ccos = {m.cco.integration_id: m.cco for m in description.modules}
        assert set(outputs) == set(expected) | set(ccos)
        assert [area.name for area in lutron.areas] == ["Kitchen", "Garage"]
        for output_id, output in outputs.items():
            assert not output.is_dimmable
            if output_id in expected:
                assert output.type == "NON_DIM"
                assert output.name == expected[output_id].name
                assert output.watts == round(expected[output_id].watts)
            else:
                assert output.type in ("CCO_MAINTAINED", "CCO_PULSED")

        # Every area's occupancy group answers at once (unknown: no sensor), instead of a 1 s time-out each.
        for area in lutron.areas:
            state = await in_thread(lambda area=area: area.occupancy_group.state)
            assert state is OccupancyGroup.State.UNKNOWN

        first = outputs[module.zones[0].integration_id]
        assert await in_thread(lambda: first.level) == 100.0
        second = outputs[module.zones[1].integration_id]
        assert await in_thread(lambda: second.level) == 0.0

        await in_thread(second.set_level, 100.0)
        await wait_for(lambda: emulator.state(module.serial).zones[1].on)

        changed = asyncio.Event()
        loop = asyncio.get_running_loop()
        third = outputs[module.zones[2].integration_id]

        def level_changed(*_: Any) -> None:  # on pylutron's thread
            loop.call_soon_threadsafe(changed.set)

        third.subscribe(level_changed, None)
        other = await RawSession.open(fixed_port_server.port, HOST)
        await other.login()
        await other.command(f"#OUTPUT,{module.zones[2].integration_id},1,100")
        async with asyncio.timeout(5):
            await changed.wait()
        assert third.last_level() == 100.0
        await other.close()
    finally:
        await in_thread(close_pylutron, lutron)
