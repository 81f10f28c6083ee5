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
    BUTTON = "button"  # a module: zone: the Button (1..5), value: None (a local press, M8); a keypad: zone: the
    # button's number, value: ButtonAction (LP38)
    LEVEL = "level"  # zone: a level output (dimmed, shade); value: float (0..100)
    TILT = "tilt"  # zone: a SHADE_WITH_TILT output; value: float (0..100)
    INDICATOR = "indicator"  # zone: a keypad LED's number; value: LedState (LP41, LP42)
    OCCUPANCY = "occupancy"  # zone: None; value: bool (occupied)
    TIMECLOCK = "timeclock"  # zone: None; value: bool (enabled)
    PROCESSOR = "processor"  # serial: a processor's; zone: None; value: bool (on the network, LP53)
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

    One small object per subscription (rather than closures and their cells).
    """

    __slots__ = ("_callback", "_callbacks")

    def __init__(self, callbacks: list[T], callback: T) -> None:
        self._callbacks: list[T] | None = callbacks
        self._callback = callback

    def __call__(self) -> None:
        callbacks = self._callbacks
        if callbacks is None:
            return
        self._callbacks = None
        for index, registered in enumerate(callbacks):
            if registered is self._callback:
                del callbacks[index]
                break


def make_unsubscribe[T](callbacks: list[T], callback: T) -> Unsubscribe:
    """Return a callable that removes this one registration, once, by identity.

    Equal callables (two bound methods of one object) may be registered twice; each unsubscribe removes its own.
    """
    return _Registration(callbacks, callback)


class EventBus:
    """Synchronous publish/subscribe: every event reaches every subscriber, in publication order.

    A system has one bus, its source's (the emulator's, or the client's on a live system); a backend hands it on
    as its own. Reaching the entities of one device is the Home Assistant layer's router's job (one index per
    entry). A subscriber that raises is logged and does not stop delivery to the others.
    """

    __slots__ = ("_all",)

    def __init__(self) -> None:
        """Create a bus with no subscribers."""
        self._all: list[EventCallback] = []

    def subscribe(self, callback: EventCallback) -> Unsubscribe:
        """Receive every event; returns the callable that unsubscribes."""
        self._all.append(callback)
        return make_unsubscribe(self._all, callback)

    def publish(self, event: Event) -> None:
        """Deliver `event` to every subscriber."""
        for callback in list(self._all):
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("Subscriber %r failed on %s", callback, event)
