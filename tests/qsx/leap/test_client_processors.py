"""The live client against a project of two processors, each served over LEAP for itself (LP52–LP54).

Each processor answers for the whole project with the same bodies, only `IsThisDevice` differing (LP53); the client
connected to either sees both processors, which link each drives and which devices sit on each, and keys every
device alike given the same key prefix (LP51, LP54).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib

import pytest

from custom_components.homeworks_qsx.qsx.const import Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import (
    IdKind,
    Profile,
    leap_id,
)
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.leap.client import LeapClient
from custom_components.homeworks_qsx.qsx.model import DeviceKind, SystemDescription
from tests.qsx.house import POOL_HOUSE, two_processor_house

from .rig import FAST, HOST, certificates, wait_until

pytestmark = pytest.mark.usefixtures("socket_enabled")

MAIN_HOUSE = two_processor_house().processor.serial


@contextlib.asynccontextmanager
async def served_by(
    emulator: Emulator, serial: str, profile: Profile = Profile.FULL
) -> AsyncIterator[LeapClient]:
    """Yield a client (key prefix `entry`) connected to the LEAP server of processor `serial` of the project."""
    credentials = LeapCredentials.generate()
    server = LeapServer(
        emulator, credentials, HOST, 0, profile=profile, this_processor=serial
    )
    await server.start()
    client = LeapClient(
        HOST,
        certificates(credentials),
        port=server.port,
        timings=FAST,
        key_prefix="entry",
    )
    try:
        await client.connect()
        yield client
    finally:
        await client.close()
        await server.stop()


def placed(description: SystemDescription) -> dict[str, str]:
    """Each device's key → the serial of the processor it sits on, whichever processor the client is connected to."""
    return {
        device.serial: description.processor_of(device).serial
        for device in description.devices
    }


@pytest.mark.parametrize("profile", list(Profile))
async def test_lp52_lp54_either_processor_shows_the_same_project(
    profile: Profile,
) -> None:
    """LP52–LP54: connected to either processor, both are there, each with its own links and devices.

    The processor connected to is `processor`, the other one of `other_processors`; a link and a device on a link
    name the processor driving it (None: the one connected to). Keys, names and placements are the same through
    both (LP54), in every listing (LP16, LP48).
    """
    truth = two_processor_house()
    emulator = Emulator(truth)
    try:
        async with (
            served_by(emulator, MAIN_HOUSE, profile) as main,
            served_by(emulator, POOL_HOUSE, profile) as pool,
        ):
            first, second = main.description, pool.description
            assert (
                first.processor.serial,
                [p.serial for p in first.other_processors],
            ) == (
                MAIN_HOUSE,
                [POOL_HOUSE],
            )
            assert (
                second.processor.serial,
                [p.serial for p in second.other_processors],
            ) == (
                POOL_HOUSE,
                [MAIN_HOUSE],
            )
            assert [(link.number, link.processor) for link in first.links] == [
                (1, None),
                (2, POOL_HOUSE),
            ]
            assert [(link.number, link.processor) for link in second.links] == [
                (2, None),
                (1, MAIN_HOUSE),
            ]
            assert second.processor.integration_id == leap_id(
                truth.other_processors[0].integration_id, IdKind.DEVICE
            )
            # Every device on a link sits on the processor the emulator puts it on (sensors on no link: the
            # processor connected to).
            on_links = {
                device.serial: truth.processor_of(device).serial
                for device in truth.devices
                if device.link and device.kind is not DeviceKind.SHADE
            }
            for description in (first, second):
                where = placed(description)
                assert {
                    serial: where[serial] for serial in on_links if serial in where
                } == {
                    serial: on_links[serial] for serial in on_links if serial in where
                }
            # LP54: the same keys and names through either processor.
            assert {(d.serial, d.name, d.kind) for d in first.devices} == {
                (d.serial, d.name, d.kind) for d in second.devices
            }
            assert not [
                d.serial for d in first.devices if d.serial.startswith(MAIN_HOUSE)
            ]
            if profile is not Profile.ANONYMOUS:
                assert first.device("000000B1").processor == POOL_HOUSE
                assert second.device("000000B1").processor is None
                assert second.device("000000A1").processor == MAIN_HOUSE
            diagnostics = pool.diagnostics()
            assert [
                (p["serial"], p["connected"], p["links"])
                for p in diagnostics["processors"]
            ] == [
                (POOL_HOUSE, True, [2]),
                (MAIN_HOUSE, False, [1]),
            ]
    finally:
        emulator.close()


async def test_lp53_a_processor_cut_off_through_the_other() -> None:
    """LP53: the pool house processor off the network, its modules' zones read `Bad` through the main processor.

    The client keeps their last levels and marks them uncertain (LP58); it gets them back when the processor returns.
    """
    emulator = Emulator(two_processor_house())
    try:
        async with served_by(emulator, MAIN_HOUSE) as client:
            await client.set_zone("000000B1", 1, True)
            emulator.simulate(POOL_HOUSE, Fault.PROCESSOR, False)
            await wait_until(
                lambda: not client.state("000000B1").zones[0].level_accurate
            )
            assert client.state("000000B1").zones[0].on
            assert client.state("000000A1").zones[0].level_accurate
            emulator.simulate(POOL_HOUSE, Fault.PROCESSOR, True)
            await wait_until(lambda: client.state("000000B1").zones[0].level_accurate)
    finally:
        emulator.close()
