"""Every event detail BoulderStat emits. `events/schemas/*.json` and `docs/asyncapi.yaml` are
generated from these.

Details carry ids and facts for downstream consumers, never presigned URLs or tokens. Delivery
is at least once and unordered (docs/events.md): every detail carries an `idempotency_key` that
is the same on every re-publish of one fact, and climb events carry the climb's `revision`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from boulderstat.models import Model

CLIMB_SOURCE = "boulderstat.climbs"
MEDIA_SOURCE = "boulderstat.media"
COMMUNITY_SOURCE = "boulderstat.community"

MediaKind = Literal["photo", "video"]


def kebab(detail_type: str) -> str:
    """`Media Processed` -> `media-processed`: file names, schema ids and key prefixes."""
    return re.sub(r"[^a-z0-9]+", "-", detail_type.lower()).strip("-")


def _key_part(value: Any) -> str:
    """Facts that can repeat (a follow, unfollow, follow again) are told apart by when they
    happened: one spelling of a time, whether it arrives as a datetime or as JSON text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


class EventDetail(Model):
    """Base of every event detail: immutable, no unknown fields, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    SOURCE: ClassVar[str]
    DETAIL_TYPE: ClassVar[str]
    # The fields that identify the fact an event reports; its idempotency key is built from them.
    KEY_FIELDS: ClassVar[tuple[str, ...]]

    schema_version: Literal[1] = 1
    idempotency_key: str = Field(
        description=(
            "Identifies the fact this event reports: the same on every re-publish of it, "
            "different for every other fact. `<detail-type in kebab case>:` followed by the "
            "fields named in `x-idempotency-key-fields`, joined by `:`. Dedupe on it."
        ),
    )
    user_id: str = Field(description="Cognito `sub` of the climber who owns the data.")
    occurred_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _derive_idempotency_key(cls, data: Any) -> Any:
        """Producers never build keys by hand: the key follows from the fields it names."""
        if isinstance(data, dict) and "idempotency_key" not in data:
            data = {**data, "idempotency_key": cls.idempotency_key_of(data)}
        return data

    @classmethod
    def idempotency_key_of(cls, fields: dict[str, Any]) -> str:
        return ":".join(
            [kebab(cls.DETAIL_TYPE), *(_key_part(fields.get(n)) for n in cls.KEY_FIELDS)]
        )


class ClimbCreated(EventDetail):
    """A climber logged a climb (revision 1)."""

    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Created"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("climb_id", "revision")

    climb_id: str
    revision: int = Field(
        ge=1,
        description=(
            "The climb's revision after this change: 1 when created, +1 per change, the highest "
            "for the delete. Order a climb's events by it; keep the highest seen."
        ),
    )
    grade: int = Field(description="V-grade as a number (V0 = 0); -1 for VB.")
    outcome: str
    climb_date: str = Field(description="ISO date (YYYY-MM-DD) the climb happened.")
    media_ids: list[str] = []


class ClimbUpdated(EventDetail):
    """A climber changed a climb; `changed_fields` names what changed, the rest is current."""

    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Updated"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("climb_id", "revision")

    climb_id: str
    revision: int = Field(
        ge=1,
        description=(
            "The climb's revision after this change: 1 when created, +1 per change, the highest "
            "for the delete. Order a climb's events by it; keep the highest seen."
        ),
    )
    changed_fields: list[str]
    grade: int
    outcome: str
    climb_date: str


class ClimbDeleted(EventDetail):
    """A climber deleted a climb: its last revision; later-arriving older events are stale."""

    SOURCE: ClassVar[str] = CLIMB_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Deleted"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("climb_id", "revision")

    climb_id: str
    revision: int = Field(
        ge=1,
        description=(
            "The climb's revision after this change: 1 when created, +1 per change, the highest "
            "for the delete. Order a climb's events by it; keep the highest seen."
        ),
    )
    media_ids: list[str] = []


class MediaUploaded(EventDetail):
    """An original arrived and passed ingest checks; processing starts from this."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Uploaded"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id", "etag")

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


class RenditionSummary(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    key: str
    width: int
    height: int
    bytes: int
    format: str


class MediaProcessed(EventDetail):
    """Renditions of one object version exist under `derived/`; the media is `ready` (viewable):
    a photo's renditions, or a video's probe and poster (its web rendition may follow)."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Processed"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id", "etag")

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
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id", "etag")

    media_id: str
    climb_id: str | None = None
    key: str
    etag: str
    rendition: RenditionSummary


class MediaWebRenditionFailed(EventDetail):
    """The web rendition could not be made; the media stays `ready` with its poster."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Web Rendition Failed"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id", "etag")

    media_id: str
    climb_id: str | None = None
    key: str
    etag: str
    reason: str = Field(description="Human-readable reason.")


class MediaProcessingFailed(EventDetail):
    """An upload was rejected at ingest or could not be processed; the media is `failed`."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Processing Failed"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id", "etag")

    media_id: str
    climb_id: str | None = None
    phase: Literal["ingest", "processing"]
    reason: str = Field(description="Human-readable reason a climber can act on.")
    key: str
    etag: str = Field(description="ETag of the object version that failed.")


class MediaDeleted(EventDetail):
    """A climber deleted a photo or video: the original, its renditions and its record."""

    SOURCE: ClassVar[str] = MEDIA_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Media Deleted"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("media_id",)

    media_id: str
    climb_id: str | None = None
    objects_removed: int


class ClimberFollowed(EventDetail):
    """`user_id` started following (or asked to follow, `status` pending) `followee_id`."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Followed"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "followee_id", "status", "occurred_at")

    followee_id: str
    status: Literal["active", "pending"]


class ClimberUnfollowed(EventDetail):
    """The follow from `user_id` to `followee_id` is gone (unfollowed, removed or blocked)."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Unfollowed"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "followee_id", "occurred_at")

    followee_id: str


class ClimbLiked(EventDetail):
    """`user_id` liked a climb (or, with `comment_id`, a comment on it) of `owner_id`."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Liked"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "climb_id", "comment_id", "occurred_at")

    climb_id: str
    comment_id: str | None = None
    owner_id: str = Field(description="Who owns what was liked (the climb or the comment).")


class ClimbUnliked(EventDetail):
    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climb Unliked"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id", "climb_id", "comment_id", "occurred_at")

    climb_id: str
    comment_id: str | None = None
    owner_id: str


class CommentPosted(EventDetail):
    """`user_id` commented on `climb_owner_id`'s climb. The text stays in the API."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Comment Posted"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("comment_id",)

    climb_id: str
    comment_id: str
    climb_owner_id: str


class CommentDeleted(EventDetail):
    """`user_id` (the author or the climb's owner) deleted a comment."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Comment Deleted"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("comment_id",)

    climb_id: str
    comment_id: str
    climb_owner_id: str
    author_id: str


class ClimberDeleted(EventDetail):
    """Everything of `user_id` is gone: profile, climbs, media, follows, likes, comments."""

    SOURCE: ClassVar[str] = COMMUNITY_SOURCE
    DETAIL_TYPE: ClassVar[str] = "Climber Deleted"
    KEY_FIELDS: ClassVar[tuple[str, ...]] = ("user_id",)

    climbs_removed: int
    media_removed: int


ClimbEvent = ClimbCreated | ClimbUpdated | ClimbDeleted


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


def event_from_json(detail_type: str, detail: str) -> EventDetail:
    """An event as stored in an outbox (boulderstat/events/outbox.py), read back into its model."""
    model = {m.DETAIL_TYPE: m for m in all_event_models()}[detail_type]
    return model.model_validate_json(detail)
