"""Resumable uploads: S3 multipart uploads that the server starts, signs part by part, and
completes itself after checking every part.

Why the server completes: S3 assembles whatever parts it is told to, so a client that completes
its own upload decides the object's size. Here the client only ever gets presigned PUTs, each
for one part number of one upload id, signed with that part's exact Content-Length, and expiring
in minutes. Completion lists what S3 actually holds and refuses anything but the planned layout:
parts 1..part_count, each exactly its planned size, so the total is exactly the declared size
(itself within the cap). moto checks neither signatures nor lengths, so this check is also what
keeps the local stack honest.

Order of side effects in `complete`, so a retry after a crash or a dropped response is safe:
1. list the parts S3 holds and check them (nothing written yet);
2. CompleteMultipartUpload (S3 emits ObjectCreated:CompleteMultipartUpload, which ingest judges
   like any other upload: the ETag is `md5-of-md5s-N`);
3. answer with the object's size and ETag.
A repeated call finds the upload gone: once ingest has recorded the file it answers the same
way; before that (or after an abort or expiry) it is a 409 naming where to look.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from boulderstat.clock import utc_now
from boulderstat.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from boulderstat.ids import is_id
from boulderstat.media.api_models import (
    CompletedUpload,
    CompleteUploadRequest,
    PartUrl,
    UploadedPart,
    UploadParts,
)
from boulderstat.media.kinds import max_bytes_for
from boulderstat.media.models import MediaDocument, MultipartUpload
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage, StoredPart
from boulderstat.settings import Settings

S3_MAX_PARTS = 10_000


def part_layout(size: int, part_size: int) -> tuple[int, int]:
    """(part size, part count) for a file of `size` bytes cut into `part_size` parts."""
    count = max(1, math.ceil(size / part_size))
    if count > S3_MAX_PARTS:
        raise ValidationFailed(
            f"{size} bytes in parts of {part_size} would take {count} parts; S3 allows "
            f"{S3_MAX_PARTS}. Use bigger parts."
        )
    return part_size, count


class MultipartUploads:
    def __init__(
        self,
        repository: MediaRepository,
        storage: MediaStorage,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._storage = storage
        self._settings = settings
        self._clock = clock

    def sign_part(self, user_id: str, media_id: str, part_number: int) -> PartUrl:
        document, multipart = self._pending(user_id, media_id)
        now = self._clock()
        if now >= document.expires_at:
            raise Conflict(
                f"This upload expired at {document.expires_at.isoformat()}; start a new upload"
            )
        if not 1 <= part_number <= multipart.part_count:
            raise ValidationFailed(
                f"Part {part_number} is not part of this upload: parts are "
                f"1..{multipart.part_count}"
            )
        size = multipart.expected_size(part_number, document.declared_size)
        expires_in = self._settings.upload_url_expires_seconds
        url = self._storage.presigned_upload_part(
            document.key,
            upload_id=multipart.upload_id,
            part_number=part_number,
            size=size,
            expires_in=expires_in,
        )
        return PartUrl(
            part_number=part_number,
            size=size,
            url=url,
            expires_at=now + timedelta(seconds=expires_in),
        )

    def list_parts(self, user_id: str, media_id: str) -> UploadParts:
        document, multipart = self._pending(user_id, media_id)
        parts = self._storage.list_parts(
            document.key, upload_id=multipart.upload_id, max_parts=multipart.part_count
        )
        if parts is None:
            raise Conflict("This upload was aborted or has expired; start a new upload")
        return UploadParts(
            media_id=media_id,
            upload_id=multipart.upload_id,
            part_size=multipart.part_size,
            part_count=multipart.part_count,
            parts=[
                UploadedPart(part_number=p.part_number, size=p.size, etag=p.etag)
                for p in sorted(parts, key=lambda p: p.part_number)
            ],
        )

    def complete(
        self, user_id: str, media_id: str, request: CompleteUploadRequest
    ) -> CompletedUpload:
        document = self._owned(user_id, media_id, request.upload_id)
        assert document.multipart is not None
        if document.status != MediaStatus.PENDING:
            return self._already_completed(document)
        multipart = document.multipart
        parts = self._storage.list_parts(
            document.key, upload_id=multipart.upload_id, max_parts=multipart.part_count
        )
        if parts is None:
            return self._already_completed(document)
        parts = sorted(parts, key=lambda p: p.part_number)
        self._check(document, multipart, parts, request)
        etag = self._storage.complete_multipart_upload(
            document.key, upload_id=multipart.upload_id, parts=parts
        )
        if etag is None:  # a concurrent completion won the race
            return self._already_completed(document)
        return CompletedUpload(
            media_id=media_id, key=document.key, size=sum(p.size for p in parts), etag=etag
        )

    def abort(self, user_id: str, media_id: str) -> None:
        """Drops the parts and the pending grant; a completed upload is deleted as media."""
        document = self._owned(user_id, media_id, upload_id=None)
        assert document.multipart is not None
        if document.status != MediaStatus.PENDING:
            raise Conflict("This upload is complete; delete the media instead")
        self._storage.abort_multipart_upload(document.key, upload_id=document.multipart.upload_id)
        self._repository.delete_pending_multipart(user_id, media_id, document.multipart.upload_id)

    # -- checks ------------------------------------------------------------------------------
    def _check(
        self,
        document: MediaDocument,
        multipart: MultipartUpload,
        parts: list[StoredPart],
        request: CompleteUploadRequest,
    ) -> None:
        """Refuses anything but parts 1..part_count at their planned sizes (see module doc)."""
        numbers = [p.part_number for p in parts]
        if any(n > multipart.part_count for n in numbers):
            raise ValidationFailed(
                f"The upload has {len(parts)} parts, numbered up to {max(numbers)}; it may have "
                f"only {multipart.part_count}. Abort it and start again"
            )
        declared = document.declared_size
        cap = max_bytes_for(document.kind, self._settings)
        total = sum(p.size for p in parts)
        if total > declared:
            raise PayloadTooLarge(
                f"The parts hold {total} bytes, more than the {declared} bytes declared; "
                "upload the parts again at their planned sizes"
            )
        if total > cap:
            raise PayloadTooLarge(f"The parts hold {total} bytes; a {document.kind} may be {cap}")
        missing = sorted(set(range(1, multipart.part_count + 1)) - set(numbers))
        if missing:
            shown = ", ".join(str(n) for n in missing[:10])
            raise ValidationFailed(
                f"Parts not uploaded yet: {shown}"
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            )
        for part in parts:
            expected = multipart.expected_size(part.part_number, declared)
            if part.size != expected:
                raise ValidationFailed(
                    f"Part {part.part_number} is {part.size} bytes; it must be {expected}. "
                    "Upload that part again"
                )
        if request.parts is not None:
            held = {p.part_number: p.etag for p in parts}
            claimed = {p.part_number: p.etag.strip().strip('"') for p in request.parts}
            if claimed != held:
                differing = sorted(
                    n for n in set(held) | set(claimed) if held.get(n) != claimed.get(n)
                )
                raise Conflict(
                    "The parts listed differ from what S3 holds for part(s) "
                    f"{', '.join(str(n) for n in differing[:10])}; list the parts and resume"
                )

    # -- lookups -----------------------------------------------------------------------------
    def _owned(self, user_id: str, media_id: str, upload_id: str | None) -> MediaDocument:
        """The caller's multipart media; another climber's id or upload id is a 404."""
        document = self._repository.get(user_id, media_id) if is_id(media_id) else None
        if (
            document is None
            or document.multipart is None
            or (upload_id is not None and document.multipart.upload_id != upload_id)
        ):
            raise NotFound(f"No multipart upload {media_id[:64]} with that upload id")
        return document

    def _pending(self, user_id: str, media_id: str) -> tuple[MediaDocument, MultipartUpload]:
        document = self._owned(user_id, media_id, upload_id=None)
        assert document.multipart is not None
        if document.status != MediaStatus.PENDING:
            raise Conflict("This upload is already complete")
        return document, document.multipart

    def _already_completed(self, document: MediaDocument) -> CompletedUpload:
        """A repeated completion: answer as the first did once ingest has recorded the file.

        The grant never reads uploads/ (least privilege), so in the moment between S3's
        completion and ingest the answer is a 409: the media's status tells what happened.
        """
        if document.status != MediaStatus.PENDING and document.etag and document.size:
            return CompletedUpload(
                media_id=document.media_id, key=document.key, size=document.size, etag=document.etag
            )
        raise Conflict(
            "This upload is no longer open: it was completed (GET the media for its status), "
            "aborted, or it expired"
        )
