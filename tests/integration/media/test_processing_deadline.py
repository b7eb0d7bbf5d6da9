"""Processing ends cleanly before Lambda would kill it: real ffmpeg, a tiny remaining time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from boulderstat.events.catalog import MediaUploaded
from boulderstat.ids import new_id
from boulderstat.local.functions import LocalLambdaContext, load_handler
from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.media.keys import original_key
from boulderstat.media.models import MediaDocument
from boulderstat.media.processing import MediaProcessor, ProcessingOutcome
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.media.web_rendition import WebRenditionMaker, WebRenditionOutcome
from boulderstat.settings import Settings
from boulderstat.time_budget import TimeBudget
from tests import media_factory
from tests.conftest import Climber
from tests.integration.media.conftest import RecordingPublisher, upload
from tests.unit.media.sample_files import photo

TOO_LONG = "took too long"


def _uploaded_video(
    stack: LocalStack, repo: MediaRepository, bucket: str, clip: Path
) -> tuple[MediaDocument, MediaUploaded]:
    """A video that passed ingest, as `Media Uploaded` announces it."""
    user_id = str(uuid.uuid4())
    media_id = new_id()
    key = original_key(user_id, media_id, "mp4")
    etag = (
        stack.client("s3")
        .put_object(Bucket=bucket, Key=key, Body=clip.read_bytes(), ContentType="video/mp4")["ETag"]
        .strip('"')
    )
    now = datetime.now(UTC)
    document = MediaDocument(
        media_id=media_id,
        user_id=user_id,
        status=MediaStatus.PENDING,
        kind="video",
        content_type="video/mp4",
        declared_size=clip.stat().st_size,
        bucket=bucket,
        key=key,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    repo.create_pending(document)
    fields = {"status": "uploaded", "etag": etag, "size": clip.stat().st_size, "format": "mp4"}
    repo._media.update_one({"_id": media_id}, {"$set": fields})
    uploaded = MediaUploaded(
        user_id=user_id,
        occurred_at=now,
        media_id=media_id,
        kind="video",
        content_type="video/mp4",
        format="mp4",
        bucket=bucket,
        key=key,
        size=clip.stat().st_size,
        etag=etag,
    )
    return document, uploaded


def test_a_video_job_out_of_time_fails_cleanly_before_the_lambda_timeout(
    stack: LocalStack,
    repo: MediaRepository,
    quiet_bucket: str,
    settings: Settings,
    tmp_path: Path,
) -> None:
    # 6 s of 720p that must be transcoded: seconds of x264 work, far more than the budget.
    clip = media_factory.h264_mp4(tmp_path / "long.mp4", seconds=6, size=(1280, 720))
    document, uploaded = _uploaded_video(stack, repo, quiet_bucket, clip)
    tuned = settings.with_overrides(
        media_bucket=quiet_bucket, web_video_min_bytes=0, processing_margin_seconds=3.0
    )
    publisher = RecordingPublisher()
    storage = MediaStorage(stack.client("s3"), quiet_bucket)
    # The poster (the first view) fits any budget; the transcode is the web_rendition step's.
    processor = MediaProcessor(repo, storage, publisher, tuned)
    assert processor.process(uploaded, TimeBudget(120)) == ProcessingOutcome.PROCESSED
    processed = publisher.of_type("Media Processed")[0]
    assert processed.web_rendition == "pending"
    maker = WebRenditionMaker(repo, storage, publisher, tuned)
    # The Lambda has 0.5 s of work time left after the margin kept for the final writes.
    context = LocalLambdaContext("web_rendition", timeout_seconds=3.5)
    budget = TimeBudget.before_timeout(
        context.get_remaining_time_in_millis(), margin_seconds=tuned.processing_margin_seconds
    )

    outcome = maker.make(processed, budget)

    assert context.get_remaining_time_in_millis() > 0, "Lambda would have killed it"
    assert outcome == WebRenditionOutcome.FAILED
    after = repo.get(document.user_id, document.media_id)
    assert after is not None and after.status == "ready"  # the poster stays
    assert after.web_rendition is not None and after.web_rendition.status == "failed"
    assert TOO_LONG in (after.web_rendition.reason or "") and after.web_rendition.event_published
    (event,) = publisher.of_type("Media Web Rendition Failed")
    assert (event.media_id, event.reason) == (document.media_id, after.web_rendition.reason)
    derived = storage._s3.list_objects_v2(Bucket=quiet_bucket, Prefix="derived/")
    keys = [item["Key"] for item in derived.get("Contents", [])]
    assert keys and not [k for k in keys if k.endswith("web.mp4")]  # nothing half-written


def test_the_thumbnail_function_takes_its_deadline_from_the_lambda_context(
    alice: Climber,
    repo: MediaRepository,
    settings: Settings,
    events_of: Callable[[str], Subscriber],
) -> None:
    events = events_of(alice.sub)
    data = photo("jpeg", size=(320, 240))
    grant = alice.api.post(
        "/media/uploads", {"content_type": "image/jpeg", "size": len(data), "filename": "a.jpg"}
    )
    media_id = grant["media_id"]
    upload(grant, data)
    uploaded = events.wait_for(
        lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
    )
    events.wait_for(
        lambda e: e["detail-type"] == "Media Processed" and e["detail"]["media_id"] == media_id
    )
    # Back to where a lost first attempt would have left it.
    repo._media.update_one({"_id": media_id}, {"$set": {"status": "uploaded"}})
    # Lambda invoked it with nothing left beyond the margin: no time to render anything.
    context = LocalLambdaContext("thumbnail", timeout_seconds=settings.processing_margin_seconds)

    result = load_handler("thumbnail")(uploaded, context)

    assert result["outcome"] == "failed"
    failed = events.wait_for(
        lambda e: (
            e["detail-type"] == "Media Processing Failed" and e["detail"]["media_id"] == media_id
        )
    )
    assert TOO_LONG in failed["detail"]["reason"]
    assert alice.api.get(f"/media/{media_id}")["status"] == "failed"
