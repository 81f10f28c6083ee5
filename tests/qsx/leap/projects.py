"""Projects of several processors (P4, LP52, LP53) served over LEAP: one emulator, one server per processor.

Each processor listens on its own loopback address with its own CA, as processors of one project do on a network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
import ssl
from typing import Any, Final

import pytest_socket

from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.emulator.description import parse_description
from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials
from custom_components.homeworks_qsx.qsx.emulator.leap.resources import Profile
from custom_components.homeworks_qsx.qsx.emulator.leap.server import LeapServer
from custom_components.homeworks_qsx.qsx.model import SystemDescription

from .conftest import LeapSession

MAIN, POOL, GARAGE = "0A0B0C0D", "0A0B0C1E", "0A0B0C2F"
# Modules: two on the main processor's links, two on the pool house's, one on the garage's (or the main one's).
HOUSE_PANEL, HALL_PANEL, POOL_PANEL, POOL_DIMMER, GARAGE_PANEL = (
    "000000A1",
    "000000A2",
    "000000B1",
    "000000B2",
    "000000C1",
)
# Each processor's own loopback address.
HOSTS: Final = {MAIN: "127.0.0.41", POOL: "127.0.0.42", GARAGE: "127.0.0.43"}


def project(processors: int) -> SystemDescription:
    """Return a main house (HQP7-2, links 1 and 2), a pool house (HQP7-1) and, with three, a garage (HQP7-1).

    In the description's own format (`processors:`, devices naming theirs). With two processors the garage's panel
    is on the main processor's link 1.
    """
    garage = GARAGE if processors >= 3 else MAIN
    return parse_description(
        {
            "name": "Estate",
            "processors": [
                {
                    "serial": MAIN,
                    "model": "HQP7-2",
                    "name": "Main house",
                    "links": [{"number": 1}, {"number": 2}],
                },
                {
                    "serial": POOL,
                    "model": "HQP7-1",
                    "name": "Pool house",
                    "links": [{"number": 1}],
                },
                *(
                    [
                        {
                            "serial": GARAGE,
                            "model": "HQP7-1",
                            "name": "Garage",
                            "links": [{"number": 1}],
                        }
                    ]
                    if processors >= 3
                    else []
                ),
            ],
            "modules": [
                {
                    "serial": HOUSE_PANEL,
                    "name": "House panel",
                    "area": "Kitchen",
                    "link": 1,
                    "address": 1,
                    "zones": ["Island", "Pantry", "Hood", "Counter"],
                },
                {
                    "serial": HALL_PANEL,
                    "name": "Hall panel",
                    "area": "Hall",
                    "link": 2,
                    "address": 1,
                },
                {
                    "processor": POOL,
                    "serial": POOL_PANEL,
                    "name": "Pool panel",
                    "area": "Pool house",
                    "link": 1,
                    "address": 1,
                    "zones": ["Deck", "Pump", "Heater", "Lights"],
                },
                {
                    "processor": garage,
                    "serial": GARAGE_PANEL,
                    "name": "Garage panel",
                    "area": "Garage",
                    "link": 1,
                    "address": 3,
                },
            ],
            "dimming_modules": [
                {
                    "processor": POOL,
                    "serial": POOL_DIMMER,
                    "name": "Pool dimmer",
                    "area": "Pool house",
                    "link": 1,
                    "address": 4,
                }
            ],
        }
    )


@dataclass
class Served:
    """One processor of the project: its LEAP server, its CA, and a client context its CA signed."""

    serial: str
    server: LeapServer
    credentials: LeapCredentials
    context: ssl.SSLContext
    sessions: list[LeapSession]

    async def open(self) -> LeapSession:
        """Open a raw session to this processor (closed when the project stops)."""
        session = await LeapSession.open(
            self.server.port, self.context, self.server.host
        )
        self.sessions.append(session)
        return session


@contextlib.contextmanager
def allow_processor_hosts() -> Iterator[None]:
    """Let the test reach every processor's loopback address."""
    pytest_socket.socket_allow_hosts([*HOSTS.values(), "127.0.0.1"])
    try:
        yield
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])


@contextlib.asynccontextmanager
async def served_project(
    processors: int, profile: Profile = Profile.FULL, **options: Any
) -> AsyncIterator[tuple[Emulator, dict[str, Served]]]:
    """Serve every processor of `project(processors)` on its own address (ephemeral port), each with its own CA."""
    emulator = Emulator(project(processors))
    served: dict[str, Served] = {}
    try:
        for processor in emulator.description.processors:
            credentials = LeapCredentials.generate(processor.serial)
            server = LeapServer(
                emulator,
                credentials,
                HOSTS[processor.serial],
                0,
                profile=profile,
                this_processor=processor.serial,
                **options,
            )
            await server.start()
            context = credentials.client_context(*credentials.issue_client())
            served[processor.serial] = Served(
                processor.serial, server, credentials, context, []
            )
        yield emulator, served
    finally:
        for item in served.values():
            for session in item.sessions:
                await session.close()
            await item.server.stop()
        emulator.close()
