"""Request and response bodies of the media HTTP API (upload_url and media functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from boulderstat.events.catalog import MediaKind
from boulderstat.media.filenames import display_filename
from boulderstat.media.status import FailurePhase, MediaStatus

CLIMB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MB = 1024 * 1024
MIN_PART_BYTES = 5 * MB  # S3's minimum for every part but the last
MAX_PART_BYTES = 64 * MB  # a dropped connection never costs more than this much re-sending
UPLOAD_ID_MAX_LENGTH = 1024


class UploadRequest(BaseModel):
    """What a climber declares before uploading. The server picks the key and pins the rest."""

    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(
        min_length=1, max_length=100, description="MIME type of the file, e.g. image/jpeg."
    )
    size: int = Field(strict=True, gt=0, description="Exact size of the file in bytes.")
    filename: str | None = Field(
        default=None, max_length=1024, description="Shown to the climber only; never a key."
    )
    climb_id: str | None = Field(
        default=None, pattern=CLIMB_ID_PATTERN, description="One of the caller's climbs."
    )
    part_size: int | None = Field(
        default=None,
        strict=True,
        ge=MIN_PART_BYTES,
        le=MAX_PART_BYTES,
        description="Ask for a resumable multipart upload in parts of this many bytes (the "
        "uploader's chunk size). Files above the server's threshold get one anyway, with the "
        "server's part size.",
    )

    @field_validator("filename")
    @classmethod
    def _display_only(cls, value: str | None) -> str | None:
        return display_filename(value)


class PresignedPostView(BaseModel):
    url: str
    fields: dict[str, str]


class MultipartGrantView(BaseModel):
    """A resumable upload: sign each part, PUT it, then ask the server to complete."""

    upload_id: str
    part_size: int = Field(description="Every part but the last is exactly this many bytes.")
    part_count: int = Field(description="Parts 1..part_count; the last holds the remainder.")


class UploadGrant(BaseModel):
    """201 body of POST /media/uploads: exactly one of `upload` and `multipart` is set.

    `upload`: POST `fields` plus the file (last) to `url`. `multipart`: see the part routes.
    """

    media_id: str
    kind: MediaKind
    content_type: str
    key: str
    max_bytes: int = Field(description="The upload must be 1..max_bytes bytes (the declared size).")
    expires_at: datetime
    upload: PresignedPostView | None = None
    multipart: MultipartGrantView | None = None


class PartUrl(BaseModel):
    """PUT exactly `size` bytes (part `part_number` of the file) to `url` before `expires_at`."""

    part_number: int
    size: int
    url: str
    expires_at: datetime


class UploadedPart(BaseModel):
    part_number: int
    size: int
    etag: str


class UploadParts(BaseModel):
    """What S3 already holds of a multipart upload: resume by sending only the missing parts."""

    media_id: str
    upload_id: str
    part_size: int
    part_count: int
    parts: list[UploadedPart]


class PartReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_number: int = Field(strict=True, ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=128)


class CompleteUploadRequest(BaseModel):
    """The client's view of its upload; the server completes from S3's own list of parts."""

    model_config = ConfigDict(extra="forbid")

    upload_id: str = Field(min_length=1, max_length=UPLOAD_ID_MAX_LENGTH)
    parts: list[PartReference] | None = Field(
        default=None,
        max_length=10_000,
        description="If given, must match what S3 holds (number and ETag of every part).",
    )


class CompletedUpload(BaseModel):
    """The file is assembled in S3; ingest checks it next (watch the media's status)."""

    media_id: str
    key: str
    size: int
    etag: str


class FailureView(BaseModel):
    phase: FailurePhase
    reason: str


class OriginalView(BaseModel):
    url: str
    content_type: str
    size: int | None


class RenditionView(BaseModel):
    name: str
    url: str
    width: int
    height: int
    bytes: int
    format: str


class WebRenditionView(BaseModel):
    """A video's web-playable rendition: `pending`/`processing` while it is being made (play the
    original if `metadata.plays_in_browsers`, else show "preparing"), `ready` (it is among the
    renditions, named `web`), or `failed` (the poster and the original stay)."""

    status: Literal["pending", "processing", "ready", "failed"]
    reason: str | None = None


class MediaView(BaseModel):
    """One media item as its owner sees it. URLs appear only once the files exist and passed
    checks: `original` from `uploaded` on, `renditions` once `ready`."""

    media_id: str
    revision: int = Field(
        description=(
            "Bumped by every change (upload, processing, failure). The `ETag` header is this "
            "number in quotes; `DELETE` with `If-Match` removes only that revision (412 if not)."
        )
    )
    status: MediaStatus
    kind: MediaKind
    content_type: str
    filename: str | None
    climb_id: str | None
    declared_size: int
    size: int | None
    format: str | None
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None
    processed_at: datetime | None
    metadata: dict[str, Any] | None
    placeholder: str | None
    failure: FailureView | None
    original: OriginalView | None
    renditions: list[RenditionView]
    web_rendition: WebRenditionView | None = None
    urls_expire_at: datetime | None = Field(
        description="When the presigned URLs stop working; null for CDN URLs or no URLs."
    )


class MediaPage(BaseModel):
    items: list[MediaView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
