"""Likes on climbs and on comments (collection `likes`), idempotent and exactly counted.

One document per (thing, climber): `_id` = "target>climber". Liking twice hits the unique `_id`
and changes nothing; unliking deletes that one document. Counts are `count_documents` over the
target, never a counter that a crash between two writes could leave wrong, so they stay exact
under any number of concurrent likes. `Climb Liked` / `Climb Unliked` are owed only when the like
actually appeared or disappeared, and leave through the outbox (boulderstat/events/outbox.py):
the like is inserted with its `Climb Liked`, an unlike replaces it by a tombstone (no
`target_id`, `user_id` or `owner_id`, so no count or query sees it) holding `Climb Unliked`,
plus a `Climb Liked` not yet flushed, carried forward; a like again replaces that tombstone.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict
from pymongo import ASCENDING
from pymongo.database import Database

from boulderstat.api_examples import examples
from boulderstat.clock import Clock, utc_now
from boulderstat.community.cards import LIKES
from boulderstat.community.comments import Comments
from boulderstat.community.feed import Feed
from boulderstat.community.relations import pair_id
from boulderstat.events import EventPublisher
from boulderstat.events import outbox as events_outbox
from boulderstat.events.catalog import ClimbLiked, ClimbUnliked
from boulderstat.events.outbox import Outbox
from boulderstat.models import Model


class LikeState(Model):
    model_config = ConfigDict(json_schema_extra=examples({"liked": True, "like_count": 3}))

    liked: bool
    like_count: int


class Likes:
    def __init__(
        self,
        db: Database,
        feed: Feed,
        comments: Comments,
        publisher: EventPublisher,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._likes = db[LIKES]
        self._feed = feed
        self._comments = comments
        self._outbox = Outbox(db, publisher)
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._likes.create_index([("target_id", ASCENDING)], name="likes_of_target")
        self._likes.create_index([("user_id", ASCENDING)], name="likes_by_climber")
        self._likes.create_index([("owner_id", ASCENDING)], name="likes_of_owner")
        events_outbox.ensure_outbox_index(self._likes)

    # -- climbs ------------------------------------------------------------------------------
    def like_climb(self, viewer_id: str, climb_id: str) -> LikeState:
        climb = self._feed.visible_climb(viewer_id, climb_id)
        return self._like(viewer_id, climb_id, None, owner_id=climb["user_id"])

    def unlike_climb(self, viewer_id: str, climb_id: str) -> LikeState:
        climb = self._feed.visible_climb(viewer_id, climb_id)
        return self._unlike(viewer_id, climb_id, None, owner_id=climb["user_id"])

    # -- comments ----------------------------------------------------------------------------
    def like_comment(self, viewer_id: str, climb_id: str, comment_id: str) -> LikeState:
        comment = self._comments.visible_comment(viewer_id, climb_id, comment_id)
        return self._like(viewer_id, climb_id, comment_id, owner_id=comment["author_id"])

    def unlike_comment(self, viewer_id: str, climb_id: str, comment_id: str) -> LikeState:
        comment = self._comments.visible_comment(viewer_id, climb_id, comment_id)
        return self._unlike(viewer_id, climb_id, comment_id, owner_id=comment["author_id"])

    # -- the one way to like -----------------------------------------------------------------
    def _like(
        self, viewer_id: str, climb_id: str, comment_id: str | None, *, owner_id: str
    ) -> LikeState:
        target = comment_id or climb_id
        now = self._clock()
        document: dict[str, Any] = {
            "_id": pair_id(target, viewer_id),
            "target_id": target,
            "target_kind": "comment" if comment_id else "climb",
            "climb_id": climb_id,
            "user_id": viewer_id,
            "owner_id": owner_id,
            "created_at": now,
        }
        liked = ClimbLiked(
            user_id=viewer_id,
            occurred_at=now,
            climb_id=climb_id,
            comment_id=comment_id,
            owner_id=owner_id,
        )
        # None: already liked, nothing changes and nothing is announced.
        if written := events_outbox.insert(self._likes, document, [liked], now):
            self._outbox.flush(written)
        return LikeState(liked=True, like_count=self._count(target))

    def _unlike(
        self, viewer_id: str, climb_id: str, comment_id: str | None, *, owner_id: str
    ) -> LikeState:
        target = comment_id or climb_id
        now = self._clock()
        unliked = ClimbUnliked(
            user_id=viewer_id,
            occurred_at=now,
            climb_id=climb_id,
            comment_id=comment_id,
            owner_id=owner_id,
        )
        live = {"_id": pair_id(target, viewer_id), "user_id": viewer_id}
        if removed := events_outbox.remove(self._likes, live, viewer_id, lambda _: [unliked], now):
            self._outbox.flush(removed[1])
        return LikeState(liked=False, like_count=self._count(target))

    def _count(self, target_id: str) -> int:
        return int(self._likes.count_documents({"target_id": target_id}))
