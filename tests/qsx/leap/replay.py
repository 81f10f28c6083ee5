"""A scripted QSX processor answering a recorded-shape tree (`fixtures/qsx_house.json`) for the live client's tests.

It answers reads from the tree, subscriptions with the current state, and commands as a processor would: a zone
command gets `201` with the zone's new status and then a push, a button press `204` and then its events, an LED or
timeclock update `200` with the state in force and then a push. Every push goes out in one of the forms a real
system is seen sending (LP55), chosen per server (`Form`), and carries only what changed (a delta). Each request is
kept (`requests`) so a test can see what the client sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
import contextlib
import copy
from dataclasses import dataclass, field
from enum import StrEnum
import json
from pathlib import Path
from typing import Any, Final

from custom_components.homeworks_qsx.qsx.emulator.leap.certs import LeapCredentials

from .rig import scripted

TREE: Final = Path(__file__).parent / "fixtures" / "qsx_house.json"
# Collections a client subscribes to, the body key of their statuses, and of one status.
COLLECTIONS: Final = {
    "/zone/status": (
        "MultipleZoneStatus",
        "ZoneStatuses",
        "OneZoneStatus",
        "ZoneStatus",
    ),
    "/area/status": (
        "MultipleAreaStatus",
        "AreaStatuses",
        "OneAreaStatus",
        "AreaStatus",
    ),
    "/timeclock/status": (
        "MultipleTimeclockStatus",
        "TimeclockStatuses",
        "OneTimeclockStatus",
        "TimeclockStatus",
    ),
}
BUTTON_EVENTS: Final = {  # LP39, LP40: what each press gives
    "PressAndRelease": ("Press", "Release"),
    "PressAndHold": ("Press", "LongHold"),
    "Release": ("Release",),
    "MultiTap": ("MultiTap", "Release"),
}


class Form(StrEnum):
    """LP55: the form the processor pushes changes in."""

    COLLECTION = "collection"  # (a) tagged `Multiple…` deltas on the collection's URL (QSX, HWQS probe)
    OBJECT = "object"  # tagged `One…` on the object's own URL
    UNTAGGED = (
        "untagged"  # (b) untagged `One…` on the object's own URL (Caséta; LEDs, c)
    )
    SUBSCRIBE = (
        "subscribe"  # tagged `One…` as `SubscribeResponse`, after a `102 Processing`
    )


def _header(
    status: str, url: str | None, tag: str | None, body_type: str | None
) -> dict[str, Any]:
    header: dict[str, Any] = {"StatusCode": status}
    if url is not None:
        header["Url"] = url
    if tag is not None:
        header["ClientTag"] = tag
    if body_type is not None:
        header["MessageBodyType"] = body_type
    return header


def message(
    kind: str,
    status: str,
    url: str | None,
    tag: str | None,
    body_type: str | None = None,
    *,
    body: Any = None,
) -> dict[str, Any]:
    """Return one LEAP message; without `body_type` it has no body (LP6's `204`)."""
    result: dict[str, Any] = {
        "CommuniqueType": kind,
        "Header": _header(status, url, tag, body_type),
    }
    if body_type is not None:
        result["Body"] = body
    return result


@dataclass
class Session:
    """One client session: its `send`, and its subscriptions' tags by URL."""

    send: Callable[[dict[str, Any] | bytes], None]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Replay:
    """The processor: the tree, the state it changes, the sessions, and what it was sent."""

    form: Form = Form.COLLECTION
    tree: dict[str, Any] = field(
        default_factory=lambda: json.loads(TREE.read_text(encoding="utf-8"))
    )
    sessions: list[Session] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Zones whose commands change nothing (LP19); command types refused with a 400.
    ignoring: set[int] = field(default_factory=set)
    refusing: set[str] = field(default_factory=set)
    # LP39: answers to the buttons' event subscriptions kept back (the subscription itself holds at once).
    hold_events: bool = False
    held: list[tuple[Session, list[dict[str, Any]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Index the statuses the tree holds, by URL."""
        self.statuses: dict[str, dict[str, Any]] = {}
        for collection in COLLECTIONS:
            for status in self.tree[collection]["body"]:
                self.statuses[status["href"]] = status
        for url, answer in self.tree.items():
            if url.startswith("/led/") and answer and answer.get("type"):
                self.statuses[url] = answer["body"]

    def commands(self, prefix: str = "") -> list[tuple[str, Any]]:
        """Return the commands and updates sent so far (URL, body) whose URL starts with `prefix`."""
        return [
            (request["Header"]["Url"], request.get("Body"))
            for request in self.requests
            if request["CommuniqueType"] in ("CreateRequest", "UpdateRequest")
            and request["Header"]["Url"].startswith(prefix)
        ]

    # Answers.

    def answer(self, session: Session, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the reply to one request, and the pushes it causes after it (none while `hold_events` keeps it)."""
        messages = self._answer(session, request)
        if (
            self.hold_events
            and request["CommuniqueType"] == "SubscribeRequest"
            and request["Header"]["Url"].endswith("/status/event")
        ):
            self.held.append((session, messages))
            return []
        return messages

    def release_events(self) -> None:
        """Send the answers `hold_events` kept back, and keep no more."""
        self.hold_events = False
        held, self.held = self.held, []
        for session, messages in held:
            self.deliver(session, messages)

    def _answer(
        self, session: Session, request: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.requests.append(request)
        kind = request["CommuniqueType"]
        url = request["Header"]["Url"]
        tag = request["Header"].get("ClientTag")
        reply_kind = kind.replace("Request", "Response")
        if url == "/server/1/status/ping":
            return [
                message(
                    reply_kind,
                    "200 OK",
                    url,
                    tag,
                    "OnePingResponse",
                    body={"PingResponse": {"LEAPVersion": 1.115}},
                )
            ]
        if kind == "SubscribeRequest":
            session.tags[url] = tag
            if url.endswith("/status/event") and url not in self.tree:
                return [message(reply_kind, "204 NoContent", url, tag)]  # LP39
        if kind == "CreateRequest" and url.endswith("/commandprocessor"):
            return self._command(url, tag, request.get("Body") or {})
        if kind == "UpdateRequest":
            return self._update(url, tag, request.get("Body") or {})
        if url in COLLECTIONS:
            body_type, key, _, _ = COLLECTIONS[url]
            statuses = [
                status
                for status in self.statuses.values()
                if status["href"].startswith(url.split("/status")[0] + "/")
            ]
            return [
                message(reply_kind, "200 OK", url, tag, body_type, body={key: statuses})
            ]
        if url not in self.tree:
            return [
                self._refusal(
                    url, tag, "404 NotFound", f"This resource does not exist : {url}"
                )
            ]
        answer = self.tree[url]
        if answer is None:  # hwqsx: a 204 whose body and body type are null
            reply = message(reply_kind, "204 NoContent", url, tag)
            reply["Header"]["MessageBodyType"] = None
            reply["Body"] = None
            return [reply]
        if "status" in answer:
            return [message(reply_kind, answer["status"], url, tag)]
        if "error" in answer:
            return [
                self._refusal(
                    url, tag, answer["error"], "This request is not supported"
                )
            ]
        body_type = answer["type"]
        key = _BODY_KEYS[body_type]
        content = self.statuses.get(url, answer["body"])
        return [message(reply_kind, "200 OK", url, tag, body_type, body={key: content})]

    @staticmethod
    def _refusal(url: str, tag: str | None, status: str, text: str) -> dict[str, Any]:
        return message(
            "ExceptionResponse",
            status,
            url,
            tag,
            "ExceptionDetail",
            body={"Message": text},
        )

    def _command(
        self, url: str, tag: str | None, body: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        command = body.get("Command") or {}
        kind = command.get("CommandType")
        if kind in self.refusing:
            return [
                self._refusal(
                    url, tag, "400 BadRequest", "This request is not supported"
                )
            ]
        object_url = url.removesuffix("/commandprocessor")
        if object_url.startswith("/button/"):
            reply = message("CreateResponse", "204 NoContent", url, tag)
            events = [
                {"Button": {"href": object_url}, "ButtonEvent": {"EventType": event}}
                for event in BUTTON_EVENTS.get(str(kind), ())
            ]
            return [
                reply,
                *(self.pushes_of_button(object_url, event) for event in events),
            ]
        status = self.statuses[f"{object_url}/status"]
        zone_id = int(object_url.split("/")[2])
        delta: dict[str, Any] = {}
        if zone_id not in self.ignoring:
            if kind == "GoToLevel":
                delta["Level"] = command["Parameter"][0]["Value"]
            elif kind == "GoToDimmedLevel":
                delta["Level"] = command["DimmedLevelParameters"]["Level"]
            elif kind == "GoToTilt":
                delta["Tilt"] = command["TiltParameters"]["Tilt"]
            elif kind == "GoToSwitchedLevel":
                on = command["SwitchedLevelParameters"]["SwitchedLevel"] == "On"
                delta |= {
                    "Level": 100 if on else 0,
                    "SwitchedLevel": "On" if on else "Off",
                }
            elif kind == "GoToCCOLevel":
                delta["CCOLevel"] = command["CCOLevelParameters"]["CCOLevel"]
        if "Level" in delta and "SwitchedLevel" in status:
            delta["SwitchedLevel"] = "On" if delta["Level"] > 0 else "Off"
        status.update(delta)
        reply = message(
            "CreateResponse",
            "201 Created",
            url,
            tag,
            "OneZoneStatus",
            body={"ZoneStatus": status | {"Availability": "Available"}},  # LP24
        )
        if not delta:
            return [reply]
        return [
            reply,
            *self.pushes(
                "/zone/status",
                {"href": status["href"], "Zone": status["Zone"], **delta},
            ),
        ]

    def _update(
        self, url: str, tag: str | None, body: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        status = self.statuses[url]
        if url.startswith("/led/"):
            status["State"] = body["LEDStatus"]["State"]
            reply = message(
                "UpdateResponse",
                "200 OK",
                url,
                tag,
                "OneLEDStatus",
                body={"LEDStatus": status},
            )
            return [
                reply,
                *self.pushes_of_object(url, "OneLEDStatus", "LEDStatus", status),
            ]
        status["EnabledState"] = body["TimeclockStatus"]["EnabledState"]
        reply = message(
            "UpdateResponse",
            "200 OK",
            url,
            tag,
            "OneTimeclockStatus",
            body={"TimeclockStatus": status},
        )
        return [reply, *self.pushes("/timeclock/status", dict(status))]

    # Pushes.

    def pushes(self, collection: str, delta: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the pushes of one changed object of a subscribed collection (its delta), in this form."""
        many_type, many_key, one_type, one_key = COLLECTIONS[collection]
        if self.form is Form.COLLECTION:
            return [
                message(
                    "ReadResponse",
                    "200 OK",
                    collection,
                    "{tag}",
                    many_type,
                    body={many_key: [delta]},
                )
                | {"collection": collection}
            ]
        return self._object_pushes(collection, delta["href"], one_type, one_key, delta)

    def pushes_of_object(
        self, url: str, body_type: str, key: str, status: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Return the pushes of a subscribed object (an LED): `One…` on its own URL, in this form."""
        return self._object_pushes(url, url, body_type, key, status)

    def pushes_of_button(
        self, button_url: str, event: dict[str, Any]
    ) -> dict[str, Any]:
        """Return the push of a button event on its subscription (LP38; untagged in the untagged form)."""
        url = f"{button_url}/status/event"
        [push] = self._object_pushes(
            url, url, "OneButtonStatusEvent", "ButtonStatus", event
        )
        return push

    def _object_pushes(
        self,
        subscribed: str,
        url: str,
        body_type: str,
        key: str,
        status: dict[str, Any],
    ) -> list[dict[str, Any]]:
        kind = "SubscribeResponse" if self.form is Form.SUBSCRIBE else "ReadResponse"
        tag = None if self.form is Form.UNTAGGED else "{tag}"
        push = message(kind, "200 OK", url, tag, body_type, body={key: status}) | {
            "collection": subscribed
        }
        return [push]

    def deliver(self, session: Session, messages: list[dict[str, Any]]) -> None:
        """Send replies and pushes; a push goes only to a session subscribed to its collection, with its tag."""
        for item in messages:
            subscribed = item.pop("collection", None)
            if subscribed is None:
                session.send(item)
                continue
            for target in self.sessions:
                if subscribed not in target.tags:
                    continue
                line = copy.deepcopy(item)
                if line["Header"].get("ClientTag") == "{tag}":
                    line["Header"]["ClientTag"] = target.tags[subscribed]
                if self.form is Form.SUBSCRIBE:  # LP55 a: a provisional reply first
                    target.send(
                        message(
                            "ReadResponse",
                            "102 Processing",
                            None,
                            line["Header"]["ClientTag"],
                        )
                    )
                target.send(line)

    def change(self, collection: str, delta: dict[str, Any]) -> None:
        """Make a change on the processor (a keypad, a sensor, another client), pushed to every subscriber."""
        if delta.get("href") in self.statuses:
            self.statuses[delta["href"]].update(delta)
        if collection in COLLECTIONS:
            pushes = self.pushes(collection, delta)
        elif collection.startswith("/led/"):
            pushes = self.pushes_of_object(
                collection,
                "OneLEDStatus",
                "LEDStatus",
                self.statuses.get(delta["href"], delta),
            )
        else:
            pushes = [
                self.pushes_of_button(collection.removesuffix("/status/event"), delta)
            ]
        for session in self.sessions[:1]:
            self.deliver(session, pushes)


_BODY_KEYS: Final = {
    "OneProjectDefinition": "Project",
    "MultipleDeviceDefinition": "Devices",
    "OneLinkDefinition": "Link",
    "MultipleAreaDefinition": "Areas",
    "MultipleZoneDefinition": "Zones",
    "MultipleControlStationDefinition": "ControlStations",
    "MultipleButtonGroupExpandedDefinition": "ButtonGroupsExpanded",
    "MultipleTimeclockDefinition": "Timeclocks",
    "MultipleTimeclockEventDefinition": "TimeclockEvents",
    "MultipleLinkNodeExpandedDefinition": "LinkNodesExpanded",
    "OneDeviceStatus": "DeviceStatus",
    "OneLEDStatus": "LEDStatus",
    "OneButtonStatusEvent": "ButtonStatus",
}


@contextlib.asynccontextmanager
async def replayed(credentials: LeapCredentials, replay: Replay) -> AsyncIterator[int]:
    """Serve `replay` over TLS on loopback; yields the port."""
    sessions: dict[int, Session] = {}

    def script(
        request: dict[str, Any], send: Callable[[dict[str, Any] | bytes], None]
    ) -> None:
        session = sessions.get(id(send))
        if session is None:
            session = sessions[id(send)] = Session(send)
            replay.sessions.append(session)
        replay.deliver(session, replay.answer(session, request))

    async with scripted(credentials, script) as port:
        yield port
