"""What each LIP command does to the emulator, and what it answers (lip.md).

`CommandProcessor.execute` runs one parsed `#`/`?` line and returns the reply lines for the session that sent
it. The reports that changes cause are `event_reports` (`reports.py`); the network side (sessions, prompts,
broadcast) lives in `server.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Final

from ...clock import TimerHandle
from ...const import (
    MAX_PULSE_SECONDS,
    MIN_PULSE_SECONDS,
    MODULE_FAMILY,
    MODULE_MODEL,
    ZONES_PER_MODULE,
    Button,
    Fault,
    Gesture,
    IgnoredReason,
    ShadeMove,
)
from ...errors import UnknownObjectError
from ...lip.protocol import (
    ACTION_CCI_STATE,
    ACTION_HOLD,
    ACTION_LED_STATE,
    ACTION_LOWER,
    ACTION_MULTI_TAP,
    ACTION_OCCUPANCY_STATE,
    ACTION_PRESS,
    ACTION_PULSE,
    ACTION_RAISE,
    ACTION_RELEASE,
    ACTION_SET_LEVEL,
    ACTION_STOP,
    CCI_CLOSED,
    CCI_COMPONENT,
    CCI_OPEN,
    EMULATOR_FALSE,
    EMULATOR_GESTURES,
    EMULATOR_LEVEL,
    EMULATOR_NETWORK,
    EMULATOR_OCCUPANCY,
    EMULATOR_TEMPERATURE,
    EMULATOR_TRUE,
    EMULATOR_WORDS,
    LED_COMPONENT_BASE,
    MAX_BUTTON_COMPONENT,
    MAX_MONITORING_TYPE,
    OCCUPANCY_UNKNOWN,
    OCCUPIED,
    PROG_LED,
    VACANT,
    ErrorCode,
    LipError,
    Message,
    Monitoring,
    Operation,
    device_report,
    group_report,
    output_report,
    parse_decimal,
    parse_duration,
    parse_int,
)
from ...model import (
    DeviceDescription,
    DeviceKind,
    ProcessorDescription,
    ZoneDescription,
)
from .. import Emulator
from .dbxml_build import area_index, device_type

_LOGGER = logging.getLogger(__name__)

PROCESSOR_FAMILY: Final = "HOMEWORKS_QSX_PROCESSOR"
MODULE_FIRMWARE: Final = "3.012"
BOOT_VERSION: Final = "1.003"
HARDWARE_VERSION: Final = "1.0"
TEMPERATURE_RANGE_C: Final = (-40.0, 150.0)
LED_ON_OFF: Final = (
    0,
    1,
)  # H5: the states a client may set (LP42: the emulator drives only On and Off)
_MOVES: Final = {
    ACTION_RAISE: ShadeMove.RAISE,
    ACTION_LOWER: ShadeMove.LOWER,
    ACTION_STOP: ShadeMove.STOP,
}
_KEYPAD_GESTURES: Final = {
    ACTION_PRESS: Gesture.TAP,
    ACTION_RELEASE: Gesture.RELEASE,
    ACTION_HOLD: Gesture.HOLD,
    ACTION_MULTI_TAP: Gesture.DOUBLE_TAP,
}
_COMMAND_HELP: Final = (
    "#OUTPUT,<id>,1,<level>[,<fade>[,<delay>]]  ?OUTPUT,<id>[,1]  #OUTPUT,<cco id>,6[,<seconds>]",
    "#OUTPUT,<dimmed or shade id>,<2 raise|3 lower|4 stop>",
    "#DEVICE,<module>,<1-5>,3  ?DEVICE,<module>,11,35  ?DEVICE,<module>,<81-85>,9",
    "#DEVICE,<keypad>,<button>,<3 press|4 release|5 hold|6 double tap>",
    "#DEVICE,<keypad>,<80+button>,9,<0|1>  ?DEVICE,<keypad>,<80+button>,9",
    "#MONITORING,<type>,<1|2>  ?MONITORING,<type>",
    "?SYSTEM,<1|2|8|10>  ?INTEGRATIONID,3,<id>  ?INTEGRATIONID,1,<serial>  ?DETAILS,<id or serial>",
    "?GROUP,<area id>,3",
    "LOGOUT",
)


@dataclass(slots=True)
class Result:
    """What a command answers: reply lines, and outputs whose level the sender must receive.

    The server sends `~OUTPUT` for each of `outputs` unless the change was already reported to the sender while
    the command ran: a command always comes back with the resulting level, also when the module ignored it.
    """

    lines: list[str] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    leds: list[tuple[int, int]] = field(
        default_factory=list
    )  # (keypad id, LED component)


def _count(message: Message, minimum: int, maximum: int | None = None) -> None:
    count = len(message.fields)
    if count < minimum or count > (minimum if maximum is None else maximum):
        raise LipError(
            ErrorCode.PARAMETER_COUNT,
            f"{message.command} takes {minimum} to {maximum} fields",
        )


def _emulator_values(fault: Fault, yes: str, no: str) -> dict[str, bool]:
    """Return the values `#EMULATOR` takes for a fault: its words, 1 and 0, and for the CCI the guide's 4 and 3."""
    values = {yes: True, EMULATOR_TRUE: True, no: False, EMULATOR_FALSE: False}
    if fault is Fault.CCI:
        values |= {str(CCI_OPEN): True, str(CCI_CLOSED): False}
    return values


def _emulator_value(values: dict[str, bool], word: str) -> bool:
    if word.isdigit():
        word = str(int(word))  # leading zeros are ignored
    if word not in values:
        raise LipError(ErrorCode.MALFORMED, f"expected one of {'|'.join(values)}")
    return values[word]


_EMULATOR_WORDS: Final = {
    word: (fault, _emulator_values(fault, yes, no))
    for fault, (word, yes, no) in EMULATOR_WORDS.items()
}
_NETWORK_VALUES: Final = _emulator_values(
    Fault.PROCESSOR, EMULATOR_NETWORK[1], EMULATOR_NETWORK[2]
)
# `?HELP` lists every command and every value `#EMULATOR` accepts, from the tables that define them.
_OCCUPANCY_VALUES: Final = {
    EMULATOR_OCCUPANCY[1]: True,
    EMULATOR_TRUE: True,
    str(OCCUPIED): True,
    EMULATOR_OCCUPANCY[2]: False,
    EMULATOR_FALSE: False,
    str(VACANT): False,
}
HELP_LINES: Final = (
    *_COMMAND_HELP,
    *(
        f"#EMULATOR,<module>,{word},<{'|'.join(values)}>"
        for word, (_, values) in _EMULATOR_WORDS.items()
    ),
    (
        f"#EMULATOR,<module>,{EMULATOR_TEMPERATURE},<celsius, "
        f"{TEMPERATURE_RANGE_C[0]:g} to {TEMPERATURE_RANGE_C[1]:g}>"
    ),
    f"#EMULATOR,<keypad>,<{'|'.join(EMULATOR_GESTURES)}>,<button>",
    f"#EMULATOR,<occupancy sensor>,{EMULATOR_OCCUPANCY[0]},<{'|'.join(_OCCUPANCY_VALUES)}>",
    f"#EMULATOR,<shade or dimming module>,{EMULATOR_LEVEL},<0-100>[,<output>]",
    f"#EMULATOR,<processor>,{EMULATOR_NETWORK[0]},<{'|'.join(_NETWORK_VALUES)}>",
)


def _hex_serial(field_: str) -> str:
    text = field_.removeprefix("0X")
    if not text or len(text) > 8 or any(c not in "0123456789ABCDEF" for c in text):
        raise LipError(ErrorCode.MALFORMED, f"not a serial number: {field_!r}")
    return f"{int(text, 16):08X}"


class CommandProcessor:
    """Runs LIP commands against an `Emulator`.

    Args:
        emulator: the emulated system.
        schedule: run a callback after a delay (`#OUTPUT` with a delay); returns a handle to cancel it.
        this_processor: the serial of the processor whose session runs the commands (its firmware answers
            `?SYSTEM,8`); None: the project's first. Every processor answers for the whole project (LP53).

    Delayed changes: each output keeps at most one pending change, as a processor does. A later command to
    the same output (delayed or not) replaces it, so their number is bounded by the number of outputs. A
    pending change belongs to the processor, not to the session that asked for it: it still runs after that
    session closes.

    """

    def __init__(
        self,
        emulator: Emulator,
        schedule: Callable[[float, Callable[[], None]], TimerHandle],
        *,
        this_processor: str | None = None,
    ) -> None:
        """Serve `emulator`; delayed commands go through `schedule`.

        `UnknownObjectError` when `this_processor` is not a processor of the project.
        """
        self._emulator = emulator
        self.this_processor = (
            emulator.description.processor_by_serial(this_processor).serial
            if this_processor is not None
            else emulator.description.processor.serial
        )
        self._schedule = schedule
        self._pending: dict[int, TimerHandle] = {}  # delayed change per output id
        self._handlers: dict[
            tuple[Operation, str], Callable[[Message, set[int]], Result]
        ] = {
            (Operation.EXECUTE, "OUTPUT"): self._execute_output,
            (Operation.QUERY, "OUTPUT"): self._query_output,
            (Operation.EXECUTE, "DEVICE"): self._execute_device,
            (Operation.QUERY, "DEVICE"): self._query_device,
            (Operation.EXECUTE, "MONITORING"): self._execute_monitoring,
            (Operation.QUERY, "MONITORING"): self._query_monitoring,
            (Operation.QUERY, "SYSTEM"): self._query_system,
            (Operation.QUERY, "INTEGRATIONID"): self._query_integration_id,
            (Operation.QUERY, "DETAILS"): self._query_details,
            (Operation.QUERY, "GROUP"): self._query_group,
            (Operation.QUERY, "HELP"): self._query_help,
            (Operation.EXECUTE, "EMULATOR"): self._execute_emulator,
        }

    def execute(self, message: Message, monitoring: set[int]) -> Result:
        """Run one command; `monitoring` is the sender's monitoring set (changed by `#MONITORING`).

        Raises:
            LipError: the line is refused; the session answers `~ERROR,<code>` and nothing changed.

        """
        handler = self._handlers.get((message.operation, message.command))
        if handler is None:
            raise LipError(
                ErrorCode.UNSUPPORTED,
                f"{message.operation}{message.command} is not supported",
            )
        return handler(message, monitoring)

    # Look-ups.

    def _output(self, field_: str) -> tuple[DeviceDescription, int | None, int]:
        integration_id = parse_int(field_)
        try:
            target = self._emulator.description.output_by_integration_id(integration_id)
        except UnknownObjectError:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND, f"no output {integration_id}"
            ) from None
        return target.device, target.zone, integration_id

    def _device(self, field_: str) -> DeviceDescription:
        integration_id = parse_int(field_)
        try:
            return self._emulator.description.device_by_integration_id(integration_id)
        except UnknownObjectError:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND, f"no device {integration_id}"
            ) from None

    def output_level(self, integration_id: int) -> float:
        """Return the level an output reports now: a dimmed or shade level, else 100 or 0.

        `UnknownObjectError` if there is no such output.
        """
        target = self._emulator.description.output_by_integration_id(integration_id)
        state = self._emulator.state(target.serial)
        if target.zone is None:
            return 100.0 if state.cco_closed else 0.0
        zone = state.zones[target.zone - 1]
        output = target.device.output(target.zone)
        if isinstance(output, ZoneDescription) and output.has_level:
            return zone.level
        return 100.0 if zone.on else 0.0

    def led_state(self, keypad_id: int, component: int) -> int:
        """Return the state keypad LED `component` reports now (`UnknownObjectError` if there is none)."""
        keypad = self._emulator.description.device_by_integration_id(keypad_id)
        number = component - LED_COMPONENT_BASE
        keypad.indicator(number)
        return int(self._emulator.state(keypad.serial).indicators.get(number, 0))

    @property
    def pending_changes(self) -> int:
        """Delayed output changes waiting to run."""
        return len(self._pending)

    def cancel_pending(self) -> None:
        """Cancel every delayed change (the server stops)."""
        for pending in self._pending.values():
            pending.cancel()
        self._pending.clear()

    def _replace_pending(self, integration_id: int) -> None:
        """Cancel the delayed change an output still waits for: a later command replaces it."""
        pending = self._pending.pop(integration_id, None)
        if pending is not None:
            pending.cancel()

    # OUTPUT.

    def _execute_output(self, message: Message, _: set[int]) -> Result:
        _count(message, 2, 5)
        module, zone, integration_id = self._output(message.fields[0])
        action = parse_int(message.fields[1])
        serial = module.serial
        if zone is not None:
            output = module.output(zone)
            if isinstance(output, ZoneDescription) and output.has_level:
                return self._execute_level(
                    message, module, zone, integration_id, action
                )
        if action == ACTION_PULSE and zone is None:
            _count(message, 2, 3)
            seconds = None
            if len(message.fields) == 3:
                seconds = parse_duration(message.fields[2], maximum=MAX_PULSE_SECONDS)
                if seconds < MIN_PULSE_SECONDS:
                    raise LipError(
                        ErrorCode.OUT_OF_RANGE,
                        "a pulse lasts at least a quarter second",
                    )
            self._replace_pending(integration_id)
            self._log_ignored(serial, self._emulator.pulse_cco(serial, seconds))
            return Result(outputs=[integration_id])
        if action != ACTION_SET_LEVEL:
            raise LipError(
                ErrorCode.INVALID_ACTION,
                f"action {action} is not supported by output {integration_id}",
            )
        _count(message, 3, 5)
        level = parse_decimal(message.fields[2])
        if not 0 <= level <= 100:
            raise LipError(ErrorCode.OUT_OF_RANGE, f"level {level} is not 0-100")
        if len(message.fields) >= 4:
            parse_duration(
                message.fields[3]
            )  # fade: accepted and ignored by switched outputs
        delay = parse_duration(message.fields[4]) if len(message.fields) == 5 else 0.0
        on = level > 0

        def apply() -> None:
            if zone is None:
                self._log_ignored(serial, self._emulator.set_cco(serial, on))
            else:
                self._log_ignored(serial, self._emulator.set_zone(serial, zone, on))

        self._replace_pending(integration_id)
        if delay > 0:

            def run_delayed() -> None:
                del self._pending[integration_id]
                apply()

            self._pending[integration_id] = self._schedule(delay, run_delayed)
            return Result()
        apply()
        return Result(outputs=[integration_id])

    def _execute_level(
        self,
        message: Message,
        device: DeviceDescription,
        zone: int,
        integration_id: int,
        action: int,
    ) -> Result:
        """Drive a dimmed zone or a shade (H1, H2): a level with a fade and a delay, or raise, lower and stop."""
        serial = device.serial
        if action in _MOVES:
            _count(message, 2)
            self._replace_pending(integration_id)
            self._log_ignored(serial, self._emulator.move(serial, zone, _MOVES[action]))
            return Result(outputs=[integration_id])
        if action != ACTION_SET_LEVEL:
            raise LipError(
                ErrorCode.INVALID_ACTION,
                f"action {action} is not supported by output {integration_id}",
            )
        _count(message, 3, 5)
        level = parse_decimal(message.fields[2])
        if not 0 <= level <= 100:
            raise LipError(ErrorCode.OUT_OF_RANGE, f"level {level} is not 0-100")
        fade = parse_duration(message.fields[3]) if len(message.fields) >= 4 else None
        delay = parse_duration(message.fields[4]) if len(message.fields) == 5 else 0.0

        def apply() -> None:
            self._log_ignored(
                serial, self._emulator.set_level(serial, zone, level, fade)
            )

        self._replace_pending(integration_id)
        if delay > 0:

            def run_delayed() -> None:
                del self._pending[integration_id]
                apply()

            self._pending[integration_id] = self._schedule(delay, run_delayed)
            return Result()
        apply()
        return Result(outputs=[integration_id])

    def _query_output(self, message: Message, _monitoring: set[int]) -> Result:
        _count(message, 1, 2)
        _, _, integration_id = self._output(message.fields[0])
        if (
            len(message.fields) == 2
            and parse_int(message.fields[1]) != ACTION_SET_LEVEL
        ):
            raise LipError(
                ErrorCode.INVALID_ACTION, "only the level (action 1) can be queried"
            )
        return Result(
            [output_report(integration_id, self.output_level(integration_id))]
        )

    @staticmethod
    def _log_ignored(serial: str, reason: IgnoredReason | None) -> None:
        if reason is not None:
            _LOGGER.debug("Module %s ignored a command: %s", serial, reason.value)

    # DEVICE.

    def _execute_device(self, message: Message, _: set[int]) -> Result:
        _count(message, 3, 4)
        module = self._device(message.fields[0])
        component, action = parse_int(message.fields[1]), parse_int(message.fields[2])
        if module.kind is DeviceKind.KEYPAD:
            return self._execute_keypad(message, module, component, action)
        _count(message, 3)
        if module.kind is not DeviceKind.SWITCHING_MODULE:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND,
                f"device {module.integration_id} has no component {component}",
            )
        if Button.ZONE_1 <= component <= Button.PROG:
            if action == ACTION_RELEASE:
                return Result()
            if action != ACTION_PRESS:
                raise LipError(
                    ErrorCode.INVALID_ACTION,
                    f"a button is pressed (3) or released (4), not {action}",
                )
            button = Button(component)
            reason = self._emulator.press_button(module.serial, button)
            if reason is None:
                return Result()
            self._log_ignored(module.serial, reason)
            zones = module.zones if button is Button.PROG else (module.zone(component),)
            return Result(outputs=[zone.integration_id for zone in zones])
        if component == CCI_COMPONENT or LED_COMPONENT_BASE < component <= PROG_LED:
            raise LipError(
                ErrorCode.INVALID_ACTION, "the CCI and the LEDs follow the module"
            )
        raise LipError(
            ErrorCode.OBJECT_NOT_FOUND,
            f"module {module.integration_id} has no component {component}",
        )

    def _execute_keypad(
        self, message: Message, keypad: DeviceDescription, component: int, action: int
    ) -> Result:
        """Press a keypad's button (H3) or set its LED (H5)."""
        serial = keypad.serial
        if LED_COMPONENT_BASE < component <= LED_COMPONENT_BASE + MAX_BUTTON_COMPONENT:
            number = component - LED_COMPONENT_BASE
            self._keypad_part(keypad, number, led=True)
            if action != ACTION_LED_STATE:
                raise LipError(ErrorCode.INVALID_ACTION, "an LED is set with action 9")
            _count(message, 4)
            state = parse_int(message.fields[3])
            if state not in LED_ON_OFF:
                raise LipError(
                    ErrorCode.OUT_OF_RANGE, "an LED is set off (0) or on (1)"
                )
            self._log_ignored(
                serial, self._emulator.set_indicator(serial, number, state == 1)
            )
            return Result(leds=[(keypad.integration_id, component)])
        _count(message, 3)
        self._keypad_part(keypad, component, led=False)
        gesture = _KEYPAD_GESTURES.get(action)
        if gesture is None:
            raise LipError(
                ErrorCode.INVALID_ACTION,
                f"a button is pressed (3), released (4), held (5) or double tapped (6), not {action}",
            )
        # A press is a whole tap (H3); a release ends a hold and does nothing after a tap.
        self._log_ignored(serial, self._emulator.press(serial, component, gesture))
        return Result()

    @staticmethod
    def _keypad_part(keypad: DeviceDescription, number: int, *, led: bool) -> None:
        try:
            if led:
                keypad.indicator(number)
            else:
                keypad.input(number)
        except UnknownObjectError:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND,
                f"keypad {keypad.integration_id} has no {'LED' if led else 'button'} {number}",
            ) from None

    def _query_device(self, message: Message, _: set[int]) -> Result:
        _count(message, 3)
        module = self._device(message.fields[0])
        component, action = parse_int(message.fields[1]), parse_int(message.fields[2])
        if module.kind is DeviceKind.KEYPAD:
            if not (
                LED_COMPONENT_BASE
                < component
                <= LED_COMPONENT_BASE + MAX_BUTTON_COMPONENT
            ):
                self._keypad_part(module, component, led=False)
                raise LipError(
                    ErrorCode.INVALID_ACTION, "a button has no state to query"
                )
            self._keypad_part(module, component - LED_COMPONENT_BASE, led=True)
            if action != ACTION_LED_STATE:
                raise LipError(
                    ErrorCode.INVALID_ACTION, "an LED is queried with action 9"
                )
            led = self.led_state(module.integration_id, component)
            return Result(
                [device_report(module.integration_id, component, ACTION_LED_STATE, led)]
            )
        if module.kind is not DeviceKind.SWITCHING_MODULE:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND,
                f"device {module.integration_id} has no component {component}",
            )
        state = self._emulator.state(module.serial)
        if component == CCI_COMPONENT:
            if action != ACTION_CCI_STATE:
                raise LipError(
                    ErrorCode.INVALID_ACTION, "the CCI is queried with action 35"
                )
            return Result(
                [
                    device_report(
                        module.integration_id,
                        CCI_COMPONENT,
                        CCI_OPEN if state.cci_open else CCI_CLOSED,
                    )
                ]
            )
        if LED_COMPONENT_BASE < component <= PROG_LED:
            if action != ACTION_LED_STATE:
                raise LipError(
                    ErrorCode.INVALID_ACTION, "an LED is queried with action 9"
                )
            number = component - LED_COMPONENT_BASE
            led = (
                state.prog_led
                if number > ZONES_PER_MODULE
                else state.zone_leds[number - 1]
            )
            return Result(
                [
                    device_report(
                        module.integration_id, component, ACTION_LED_STATE, int(led)
                    )
                ]
            )
        if Button.ZONE_1 <= component <= Button.PROG:
            raise LipError(ErrorCode.INVALID_ACTION, "a button has no state to query")
        raise LipError(
            ErrorCode.OBJECT_NOT_FOUND,
            f"module {module.integration_id} has no component {component}",
        )

    # MONITORING.

    @staticmethod
    def _monitoring_type(field_: str) -> int:
        kind = parse_int(field_)
        if not (1 <= kind <= MAX_MONITORING_TYPE or kind == Monitoring.ALL):
            raise LipError(ErrorCode.OUT_OF_RANGE, f"no monitoring type {kind}")
        return kind

    @staticmethod
    def _types(kind: int) -> set[int]:
        if kind == Monitoring.ALL:
            return set(range(1, MAX_MONITORING_TYPE + 1)) - {
                Monitoring.REPLY,
                Monitoring.PROMPT,
            }
        return {kind}

    def _execute_monitoring(self, message: Message, monitoring: set[int]) -> Result:
        _count(message, 2)
        kind = self._monitoring_type(message.fields[0])
        value = parse_int(message.fields[1])
        if value not in (1, 2):
            raise LipError(
                ErrorCode.OUT_OF_RANGE, "monitoring is enabled (1) or disabled (2)"
            )
        if value == 1:
            monitoring |= self._types(kind)
        else:
            monitoring -= self._types(kind)
        return Result()

    def _query_monitoring(self, message: Message, monitoring: set[int]) -> Result:
        _count(message, 1)
        kind = self._monitoring_type(message.fields[0])
        enabled = self._types(kind) <= monitoring
        return Result([f"~MONITORING,{kind},{1 if enabled else 2}"])

    # SYSTEM, INTEGRATIONID, DETAILS, HELP.

    def _query_system(self, message: Message, _: set[int]) -> Result:
        _count(message, 1)
        action = parse_int(message.fields[0])
        description = self._emulator.description
        # The keepalive and barrier of clients: the most frequent query.
        if action == 10:
            return Result([f"~SYSTEM,{description.database_date}"])
        if action == 8:
            firmware = description.processor_by_serial(self.this_processor).firmware
            return Result([f"~SYSTEM,8,{firmware}"])
        if action not in (1, 2):
            raise LipError(
                ErrorCode.INVALID_ACTION, f"?SYSTEM,{action} is not supported"
            )
        now = self._emulator.processor_time()
        return Result(
            [
                f"~SYSTEM,1,{now:%H:%M:%S}"
                if action == 1
                else f"~SYSTEM,2,{now:%m/%d/%Y}"
            ]
        )

    def _query_integration_id(self, message: Message, _: set[int]) -> Result:
        _count(message, 2)
        action = parse_int(message.fields[0])
        try:
            if action == 3:
                integration_id = parse_int(message.fields[1])
                kind, serial = self._emulator.description.integration_id_info(
                    integration_id
                )
                return Result(
                    [f"~INTEGRATIONID,3,{integration_id},{kind.value},{serial}"]
                )
            if action == 1:
                serial = _hex_serial(message.fields[1])
                found = self._emulator.device_integration_id(serial)
                return Result([f"~INTEGRATIONID,1,{serial},{found}"])
        except UnknownObjectError:
            raise LipError(
                ErrorCode.OBJECT_NOT_FOUND, f"nothing is {message.fields[1]}"
            ) from None
        raise LipError(
            ErrorCode.INVALID_ACTION, f"?INTEGRATIONID,{action} is not supported"
        )

    def _query_details(self, message: Message, _: set[int]) -> Result:
        _count(message, 1)
        field_ = message.fields[0]
        description = self._emulator.description
        serial: str | None = None
        if (
            field_.isdigit()
        ):  # an integration id first, a serial written in decimal digits second
            integration_id = int(field_)
            found = self._processor_with_id(integration_id)
            if found is not None:
                serial = found.serial
            else:
                serial = next(
                    (
                        m.serial
                        for m in description.devices
                        if m.integration_id == integration_id
                        and m.kind is not DeviceKind.TIMECLOCK
                    ),
                    None,
                )
        if serial is None:
            try:
                serial = _hex_serial(field_)
            except LipError:
                raise LipError(
                    ErrorCode.OBJECT_NOT_FOUND, f"no device {field_}"
                ) from None
        processor = next(
            (p for p in description.processors if p.serial == serial), None
        )
        if processor is not None:
            integration_id, family, product, code = (
                processor.integration_id,
                PROCESSOR_FAMILY,
                processor.model.value,
                processor.firmware,
            )
        else:
            try:
                device = description.device(serial)
            except UnknownObjectError:
                raise LipError(
                    ErrorCode.OBJECT_NOT_FOUND, f"no device {field_}"
                ) from None
            if device.kind is DeviceKind.SWITCHING_MODULE:
                family, product = MODULE_FAMILY, MODULE_MODEL
            elif device.kind in (DeviceKind.TIMECLOCK, DeviceKind.AREA_GROUP):
                raise LipError(ErrorCode.OBJECT_NOT_FOUND, f"no device {field_}")
            else:
                family, product = device_type(device), device.model or ""
            integration_id, code = device.integration_id, MODULE_FIRMWARE
        details = (
            f"~DETAILS,SN:{serial},IntegrationID:{integration_id},Family:{family},Product:{product},"
            f"CODE:{code},Boot:{BOOT_VERSION},HW:{HARDWARE_VERSION}"
        )
        return Result([details])

    def _query_group(self, message: Message, _: set[int]) -> Result:
        _count(message, 2)
        group = parse_int(message.fields[0])
        action = parse_int(message.fields[1])
        areas = area_index(self._emulator.description)
        room = areas.rooms.get(group)
        if room is None:
            raise LipError(ErrorCode.OBJECT_NOT_FOUND, f"no occupancy group {group}")
        if action != ACTION_OCCUPANCY_STATE:
            raise LipError(
                ErrorCode.INVALID_ACTION, "an occupancy group is queried with action 3"
            )
        return Result([group_report(group, self.occupancy_state(room))])

    def occupancy_state(self, room: str) -> int:
        """Return the `~GROUP` state of a room (H6): 3 occupied, 4 vacant, 255 without a sensor (LP44)."""
        return self.state_of(self._emulator.area_occupancy(room))

    @staticmethod
    def state_of(occupied: bool | None) -> int:
        """Return the `~GROUP` state of an occupancy: 3 occupied, 4 vacant, 255 unknown (guide)."""
        if occupied is None:
            return OCCUPANCY_UNKNOWN
        return OCCUPIED if occupied else VACANT

    def _query_help(self, message: Message, _: set[int]) -> Result:
        _count(message, 0, 1)
        return Result(list(HELP_LINES))

    # EMULATOR.

    def _processor_with_id(self, integration_id: int) -> ProcessorDescription | None:
        return next(
            (
                processor
                for processor in self._emulator.description.processors
                if processor.integration_id == integration_id
            ),
            None,
        )

    def _execute_emulator(self, message: Message, _: set[int]) -> Result:
        _count(message, 3, 4)
        what, value = message.fields[1], message.fields[2]
        processor = self._processor_with_id(parse_int(message.fields[0]))
        if processor is not None or what == EMULATOR_NETWORK[0]:
            _count(message, 3)
            if processor is None or what != EMULATOR_NETWORK[0]:
                raise LipError(
                    ErrorCode.INVALID_ACTION,
                    f"only a processor takes {EMULATOR_NETWORK[0]}, and it takes nothing else",
                )
            # LP53: cut off, its devices are unreachable from the others; its own sessions end.
            self._emulator.simulate(
                processor.serial,
                Fault.PROCESSOR,
                _emulator_value(_NETWORK_VALUES, value),
            )
            return Result()
        module = self._device(message.fields[0])
        if what == EMULATOR_LEVEL:
            output = parse_int(message.fields[3]) if len(message.fields) == 4 else 1
            return self._emulate_manual_level(module, value, output)
        _count(message, 3)
        if what in EMULATOR_GESTURES or what == EMULATOR_OCCUPANCY[0]:
            return self._emulate_person(module, what, value)
        if module.kind is not DeviceKind.SWITCHING_MODULE:
            raise LipError(
                ErrorCode.INVALID_ACTION, f"#EMULATOR cannot set {what} of this device"
            )
        if what == EMULATOR_TEMPERATURE:
            celsius = parse_decimal(value)
            if not TEMPERATURE_RANGE_C[0] <= celsius <= TEMPERATURE_RANGE_C[1]:
                raise LipError(ErrorCode.OUT_OF_RANGE, f"{celsius} °C is out of range")
            self._emulator.simulate(module.serial, Fault.TEMPERATURE, celsius)
            return Result()
        if what not in _EMULATOR_WORDS:
            raise LipError(ErrorCode.INVALID_ACTION, f"#EMULATOR cannot set {what}")
        fault, values = _EMULATOR_WORDS[what]
        self._emulator.simulate(module.serial, fault, _emulator_value(values, value))
        return Result()

    def _emulate_person(
        self, device: DeviceDescription, what: str, value: str
    ) -> Result:
        """H8: a person presses a keypad button, or enters or leaves a room."""
        serial = device.serial
        if what in EMULATOR_GESTURES:
            if device.kind is not DeviceKind.KEYPAD:
                raise LipError(ErrorCode.INVALID_ACTION, f"only a keypad takes {what}")
            button = parse_int(value)
            self._keypad_part(device, button, led=False)
            self._log_ignored(
                serial, self._emulator.press(serial, button, EMULATOR_GESTURES[what])
            )
        else:  # OCCUPANCY
            if device.kind is not DeviceKind.OCCUPANCY_SENSOR:
                raise LipError(
                    ErrorCode.INVALID_ACTION, "only an occupancy sensor takes OCCUPANCY"
                )
            word = str(int(value)) if value.isdigit() else value
            if word not in _OCCUPANCY_VALUES:
                raise LipError(
                    ErrorCode.MALFORMED,
                    f"expected one of {'|'.join(_OCCUPANCY_VALUES)}",
                )
            self._emulator.simulate(serial, Fault.OCCUPANCY, _OCCUPANCY_VALUES[word])
        return Result()

    def _emulate_manual_level(
        self, device: DeviceDescription, value: str, output: int
    ) -> Result:
        """H8: a person moves a shade by hand or sets a dimmed zone at its control: it always applies."""
        zone = next((z for z in device.zones if z.number == output), None)
        if zone is None or not zone.has_level or device.kind is DeviceKind.AREA_GROUP:
            raise LipError(
                ErrorCode.INVALID_ACTION,
                f"device {device.integration_id} has no shade or dimmed output {output}",
            )
        level = parse_decimal(value)
        if not 0 <= level <= 100:
            raise LipError(ErrorCode.OUT_OF_RANGE, f"level {level} is not 0-100")
        self._emulator.simulate(device.serial, Fault.MANUAL_LEVEL, level, output=output)
        return Result()
