"""The sweeper: no media stays stuck forever, and no original outlives its media.

The pipeline moves each version forward on events; an event that is lost (dead-lettered after
the retries) or a function that is killed (out of memory, crash) leaves a document waiting for
something that will never come. A scheduled run (functions/sweeper; `boulderstat.local.sweeps`
on the local stack) looks for that, bounded per run and oldest first:

- pending, past the grant's expiry plus a grace (an upload may still be in flight): if the
  original is in the bucket, its notification was lost, so ingest it now; if nothing arrived
  and the TTL deadline passed, remove the document (the TTL index's job, done here too because
  the local server never runs it).
- uploaded or processing, unchanged for `sweep_stuck_after_seconds` (longer than the thumbnail
  timeout and its retry): publish `Media Uploaded` again while that version of the original is
  there; otherwise, or after `sweep_max_redrives` re-drives, or after MAX_ATTEMPTS claims by
  processing, mark it failed with a reason and publish `Media Processing Failed`.
- ready or failed, but the outcome event never went out (the function crashed between the
  status change and the publish, and its retry failed too): publish it now (the outbox).
- a ready video whose web rendition is still pending or processing past
  `web_rendition_deadline` (every run Lambda makes of the web_rendition function, each up to
  its timeout, plus delivery slack): its `Media Processed` was lost or the function died, so
  publish `Media Processed` again (which triggers web_rendition; a late duplicate only repeats
  an idempotent step); after `sweep_max_redrives` re-drives, web_rendition's own MAX_ATTEMPTS
  claims, or without its original, fail just the web rendition with a reason and publish
  `Media Web Rendition Failed`. The media stays `ready` with its poster either way. A web
  rendition finished without its event (the outbox again) gets it published.
- originals under uploads/ that no document names (the media was deleted, or the upload landed
  after its pending media was deleted), and renditions under derived/ of deleted media or of a
  version a newer upload replaced, older than `sweep_orphan_min_age_seconds`: removed. Each
  scan resumes where the previous run stopped, so a run reads a bounded number of keys.

Safe under concurrent runs and repeats: a stuck document is taken with a compare-and-set on its
revision (`claim_sweep`), so of two sweeps exactly one acts on it, and the bumped `updated_at`
keeps it out of the next runs until it looks stuck again; every status change is the pipeline's
own guarded transition; a delete only removes the exact object version that was judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger

from boulderstat.clock import utc_now
from boulderstat.events.publisher import EventPublisher
from boulderstat.media import web_rendition
from boulderstat.media.ingest import IngestService, ObjectCreated, uploaded_event
from boulderstat.media.keys import (
    DERIVED_PREFIX,
    UPLOADS_PREFIX,
    parse_derived_key,
    parse_original_key,
)
from boulderstat.media.models import MediaDocument
from boulderstat.media.pipeline import PipelineStep
from boulderstat.media.processing import (
    MAX_ATTEMPTS,
    TOO_MANY_ATTEMPTS,
    MediaProcessor,
    processed_event,
)
from boulderstat.media.repository import MediaRepository, ScanPositions
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import ListedObject, MediaStorage
from boulderstat.media.web_rendition import WebRenditionMaker, WebRenditionOutcome
from boulderstat.settings import Settings
from boulderstat.time_budget import TimeBudget

logger = Logger(child=True)

ORIGINAL_GONE = "The uploaded file is no longer there, so it cannot be processed. Upload it again."
NEVER_PROCESSED = "We could not start processing this file. Upload it again."
WEB_NEVER_MADE = "We could not start making a web version of this video."
WEB_ORIGINAL_GONE = "The uploaded file is no longer there, so no web version can be made."
# One run of the web_rendition function and Lambda's one retry (its maximumRetryAttempts).
WEB_RENDITION_RUNS = 2
# Lambda's pause before the retry, and EventBridge's delivery of the event.
WEB_RENDITION_SLACK = timedelta(minutes=10)
_LIST_PAGE = 1000


def web_rendition_deadline(settings: Settings) -> timedelta:
    """How long a web rendition may stay pending/processing before the sweeper acts on it."""
    runs = timedelta(seconds=settings.web_rendition_timeout_seconds) * WEB_RENDITION_RUNS
    return runs + WEB_RENDITION_SLACK


class SweepOutcome(StrEnum):
    INGESTED = "ingested"  # a pending document's upload was found and ingested
    REDRIVEN = "redriven"  # Media Uploaded published again
    FAILED = "failed"  # given up: failed + Media Processing Failed
    EXPIRED = "expired"  # an abandoned grant's pending document removed
    WAITING = "waiting"  # checked; its grant's upload may still come
    PUBLISHED = "published"  # a finished version's lost outcome event went out
    ORPHAN_REMOVED = "orphan_removed"  # an original no document names, removed
    ORPHAN_RENDITION_REMOVED = "orphan_rendition_removed"  # of deleted media or old versions
    WEB_RENDITION_REDRIVEN = "web_rendition_redriven"  # Media Processed published again
    WEB_RENDITION_FAILED = "web_rendition_failed"  # given up: web rendition failed + its event


@dataclass
class SweepReport:
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[Exception] = field(default_factory=list)
    finished: bool = True  # False when the time budget ran out first

    def add(self, outcome: SweepOutcome) -> None:
        self.counts[outcome.value] = self.counts.get(outcome.value, 0) + 1

    def summary(self) -> dict[str, object]:
        errors = len(self.errors)
        return {"outcomes": dict(self.counts), "errors": errors, "finished": self.finished}


Handler = Callable[[MediaDocument, datetime], SweepOutcome | None]


class SweepError(RuntimeError):
    """Some documents hit transient errors; the rest were swept. The next run tries again."""


class MediaSweeper(PipelineStep):
    def __init__(
        self,
        repository: MediaRepository,
        storage: MediaStorage,
        publisher: EventPublisher,
        ingest: IngestService,
        processor: MediaProcessor,
        web_renditions: WebRenditionMaker,
        positions: ScanPositions,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(repository, storage, publisher, settings, clock=clock)
        self._ingest = ingest
        self._processor = processor
        self._web_renditions = web_renditions
        self._positions = positions

    def sweep(self, budget: TimeBudget) -> SweepReport:
        """One run: stuck documents first (climbers wait on them), then orphaned originals."""
        report = SweepReport()
        settings = self._settings
        now = self._clock()
        stuck = timedelta(seconds=settings.sweep_stuck_after_seconds)
        grace = timedelta(seconds=settings.sweep_pending_grace_seconds)
        stale, web_stale = now - stuck, now - web_rendition_deadline(settings)
        limit = settings.sweep_batch_size
        found = self._repository
        batches: list[tuple[list[MediaDocument], Handler]] = [
            (found.unchanged_since(MediaStatus.PENDING, now - grace, limit=limit), self._pending),
            (found.unchanged_since(MediaStatus.UPLOADED, stale, limit=limit), self._stuck),
            (found.unchanged_since(MediaStatus.PROCESSING, stale, limit=limit), self._stuck),
            (found.unpublished_since(MediaStatus.READY, stale, limit=limit), self._unpublished),
            (found.unpublished_since(MediaStatus.FAILED, stale, limit=limit), self._unpublished),
        ]
        for web_status in ("pending", "processing"):
            web = found.web_renditions_unchanged_since(web_status, web_stale, limit=limit)
            batches.append((web, self._stuck_web_rendition))
        for web_status in ("ready", "failed"):
            web = found.web_renditions_unchanged_since(
                web_status, stale, limit=limit, unpublished=True
            )
            batches.append((web, self._unpublished_web_rendition))
        for documents, handle in batches:
            for document in documents:
                if budget.spent:
                    report.finished = False
                    return report
                try:
                    outcome = handle(document, now)
                except Exception as error:  # transient (S3, MongoDB, EventBridge): next run
                    logger.exception(
                        "sweeping media failed; the next run retries",
                        media_id=document.media_id,
                        user_id=document.user_id,
                    )
                    report.errors.append(error)
                    continue
                if outcome is not None:
                    report.add(outcome)
        self._remove_orphans(report, budget, now)
        return report

    # -- stuck documents ---------------------------------------------------------------------
    def _pending(self, document: MediaDocument, now: datetime) -> SweepOutcome | None:
        grace = timedelta(seconds=self._settings.sweep_pending_grace_seconds)
        if document.expires_at + grace > now:
            return None  # the grant (plus an upload's transfer time) has not run out yet
        claimed = self._repository.claim_sweep(document)
        if claimed is None:
            return None  # another sweep (or ingest) got there first
        current = self._storage.head(claimed.key)
        if current is not None:
            logger.warning(
                "upload arrived but was never ingested; ingesting it now",
                media_id=claimed.media_id,
                user_id=claimed.user_id,
            )
            self._ingest.ingest(
                ObjectCreated(claimed.bucket, claimed.key, current.size, current.etag)
            )
            return SweepOutcome.INGESTED
        ttl_deadline = claimed.pending_expires_at
        if ttl_deadline is not None and ttl_deadline <= now:
            if self._repository.delete_abandoned(claimed):
                return SweepOutcome.EXPIRED
            return None
        return SweepOutcome.WAITING

    def _stuck(self, document: MediaDocument, now: datetime) -> SweepOutcome | None:
        claimed = self._repository.claim_sweep(document)
        if claimed is None:
            return None
        assert claimed.etag is not None
        context = {"media_id": claimed.media_id, "user_id": claimed.user_id}
        if claimed.processing_attempts >= MAX_ATTEMPTS:
            reason = TOO_MANY_ATTEMPTS
        elif claimed.sweeps > self._settings.sweep_max_redrives:
            reason = NEVER_PROCESSED
        else:
            current = self._storage.head(claimed.key)
            reason = ORIGINAL_GONE if current is None or current.etag != claimed.etag else None
        if reason is not None:
            logger.warning("stuck media given up", status=claimed.status.value, **context)
            self._processor.fail(claimed, reason)
            return SweepOutcome.FAILED
        logger.warning("stuck media re-driven", status=claimed.status.value, **context)
        self._publisher.publish(uploaded_event(claimed, now))
        self._repository.mark_event_published(
            claimed.user_id, claimed.media_id, claimed.etag, "uploaded"
        )
        return SweepOutcome.REDRIVEN

    def _unpublished(self, document: MediaDocument, now: datetime) -> SweepOutcome | None:
        claimed = self._repository.claim_sweep(document)
        if claimed is None:
            return None
        failure = claimed.failure
        if failure is not None and failure.phase == "ingest":
            finished = self._ingest.complete(claimed) is not None
        else:
            finished = self._processor.complete(claimed) != "skipped"
        return SweepOutcome.PUBLISHED if finished else None

    # -- web renditions (a ready video's second step) ----------------------------------------
    def _stuck_web_rendition(self, document: MediaDocument, now: datetime) -> SweepOutcome | None:
        claimed = self._repository.claim_sweep(document, count="web_rendition.redrives")
        if claimed is None or claimed.web_rendition is None:
            return None  # another sweep got there first (or it changed meanwhile)
        web = claimed.web_rendition
        context = {"media_id": claimed.media_id, "user_id": claimed.user_id}
        if web.attempts >= web_rendition.MAX_ATTEMPTS:
            reason = web_rendition.TOO_MANY_ATTEMPTS
        elif web.redrives > self._settings.sweep_max_redrives:
            reason = WEB_NEVER_MADE
        else:
            current = self._storage.head(claimed.key)
            gone = current is None or current.etag != claimed.etag
            reason = WEB_ORIGINAL_GONE if gone else None
        if reason is not None:
            logger.warning("stuck web rendition given up", status=web.status, **context)
            if self._web_renditions.fail(claimed, reason) == WebRenditionOutcome.FAILED:
                return SweepOutcome.WEB_RENDITION_FAILED
            return None
        logger.warning("stuck web rendition re-driven", status=web.status, **context)
        self._publisher.publish(processed_event(claimed))
        return SweepOutcome.WEB_RENDITION_REDRIVEN

    def _unpublished_web_rendition(
        self, document: MediaDocument, now: datetime
    ) -> SweepOutcome | None:
        claimed = self._repository.claim_sweep(document)
        if claimed is None:
            return None
        finished = self._web_renditions.complete(claimed) == WebRenditionOutcome.REPUBLISHED
        return SweepOutcome.PUBLISHED if finished else None

    # -- orphaned originals ------------------------------------------------------------------
    def _remove_orphans(self, report: SweepReport, budget: TimeBudget, now: datetime) -> None:
        old_enough = now - timedelta(seconds=self._settings.sweep_orphan_min_age_seconds)
        for prefix in (UPLOADS_PREFIX, DERIVED_PREFIX):
            if not self._scan(prefix, report, budget, old_enough):
                return

    def _scan(
        self, prefix: str, report: SweepReport, budget: TimeBudget, old_enough: datetime
    ) -> bool:
        """One bounded slice of a prefix, resuming where the last run stopped; False if out of
        time."""
        limit = self._settings.sweep_orphan_keys_per_run
        start_after = self._positions.get(prefix)
        scanned = 0
        while scanned < limit:
            if budget.spent:
                report.finished = False
                return False
            page = self._storage.list_page(
                prefix, start_after=start_after, max_keys=min(_LIST_PAGE, limit - scanned)
            )
            scanned += len(page.objects)
            old = [item for item in page.objects if item.last_modified < old_enough]
            if prefix == UPLOADS_PREFIX:
                self._remove_orphaned_originals(old, report)
            else:
                self._remove_orphaned_renditions(old, report)
            # From the start again once the end is reached: every key is seen every few runs.
            start_after = page.objects[-1].key if page.more and page.objects else ""
            self._positions.set(prefix, start_after)
            if not start_after:
                break
        return True

    def _remove_orphaned_originals(self, items: list[ListedObject], report: SweepReport) -> None:
        """Originals no document names: the media was deleted (or never ours to keep)."""
        parsed = [(item, key) for item in items if (key := parse_original_key(item.key))]
        versions = self._repository.versions_of([key.media_id for _, key in parsed])
        for item, key in parsed:
            version = versions.get(key.media_id)
            if version is not None and version[:2] == (key.user_id, item.key):
                continue
            if self._storage.delete_if_current(item.key, etag=item.etag):
                logger.warning(
                    "orphaned original removed",
                    key=item.key,
                    user_id=key.user_id,
                    media_id=key.media_id,
                )
                report.add(SweepOutcome.ORPHAN_REMOVED)

    def _remove_orphaned_renditions(self, items: list[ListedObject], report: SweepReport) -> None:
        """Renditions of deleted media, or of a version a newer upload replaced."""
        parsed = [(item, key) for item in items if (key := parse_derived_key(item.key))]
        versions = self._repository.versions_of([key.media_id for _, key in parsed])
        for item, key in parsed:
            version = versions.get(key.media_id)
            if version is not None and version[0] == key.user_id and version[2] == key.etag:
                continue  # the current version's renditions (ready, or being written)
            if version is not None:
                # Re-read right before deleting: the same bytes uploaded again bring the
                # same ETag back, and processing rewrites these very keys.
                current = self._repository.get(key.user_id, key.media_id)
                if current is not None and current.etag == key.etag:
                    continue
            if self._storage.delete_if_current(item.key, etag=item.etag):
                report.add(SweepOutcome.ORPHAN_RENDITION_REMOVED)


def raise_for_errors(report: SweepReport) -> None:
    if report.errors:
        raise SweepError(
            f"{len(report.errors)} stuck media item(s) could not be swept: {report.errors[0]!r}"
        ) from report.errors[0]
