"""Climbers as others meet them: my profile, someone's profile, search, follows and blocks.

Rules: a blocked climber (either way) cannot see the profile (404), follow, or be followed;
following a private account creates a pending request the followee approves or refuses;
removing a follower or blocking publishes `Climber Unfollowed` so consumers can forget the
follow. Each of these events is stored with the follow's write and leaves through the outbox
(boulderstat/events/outbox.py), so a crash or a bus outage after the write loses none.
Public stats are the existing stats aggregation run over the climbs the viewer may see.
"""

from __future__ import annotations

from datetime import UTC
from enum import StrEnum

from pydantic import ConfigDict, Field
from pymongo.database import Database

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.models import SENT
from boulderstat.climbs.repository import COLLECTION as CLIMBS
from boulderstat.climbs.stats import (
    ClimbSummary,
    GradeSends,
    iso_week,
    stats_pipeline,
    summary_from_facets,
)
from boulderstat.clock import Clock, utc_now
from boulderstat.community.cards import OwnerCard, RenditionLink
from boulderstat.community.profiles import Profile, ProfileChanges, ProfileRepository
from boulderstat.community.relations import Follow, FollowStatus, Relations
from boulderstat.errors import InvalidRequest, NotFound
from boulderstat.events import EventPublisher
from boulderstat.events.catalog import ClimberFollowed, ClimberUnfollowed
from boulderstat.events.outbox import Outbox
from boulderstat.media.delivery import MediaLinks
from boulderstat.models import Model


class FollowState(StrEnum):
    NONE = "none"
    PENDING = "pending"
    ACTIVE = "active"


class Relationship(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.RELATIONSHIP))

    you_follow: FollowState
    follows_you: FollowState
    friends: bool = Field(description="Both follow each other (approved).")


class PublicStats(Model):
    """Computed over the climbs the viewer may see, nothing else."""

    model_config = ConfigDict(json_schema_extra=examples(ex.PUBLIC_STATS))

    climbs: int
    hardest_send: ClimbSummary | None
    sends_this_week: int
    pyramid: list[GradeSends]


class ClimberProfile(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMBER_PROFILE))

    climber_id: str
    display_name: str
    bio: str
    home_gym: str
    private: bool
    picture: list[RenditionLink] = []
    followers: int
    following: int
    relationship: Relationship
    stats: PublicStats | None = Field(
        description="Null when the viewer may see none of their climbs (private account)."
    )


class ClimberList(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMBER_LIST))

    items: list[OwnerCard]


class FollowView(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.FOLLOW_VIEW))

    climber_id: str = Field(description="The other climber.")
    status: FollowState


def _state(follow: Follow | None) -> FollowState:
    return FollowState.NONE if follow is None else FollowState(str(follow.status))


class Climbers:
    def __init__(
        self,
        db: Database,
        profiles: ProfileRepository,
        relations: Relations,
        publisher: EventPublisher,
        *,
        links: MediaLinks | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._climbs = db[CLIMBS]
        self._media = db["media"]
        self._follows = db["follows"]
        self._profiles = profiles
        self._relations = relations
        self._outbox = Outbox(db, publisher)
        self._links = links
        self._clock = clock

    # -- profiles ----------------------------------------------------------------------------
    def me(self, climber_id: str) -> Profile:
        return self._profiles.get_or_create(climber_id)

    def change_me(self, climber_id: str, changes: ProfileChanges) -> Profile:
        # Any well-formed id is kept; a picture shows only if it is the climber's OWN processed
        # profile_picture upload (`_picture` and the feed cards filter on exactly that).
        before = self._profiles.get_or_create(climber_id)
        after = self._profiles.update(climber_id, changes)
        if before.private and not after.private:
            self._relations.approve_all(climber_id)  # going public: requests become follows
        return after

    def profile(self, viewer_id: str, climber_id: str) -> ClimberProfile:
        profile = self._profiles.get(climber_id)
        if profile is None or self._relations.blocked_either_way(viewer_id, climber_id):
            raise NotFound(f"No climber {climber_id}")
        access = self._relations.access(viewer_id, climber_id, owner_private=profile.private)
        you = self._relations.get_follow(viewer_id, climber_id)
        them = self._relations.get_follow(climber_id, viewer_id)
        stats = self._stats(access.climb_filter(climber_id)) if access.any else None
        active = FollowStatus.ACTIVE
        return ClimberProfile(
            climber_id=climber_id,
            display_name=profile.display_name,
            bio=profile.bio,
            home_gym=profile.home_gym,
            private=profile.private,
            picture=self._picture(profile),
            followers=self._follows.count_documents({"followee_id": climber_id, "status": active}),
            following=self._follows.count_documents({"follower_id": climber_id, "status": active}),
            relationship=Relationship(
                you_follow=_state(you),
                follows_you=_state(them),
                friends=bool(you and them and you.status == active and them.status == active),
            ),
            stats=stats,
        )

    def _picture(self, profile: Profile) -> list[RenditionLink]:
        """The square crops, once processed (only the owner's own upload, only when ready)."""
        if not profile.picture_media_id or self._links is None:
            return []
        found = self._media.find_one(
            {
                "_id": profile.picture_media_id,
                "user_id": profile.climber_id,
                "purpose": "profile_picture",
                "status": "ready",
            }
        )
        if found is None:
            return []
        return [
            RenditionLink(
                name=r["name"],
                url=self._links.url_for(r["key"]),
                width=r["width"],
                height=r["height"],
                format=r["format"],
            )
            for r in found.get("renditions") or []
        ]

    def _stats(self, visible: dict[str, object]) -> PublicStats:
        rows = list(self._climbs.aggregate(stats_pipeline(dict(visible))))
        summary = summary_from_facets(rows[0] if rows else {})
        start, end = iso_week(self._clock().astimezone(UTC).date())
        this_week = self._climbs.count_documents(
            {
                **visible,
                "outcome": {"$in": [str(o) for o in SENT]},
                "climb_date": {"$gte": start.isoformat(), "$lte": end.isoformat()},
            }
        )
        return PublicStats(
            climbs=summary.climbs,
            hardest_send=summary.hiscore,
            sends_this_week=this_week,
            pyramid=summary.pyramid,
        )

    def search(self, viewer_id: str, prefix: str, *, limit: int) -> ClimberList:
        if not prefix.strip():
            raise InvalidRequest("q: give at least one character of a display name")
        hidden = self._relations.blocked_ids(viewer_id)
        found = self._profiles.search(prefix.strip(), exclude=hidden, limit=limit)
        return ClimberList(
            items=[OwnerCard(climber_id=p.climber_id, display_name=p.display_name) for p in found]
        )

    # -- follows -----------------------------------------------------------------------------
    def follow(self, follower_id: str, followee_id: str) -> FollowView:
        if follower_id == followee_id:
            raise InvalidRequest("You cannot follow yourself")
        followee = self._profiles.get(followee_id)
        if followee is None or self._relations.blocked_either_way(follower_id, followee_id):
            raise NotFound(f"No climber {followee_id}")
        status = FollowStatus.PENDING if followee.private else FollowStatus.ACTIVE
        now = self._clock()
        followed = ClimberFollowed(
            user_id=follower_id,
            occurred_at=now,
            followee_id=followee_id,
            status=str(status),  # type: ignore[arg-type]
        )
        follow, written = self._relations.follow(
            follower_id, followee_id, status=status, now=now, events=[followed]
        )
        if written is not None:
            self._outbox.flush(written)
        return FollowView(climber_id=followee_id, status=_state(follow))

    def unfollow(self, follower_id: str, followee_id: str) -> None:
        """Idempotent; also withdraws a pending request."""
        self._unfollow(follower_id, followee_id, by=follower_id)

    def approve(self, followee_id: str, follower_id: str) -> FollowView:
        now = self._clock()
        followed = ClimberFollowed(
            user_id=follower_id, occurred_at=now, followee_id=followee_id, status="active"
        )
        approved = self._relations.approve(followee_id, follower_id, now=now, events=[followed])
        if approved is None:
            existing = self._relations.get_follow(follower_id, followee_id)
            if existing is not None and existing.status == FollowStatus.ACTIVE:
                return FollowView(climber_id=follower_id, status=FollowState.ACTIVE)
            raise NotFound(f"No follow request from {follower_id}")
        self._outbox.flush(approved[1])
        return FollowView(climber_id=follower_id, status=FollowState.ACTIVE)

    def remove_follower(self, followee_id: str, follower_id: str) -> None:
        """Removes a follower or refuses a request; idempotent."""
        self._unfollow(follower_id, followee_id, by=followee_id)

    def followers(self, climber_id: str, *, pending: bool, limit: int) -> list[FollowView]:
        status = FollowStatus.PENDING if pending else FollowStatus.ACTIVE
        found = self._relations.page(climber_id, direction="followers", status=status, limit=limit)
        return [FollowView(climber_id=f.follower_id, status=_state(f)) for f in found]

    def following(self, climber_id: str, *, limit: int) -> list[FollowView]:
        found = []
        for status in (FollowStatus.ACTIVE, FollowStatus.PENDING):
            found += self._relations.page(
                climber_id, direction="following", status=status, limit=limit
            )
        return [FollowView(climber_id=f.followee_id, status=_state(f)) for f in found[:limit]]

    # -- blocks ------------------------------------------------------------------------------
    def block(self, blocker_id: str, blocked_id: str) -> None:
        if blocker_id == blocked_id:
            raise InvalidRequest("You cannot block yourself")
        if self._profiles.get(blocked_id) is None:
            raise NotFound(f"No climber {blocked_id}")
        self._relations.block(blocker_id, blocked_id)
        self._unfollow(blocker_id, blocked_id, by=blocker_id)
        self._unfollow(blocked_id, blocker_id, by=blocker_id)

    def unblock(self, blocker_id: str, blocked_id: str) -> None:
        self._relations.unblock(blocker_id, blocked_id)

    def blocked(self, blocker_id: str, *, limit: int) -> ClimberList:
        ids = self._relations.blocked_by(blocker_id, limit=limit)
        profiles = self._profiles.many(ids)
        return ClimberList(
            items=[
                OwnerCard(climber_id=i, display_name=profiles[i].display_name)
                for i in ids
                if i in profiles
            ]
        )

    def _unfollow(self, follower_id: str, followee_id: str, *, by: str) -> None:
        now = self._clock()
        unfollowed = ClimberUnfollowed(
            user_id=follower_id, occurred_at=now, followee_id=followee_id
        )
        removed = self._relations.unfollow(
            follower_id, followee_id, by=by, now=now, events=[unfollowed]
        )
        if removed is not None:
            self._outbox.flush(removed[1])
