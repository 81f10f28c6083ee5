"""What each LEAP request means: reads, subscriptions, commands and updates answered from the emulator.

`RequestHandler` turns one parsed request into its encoded reply, or refuses it with a `LeapError` (LP7: 404 for a
resource that does not exist, 405 for a verb a resource does not take, 400 for a bad body): every request is
checked in full before the emulator is touched. It keeps the resource tree (`resources.py`) of the current
description; `LeapServer` (`server.py`) owns the sessions, the writing and the pushes.

Commands: zones (LP19 switched and CCO, LP25–LP27 dimmed, LP31 shades), buttons (LP40); updates: LEDs (LP41, LP42)
and timeclocks (LP46). Subscriptions: the collections `/zone/status`, `/area/status` and `/timeclock/status`, and one
object each of `/area/<id>/status`, `/led/<id>/status` and `/button/<id>/status/event` (LP39: `204`, no stored event).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
import re
from typing import Any, Final

from ...const import Gesture, IgnoredReason, ShadeMove
from ...leap.protocol import (
    AREA_STATUS_URL,
    PING_URL,
    TIMECLOCK_STATUS_URL,
    ZONE_STATUS_URL,
    BodyType,
    ButtonCommandType,
    CommandType,
    CommuniqueType,
    LeapError,
    Pager,
    Request,
    Status,
    encode,
    encode_json,
    encode_no_content,
    encode_reply,
    make_reply,
    not_allowed,
    ping_reply,
    reply_prefix,
)
from ...leap.pushes import Subscription
from ...model import ControlType
from .. import Emulator
from .resources import (
    ButtonTarget,
    LedTarget,
    Profile,
    ResourceTree,
    StatusUse,
    TimeclockTarget,
    ZoneTarget,
    led_status,
    timeclock_status,
    zone_status,
)

_LOGGER = logging.getLogger(__name__)

COLLECTIONS: Final = {
    ZONE_STATUS_URL: BodyType.MULTIPLE_ZONE_STATUSES,
    AREA_STATUS_URL: BodyType.MULTIPLE_AREA_STATUSES,
    TIMECLOCK_STATUS_URL: BodyType.MULTIPLE_TIMECLOCK_STATUSES,
}
OCCUPANCY_GROUP_URLS: Final = ("/occupancygroup", "/occupancygroup/status")  # LP44: 204
BUTTON_EVENTS_URL: Final = "/button/status/event"  # LP39: 405
LEVEL_MAX: Final = 100
MAX_DURATION_SECONDS: Final = 4 * 3600  # LP26
# Tuples: membership compares, so a value of any JSON type (a list too) is simply not in them.
COMMAND_TYPES: Final = tuple(CommandType)
BUTTON_COMMANDS: Final = {
    ButtonCommandType.PRESS_AND_RELEASE: Gesture.TAP,
    ButtonCommandType.PRESS_AND_HOLD: Gesture.HOLD,
    ButtonCommandType.RELEASE: Gesture.RELEASE,
    ButtonCommandType.MULTI_TAP: Gesture.DOUBLE_TAP,
}
MOVES: Final = {
    CommandType.RAISE: ShadeMove.RAISE,
    CommandType.LOWER: ShadeMove.LOWER,
    CommandType.STOP: ShadeMove.STOP,
}
# LP25 (seen): the refusal of a switched level sent to a dimmed zone.
SWITCHED_ONLY: Final = "This request is not supported : Only switched zones can be sent to a switched level"
# LP31 (ours): shade commands the emulator does not take; `ShadeLimit…` are installer functions.
UNSUPPORTED_SHADE_COMMANDS: Final = (
    "GoToShadeLevelWithTiltWhenClosed",
    "RaiseTilt",
    "LowerTilt",
    "StopTilt",
)
_CLOCK: Final = re.compile(
    r"(?:(?:(\d{1,2}):)?(\d{1,2}):)?(\d{1,2})(?:\.(\d{1,2}))?", re.ASCII
)
_ISO: Final = re.compile(
    r"PT(?:(\d{1,5})H)?(?:(\d{1,5})M)?(?:(\d{1,5})(?:\.(\d{1,3}))?S)?", re.ASCII
)

type Apply = Callable[[Emulator], IgnoredReason | None]


def parse_duration(value: Any, what: str) -> float:
    """LP26: a `FadeTime` or `DelayTime` in seconds; `LeapError` 400 for another form or outside 0 to 4 h.

    Accepted: `hh:mm:ss`, `h:mm:ss`, `mm:ss`, `ss`, each with an optional `.ff`, and ISO-8601 `PT…S`.
    """
    if not isinstance(value, str):
        raise LeapError(Status.BAD_REQUEST, f"{what} must be a duration text")
    seconds: float | None = None
    if (clock := _CLOCK.fullmatch(value)) is not None:
        hours, minutes, whole, fraction = clock.groups()
        if (hours is None or int(minutes) < 60) and (
            minutes is None or int(whole) < 60
        ):
            seconds = (
                int(hours or 0) * 3600
                + int(minutes or 0) * 60
                + int(whole)
                + (int(fraction) / 10 ** len(fraction) if fraction else 0)
            )
    elif (iso := _ISO.fullmatch(value)) is not None and value != "PT":
        hours, minutes, whole, fraction = iso.groups()
        seconds = (
            int(hours or 0) * 3600
            + int(minutes or 0) * 60
            + int(whole or 0)
            + (int(fraction) / 10 ** len(fraction) if fraction else 0)
        )
    if seconds is None:
        raise LeapError(
            Status.BAD_REQUEST,
            f"{what} must be hh:mm:ss, mm:ss, ss (with .ff) or PT…S",
        )
    if seconds > MAX_DURATION_SECONDS:
        raise LeapError(Status.BAD_REQUEST, f"{what} must be at most 4 hours")
    return seconds


class RequestHandler:
    """Answer LEAP requests from one emulator's resource tree.

    Args:
        emulator: the system served.
        profile: how modules are listed (LP16).
        pager: pages lists and checks the paging tokens it issued (LP8).
        counters: the server's counters; `commands` and `ignored_commands` are counted here.
        this_processor: the serial of the processor answering (LP53; the project's first by default).

    """

    def __init__(
        self,
        emulator: Emulator,
        profile: Profile,
        pager: Pager,
        counters: dict[str, int],
        *,
        this_processor: str | None = None,
    ) -> None:
        """Prepare the handler; the tree is built on first use."""
        self.emulator = emulator
        self.profile = profile
        self.this_processor = this_processor
        self._pager = pager
        self._counters = counters
        self._tree_cache: ResourceTree | None = None
        # (serial, output number or None for a CCO) → zone id, for the tree of now.
        self.zone_ids: dict[tuple[str, int | None], int] = {}
        # Processor serial → the zones on its links: pushed when it is cut off or back (LP53).
        self.processor_zone_ids: dict[str, list[int]] = {}
        # (serial, number) → button id and LED id; serial → timeclock id; area name → area id.
        self.button_ids: dict[tuple[str, int], int] = {}
        self.led_ids: dict[tuple[str, int], int] = {}
        self.timeclock_ids: dict[str, int] = {}
        # Area statuses as last pushed (LP18), reset with the tree.
        self.area_statuses: dict[int, dict[str, Any]] = {}
        # Zone commands waiting for their `DelayTime` (LP26): one per zone, the latest command wins.
        self._delayed: dict[int, Any] = {}
        # What the last request does once its reply is queued (a press, so that its event follows the reply).
        self.after_reply: list[Callable[[], None]] = []

    def tree(self) -> ResourceTree:
        """Return the resource tree, rebuilt when the description changed (a new description is a new object)."""
        description = self.emulator.description
        tree = self._tree_cache
        if tree is None or tree.description is not description:
            tree = ResourceTree(
                description, self.profile, this_processor=self.this_processor
            )
            self._tree_cache = tree
            self.zone_ids = {
                (target.serial, target.number): zone_id
                for zone_id, target in tree.targets.items()
            }
            self.processor_zone_ids = {}
            for zone_id, target in tree.targets.items():
                self.processor_zone_ids.setdefault(target.processor, []).append(zone_id)
            self.button_ids = {
                (target.serial, target.number): button_id
                for button_id, target in tree.button_targets.items()
            }
            self.led_ids = {
                (target.serial, target.number): led_id
                for led_id, target in tree.led_targets.items()
            }
            self.timeclock_ids = {
                target.serial: timeclock_id
                for timeclock_id, target in tree.timeclock_targets.items()
            }
            self.area_statuses = {
                area_id: self.area_status(area_id) for area_id in tree.areas
            }
        return tree

    def close(self) -> None:
        """Drop the zone commands still waiting for their delay."""
        for handle in self._delayed.values():
            handle.cancel()
        self._delayed.clear()

    # Statuses of now.

    def zone_status(
        self, target: ZoneTarget, use: StatusUse = StatusUse.READ
    ) -> dict[str, Any]:
        """Return the status of a zone now."""
        return zone_status(
            target,
            self.emulator.state(target.serial),
            use,
            cut_off=self.cut_off(target),
        )

    def zone_status_json(self, target: ZoneTarget, use: StatusUse) -> str:
        """Return the status of a zone now, as JSON text."""
        return self.tree().zone_status_json(
            target,
            self.emulator.state(target.serial),
            use,
            cut_off=self.cut_off(target),
        )

    def cut_off(self, target: ZoneTarget) -> bool:
        """LP53: whether the processor driving the zone's link is off the network."""
        return not self.emulator.processor_online(target.processor)

    def area_status(self, area_id: int) -> dict[str, Any]:
        """Return the status of an area now (LP43)."""
        assert self._tree_cache is not None
        return self._tree_cache.area_status(
            area_id, self.emulator.state, self._occupancy
        )

    def _occupancy(self, area: str) -> bool | None:
        return self.emulator.area_occupancy(area)

    def led_status(self, target: LedTarget) -> dict[str, Any]:
        """Return the status of a keypad LED now (LP41)."""
        return led_status(target, self.emulator.state(target.serial))

    def timeclock_status(self, target: TimeclockTarget) -> dict[str, Any]:
        """Return the status of a timeclock now (LP45)."""
        return timeclock_status(target, self.emulator.state(target.serial))

    # Requests.

    def handle(self, request: Request, subscriptions: dict[str, Subscription]) -> bytes:
        """Return the encoded reply to `request`; `LeapError` when it is refused (LP7).

        `subscriptions` are the session's (URL → its tag and the start of its push lines): subscribing adds to them.
        """
        kind = request.communique_type
        if kind is CommuniqueType.READ_REQUEST:
            return self._read(request)
        self._no_paging(request)
        if request.url == BUTTON_EVENTS_URL:
            raise not_allowed()  # LP39
        if kind is CommuniqueType.SUBSCRIBE_REQUEST:
            return self._subscribe(request, subscriptions)
        if kind is CommuniqueType.UNSUBSCRIBE_REQUEST:
            if self._push_shape(request.url) is None:
                raise self._refusal(request.url)
            subscriptions.pop(request.url, None)
            return self._no_content(CommuniqueType.UNSUBSCRIBE_RESPONSE, request)
        if kind is CommuniqueType.CREATE_REQUEST:
            return self._create(request)
        return self._update(request)

    @staticmethod
    def _no_paging(request: Request) -> None:
        if request.paging is not None:
            raise LeapError(
                Status.BAD_REQUEST,
                "Header.Paging was not issued by this server for this URL",
            )

    @staticmethod
    def _no_content(kind: CommuniqueType, request: Request) -> bytes:
        return encode_no_content(kind, request.url, request.client_tag)

    def _refusal(self, url: str) -> LeapError:
        """405 for a resource that exists (the verb is wrong), 404 otherwise (LP7)."""
        try:
            self._read_body(url)
        except LeapError as err:
            return err if err.status is Status.NOT_FOUND else not_allowed()
        return not_allowed()

    def _read_body(self, url: str) -> tuple[BodyType, Any] | None:
        """Return the body of `ReadRequest url`: shape and content, None for 204; `LeapError` when refused."""
        tree = self.tree()
        parts = url.split("/")[1:]
        match parts:
            case ["server", "1", "status", "ping"]:
                return BodyType.ONE_PING, ping_reply(None)["Body"]["PingResponse"]
            case ["zone", "status"]:
                return BodyType.MULTIPLE_ZONE_STATUSES, [
                    self.zone_status(t) for t in tree.targets.values()
                ]
            case ["area", "status"]:
                return BodyType.MULTIPLE_AREA_STATUSES, [
                    self.area_status(a) for a in tree.areas
                ]
            case ["timeclock", "status"]:
                return BodyType.MULTIPLE_TIMECLOCK_STATUSES, [
                    self.timeclock_status(t) for t in tree.timeclock_targets.values()
                ]
            case ["zone", number, "status"]:
                return BodyType.ONE_ZONE_STATUS, self.zone_status(
                    tree.zone_target(number, url)
                )
            case ["area", number, "status"]:
                return BodyType.ONE_AREA_STATUS, self.area_status(
                    tree.area_id(number, url)
                )
            case ["led", number, "status"]:
                return BodyType.ONE_LED_STATUS, self.led_status(
                    tree.led_target(number, url)
                )
            case ["timeclock", number, "status"]:
                return BodyType.ONE_TIMECLOCK_STATUS, self.timeclock_status(
                    tree.timeclock_target(number, url)
                )
            case ["device", number, "status"]:
                device_id = tree.device_id(number, url)
                processor = tree.processor_serials.get(device_id)
                if processor is not None:  # LP53: a processor cut off is unavailable
                    online = self.emulator.processor_online(processor)
                    return BodyType.ONE_DEVICE_STATUS, tree.device_status(
                        device_id, None, online=online
                    )
                state = self.emulator.state(tree.device_serials[device_id])
                return BodyType.ONE_DEVICE_STATUS, tree.device_status(device_id, state)
            case ["button", number, "status", "event"]:
                tree.button_target(number, url)
                return None  # LP39: no stored event
            case ["occupancygroup", "status"]:
                return None  # LP44
            case ["zone", number, "commandprocessor"]:
                tree.zone_target(number, url)
                raise not_allowed()
            case ["button", number, "commandprocessor"]:
                tree.button_target(number, url)
                raise not_allowed()
            case ["button", "status", "event"]:
                raise not_allowed()  # LP39
        return tree.read(url)

    def _read(self, request: Request) -> bytes:
        if request.url == PING_URL:
            self._no_paging(request)
            return encode(ping_reply(request.client_tag))
        if request.url == "/button":
            # LP36 (seen): `200` with an empty object, whatever the keypads.
            self._no_paging(request)
            reply = make_reply(
                CommuniqueType.READ_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
            )
            reply["Header"]["MessageBodyType"] = BodyType.MULTIPLE_BUTTONS.value
            reply["Body"] = {}
            return encode(reply)
        result = self._read_body(request.url)
        if result is None:
            self._no_paging(request)
            return self._no_content(CommuniqueType.READ_RESPONSE, request)
        body_type, content = result
        paging = None
        if isinstance(content, list):
            offset = self._pager.start(request.url, request.paging)
            page, paging = self._pager.page(request.url, content, offset)
            content = list(page)
        else:
            self._no_paging(request)
        return encode(
            make_reply(
                CommuniqueType.READ_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                body_type=body_type,
                content=content,
                paging=paging,
            )
        )

    def _push_shape(self, url: str) -> BodyType | None:
        """Return the body type of `url`'s pushes if it can be subscribed to, else None; `LeapError` 404 for nothing."""
        if url in COLLECTIONS:
            return COLLECTIONS[url]
        tree = self.tree()
        parts = url.split("/")[1:]
        match parts:
            case ["area", number, "status"]:
                tree.area_id(number, url)
                return BodyType.ONE_AREA_STATUS
            case ["led", number, "status"]:
                tree.led_target(number, url)
                return BodyType.ONE_LED_STATUS
            case ["button", number, "status", "event"]:
                tree.button_target(number, url)
                return BodyType.ONE_BUTTON_STATUS_EVENT
        return None

    def _subscribe(
        self, request: Request, subscriptions: dict[str, Subscription]
    ) -> bytes:
        """LP18, LP39, LP41, LP44, LP46: the whole current state now (not paged: clients read it whole)."""
        if request.url in OCCUPANCY_GROUP_URLS:
            return self._no_content(CommuniqueType.SUBSCRIBE_RESPONSE, request)
        push_type = self._push_shape(request.url)
        if push_type is None:
            raise self._refusal(request.url)
        subscription = Subscription(
            request.client_tag,
            reply_prefix(
                CommuniqueType.READ_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                push_type,
            ),
        )
        if push_type is BodyType.ONE_BUTTON_STATUS_EVENT:
            subscriptions[request.url] = subscription
            return self._no_content(CommuniqueType.SUBSCRIBE_RESPONSE, request)
        result = self._read_body(request.url)
        assert result is not None
        subscriptions[request.url] = subscription
        return encode(
            make_reply(
                CommuniqueType.SUBSCRIBE_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                body_type=result[0],
                content=result[1],
            )
        )

    def _create(self, request: Request) -> bytes:
        """LP19, LP25–LP27, LP31: a zone command, the reply showing its status after; LP40: a button press."""
        parts = request.url.split("/")[1:]
        match parts:
            case ["zone", number, "commandprocessor"]:
                target = self.tree().zone_target(number, request.url)
                return self._zone_command(request, target)
            case ["button", number, "commandprocessor"]:
                button = self.tree().button_target(number, request.url)
                return self._button_command(request, button)
        raise self._refusal(request.url)

    def _count(self, reason: IgnoredReason | None, url: str, serial: str) -> None:
        self._counters["commands"] += 1
        if reason is not None:
            self._counters["ignored_commands"] += 1
            _LOGGER.debug(
                "LEAP command on %s ignored by device %s: %s", url, serial, reason
            )

    def _zone_command(self, request: Request, target: ZoneTarget) -> bytes:
        apply, delay = _zone_command(target, request.body)
        pending = self._delayed.pop(target.zone_id, None)
        if pending is not None:
            pending.cancel()  # a newer command for the zone wins
        if delay:
            self._counters["commands"] += 1
            self._delayed[target.zone_id] = self.emulator.call_later(
                delay, lambda: self._run_delayed(target, apply, request.url)
            )
        else:
            self._count(apply(self.emulator), request.url, target.serial)
        prefix = reply_prefix(
            CommuniqueType.CREATE_RESPONSE,
            Status.CREATED,
            request.url,
            request.client_tag,
            BodyType.ONE_ZONE_STATUS,
        )
        return encode_reply(prefix, self.zone_status_json(target, StatusUse.REPLY))

    def _run_delayed(self, target: ZoneTarget, apply: Apply, url: str) -> None:
        self._delayed.pop(target.zone_id, None)
        try:
            reason = apply(self.emulator)
        except Exception:  # noqa: BLE001 (a timer's fault must not reach the event loop)
            _LOGGER.debug("Delayed LEAP command on %s failed", url, exc_info=True)
            return
        if reason is not None:
            self._counters["ignored_commands"] += 1

    def _button_command(self, request: Request, button: ButtonTarget) -> bytes:
        """LP40: a press from a client runs the button's programming; `204`, no body, queued before the press runs."""
        command = _command_object(request.body)
        kind = command.get("CommandType")
        if kind not in BUTTON_COMMANDS:
            raise LeapError(
                Status.BAD_REQUEST,
                f"Unknown CommandType {kind!r} for a button "
                "(PressAndRelease, PressAndHold, Release or MultiTap)",
            )
        gesture = BUTTON_COMMANDS[
            kind
        ]  # its text finds its member (a `StrEnum`), without the enum's slow call
        self.after_reply.append(
            lambda: self._count(
                self.emulator.press(button.serial, button.number, gesture),
                request.url,
                button.serial,
            )
        )
        return self._no_content(CommuniqueType.CREATE_RESPONSE, request)

    def _update(self, request: Request) -> bytes:
        """LP42: an LED's state; LP46: a timeclock enabled or disabled. The reply shows the state in force after."""
        tree = self.tree()
        parts = request.url.split("/")[1:]
        match parts:
            case ["led", number, "status"]:
                led = tree.led_target(number, request.url)
                state = _field(request.body, "LEDStatus", "State")
                if state not in ("On", "Off"):
                    raise LeapError(
                        Status.BAD_REQUEST, "LEDStatus.State must be On or Off"
                    )
                self._count(
                    self.emulator.set_indicator(led.serial, led.number, state == "On"),
                    request.url,
                    led.serial,
                )
                body_type, content = (
                    BodyType.ONE_LED_STATUS,
                    self.led_status(led),
                )
            case ["timeclock", number, "status"]:
                clock = tree.timeclock_target(number, request.url)
                enabled = _field(request.body, "TimeclockStatus", "EnabledState")
                if enabled not in ("Enabled", "Disabled"):
                    raise LeapError(
                        Status.BAD_REQUEST,
                        "TimeclockStatus.EnabledState must be Enabled or Disabled",
                    )
                self.emulator.set_timeclock(clock.serial, enabled == "Enabled")
                self._counters["commands"] += 1
                body_type, content = (
                    BodyType.ONE_TIMECLOCK_STATUS,
                    self.timeclock_status(clock),
                )
            case _:
                raise self._refusal(request.url)
        prefix = reply_prefix(
            CommuniqueType.UPDATE_RESPONSE,
            Status.OK,
            request.url,
            request.client_tag,
            body_type,
        )
        return encode_reply(prefix, encode_json(content))


def _field(body: Any, outer: str, inner: str) -> Any:
    """`body[outer][inner]`, or None where the body is not shaped so."""
    return _key(_key(body, outer), inner)


def _key(value: Any, key: str) -> Any:
    """`value[key]`, or None where `value` is not an object."""
    return value.get(key) if isinstance(value, Mapping) else None


def _command_object(body: Any) -> Mapping[str, Any]:
    command = body.get("Command") if isinstance(body, Mapping) else None
    if not isinstance(command, Mapping):
        raise LeapError(Status.BAD_REQUEST, "Body.Command is missing or not an object")
    return command


def _number(value: Any, what: str) -> float:
    """Return a level or tilt: a number from 0 to 100 (not a truth value, not a text); `LeapError` 400 else."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= LEVEL_MAX
    ):
        raise LeapError(
            Status.BAD_REQUEST,
            f"{what} must be a number from 0 to {LEVEL_MAX}, not {value!r}",
        )
    return float(value)


def _parameters(command: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    parameters = command.get(key)
    if not isinstance(parameters, Mapping):
        raise LeapError(Status.BAD_REQUEST, f"{key} is missing or not an object")
    return parameters


def _go_to_level_value(command: Mapping[str, Any]) -> float:
    parameter = command.get("Parameter")
    values = (
        [
            item.get("Value")
            for item in parameter
            if isinstance(item, Mapping) and item.get("Type") == "Level"
        ]
        if isinstance(parameter, list)
        else []
    )
    if len(values) != 1:
        raise LeapError(
            Status.BAD_REQUEST, "GoToLevel needs one Parameter of Type Level"
        )
    return _number(values[0], "Level")


def _delay(parameters: Mapping[str, Any]) -> float:
    """LP26: a `DelayTime`, 0 by default."""
    value = parameters.get("DelayTime")
    return 0.0 if value is None else parse_duration(value, "DelayTime")


def _zone_command(target: ZoneTarget, body: Any) -> tuple[Apply, float]:
    """Check a zone command in full and return what applies it and its delay; `LeapError` 400 names what is wrong."""
    command = _command_object(body)
    kind = command.get("CommandType")
    if kind not in COMMAND_TYPES:
        if isinstance(kind, str) and target.control_type in (
            ControlType.SHADE,
            ControlType.SHADE_WITH_TILT,
        ):
            if kind.startswith("ShadeLimit"):
                raise LeapError(
                    Status.BAD_REQUEST,
                    f"{kind} is an installer function, not taken over LEAP",
                )
            if kind in UNSUPPORTED_SHADE_COMMANDS:
                raise LeapError(
                    Status.BAD_REQUEST, f"{kind} is not supported by this shade"
                )
        raise LeapError(Status.BAD_REQUEST, f"Unknown CommandType {kind!r}")
    kind = CommandType(kind)
    if target.control_type is ControlType.CCO:
        return _cco_command(target, kind, command), 0.0
    if target.control_type is ControlType.SWITCHED:
        return _switched_command(target, kind, command), 0.0
    if target.control_type is ControlType.DIMMED:
        return _dimmed_command(target, kind, command)
    return _shade_command(target, kind, command)


def _cco_command(
    target: ZoneTarget, kind: CommandType, command: Mapping[str, Any]
) -> Apply:
    if kind is not CommandType.GO_TO_CCO_LEVEL:
        raise LeapError(
            Status.BAD_REQUEST,
            f"{kind} does not apply to a CCO zone (use GoToCCOLevel)",
        )
    level = _field(command, "CCOLevelParameters", "CCOLevel")
    if level not in ("Open", "Closed"):
        raise LeapError(
            Status.BAD_REQUEST, "CCOLevelParameters.CCOLevel must be Open or Closed"
        )
    serial, closed = target.serial, level == "Closed"
    return lambda emulator: emulator.set_cco(serial, closed)


def _switched_command(
    target: ZoneTarget, kind: CommandType, command: Mapping[str, Any]
) -> Apply:
    serial, number = target.serial, target.number
    assert number is not None
    if kind is CommandType.GO_TO_CCO_LEVEL:
        raise LeapError(Status.BAD_REQUEST, "GoToCCOLevel applies to CCO zones only")
    if kind is CommandType.GO_TO_SWITCHED_LEVEL:
        switched = _field(command, "SwitchedLevelParameters", "SwitchedLevel")
        if switched not in ("On", "Off"):
            raise LeapError(
                Status.BAD_REQUEST,
                "SwitchedLevelParameters.SwitchedLevel must be On or Off",
            )
        on = switched == "On"
        return lambda emulator: emulator.set_zone(serial, number, on)
    if kind is not CommandType.GO_TO_LEVEL:
        raise LeapError(
            Status.BAD_REQUEST,
            f"{kind} does not apply to a switched zone (GoToLevel, GoToSwitchedLevel)",
        )
    on = _go_to_level_value(command) > 0
    return lambda emulator: emulator.set_zone(serial, number, on)


def _dimmed_command(
    target: ZoneTarget, kind: CommandType, command: Mapping[str, Any]
) -> tuple[Apply, float]:
    """LP25–LP27: levels with or without a fade, raise, lower and stop."""
    serial, number = target.serial, target.number
    assert number is not None
    if kind is CommandType.GO_TO_LEVEL:
        level = _go_to_level_value(command)
        return (lambda emulator: emulator.set_level(serial, number, level)), 0.0
    if kind is CommandType.GO_TO_DIMMED_LEVEL:
        parameters = _parameters(command, "DimmedLevelParameters")
        level = _number(parameters.get("Level"), "DimmedLevelParameters.Level")
        fade_time = parameters.get("FadeTime")
        fade = None if fade_time is None else parse_duration(fade_time, "FadeTime")
        return (
            lambda emulator: emulator.set_level(serial, number, level, fade)
        ), _delay(parameters)
    if kind in MOVES:
        move = MOVES[kind]
        return (lambda emulator: emulator.move(serial, number, move)), 0.0
    if kind is CommandType.GO_TO_SWITCHED_LEVEL:
        raise LeapError(Status.BAD_REQUEST, SWITCHED_ONLY)
    raise LeapError(Status.BAD_REQUEST, f"{kind} does not apply to a dimmed zone")


def _shade_command(
    target: ZoneTarget, kind: CommandType, command: Mapping[str, Any]
) -> tuple[Apply, float]:
    """LP31, LP33: levels (percent open), raise, lower, stop, and tilt where the shade has it."""
    serial, number = target.serial, target.number
    assert number is not None
    tilted = target.control_type is ControlType.SHADE_WITH_TILT
    if kind is CommandType.GO_TO_LEVEL:
        level = _go_to_level_value(command)
        return (lambda emulator: emulator.set_level(serial, number, level)), 0.0
    if kind in MOVES:
        move = MOVES[kind]
        return (lambda emulator: emulator.move(serial, number, move)), 0.0
    if kind is CommandType.GO_TO_SHADE_LEVEL:
        parameters = _parameters(command, "ShadeLevelParameters")
        level = _number(parameters.get("Level"), "ShadeLevelParameters.Level")
        return (lambda emulator: emulator.set_level(serial, number, level)), _delay(
            parameters
        )
    if tilted and kind is CommandType.GO_TO_TILT:
        tilt = _number(_field(command, "TiltParameters", "Tilt"), "TiltParameters.Tilt")
        return (lambda emulator: emulator.set_tilt(serial, number, tilt)), 0.0
    if tilted and kind is CommandType.GO_TO_SHADE_LEVEL_WITH_TILT:
        parameters = _parameters(command, "ShadeWithTiltLevelParameters")
        level = _number(parameters.get("Level"), "ShadeWithTiltLevelParameters.Level")
        tilt = _number(parameters.get("Tilt"), "ShadeWithTiltLevelParameters.Tilt")

        def level_and_tilt(emulator: Emulator) -> IgnoredReason | None:
            reason = emulator.set_level(serial, number, level)
            return emulator.set_tilt(serial, number, tilt) or reason

        return level_and_tilt, _delay(parameters)
    raise LeapError(
        Status.BAD_REQUEST,
        f"{kind} does not apply to a {'tilting ' if tilted else ''}shade zone",
    )
