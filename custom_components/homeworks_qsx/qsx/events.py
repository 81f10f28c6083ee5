"""Change events and the bus that delivers them, in order, to subscribers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import logging
from typing import Any

_LOGGER = logging.getLogger(__name__)


class EventKind(StrEnum):
    """What changed, with one payload per kind.

    The payload is written beside each kind: `zone` (the number of the output, button or LED of the device it
    concerns; None when it concerns the device as a whole) and `value`.
    """

    ZONE = "zone"  # zone: an output among the zones (a switched zone, an area's CCO zone); value: bool (on)
    RELAY_COUNT = "relay_count"  # zone: the zone (1..4); value: int (relay operations)
    CCI = "cci"  # zone: None (the module's one input); value: bool (open)
    OVERRIDE = "override"  # zone: None; value: bool (manual override active)
    CCO = "cco"  # zone: None (the module's own CCO); value: bool (closed)
    LED = "led"  # zone: the zone (1..4) of a zone LED, None for the Prog LED; value: LedState
    MODE = "mode"  # zone: None; value: OperatingMode
    POWER = "power"  # zone: None; value: bool (powered)
    LINK = "link"  # zone: None; value: bool (link up)
    BYPASS = "bypass"  # zone: None; value: bool (jumper installed)
    PROGRAM = "program"  # zone: None; value: bool (program mode)
    TEMPERATURE = "temperature"  # zone: None; value: float (°C)
    BUTTON = "button"  # zone: the Button (1..5); value: None; a local press (M8)
    DEVICE_ADDED = "device_added"  # zone: None; value: DeviceDescription
    DEVICE_REMOVED = "device_removed"  # zone: None; value: DeviceDescription
    DEVICE_CHANGED = (
        "device_changed"  # zone: None; value: DeviceDescription (settings changed)
    )


@dataclass(frozen=True, slots=True)
class Event:
    """One change on one device (`serial`), or on the system when `serial` is None.

    `zone` is the number of the output, input, button or LED the change concerns (see `EventKind`), None when it
    concerns the device as a whole.
    """

    kind: EventKind
    serial: str | None
    zone: int | None = None
    value: Any = None


type EventCallback = Callable[[Event], None]
type Unsubscribe = Callable[[], None]


class _Registration[T]:
    """The callable that removes one registration, once, by identity.

    One small object per subscription (rather than closures and their cells): an integration subscribes
    thousands of entities.
    """

    __slots__ = ("_callback", "_callbacks", "_key", "_on_empty")

    def __init__(
        self,
        callbacks: list[T],
        callback: T,
        on_empty: Callable[[str, list[T]], None] | None = None,
        key: str = "",
    ) -> None:
        self._callbacks: list[T] | None = callbacks
        self._callback = callback
        self._on_empty = on_empty  # called with `key` once the list is empty
        self._key = key

    def __call__(self) -> None:
        callbacks = self._callbacks
        if callbacks is None:
            return
        self._callbacks = None
        for index, registered in enumerate(callbacks):
            if registered is self._callback:
                del callbacks[index]
                break
        if not callbacks and self._on_empty is not None:
            self._on_empty(self._key, callbacks)


def make_unsubscribe[T](callbacks: list[T], callback: T) -> Unsubscribe:
    """Return a callable that removes this one registration, once, by identity.

    Equal callables (two bound methods of one object) may be registered twice; each unsubscribe removes its own.
    """
    return _Registration(callbacks, callback)


class EventBus:
    """Synchronous publish/subscribe: every event reaches every subscriber, in publication order.

    Subscribers to one device (`subscribe_device`) get only that device's events. A subscriber that raises is
    logged and does not stop delivery to the others.
    """

    __slots__ = ("_all", "_by_device")

    def __init__(self) -> None:
        """Create a bus with no subscribers."""
        self._all: list[EventCallback] = []
        self._by_device: dict[str, list[EventCallback]] = {}

    def subscribe(self, callback: EventCallback) -> Unsubscribe:
        """Receive every event; returns the callable that unsubscribes."""
        self._all.append(callback)
        return make_unsubscribe(self._all, callback)

    def subscribe_device(self, serial: str, callback: EventCallback) -> Unsubscribe:
        """Receive the events of one device; returns the callable that unsubscribes."""
        callbacks = self._by_device.setdefault(serial, [])
        callbacks.append(callback)
        return _Registration(callbacks, callback, self._forget_device, serial)

    def _forget_device(self, serial: str, callbacks: list[EventCallback]) -> None:
        """Drop a device's emptied list of subscribers (unless it was replaced since)."""
        if self._by_device.get(serial) is callbacks:
            del self._by_device[serial]

    def publish(self, event: Event) -> None:
        """Deliver `event` to the subscribers of everything, then to those of its device."""
        targets = list(self._all)
        if event.serial is not None and (device := self._by_device.get(event.serial)):
            targets.extend(device)
        for callback in targets:
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("Subscriber %r failed on %s", callback, event)
