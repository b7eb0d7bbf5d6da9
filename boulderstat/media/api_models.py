"""Request and response bodies of the media HTTP API (upload_url and media functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import CLIMB_ID_PATTERN
from boulderstat.events.catalog import MediaKind
from boulderstat.json_values import json_int
from boulderstat.media.filenames import display_filename
from boulderstat.media.ids import MEDIA_ID_PATTERN as _MEDIA_ID
from boulderstat.media.kinds import ALLOWED_MEDIA_TYPES, max_bytes_for
from boulderstat.media.status import FailurePhase, MediaStatus
from boulderstat.settings import Settings

MEDIA_ID_PATTERN = rf"^{_MEDIA_ID.pattern}$"


def _upload_request_schema(schema: dict[str, Any]) -> None:
    """The accepted types and each kind's size cap (the stage defaults) in the schema itself:
    anything else is a 415 or 413."""
    defaults = Settings()
    by_kind: dict[str, list[str]] = {}
    for media_type in ALLOWED_MEDIA_TYPES.values():
        by_kind.setdefault(media_type.kind, []).append(media_type.content_type)
    schema["examples"] = [ex.UPLOAD_REQUEST]
    schema["properties"]["content_type"] |= {
        "enum": [t for types in by_kind.values() for t in types]
    }
    schema["allOf"] = [
        {
            "if": {"properties": {"content_type": {"enum": types}}},
            "then": {"properties": {"size": {"maximum": max_bytes_for(kind, defaults)}}},
        }
        for kind, types in by_kind.items()  # type: ignore[misc]
    ]


class UploadRequest(BaseModel):
    """What a climber declares before uploading. The server picks the key and pins the rest."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_upload_request_schema)

    content_type: str = Field(
        min_length=1,
        max_length=100,
        description="MIME type of the file. Photos up to 30 MiB, videos up to 500 MiB (stage "
        "defaults; MAX_PHOTO_BYTES / MAX_VIDEO_BYTES).",
    )
    size: json_int(gt=0) = Field(description="Exact size of the file in bytes.")  # type: ignore[valid-type]
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
    model_config = ConfigDict(json_schema_extra=examples(ex.PRESIGNED_POST))

    url: str
    fields: dict[str, str]


class UploadGrant(BaseModel):
    """201 body of POST /media/uploads: POST `fields` plus the file (last) to `url`."""

    model_config = ConfigDict(json_schema_extra=examples(ex.UPLOAD_GRANT))

    media_id: str
    kind: MediaKind
    content_type: str
    key: str
    max_bytes: int = Field(description="The upload must be 1..max_bytes bytes (the declared size).")
    expires_at: datetime
    upload: PresignedPostView


class FailureView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(ex.FAILURE))

    phase: FailurePhase
    reason: str


class OriginalView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(ex.ORIGINAL))

    url: str
    content_type: str
    size: int | None


class RenditionView(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(ex.RENDITION))

    name: str
    url: str
    width: int
    height: int
    bytes: int
    format: str


class MediaView(BaseModel):
    """One media item as its owner sees it. URLs appear only once the files exist and passed
    checks: `original` from `uploaded` on, `renditions` once `ready`."""

    model_config = ConfigDict(json_schema_extra=examples(ex.MEDIA_VIEW))

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
    model_config = ConfigDict(json_schema_extra=examples(ex.MEDIA_PAGE))

    items: list[MediaView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
