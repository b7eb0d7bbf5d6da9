"""The web rendition step on its own, against real S3 (moto, a bucket without notifications),
MongoDB (nx-27017) and ffmpeg: it adds web.mp4 to a `ready` video, and its failure never touches
the poster or the media's status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo.database import Database

from boulderstat.events.catalog import MediaProcessed
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack
from boulderstat.media.keys import original_key
from boulderstat.media.models import MediaDocument, MediaMetadata, ObjectVersion, Rendition
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.media.web_rendition import WebRenditionMaker, WebRenditionOutcome
from boulderstat.settings import Settings
from boulderstat.time_budget import TimeBudget
from tests import media_factory
from tests.integration.media.conftest import RecordingPublisher

USER = "5d0e6a7b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def repo(db: Database) -> MediaRepository:
    return MediaRepository(db)


@pytest.fixture(scope="module")
def storage(stack: LocalStack) -> MediaStorage:
    """A bucket without notifications: nothing but these tests acts on its objects."""
    assert stack.settings is not None
    name = f"web-rendition-{uuid.uuid4().hex[:8]}"
    s3 = stack.client("s3")
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    return MediaStorage(s3, name)


def ready_video(repo: MediaRepository, storage: MediaStorage, original: bytes) -> MediaProcessed:
    """A video as `thumbnail` leaves it: ready with its poster, web rendition pending."""
    media_id, now = new_id(), datetime.now(UTC)
    key = original_key(USER, media_id, "mov")
    storage._s3.put_object(Bucket=storage.bucket, Key=key, Body=original)
    etag = storage.head(key).etag  # type: ignore[union-attr]
    pending = MediaDocument(
        media_id=media_id,
        user_id=USER,
        status=MediaStatus.PENDING,
        kind="video",
        content_type="video/quicktime",
        declared_size=len(original),
        bucket=storage.bucket,
        key=key,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    repo.create_pending(pending)
    uploaded = repo.record_upload(
        pending, ObjectVersion.of(etag, None), size=len(original), format="mov"
    )
    assert uploaded is not None and repo.claim_processing(USER, media_id, etag) is not None
    poster = Rendition(
        name="poster-w320", key=f"derived/{USER}/{media_id}/{etag}/poster-w320.webp",
        width=320, height=240, bytes=1000, format="webp",
    )  # fmt: skip
    ready = repo.mark_ready(
        USER,
        media_id,
        etag,
        renditions=[poster],
        metadata=MediaMetadata(width=320, height=240, duration_seconds=1.0),
        placeholder="abc",
        web_rendition_due=True,
    )
    assert ready is not None
    return MediaProcessed(
        user_id=USER, occurred_at=now, media_id=media_id, kind="video", key=key, etag=etag,
        width=320, height=240, renditions=[poster.summary()], web_rendition="pending",
    )  # fmt: skip


def maker(repo: MediaRepository, storage: MediaStorage, settings: Settings) -> tuple:
    publisher = RecordingPublisher()
    return WebRenditionMaker(repo, storage, publisher, settings), publisher


def test_it_adds_web_mp4_and_tells_consumers_once(
    repo: MediaRepository, storage: MediaStorage, settings: Settings, tmp_path: Path
) -> None:
    original = media_factory.hevc_mov(tmp_path / "iphone.mov").read_bytes()
    processed = ready_video(repo, storage, original)
    make, publisher = maker(repo, storage, settings)

    assert make.make(processed, TimeBudget(120)) == WebRenditionOutcome.MADE
    document = repo.get(USER, processed.media_id)
    assert document is not None and document.status == MediaStatus.READY
    assert document.web_rendition is not None and document.web_rendition.status == "ready"
    assert [r.name for r in document.renditions] == ["poster-w320", "web"]
    web = document.renditions[1]
    head = storage.head(web.key)
    assert head is not None and head.size == web.bytes and head.content_type == "video/mp4"
    (event,) = publisher.events
    assert event.DETAIL_TYPE == "Media Web Rendition Ready" and event.rendition.key == web.key

    # A redelivery (at least once) does nothing and publishes nothing again.
    assert make.make(processed, TimeBudget(120)) == WebRenditionOutcome.SKIPPED
    assert len(publisher.events) == 1


def test_its_failure_keeps_the_poster_and_the_ready_status(
    repo: MediaRepository, storage: MediaStorage, settings: Settings
) -> None:
    processed = ready_video(repo, storage, b"\x00\x00\x00\x18ftypqt  not really a movie")
    before = repo.get(USER, processed.media_id)
    make, publisher = maker(repo, storage, settings)

    assert make.make(processed, TimeBudget(60)) == WebRenditionOutcome.FAILED
    after = repo.get(USER, processed.media_id)
    assert after is not None and before is not None
    assert after.status == MediaStatus.READY
    assert after.renditions == before.renditions and after.placeholder == "abc"
    assert after.web_rendition is not None and after.web_rendition.status == "failed"
    assert "damaged" in (after.web_rendition.reason or "")
    (event,) = publisher.events
    assert event.DETAIL_TYPE == "Media Web Rendition Failed"
    assert event.reason == after.web_rendition.reason
    assert make.make(processed, TimeBudget(60)) == WebRenditionOutcome.SKIPPED


def test_a_job_out_of_time_fails_cleanly(
    repo: MediaRepository, storage: MediaStorage, settings: Settings, tmp_path: Path
) -> None:
    original = media_factory.hevc_mov(tmp_path / "iphone.mov").read_bytes()
    processed = ready_video(repo, storage, original)
    make, publisher = maker(repo, storage, settings)
    assert make.make(processed, TimeBudget(0)) == WebRenditionOutcome.FAILED
    assert [e.DETAIL_TYPE for e in publisher.events] == ["Media Web Rendition Failed"]
    document = repo.get(USER, processed.media_id)
    assert document is not None and document.status == MediaStatus.READY
    assert document.web_rendition is not None
    assert "too long" in (document.web_rendition.reason or "")


def test_a_media_without_a_due_rendition_is_skipped(
    repo: MediaRepository, storage: MediaStorage, settings: Settings, tmp_path: Path
) -> None:
    processed = ready_video(repo, storage, b"irrelevant")
    repo.delete(USER, processed.media_id)
    make, publisher = maker(repo, storage, settings)
    assert make.make(processed, TimeBudget(60)) == WebRenditionOutcome.SKIPPED
    assert publisher.events == []
