"""Every event detail BoulderStat emits. `events/schemas/*.json` are generated from these.

Details carry ids and facts for downstream consumers, never presigned URLs or tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

CLIMB_SOURCE = "boulderstat.climbs"
MEDIA_SOURCE = "boulderstat.media"
COMMUNITY_SOURCE = "boulderstat.community"

MediaKind = Literal["photo", "video"]


class EventDetail(BaseModel):
    """Base of every event detail: immutable, no unknown fields, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    SOURCE: ClassVar[str]
    DETAIL_TYPE: ClassVar[str]

    schema_version: Literal[1] = 1
    user_id: str = Field(description="Cognito `sub` of the climber who owns the data.")
    occurred_at: datetime


class ClimbCreated(EventDetail):
    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Created"

    climb_id: str
    grade: int = Field(description="V-grade as a number (V0 = 0); -1 for VB.")
    outcome: str
    climb_date: str = Field(description="ISO date (YYYY-MM-DD) the climb happened.")
    media_ids: list[str] = []


class ClimbUpdated(EventDetail):
    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Updated"

    climb_id: str
    changed_fields: list[str]
    grade: int
    outcome: str
    climb_date: str


class ClimbDeleted(EventDetail):
    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Deleted"

    climb_id: str
    media_ids: list[str] = []


class MediaUploaded(EventDetail):
    """An original arrived and passed ingest checks; processing starts from this."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Uploaded"

    media_id: str
    climb_id: str | None = None
    kind: MediaKind
    content_type: str
    format: str = Field(description="Format sniffed from the file's magic bytes.")
    bucket: str
    key: str
    size: int
    etag: str
    sequencer: str | None = None


class RenditionSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    key: str
    width: int
    height: int
    bytes: int
    format: str


class MediaProcessed(EventDetail):
    """The media is viewable: photo renditions, or a video's probe and poster."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Processed"

    media_id: str
    climb_id: str | None = None
    kind: MediaKind
    key: str
    etag: str
    width: int
    height: int
    duration_seconds: float | None = None
    animated: bool = False
    renditions: list[RenditionSummary]
    placeholder: str | None = None
    web_rendition: Literal["pending"] | None = Field(
        default=None,
        description="`pending`: a web-playable video is being made; `Media Web Rendition Ready` "
        "(or `... Failed`) follows. The web_rendition function's rule matches on it.",
    )


class MediaWebRenditionReady(EventDetail):
    """A video's web-playable rendition (H.264/AAC MP4, at most 720p) was added."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Web Rendition Ready"

    media_id: str
    climb_id: str | None = None
    key: str
    etag: str
    rendition: RenditionSummary


class MediaWebRenditionFailed(EventDetail):
    """The web rendition could not be made; the media stays `ready` with its poster."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Web Rendition Failed"

    media_id: str
    climb_id: str | None = None
    key: str
    etag: str
    reason: str = Field(description="Human-readable reason.")


class MediaProcessingFailed(EventDetail):
    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Processing Failed"

    media_id: str
    climb_id: str | None = None
    phase: Literal["ingest", "processing"]
    reason: str = Field(description="Human-readable reason a climber can act on.")
    key: str


class MediaDeleted(EventDetail):
    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Deleted"

    media_id: str
    climb_id: str | None = None
    objects_removed: int


class ClimberFollowed(EventDetail):
    """`user_id` started following (or asked to follow, `status` pending) `followee_id`."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Followed"

    followee_id: str
    status: Literal["active", "pending"]


class ClimberUnfollowed(EventDetail):
    """The follow from `user_id` to `followee_id` is gone (unfollowed, removed or blocked)."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Unfollowed"

    followee_id: str


class ClimbLiked(EventDetail):
    """`user_id` liked a climb (or, with `comment_id`, a comment on it) of `owner_id`."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Liked"

    climb_id: str
    comment_id: str | None = None
    owner_id: str = Field(description="Who owns what was liked (the climb or the comment).")


class ClimbUnliked(EventDetail):
    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Unliked"

    climb_id: str
    comment_id: str | None = None
    owner_id: str


class CommentPosted(EventDetail):
    """`user_id` commented on `climb_owner_id`'s climb. The text stays in the API."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Comment Posted"

    climb_id: str
    comment_id: str
    climb_owner_id: str


class CommentDeleted(EventDetail):
    """`user_id` (the author or the climb's owner) deleted a comment."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Comment Deleted"

    climb_id: str
    comment_id: str
    climb_owner_id: str
    author_id: str


class ClimberDeleted(EventDetail):
    """Everything of `user_id` is gone: profile, climbs, media, follows, likes, comments."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Deleted"

    climbs_removed: int
    media_removed: int


def all_event_models() -> list[type[EventDetail]]:
    return [
        ClimbCreated,
        ClimbUpdated,
        ClimbDeleted,
        MediaUploaded,
        MediaProcessed,
        MediaWebRenditionReady,
        MediaWebRenditionFailed,
        MediaProcessingFailed,
        MediaDeleted,
        ClimberFollowed,
        ClimberUnfollowed,
        ClimbLiked,
        ClimbUnliked,
        CommentPosted,
        CommentDeleted,
        ClimberDeleted,
    ]
