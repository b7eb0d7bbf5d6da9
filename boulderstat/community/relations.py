"""Follows and blocks (collections `follows` and `blocks`), and what they let a viewer see.

A follow is one-way (`_id` = "follower>followee"); on a private account it starts `pending`
until the followee approves it. Mutual active follows are "friends" in the UI. A block removes
the follows both ways and stops the blocked climber from seeing, following, liking or
commenting on anything of the blocker's; both directions count (neither sees the other).

Follow changes owe events (`Climber Followed` / `Climber Unfollowed`, built by the caller), stored
in the same document write through the outbox (boulderstat/events/outbox.py): an unfollow leaves
a tombstone (no follower or followee fields, so no query sees it) until its event is published.

`Access` turns the relationship between a viewer and an owner into the climb visibilities the
viewer may read. Callers put those visibilities into their MongoDB filter, so a climb that may
not be seen is never fetched at all (and answers 404, like one that does not exist).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from boulderstat.climbs.models import Visibility
from boulderstat.clock import Clock, as_utc, utc_now
from boulderstat.events import outbox as events_outbox
from boulderstat.events.catalog import EventDetail
from boulderstat.events.outbox import Pending

FOLLOWS = "follows"
# Id lists come back in one reply (a few hundred KB at most), not 101 documents plus getMores:
# the number of round trips must not grow with the number of followees.
ONE_BATCH = 100_000
BLOCKS = "blocks"


class FollowStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # asked to follow a private account, not approved yet


def pair_id(first: str, second: str) -> str:
    return f"{first}>{second}"


@dataclass(frozen=True)
class Follow:
    follower_id: str
    followee_id: str
    status: FollowStatus
    created_at: datetime


@dataclass(frozen=True)
class Access:
    """What one viewer may see of one owner's climbs."""

    visibilities: tuple[Visibility, ...]

    @property
    def any(self) -> bool:
        return bool(self.visibilities)

    def climb_filter(self, owner_id: str) -> dict[str, Any]:
        """The MongoDB filter part that enforces it (never matches when nothing is visible)."""
        return {"user_id": owner_id, "visibility": {"$in": [str(v) for v in self.visibilities]}}


OWNER = Access((Visibility.PRIVATE, Visibility.FOLLOWERS, Visibility.PUBLIC))
FOLLOWER = Access((Visibility.FOLLOWERS, Visibility.PUBLIC))
ANYONE = Access((Visibility.PUBLIC,))
NOTHING = Access(())


def _live(follower_id: str, followee_id: str) -> dict[str, Any]:
    """The follow itself, never its tombstone."""
    return {"_id": pair_id(follower_id, followee_id), "follower_id": follower_id}


def _follow(document: dict[str, Any]) -> Follow:
    return Follow(
        follower_id=document["follower_id"],
        followee_id=document["followee_id"],
        status=FollowStatus(document["status"]),
        created_at=as_utc(document["created_at"]),
    )


class Relations:
    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self._follows = db[FOLLOWS]
        self._blocks = db[BLOCKS]
        self._profiles = db["profiles"]
        self._clock = clock

    def ensure_indexes(self) -> None:
        # Followers of one climber (and pending requests), newest first; whom one follows.
        self._follows.create_index(
            [("followee_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
            name="followers",
        )
        self._follows.create_index(
            [("follower_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
            name="following",
        )
        self._blocks.create_index([("blocked_id", ASCENDING)], name="blocked")
        self._blocks.create_index([("blocker_id", ASCENDING)], name="blocker")
        events_outbox.ensure_outbox_index(self._follows)

    # -- what a viewer may see ---------------------------------------------------------------
    def access(self, viewer_id: str, owner_id: str, *, owner_private: bool | None = None) -> Access:
        """At most three point reads on `_id`: blocks both ways, the follow, the owner's privacy."""
        if viewer_id == owner_id:
            return OWNER
        if self.blocked_either_way(viewer_id, owner_id):
            return NOTHING
        follow = self._follows.find_one({"_id": pair_id(viewer_id, owner_id)}, {"status": 1})
        if follow is not None and follow.get("status") == FollowStatus.ACTIVE:  # not a tombstone
            return FOLLOWER
        if owner_private is None:
            profile = self._profiles.find_one({"_id": owner_id}, {"private": 1})
            owner_private = bool(profile and profile.get("private"))
        return NOTHING if owner_private else ANYONE

    def blocked_either_way(self, first: str, second: str) -> bool:
        ids = [pair_id(first, second), pair_id(second, first)]
        return self._blocks.count_documents({"_id": {"$in": ids}}, limit=1) > 0

    def blocked_ids(self, climber_id: str) -> list[str]:
        """Everyone this climber blocked or was blocked by (one round trip)."""
        found = self._blocks.find(
            {"$or": [{"blocker_id": climber_id}, {"blocked_id": climber_id}]},
            {"blocker_id": 1, "blocked_id": 1},
        ).batch_size(ONE_BATCH)
        others = {
            d["blocked_id"] if d["blocker_id"] == climber_id else d["blocker_id"] for d in found
        }
        return sorted(others)

    def followee_ids(self, climber_id: str) -> list[str]:
        """Whom the climber follows (approved follows only)."""
        found = self._follows.find(
            {"follower_id": climber_id, "status": str(FollowStatus.ACTIVE)}, {"followee_id": 1}
        ).batch_size(ONE_BATCH)
        return [d["followee_id"] for d in found]

    # -- follows -----------------------------------------------------------------------------
    def follow(
        self,
        follower_id: str,
        followee_id: str,
        *,
        status: FollowStatus,
        now: datetime,
        events: Sequence[EventDetail],
    ) -> tuple[Follow, Pending | None]:
        """Idempotent: the follow, and the write that owes `events` if it was created now."""
        document = {
            "_id": pair_id(follower_id, followee_id),
            "follower_id": follower_id,
            "followee_id": followee_id,
            "status": str(status),
            "created_at": now,
        }
        written = events_outbox.insert(self._follows, document, events, now)
        if written is not None:
            return _follow(document), written
        existing = self.get_follow(follower_id, followee_id)
        if existing is None:  # unfollowed in between: try once more
            return self.follow(follower_id, followee_id, status=status, now=now, events=events)
        return existing, None

    def get_follow(self, follower_id: str, followee_id: str) -> Follow | None:
        found = self._follows.find_one(_live(follower_id, followee_id))
        return _follow(found) if found else None

    def unfollow(
        self,
        follower_id: str,
        followee_id: str,
        *,
        by: str,
        now: datetime,
        events: Sequence[EventDetail],
    ) -> tuple[Follow, Pending] | None:
        """Removes the follow (or request) with the write that owes `events`; None if none."""
        live = _live(follower_id, followee_id)
        removed = events_outbox.remove(self._follows, live, by, lambda _: events, now)
        return (_follow(removed[0]), removed[1]) if removed else None

    def approve(
        self, followee_id: str, follower_id: str, *, now: datetime, events: Sequence[EventDetail]
    ) -> tuple[Follow, Pending] | None:
        """pending -> active; None when there is no such request (or it is already active)."""
        live = {**_live(follower_id, followee_id), "status": str(FollowStatus.PENDING)}
        active = str(FollowStatus.ACTIVE)
        # A replace guarded by the pending status (nx-27017 turns `$set` datetimes into strings).
        approved = events_outbox.replace(
            self._follows, live, lambda found: ({**found, "status": active}, events), now
        )
        if approved is None:
            return None
        return _follow({**approved[0], "status": active}), approved[1]

    def approve_all(self, followee_id: str) -> int:
        """A private account going public: its pending requests become follows."""
        result = self._follows.update_many(
            {"followee_id": followee_id, "status": str(FollowStatus.PENDING)},
            {"$set": {"status": str(FollowStatus.ACTIVE)}},
        )
        return int(result.modified_count)

    def page(
        self, climber_id: str, *, direction: str, status: FollowStatus, limit: int
    ) -> list[Follow]:
        """Followers (`direction="followers"`) or followees (`"following"`), newest first."""
        field = "followee_id" if direction == "followers" else "follower_id"
        found = (
            self._follows.find({field: climber_id, "status": str(status)})
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [_follow(d) for d in found]

    # -- blocks ------------------------------------------------------------------------------
    def block(self, blocker_id: str, blocked_id: str) -> None:
        """Idempotent; the caller then removes the follows both ways (a retry finishes it)."""
        with contextlib.suppress(DuplicateKeyError):
            self._blocks.insert_one(
                {
                    "_id": pair_id(blocker_id, blocked_id),
                    "blocker_id": blocker_id,
                    "blocked_id": blocked_id,
                    "created_at": self._clock(),
                }
            )

    def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        result = self._blocks.delete_one({"_id": pair_id(blocker_id, blocked_id)})
        return result.deleted_count == 1

    def blocked_by(self, blocker_id: str, *, limit: int) -> list[str]:
        found = self._blocks.find({"blocker_id": blocker_id}).sort("created_at", DESCENDING)
        return [d["blocked_id"] for d in found.limit(limit)]

    def forget(self, climber_id: str) -> None:
        """Every follow and block involving the climber (leaving)."""
        for field in ("follower_id", "followee_id"):
            self._follows.delete_many({field: climber_id})
        for field in ("blocker_id", "blocked_id"):
            self._blocks.delete_many({field: climber_id})
