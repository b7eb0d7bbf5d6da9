"""Notifications (collection `notifications`): an example downstream consumer of the bus.

`Notifier.handle` turns community events into one notification per thing that happened to a
climber ("X followed you", "X asked to follow you", "X liked your climb / comment", "X commented
on your climb") and removes it again when the undo arrives (`Climber Unfollowed`, `Climb
Unliked`, `Comment Deleted`). Each notification has a natural `key` (recipient, kind, actor,
target) with a unique index, so a duplicate or concurrent delivery of the same event inserts
nothing new. Climbers are never notified of their own actions.

Delivery is at least once and unordered, and the outbox re-publishes (a like whose event was
still pending when the unlike came goes out again with the unlike): so each key is a
last-writer-wins register on the event's `occurred_at` (`at`, fixed-width text). An undo leaves
a marker (`undone`, no `recipient_id`, so no page or count sees it) with its time; an event
older than what the key holds changes nothing. A like, unlike and like again arriving in any
order, or a like re-published after its unlike, ends as the last fact says. Every change is a
write guarded on the `at` it read (bounded retries; losing them all raises, so Lambda retries).

Reads are the recipient's only: newest first, cursor pages, and marking read is filtered on the
recipient in the same update.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import NOTIFICATIONS, PageKey, encode_cursor
from boulderstat.clock import as_utc
from boulderstat.community.cards import OwnerCard
from boulderstat.community.profiles import ProfileRepository
from boulderstat.errors import Conflict
from boulderstat.events.catalog import (
    ClimberDeleted,
    ClimberFollowed,
    ClimberUnfollowed,
    ClimbLiked,
    ClimbUnliked,
    CommentDeleted,
    CommentPosted,
    EventDetail,
)
from boulderstat.ids import new_id
from boulderstat.models import Model

COLLECTION = "notifications"
CONSUMED: tuple[type[EventDetail], ...] = (
    ClimberFollowed,
    ClimberUnfollowed,
    ClimbLiked,
    ClimbUnliked,
    CommentPosted,
    CommentDeleted,
    ClimberDeleted,
)
_BY_TYPE = {model.DETAIL_TYPE: model for model in CONSUMED}
# The EventBridge rule that feeds the consumer (serverless.yml's `notify` rule; a test compares).
EVENT_PATTERN: dict[str, list[str]] = {
    "source": sorted({model.SOURCE for model in CONSUMED}),
    "detail-type": [model.DETAIL_TYPE for model in CONSUMED],
}


class NotificationKind(StrEnum):
    FOLLOWED = "followed"
    FOLLOW_REQUESTED = "follow_requested"
    CLIMB_LIKED = "climb_liked"
    COMMENT_LIKED = "comment_liked"
    COMMENTED = "commented"


class NotificationView(Model):
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "notification_id": "01a22a720f607797a135a381dc1b75e4",
                "kind": "commented",
                "actor": {
                    "climber_id": "d41fe687-5342-4d79-ad9e-bbc5fbf6515b",
                    "display_name": "Alex Honnold",
                    "picture": [],
                },
                "climb_id": "01a22a720f607797a135a381dc1b75e3",
                "comment_id": "01a22a720f607797a135a381dc1b75e4",
                "created_at": "2026-11-30T01:00:00Z",
                "read": False,
            }
        )
    )

    notification_id: str
    kind: NotificationKind
    actor: OwnerCard = Field(description="Who did it.")
    climb_id: str | None = None
    comment_id: str | None = None
    created_at: datetime
    read: bool


class NotificationPage(Model):
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "items": [
                    {
                        "notification_id": "01a22a720f607797a135a381dc1b75e4",
                        "kind": "commented",
                        "actor": {
                            "climber_id": "d41fe687-5342-4d79-ad9e-bbc5fbf6515b",
                            "display_name": "Alex Honnold",
                            "picture": [],
                        },
                        "climb_id": "01a22a720f607797a135a381dc1b75e3",
                        "comment_id": "01a22a720f607797a135a381dc1b75e4",
                        "created_at": "2026-11-30T01:00:00Z",
                        "read": False,
                    }
                ],
                "unread": 1,
                "next_cursor": None,
            }
        )
    )

    items: list[NotificationView]
    unread: int = Field(description="Unread notifications in total.")
    next_cursor: str | None


class MarkRead(Model):
    model_config = ConfigDict(
        json_schema_extra=examples({"notification_ids": ["01a22a720f607797a135a381dc1b75e4"]}, {})
    )

    notification_ids: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]] = Field(
        default=[], max_length=100, description="Mark these read; empty: mark everything read."
    )


_WRITE_ATTEMPTS = 5


def _key(recipient: str, kind: NotificationKind, actor: str, target: str) -> str:
    return f"{recipient}|{kind}|{actor}|{target}"


def _stamp(moment: datetime) -> str:
    """Fixed width, so comparing two stamps compares the moments (compared here, in Python)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _held_at(document: dict[str, Any]) -> str:
    """The time of the fact a key holds (notifications written before `at` existed: created)."""
    return document.get("at") or _stamp(document["created_at"])


class Notifier:
    def __init__(self, db: Database, profiles: ProfileRepository) -> None:
        self._notifications = db[COLLECTION]
        self._profiles = profiles

    def ensure_indexes(self) -> None:
        self._notifications.create_index([("key", ASCENDING)], name="one_per_event", unique=True)
        self._notifications.create_index(
            [("recipient_id", ASCENDING), ("notification_id", DESCENDING)], name="newest_first"
        )
        self._notifications.create_index([("actor_id", ASCENDING)], name="by_actor")

    # -- the consumer ------------------------------------------------------------------------
    @staticmethod
    def parse(detail_type: str, detail: dict[str, Any]) -> EventDetail | None:
        """The event's model, or None for events this consumer does not handle."""
        model = _BY_TYPE.get(detail_type)
        return model.model_validate(detail) if model else None

    def handle(self, event: EventDetail) -> None:
        match event:
            case ClimberFollowed():
                kind = (
                    NotificationKind.FOLLOWED
                    if event.status == "active"
                    else NotificationKind.FOLLOW_REQUESTED
                )
                if kind == NotificationKind.FOLLOWED:  # an approved request replaces itself
                    self._remove(
                        event.followee_id,
                        NotificationKind.FOLLOW_REQUESTED,
                        event.user_id,
                        event.followee_id,
                        event.occurred_at,
                    )
                self._add(
                    event.followee_id, kind, event.user_id, event.followee_id, event.occurred_at
                )
            case ClimberUnfollowed():
                for kind in (NotificationKind.FOLLOWED, NotificationKind.FOLLOW_REQUESTED):
                    self._remove(
                        event.followee_id, kind, event.user_id, event.followee_id, event.occurred_at
                    )
            case ClimbLiked():
                kind, target = self._liked(event)
                self._add(
                    event.owner_id, kind, event.user_id, target, event.occurred_at,
                    climb_id=event.climb_id, comment_id=event.comment_id,
                )  # fmt: skip
            case ClimbUnliked():
                kind, target = self._liked(event)
                self._remove(event.owner_id, kind, event.user_id, target, event.occurred_at)
            case CommentPosted():
                self._add(
                    event.climb_owner_id, NotificationKind.COMMENTED, event.user_id,
                    event.comment_id, event.occurred_at, climb_id=event.climb_id,
                    comment_id=event.comment_id,
                )  # fmt: skip
            case CommentDeleted():
                self._remove(
                    event.climb_owner_id,
                    NotificationKind.COMMENTED,
                    event.author_id,
                    event.comment_id,
                    event.occurred_at,
                )
                # The likes of the comment go with it (and stay gone if one arrives late).
                liked = {"comment_id": event.comment_id}  # live notifications only
                for found in list(self._notifications.find(liked).limit(1000)):
                    self._settle(found["key"], _stamp(event.occurred_at), None, found["actor_id"])
            case ClimberDeleted():
                self.forget(event.user_id)

    @staticmethod
    def _liked(event: ClimbLiked | ClimbUnliked) -> tuple[NotificationKind, str]:
        if event.comment_id:
            return NotificationKind.COMMENT_LIKED, event.comment_id
        return NotificationKind.CLIMB_LIKED, event.climb_id

    def _add(
        self,
        recipient: str,
        kind: NotificationKind,
        actor: str,
        target: str,
        at: datetime,
        *,
        climb_id: str | None = None,
        comment_id: str | None = None,
    ) -> None:
        if recipient == actor:
            return
        notification_id = new_id()
        wanted = {
            "_id": notification_id,
            "notification_id": notification_id,
            "key": _key(recipient, kind, actor, target),
            "recipient_id": recipient,
            "kind": str(kind),
            "actor_id": actor,
            "climb_id": climb_id,
            "comment_id": comment_id,
            "created_at": at,
            "read": False,
            "at": _stamp(at),
        }
        self._settle(wanted["key"], wanted["at"], wanted, actor)

    def _remove(
        self, recipient: str, kind: NotificationKind, actor: str, target: str, at: datetime
    ) -> None:
        if recipient == actor:
            return
        self._settle(_key(recipient, kind, actor, target), _stamp(at), None, actor)

    def _settle(self, key: str, at: str, wanted: dict[str, Any] | None, actor: str) -> None:
        """Makes `key` hold the fact of time `at` (`wanted`, or None: undone) unless it holds a
        later one already; the same fact again (a duplicate delivery) changes nothing."""
        undone = {"key": key, "actor_id": actor, "undone": True, "at": at}
        for _ in range(_WRITE_ATTEMPTS):
            current = self._notifications.find_one({"key": key})
            if current is None:
                with contextlib.suppress(DuplicateKeyError):  # else: someone was first, re-read
                    self._notifications.insert_one(wanted or {"_id": new_id(), **undone})
                    return
                continue
            if _held_at(current) >= at:
                return
            guard = {"_id": current["_id"], "key": key, "at": current.get("at")}
            if wanted is not None and current.get("undone"):
                # Liked again after an unlike: a new notification, newest first by its new id.
                self._notifications.delete_one(guard)
                continue
            if wanted is not None:  # a later like of the same thing: refresh, keep its place
                replacement = {**wanted, "_id": current["_id"]}
                replacement["notification_id"] = current["_id"]
            else:
                replacement = {"_id": current["_id"], **undone}
            if self._notifications.find_one_and_replace(guard, replacement) is not None:
                return
        raise Conflict(f"notification {key} kept changing; the delivery is retried")

    def forget(self, climber_id: str) -> int:
        """Everything to or from a climber who left."""
        removed = 0
        for field in ("recipient_id", "actor_id"):
            removed += self._notifications.delete_many({field: climber_id}).deleted_count
        return removed

    # -- the API -----------------------------------------------------------------------------
    def page(self, recipient: str, *, after: PageKey | None, limit: int) -> NotificationPage:
        query: dict[str, Any] = {"recipient_id": recipient}
        if after is not None:
            query["notification_id"] = {"$lt": after.climb_id}
        rows = list(
            self._notifications.find(query).sort("notification_id", DESCENDING).limit(limit + 1)
        )
        items = rows[:limit]
        actors = self._profiles.many([r["actor_id"] for r in items])
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor(
                PageKey(as_utc(last["created_at"]).date(), last["notification_id"]), NOTIFICATIONS
            )
        return NotificationPage(
            items=[
                NotificationView(
                    notification_id=r["notification_id"],
                    kind=r["kind"],
                    actor=OwnerCard(
                        climber_id=r["actor_id"],
                        display_name=(
                            actors[r["actor_id"]].display_name
                            if r["actor_id"] in actors
                            else f"Climber {r['actor_id'][:6]}"
                        ),
                    ),
                    climb_id=r.get("climb_id"),
                    comment_id=r.get("comment_id"),
                    created_at=as_utc(r["created_at"]),
                    read=bool(r.get("read")),
                )
                for r in items
            ],
            unread=self._notifications.count_documents({"recipient_id": recipient, "read": False}),
            next_cursor=next_cursor,
        )

    def mark_read(self, recipient: str, request: MarkRead) -> int:
        query: dict[str, Any] = {"recipient_id": recipient, "read": False}
        if request.notification_ids:
            query["notification_id"] = {"$in": request.notification_ids}
        return int(self._notifications.update_many(query, {"$set": {"read": True}}).modified_count)
