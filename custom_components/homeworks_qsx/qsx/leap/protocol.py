"""LEAP messages as `leap.md` fixes them: framing, communiques, status codes, replies, refusals and paging.

Both ends use this module: the emulator's server (`server.py`) to read requests and build replies, and a client to
build requests and read replies. Everything here is pure (no I/O), so each rule has one home.

Framing (LP2): one JSON object per line; LF or CR LF ends a line; this side writes CR LF. JSON is parsed
with the standard library: lines are short and a parser of our own would add nothing (orjson, where installed,
reads integers past 64 bits as floats: not the same message).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import hashlib
import hmac
import json
from typing import Any, Final

LEAP_PORT: Final = 8081  # LP1
PAIRING_PORT: Final = 8083  # LP20
LEAP_VERSION: Final = 1.115  # LP3: what the ping answers
LINE_END: Final = b"\r\n"  # LP2: what pylutron-caseta sends; either ending is accepted
# LP2 (ours): a longer inbound line is refused and the connection closed.
MAX_INBOUND_LINE_BYTES: Final = 64 * 1024
# LP2: pylutron-caseta's read limit; lists are paged below it.
MAX_OUTBOUND_LINE_BYTES: Final = 256 * 1024
PAGE_SIZE: Final = 100  # LP8 (ours): lists longer than this are paged
# Seconds input is still drained after a line over the limit, before the close.
LONG_LINE_LINGER: Final = 0.5

PING_URL: Final = "/server/1/status/ping"
ZONE_STATUS_URL: Final = "/zone/status"
AREA_STATUS_URL: Final = "/area/status"
TIMECLOCK_STATUS_URL: Final = "/timeclock/status"  # LP45
PRODUCT_TYPE_QSX: Final = "Lutron HWQS Project"  # LP10


class CommuniqueType(StrEnum):
    """The kinds of message (LP5, LP6, LP7)."""

    READ_REQUEST = "ReadRequest"
    SUBSCRIBE_REQUEST = "SubscribeRequest"
    UNSUBSCRIBE_REQUEST = "UnsubscribeRequest"
    CREATE_REQUEST = "CreateRequest"
    UPDATE_REQUEST = "UpdateRequest"
    READ_RESPONSE = "ReadResponse"
    SUBSCRIBE_RESPONSE = "SubscribeResponse"
    UNSUBSCRIBE_RESPONSE = "UnsubscribeResponse"
    CREATE_RESPONSE = "CreateResponse"
    UPDATE_RESPONSE = "UpdateResponse"
    EXCEPTION_RESPONSE = "ExceptionResponse"


REQUEST_TYPES: Final = frozenset(
    {
        CommuniqueType.READ_REQUEST,
        CommuniqueType.SUBSCRIBE_REQUEST,
        CommuniqueType.UNSUBSCRIBE_REQUEST,
        CommuniqueType.CREATE_REQUEST,
        CommuniqueType.UPDATE_REQUEST,
    }
)
# A dictionary look-up rather than the enum's call, which is slow.
_REQUEST_TYPE_NAMES: Final = {kind.value: kind for kind in REQUEST_TYPES}
RESPONSE_TO: Final = {  # LP6: the reply type of each request type
    CommuniqueType.READ_REQUEST: CommuniqueType.READ_RESPONSE,
    CommuniqueType.SUBSCRIBE_REQUEST: CommuniqueType.SUBSCRIBE_RESPONSE,
    CommuniqueType.UNSUBSCRIBE_REQUEST: CommuniqueType.UNSUBSCRIBE_RESPONSE,
    CommuniqueType.CREATE_REQUEST: CommuniqueType.CREATE_RESPONSE,
    CommuniqueType.UPDATE_REQUEST: CommuniqueType.UPDATE_RESPONSE,
}


class Status(StrEnum):
    """`Header.StatusCode` strings (LP6, LP7)."""

    OK = "200 OK"
    CREATED = "201 Created"
    NO_CONTENT = "204 NoContent"
    BAD_REQUEST = "400 BadRequest"
    FORBIDDEN = "403 Forbidden"
    NOT_FOUND = "404 NotFound"
    METHOD_NOT_ALLOWED = "405 MethodNotAllowed"
    INTERNAL_ERROR = "500 InternalServerError"

    @property
    def code(self) -> int:
        """The number at the start of the status string."""
        return int(self.value.split(" ", 1)[0])


def status_code(text: str) -> int | None:
    """Return the number of a `StatusCode` string (`"404 NotFound"` → 404), or None if it has none."""
    head = text.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


class BodyType(StrEnum):
    """`Header.MessageBodyType` values (LP9) and the body key each one carries."""

    ONE_PROJECT = "OneProjectDefinition"
    MULTIPLE_AREAS = "MultipleAreaDefinition"
    ONE_AREA = "OneAreaDefinition"
    MULTIPLE_DEVICES = "MultipleDeviceDefinition"
    ONE_DEVICE = "OneDeviceDefinition"
    MULTIPLE_ZONES = "MultipleZoneDefinition"
    ONE_ZONE = "OneZoneDefinition"
    MULTIPLE_ZONE_STATUSES = "MultipleZoneStatus"
    ONE_ZONE_STATUS = "OneZoneStatus"
    MULTIPLE_AREA_STATUSES = "MultipleAreaStatus"
    ONE_AREA_STATUS = "OneAreaStatus"
    MULTIPLE_CONTROL_STATIONS = "MultipleControlStationDefinition"
    ONE_CONTROL_STATION = "OneControlStationDefinition"
    ONE_LINK = "OneLinkDefinition"
    MULTIPLE_LINK_NODES_EXPANDED = "MultipleLinkNodeExpandedDefinition"  # LP48
    MULTIPLE_BUTTON_GROUPS = "MultipleButtonGroupDefinition"
    MULTIPLE_BUTTON_GROUPS_EXPANDED = "MultipleButtonGroupExpandedDefinition"  # LP36
    ONE_BUTTON_GROUP = "OneButtonGroupDefinition"
    MULTIPLE_BUTTONS = "MultipleButtonDefinition"
    ONE_BUTTON = "OneButtonDefinition"  # LP36
    ONE_BUTTON_STATUS_EVENT = "OneButtonStatusEvent"  # LP38
    ONE_PROGRAMMING_MODEL = "OneProgrammingModelDefinition"
    ONE_LED = "OneLEDDefinition"
    ONE_LED_STATUS = "OneLEDStatus"  # LP41
    MULTIPLE_TIMECLOCKS = "MultipleTimeclockDefinition"  # LP46
    ONE_TIMECLOCK = "OneTimeclockDefinition"
    MULTIPLE_TIMECLOCK_STATUSES = "MultipleTimeclockStatus"  # LP46
    ONE_TIMECLOCK_STATUS = "OneTimeclockStatus"  # LP46
    MULTIPLE_TIMECLOCK_EVENTS = "MultipleTimeclockEventDefinition"  # LP46
    ONE_TIMECLOCK_EVENT = "OneTimeclockEventDefinition"
    ONE_DEVICE_STATUS = "OneDeviceStatus"  # LP49
    ONE_PING = "OnePingResponse"
    EXCEPTION = "ExceptionDetail"

    @property
    def body_key(self) -> str:
        """The key of the body's one entry for this shape."""
        return _BODY_KEYS[self]


_BODY_KEYS: Final = {
    BodyType.ONE_PROJECT: "Project",
    BodyType.MULTIPLE_AREAS: "Areas",
    BodyType.ONE_AREA: "Area",
    BodyType.MULTIPLE_DEVICES: "Devices",
    BodyType.ONE_DEVICE: "Device",
    BodyType.MULTIPLE_ZONES: "Zones",
    BodyType.ONE_ZONE: "Zone",
    BodyType.MULTIPLE_ZONE_STATUSES: "ZoneStatuses",
    BodyType.ONE_ZONE_STATUS: "ZoneStatus",
    BodyType.MULTIPLE_AREA_STATUSES: "AreaStatuses",
    BodyType.ONE_AREA_STATUS: "AreaStatus",
    BodyType.MULTIPLE_CONTROL_STATIONS: "ControlStations",
    BodyType.ONE_CONTROL_STATION: "ControlStation",
    BodyType.ONE_LINK: "Link",
    BodyType.MULTIPLE_LINK_NODES_EXPANDED: "LinkNodesExpanded",
    BodyType.MULTIPLE_BUTTON_GROUPS: "ButtonGroups",
    BodyType.MULTIPLE_BUTTON_GROUPS_EXPANDED: "ButtonGroupsExpanded",
    BodyType.ONE_BUTTON_GROUP: "ButtonGroup",
    BodyType.MULTIPLE_BUTTONS: "Buttons",
    BodyType.ONE_BUTTON: "Button",
    BodyType.ONE_BUTTON_STATUS_EVENT: "ButtonStatus",
    BodyType.ONE_PROGRAMMING_MODEL: "ProgrammingModel",
    BodyType.ONE_LED: "LED",
    BodyType.ONE_LED_STATUS: "LEDStatus",
    BodyType.MULTIPLE_TIMECLOCKS: "Timeclocks",
    BodyType.ONE_TIMECLOCK: "Timeclock",
    BodyType.MULTIPLE_TIMECLOCK_STATUSES: "TimeclockStatuses",
    BodyType.ONE_TIMECLOCK_STATUS: "TimeclockStatus",
    BodyType.MULTIPLE_TIMECLOCK_EVENTS: "TimeclockEvents",
    BodyType.ONE_TIMECLOCK_EVENT: "TimeclockEvent",
    BodyType.ONE_DEVICE_STATUS: "DeviceStatus",
    BodyType.ONE_PING: "PingResponse",
    BodyType.EXCEPTION: "Message",
}


class CommandType(StrEnum):
    """Zone commands (LP19, LP25, LP31)."""

    GO_TO_LEVEL = "GoToLevel"
    GO_TO_SWITCHED_LEVEL = "GoToSwitchedLevel"
    GO_TO_CCO_LEVEL = "GoToCCOLevel"
    GO_TO_DIMMED_LEVEL = "GoToDimmedLevel"
    RAISE = "Raise"
    LOWER = "Lower"
    STOP = "Stop"
    GO_TO_TILT = "GoToTilt"
    GO_TO_SHADE_LEVEL = "GoToShadeLevel"
    GO_TO_SHADE_LEVEL_WITH_TILT = "GoToShadeLevelWithTilt"


class ButtonCommandType(StrEnum):
    """Button commands (LP40)."""

    PRESS_AND_RELEASE = "PressAndRelease"
    PRESS_AND_HOLD = "PressAndHold"
    RELEASE = "Release"
    MULTI_TAP = "MultiTap"


class LeapError(Exception):
    """A request refused with an `ExceptionResponse` (LP7): its status and the message sent to the client."""

    def __init__(self, status: Status, message: str) -> None:
        """Refuse with `status` and `message`."""
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(url: str) -> LeapError:
    """LP7: the refusal of a URL that names nothing."""
    return LeapError(Status.NOT_FOUND, f"This resource does not exist : {url}")


def not_allowed() -> LeapError:
    """LP7: the refusal of a verb the URL does not support."""
    return LeapError(Status.METHOD_NOT_ALLOWED, "This request is not supported")


@dataclass(frozen=True, slots=True)
class Request:
    """One request as read from a line (LP5)."""

    communique_type: CommuniqueType
    url: str
    # None: the reply goes untagged (pylutron-caseta's pairing ping sends none).
    client_tag: str | None
    body: Any = None
    paging: Mapping[str, Any] | None = None


class LineReader:
    """Cut a byte stream into lines of at most `max_line` bytes (LP2); LF or CR LF ends a line.

    Memory stays bounded: a line over the limit ends the stream. `feed` returns None in its place, after the lines
    that came before it, and keeps nothing more.
    """

    __slots__ = ("_buffer", "_max_line", "_overflowed")

    def __init__(self, max_line: int = MAX_INBOUND_LINE_BYTES) -> None:
        """Accept lines of up to `max_line` bytes (without their ending)."""
        self._max_line = max_line
        self._buffer = bytearray()
        self._overflowed = False

    def feed(self, data: bytes) -> list[bytes | None]:
        """Add received bytes; return the complete lines they end (blank lines dropped), None for a line too long."""
        if self._overflowed:
            return []
        self._buffer += data
        lines: list[bytes | None] = []
        cut = self._buffer.rfind(b"\n") + 1
        if cut:
            for line in bytes(self._buffer[:cut]).split(b"\n")[:-1]:
                if len(line) > self._max_line + 1:  # +1: the CR of CR LF
                    return self._overflow(lines)
                stripped = line.rstrip(b"\r")
                if stripped.strip():
                    lines.append(stripped)
            del self._buffer[:cut]
        if len(self._buffer) > self._max_line + 1:
            return self._overflow(lines)
        return lines

    def _overflow(self, lines: list[bytes | None]) -> list[bytes | None]:
        self._overflowed = True
        self._buffer = bytearray()
        lines.append(None)
        return lines


# One encoder for every line: `json.dumps` with options builds a new one per call. Messages are trees built here
# (no cycles to look for).
_ENCODER: Final = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, check_circular=False
)


def encode_json(value: Any) -> str:
    """Return `value` as compact JSON text (as `encode` writes it)."""
    return _ENCODER.encode(value)


def encode(message: Mapping[str, Any]) -> bytes:
    """Return one message as a line (compact JSON and CR LF)."""
    return _ENCODER.encode(message).encode() + LINE_END


def encode_no_content(
    communique_type: CommuniqueType, url: str | None, client_tag: str | None
) -> bytes:
    """Return the line of a `204` reply without body: the same bytes as `encode(make_reply(...))`, sooner."""
    header = '{"StatusCode":"204 NoContent"'
    if url is not None:
        header += f',"Url":{_ENCODER.encode(url)}'
    if client_tag is not None:
        header += f',"ClientTag":{_ENCODER.encode(client_tag)}'
    return (
        f'{{"CommuniqueType":"{communique_type.value}","Header":{header}}}}}'.encode()
        + LINE_END
    )


def reply_prefix(
    communique_type: CommuniqueType,
    status: Status,
    url: str | None,
    client_tag: str | None,
    body_type: BodyType,
) -> str:
    """Return the start of a reply line up to its body's content: what `encode_reply` completes.

    A server keeps it for lines it sends often with the same header (a subscription's pushes).
    """
    header = make_reply(communique_type, status, url, client_tag, body_type=body_type)
    # The type and the body key are names of this module (letters only): JSON strings as they are.
    return (
        f'{{"CommuniqueType":"{communique_type.value}",'
        f'"Header":{_ENCODER.encode(header["Header"])},'
        f'"Body":{{"{body_type.body_key}":'
    )


def encode_reply(prefix: str, content_json: str) -> bytes:
    """Return the line of a reply from its `reply_prefix` and its body's content already encoded (`encode_json`).

    The same bytes as `encode(make_reply(...))`: a body encoded once serves every subscriber, and statuses that
    do not change are not encoded again.
    """
    return f"{prefix}{content_json}}}}}".encode() + LINE_END


def decode(line: bytes | str) -> dict[str, Any]:
    """Return the JSON object of one line; `LeapError` 400 when it is not JSON or not an object (LP7).

    Bytes must be UTF-8 (strictly: `json.loads` would let encoded surrogates through). The object may still hold
    text that cannot be sent back (a lone surrogate, which JSON can write as an escape): `check_text` refuses it.
    """
    try:
        text = line.decode() if isinstance(line, bytes) else line
        message = json.loads(text)
    except ValueError as err:  # UnicodeDecodeError is a ValueError too
        raise LeapError(Status.BAD_REQUEST, f"The message is not JSON: {err}") from None
    if not isinstance(message, dict):
        raise LeapError(Status.BAD_REQUEST, "The message is not a JSON object")
    return message


def encodable(value: Any) -> bool:
    """Whether `value` (decoded JSON) can be written back as UTF-8: no lone surrogate in any key or string."""
    try:
        _ENCODER.encode(value).encode()
    except UnicodeEncodeError:
        return False
    return True


def check_text(message: Mapping[str, Any]) -> None:
    """Refuse (`LeapError` 400) a message holding text that is not valid Unicode: it could be echoed nowhere."""
    if not encodable(message):
        raise LeapError(
            Status.BAD_REQUEST,
            "The message holds text that is not valid Unicode (a lone surrogate)",
        )


def _header_text(message: Mapping[str, Any], key: str) -> str | None:
    header = message.get("Header")
    if isinstance(header, Mapping):
        value = header.get(key)
        if isinstance(value, str) and encodable(value):
            return value
    return None


def request_tag(message: Mapping[str, Any]) -> str | None:
    """Return the `ClientTag` of a message when it is a string that can be sent back (so a refusal carries it)."""
    return _header_text(message, "ClientTag")


def request_url(message: Mapping[str, Any]) -> str | None:
    """Return the `Url` of a message when it is a string that can be sent back (so a refusal carries it)."""
    return _header_text(message, "Url")


def escapes_free(line: bytes) -> bool:
    """Whether a line holds no JSON escape of a character: decoded (strict UTF-8), it holds no lone surrogate."""
    return b"\\u" not in line


def parse_request(message: Mapping[str, Any], *, text_checked: bool = False) -> Request:
    """Check the envelope of a request (LP5) and its text; `LeapError` 400 names what is wrong.

    `text_checked`: the caller knows the text is valid Unicode (`escapes_free`), which is not checked again.
    """
    if not text_checked:
        check_text(message)
    kind = message.get("CommuniqueType")
    if not isinstance(kind, str):
        raise LeapError(Status.BAD_REQUEST, "CommuniqueType is missing")
    communique_type = _REQUEST_TYPE_NAMES.get(kind)
    if communique_type is None:
        raise LeapError(Status.BAD_REQUEST, f"Unknown CommuniqueType {kind!r}")
    header = message.get("Header")
    if not isinstance(header, Mapping):
        raise LeapError(Status.BAD_REQUEST, "Header is missing or not an object")
    url = header.get("Url")
    if not isinstance(url, str) or not url.startswith("/"):
        raise LeapError(Status.BAD_REQUEST, "Header.Url is missing or not a path")
    tag = header.get("ClientTag")
    if tag is not None and not isinstance(tag, str):
        raise LeapError(Status.BAD_REQUEST, "Header.ClientTag is not a string")
    paging = header.get("Paging")
    if paging is not None and not isinstance(paging, Mapping):
        raise LeapError(Status.BAD_REQUEST, "Header.Paging is not an object")
    return Request(communique_type, url, tag, message.get("Body"), paging)


def make_request(
    communique_type: CommuniqueType,
    url: str,
    client_tag: str | None = None,
    body: Any = None,
    paging: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a request message (the client's side of LP5)."""
    return _message(communique_type, {"Url": url}, client_tag, paging, body)


def make_reply(
    communique_type: CommuniqueType,
    status: Status,
    url: str | None,
    client_tag: str | None,
    *,
    body_type: BodyType | None = None,
    content: Any = None,
    paging: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a reply: the header of LP5, and a body `{body_type.body_key: content}` unless `body_type` is None."""
    header: dict[str, Any] = {"StatusCode": status.value}
    if url is not None:
        header["Url"] = url
    if body_type is None:
        return _message(communique_type, header, client_tag, paging, None)
    header["MessageBodyType"] = body_type.value
    body = {body_type.body_key: content}
    return _message(communique_type, header, client_tag, paging, body)


def _message(
    communique_type: CommuniqueType,
    header: dict[str, Any],
    client_tag: str | None,
    paging: Mapping[str, Any] | None,
    body: Any,
) -> dict[str, Any]:
    """Complete `header` with the tag and paging object (LP5, LP8) and wrap it with the body in a message."""
    if client_tag is not None:
        header["ClientTag"] = client_tag
    if paging is not None:
        header["Paging"] = dict(paging)
    message: dict[str, Any] = {
        "CommuniqueType": communique_type.value,
        "Header": header,
    }
    if body is not None:
        message["Body"] = body
    return message


def line_too_long(limit: int) -> LeapError:
    """LP2 (ours): the refusal of an inbound line over `limit` bytes (the connection is then closed)."""
    return LeapError(Status.BAD_REQUEST, f"The line is longer than {limit} bytes")


def close_after_long_line(transport: asyncio.BaseTransport) -> asyncio.TimerHandle:
    """Close `transport` after the refusal of a line over the limit (LP2), `LONG_LINE_LINGER` s from now.

    What the peer is still sending is read and dropped meanwhile: closing with unread input would reset the
    connection and could lose the refusal on the way.
    """
    return asyncio.get_running_loop().call_later(LONG_LINE_LINGER, transport.close)


def exception_reply(
    error: LeapError, url: str | None, client_tag: str | None
) -> dict[str, Any]:
    """LP7: an `ExceptionResponse` with the request's tag and URL (when it had them)."""
    return make_reply(
        CommuniqueType.EXCEPTION_RESPONSE,
        error.status,
        url,
        client_tag,
        body_type=BodyType.EXCEPTION,
        content=error.message,
    )


def ping_reply(client_tag: str | None) -> dict[str, Any]:
    """LP3: the answer to `ReadRequest /server/1/status/ping`."""
    return make_reply(
        CommuniqueType.READ_RESPONSE,
        Status.OK,
        PING_URL,
        client_tag,
        body_type=BodyType.ONE_PING,
        content={"LEAPVersion": LEAP_VERSION},
    )


# LP26: durations (`FadeTime`, `DelayTime`) range from 0 to 4 h.
MAX_DURATION_SECONDS: Final = 4 * 3600


def format_duration(seconds: float) -> str:
    """LP25, LP26, LP28: a duration as `hh:mm:ss`, rounded to the nearest second and held within 0..4 h."""
    # Half a second rounds up (Python's `round` would round it to even).
    whole = min(max(int(seconds + 0.5), 0), MAX_DURATION_SECONDS)
    hours, rest = divmod(whole, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def href(kind: str, object_id: int, *suffix: str) -> dict[str, str]:
    """`{"href": "/<kind>/<id>[/suffix…]"}`."""
    return {"href": "/".join((f"/{kind}/{object_id}", *suffix))}


def id_from_href(link: str) -> int | None:
    """Return the id in `/<kind>/<id>[/…]`, or None when there is none."""
    parts = link.split("/")
    if len(parts) >= 3 and parts[0] == "" and parts[2].isdigit():
        return int(parts[2])
    return None


class Pager:
    """LP8: cut long lists into pages, and accept a `Paging` object only as this pager issued it.

    A `Paging` object carries the next offset and a keyed digest of (URL, offset), so the server keeps no state per
    listing and a forged or altered object is recognised (its digest does not match).
    """

    __slots__ = ("_key", "_page_size")

    def __init__(self, key: bytes, page_size: int = PAGE_SIZE) -> None:
        """Sign paging objects with `key` (a secret of the server); `page_size` items per page."""
        self._key = key
        self._page_size = page_size

    def _digest(self, url: str, offset: int) -> str:
        return hmac.new(
            self._key, f"{url}\n{offset}".encode(), hashlib.sha256
        ).hexdigest()[:32]

    def start(self, url: str, paging: Mapping[str, Any] | None) -> int:
        """Return the offset a request asks for (0 without `Paging`); `LeapError` 400 for a forged object."""
        if paging is None:
            return 0
        offset = paging.get("Offset")
        token = paging.get("Token")
        if (
            set(paging) != {"Offset", "Token"}
            or isinstance(offset, bool)
            or not isinstance(offset, int)
            or offset <= 0
            or not isinstance(token, str)
            or not token.isascii()  # compare_digest takes ASCII text only
            or not hmac.compare_digest(token, self._digest(url, offset))
        ):
            raise LeapError(
                Status.BAD_REQUEST,
                "Header.Paging was not issued by this server for this URL",
            )
        return offset

    def page[T](
        self, url: str, items: Sequence[T], offset: int
    ) -> tuple[Sequence[T], dict[str, Any] | None]:
        """Return the page at `offset` and the `Paging` object of the next one (None on the last page)."""
        if offset > len(items):
            raise LeapError(
                Status.BAD_REQUEST, "Header.Paging points past the end of the list"
            )
        end = offset + self._page_size
        if end >= len(items):
            return items[offset:], None
        return items[offset:end], {"Offset": end, "Token": self._digest(url, end)}
