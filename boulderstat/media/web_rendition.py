"""The web rendition: a video's H.264/AAC MP4 for every browser, made after its first view.

Why a step of its own: the transcode grows with the clip (a 60 s 4K clip takes minutes on two
cores) while probe + poster take a second or two. So `thumbnail` marks a video `ready` with its
poster and leaves the web rendition `pending`; `Media Processed` with `web_rendition: pending`
triggers this step, in its own function with its own memory and timeout.

Order of side effects, so a crash anywhere leaves a state a retry completes:
1. claim the rendition for exactly that version (web_rendition pending/processing -> processing;
   the media must still be `ready` with that ETag; anything else: nothing to do);
2. stream the original to a temporary folder and transcode (imaging.make_web_rendition);
3. upload `web.mp4` under `derived/{user}/{media}/{etag}/` (deterministic: a re-run overwrites);
4. web_rendition processing -> ready, the rendition joins the media's renditions
   (or -> failed with the reason; the media stays `ready`, the poster is never touched);
5. publish `Media Web Rendition Ready` / `... Failed`, then set the outbox flag.
"""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path

from aws_lambda_powertools import Logger

from boulderstat.clock import utc_now
from boulderstat.events.catalog import (
    MediaProcessed,
    MediaWebRenditionFailed,
    MediaWebRenditionReady,
)
from boulderstat.imaging import UnprocessableMedia, make_web_rendition
from boulderstat.media.keys import derived_prefix
from boulderstat.media.models import MediaDocument, Rendition
from boulderstat.media.pipeline import PipelineStep
from boulderstat.media.processing import IMMUTABLE
from boulderstat.media.status import MediaStatus
from boulderstat.time_budget import TimeBudget

logger = Logger(child=True)

MAX_ATTEMPTS = 3
TOO_MANY_ATTEMPTS = "We could not make a web version of this video after several attempts."
TOO_LONG = "Making the web version took too long."


class WebRenditionOutcome(StrEnum):
    MADE = "made"  # web.mp4 written, added to the media, event published
    FAILED = "failed"  # cannot be made: web_rendition failed + failure event
    REPUBLISHED = "republished"  # already done; only a missing event went out
    SKIPPED = "skipped"  # nothing to do: not due, done, superseded or deleted


class WebRenditionMaker(PipelineStep):
    def make(self, processed: MediaProcessed, budget: TimeBudget) -> WebRenditionOutcome:
        user_id, media_id, etag = processed.user_id, processed.media_id, processed.etag
        document = self._repository.get(user_id, media_id)
        if (
            document is None
            or document.etag != etag
            or document.status != MediaStatus.READY
            or document.web_rendition is None
        ):
            return WebRenditionOutcome.SKIPPED
        if document.web_rendition.status in ("ready", "failed"):
            return self.complete(document)

        claimed = self._repository.claim_web_rendition(user_id, media_id, etag)
        if claimed is None:
            return WebRenditionOutcome.SKIPPED
        assert claimed.web_rendition is not None
        if claimed.web_rendition.attempts > MAX_ATTEMPTS:
            return self.fail(claimed, TOO_MANY_ATTEMPTS)

        with tempfile.TemporaryDirectory(prefix="boulderstat-web-") as workdir:
            original = Path(workdir) / f"original.{claimed.key.rsplit('.', 1)[-1]}"
            if not self._storage.download(claimed.key, etag=etag, destination=original):
                return WebRenditionOutcome.SKIPPED  # replaced or deleted meanwhile
            try:
                if budget.spent:
                    raise UnprocessableMedia(TOO_LONG, code="timeout")
                # This function's own FFMPEG_TIMEOUT_SECONDS (serverless.yml), within its budget.
                timeout = min(self._settings.ffmpeg_timeout_seconds, budget.left())
                made = make_web_rendition(original, Path(workdir) / "out", timeout=timeout)
            except UnprocessableMedia as error:
                return self.fail(claimed, str(error))
            key = f"{derived_prefix(user_id, media_id)}{etag}/{made.path.name}"
            self._storage.put_file(
                key, made.path, content_type=made.content_type, cache_control=IMMUTABLE
            )
        rendition = Rendition(
            name=made.name,
            key=key,
            width=made.width,
            height=made.height,
            bytes=made.bytes,
            format=made.format,
        )
        added = self._repository.add_web_rendition(claimed, rendition)
        if added is None:  # deleted, failed or re-uploaded while we worked
            if self._repository.get(user_id, media_id) is None:
                self._storage.remove(keys=[key], prefix=f"{derived_prefix(user_id, media_id)}")
            return WebRenditionOutcome.SKIPPED
        self._publish(added)
        return WebRenditionOutcome.MADE

    def fail(self, document: MediaDocument, reason: str) -> WebRenditionOutcome:
        """pending/processing -> failed for the document's version, then the failure event;
        the media stays `ready` with its poster."""
        failed = self._give_up(
            document,
            reason,
            mark_failed=self._repository.fail_web_rendition,
            publish=self._publish,
            message="web rendition cannot be made",
        )
        return WebRenditionOutcome.FAILED if failed else WebRenditionOutcome.SKIPPED

    def complete(self, document: MediaDocument) -> WebRenditionOutcome:
        """A finished web rendition: re-publish only an event that did not go out."""
        assert document.web_rendition is not None
        if document.web_rendition.event_published:
            return WebRenditionOutcome.SKIPPED
        self._publish(document)
        return WebRenditionOutcome.REPUBLISHED

    def _publish(self, document: MediaDocument) -> None:
        state = document.web_rendition
        assert state is not None and document.etag is not None
        common = {
            "user_id": document.user_id,
            "occurred_at": state.finished_at or utc_now(),
            "media_id": document.media_id,
            "climb_id": document.climb_id,
            "key": document.key,
            "etag": document.etag,
        }
        if state.status == "ready":
            web = next(r for r in document.renditions if r.name == "web")
            self._publisher.publish(MediaWebRenditionReady(**common, rendition=web.summary()))
        else:
            self._publisher.publish(
                MediaWebRenditionFailed(**common, reason=state.reason or "unknown")
            )
        self._repository.mark_web_rendition_event_published(
            document.user_id, document.media_id, document.etag
        )
