"""A climber's media as the API shows it: get one, list newest first, delete.

Another climber's media id behaves exactly like an unknown one (404), and every lookup is
filtered on the caller's user id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from boulderstat import pagination
from boulderstat.clock import utc_now
from boulderstat.errors import NotFound, PreconditionFailed
from boulderstat.events.catalog import MediaDeleted
from boulderstat.events.publisher import EventPublisher
from boulderstat.ids import is_id
from boulderstat.media.api_models import (
    FailureView,
    MediaPage,
    MediaView,
    OriginalView,
    RenditionView,
    WebRenditionView,
)
from boulderstat.media.delivery import MediaLinks
from boulderstat.media.keys import derived_prefix
from boulderstat.media.models import MediaDocument
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import ORIGINAL_AVAILABLE, MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.revisions import IfMatch

LISTING = "media"
MediaCursor = pagination.cursor_param(LISTING, ["019ab8c4a1f27b3c8d9e0f1a2b3c4d5e"])


def encode_cursor(media_id: str) -> str:
    return pagination.encode_cursor(LISTING, [media_id])


def decode_cursor(cursor: str) -> str:
    """The media id a page ended at; InvalidCursor (400) for anything this API did not issue."""
    (media_id,) = pagination.decode_cursor(
        LISTING, cursor, valid=lambda key: len(key) == 1 and is_id(key[0])
    )
    return media_id


class MediaLibrary:
    def __init__(
        self,
        repository: MediaRepository,
        storage: MediaStorage,
        links: MediaLinks,
        publisher: EventPublisher,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._storage = storage
        self._links = links
        self._publisher = publisher
        self._clock = clock

    def get(self, user_id: str, media_id: str) -> MediaView:
        return self.view(self._owned(user_id, media_id))

    def list(
        self, user_id: str, *, limit: int, climb_id: str | None = None, cursor: str | None = None
    ) -> MediaPage:
        before = decode_cursor(cursor) if cursor else None
        found = self._repository.list_recent(
            user_id, limit=limit + 1, climb_id=climb_id, before_media_id=before
        )
        items = found[:limit]
        more = len(found) > limit
        return MediaPage(
            items=[self.view(d) for d in items],
            next_cursor=encode_cursor(items[-1].media_id) if more and items else None,
        )

    def delete(self, user_id: str, media_id: str, *, if_match: IfMatch | None = None) -> int:
        """Removes the original, every derived object and the document; returns objects removed.

        Objects go first and the document last: a failure part-way leaves the document, so the
        climber (or a retry) can delete again; a retry may publish `Media Deleted` twice.
        `If-Match` is checked against the revision read here, before anything is removed.
        """
        document = self._owned(user_id, media_id)
        if if_match is not None and not if_match.allows(document.revision):
            raise PreconditionFailed(
                f'The media is at revision {document.revision} (ETag "{document.revision}"), '
                "not the one If-Match names; re-read it and retry"
            )
        removed = self._storage.remove(
            keys=[document.key], prefix=derived_prefix(user_id, media_id)
        )
        self._publisher.publish(
            MediaDeleted(
                user_id=user_id,
                occurred_at=self._clock(),
                media_id=media_id,
                climb_id=document.climb_id,
                objects_removed=removed,
            )
        )
        self._repository.delete(user_id, media_id)
        return removed

    def view(self, document: MediaDocument) -> MediaView:
        original = None
        if document.status in ORIGINAL_AVAILABLE:
            original = OriginalView(
                url=self._links.url_for(document.key),
                content_type=document.content_type,
                size=document.size,
            )
        renditions = []
        if document.status == MediaStatus.READY:
            renditions = [
                RenditionView(
                    name=r.name,
                    url=self._links.url_for(r.key),
                    width=r.width,
                    height=r.height,
                    bytes=r.bytes,
                    format=r.format,
                )
                for r in document.renditions
            ]
        failure = None
        if document.status == MediaStatus.FAILED and document.failure is not None:
            failure = FailureView(phase=document.failure.phase, reason=document.failure.reason)
        has_urls = original is not None or bool(renditions)
        return MediaView(
            media_id=document.media_id,
            revision=document.revision,
            status=document.status,
            kind=document.kind,
            content_type=document.content_type,
            filename=document.filename,
            climb_id=document.climb_id,
            declared_size=document.declared_size,
            size=document.size,
            format=document.format,
            created_at=document.created_at,
            updated_at=document.updated_at,
            uploaded_at=document.uploaded_at,
            processed_at=document.processed_at,
            metadata=(
                document.metadata.model_dump()
                if document.metadata and document.status == MediaStatus.READY
                else None
            ),
            placeholder=document.placeholder if document.status == MediaStatus.READY else None,
            failure=failure,
            original=original,
            renditions=renditions,
            web_rendition=(
                WebRenditionView(
                    status=document.web_rendition.status, reason=document.web_rendition.reason
                )
                if document.web_rendition and document.status == MediaStatus.READY
                else None
            ),
            urls_expire_at=self._links.expires_at(self._clock()) if has_urls else None,
        )

    def _owned(self, user_id: str, media_id: str) -> MediaDocument:
        document = self._repository.get(user_id, media_id) if is_id(media_id) else None
        if document is None:
            raise NotFound(f"No media {media_id[:64]}")
        return document
