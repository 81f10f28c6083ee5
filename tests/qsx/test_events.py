"""The event bus: ordered delivery, per-device subscriptions, and unsubscribing exactly one registration."""

from __future__ import annotations

import logging

import pytest

from custom_components.homeworks_qsx.qsx.events import Event, EventBus, EventKind


def _event(serial: str | None, value: object = None) -> Event:
    return Event(EventKind.ZONE, serial, 1, value)


def test_events_reach_every_subscriber_in_order() -> None:
    """Subscribers to everything get every event; device subscribers get their device's, in order."""
    bus = EventBus()
    everything: list[Event] = []
    device_a: list[Event] = []
    bus.subscribe(everything.append)
    bus.subscribe_device("A", device_a.append)
    sent = [_event("A", 1), _event("B", 2), _event(None, 3), _event("A", 4)]
    for event in sent:
        bus.publish(event)
    assert everything == sent
    assert device_a == [sent[0], sent[3]]


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


def test_device_unsubscribe_is_idempotent_and_forgets_the_device() -> None:
    """Device unsubscribes remove one registration each and drop an emptied device."""
    bus = EventBus()
    got: list[Event] = []
    first = bus.subscribe_device("A", got.append)
    second = bus.subscribe_device("A", got.append)
    first()
    first()
    bus.publish(_event("A"))
    assert len(got) == 1
    second()
    bus.publish(_event("A"))
    assert len(got) == 1
    # A fresh subscription after the device's list was dropped still works.
    bus.subscribe_device("A", got.append)
    bus.publish(_event("A"))
    assert len(got) == 2


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
