"""Delivery of a backend's pushes to the entities of one config entry.

The entry's runtime is the backend's subscriber and hands every change to its router once its own work is done,
so the entities always see a change after the entry has followed it. A large system has thousands of entities: one
registration each (an entry in two dictionaries, no closure, no callback object) keeps set-up fast and memory low,
and an event reaches only the entities of its module.
"""

from __future__ import annotations

from typing import Protocol

from .qsx import Event


class PushTarget(Protocol):
    """An entity that the router keeps current."""

    def async_push_event(self, event: Event) -> None:
        """Take one change event."""

    def async_push_connection(self) -> None:
        """Take a change of the connection (lost, or back with fresh states)."""


class EntityRouter:
    """Fans events and connection changes out to registered entities."""

    def __init__(self) -> None:
        """Start with no entity registered."""
        self._targets: dict[PushTarget, None] = {}  # every registered entity, in order
        self._by_serial: dict[str, dict[PushTarget, None]] = {}
        self._everything: dict[PushTarget, None] = {}  # entities that see every event

    def add(self, target: PushTarget, serial: str | None) -> None:
        """Deliver the events of module `serial` (every event when None) and the connection to `target`."""
        self._targets[target] = None
        if serial is None:
            self._everything[target] = None
        else:
            self._by_serial.setdefault(serial, {})[target] = None

    def remove(self, target: PushTarget, serial: str | None) -> None:
        """Stop delivering to `target` (harmless if it was not registered)."""
        self._targets.pop(target, None)
        if serial is None:
            self._everything.pop(target, None)
        elif (targets := self._by_serial.get(serial)) is not None:
            targets.pop(target, None)
            if not targets:
                del self._by_serial[serial]

    def async_deliver_event(self, event: Event) -> None:
        """Give `event` to the entities of its module, then to those that see every event."""
        if event.serial is not None and (targets := self._by_serial.get(event.serial)):
            for target in list(targets):
                target.async_push_event(event)
        for target in list(self._everything):
            target.async_push_event(event)

    def async_deliver_connection(self) -> None:
        """Tell every entity that the connection changed."""
        for target in list(self._targets):
            target.async_push_connection()
