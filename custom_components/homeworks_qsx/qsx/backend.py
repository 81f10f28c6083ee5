"""The one interface the integration uses, whatever stands behind it: the emulator, or a live processor.

`EmulatedBackend` (in `emulated_backend.py`) runs an `Emulator` in-process; `LipBackend` (in
`lip/backend.py`) and `LeapBackend` (in `leap/backend.py`) talk to a processor over the Lutron Integration
Protocol or LEAP, on the shared `LiveBackend` below. Each keeps a `SystemDescription` and
one `DeviceState` per device, publishes `Event`s when anything changes, and reports its connection state; a live
processor also reports when it refuses the stored credentials on a reconnection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from .const import Button, Fault, Gesture, ShadeMove
from .errors import NotSupportedError
from .events import EventBus, EventCallback, Unsubscribe, make_unsubscribe
from .model import Capability, DeviceState, SystemDescription

if TYPE_CHECKING:
    from .connection import Endpoint  # which imports this module's callback types

type ConnectionCallback = Callable[[bool], None]
type CredentialsRejectedCallback = Callable[[], None]
type ProjectChangedCallback = Callable[[], None]


EVERYTHING_BUT_SIMULATION: Final = frozenset(Capability) - {Capability.SIMULATION}


class QsxBackend(ABC):
    """A HomeWorks QSX system as the integration sees it.

    Commands return once the module has reported the resulting state. A command the module ignores (override, no
    power, no link, bypass) raises `CommandIgnoredError` with the reason, and the state stays the real one.
    """

    supports_simulation: bool = False
    capabilities: frozenset[Capability] = EVERYTHING_BUT_SIMULATION

    def unsupported_reason(self, capability: Capability) -> str | None:
        """Why this backend cannot do `capability` (a sentence fit for a user), or None when it can."""
        if capability in self.capabilities:
            return None
        if capability is Capability.SIMULATION:
            return "Simulation is only possible on an emulated system"
        return (
            f"This backend cannot report or drive {capability.value.replace('_', ' ')}"
        )

    def __init__(self, events: EventBus | None = None) -> None:
        """Publish changes on `events` (the bus of the system behind the backend), or on a bus of its own."""
        self.events = events if events is not None else EventBus()
        self._connection_callbacks: list[ConnectionCallback] = []
        self._credentials_callbacks: list[CredentialsRejectedCallback] = []
        self._project_callbacks: list[ProjectChangedCallback] = []
        self._connected = False

    @property
    @abstractmethod
    def description(self) -> SystemDescription:
        """The system as it is now (devices may be added or removed while running)."""

    @abstractmethod
    def device_state(self, serial: str) -> DeviceState:
        """Return the live state of one device (read it, never change it); `UnknownObjectError` if unknown."""

    @property
    def connected(self) -> bool:
        """Whether states are current (the emulator: always once started; a live processor: while linked)."""
        return self._connected

    def subscribe(self, callback: EventCallback) -> Unsubscribe:
        """Receive every change event."""
        return self.events.subscribe(callback)

    def subscribe_connection(self, callback: ConnectionCallback) -> Unsubscribe:
        """Receive True when the connection is (re)established with fresh states, False when it is lost."""
        self._connection_callbacks.append(callback)
        return make_unsubscribe(self._connection_callbacks, callback)

    def subscribe_credentials_rejected(
        self, callback: CredentialsRejectedCallback
    ) -> Unsubscribe:
        """Receive a call when the processor refuses the stored credentials on a reconnection.

        The connection was lost before (False was reported); the backend no longer tries to reconnect, so only new
        credentials (a new backend) bring it back. The emulator never refuses: it never calls back.
        """
        self._credentials_callbacks.append(callback)
        return make_unsubscribe(self._credentials_callbacks, callback)

    def subscribe_project_changed(
        self, callback: ProjectChangedCallback
    ) -> Unsubscribe:
        """Receive a call when a reconnection finds the processor's project changed (areas, zones, names).

        The description has then been replaced (modules added, removed or changed were published as events); the
        entities made from the old one may be stale, so the application asks for a reload. The emulator never calls
        back; the LIP backend reports it through `description.database_date` instead.
        """
        self._project_callbacks.append(callback)
        return make_unsubscribe(self._project_callbacks, callback)

    def _project_changed(self) -> None:
        for callback in list(self._project_callbacks):
            callback()

    def _set_connected(self, connected: bool) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        for callback in list(self._connection_callbacks):
            callback(connected)

    def _credentials_rejected(self) -> None:
        for callback in list(self._credentials_callbacks):
            callback()

    @abstractmethod
    async def async_start(self) -> None:
        """Connect (or start) and read every state; raises `ConnectionFailedError` or `AuthenticationError`."""

    async def async_wait_subscribed(self) -> None:
        """Return once every event the backend can hear reaches its subscribers (LP39); at once where nothing waits.

        `ConnectionFailedError` when the connection is lost first.
        """

    @abstractmethod
    async def async_stop(self) -> None:
        """Disconnect (or stop): cancel every task and timer, close every socket."""

    @abstractmethod
    async def async_set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch output `zone` (a zone 1..4 of a module, any output numbered among an area group's zones) of `serial`."""

    @abstractmethod
    async def async_set_cco(self, serial: str, closed: bool) -> None:
        """Close (energise) or open a maintained CCO; on a momentary CCO, closing starts a pulse."""

    @abstractmethod
    async def async_pulse_cco(self, serial: str, seconds: float | None = None) -> None:
        """Close the CCO for `seconds` (default: the module's pulse time), then open it."""

    @abstractmethod
    async def async_press_button(self, serial: str, button: Button) -> None:
        """Press a button on the module (M8)."""

    async def async_set_level(
        self, serial: str, output: int, level: float, fade_seconds: float | None = None
    ) -> None:
        """Set level output `output` (dimmed: brightness; shade: percent open) to `level` 0..100.

        `fade_seconds`: a dimmed zone's fade (None: the processor's default, LP26); ignored by shades.
        """
        raise NotSupportedError(self._unsupported(Capability.LEVELS))

    async def async_set_tilt(self, serial: str, output: int, tilt: float) -> None:
        """Set the tilt (0..100) of a `SHADE_WITH_TILT` output."""
        raise NotSupportedError(self._unsupported(Capability.LEVELS))

    async def async_move_shade(self, serial: str, output: int, move: ShadeMove) -> None:
        """Raise, lower or stop a shade output (LP31); a client follows every raise or lower with a stop (LP33)."""
        raise NotSupportedError(self._unsupported(Capability.LEVELS))

    async def async_press_keypad_button(
        self, serial: str, button: int, gesture: Gesture = Gesture.TAP
    ) -> None:
        """Press keypad button `button` (its position) as a person would (LP40): it runs the button's programming."""
        raise NotSupportedError(self._unsupported(Capability.KEYPAD))

    async def async_set_indicator(self, serial: str, number: int, on: bool) -> None:
        """Turn keypad LED `number` on or off (LP41); programming may override it later (LP42)."""
        raise NotSupportedError(self._unsupported(Capability.INDICATORS))

    async def async_set_timeclock(self, serial: str, enabled: bool) -> None:
        """Enable or disable a timeclock (LP46); a disabled timeclock runs none of its events."""
        raise NotSupportedError(self._unsupported(Capability.TIMECLOCK))

    def _unsupported(self, capability: Capability) -> str:
        return self.unsupported_reason(capability) or (
            f"This backend cannot drive {capability.value.replace('_', ' ')} yet"
        )

    async def async_simulate(
        self, serial: str, fault: Fault, value: bool | float
    ) -> None:
        """Simulate a physical condition (emulator only); `NotSupportedError` elsewhere."""
        raise NotSupportedError("Simulation is only possible on an emulated system")

    @abstractmethod
    def diagnostics(self) -> Mapping[str, Any]:
        """Return connection state and counters for a diagnostics download (no credentials)."""


class LiveClient(Protocol):
    """What `LiveBackend` needs of a protocol's client (`LipClient`, `LeapClient`)."""

    events: EventBus

    @property
    def description(self) -> SystemDescription:
        """The system as the processor describes it."""

    @property
    def endpoint(self) -> Endpoint:
        """The processor's endpoint in use (failover: one of several)."""

    def state(self, serial: str, /) -> DeviceState:
        """Return the live state of one device; `UnknownObjectError` if unknown."""

    def subscribe_connection(self, callback: ConnectionCallback, /) -> Unsubscribe:
        """Call `callback(connected)` on each change of the connection."""

    def subscribe_credentials_rejected(
        self, callback: CredentialsRejectedCallback, /
    ) -> Unsubscribe:
        """Call `callback()` when a reconnection is refused for the credentials."""

    async def connect(self) -> None:
        """Connect and read every state."""

    async def close(self) -> None:
        """Disconnect and cancel every task."""

    async def set_zone(self, serial: str, zone: int, on: bool, /) -> None:
        """Switch a zone; returns once the processor reported it."""

    def diagnostics(self) -> Mapping[str, Any]:
        """Return the connection state and counters (no credentials)."""


class LiveBackend[C: LiveClient](QsxBackend):
    """A live processor behind one of the library's clients: the model, events and connection are the client's.

    Args:
        client: the protocol's client, not yet connected (`async_start` connects it).

    """

    def __init__(self, client: C) -> None:
        """Take the client's event bus and connection state as the backend's: its events reach subscribers directly."""
        super().__init__(client.events)
        self.client = client
        client.subscribe_connection(self._set_connected)
        client.subscribe_credentials_rejected(self._credentials_rejected)

    @property
    def description(self) -> SystemDescription:
        """The system as the processor describes it."""
        return self.client.description

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint in use: host, port and, when it was given, the processor's serial.

        While reconnecting: the one being tried. The client stays on it until it fails, then moves to the next one
        that answers.
        """
        return self.client.endpoint

    def device_state(self, serial: str) -> DeviceState:
        """Return the live state of one device; `UnknownObjectError` if unknown."""
        return self.client.state(serial)

    async def async_start(self) -> None:
        """Connect and read every state; `ConnectionFailedError`, `AuthenticationError` or what the protocol adds."""
        await self.client.connect()

    async def async_stop(self) -> None:
        """Disconnect and cancel every task."""
        await self.client.close()

    async def async_set_zone(self, serial: str, zone: int, on: bool) -> None:
        """Switch a zone; returns once the processor reported it."""
        await self.client.set_zone(serial, zone, on)
