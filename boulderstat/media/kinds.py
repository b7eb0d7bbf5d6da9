"""Which files climbers may attach, what kind each is, and how big each kind may be.

The server derives everything (kind, S3 key extension, size cap) from the declared content type;
nothing about the stored object comes from a client-supplied file name.
"""

from __future__ import annotations

from dataclasses import dataclass

from boulderstat.errors import UnsupportedMediaType
from boulderstat.events.catalog import MediaKind
from boulderstat.settings import Settings


@dataclass(frozen=True)
class MediaType:
    content_type: str
    kind: MediaKind
    extension: str


ALLOWED_MEDIA_TYPES: dict[str, MediaType] = {
    t.content_type: t
    for t in (
        MediaType("image/jpeg", "photo", "jpg"),
        MediaType("image/png", "photo", "png"),
        MediaType("image/webp", "photo", "webp"),
        MediaType("image/heic", "photo", "heic"),
        MediaType("image/heif", "photo", "heif"),
        MediaType("image/avif", "photo", "avif"),
        MediaType("image/gif", "photo", "gif"),
        MediaType("video/mp4", "video", "mp4"),
        MediaType("video/quicktime", "video", "mov"),
        MediaType("video/webm", "video", "webm"),
    )
}


def media_type_for(content_type: str) -> MediaType:
    """The allowed media type for a declared content type (case-insensitive, no parameters)."""
    media_type = ALLOWED_MEDIA_TYPES.get(content_type.strip().lower())
    if media_type is None:
        allowed = ", ".join(ALLOWED_MEDIA_TYPES)
        raise UnsupportedMediaType(
            f"Content type {content_type[:100]!r} is not accepted; use one of: {allowed}"
        )
    return media_type


def max_bytes_for(kind: MediaKind, settings: Settings) -> int:
    return settings.max_photo_bytes if kind == "photo" else settings.max_video_bytes
