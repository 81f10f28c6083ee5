"""The LIP client against a processor whose database has none of our attributes (docs/dbxml.md D4-D7, lip.md H1-H6).

A scripted processor answers the client's queries; its database, served over HTTP as a real one is, lists a
seeTouch keypad with buttons and LEDs, a motion sensor, and dimmed, shade, switched and CCO outputs that name no
device (the room's area group, D7).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
from aiohttp import web
import pytest

from custom_components.homeworks_qsx.qsx.const import ButtonAction, Gesture, LedState
from custom_components.homeworks_qsx.qsx.errors import (
    NotSupportedError,
    UnknownObjectError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.lip.client import LipClient
from custom_components.homeworks_qsx.qsx.model import DeviceKind
from tests.qsx.serving import wait_for

from .conftest import BARRIER_ANSWER, FAST, PASSWORD, USER, FakeProcessor

DATABASE = b"""<?xml version="1.0" encoding="utf-8"?>
<Project><ProjectName ProjectName="Villa"/><GUID>villa-guid-0123456789</GUID>
<Areas><Area Name="Villa" IntegrationID="0"><Areas>
  <Area Name="Den" IntegrationID="40" OccupancyGroupAssignedToID="40"><Outputs>
    <Output Name="Cans" IntegrationID="41" OutputType="INC" Wattage="240" UUID="1"/>
    <Output Name="Shade" IntegrationID="42" OutputType="SYSTEM_SHADE" Wattage="0" UUID="2"/>
    <Output Name="Lamp" IntegrationID="44" OutputType="NON_DIM" Wattage="60" UUID="3"/>
    <Output Name="Gate" IntegrationID="45" OutputType="CCO_MAINTAINED" Wattage="0" UUID="4"/>
  </Outputs><DeviceGroups><DeviceGroup Name="Den"><Devices>
    <Device Name="Den keypad" IntegrationID="30" DeviceType="SEETOUCH_KEYPAD" SerialNumber="00a1b2c3" UUID="5">
      <Components>
        <Component ComponentNumber="1" ComponentType="BUTTON"><Button Engraving="Evening" ButtonType="SingleAction"/></Component>
        <Component ComponentNumber="2" ComponentType="BUTTON"><Button Engraving="Off" ButtonType="AdvancedToggle"/></Component>
        <Component ComponentNumber="81" ComponentType="LED"><LED/></Component>
        <Component ComponentNumber="82" ComponentType="LED"><LED/></Component>
      </Components>
    </Device>
    <Device Name="Den sensor" IntegrationID="31" DeviceType="MOTION_SENSOR" SerialNumber="00d4e5f6"/>
  </Devices></DeviceGroup></DeviceGroups></Area>
</Areas></Area></Areas>
<OccupancyGroups><OccupancyGroup OccupancyGroupNumber="40"/></OccupancyGroups></Project>
"""
ANSWERS = {
    "?OUTPUT,41,1": b"~OUTPUT,41,1,37.50\r\n",
    "?OUTPUT,42,1": b"~OUTPUT,42,1,100.00\r\n",
    "?OUTPUT,44,1": b"~OUTPUT,44,1,0.00\r\n",
    "?OUTPUT,45,1": b"~OUTPUT,45,1,0.00\r\n",
    "?DEVICE,30,81,9": b"~DEVICE,30,81,9,1\r\n",
    "?DEVICE,30,82,9": b"~DEVICE,30,82,9,0\r\n",
    "?GROUP,40,3": b"~GROUP,40,3,3\r\n",
    "#OUTPUT,41,1,80.00,1.00": b"~OUTPUT,41,1,80.00\r\n",
    "#OUTPUT,44,1,100": b"~OUTPUT,44,1,100.00\r\n",
    "#DEVICE,30,1,3": b"~DEVICE,30,1,3\r\n",
    "#DEVICE,30,1,4": b"~DEVICE,30,1,4\r\n",
    "#DEVICE,30,2,6": b"~ERROR,6\r\n",
}


def answer(line: str) -> bytes | None:
    """Answer as a processor with the database above would; the barrier as always."""
    if line == "?SYSTEM,10":
        return BARRIER_ANSWER
    return ANSWERS.get(line)


@pytest.fixture
async def database_port(socket_enabled: None) -> AsyncGenerator[int]:
    """Serve `DATABASE` as `/DbXmlInfo.xml` on a loopback port."""

    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=DATABASE, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/DbXmlInfo.xml", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    yield port
    await runner.cleanup()


async def test_client_reads_and_drives_a_real_processor_s_house(
    fake: FakeProcessor, database_port: int, http_session: aiohttp.ClientSession
) -> None:
    """D5-D7, H1, H3, H5, H6: the client reads keypads, sensors and the area group, then commands and reports."""
    fake.handler = answer
    client = LipClient(
        "127.0.0.1",
        fake.port,
        USER,
        PASSWORD,
        session=http_session,
        http_port=database_port,
        timings=FAST,
    )
    await client.connect()
    try:
        description = client.description
        keypad = description.device("00A1B2C3")
        assert [b.engraving for b in keypad.buttons] == ["Evening", "Off"]
        assert client.state("00A1B2C3").indicators == {1: LedState.ON, 2: LedState.OFF}
        assert client.state("00D4E5F6").occupied is True
        (group,) = (d for d in description.devices if d.kind is DeviceKind.AREA_GROUP)
        assert group.serial == "00000000-area-40"
        state = client.state(group.serial)
        assert [z.level for z in state.zones[:2]] == [37.5, 100.0]
        assert "#MONITORING,6,1" in fake.lines  # H6: occupancy reports

        events: list[Event] = []
        client.events.subscribe(events.append)
        await client.set_level(group.serial, 1, 80, 1)
        await client.set_zone(group.serial, 3, True)
        assert client.state(group.serial).zones[2].on
        await client.press_keypad_button("00A1B2C3", 1)
        assert fake.lines[-3:-1] == ["#DEVICE,30,1,3", "#DEVICE,30,1,4"]
        fake.push(b"~GROUP,40,3,4\r\n~DEVICE,30,82,9,1\r\n")
        await wait_for(lambda: client.state("00D4E5F6").occupied is False)
        await wait_for(lambda: client.state("00A1B2C3").indicators[2] is LedState.ON)
        assert Event(EventKind.LEVEL, group.serial, 1, 80.0) in events
        assert Event(EventKind.BUTTON, "00A1B2C3", 1, ButtonAction.PRESS) in events
        assert Event(EventKind.OCCUPANCY, "00D4E5F6", None, False) in events
        with pytest.raises(UnknownObjectError, match="not switched"):
            await client.set_zone(group.serial, 1, True)
        with pytest.raises(UnknownObjectError, match="not dimmed or a shade"):
            await client.set_level(group.serial, 3, 50)
        # H3: a processor that refuses a double tap is answered with the error, named.
        with pytest.raises(NotSupportedError, match="does not support #DEVICE,30,2,6"):
            await client.press_keypad_button("00A1B2C3", 2, Gesture.DOUBLE_TAP)
    finally:
        await client.close()
