"""Request and response bodies of the media HTTP API (upload_url and media functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from boulderstat.events.catalog import MediaKind
from boulderstat.media.filenames import display_filename
from boulderstat.media.status import FailurePhase, MediaStatus

CLIMB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


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

    @field_validator("filename")
    @classmethod
    def _display_only(cls, value: str | None) -> str | None:
        return display_filename(value)


class PresignedPostView(BaseModel):
    url: str
    fields: dict[str, str]


class UploadGrant(BaseModel):
    """201 body of POST /media/uploads: POST `fields` plus the file (last) to `url`."""

    media_id: str
    kind: MediaKind
    content_type: str
    key: str
    max_bytes: int = Field(description="The upload must be 1..max_bytes bytes (the declared size).")
    expires_at: datetime
    upload: PresignedPostView


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
    urls_expire_at: datetime | None = Field(
        description="When the presigned URLs stop working; null for CDN URLs or no URLs."
    )


class MediaPage(BaseModel):
    items: list[MediaView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
