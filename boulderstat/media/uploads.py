"""Upload grants: the server picks the key and pins key, type and size in a presigned POST,
or, for big files, starts a resumable multipart upload at that key (see `multipart`).

Nothing the client sends becomes part of the key. Every check runs before anything is written,
so a refused request leaves no document behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from boulderstat.clock import utc_now
from boulderstat.errors import NotFound, PayloadTooLarge
from boulderstat.ids import new_id
from boulderstat.media.api_models import (
    MultipartGrantView,
    PresignedPostView,
    UploadGrant,
    UploadRequest,
)
from boulderstat.media.climb_ownership import ClimbOwnership
from boulderstat.media.keys import original_key
from boulderstat.media.kinds import max_bytes_for, media_type_for
from boulderstat.media.models import MediaDocument, MultipartUpload
from boulderstat.media.multipart import part_layout
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.settings import Settings


class UploadService:
    def __init__(
        self,
        repository: MediaRepository,
        storage: MediaStorage,
        climbs: ClimbOwnership,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._storage = storage
        self._climbs = climbs
        self._settings = settings
        self._clock = clock

    def create_upload(self, user_id: str, request: UploadRequest) -> UploadGrant:
        media_type = media_type_for(request.content_type)
        cap = max_bytes_for(media_type.kind, self._settings)
        if request.size > cap:
            raise PayloadTooLarge(
                f"A {media_type.kind} may be at most {cap} bytes; {request.size} declared"
            )
        # A profile picture that is not a photo ends `failed`, with the reason, at processing.
        if request.climb_id is not None and not self._climbs.owns(user_id, request.climb_id):
            raise NotFound(f"No climb {request.climb_id}")

        media_id = new_id()
        key = original_key(user_id, media_id, media_type.extension)
        multipart = post = None
        if request.part_size is not None or request.size > self._settings.multipart_threshold_bytes:
            part_size, part_count = part_layout(
                request.size, request.part_size or self._settings.multipart_part_bytes
            )
            upload_id = self._storage.create_multipart_upload(
                key, content_type=media_type.content_type
            )
            multipart = MultipartUpload(
                upload_id=upload_id, part_size=part_size, part_count=part_count
            )
            expires_in = self._settings.multipart_upload_expires_seconds
        else:
            expires_in = self._settings.upload_url_expires_seconds
            post = self._storage.presigned_post(
                key,
                content_type=media_type.content_type,
                max_bytes=request.size,
                expires_in=expires_in,
            )
        now = self._clock()
        # The TTL must outlive the grant by far, or a late but valid upload would find nothing.
        pending_ttl = max(self._settings.pending_upload_ttl_seconds, 2 * expires_in)
        document = MediaDocument(
            media_id=media_id,
            user_id=user_id,
            status=MediaStatus.PENDING,
            kind=media_type.kind,
            content_type=media_type.content_type,
            declared_size=request.size,
            filename=request.filename,
            climb_id=request.climb_id,
            purpose=request.purpose,
            bucket=self._storage.bucket,
            key=key,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(seconds=expires_in),
            pending_expires_at=now + timedelta(seconds=pending_ttl),
            multipart=multipart,
        )
        self._repository.create_pending(document)
        return UploadGrant(
            media_id=media_id,
            kind=media_type.kind,
            content_type=media_type.content_type,
            key=key,
            max_bytes=request.size,
            expires_at=document.expires_at,
            upload=PresignedPostView(url=post.url, fields=post.fields) if post else None,
            multipart=MultipartGrantView(**multipart.model_dump()) if multipart else None,
        )
