"""What each LEAP request means: reads, subscriptions and zone commands answered from the emulator (LP6–LP19).

`RequestHandler` turns one parsed request into its encoded reply, or refuses it with a `LeapError` (LP7: 404 for a
resource that does not exist, 405 for a verb a resource does not take, 400 for a bad body): every request is
checked in full before the emulator is touched. It keeps the resource tree (`resources.py`) of the current
description; `LeapServer` (`server.py`) owns the sessions, the writing and the pushes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
from typing import Any, Final

from ...leap.protocol import (
    AREA_STATUS_URL,
    PING_URL,
    ZONE_STATUS_URL,
    BodyType,
    CommandType,
    CommuniqueType,
    LeapError,
    Pager,
    Request,
    Status,
    encode,
    encode_reply,
    make_reply,
    not_allowed,
    ping_reply,
    reply_prefix,
)
from ...leap.pushes import Subscription
from .. import Emulator
from .resources import Profile, ResourceTree, ZoneTarget, zone_status

_LOGGER = logging.getLogger(__name__)

SUBSCRIBABLE: Final = (ZONE_STATUS_URL, AREA_STATUS_URL)
LEVEL_MAX: Final = 100
# Tuples: membership compares, so a value of any JSON type (a list too) is simply not in them.
COMMAND_TYPES: Final = tuple(CommandType)


class RequestHandler:
    """Answer LEAP requests from one emulator's resource tree.

    Args:
        emulator: the system served.
        profile: how modules are listed (LP16).
        pager: pages lists and checks the paging tokens it issued (LP8).
        counters: the server's counters; `commands` and `ignored_commands` are counted here.

    """

    def __init__(
        self,
        emulator: Emulator,
        profile: Profile,
        pager: Pager,
        counters: dict[str, int],
    ) -> None:
        """Prepare the handler; the tree is built on first use."""
        self.emulator = emulator
        self.profile = profile
        self._pager = pager
        self._counters = counters
        self._tree_cache: ResourceTree | None = None
        # (serial, zone number or None for a CCO) → zone id, for the tree of now.
        self.zone_ids: dict[tuple[str, int | None], int] = {}
        # Area statuses as last pushed (LP18), reset with the tree.
        self.area_statuses: dict[int, dict[str, Any]] = {}

    def tree(self) -> ResourceTree:
        """Return the resource tree, rebuilt when the description changed (a new description is a new object)."""
        description = self.emulator.description
        tree = self._tree_cache
        if tree is None or tree.description is not description:
            tree = ResourceTree(description, self.profile)
            self._tree_cache = tree
            self.zone_ids = {
                (target.serial, target.number): zone_id
                for zone_id, target in tree.targets.items()
            }
            self.area_statuses = {
                area_id: tree.area_status(area_id, self.emulator.state)
                for area_id in tree.areas
            }
        return tree

    def zone_status(self, target: ZoneTarget) -> dict[str, Any]:
        """Return the status of a zone now."""
        return zone_status(target, self.emulator.state(target.serial))

    def handle(self, request: Request, subscriptions: dict[str, Subscription]) -> bytes:
        """Return the encoded reply to `request`; `LeapError` when it is refused (LP7).

        `subscriptions` are the session's (URL → its tag and the start of its push lines): subscribing adds to them.
        """
        kind = request.communique_type
        if kind is CommuniqueType.READ_REQUEST:
            return self._read(request)
        if kind is CommuniqueType.SUBSCRIBE_REQUEST:
            self._no_paging(request)
            return self._subscribe(request, subscriptions)
        if kind is CommuniqueType.UNSUBSCRIBE_REQUEST:
            self._no_paging(request)
            if request.url not in SUBSCRIBABLE:
                raise self._refusal(request.url)
            subscriptions.pop(request.url, None)
            return encode(
                make_reply(
                    CommuniqueType.UNSUBSCRIBE_RESPONSE,
                    Status.NO_CONTENT,
                    request.url,
                    request.client_tag,
                )
            )
        if kind is CommuniqueType.CREATE_REQUEST:
            self._no_paging(request)
            return self._create(request)
        # UpdateRequest: nothing of this processor can be updated over LEAP
        self._no_paging(request)
        raise self._refusal(request.url)

    @staticmethod
    def _no_paging(request: Request) -> None:
        if request.paging is not None:
            raise LeapError(
                Status.BAD_REQUEST,
                "Header.Paging was not issued by this server for this URL",
            )

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
                    tree.area_status(a, self.emulator.state) for a in tree.areas
                ]
            case ["zone", number, "status"]:
                return BodyType.ONE_ZONE_STATUS, self.zone_status(
                    tree.zone_target(number, url)
                )
            case ["area", number, "status"]:
                return BodyType.ONE_AREA_STATUS, tree.area_status(
                    tree.area_id(number, url), self.emulator.state
                )
            case ["zone", number, "commandprocessor"]:
                tree.zone_target(number, url)
                raise not_allowed()
        return tree.read(url)

    def _read(self, request: Request) -> bytes:
        if request.url == PING_URL:
            self._no_paging(request)
            return encode(ping_reply(request.client_tag))
        result = self._read_body(request.url)
        if result is None:
            self._no_paging(request)
            return encode(
                make_reply(
                    CommuniqueType.READ_RESPONSE,
                    Status.NO_CONTENT,
                    request.url,
                    request.client_tag,
                )
            )
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

    def _subscribe(
        self, request: Request, subscriptions: dict[str, Subscription]
    ) -> bytes:
        """LP18: the whole current state now (not paged: clients read a subscription's first answer whole)."""
        if request.url not in SUBSCRIBABLE:
            raise self._refusal(request.url)
        result = self._read_body(request.url)
        assert result is not None
        subscriptions[request.url] = Subscription(
            request.client_tag,
            reply_prefix(
                CommuniqueType.READ_RESPONSE,
                Status.OK,
                request.url,
                request.client_tag,
                result[0],
            ),
        )
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
        """LP19: a zone command; the reply shows the zone's real status afterwards."""
        parts = request.url.split("/")[1:]
        if len(parts) != 3 or parts[0] != "zone" or parts[2] != "commandprocessor":
            raise self._refusal(request.url)
        target = self.tree().zone_target(parts[1], request.url)
        apply = _command(target, request.body)
        self._counters["commands"] += 1
        reason = apply(self.emulator)
        if reason is not None:
            self._counters["ignored_commands"] += 1
            _LOGGER.debug(
                "LEAP command on %s ignored by module %s: %s",
                request.url,
                target.serial,
                reason,
            )
        prefix = reply_prefix(
            CommuniqueType.CREATE_RESPONSE,
            Status.CREATED,
            request.url,
            request.client_tag,
            BodyType.ONE_ZONE_STATUS,
        )
        status = self.tree().zone_status_json(
            target, self.emulator.state(target.serial)
        )
        return encode_reply(prefix, status)


def _command(target: ZoneTarget, body: Any) -> Callable[[Emulator], Any]:
    """Check a command body in full (LP19) and return what applies it; `LeapError` 400 names what is wrong."""
    command = body.get("Command") if isinstance(body, Mapping) else None
    if not isinstance(command, Mapping):
        raise LeapError(Status.BAD_REQUEST, "Body.Command is missing or not an object")
    kind = command.get("CommandType")
    if kind not in COMMAND_TYPES:
        raise LeapError(Status.BAD_REQUEST, f"Unknown CommandType {kind!r}")
    serial, number = target.serial, target.number
    if number is None:
        if kind != CommandType.GO_TO_CCO_LEVEL:
            raise LeapError(
                Status.BAD_REQUEST,
                f"{kind} does not apply to a CCO zone (use GoToCCOLevel)",
            )
        parameters = command.get("CCOLevelParameters")
        level = parameters.get("CCOLevel") if isinstance(parameters, Mapping) else None
        if level not in ("Open", "Closed"):
            raise LeapError(
                Status.BAD_REQUEST, "CCOLevelParameters.CCOLevel must be Open or Closed"
            )
        closed = level == "Closed"
        return lambda emulator: emulator.set_cco(serial, closed)
    if kind == CommandType.GO_TO_CCO_LEVEL:
        raise LeapError(Status.BAD_REQUEST, "GoToCCOLevel applies to CCO zones only")
    if kind == CommandType.GO_TO_SWITCHED_LEVEL:
        parameters = command.get("SwitchedLevelParameters")
        switched = (
            parameters.get("SwitchedLevel") if isinstance(parameters, Mapping) else None
        )
        if switched not in ("On", "Off"):
            raise LeapError(
                Status.BAD_REQUEST,
                "SwitchedLevelParameters.SwitchedLevel must be On or Off",
            )
        on = switched == "On"
        return lambda emulator: emulator.set_zone(serial, number, on)
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
    value = values[0]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= LEVEL_MAX
    ):
        raise LeapError(
            Status.BAD_REQUEST,
            f"Level must be a number from 0 to {LEVEL_MAX}, not {value!r}",
        )
    on = value > 0
    return lambda emulator: emulator.set_zone(serial, number, on)
