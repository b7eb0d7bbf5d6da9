"""Likes on climbs and on comments (collection `likes`), idempotent and exactly counted.

One document per (thing, climber): `_id` = "target>climber". Liking twice hits the unique `_id`
and changes nothing; unliking deletes that one document. Counts are `count_documents` over the
target, never a counter that a crash between two writes could leave wrong, so they stay exact
under any number of concurrent likes. `Climb Liked` / `Climb Unliked` go out only when the like
actually appeared or disappeared, so consumers see each change once.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from boulderstat.api_examples import examples
from boulderstat.clock import Clock, utc_now
from boulderstat.community.cards import LIKES
from boulderstat.community.comments import Comments
from boulderstat.community.feed import Feed
from boulderstat.community.publishing import publish_after_write
from boulderstat.community.relations import pair_id
from boulderstat.events import EventPublisher
from boulderstat.events.catalog import ClimbLiked, ClimbUnliked
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
        self._publisher = publisher
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._likes.create_index([("target_id", ASCENDING)], name="likes_of_target")
        self._likes.create_index([("user_id", ASCENDING)], name="likes_by_climber")
        self._likes.create_index([("owner_id", ASCENDING)], name="likes_of_owner")

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
        document: dict[str, Any] = {
            "_id": pair_id(target, viewer_id),
            "target_id": target,
            "target_kind": "comment" if comment_id else "climb",
            "climb_id": climb_id,
            "user_id": viewer_id,
            "owner_id": owner_id,
            "created_at": self._clock(),
        }
        try:
            self._likes.insert_one(document)
        except DuplicateKeyError:
            pass  # already liked: nothing changes, nothing is announced
        else:
            publish_after_write(
                self._publisher,
                ClimbLiked(
                    user_id=viewer_id,
                    occurred_at=document["created_at"],
                    climb_id=climb_id,
                    comment_id=comment_id,
                    owner_id=owner_id,
                ),
            )
        return LikeState(liked=True, like_count=self._count(target))

    def _unlike(
        self, viewer_id: str, climb_id: str, comment_id: str | None, *, owner_id: str
    ) -> LikeState:
        target = comment_id or climb_id
        removed = self._likes.delete_one({"_id": pair_id(target, viewer_id)}).deleted_count
        if removed:
            publish_after_write(
                self._publisher,
                ClimbUnliked(
                    user_id=viewer_id,
                    occurred_at=self._clock(),
                    climb_id=climb_id,
                    comment_id=comment_id,
                    owner_id=owner_id,
                ),
            )
        return LikeState(liked=False, like_count=self._count(target))

    def _count(self, target_id: str) -> int:
        return int(self._likes.count_documents({"target_id": target_id}))
