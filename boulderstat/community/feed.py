"""Reading other climbers' climbs: a climber's page, one card, the home feed and discover.

Who may see what is part of every MongoDB filter (see `relations.Access`): nothing is fetched
and then thrown away. Ordering and cursors are the climbs list's own (climb date, newest first,
then newest logged), with the same cursor codec, so a feed page is one index range scan.

Round trips per page, whatever its size: the home feed reads the followees (1), the climbs (1)
and the cards (`cards.CardBuilder`, at most 5); discover reads blocks (1) and private accounts
(1) instead of followees.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database

from boulderstat.climbs.cursor import (
    CLIMBER_CLIMBS,
    DISCOVER_FEED,
    HOME_FEED,
    PageKey,
    encode_cursor,
)
from boulderstat.climbs.models import Visibility
from boulderstat.climbs.repository import COLLECTION as CLIMBS
from boulderstat.climbs.repository import NEWEST_FIRST, after_key
from boulderstat.community.cards import CardBuilder, FeedCard, FeedPage
from boulderstat.community.profiles import ProfileRepository
from boulderstat.community.relations import FOLLOWER, Relations
from boulderstat.errors import NotFound

_INDEXES = {
    # Home feed across many followees and discover: newest first over everyone's climbs.
    "everyone_newest_first": [("climb_date", DESCENDING), ("climb_id", DESCENDING)],
    "visibility_newest_first": [
        ("visibility", 1),
        ("climb_date", DESCENDING),
        ("climb_id", DESCENDING),
    ],
}


def visible_climb_filter(
    relations: Relations, viewer_id: str, climb_owner_id: str
) -> dict[str, Any] | None:
    access = relations.access(viewer_id, climb_owner_id)
    return access.climb_filter(climb_owner_id) if access.any else None


class Feed:
    def __init__(
        self,
        db: Database,
        relations: Relations,
        profiles: ProfileRepository,
        cards: CardBuilder,
    ) -> None:
        self._climbs = db[CLIMBS]
        self._relations = relations
        self._profiles = profiles
        self._cards = cards

    def ensure_indexes(self) -> None:
        for name, keys in _INDEXES.items():
            self._climbs.create_index(keys, name=name)

    # -- one climb ---------------------------------------------------------------------------
    def visible_climb(self, viewer_id: str, climb_id: str) -> dict[str, Any]:
        """The climb document if the viewer may see it; NotFound otherwise (never 403)."""
        owner = self._climbs.find_one({"_id": climb_id}, {"user_id": 1})
        if owner is not None:
            allowed = visible_climb_filter(self._relations, viewer_id, owner["user_id"])
            if allowed is not None:
                found = self._climbs.find_one({"_id": climb_id, **allowed})
                if found is not None:
                    return found
        raise NotFound(f"No climb {climb_id}")

    def card(self, viewer_id: str, climb_id: str) -> FeedCard:
        return self._cards.build(viewer_id, [self.visible_climb(viewer_id, climb_id)])[0]

    # -- pages -------------------------------------------------------------------------------
    def climber_page(
        self, viewer_id: str, owner_id: str, *, after: PageKey | None, limit: int
    ) -> FeedPage:
        if self._relations.blocked_either_way(viewer_id, owner_id) or (
            viewer_id != owner_id and self._profiles.get(owner_id) is None
        ):
            raise NotFound(f"No climber {owner_id}")
        access = self._relations.access(viewer_id, owner_id)
        if not access.any:
            return FeedPage(items=[], next_cursor=None)
        return self._page(viewer_id, access.climb_filter(owner_id), after, limit, CLIMBER_CLIMBS)

    def home(self, viewer_id: str, *, after: PageKey | None, limit: int) -> FeedPage:
        followees = self._relations.followee_ids(viewer_id)
        conditions: dict[str, Any] = {"user_id": viewer_id}
        if followees:
            conditions = {
                "$or": [
                    {"user_id": viewer_id},
                    {
                        "user_id": {"$in": followees},
                        "visibility": {"$in": [str(v) for v in FOLLOWER.visibilities]},
                    },
                ]
            }
        return self._page(viewer_id, conditions, after, limit, HOME_FEED)

    def discover(self, viewer_id: str, *, after: PageKey | None, limit: int) -> FeedPage:
        hidden = {viewer_id, *self._relations.blocked_ids(viewer_id), *self._profiles.private_ids()}
        conditions = {"visibility": str(Visibility.PUBLIC), "user_id": {"$nin": sorted(hidden)}}
        return self._page(viewer_id, conditions, after, limit, DISCOVER_FEED)

    def _page(
        self,
        viewer_id: str,
        conditions: dict[str, Any],
        after: PageKey | None,
        limit: int,
        listing: str,
    ) -> FeedPage:
        if after is not None:
            conditions = {"$and": [conditions, after_key(after)]}
        rows = list(self._climbs.find(conditions).sort(NEWEST_FIRST).limit(limit + 1))
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor(
                PageKey(date.fromisoformat(last["climb_date"]), last["_id"]), listing
            )
        return FeedPage(items=self._cards.build(viewer_id, items), next_cursor=next_cursor)
