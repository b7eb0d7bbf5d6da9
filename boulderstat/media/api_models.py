"""Request and response bodies of the media HTTP API (upload_url and media functions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import CLIMB_ID_PATTERN
from boulderstat.events.catalog import MediaKind
from boulderstat.ids import ID_PATTERN
from boulderstat.json_values import json_int
from boulderstat.media.filenames import display_filename
from boulderstat.media.kinds import ALLOWED_MEDIA_TYPES, max_bytes_for
from boulderstat.media.status import FailurePhase, MediaStatus
from boulderstat.models import Model
from boulderstat.settings import Settings

MediaPurpose = Literal["climb", "profile_picture"]
MB = 1024 * 1024
MIN_PART_BYTES = 5 * MB  # S3's minimum for every part but the last
MAX_PART_BYTES = 64 * MB  # a dropped connection never costs more than this much re-sending
UPLOAD_ID_MAX_LENGTH = 1024
MEDIA_ID_PATTERN = ID_PATTERN


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


class UploadRequest(Model):
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
    purpose: MediaPurpose = Field(
        default="climb",
        description="`profile_picture`: a photo rendered as square crops for PATCH /me.",
    )
    part_size: json_int(ge=MIN_PART_BYTES, le=MAX_PART_BYTES) | None = Field(  # type: ignore[valid-type]
        default=None,
        description="Ask for a resumable multipart upload in parts of this many bytes (the "
        "uploader's chunk size). Files above the server's threshold get one anyway, with the "
        "server's part size.",
    )

    @field_validator("filename")
    @classmethod
    def _display_only(cls, value: str | None) -> str | None:
        return display_filename(value)


class PresignedPostView(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.PRESIGNED_POST))

    url: str
    fields: dict[str, str]


class MultipartGrantView(Model):
    """A resumable upload: sign each part, PUT it, then ask the server to complete."""

    model_config = ConfigDict(json_schema_extra=examples(ex.MULTIPART_GRANT))

    upload_id: str
    part_size: int = Field(description="Every part but the last is exactly this many bytes.")
    part_count: int = Field(description="Parts 1..part_count; the last holds the remainder.")


class UploadGrant(Model):
    """201 body of POST /media/uploads: exactly one of `upload` and `multipart` is set.

    `upload`: POST `fields` plus the file (last) to `url`. `multipart`: see the part routes.
    """

    model_config = ConfigDict(json_schema_extra=examples(ex.UPLOAD_GRANT))

    media_id: str
    kind: MediaKind
    content_type: str
    key: str
    max_bytes: int = Field(description="The upload must be 1..max_bytes bytes (the declared size).")
    expires_at: datetime
    upload: PresignedPostView | None = None
    multipart: MultipartGrantView | None = None


class PartUrl(Model):
    """PUT exactly `size` bytes (part `part_number` of the file) to `url` before `expires_at`."""

    model_config = ConfigDict(json_schema_extra=examples(ex.PART_URL))

    part_number: int
    size: int
    url: str
    expires_at: datetime


class UploadedPart(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.UPLOADED_PART))

    part_number: int
    size: int
    etag: str


class UploadParts(Model):
    """What S3 already holds of a multipart upload: resume by sending only the missing parts."""

    model_config = ConfigDict(json_schema_extra=examples(ex.UPLOAD_PARTS))

    media_id: str
    upload_id: str
    part_size: int
    part_count: int
    parts: list[UploadedPart]


class PartReference(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(ex.PART_REFERENCE))

    part_number: int = Field(strict=True, ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=64)


class CompleteUploadRequest(Model):
    """The client's view of its upload; the server completes from S3's own list of parts."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(ex.COMPLETE_UPLOAD))

    upload_id: str = Field(min_length=1, max_length=UPLOAD_ID_MAX_LENGTH)
    parts: list[PartReference] | None = Field(
        default=None,
        max_length=500,  # a 500 MB video in 5 MiB parts is 100; 500 fit the 64 KiB body limit
        description="If given, must match what S3 holds (number and ETag of every part).",
    )


class CompletedUpload(Model):
    """The file is assembled in S3; ingest checks it next (watch the media's status)."""

    model_config = ConfigDict(json_schema_extra=examples(ex.COMPLETED_UPLOAD))

    media_id: str
    key: str
    size: int
    etag: str


class FailureView(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.FAILURE))

    phase: FailurePhase
    reason: str


class OriginalView(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.ORIGINAL))

    url: str
    content_type: str
    size: int | None


class RenditionView(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.RENDITION))

    name: str
    url: str
    width: int
    height: int
    bytes: int
    format: str


class WebRenditionView(Model):
    """A video's web-playable rendition: `pending`/`processing` while it is being made (play the
    original if `metadata.plays_in_browsers`, else show "preparing"), `ready` (it is among the
    renditions, named `web`), or `failed` (the poster and the original stay)."""

    model_config = ConfigDict(json_schema_extra=examples(ex.WEB_RENDITION))

    status: Literal["pending", "processing", "ready", "failed"]
    reason: str | None = None


class MediaView(Model):
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
    web_rendition: WebRenditionView | None = None
    urls_expire_at: datetime | None = Field(
        description="When the presigned URLs stop working; null for CDN URLs or no URLs."
    )


class MediaPage(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.MEDIA_PAGE))

    items: list[MediaView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
