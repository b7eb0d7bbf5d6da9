"""Comments on climbs (collection `comments`): posted by whoever may see the climb, listed
oldest first with cursor pages, deleted by their author or by the climb's owner.

A comment stores its climb's owner, so "the owner may delete it" is part of the delete filter.
`Comment Posted` / `Comment Deleted` leave through the outbox (boulderstat/events/outbox.py): a
comment is inserted with its event; a delete replaces it by a tombstone (no `climb_id` or
author fields, so no query sees it) holding `Comment Deleted` until that is published.
Listing hides comments between climbers who blocked each other (in the query). A page costs a
fixed number of round trips: the climb's visibility (at most 4 point reads), blocks, the page,
the authors' profiles, like counts and the caller's likes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError
from pymongo import ASCENDING
from pymongo.database import Database

from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import COMMENTS, PageKey, encode_cursor
from boulderstat.clock import Clock, as_utc, utc_now
from boulderstat.community.cards import LIKES, OwnerCard
from boulderstat.community.feed import Feed
from boulderstat.community.profiles import ProfileRepository
from boulderstat.community.relations import Relations, pair_id
from boulderstat.errors import NotFound
from boulderstat.events import EventPublisher
from boulderstat.events import outbox as events_outbox
from boulderstat.events.catalog import CommentDeleted, CommentPosted
from boulderstat.events.outbox import Outbox
from boulderstat.ids import new_id
from boulderstat.json_values import TEXT_PATTERN, DocumentedPattern
from boulderstat.models import Model

COLLECTION = "comments"
MAX_COMMENT_CHARS = 1000
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    if _CONTROL_EXCEPT_NEWLINES.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


CommentText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_COMMENT_CHARS),
    AfterValidator(_text),
    DocumentedPattern(TEXT_PATTERN),
]


class NewComment(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra=examples({"text": "Strong send!"}))

    text: CommentText = Field(description=f"1 to {MAX_COMMENT_CHARS} characters.")


class CommentView(Model):
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "comment_id": "01a22a720f607797a135a381dc1b75e4",
                "climb_id": "01a22a720f607797a135a381dc1b75e3",
                "author": {
                    "climber_id": "d41fe687-5342-4d79-ad9e-bbc5fbf6515b",
                    "display_name": "Alex Honnold",
                    "picture": [],
                },
                "text": "Strong send!",
                "created_at": "2026-11-30T01:00:00Z",
                "like_count": 1,
                "liked": False,
            }
        )
    )

    comment_id: str
    climb_id: str
    author: OwnerCard
    text: str
    created_at: datetime
    like_count: int
    liked: bool


class CommentPage(Model):
    model_config = ConfigDict(
        json_schema_extra=examples(
            {
                "items": [
                    {
                        "comment_id": "01a22a720f607797a135a381dc1b75e4",
                        "climb_id": "01a22a720f607797a135a381dc1b75e3",
                        "author": {
                            "climber_id": "d41fe687-5342-4d79-ad9e-bbc5fbf6515b",
                            "display_name": "Alex Honnold",
                            "picture": [],
                        },
                        "text": "Strong send!",
                        "created_at": "2026-11-30T01:00:00Z",
                        "like_count": 1,
                        "liked": False,
                    }
                ],
                "next_cursor": None,
            }
        )
    )

    items: list[CommentView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next (newer) page; null on the last page."
    )


class Comments:
    def __init__(
        self,
        db: Database,
        feed: Feed,
        relations: Relations,
        profiles: ProfileRepository,
        publisher: EventPublisher,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._comments = db[COLLECTION]
        self._likes = db[LIKES]
        self._feed = feed
        self._relations = relations
        self._profiles = profiles
        self._outbox = Outbox(db, publisher)
        self._clock = clock

    def ensure_indexes(self) -> None:
        # nx-27017 rejects indexes naming `_id`: the id is also stored as `comment_id`.
        self._comments.create_index(
            [("climb_id", ASCENDING), ("comment_id", ASCENDING)], name="oldest_first"
        )
        self._comments.create_index([("author_id", ASCENDING)], name="by_author")
        self._comments.create_index([("climb_owner_id", ASCENDING)], name="by_climb_owner")
        events_outbox.ensure_outbox_index(self._comments)

    def post(self, viewer_id: str, climb_id: str, comment: NewComment) -> CommentView:
        climb = self._feed.visible_climb(viewer_id, climb_id)
        now = self._clock()
        comment_id = new_id()
        document = {
            "_id": comment_id,
            "comment_id": comment_id,
            "climb_id": climb_id,
            "climb_owner_id": climb["user_id"],
            "author_id": viewer_id,
            "text": comment.text,
            "created_at": now,
        }
        posted = CommentPosted(
            user_id=viewer_id,
            occurred_at=now,
            climb_id=climb_id,
            comment_id=comment_id,
            climb_owner_id=climb["user_id"],
        )
        written = events_outbox.insert(self._comments, document, [posted], now)
        if written is not None:  # a fresh id: never taken
            self._outbox.flush(written)
        return self._views(viewer_id, [document])[0]

    def page(
        self, viewer_id: str, climb_id: str, *, after: PageKey | None, limit: int
    ) -> CommentPage:
        self._feed.visible_climb(viewer_id, climb_id)
        query: dict[str, Any] = {"climb_id": climb_id}
        if hidden := self._relations.blocked_ids(viewer_id):
            query["author_id"] = {"$nin": hidden}
        if after is not None:
            query["comment_id"] = {"$gt": after.climb_id}
        rows = list(self._comments.find(query).sort("comment_id", ASCENDING).limit(limit + 1))
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            day = as_utc(last["created_at"]).date()
            next_cursor = encode_cursor(PageKey(day, last["comment_id"]), COMMENTS)
        return CommentPage(items=self._views(viewer_id, items), next_cursor=next_cursor)

    def visible_comment(self, viewer_id: str, climb_id: str, comment_id: str) -> dict[str, Any]:
        self._feed.visible_climb(viewer_id, climb_id)
        query: dict[str, Any] = {"_id": comment_id, "climb_id": climb_id}
        if hidden := self._relations.blocked_ids(viewer_id):
            query["author_id"] = {"$nin": hidden}
        found = self._comments.find_one(query)
        if found is None:
            raise NotFound(f"No comment {comment_id}")
        return found

    def delete(self, viewer_id: str, climb_id: str, comment_id: str) -> None:
        """By the author (even if they can no longer see the climb) or the climb's owner."""
        now = self._clock()

        def deleted(found: dict[str, Any]) -> list[CommentDeleted]:
            return [
                CommentDeleted(
                    user_id=viewer_id,
                    occurred_at=now,
                    climb_id=climb_id,
                    comment_id=comment_id,
                    climb_owner_id=found["climb_owner_id"],
                    author_id=found["author_id"],
                )
            ]

        removed = None
        for role in ("author_id", "climb_owner_id"):
            live = {"_id": comment_id, "climb_id": climb_id, role: viewer_id}
            removed = events_outbox.remove(self._comments, live, viewer_id, deleted, now)
            if removed is not None:
                break
        if removed is None:
            raise NotFound(f"No comment {comment_id}")
        self._likes.delete_many({"target_id": comment_id})
        self._outbox.flush(removed[1])

    def _views(self, viewer_id: str, documents: list[dict[str, Any]]) -> list[CommentView]:
        if not documents:
            return []
        ids = [d["_id"] for d in documents]
        authors = self._profiles.many([d["author_id"] for d in documents])
        counts = {
            row["_id"]: int(row["n"])
            for row in self._likes.aggregate(
                [
                    {"$match": {"target_id": {"$in": ids}}},
                    {"$group": {"_id": "$target_id", "n": {"$sum": 1}}},
                ]
            )
        }
        mine = {
            d["target_id"]
            for d in self._likes.find(
                {"_id": {"$in": [pair_id(i, viewer_id) for i in ids]}, "user_id": viewer_id},
                {"target_id": 1},
            )
        }
        views = []
        for d in documents:
            author = authors.get(d["author_id"])
            name = author.display_name if author else f"Climber {d['author_id'][:6]}"
            views.append(
                CommentView(
                    comment_id=d["_id"],
                    climb_id=d["climb_id"],
                    author=OwnerCard(climber_id=d["author_id"], display_name=name),
                    text=d["text"],
                    created_at=as_utc(d["created_at"]),
                    like_count=counts.get(d["_id"], 0),
                    liked=d["_id"] in mine,
                )
            )
        return views
