"""Failover between the processors of one project (LP53, LP54): the client moves, every key stays.

A project of several processors is served over LEAP as the emulator serves it (`serving.py`): each processor on its
own loopback address with its own CA, its server told which processor it is (LP53). A processor cut off
(`Fault.PROCESSOR`) has its devices out of reach and its servers closed, as a processor off the network: its
sessions end, new ones are refused. The client is given every processor as an endpoint, the primary first, with one key prefix (LP54). The
mechanism's own cases (silence, refusals, everything down) serve one emulator from several addresses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import pytest_socket

from custom_components.homeworks_qsx.qsx import Endpoint, Fault
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.emulator.serving import (
    ProcessorBind,
    ProjectLeap,
    ProjectServers,
    create_project_servers,
    project_binds,
)
from custom_components.homeworks_qsx.qsx.errors import (
    AuthenticationError,
    ConnectionFailedError,
)
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.qsx.leap import (
    LeapBackend,
    LeapCertificates,
    LeapClient,
    LeapEndpoint,
)
from custom_components.homeworks_qsx.qsx.model import DeviceKind, SystemDescription
from tests.qsx.leap.rig import FAST, HOST, Proxy, certificates, house, wait_until
from tests.qsx.projects import processor_serial, project_description

HOSTS = ("127.0.0.41", "127.0.0.42", "127.0.0.43")  # one loopback address per processor
ENTRY = "entry-1"  # what Home Assistant passes as the key prefix: its config entry id (LP54)
# Short keepalives: a processor that goes silent is found out within a second.
TIMINGS = replace(FAST, keepalive_interval=0.5, command_timeout=1.0)


@pytest.fixture(autouse=True)
def processor_addresses(socket_enabled: None) -> Iterator[None]:
    """Let the test reach every processor's address."""
    pytest_socket.socket_allow_hosts([*HOSTS, HOST])
    yield
    pytest_socket.socket_allow_hosts([HOST])


@dataclass
class ServedProcessor:
    """One processor of the project: its address, its own CA, its LEAP server and a client's certificates."""

    host: str
    credentials: LeapCredentials
    certificates: LeapCertificates
    server: LeapServer
    port: int = 0
    serial: str | None = (
        None  # the project's processor (None: one emulator from several places)
    )

    def endpoint(self) -> LeapEndpoint:
        """Return the endpoint a client is given for this processor."""
        return LeapEndpoint(self.host, self.port, self.certificates, self.serial)


@dataclass
class Project:
    """One emulated project served by every processor."""

    emulator: Emulator
    profile: Profile
    processors: list[ServedProcessor] = field(default_factory=list)

    def endpoints(self) -> list[LeapEndpoint]:
        """Every processor's endpoint, the primary first."""
        return [served.endpoint() for served in self.processors]

    servers: ProjectServers | None = (
        None  # a project of several processors, as the emulator serves it
    )

    async def cut_off(self, index: int) -> None:
        """Take processor `index` off the network: its devices out of reach (LP53), its sessions ended, no new one.

        A processor of the project is cut off in the emulator (`Fault.PROCESSOR`), and its servers close; a place of
        one emulator served from several has its server stopped.
        """
        served = self.processors[index]
        if self.servers is None:
            await served.server.stop()
            return
        assert served.serial is not None
        servers = self.servers.processors[served.serial]
        self.emulator.simulate(served.serial, Fault.PROCESSOR, False)
        await wait_until(lambda: not servers.listening)

    async def bring_back(
        self, index: int, credentials: LeapCredentials | None = None
    ) -> None:
        """Serve processor `index` again, on its address and port, with its CA (or `credentials`: a new pairing)."""
        served = self.processors[index]
        if self.servers is not None:
            assert served.serial is not None and credentials is None
            servers = self.servers.processors[served.serial]
            self.emulator.simulate(served.serial, Fault.PROCESSOR, True)
            await wait_until(lambda: servers.listening)
            return
        served.server = LeapServer(
            self.emulator,
            credentials or served.credentials,
            served.host,
            served.port,
            profile=self.profile,
        )
        await served.server.start()


@contextlib.asynccontextmanager
async def project(
    count: int = 2,
    description: SystemDescription | None = None,
    *,
    hosts: tuple[str, ...] = HOSTS,
    profile: Profile = Profile.FULL,
) -> AsyncIterator[Project]:
    """Serve one emulated project from `count` places, each on its own loopback address with its own CA."""
    emulator = Emulator(description or house())
    served = Project(emulator, profile)
    try:
        for host in hosts[:count]:
            credentials = LeapCredentials.generate()
            server = LeapServer(emulator, credentials, host, 0, profile=profile)
            await server.start()
            served.processors.append(
                ServedProcessor(
                    host, credentials, certificates(credentials), server, server.port
                )
            )
        yield served
    finally:
        for processor in served.processors:
            await processor.server.stop()
        emulator.close()


@contextlib.asynccontextmanager
async def served_project(description: SystemDescription) -> AsyncIterator[Project]:
    """Serve a project of several processors as the emulator does: each on its own address (`HOSTS`) and CA (LP53)."""
    emulator = Emulator(description)
    serials = [processor.serial for processor in description.processors]
    credentials = {serial: LeapCredentials.generate(serial) for serial in serials}
    servers = create_project_servers(
        emulator,
        project_binds(
            description,
            ProcessorBind(HOSTS[0], 0, 0, 0, None),
            dict(zip(serials, HOSTS, strict=False)),
        ),
        lip=None,
        leap=ProjectLeap(credentials, Profile.FULL),
    )
    served = Project(emulator, Profile.FULL, servers=servers)
    try:
        await servers.async_start()
        for host, serial in zip(HOSTS, serials, strict=False):
            leap = servers.processors[serial].leap
            assert leap is not None
            served.processors.append(
                ServedProcessor(
                    host,
                    credentials[serial],
                    certificates(credentials[serial]),
                    leap,
                    leap.port,
                    serial,
                )
            )
        yield served
    finally:
        await servers.async_stop()
        emulator.close()


def keys(description: SystemDescription) -> list[tuple[str, list[str]]]:
    """Every device's key with its outputs' keys: what entities are identified by."""
    return [
        (device.serial, [device.output_key(output) for output in device.outputs])
        for device in description.devices
    ]


async def test_lp53_cut_off_processor_the_client_moves_and_keeps_every_key() -> None:
    """LP53, LP54: the processor in use is cut off; the backend moves to the other, keys, commands and pushes kept."""
    async with project() as served:
        backend = LeapBackend(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await backend.async_start()
        assert backend.endpoint == Endpoint(HOSTS[0], served.processors[0].port)
        before = backend.description
        changes: list[bool] = []
        backend.subscribe_project_changed(lambda: changes.append(True))
        connection: list[bool] = []
        backend.subscribe_connection(connection.append)
        events: list[Event] = []
        backend.subscribe(events.append)

        await served.cut_off(0)
        await wait_until(lambda: connection == [False, True])
        assert backend.endpoint.host == HOSTS[1]
        assert keys(backend.description) == keys(before)
        assert backend.description == before
        assert changes == []  # the same project: nothing to reload
        assert not {
            EventKind.DEVICE_ADDED,
            EventKind.DEVICE_REMOVED,
            EventKind.DEVICE_CHANGED,
        } & {event.kind for event in events}

        module = before.modules[0]
        await backend.async_set_zone(
            module.serial, 1, True
        )  # a command, over the other processor
        assert served.emulator.state(module.serial).output_on(1)
        served.emulator.set_zone(
            module.serial, 2, True
        )  # a change at the house: pushed
        await wait_until(lambda: backend.device_state(module.serial).output_on(2))

        diagnostics = backend.diagnostics()
        assert diagnostics["failovers"] == 1
        assert diagnostics["host"] == HOSTS[1]
        assert [entry["in_use"] for entry in diagnostics["endpoints"]] == [False, True]
        assert diagnostics["endpoints"][0]["failures"] >= 0
        assert diagnostics["processor_in_use"] == before.processor.serial
        assert "BEGIN" not in repr(diagnostics)  # no key, no certificate
        await backend.async_stop()


async def test_lp53_the_first_processor_back_changes_nothing_and_serves_the_next_failover() -> (
    None
):
    """LP53: the client stays on the processor that works; when that one goes, it moves back to the first."""
    async with project() as served:
        client = LeapClient(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        before = keys(client.description)
        await served.cut_off(0)
        await wait_until(lambda: client.connected and client.host == HOSTS[1])
        await served.bring_back(0)
        # Back on the network, the first processor takes nothing over: the session in use stays.
        await client.ping()
        await asyncio.sleep(TIMINGS.keepalive_interval * 2)
        assert client.connected
        assert client.host == HOSTS[1]
        assert client.diagnostics()["failovers"] == 1

        await served.cut_off(1)
        await wait_until(lambda: client.connected and client.host == HOSTS[0])
        assert keys(client.description) == before
        module = client.description.modules[0]
        await client.set_zone(module.serial, 1, True)
        assert client.diagnostics()["failovers"] == 2
        await client.close()


async def test_lp53_every_processor_down_keeps_retrying_and_recovers() -> None:
    """The rule: a client never gives up on processors that never refused it; the first one back is taken."""
    async with project(3) as served:
        client = LeapClient(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        before = keys(client.description)
        await served.cut_off(0)
        await wait_until(lambda: client.connected and client.host != HOSTS[0])
        assert client.host == HOSTS[1]  # round robin: the next one
        for index in range(1, 3):
            await served.cut_off(index)
        # Every endpoint was tried, more than once, in turn; none is given up.
        await wait_until(
            lambda: all(
                entry["failures"] >= 2 for entry in client.diagnostics()["endpoints"]
            )
        )
        assert not client.connected
        assert not client.credentials_rejected
        await served.bring_back(2)
        await wait_until(lambda: client.connected)
        assert client.host == HOSTS[2]
        assert keys(client.description) == before
        await client.close()


async def test_lp53_a_silent_processor_is_left_for_the_next() -> None:
    """A processor whose link goes silent (no reset) is left once its keepalive goes unanswered."""
    async with project(hosts=(HOST, HOSTS[1])) as served:
        proxy = Proxy(served.processors[0].port)  # the relay reaches its target on HOST
        await proxy.start()
        endpoints = [
            LeapEndpoint(HOST, proxy.port, served.processors[0].certificates),
            served.processors[1].endpoint(),
        ]
        client = LeapClient(endpoints, timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        assert client.port == proxy.port
        proxy.frozen = True
        await wait_until(lambda: client.connected and client.host == HOSTS[1])
        await client.close()
        await proxy.stop()


async def test_lp54_without_a_key_prefix_the_first_processor_keys_everything() -> None:
    """LP54: another processor's serial answering `IsThisDevice:true` changes no key and is no project change."""
    first = house()
    second = replace(first, processor=replace(first.processor, serial="0A0B0C0E"))
    async with (
        project(1, first, profile=Profile.ANONYMOUS) as one,
        project(1, second, hosts=HOSTS[1:], profile=Profile.ANONYMOUS) as other,
    ):
        endpoints = [one.processors[0].endpoint(), other.processors[0].endpoint()]
        backend = LeapBackend(endpoints, timings=TIMINGS)
        await backend.async_start()
        before = keys(backend.description)
        assert any(serial.startswith("0A0B0C0D-") for serial, _ in before)
        changes: list[bool] = []
        backend.subscribe_project_changed(lambda: changes.append(True))
        events: list[Event] = []
        backend.subscribe(events.append)
        await one.cut_off(0)
        await wait_until(
            lambda: (
                backend.connected
                and backend.endpoint.host == HOSTS[1]
                and backend.description.processor.serial == "0A0B0C0E"
            )
        )
        assert keys(backend.description) == before
        assert changes == []
        assert not [event for event in events if event.kind is EventKind.DEVICE_CHANGED]
        assert backend.diagnostics()["processor_in_use"] == "0A0B0C0E"
        await backend.async_stop()


async def test_connect_takes_the_first_processor_that_answers() -> None:
    """The primary first; when it does not answer, the next; when none does, the primary's error."""
    async with project() as served:
        await served.cut_off(0)
        client = LeapClient(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        assert client.host == HOSTS[1]
        assert (
            client.diagnostics()["failovers"] == 0
        )  # connected once, nowhere else before
        await client.close()
        await served.cut_off(1)
        with pytest.raises(ConnectionFailedError, match=HOSTS[0]):
            await client.connect()
        assert not client.credentials_rejected


async def test_a_processor_that_refuses_the_certificate_is_left_out() -> None:
    """An endpoint that refuses the certificate is passed over; only when all refuse do the attempts stop."""
    async with project() as served:
        stranger = certificates(
            LeapCredentials.generate()
        )  # a CA neither processor trusts
        refused = replace(served.processors[0].endpoint(), certificates=stranger)
        client = LeapClient(
            [refused, served.processors[1].endpoint()],
            timings=TIMINGS,
            key_prefix=ENTRY,
        )
        await client.connect()
        assert client.host == HOSTS[1]
        assert not client.credentials_rejected
        endpoints: list[dict[str, Any]] = client.diagnostics()["endpoints"]
        assert [entry["credentials_refused"] for entry in endpoints] == [True, False]
        rejected: list[bool] = []
        client.subscribe_credentials_rejected(lambda: rejected.append(True))
        # The one that works goes; the refusing one is not tried again, so the client waits for the other.
        await served.cut_off(1)
        await wait_until(lambda: client.diagnostics()["endpoints"][1]["failures"] >= 2)
        assert client.diagnostics()["endpoints"][0]["failures"] == 1
        assert rejected == []
        await served.bring_back(1)
        await wait_until(lambda: client.connected)
        await client.close()

        # Every endpoint refuses: `connect()` says so.
        alone = LeapClient([refused], timings=TIMINGS)
        with pytest.raises(AuthenticationError, match="not the processor paired with"):
            await alone.connect()
        assert alone.credentials_rejected


async def test_one_host_is_still_a_client_of_one_processor() -> None:
    """The single-host form stays: one endpoint, no serial; mixing both forms is refused."""
    async with project(1) as served:
        only = served.processors[0]
        client = LeapClient(
            only.host, only.certificates, port=only.port, timings=TIMINGS
        )
        assert client.endpoints == (Endpoint(only.host, only.port),)
        assert client.leap_endpoints == (only.endpoint(),)
        backend = LeapBackend(only.host, only.certificates, port=only.port)
        assert backend.endpoint == Endpoint(only.host, only.port)
        assert backend.diagnostics()["processor_in_use"] is None  # not connected yet
        with pytest.raises(TypeError, match="certificates"):
            LeapClient(only.host, None)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="each endpoint"):
            LeapClient([only.endpoint()], only.certificates)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="certificates"):
            LeapBackend(only.host, None)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="each endpoint"):
            LeapBackend([only.endpoint()], only.certificates)  # type: ignore[call-overload]
        with pytest.raises(ValueError, match="at least one endpoint"):
            LeapClient([])


async def test_a_processor_that_refuses_on_reconnection_is_left_out_until_all_do() -> (
    None
):
    """A processor that refuses the certificate on a reconnection is passed over; all refusing stops the attempts."""
    async with project() as served:
        client = LeapClient(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        rejected: list[bool] = []
        client.subscribe_credentials_rejected(lambda: rejected.append(True))
        await served.cut_off(1)
        # The first processor is paired anew (another CA): it refuses the certificate the client holds.
        await served.cut_off(0)
        await served.bring_back(0, LeapCredentials.generate())
        await wait_until(
            lambda: client.diagnostics()["endpoints"][0]["credentials_refused"]
        )
        refusals = client.diagnostics()["endpoints"][0]["failures"]
        await served.bring_back(1)
        await wait_until(lambda: client.connected and client.host == HOSTS[1])
        assert client.diagnostics()["endpoints"][0]["failures"] == refusals
        assert rejected == []
        assert not client.credentials_rejected
        # Now the second one refuses too: nothing is left to try.
        await served.cut_off(1)
        await served.bring_back(1, LeapCredentials.generate())
        await wait_until(lambda: rejected == [True])
        assert client.credentials_rejected
        assert not client.connected
        await client.close()


def placed(*descriptions: SystemDescription) -> list[dict[str, str]]:
    """For each description: every device placed on a processor → that processor's serial.

    A device is placed when one of the descriptions names its processor; one that names none is on the processor
    connected to. Devices placed by neither (area groups, sensors of a link no listing names) are left out.
    """
    known = {
        device.serial
        for description in descriptions
        for device in description.devices
        if device.processor is not None
    }
    return [
        {
            device.serial: description.processor_of(device).serial
            for device in description.devices
            if device.serial in known
        }
        for description in descriptions
    ]


def module_of(description: SystemDescription, processor: str) -> str:
    """Return the serial of the first switching module on `processor`'s links."""
    return next(
        device.serial
        for device in description.devices_of(processor)
        if device.kind is DeviceKind.SWITCHING_MODULE
    )


async def test_lp53_lp54_two_processors_the_one_in_use_cut_off() -> None:
    """LP53, LP54: the first processor is cut off; the entry moves to the second, every key and device kept.

    The second now answers `IsThisDevice:true`: no project change, no device change. The first's devices are out of
    reach through the second (LP53: `Bad`); commands and pushes go through it. The first back changes nothing; the
    second cut off in turn, the entry goes back to the first.
    """
    first, second = processor_serial(1), processor_serial(2)
    async with served_project(project_description(2)) as served:
        backend = LeapBackend(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await backend.async_start()
        before = backend.description
        assert before.processor.serial == first
        assert [processor.serial for processor in before.other_processors] == [second]
        near, far = module_of(before, first), module_of(before, second)
        changes: list[bool] = []
        backend.subscribe_project_changed(lambda: changes.append(True))
        events: list[Event] = []
        backend.subscribe(events.append)

        await served.cut_off(0)
        await wait_until(
            lambda: backend.connected and backend.endpoint.serial == second
        )
        after = backend.description
        assert after.processor.serial == second
        assert [processor.serial for processor in after.other_processors] == [first]
        assert keys(after) == keys(before)
        placed_before, placed_after = placed(before, after)
        assert (
            len(placed_before) >= 6
        )  # modules, dimmers and keypads of both processors
        assert placed_after == placed_before
        assert changes == []
        assert not {
            EventKind.DEVICE_ADDED,
            EventKind.DEVICE_REMOVED,
            EventKind.DEVICE_CHANGED,
        } & {event.kind for event in events}
        assert backend.diagnostics()["processor_in_use"] == second
        # LP53: the first processor's modules are out of reach, their levels uncertain; the second's are not.
        assert not backend.device_state(near).zones[0].level_accurate
        assert backend.device_state(far).zones[0].level_accurate
        await backend.async_set_zone(far, 1, True)
        assert served.emulator.state(far).output_on(1)
        served.emulator.set_zone(far, 2, True)  # at the house: pushed
        await wait_until(lambda: backend.device_state(far).output_on(2))

        await served.bring_back(0)
        await wait_until(lambda: backend.device_state(near).zones[0].level_accurate)
        assert backend.endpoint.serial == second  # it stays where it works

        await served.cut_off(1)
        await wait_until(lambda: backend.connected and backend.endpoint.serial == first)
        assert keys(backend.description) == keys(before)
        assert backend.description.processor.serial == first
        assert changes == []
        assert backend.diagnostics()["failovers"] == 2
        await backend.async_stop()


async def test_lp53_three_processors_two_cut_off_the_third_serves() -> None:
    """LP53: of three processors, the one in use and the next are cut off; the client reaches the third."""
    async with served_project(project_description(3)) as served:
        client = LeapClient(served.endpoints(), timings=TIMINGS, key_prefix=ENTRY)
        await client.connect()
        before = keys(client.description)
        third = processor_serial(3)
        await served.cut_off(1)
        await served.cut_off(0)
        await wait_until(lambda: client.connected and client.endpoint.serial == third)
        assert keys(client.description) == before
        assert client.description.processor.serial == third
        module = module_of(client.description, third)
        await client.set_zone(module, 1, True)
        assert served.emulator.state(module).output_on(1)
        await client.close()
