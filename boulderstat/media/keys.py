"""Where media lives in the bucket, and how S3 notification keys are read back.

    uploads/{user_id}/{media_id}.{ext}              the original, key chosen by the server
    derived/{user_id}/{media_id}/{etag}/{file}      renditions and posters of one version of
                                                    the original (no trigger watches derived/)

The owner is part of every key, so a key names exactly one climber's media. A key that does not
fit this layout was not issued by us and is never processed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

from boulderstat.ids import USER_ID_CHARS
from boulderstat.media.kinds import ALLOWED_MEDIA_TYPES

UPLOADS_PREFIX = "uploads/"
DERIVED_PREFIX = "derived/"

_EXTENSIONS = "|".join(sorted({t.extension for t in ALLOWED_MEDIA_TYPES.values()}))
_ORIGINAL_KEY = re.compile(
    rf"uploads/(?P<user_id>{USER_ID_CHARS})/"
    rf"(?P<media_id>[0-9a-f]{{32}})\.(?P<ext>{_EXTENSIONS})"
)
_DERIVED_KEY = re.compile(
    rf"derived/(?P<user_id>{USER_ID_CHARS})/(?P<media_id>[0-9a-f]{{32}})/"
    r"(?P<etag>[0-9A-Za-z-]{1,64})/[A-Za-z0-9._-]{1,128}"
)
MAX_KEY_LENGTH = 1024  # S3's own limit: anything longer is not a key we issued


@dataclass(frozen=True)
class OriginalKey:
    user_id: str
    media_id: str
    extension: str


def original_key(user_id: str, media_id: str, extension: str) -> str:
    key = f"{UPLOADS_PREFIX}{user_id}/{media_id}.{extension}"
    if parse_original_key(key) is None:
        raise ValueError(f"not a valid original key: {key!r}")
    return key


def derived_prefix(user_id: str, media_id: str) -> str:
    return f"{DERIVED_PREFIX}{user_id}/{media_id}/"


def rendition_prefix(user_id: str, media_id: str, etag: str) -> str:
    """One folder per object version: a re-upload never overwrites what a cache still holds,
    so `immutable` caching is truthful."""
    return f"{derived_prefix(user_id, media_id)}{etag}/"


@dataclass(frozen=True)
class DerivedKey:
    user_id: str
    media_id: str
    etag: str  # the original's version the rendition was made from


def parse_derived_key(key: str) -> DerivedKey | None:
    """Owner, media id and source version of a rendition key; None outside the layout."""
    match = _DERIVED_KEY.fullmatch(key) if len(key) <= MAX_KEY_LENGTH else None
    return DerivedKey(match["user_id"], match["media_id"], match["etag"]) if match else None


def parse_original_key(key: str) -> OriginalKey | None:
    """The owner and media id a key names, or None for any key outside the layout."""
    if len(key) > MAX_KEY_LENGTH:
        return None
    match = _ORIGINAL_KEY.fullmatch(key)
    if match is None:
        return None
    return OriginalKey(match["user_id"], match["media_id"], match["ext"])


def decode_notification_key(raw_key: str) -> str:
    """S3 notifications URL-encode keys (`+` for a space, `%2B` for a plus, `%2F` for `/`)."""
    return unquote_plus(raw_key)
