"""URLs climbers use to view media: presigned GETs on the private bucket, or CDN URLs.

With `media_cdn_base_url` set (CloudFront with origin access control in front of the bucket),
URLs are stable CDN URLs; otherwise short-lived presigned GETs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from boulderstat.media.storage import MediaStorage


class MediaLinks:
    def __init__(
        self, storage: MediaStorage, *, expires_in: int, cdn_base_url: str | None = None
    ) -> None:
        self._storage = storage
        self._expires_in = expires_in
        self._cdn_base_url = cdn_base_url.rstrip("/") if cdn_base_url else None

    def url_for(self, key: str) -> str:
        if self._cdn_base_url:
            return f"{self._cdn_base_url}/{quote(key)}"
        return self._storage.presigned_get(key, expires_in=self._expires_in)

    def expires_at(self, now: datetime) -> datetime | None:
        """When URLs handed out now stop working (None: CDN URLs do not expire)."""
        return None if self._cdn_base_url else now + timedelta(seconds=self._expires_in)
