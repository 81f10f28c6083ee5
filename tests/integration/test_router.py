"""The entity router: one subscription to the backend, each event to the entities of its module."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from custom_components.homeworks_qsx.qsx.clock import ManualScheduler
from custom_components.homeworks_qsx.qsx.description import build_description
from custom_components.homeworks_qsx.qsx.emulated_backend import EmulatedBackend
from custom_components.homeworks_qsx.qsx.emulator import Emulator
from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.router import EntityRouter


class Target:
    """Records what the router delivers."""

    def __init__(self) -> None:
        """Start with nothing delivered."""
        self.events: list[Event] = []
        self.connections = 0

    def async_push_event(self, event: Event) -> None:
        """Record an event."""
        self.events.append(event)

    def async_push_connection(self) -> None:
        """Count a connection change."""
        self.connections += 1


@pytest.fixture
def backend() -> Generator[EmulatedBackend]:
    """Return an emulated backend of two modules."""
    emulator = Emulator(build_description([2]), scheduler=ManualScheduler())
    yield EmulatedBackend(emulator)
    emulator.close()


def _zones(target: Target) -> list[str | None]:
    return [event.serial for event in target.events if event.kind is EventKind.ZONE]


async def test_events_reach_the_entities_of_their_module(
    backend: EmulatedBackend,
) -> None:
    """A module's entities get its events; an entity of every event gets them all, and the connection."""
    first, second = (module.serial for module in backend.description.modules)
    await backend.async_start()
    router = EntityRouter(backend)
    of_first, of_second, of_all = Target(), Target(), Target()
    router.add(of_first, first)
    router.add(of_second, second)
    router.add(of_all, None)
    await backend.async_set_zone(first, 1, True)
    await backend.async_set_zone(second, 2, True)
    assert _zones(of_first) == [first]
    assert _zones(of_second) == [second]
    assert _zones(of_all) == [first, second]
    await backend.async_stop()
    assert (of_first.connections, of_second.connections, of_all.connections) == (
        1,
        1,
        1,
    )


async def test_the_last_entity_out_unsubscribes(backend: EmulatedBackend) -> None:
    """Removing twice is harmless; once every entity is gone nothing is delivered, and adding again works."""
    serial = backend.description.modules[0].serial
    router = EntityRouter(backend)
    target, other = Target(), Target()
    router.add(target, serial)
    router.add(other, None)
    router.remove(target, serial)
    router.remove(target, serial)
    router.remove(other, None)
    await backend.async_set_zone(serial, 1, True)
    assert target.events == other.events == []
    router.add(target, serial)
    await backend.async_set_zone(serial, 1, False)
    assert _zones(target) == [serial]
