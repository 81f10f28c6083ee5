"""The event bus: ordered delivery to every subscriber, and unsubscribing exactly one registration."""

from __future__ import annotations

import logging

import pytest

from custom_components.homeworks_qsx.qsx.events import Event, EventBus, EventKind


def _event(serial: str | None, value: object = None) -> Event:
    return Event(EventKind.ZONE, serial, 1, value)


def test_events_reach_every_subscriber_in_order() -> None:
    """Every subscriber gets every event, in publication order."""
    bus = EventBus()
    first: list[Event] = []
    second: list[Event] = []
    bus.subscribe(first.append)
    bus.subscribe(second.append)
    sent = [_event("A", 1), _event("B", 2), _event(None, 3), _event("A", 4)]
    for event in sent:
        bus.publish(event)
    assert first == sent
    assert second == sent


def test_equal_callables_unsubscribe_only_their_own_registration() -> None:
    """Two equal callables are two registrations; each unsubscribe removes one, once."""
    bus = EventBus()
    got: list[Event] = []
    first = bus.subscribe(got.append)
    bus.subscribe(got.append)  # an equal, separate registration
    first()
    first()  # a second call must not remove the other registration
    bus.publish(_event("A"))
    assert len(got) == 1


def test_failing_subscriber_does_not_stop_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A subscriber that raises is logged and the others still get the event."""
    bus = EventBus()
    got: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("broken subscriber")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    with caplog.at_level(logging.ERROR):
        bus.publish(_event("A"))
    assert len(got) == 1
    assert "Subscriber" in caplog.text
