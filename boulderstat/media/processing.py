"""Processing: turn an uploaded original into what the app shows, and tell consumers.

Triggered by `Media Uploaded` (never by S3), so renditions written under `derived/` can never
re-trigger the pipeline. Order of side effects, so a crash anywhere leaves a state a retry
completes and a redelivery does no duplicate work:

1. claim the exact object version for this delivery (uploaded/processing -> processing, with
   a lease until the delivery's deadline; ready or failed: skip). A concurrent duplicate
   delivery finds the lease live and stands down (`BUSY`): it renders nothing, deletes nothing
   and is not counted as an attempt, so duplicates can never fail a good file;
2. stream the original to a temporary folder and render (imaging: Pillow / ffmpeg);
3. upload renditions under `derived/{user}/{media}/{etag}/` (deterministic keys: a re-run
   overwrites the same objects, an immutable Cache-Control is truthful per version);
4. processing -> ready (or -> failed with the reason the climber sees); for a video, `ready`
   means probe + poster: a web rendition, when due, is left `pending` for the web_rendition
   function, which `Media Processed` (`web_rendition: pending`) triggers;
5. publish `Media Processed` / `Media Processing Failed`, then set the outbox flag.
A redelivery of an already-processed version only re-publishes an event whose flag is unset.
If the lease holder dies, its own retry (same delivery id) takes over at once; a lease whose
holder was killed at its deadline has ended by then anyway.

Time: the handler passes a TimeBudget (Lambda's remaining time less a margin for step 3-5).
ffmpeg gets at most what is left of it, and a job that runs out ends `failed` with a reason and
the failure event before Lambda would kill it; a killed job would stay `processing` until the
sweeper (`media.sweeper`) notices.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from aws_lambda_powertools import Logger

from boulderstat.clock import utc_now
from boulderstat.events.catalog import MediaProcessed, MediaProcessingFailed, MediaUploaded
from boulderstat.imaging import (
    PhotoOutput,
    RenditionFile,
    UnprocessableMedia,
    VideoOutput,
    process_photo,
    process_video,
)
from boulderstat.imaging.avatar import process_profile_picture
from boulderstat.media.keys import rendition_prefix
from boulderstat.media.models import MediaDocument, MediaMetadata, Rendition
from boulderstat.media.pipeline import PipelineStep
from boulderstat.media.repository import DEFAULT_LEASE_SECONDS
from boulderstat.media.status import MediaStatus
from boulderstat.time_budget import TimeBudget

logger = Logger(child=True)

IMMUTABLE = "public, max-age=31536000, immutable"
MAX_ATTEMPTS = 3  # claims of one version before we call it a permanent failure
TOO_MANY_ATTEMPTS = "We could not process this file after several attempts. Upload it again."


def out_of_time() -> UnprocessableMedia:
    return UnprocessableMedia(
        "Processing this file took too long. Shorter or smaller files work best.", code="timeout"
    )


class ProcessingOutcome(StrEnum):
    PROCESSED = "processed"  # renditions written, ready, Media Processed published
    FAILED = "failed"  # the original cannot be processed: failed + failure event
    REPUBLISHED = "republished"  # already done; only a missing event went out
    SKIPPED = "skipped"  # nothing to do: done already, superseded or deleted
    BUSY = "busy"  # another delivery is processing this version right now


@dataclass(frozen=True)
class Rendered:
    renditions: list[RenditionFile]
    metadata: MediaMetadata
    placeholder: str | None
    web_rendition_due: bool = False


def _held_by_another(document: MediaDocument, delivery_id: str | None) -> bool:
    """Whether another delivery's lease on this version is still live."""
    owner, until = document.processing_lease_owner, document.processing_lease_until
    return owner is not None and owner != delivery_id and until is not None and until > utc_now()


class MediaProcessor(PipelineStep):
    def process(
        self,
        uploaded: MediaUploaded,
        budget: TimeBudget | None = None,
        *,
        delivery_id: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> ProcessingOutcome:
        """Processes one version; `budget` bounds the work (default: the ffmpeg timeout).

        `delivery_id` is the same for every retry of one delivery (the event's id);
        `lease_seconds` is how long this delivery may still run (its remaining time).
        """
        budget = budget or TimeBudget(self._settings.ffmpeg_timeout_seconds)
        document = self._repository.get(uploaded.user_id, uploaded.media_id)
        if document is None or document.etag != uploaded.etag:
            logger.info("nothing to process: deleted or superseded", media_id=uploaded.media_id)
            return ProcessingOutcome.SKIPPED
        if document.status in (MediaStatus.READY, MediaStatus.FAILED):
            unpublished = not (
                document.processed_event_published or document.failed_event_published
            )
            if unpublished and _held_by_another(document, delivery_id):
                # The delivery that finished it may be publishing its event right now: a
                # re-publish here would send it twice. If that delivery dies before setting the
                # outbox flag, its lease ends and a later delivery (or the sweeper) completes it.
                return ProcessingOutcome.BUSY
            return self.complete(document)

        claim = self._repository.claim_processing(
            uploaded.user_id,
            uploaded.media_id,
            uploaded.etag,
            owner=delivery_id,
            lease_seconds=lease_seconds,
        )
        if claim is None:
            return ProcessingOutcome.SKIPPED
        if not claim.granted:
            logger.info("another delivery is processing this version", media_id=uploaded.media_id)
            return ProcessingOutcome.BUSY
        claimed = claim.document
        if claimed.processing_attempts > MAX_ATTEMPTS:
            return self.fail(claimed, TOO_MANY_ATTEMPTS)

        with tempfile.TemporaryDirectory(prefix="boulderstat-") as workdir:
            original = Path(workdir) / f"original.{claimed.key.rsplit('.', 1)[-1]}"
            if not self._storage.download(claimed.key, etag=uploaded.etag, destination=original):
                logger.info("original replaced or removed meanwhile", media_id=claimed.media_id)
                return ProcessingOutcome.SKIPPED
            try:
                rendered = self._render(claimed, original, Path(workdir) / "out", budget)
            except UnprocessableMedia as error:
                return self.fail(claimed, str(error))
            prefix = rendition_prefix(claimed.user_id, claimed.media_id, uploaded.etag)
            renditions = []
            for file in rendered.renditions:
                key = prefix + file.path.name
                self._storage.put_file(
                    key, file.path, content_type=file.content_type, cache_control=IMMUTABLE
                )
                renditions.append(
                    Rendition(
                        name=file.name,
                        key=key,
                        width=file.width,
                        height=file.height,
                        bytes=file.bytes,
                        format=file.format,
                    )
                )
        ready = self._repository.mark_ready(
            claimed.user_id,
            claimed.media_id,
            uploaded.etag,
            renditions=renditions,
            metadata=rendered.metadata,
            placeholder=rendered.placeholder,
            web_rendition_due=rendered.web_rendition_due,
        )
        if ready is None:  # deleted, failed or re-uploaded while we worked
            if self._repository.get(claimed.user_id, claimed.media_id) is None:
                # Deleted meanwhile: the delete already cleaned up, so remove what we just wrote.
                self._storage.remove(keys=[], prefix=prefix)
            return ProcessingOutcome.SKIPPED
        self._publish_processed(ready)
        return ProcessingOutcome.PROCESSED

    # -- rendering ---------------------------------------------------------------------------
    def _render(
        self, document: MediaDocument, original: Path, out_dir: Path, budget: TimeBudget
    ) -> Rendered:
        if budget.spent:  # the download alone used up the time: rendering cannot finish
            raise out_of_time()
        out_dir.mkdir()
        settings = self._settings
        if document.purpose == "profile_picture":
            picture = process_profile_picture(
                original, out_dir, max_pixels=settings.max_image_pixels
            )
            return self._photo(picture)
        if document.kind == "photo":
            photo = process_photo(
                original,
                out_dir,
                widths=settings.rendition_widths,
                max_pixels=settings.max_image_pixels,
            )
            return self._photo(photo)
        video = process_video(
            original,
            out_dir,
            widths=settings.rendition_widths,
            max_seconds=settings.max_video_seconds,
            web_min_bytes=settings.web_video_min_bytes,
            timeout=min(settings.ffmpeg_timeout_seconds, budget.left()),
            max_pixels=settings.max_image_pixels,
            with_web=False,  # the web_rendition function makes it, after the first view
        )
        return self._video(video)

    @staticmethod
    def _photo(photo: PhotoOutput) -> Rendered:
        metadata = MediaMetadata(
            width=photo.width, height=photo.height, animated=photo.animated, format=photo.format
        )
        return Rendered(list(photo.renditions), metadata, photo.placeholder)

    @staticmethod
    def _video(video: VideoOutput) -> Rendered:
        probe = video.probe
        metadata = MediaMetadata(
            width=probe.width,
            height=probe.height,
            duration_seconds=round(probe.duration, 3),
            codec=probe.codec,
            fps=round(probe.fps, 3),
            has_audio=probe.has_audio,
            rotation=probe.rotation,
            container=probe.container,
            poster_at=round(video.poster_at, 3),
            plays_in_browsers=probe.plays_in_browsers,
        )
        return Rendered(list(video.poster.renditions), metadata, video.placeholder, video.needs_web)

    # -- outcomes ----------------------------------------------------------------------------
    def fail(self, document: MediaDocument, reason: str) -> ProcessingOutcome:
        """uploaded/processing -> failed for the document's version, then the failure event."""
        failed = self._give_up(
            document,
            reason,
            mark_failed=self._repository.mark_failed,
            publish=self._publish_failed,
            message="media cannot be processed",
        )
        return ProcessingOutcome.FAILED if failed else ProcessingOutcome.SKIPPED

    def complete(self, document: MediaDocument) -> ProcessingOutcome:
        """A finished version: re-publish only an event that did not go out."""
        if document.status == MediaStatus.READY and not document.processed_event_published:
            self._publish_processed(document)
            return ProcessingOutcome.REPUBLISHED
        failure = document.failure
        if (
            document.status == MediaStatus.FAILED
            and failure is not None
            and failure.phase == "processing"
            and not document.failed_event_published
        ):
            self._publish_failed(document)
            return ProcessingOutcome.REPUBLISHED
        return ProcessingOutcome.SKIPPED

    def _publish_processed(self, document: MediaDocument) -> None:
        self._publisher.publish(processed_event(document))
        self._repository.mark_event_published(
            document.user_id, document.media_id, document.etag, "processed"
        )

    def _publish_failed(self, document: MediaDocument) -> None:
        assert document.failure is not None and document.etag is not None
        self._publisher.publish(
            MediaProcessingFailed(
                user_id=document.user_id,
                occurred_at=document.failure.failed_at,
                media_id=document.media_id,
                climb_id=document.climb_id,
                phase="processing",
                reason=document.failure.reason,
                key=document.key,
                etag=document.etag,
            )
        )
        self._repository.mark_event_published(
            document.user_id, document.media_id, document.etag, "failed"
        )


def processed_event(document: MediaDocument) -> MediaProcessed:
    """`Media Processed` for a ready version (the sweeper re-publishes it to re-drive a lost
    web rendition: with `web_rendition: pending` it triggers the web_rendition function)."""
    assert document.metadata is not None and document.etag is not None
    return MediaProcessed(
        user_id=document.user_id,
        occurred_at=document.processed_at or utc_now(),
        media_id=document.media_id,
        climb_id=document.climb_id,
        kind=document.kind,
        key=document.key,
        etag=document.etag,
        width=document.metadata.width,
        height=document.metadata.height,
        duration_seconds=document.metadata.duration_seconds,
        animated=document.metadata.animated,
        renditions=[r.summary() for r in document.renditions],
        placeholder=document.placeholder,
        web_rendition="pending" if document.web_rendition is not None else None,
    )
