"""The media document as stored in MongoDB (collection `media`), and the facts it records.

One document per media id (`_id` = `media_id`), always filtered by `user_id` as well. Fields are
grouped by the phase that writes them:

- upload grant (upload_url): kind, content_type, declared_size, filename, climb_id, bucket, key,
  expires_at (grant expiry), pending_expires_at (TTL, only while pending), multipart (upload
  id and part layout of a resumable upload)
- ingest (on_object_created): size, etag, sequencer, format, uploaded_at (the object version)
- processing (thumbnail): processing_started_at, processing_attempts, renditions, metadata,
  placeholder, processed_at
- failure (either phase): failure {phase, reason, failed_at}
- web rendition (web_rendition function, after `ready`): web_rendition {status, attempts,
  reason, finished_at, event_published, redrives}; the web rendition joins `renditions` when made
- outbox flags: uploaded/processed/failed_event_published, set after the event went out so a
  retried delivery re-publishes only what is missing.
- sweeper (media.sweeper): sweeps, how often this version was found stuck and re-driven.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from boulderstat.events.catalog import MediaKind, RenditionSummary
from boulderstat.media.status import FailurePhase, MediaStatus
from boulderstat.models import Model


def _as_utc(value: datetime) -> datetime:
    """UTC at millisecond precision, as BSON stores it.

    nx-27017 returns datetimes written by `$set` as naive strings; MongoDB keeps them UTC.
    """
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class ObjectVersion(Model):
    """One version of an original object: its ETag, and S3's sequencer when it sent one.

    S3 sequencers are hex strings, ordered per key once left-padded to equal length (see
    `sequencer_order`). moto sends none, so ETags alone tell versions apart locally.
    """

    model_config = ConfigDict(frozen=True)

    etag: str
    sequencer: str | None = None

    @classmethod
    def of(cls, etag: str, sequencer: str | None) -> ObjectVersion:
        cleaned = sequencer.strip() if sequencer else ""
        return cls(etag=etag.strip().strip('"'), sequencer=cleaned or None)


def sequencer_order(sequencer: str) -> str:
    """A key that compares S3 sequencers of one object key correctly."""
    return sequencer.upper().zfill(64)


class Rendition(RenditionSummary):
    """A derived file under derived/{user_id}/{media_id}/ (resized photo, poster, web video).

    Stored on the document with exactly the facts `Media Processed` tells consumers.
    """

    def summary(self) -> RenditionSummary:
        return RenditionSummary(**self.model_dump())


class MediaMetadata(Model):
    """What processing learned about the original. Extra facts may be added by processing."""

    model_config = ConfigDict(extra="allow", frozen=True)

    width: int
    height: int
    duration_seconds: float | None = None
    animated: bool = False


class Failure(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: FailurePhase
    reason: str
    failed_at: UtcDatetime


class MultipartUpload(Model):
    """The S3 multipart upload a grant started: which id, and how the file is cut into parts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    upload_id: str
    part_size: int
    part_count: int

    def expected_size(self, part_number: int, total: int) -> int:
        """Every part is `part_size` bytes except the last, which holds the remainder."""
        if part_number < self.part_count:
            return self.part_size
        return total - (self.part_count - 1) * self.part_size


WebRenditionStatus = Literal["pending", "processing", "ready", "failed"]


class WebRendition(Model):
    """A video's web-playable rendition, made after the media is `ready` by its own function.

    Its failure never touches the media's status: the poster stays, the climber can still play
    the original where browsers can.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: WebRenditionStatus = "pending"
    attempts: int = 0
    reason: str | None = None
    finished_at: UtcDatetime | None = None
    event_published: bool = False
    redrives: int = 0  # times the sweeper re-published `Media Processed` for it (media.sweeper)


class MediaDocument(Model):
    model_config = ConfigDict(extra="ignore")

    media_id: str
    user_id: str
    status: MediaStatus
    kind: MediaKind
    content_type: str
    declared_size: int
    filename: str | None = None
    climb_id: str | None = None
    purpose: str = "climb"  # or "profile_picture" (square crops, see imaging/avatar.py)
    bucket: str
    key: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    expires_at: UtcDatetime = Field(description="When the upload grant (presigned POST) expires.")
    pending_expires_at: UtcDatetime | None = Field(
        default=None, description="TTL: set only while pending, removed when the upload arrives."
    )
    multipart: MultipartUpload | None = Field(
        default=None, description="Set when the grant is a resumable multipart upload."
    )

    size: int | None = None
    etag: str | None = None
    sequencer: str | None = None
    format: str | None = None
    uploaded_at: UtcDatetime | None = None

    processing_started_at: UtcDatetime | None = None
    processing_attempts: int = 0
    # The delivery processing this version right now, and until when it may still be running
    # (its Lambda's deadline): a concurrent duplicate delivery stands down while it is live.
    processing_lease_owner: str | None = None
    processing_lease_until: UtcDatetime | None = None
    renditions: list[Rendition] = []
    metadata: MediaMetadata | None = None
    placeholder: str | None = None
    processed_at: UtcDatetime | None = None

    failure: Failure | None = None
    web_rendition: WebRendition | None = Field(
        default=None, description="Set when a video needs a web rendition (see WebRendition)."
    )

    uploaded_event_published: bool = False
    processed_event_published: bool = False
    failed_event_published: bool = False

    sweeps: int = Field(default=0, description="Times the sweeper re-drove this version.")

    revision: int = Field(default=0, description="Bumped by every transition (compare-and-set).")

    @property
    def version(self) -> ObjectVersion | None:
        if self.etag is None:
            return None
        return ObjectVersion(etag=self.etag, sequencer=self.sequencer)

    def records(self, version: ObjectVersion) -> bool:
        """True when this document already recorded exactly that object version."""
        if self.etag != version.etag:
            return False
        if self.sequencer is None or version.sequencer is None:
            return True
        return sequencer_order(self.sequencer) == sequencer_order(version.sequencer)

    def is_newer_than_recorded(self, version: ObjectVersion) -> bool:
        """Whether `version` may replace what is recorded (see `status` for the rules).

        With S3 sequencers on both sides, the larger one wins. Without (moto sends none), any other
        ETag counts as newer: ingest only gets here after checking that the version is the object
        in the bucket right now.
        """
        if self.status == MediaStatus.PENDING or self.etag is None:
            return True
        if self.records(version):
            return False
        if version.sequencer and self.sequencer:
            return sequencer_order(version.sequencer) > sequencer_order(self.sequencer)
        return True

    def to_mongo(self) -> dict[str, Any]:
        document = self.model_dump(mode="python")
        document["_id"] = self.media_id
        return document

    @classmethod
    def from_mongo(cls, document: dict[str, Any]) -> MediaDocument:
        return cls.model_validate({k: v for k, v in document.items() if k != "_id"})
