"""The forms a LEAP server pushes changes in (LP23, LP55, LP56): one option of the emulator's server.

Real processors are seen pushing in several forms, and a client must accept them all (LP57). The emulator pushes
in one form at a time, chosen when it is served, so that clients are tested against each:

- `COLLECTION` (the default, LP56): a `ReadResponse` with the subscription's `ClientTag` and `Url` and a
  `Multiple…Status` body holding only the changed objects, as a QSX running a HomeWorks project does (LP55 a);
- `OBJECT`: one tagged `ReadResponse` `One…Status` per changed object, with the object's own status URL
  (lutron-leap-js's tagged `OneZoneStatus`);
- `UNTAGGED`: one `ReadResponse` `One…Status` per changed object, without a `ClientTag`, with the object's status
  URL, as Caséta sends zone changes (LP55 b).

The subscription's first answer (`SubscribeResponse`, the full state) is the same in every form. A subscription to
one object (an LED's status, a button's events, an area's status) gets `One…` lines on its own URL, tagged, in
the first two forms (`object_line`), and untagged in the third.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .protocol import (
    AREA_STATUS_URL,
    TIMECLOCK_STATUS_URL,
    ZONE_STATUS_URL,
    BodyType,
    CommuniqueType,
    Status,
    encode_reply,
    reply_prefix,
)

# Statuses per collection push line: keeps a line under LP2's 256 KiB.
MAX_PUSH_STATUSES: Final = 1000
# The body type of one object's status, by the collection subscribed to.
ONE_STATUS: Final = {
    ZONE_STATUS_URL: BodyType.ONE_ZONE_STATUS,
    AREA_STATUS_URL: BodyType.ONE_AREA_STATUS,
    TIMECLOCK_STATUS_URL: BodyType.ONE_TIMECLOCK_STATUS,
}


class PushForm(StrEnum):
    """LP23: how the server pushes the changes of a subscribed collection."""

    COLLECTION = "collection"  # tagged `Multiple…` deltas on the subscribed URL (LP56)
    OBJECT = "object"  # tagged `One…` statuses, each on its object's URL
    UNTAGGED = "untagged"  # untagged `One…` statuses, each on its object's URL (Caséta, LP55 b)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One session's subscription to a collection: its tag, and the start of its collection push lines."""

    tag: str | None
    prefix: (
        str  # `reply_prefix` of a `ReadResponse` on the subscribed URL, with the tag
    )


class Push:
    """The lines of one push of a collection's changed objects, for each of its subscriptions.

    Args:
        form: the server's push form.
        url: the collection subscribed to (`/zone/status`, `/area/status`).
        items: each changed object's status URL and its status, already encoded (`encode_json`).

    What every subscriber receives alike (a collection's content, untagged lines) is encoded once.

    """

    __slots__ = ("_body_type", "_contents", "_form", "_items", "_shared")

    def __init__(
        self, form: PushForm, url: str, items: Sequence[tuple[str, str]]
    ) -> None:
        """Prepare the push; nothing is encoded per subscription yet."""
        self._form = form
        self._items = items
        self._body_type = ONE_STATUS[url]
        self._contents: list[str] = []
        self._shared: list[bytes] = []
        if form is PushForm.COLLECTION:
            self._contents = [
                f"[{','.join(status for _, status in items[start : start + MAX_PUSH_STATUSES])}]"
                for start in range(0, len(items), MAX_PUSH_STATUSES)
            ]
        elif form is PushForm.UNTAGGED:
            self._shared = [
                self._object_line(href, None, status) for href, status in items
            ]

    def lines(self, subscription: Subscription) -> list[bytes]:
        """Return the lines `subscription`'s session receives."""
        if self._form is PushForm.COLLECTION:
            return [
                encode_reply(subscription.prefix, content) for content in self._contents
            ]
        if self._form is PushForm.UNTAGGED:
            return self._shared
        return [
            self._object_line(href, subscription.tag, status)
            for href, status in self._items
        ]

    def _object_line(self, href: str, tag: str | None, status: str) -> bytes:
        prefix = reply_prefix(
            CommuniqueType.READ_RESPONSE, Status.OK, href, tag, self._body_type
        )
        return encode_reply(prefix, status)


def object_line(
    form: PushForm,
    subscription: Subscription,
    url: str,
    body_type: BodyType,
    content: str,
) -> bytes:
    """Return the line a subscription to one object (`url`) receives: its `One…` content, already encoded."""
    if form is PushForm.UNTAGGED:
        prefix = reply_prefix(
            CommuniqueType.READ_RESPONSE, Status.OK, url, None, body_type
        )
        return encode_reply(prefix, content)
    return encode_reply(subscription.prefix, content)


__all__ = ["MAX_PUSH_STATUSES", "Push", "PushForm", "Subscription", "object_line"]
