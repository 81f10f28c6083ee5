"""The client's model of a live system, kept current from LIP reports.

A live processor reports zone and CCO levels, CCI contacts and LED states; the rest of a module's state is derived
from them (lip.md, DEVICE): Prog LED off = no power, rapid flash with the CCI open = manual override, flash =
program mode; scrolling zone LEDs (reported as flash) = no link. What a live processor cannot tell (relay
operation counts, temperature) stays None. Every real change is published as an `Event`, as the emulator does.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Final

from ..const import Button, ButtonAction, LedState
from ..errors import UnknownObjectError
from ..events import Event, EventBus, EventKind
from ..model import (
    DeviceDescription,
    DeviceKind,
    DeviceState,
    OutputRef,
    SystemDescription,
    ZoneDescription,
    new_device_state,
)
from .protocol import (
    ACTION_HOLD,
    ACTION_LED_STATE,
    ACTION_MULTI_TAP,
    ACTION_PRESS,
    ACTION_RELEASE,
    CCI_CLOSED,
    CCI_COMPONENT,
    CCI_OPEN,
    LED_COMPONENT_BASE,
    MAX_BUTTON_COMPONENT,
    OCCUPIED,
    PROG_LED,
    VACANT,
    DeviceReport,
    GroupReport,
    OutputReport,
)

_LOGGER = logging.getLogger(__name__)

# H3: `~DEVICE` actions of a keypad button as the events they are.
BUTTON_EVENTS: Final = {
    ACTION_PRESS: ButtonAction.PRESS,
    ACTION_RELEASE: ButtonAction.RELEASE,
    ACTION_HOLD: ButtonAction.LONG_PRESS,
    ACTION_MULTI_TAP: ButtonAction.MULTI_TAP,
}


class SystemTracker:
    """A `SystemDescription` and one `DeviceState` per device, updated by reports, publishing changes."""

    def __init__(self, events: EventBus) -> None:
        """Publish changes on `events`."""
        self._events = events
        self._description: SystemDescription | None = None
        self._states: dict[str, DeviceState] = {}
        self._occupancy_groups: Mapping[int, tuple[str, ...]] = {}

    @property
    def description(self) -> SystemDescription:
        """The system as last read from the processor's database."""
        if self._description is None:
            raise UnknownObjectError("The system database has not been read yet")
        return self._description

    @property
    def loaded(self) -> bool:
        """Whether a description has been loaded."""
        return self._description is not None

    def state(self, serial: str) -> DeviceState:
        """Return the live state of a device; `UnknownObjectError` if there is none with this serial."""
        try:
            return self._states[serial]
        except KeyError:
            raise UnknownObjectError(f"No device has serial {serial}") from None

    def device(self, serial: str) -> DeviceDescription:
        """Return the description of a device; `UnknownObjectError` if unknown."""
        return self.description.device(serial)

    def output(self, integration_id: int) -> OutputRef | None:
        """Return what an OUTPUT id designates, or None (also before the database is read)."""
        if self._description is None:
            return None
        return self._description.output(integration_id)

    @property
    def occupancy_groups(self) -> Mapping[int, tuple[str, ...]]:
        """Each area's occupancy group number and the serials of the sensors in that area (H6)."""
        return self._occupancy_groups

    def set_description(
        self,
        description: SystemDescription,
        occupancy_groups: Mapping[int, tuple[str, ...]] | None = None,
    ) -> None:
        """Adopt a (new) description; devices added, removed or changed are published after the first one."""
        previous = self._description
        self._description = description
        self._occupancy_groups = occupancy_groups or {}
        old = {device.serial: device for device in previous.devices} if previous else {}
        new = {device.serial: device for device in description.devices}
        for serial, device in old.items():
            if serial not in new:
                del self._states[serial]
                self._publish(EventKind.DEVICE_REMOVED, serial, value=device)
        for serial, device in new.items():
            if serial not in self._states:
                self._states[serial] = new_device_state(device, live=True)
                if previous is not None:
                    self._publish(EventKind.DEVICE_ADDED, serial, value=device)
            elif old[serial] != device:
                self._publish(EventKind.DEVICE_CHANGED, serial, value=device)

    def apply_output(self, report: OutputReport) -> OutputRef | None:
        """Apply a `~OUTPUT` level; returns what it designates (None: unknown id, ignored)."""
        ref = self.output(report.integration_id)
        if ref is None:
            _LOGGER.debug("Level of unknown output %s ignored", report.integration_id)
            return None
        on = report.level > 0
        number = ref.device.cco.number if ref.zone is None else ref.zone
        output = ref.device.output(number)
        if isinstance(output, ZoneDescription) and output.has_level:
            # H1: a dimmed zone's or a shade's level.
            level = min(max(report.level, 0.0), 100.0)
            if self._states[ref.serial].set_output_level(number, level):
                self._publish(EventKind.LEVEL, ref.serial, number, level)
            return ref
        if self._states[ref.serial].set_output_on(number, on):
            kind = EventKind.CCO if ref.zone is None else EventKind.ZONE
            self._publish(kind, ref.serial, ref.zone, on)
        return ref

    def _device_serial(self, integration_id: int) -> str | None:
        if self._description is None:
            return None
        try:
            return self._description.device_by_integration_id(integration_id).serial
        except UnknownObjectError:
            return None

    def apply_device(self, report: DeviceReport) -> str | None:
        """Apply a `~DEVICE` report of one of our modules; returns its serial (None: not ours, ignored)."""
        serial = self._device_serial(report.integration_id)
        if serial is None:
            _LOGGER.debug("Report of unknown device %s ignored", report.integration_id)
            return None
        state = self._states[serial]
        component, action = report.component, report.action
        device = self.description.device(serial)
        if device.kind is DeviceKind.KEYPAD:
            self._apply_keypad(device, state, report)
            return serial
        if device.kind is not DeviceKind.SWITCHING_MODULE:
            _LOGGER.debug("Report %s of device %s ignored", report, serial)
            return serial
        if Button.ZONE_1 <= component <= Button.PROG and action == ACTION_PRESS:
            self._publish(EventKind.BUTTON, serial, component)
        elif component == CCI_COMPONENT and action in (CCI_CLOSED, CCI_OPEN):
            cci_open = action == CCI_OPEN
            if state.cci_open != cci_open:
                state.cci_open = cci_open
                self._publish(EventKind.CCI, serial, value=cci_open)
            self._derive(serial, state)
        elif (
            LED_COMPONENT_BASE < component <= PROG_LED
            and action == ACTION_LED_STATE
            and report.params
        ):
            self._apply_led(
                serial, state, component - LED_COMPONENT_BASE, report.params[0]
            )
        else:
            _LOGGER.debug("Report %s of module %s ignored", report, serial)
        return serial

    def _apply_keypad(
        self, device: DeviceDescription, state: DeviceState, report: DeviceReport
    ) -> None:
        """Apply a keypad's button event (H3) or LED state (H5); anything else is ignored."""
        component, action = report.component, report.action
        number = component - LED_COMPONENT_BASE
        if (
            action == ACTION_LED_STATE
            and report.params
            and 1 <= number <= MAX_BUTTON_COMPONENT
            and number in state.indicators
        ):
            try:
                led = LedState(report.params[0])
            except ValueError:
                _LOGGER.debug("Unknown LED state in %s ignored", report)
                return
            if state.indicators[number] is not led:
                state.indicators[number] = led
                self._publish(EventKind.INDICATOR, device.serial, number, led)
            return
        event = BUTTON_EVENTS.get(action)
        if event is not None and any(
            button.number == component for button in device.buttons
        ):
            self._publish(EventKind.BUTTON, device.serial, component, event)
            return
        _LOGGER.debug("Report %s of keypad %s ignored", report, device.serial)

    def apply_group(self, report: GroupReport) -> tuple[str, ...]:
        """Apply a `~GROUP` occupancy state to the sensors of its area (H6); returns their serials."""
        serials = self._occupancy_groups.get(report.integration_id, ())
        occupied = {OCCUPIED: True, VACANT: False}.get(report.state)
        for serial in serials:
            state = self._states.get(serial)
            if state is None or state.occupied == occupied:
                continue
            state.occupied = occupied
            if occupied is not None:
                self._publish(EventKind.OCCUPANCY, serial, value=occupied)
        return serials

    def _apply_led(
        self, serial: str, state: DeviceState, number: int, value: int
    ) -> None:
        try:
            led = LedState(value)
        except ValueError:
            _LOGGER.debug("Unknown LED state %s of module %s ignored", value, serial)
            return
        if number == PROG_LED - LED_COMPONENT_BASE:
            if state.prog_led is not led:
                state.prog_led = led
                self._publish(EventKind.LED, serial, None, led)
        elif state.zone_leds[number - 1] is not led:
            state.zone_leds[number - 1] = led
            self._publish(EventKind.LED, serial, number, led)
        self._derive(serial, state)

    def _derive(self, serial: str, state: DeviceState) -> None:
        """Recompute power, override, program mode and link from the LEDs and the CCI; publish changes."""
        mode = state.mode
        powered = state.prog_led is not LedState.OFF
        changes: list[tuple[EventKind, bool]] = []
        if powered != state.powered:
            state.powered = powered
            changes.append((EventKind.POWER, powered))
        if powered:  # without power every LED is off: the last known link, override and program stay
            override = state.cci_open and state.prog_led is LedState.RAPID_FLASH
            program = state.prog_led is LedState.FLASH
            link_up = LedState.FLASH not in state.zone_leds
            for kind, attribute, value in (
                (EventKind.OVERRIDE, "override_active", override),
                (EventKind.LINK, "link_up", link_up),
                (EventKind.PROGRAM, "program_mode", program),
            ):
                if getattr(state, attribute) != value:
                    setattr(state, attribute, value)
                    changes.append((kind, value))
        for kind, value in changes:
            self._publish(kind, serial, value=value)
        if state.mode is not mode:
            self._publish(EventKind.MODE, serial, value=state.mode)

    def _publish(
        self,
        kind: EventKind,
        serial: str,
        zone: int | None = None,
        value: object = None,
    ) -> None:
        self._events.publish(Event(kind, serial, zone, value))
