"""Delivery of a backend's pushes to the entities of one config entry, through one subscription for them all.

A large system has thousands of entities: one registration each (an entry in two dictionaries, no closure, no
callback object) keeps set-up fast and memory low, and an event reaches only the entities of its module.
"""

from __future__ import annotations

from typing import Protocol

from homeassistant.helpers.device_registry import DeviceInfo

from .qsx.backend import QsxBackend
from .qsx.events import Event, Unsubscribe
from .qsx.model import ModuleDescription


class PushTarget(Protocol):
    """An entity that the router keeps current."""

    def async_push_event(self, event: Event) -> None:
        """Take one change event."""

    def async_push_connection(self) -> None:
        """Take a change of the connection (lost, or back with fresh states)."""


class EntityRouter:
    """Fans a backend's events and connection changes out to registered entities.

    It subscribes to the backend while at least one entity is registered, after the entry's coordinator
    (which therefore sees each change first).
    """

    def __init__(self, backend: QsxBackend) -> None:
        """Route the pushes of `backend`."""
        self._backend = backend
        self._targets: dict[PushTarget, None] = {}  # every registered entity, in order
        self._by_serial: dict[str, dict[PushTarget, None]] = {}
        self._everything: dict[PushTarget, None] = {}  # entities that see every event
        self._unsubscribes: list[Unsubscribe] = []
        # One device description per module, shared by the module's entities, and one for the processor's.
        self.device_infos: dict[str, tuple[ModuleDescription, DeviceInfo]] = {}
        self.processor_device_info: DeviceInfo | None = None

    def add(self, target: PushTarget, serial: str | None) -> None:
        """Deliver the events of module `serial` (every event when None) and the connection to `target`."""
        if not self._targets:
            self._unsubscribes = [
                self._backend.subscribe(self._handle_event),
                self._backend.subscribe_connection(self._handle_connection),
            ]
        self._targets[target] = None
        if serial is None:
            self._everything[target] = None
        else:
            self._by_serial.setdefault(serial, {})[target] = None

    def remove(self, target: PushTarget, serial: str | None) -> None:
        """Stop delivering to `target`; the last one out unsubscribes from the backend."""
        self._targets.pop(target, None)
        if serial is None:
            self._everything.pop(target, None)
        elif (targets := self._by_serial.get(serial)) is not None:
            targets.pop(target, None)
            if not targets:
                del self._by_serial[serial]
        if not self._targets:
            for unsubscribe in self._unsubscribes:
                unsubscribe()
            self._unsubscribes = []

    def _handle_event(self, event: Event) -> None:
        if event.serial is not None and (targets := self._by_serial.get(event.serial)):
            for target in list(targets):
                target.async_push_event(event)
        for target in list(self._everything):
            target.async_push_event(event)

    def _handle_connection(self, _connected: bool) -> None:
        for target in list(self._targets):
            target.async_push_connection()
