"""Feed cards: everything a UI needs to draw a climb from someone, in one response.

`CardBuilder.build` turns a page of climb documents (already filtered by what the viewer may
see) into cards with a FIXED number of MongoDB round trips, whatever the page size:

1. `profiles`  - every owner's name and picture media id ($in)
2. `media`     - ready media attached to the climbs AND owned by the climb's owner, plus the
                 owners' profile pictures ($or of per-owner $in: a climb can never lend out
                 someone else's media id)
3. `likes`     - like counts per climb ($group)
4. `likes`     - which of them the viewer liked ($in on `_id`)
5. `comments`  - comment counts per climb ($group)

Counts are counted, not kept as counters, so they are exact whatever happened concurrently.
Media URLs are minted only for media that passed the query above.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.models import (
    ClimbId,
    IsoDate,
    Location,
    Outcome,
    Visibility,
    WallAngle,
    WithGradeLabel,
)
from boulderstat.clock import as_utc
from boulderstat.community.profiles import ProfileRepository
from boulderstat.community.relations import pair_id
from boulderstat.media.delivery import MediaLinks
from boulderstat.media.status import MediaStatus
from boulderstat.models import Model

LIKES = "likes"
COMMENTS = "comments"


class RenditionLink(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.RENDITION_LINK))

    name: str
    url: str
    width: int
    height: int
    format: str


class MediaCard(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.MEDIA_CARD))

    media_id: str
    kind: str
    width: int | None = None
    height: int | None = None
    placeholder: str | None = None
    renditions: list[RenditionLink]


class OwnerCard(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.OWNER_CARD))

    climber_id: str
    display_name: str
    picture: list[RenditionLink] = Field(
        default=[], description="Square crops of the profile picture (empty without one)."
    )


class FeedCard(WithGradeLabel):
    model_config = ConfigDict(json_schema_extra=examples(ex.FEED_CARD))

    climb_id: ClimbId
    owner: OwnerCard
    title: str
    grade: int
    outcome: Outcome
    attempts: int
    climb_date: IsoDate
    angle: WallAngle | None = None
    location: Location | None = None
    description: str = ""
    visibility: Visibility
    media: list[MediaCard] = Field(description="Ready media only, with URLs the viewer may load.")
    like_count: int
    liked: bool = Field(description="Whether the caller liked it.")
    comment_count: int
    created_at: datetime


class FeedPage(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.FEED_PAGE))

    items: list[FeedCard]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def _links(document: dict[str, Any], links: MediaLinks) -> list[RenditionLink]:
    return [
        RenditionLink(
            name=r["name"],
            url=links.url_for(r["key"]),
            width=r["width"],
            height=r["height"],
            format=r["format"],
        )
        for r in document.get("renditions") or []
    ]


def _of_climb(
    climb: dict[str, Any], media: dict[tuple[str, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The climb's ready media, owned by its owner: listed in `media_ids` (that order) or
    uploaded for it (`climb_id`, oldest first)."""
    owner_id = climb["user_id"]
    listed = [media[(owner_id, m)] for m in climb.get("media_ids") or [] if (owner_id, m) in media]
    seen = {d["_id"] for d in listed}
    uploaded = sorted(
        (
            d
            for (owner, _), d in media.items()
            if owner == owner_id and d.get("climb_id") == climb["_id"] and d["_id"] not in seen
        ),
        key=lambda d: d["_id"],
    )
    return listed + uploaded


class CardBuilder:
    def __init__(self, db: Any, profiles: ProfileRepository, links: MediaLinks) -> None:
        self._media = db["media"]
        self._likes = db[LIKES]
        self._comments = db[COMMENTS]
        self._profiles = profiles
        self._links = links

    def build(self, viewer_id: str, climbs: list[dict[str, Any]]) -> list[FeedCard]:
        if not climbs:
            return []
        climb_ids = [c["_id"] for c in climbs]
        owners = self._profiles.many([c["user_id"] for c in climbs])
        media = self._ready_media(climbs, owners)
        like_counts = self._counts(self._likes, {"target_id": {"$in": climb_ids}}, "target_id")
        liked = {
            d["target_id"]
            for d in self._likes.find(
                {"_id": {"$in": [pair_id(c, viewer_id) for c in climb_ids]}, "user_id": viewer_id},
                {"target_id": 1},
            )
        }
        comment_counts = self._counts(self._comments, {"climb_id": {"$in": climb_ids}}, "climb_id")
        cards = []
        for climb in climbs:
            owner_id = climb["user_id"]
            profile = owners.get(owner_id)
            picture = media.get((owner_id, profile.picture_media_id)) if profile else None
            cards.append(
                FeedCard(
                    climb_id=climb["_id"],
                    owner=OwnerCard(
                        climber_id=owner_id,
                        display_name=profile.display_name if profile else f"Climber {owner_id[:6]}",
                        picture=_links(picture, self._links) if picture else [],
                    ),
                    title=climb["title"],
                    grade=climb["grade"],
                    outcome=climb["outcome"],
                    attempts=climb.get("attempts", 1),
                    climb_date=date.fromisoformat(climb["climb_date"]),
                    angle=climb.get("angle"),
                    location=climb.get("location"),
                    description=climb.get("description", ""),
                    visibility=climb.get("visibility", Visibility.PRIVATE),
                    media=[self._media_card(m) for m in _of_climb(climb, media)],
                    like_count=like_counts.get(climb["_id"], 0),
                    liked=climb["_id"] in liked,
                    comment_count=comment_counts.get(climb["_id"], 0),
                    created_at=as_utc(climb["created_at"]),
                )
            )
        return cards

    def _ready_media(
        self, climbs: list[dict[str, Any]], owners: dict[str, Any]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        wanted: dict[str, set[str]] = {}
        for climb in climbs:
            wanted.setdefault(climb["user_id"], set()).update(climb.get("media_ids") or [])
        # (A climb's media ids name climb media; a profile's picture id names its own upload.)
        for owner_id, profile in owners.items():
            if profile.picture_media_id:
                wanted.setdefault(owner_id, set()).add(profile.picture_media_id)
        clauses: list[dict[str, Any]] = [
            {"user_id": owner_id, "_id": {"$in": sorted(ids)}}
            for owner_id, ids in wanted.items()
            if ids
        ]
        # Media uploaded for a climb (`climb_id` on the upload) belong to it too.
        climbs_of: dict[str, list[str]] = {}
        for climb in climbs:
            climbs_of.setdefault(climb["user_id"], []).append(climb["_id"])
        clauses += [
            {"user_id": owner_id, "climb_id": {"$in": ids}} for owner_id, ids in climbs_of.items()
        ]
        # Queried even when nothing is wanted: a page costs the same round trips whatever is on it.
        owned = {"$or": clauses} if clauses else {"_id": {"$in": []}}
        found = self._media.find(
            {**owned, "status": str(MediaStatus.READY)},
            {
                "user_id": 1,
                "climb_id": 1,
                "kind": 1,
                "renditions": 1,
                "metadata": 1,
                "placeholder": 1,
            },
        )
        return {(d["user_id"], d["_id"]): d for d in found}

    def _media_card(self, document: dict[str, Any]) -> MediaCard:
        metadata = document.get("metadata") or {}
        return MediaCard(
            media_id=document["_id"],
            kind=document["kind"],
            width=metadata.get("width"),
            height=metadata.get("height"),
            placeholder=document.get("placeholder"),
            renditions=_links(document, self._links),
        )

    @staticmethod
    def _counts(collection: Any, match: dict[str, Any], field: str) -> dict[str, int]:
        rows = collection.aggregate(
            [{"$match": match}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
        )
        return {row["_id"]: int(row["n"]) for row in rows}
