"""Lines of the Lutron Integration Protocol: split a byte stream into lines, parse them and format reports.

Both ends use this module: the server (`server.py`) to read commands, the client (`client.py`) to read reports.
The dialect is the one of `lip.md`: ASCII lines ending in CR LF (a bare CR or LF is accepted too), telnet
negotiation and NUL bytes ignored, case and spaces ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
import math
import re
from typing import Final

from ..const import Fault, Gesture

# The server's defaults (server.py), here so the command line documents them without importing the server (its
# default host is every server's: limits.py).
DEFAULT_MAX_SESSIONS: Final = 10
# A processor's LIP and HTTP ports, and the emulator's (unprivileged) defaults for the same services.
LIP_PORT: Final = 23
HTTP_PORT: Final = 80
EMULATOR_LIP_PORT: Final = 2323
EMULATOR_HTTP_PORT: Final = 8080
DEFAULT_USERNAME: Final = "lutron"

CRLF: Final = "\r\n"
LOGIN_PROMPT: Final = "login: "
PASSWORD_PROMPT: Final = "password: "
PROMPT: Final = "QNET> "
BAD_LOGIN: Final = "bad login"
MAX_LINE_BYTES: Final = 1024
MAX_DURATION_SECONDS: Final = 4 * 3600.0  # delays: 0 s to 4 h
# Telnet sub-negotiations clients send (window size, terminal type) are a few bytes; one left unfinished ends
# at a line end or at this length, so it cannot swallow the session's lines.
MAX_SUBNEGOTIATION_BYTES: Final = 64

# Actions and components (lip.md; the DEVICE numbering of a switching module is ours).
ACTION_SET_LEVEL: Final = 1  # OUTPUT
ACTION_PULSE: Final = 6  # OUTPUT, CCO only
ACTION_PRESS: Final = 3  # DEVICE button; also "CCI closed"
ACTION_RELEASE: Final = 4  # DEVICE button; also "CCI open"
ACTION_LED_STATE: Final = 9
ACTION_CCI_STATE: Final = 35
CCI_CLOSED: Final = 3  # guide: 3 = close, 4 = open
CCI_OPEN: Final = 4
CCI_COMPONENT: Final = 11
LED_COMPONENT_BASE: Final = (
    80  # zone LEDs 81-84; a keypad's LED n is component 80 + n (H5)
)
PROG_LED: Final = 85
# The whole house (docs/lip.md, H rules).
ACTION_RAISE: Final = 2  # OUTPUT: start raising a dimmed zone or a shade (H2)
ACTION_LOWER: Final = 3  # OUTPUT: start lowering
ACTION_STOP: Final = 4  # OUTPUT: stop raising or lowering
ACTION_HOLD: Final = 5  # DEVICE keypad button (guide): held
ACTION_MULTI_TAP: Final = 6  # DEVICE keypad button (guide): double tap
MAX_BUTTON_COMPONENT: Final = (
    LED_COMPONENT_BASE  # keypad buttons are components 1-80, their LEDs 81-160 (H4)
)
ACTION_OCCUPANCY_STATE: Final = 3  # GROUP: ?GROUP,<id>,3
OCCUPIED: Final = 3  # GROUP states (guide)
VACANT: Final = 4
OCCUPANCY_UNKNOWN: Final = 255

# `#EMULATOR,<module>,<word>,<value>` (ours): the word of each fault, then its values for True and for False.
# Each also takes 1 (True) and 0 (False); the CCI also the guide's CCI states 4 (open) and 3 (closed).
EMULATOR_TRUE: Final = "1"
EMULATOR_FALSE: Final = "0"
EMULATOR_WORDS: Final = {
    Fault.CCI: ("CCI", "OPEN", "CLOSE"),
    Fault.POWER: ("POWER", "ON", "OFF"),
    Fault.LINK: ("LINK", "UP", "DOWN"),
    Fault.BYPASS: ("BYPASS", "ON", "OFF"),
    Fault.PROGRAM: ("PROGRAM", "ON", "OFF"),
}
EMULATOR_TEMPERATURE: Final = "TEMP"
# LP53: `#EMULATOR,<processor>,NETWORK,<UP|DOWN|1|0>` puts a processor of the project on the network or cuts it off.
EMULATOR_NETWORK: Final = ("NETWORK", "UP", "DOWN")
# H8: a person at the house. `#EMULATOR,<sensor>,OCCUPANCY,<OCCUPIED|VACANT|1|0|3|4>` (a person enters or leaves
# the sensor's area), `#EMULATOR,<keypad>,<gesture>,<button>` (a press at the keypad), `#EMULATOR,<device>,LEVEL,
# <0-100>` (a shade moved by hand, a dimmed zone set at its control).
EMULATOR_OCCUPANCY: Final = ("OCCUPANCY", "OCCUPIED", "VACANT")
EMULATOR_GESTURES: Final = {
    "TAP": Gesture.TAP,
    "HOLD": Gesture.HOLD,
    "RELEASE": Gesture.RELEASE,
    "DOUBLETAP": Gesture.DOUBLE_TAP,
}
EMULATOR_LEVEL: Final = "LEVEL"

_IAC: Final = 255
_SB: Final = 250
_SE: Final = 240
_WILL_WONT_DO_DONT: Final = frozenset({251, 252, 253, 254})
_SPECIAL = re.compile(rb"[\x00\n\r\xff]")
_LINE_END = re.compile(r"\r\n|\r|\n")
_PROMPT_PREFIX = re.compile(r"^(?:[GQ]NET>\s*)+")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DURATION = re.compile(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)")


class Monitoring(IntEnum):
    """Monitoring types (guide numbering; the ones this project reports are 3, 4, 5, 11, 12)."""

    DIAGNOSTIC = 1
    EVENT = 2
    BUTTON = 3  # buttons and CCI
    LED = 4
    ZONE = 5  # zone and CCO levels
    OCCUPANCY = 6
    PHOTOSENSOR = 7
    SCENE = 8
    TIMECLOCK = 9
    SYSTEM_VARIABLE = 10
    REPLY = 11  # answers to queries
    PROMPT = 12
    ALL = 255  # every type except REPLY and PROMPT


MAX_MONITORING_TYPE: Final = 30
DEFAULT_MONITORING: Final = frozenset(
    {
        Monitoring.BUTTON,
        Monitoring.LED,
        Monitoring.ZONE,
        Monitoring.OCCUPANCY,
        Monitoring.SCENE,
        Monitoring.REPLY,
        Monitoring.PROMPT,
    }
)


class ErrorCode(IntEnum):
    """`~ERROR,<n>` codes of the guide."""

    PARAMETER_COUNT = 1
    OBJECT_NOT_FOUND = 2
    INVALID_ACTION = 3
    OUT_OF_RANGE = 4
    MALFORMED = 5
    UNSUPPORTED = 6


class Operation(StrEnum):
    """First character of a line: execute, query, or report."""

    EXECUTE = "#"
    QUERY = "?"
    REPORT = "~"


_OPERATIONS: Final = {operation.value: operation for operation in Operation}


class LipError(Exception):
    """A line the protocol rejects; `code` is the `~ERROR` code to answer with."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        """Record the error code and what was wrong."""
        super().__init__(f"~ERROR,{int(code)}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Message:
    """One parsed line: `<operation><COMMAND>,<fields…>` (upper case, spaces removed)."""

    operation: Operation
    command: str
    fields: tuple[str, ...]


LOGOUT: Final = "LOGOUT"


def is_logout(line: str) -> bool:
    """Whether a line is `LOGOUT` (ours: a telnet-style word without `#`; it ends the session, no answer)."""
    return "".join(line.split()).upper() == LOGOUT


def strip_prompts(line: str) -> str:
    """Remove the `QNET> ` (or `GNET> `) prompts a processor puts in front of a line."""
    if not line.startswith(("QNET>", "GNET>")):
        return line
    return _PROMPT_PREFIX.sub("", line)


def parse_line(line: str) -> Message | None:
    """Parse one line (without its line ending); None for a blank line.

    Raises:
        LipError: MALFORMED when the line is not `#`, `?` or `~` followed by a command word.

    """
    if line.isascii() and line.isprintable() and " " not in line:
        text = line.upper()  # the usual line: nothing to remove
    else:
        text = "".join(line.split()).upper()
        if not text.isascii() or not text.isprintable():
            raise LipError(ErrorCode.MALFORMED, "not printable ASCII")
    if not text:
        return None
    operation = _OPERATIONS.get(text[0])
    if operation is None:
        raise LipError(ErrorCode.MALFORMED, "a line starts with #, ? or ~")
    fields = text[1:].split(",")
    command = fields.pop(0)
    if not command.isalpha():  # ASCII upper case here: [A-Z]+
        raise LipError(ErrorCode.MALFORMED, "missing command word")
    return Message(operation, command, tuple(fields))


def parse_int(field: str) -> int:
    """Parse a decimal integer (leading zeros allowed); LipError MALFORMED otherwise."""
    if not (field.isdigit() and field.isascii()) and not _INTEGER.fullmatch(field):
        raise LipError(ErrorCode.MALFORMED, f"not an integer: {field!r}")
    return int(field)


def parse_decimal(field: str) -> float:
    """Parse a decimal number such as `75`, `75.5` or `.5`; LipError MALFORMED otherwise."""
    if not _DECIMAL.fullmatch(field):
        raise LipError(ErrorCode.MALFORMED, f"not a number: {field!r}")
    return float(field)


def parse_duration(field: str, *, maximum: float = MAX_DURATION_SECONDS) -> float:
    """Parse a time as `SS`, `SS.ss`, `MM:SS` or `HH:MM:SS` (seconds may carry decimals).

    The result is rounded down to a quarter second (the guide's resolution).

    Raises:
        LipError: MALFORMED for another shape, OUT_OF_RANGE for minutes or seconds of 60 and more after a
            colon, or a total above `maximum`.

    """
    match = _DURATION.fullmatch(field)
    if match is None:
        raise LipError(ErrorCode.MALFORMED, f"not a time: {field!r}")
    first, second, last = match.groups()
    seconds = float(last)
    if first is not None and seconds >= 60:
        raise LipError(ErrorCode.OUT_OF_RANGE, f"seconds out of range: {field!r}")
    if second is not None:  # HH:MM:SS
        hours, minutes = int(first), int(second)
        if minutes >= 60:
            raise LipError(ErrorCode.OUT_OF_RANGE, f"minutes out of range: {field!r}")
    else:  # SS or MM:SS
        hours, minutes = 0, int(first or 0)
    total = math.floor((hours * 3600 + minutes * 60 + seconds) * 4) / 4
    if total > maximum:
        raise LipError(ErrorCode.OUT_OF_RANGE, f"time too long: {field!r}")
    return total


def format_level(level: float) -> str:
    """Format a level as the processor does: two decimals."""
    return f"{level:.2f}"


def output_report(integration_id: int, level: float) -> str:
    """`~OUTPUT,<id>,1,<level>`."""
    return f"~OUTPUT,{integration_id},1,{format_level(level)}"


def device_report(
    integration_id: int, component: int, action: int, *params: int
) -> str:
    """`~DEVICE,<id>,<component>,<action>[,<params>]`; parameters are integers, never floats."""
    fields = [
        str(integration_id),
        str(component),
        str(action),
        *(str(int(p)) for p in params),
    ]
    return "~DEVICE," + ",".join(fields)


def group_report(integration_id: int, state: int) -> str:
    """`~GROUP,<id>,3,<state>`."""
    return f"~GROUP,{integration_id},{ACTION_OCCUPANCY_STATE},{state}"


def error_report(code: ErrorCode) -> str:
    """`~ERROR,<code>`."""
    return f"~ERROR,{int(code)}"


# Reports as the client reads them.


@dataclass(frozen=True, slots=True)
class OutputReport:
    """`~OUTPUT,<id>,1,<level>`: the level of a zone or CCO."""

    integration_id: int
    level: float


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """`~DEVICE,<id>,<component>,<action>[,<params>]`: a button, CCI or LED of a device."""

    integration_id: int
    component: int
    action: int
    params: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """`~ERROR,<code>`."""

    code: int


@dataclass(frozen=True, slots=True)
class DatabaseDateReport:
    """`~SYSTEM,<MM/DD/YYYY>,<HH:MM:SS>`: the answer to `?SYSTEM,10` (the keepalive)."""

    date: str
    time: str


@dataclass(frozen=True, slots=True)
class GroupReport:
    """`~GROUP,<id>,3,<state>`: an occupancy group's state (3 occupied, 4 vacant, 255 unknown)."""

    integration_id: int
    state: int


type Report = (
    OutputReport | DeviceReport | ErrorReport | DatabaseDateReport | GroupReport
)

_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_TIME = re.compile(r"\d{1,2}:\d{2}:\d{2}")


def parse_report(message: Message) -> Report | None:
    """Interpret a `~` line the client uses; None for anything else (unknown or of no interest)."""
    if message.operation is not Operation.REPORT:
        return None
    fields = message.fields
    try:
        if message.command == "OUTPUT" and len(fields) == 3 and fields[1] == "1":
            return OutputReport(parse_int(fields[0]), parse_decimal(fields[2]))
        if message.command == "DEVICE" and len(fields) >= 3:
            numbers = [parse_int(field) for field in fields]
            return DeviceReport(numbers[0], numbers[1], numbers[2], tuple(numbers[3:]))
        if message.command == "ERROR" and len(fields) == 1:
            return ErrorReport(parse_int(fields[0]))
        if (
            message.command == "GROUP"
            and len(fields) == 3
            and parse_int(fields[1]) == ACTION_OCCUPANCY_STATE
        ):
            return GroupReport(parse_int(fields[0]), parse_int(fields[2]))
    except LipError:
        return None
    if (
        message.command == "SYSTEM"
        and len(fields) == 2
        and _DATE.fullmatch(fields[0])
        and _TIME.fullmatch(fields[1])
    ):
        return DatabaseDateReport(fields[0], fields[1])
    return None


def parse_report_line(line: str) -> Report | None:
    """Interpret one received line as `parse_report(parse_line(strip_prompts(line)))` does, None if not a report.

    Lines as processors write them (`~OUTPUT,<id>,1,<level>`, `~DEVICE,<id>,<n>,<action>[,<n>]`) are read
    directly; any other spelling goes through the general parser.
    """
    if line.isascii():
        if line.startswith("~OUTPUT,"):
            fields = line[8:].split(",")
            if (
                len(fields) == 3
                and fields[1] == "1"
                and fields[0].isdigit()
                and _DECIMAL.fullmatch(fields[2])
            ):
                return OutputReport(int(fields[0]), float(fields[2]))
        elif line.startswith("~DEVICE,"):
            fields = line[8:].split(",")
            if len(fields) >= 3 and all(map(str.isdigit, fields)):
                numbers = [int(field) for field in fields]
                return DeviceReport(
                    numbers[0], numbers[1], numbers[2], tuple(numbers[3:])
                )
    try:
        message = parse_line(strip_prompts(line))
    except LipError:
        return None
    return parse_report(message) if message is not None else None


class LineSplitter:
    """Cut a byte stream into lines, whatever the network sends.

    Lines end with CR LF, CR or LF. NUL bytes and telnet negotiation (IAC commands, options and
    sub-negotiation) are dropped. A line longer than `max_line` bytes is discarded up to its end and reported
    once as None, so memory stays bounded even for a stream without any line ending.
    """

    __slots__ = (
        "_after_cr",
        "_buffer",
        "_discarding",
        "_max_line",
        "_subnegotiation",
        "_telnet",
    )

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        """Accept lines of up to `max_line` bytes."""
        self._max_line = max_line
        self._buffer = bytearray()
        self._discarding = False
        self._after_cr = False
        # Telnet parser state: "" data, "iac" after IAC, "option" before an option byte, "sb" inside a
        # sub-negotiation, "sb_iac" after IAC inside it.
        self._telnet = ""
        self._subnegotiation = 0  # bytes of the current sub-negotiation

    @property
    def pending(self) -> str:
        """The start of the line received so far (no line ending yet); prompts arrive like this."""
        return self._buffer.decode("ascii", errors="replace")

    def clear_pending(self) -> None:
        """Forget the partial line (once a prompt in it has been consumed)."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[str | None]:
        """Add received bytes; return the complete lines they end (None for a line that was too long)."""
        if self._telnet or self._discarding or b"\xff" in data or b"\x00" in data:
            return self._feed_bytes(data)
        # The usual stream (no telnet, no NUL, no line being discarded): cut every line at once.
        # The LF of a CR LF split across packets.
        if self._after_cr and data[:1] == b"\n":
            data = data[1:]
            self._after_cr = False
        cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        lines: list[str | None] = []
        if cut:
            head = self._buffer + data[:cut] if self._buffer else data[:cut]
            self._buffer = bytearray()
            parts = _LINE_END.split(head.decode("ascii", errors="replace"))
            parts.pop()  # the empty text after the last line end
            if len(head) > self._max_line:
                lines.extend(
                    None if len(part) > self._max_line else part for part in parts
                )
            else:
                lines.extend(parts)
            self._after_cr = data[cut - 1] == 0x0D
        if cut < len(data):
            self._after_cr = False
            self._append(data[cut:], lines)
        return lines

    def _feed_bytes(self, data: bytes) -> list[str | None]:
        """Cut lines byte by byte: telnet negotiation, NUL bytes, a line being discarded."""
        lines: list[str | None] = []
        position = 0
        size = len(data)
        while position < size:
            if self._telnet:
                byte = data[position]
                if self._telnet in ("sb", "sb_iac") and (
                    byte in (0x0D, 0x0A)
                    or self._subnegotiation >= MAX_SUBNEGOTIATION_BYTES
                ):
                    # An unfinished sub-negotiation ends at a line end or at its length limit; the byte is
                    # read again as data (a line end ends the line).
                    self._telnet = ""
                    continue
                self._telnet_byte(byte)
                position += 1
                continue
            match = _SPECIAL.search(data, position)
            end = match.start() if match else size
            if end > position:
                self._after_cr = False
                self._append(data[position:end], lines)
            if match is None:
                break
            byte = data[end]
            position = end + 1
            if byte == _IAC:
                self._telnet = "iac"
            elif byte == 0x0D:
                self._end_line(lines)
                self._after_cr = True
            elif byte == 0x0A:
                if not self._after_cr:
                    self._end_line(lines)
                self._after_cr = False
            # NUL: dropped, and a CR NUL pair stays a line end (telnet's bare CR).
        return lines

    def _append(self, chunk: bytes, lines: list[str | None]) -> None:
        if self._discarding:
            return
        if len(self._buffer) + len(chunk) > self._max_line:
            self._buffer.clear()
            self._discarding = True
            lines.append(None)
            return
        self._buffer += chunk

    def _end_line(self, lines: list[str | None]) -> None:
        if self._discarding:
            self._discarding = False
            return
        lines.append(self._buffer.decode("ascii", errors="replace"))
        self._buffer.clear()

    def _telnet_byte(self, byte: int) -> None:
        state = self._telnet
        if state == "iac":
            if byte in _WILL_WONT_DO_DONT:
                self._telnet = "option"
            elif byte == _SB:
                self._telnet = "sb"
                self._subnegotiation = 0
            else:  # IAC IAC (a data 255, never valid ASCII) or a two-byte command: dropped
                self._telnet = ""
        elif state == "option":
            self._telnet = ""
        elif state == "sb":
            self._subnegotiation += 1
            if byte == _IAC:
                self._telnet = "sb_iac"
        elif byte == _SE:  # state "sb_iac"
            self._telnet = ""
        else:
            self._subnegotiation += 1
            self._telnet = "sb"
