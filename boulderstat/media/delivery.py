"""URLs climbers use to view media: presigned GETs on the private bucket, or CDN URLs.

With `media_cdn_base_url` set (the stage's site: CloudFront serves `derived/` from the bucket
with origin access control, to viewers holding its signed cookies, see `viewer_cookies`),
rendition URLs are stable site URLs. Originals are never behind the CDN: their owner gets
short-lived presigned GETs, as everyone does without a CDN.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from boulderstat.media.keys import DERIVED_PREFIX
from boulderstat.media.storage import MediaStorage


class MediaLinks:
    def __init__(
        self, storage: MediaStorage, *, expires_in: int, cdn_base_url: str | None = None
    ) -> None:
        self._storage = storage
        self._expires_in = expires_in
        self._cdn_base_url = cdn_base_url.rstrip("/") if cdn_base_url else None

    def url_for(self, key: str) -> str:
        if self._cdn_base_url and key.startswith(DERIVED_PREFIX):
            return f"{self._cdn_base_url}/{quote(key)}"
        return self._storage.presigned_get(key, expires_in=self._expires_in)

    def expires_at(self, now: datetime) -> datetime | None:
        """When URLs handed out now may stop working: presigned GETs (originals always) expire;
        CDN URLs work as long as the viewer's signed cookies, which refresh renews."""
        return now + timedelta(seconds=self._expires_in)
