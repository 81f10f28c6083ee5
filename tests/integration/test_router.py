"""The entity router: each event to the entities of its module, the connection to every entity."""

from __future__ import annotations

from custom_components.homeworks_qsx.qsx.events import Event, EventKind
from custom_components.homeworks_qsx.router import EntityRouter

FIRST = "10000001"
SECOND = "10000002"


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


def _serials(target: Target) -> list[str | None]:
    return [event.serial for event in target.events]


def test_events_reach_the_entities_of_their_module() -> None:
    """A module's entities get its events; an entity of every event gets them all; everyone gets the connection."""
    router = EntityRouter()
    of_first, of_second, of_all = Target(), Target(), Target()
    router.add(of_first, FIRST)
    router.add(of_second, SECOND)
    router.add(of_all, None)
    router.async_deliver_event(Event(EventKind.ZONE, FIRST, zone=1, value=True))
    router.async_deliver_event(Event(EventKind.ZONE, SECOND, zone=2, value=True))
    router.async_deliver_event(Event(EventKind.MODE, None))
    assert _serials(of_first) == [FIRST]
    assert _serials(of_second) == [SECOND]
    assert _serials(of_all) == [FIRST, SECOND, None]
    router.async_deliver_connection()
    assert (of_first.connections, of_second.connections, of_all.connections) == (
        1,
        1,
        1,
    )


def test_removed_entities_get_nothing() -> None:
    """Removing twice is harmless; a removed entity gets nothing more, and adding it again works."""
    router = EntityRouter()
    target, other = Target(), Target()
    router.add(target, FIRST)
    router.add(other, None)
    router.remove(target, FIRST)
    router.remove(target, FIRST)
    router.remove(other, None)
    router.async_deliver_event(Event(EventKind.ZONE, FIRST, zone=1, value=True))
    router.async_deliver_connection()
    assert target.events == other.events == []
    assert target.connections == other.connections == 0
    router.add(target, FIRST)
    router.async_deliver_event(Event(EventKind.ZONE, FIRST, zone=1, value=False))
    assert _serials(target) == [FIRST]
