"""Ingest: judge what actually arrived in uploads/ and record it on the media document.

The presigned POST policy is a request to S3, not a guarantee we rely on (the local stack does
not enforce it at all), so ingest re-checks size, Content-Type and the real format from the
file's magic bytes.

Order of side effects, so a crash at any point leaves a state a retry completes:
1. guarded transition of the document for this object version (pending -> uploaded / failed);
2. for a rejection, remove the object (only while it is still that version);
3. publish the event;
4. set the outbox flag (`uploaded_event_published` / `failed_event_published`).
A redelivery finds the version already recorded and redoes only steps 2-4 that are missing, so
each object version yields one document state and one event (at least once: only a crash between
steps 3 and 4, or two deliveries racing, can publish twice; consumers dedupe on media id + etag).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from aws_lambda_powertools import Logger

from boulderstat.events.catalog import MediaProcessingFailed, MediaUploaded
from boulderstat.media.keys import parse_original_key
from boulderstat.media.kinds import max_bytes_for
from boulderstat.media.models import MediaDocument, ObjectVersion
from boulderstat.media.pipeline import PipelineStep
from boulderstat.media.sniffing import SNIFF_BYTES, sniff
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import StoredObject

logger = Logger(child=True)


@dataclass(frozen=True)
class ObjectCreated:
    """What S3 reported: one object version written under uploads/ (key already decoded)."""

    bucket: str
    key: str
    size: int
    etag: str
    sequencer: str | None = None


class ConcurrentChange(RuntimeError):
    """Transient: another writer changed the document between our read and our update."""


class IngestOutcome(StrEnum):
    UPLOADED = "uploaded"  # accepted: document uploaded, Media Uploaded published
    REJECTED = "rejected"  # refused: document failed, object removed, failure published
    DUPLICATE = "duplicate"  # that version was already fully handled
    STALE = "stale"  # an older version, or no longer the object in the bucket
    FOREIGN_KEY = "foreign_key"  # not a key we issue (layout, bucket): left alone
    # No media for the owner the key names (e.g. uploaded after the pending media was deleted,
    # while its grant was still valid): the object is an orphan and is removed.
    UNKNOWN_MEDIA = "unknown_media"


@dataclass(frozen=True)
class _Verdict:
    format: str = ""
    rejection: str | None = None


class IngestService(PipelineStep):
    def ingest(self, created: ObjectCreated) -> IngestOutcome:
        """Raises on transient trouble (MongoDB, S3, EventBridge) so the delivery is retried."""
        original = parse_original_key(created.key)
        if created.bucket != self._storage.bucket or original is None:
            logger.warning("object outside the upload layout left alone", key=created.key[:300])
            return IngestOutcome.FOREIGN_KEY
        document = self._repository.get(original.user_id, original.media_id)
        if document is None or document.key != created.key:
            # Only that version goes: a newer upload to the same key gets its own notification.
            removed = self._storage.delete_if_current(
                created.key, etag=ObjectVersion.of(created.etag, None).etag
            )
            logger.warning(
                "no media names this key; orphaned upload removed",
                key=created.key,
                user_id=original.user_id,
                media_id=original.media_id,
                removed=removed,
            )
            return IngestOutcome.UNKNOWN_MEDIA
        version = ObjectVersion.of(created.etag, created.sequencer)
        if document.records(version):
            return self.complete(document) or IngestOutcome.DUPLICATE
        if not document.is_newer_than_recorded(version):
            return IngestOutcome.STALE

        current = self._storage.head(created.key)
        if current is None or current.etag != version.etag:
            # Replaced (its own notification follows) or already removed: nothing to judge.
            return IngestOutcome.STALE
        verdict = self._judge(document, current)
        if verdict is None:
            return IngestOutcome.STALE
        if verdict.rejection is not None:
            recorded = self._repository.record_rejection(
                document, version, size=current.size, reason=verdict.rejection
            )
        else:
            recorded = self._repository.record_upload(
                document, version, size=current.size, format=verdict.format
            )
        if recorded is None:
            # The document changed since we read it (a concurrent delivery, a newer version, a
            # delete): finish if that delivery recorded this same version, else start over.
            latest = self._repository.get(document.user_id, document.media_id)
            if latest is not None and latest.records(version):
                recorded = latest
            elif latest is not None and latest.is_newer_than_recorded(version):
                raise ConcurrentChange(f"media {document.media_id} changed during ingest; retry")
            else:
                return IngestOutcome.STALE
        return self.complete(recorded) or IngestOutcome.DUPLICATE

    def _judge(self, document: MediaDocument, current: StoredObject) -> _Verdict | None:
        """Accept or reject that version; None when it was replaced while being read."""
        cap = max_bytes_for(document.kind, self._settings)
        if current.size == 0:
            return _Verdict(rejection="The file is empty")
        if current.size > document.declared_size:
            return _Verdict(
                rejection=f"The file is {current.size} bytes, more than the "
                f"{document.declared_size} bytes declared"
            )
        if current.size > cap:
            return _Verdict(
                rejection=f"The file is {current.size} bytes; a {document.kind} may be {cap}"
            )
        if (current.content_type or "").lower() != document.content_type:
            return _Verdict(
                rejection=f"The upload's Content-Type {current.content_type!r} differs from "
                f"the declared {document.content_type}"
            )
        head = self._storage.read_prefix(document.key, etag=current.etag, length=SNIFF_BYTES)
        if head is None:
            return None
        sniffed = sniff(head)
        if sniffed is None:
            return _Verdict(rejection="The file is not a photo or video format we accept")
        if sniffed.kind != document.kind:
            return _Verdict(
                rejection=f"The file is a {sniffed.kind} ({sniffed.format}), but a "
                f"{document.kind} ({document.content_type}) was declared"
            )
        return _Verdict(format=sniffed.format)

    def complete(self, document: MediaDocument) -> IngestOutcome | None:
        """Finishes what a recorded version still lacks; None when nothing was missing."""
        if document.status == MediaStatus.FAILED and document.failure is not None:
            if document.failure.phase != "ingest" or document.failed_event_published:
                return None
            assert document.etag is not None
            self._storage.delete_if_current(document.key, etag=document.etag)
            self._publisher.publish(self._failed_event(document))
            self._repository.mark_event_published(
                document.user_id, document.media_id, document.etag, "failed"
            )
            logger.info(
                "upload rejected",
                media_id=document.media_id,
                user_id=document.user_id,
                reason=document.failure.reason,
            )
            return IngestOutcome.REJECTED
        if document.uploaded_event_published or document.etag is None:
            return None
        if document.status == MediaStatus.UPLOADED:
            self._publisher.publish(self._uploaded_event(document))
            self._repository.mark_event_published(
                document.user_id, document.media_id, document.etag, "uploaded"
            )
            logger.info("upload accepted", media_id=document.media_id, user_id=document.user_id)
            return IngestOutcome.UPLOADED
        # Processing already started, so the event did go out; only the flag was lost.
        self._repository.mark_event_published(
            document.user_id, document.media_id, document.etag, "uploaded"
        )
        return None

    def _uploaded_event(self, document: MediaDocument) -> MediaUploaded:
        return uploaded_event(document, self._clock())

    def _failed_event(self, document: MediaDocument) -> MediaProcessingFailed:
        assert document.failure is not None and document.etag is not None
        return MediaProcessingFailed(
            user_id=document.user_id,
            occurred_at=self._clock(),
            media_id=document.media_id,
            climb_id=document.climb_id,
            phase="ingest",
            reason=document.failure.reason,
            key=document.key,
            etag=document.etag,
        )


def uploaded_event(document: MediaDocument, occurred_at: datetime) -> MediaUploaded:
    """`Media Uploaded` for the version a document recorded (ingest, and the sweeper's re-drive)."""
    assert document.etag is not None and document.size is not None
    assert document.format is not None
    return MediaUploaded(
        user_id=document.user_id,
        occurred_at=occurred_at,
        media_id=document.media_id,
        climb_id=document.climb_id,
        kind=document.kind,
        content_type=document.content_type,
        format=document.format,
        bucket=document.bucket,
        key=document.key,
        size=document.size,
        etag=document.etag,
        sequencer=document.sequencer,
    )


@dataclass
class BatchReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for outcome in self.outcomes:
            counted[outcome.value] = counted.get(outcome.value, 0) + 1
        if self.errors:
            counted["error"] = len(self.errors)
        return counted


class IngestBatchError(RuntimeError):
    """Some records hit transient errors; the others were handled. Retry the whole batch."""


def ingest_batch(service: IngestService, batch: Iterable[ObjectCreated]) -> BatchReport:
    """Ingests every notification even when some fail; the caller raises `report.errors` after."""
    report = BatchReport()
    for created in batch:
        try:
            report.outcomes.append(service.ingest(created))
        except Exception as error:  # transient: recorded, re-raised for the batch below
            logger.exception("ingest failed; the batch will be retried", key=created.key[:300])
            report.errors.append(error)
    return report


def raise_for_errors(report: BatchReport) -> None:
    if report.errors:
        raise IngestBatchError(
            f"{len(report.errors)} of {len(report.outcomes) + len(report.errors)} record(s) "
            f"failed: {report.errors[0]!r}"
        ) from report.errors[0]
