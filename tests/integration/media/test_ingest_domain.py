"""Ingest against real S3 (moto) and MongoDB (nx-27017), without the notification plumbing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import EndpointConnectionError
from pymongo import MongoClient
from pymongo.errors import ServerSelectionTimeoutError

from boulderstat.adapters.aws import aws_client
from boulderstat.events.publisher import EventPublishError
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack
from boulderstat.media.ingest import (
    IngestBatchError,
    IngestOutcome,
    IngestService,
    ObjectCreated,
    ingest_batch,
    raise_for_errors,
)
from boulderstat.media.keys import original_key
from boulderstat.media.kinds import media_type_for
from boulderstat.media.models import MediaDocument, MediaMetadata, ObjectVersion, Rendition
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.settings import Settings
from tests.integration.media.conftest import RecordingPublisher
from tests.unit.media.sample_files import photo, video

RENDITION = Rendition(name="w320", key="derived/x", width=4, height=3, bytes=9, format="webp")
USER = "3f1c2b6e-8a1d-4c55-9d0e-2b7f6a1c9e10"
OTHER = "9b2d7c1a-0e4f-4a3b-8c6d-5e7f8a9b0c1d"


@pytest.fixture
def storage(stack: LocalStack, quiet_bucket: str) -> MediaStorage:
    return MediaStorage(stack.client("s3"), quiet_bucket)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def ingest(
    repo: MediaRepository, storage: MediaStorage, publisher: RecordingPublisher, settings: Settings
) -> IngestService:
    return IngestService(repo, storage, publisher, settings)


Granted = Callable[..., MediaDocument]


@pytest.fixture
def granted(repo: MediaRepository, storage: MediaStorage) -> Granted:
    """A pending media document, as upload_url leaves it."""

    def make(content_type: str = "image/jpeg", declared_size: int = 10_000, user: str = USER):
        media_type = media_type_for(content_type)
        media_id = new_id()
        now = datetime.now(UTC)
        document = MediaDocument(
            media_id=media_id,
            user_id=user,
            status=MediaStatus.PENDING,
            kind=media_type.kind,
            content_type=content_type,
            declared_size=declared_size,
            climb_id="c" * 32,
            bucket=storage.bucket,
            key=original_key(user, media_id, media_type.extension),
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(minutes=5),
            pending_expires_at=now + timedelta(days=1),
        )
        repo.create_pending(document)
        return document

    return make


def put(
    stack: LocalStack,
    storage: MediaStorage,
    key: str,
    body: bytes,
    content_type: str = "image/jpeg",
    sequencer: str | None = None,
) -> ObjectCreated:
    """Writes the object and returns the notification S3 would send for it."""
    response = stack.client("s3").put_object(
        Bucket=storage.bucket, Key=key, Body=body, ContentType=content_type
    )
    return ObjectCreated(
        bucket=storage.bucket,
        key=key,
        size=len(body),
        etag=response["ETag"].strip('"'),
        sequencer=sequencer,
    )


def stored(repo: MediaRepository, document: MediaDocument) -> MediaDocument:
    found = repo.get(document.user_id, document.media_id)
    assert found is not None
    return found


def test_accepted_photo_is_recorded_and_announced_once(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    document = granted("image/png")
    created = put(stack, storage, document.key, photo("png"), "image/png", "0062A1B2C3")

    assert ingest.ingest(created) == IngestOutcome.UPLOADED
    after = stored(repo, document)
    assert after.status == MediaStatus.UPLOADED
    assert (after.size, after.etag, after.format) == (created.size, created.etag, "png")
    assert after.sequencer == "0062A1B2C3"  # as S3 sent it
    assert after.pending_expires_at is None and after.uploaded_event_published
    (event,) = publisher.events
    assert event.DETAIL_TYPE == "Media Uploaded"
    assert event.model_dump(include={"media_id", "user_id", "kind", "format", "key", "etag"}) == {
        "media_id": document.media_id,
        "user_id": USER,
        "kind": "photo",
        "format": "png",
        "key": document.key,
        "etag": created.etag,
    }
    assert (event.size, event.bucket, event.climb_id) == (created.size, storage.bucket, "c" * 32)

    # The same notification again: nothing new.
    assert ingest.ingest(created) == IngestOutcome.DUPLICATE
    assert len(publisher.events) == 1
    assert stored(repo, document) == after


def test_accepted_video(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    granted: Granted,
) -> None:
    clip = video("mp4")
    document = granted("video/mp4", declared_size=len(clip))
    assert ingest.ingest(put(stack, storage, document.key, clip, "video/mp4")) == "uploaded"
    assert stored(repo, document).format == "mp4"


@pytest.mark.parametrize(
    ("content_type", "declared", "body", "stored_type", "reason"),
    [
        ("image/jpeg", 10_000, b"", "image/jpeg", "empty"),
        ("image/jpeg", 100, photo("jpeg"), "image/jpeg", "more than the 100 bytes declared"),
        ("image/jpeg", 10_000, b"just text, not a photo\n" * 5, "image/jpeg", "not a photo"),
        ("image/jpeg", 100_000, video("mp4"), "image/jpeg", "is a video (mp4), but a photo"),
        ("video/mp4", 100_000, photo("jpeg"), "video/mp4", "is a photo (jpeg), but a video"),
        ("image/jpeg", 10_000, photo("jpeg"), "text/html", "Content-Type 'text/html' differs"),
    ],
    ids=["empty", "oversize", "text", "video-as-photo", "photo-as-video", "content-type"],
)
def test_uploads_breaking_the_grant_are_rejected_and_removed(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
    content_type: str,
    declared: int,
    body: bytes,
    stored_type: str,
    reason: str,
) -> None:
    document = granted(content_type, declared_size=declared)
    created = put(stack, storage, document.key, body, stored_type)

    assert ingest.ingest(created) == IngestOutcome.REJECTED
    after = stored(repo, document)
    assert after.status == MediaStatus.FAILED
    assert after.failure is not None and after.failure.phase == "ingest"
    assert reason in after.failure.reason
    assert after.failed_event_published and not after.uploaded_event_published
    assert storage.head(document.key) is None
    (event,) = publisher.events
    assert event.DETAIL_TYPE == "Media Processing Failed"
    assert (event.media_id, event.phase, event.reason) == (
        document.media_id,
        "ingest",
        after.failure.reason,
    )
    assert ingest.ingest(created) == IngestOutcome.DUPLICATE
    assert len(publisher.events) == 1


def test_a_failed_publish_is_completed_by_the_retry_exactly_once(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    document = granted()
    created = put(stack, storage, document.key, photo("jpeg"))
    publisher.failures_left = 1

    with pytest.raises(EventPublishError):
        ingest.ingest(created)
    half = stored(repo, document)
    assert half.status == MediaStatus.UPLOADED and not half.uploaded_event_published
    assert publisher.events == []

    assert ingest.ingest(created) == IngestOutcome.UPLOADED  # the retry
    assert ingest.ingest(created) == IngestOutcome.DUPLICATE  # and a late duplicate
    assert [e.DETAIL_TYPE for e in publisher.events] == ["Media Uploaded"]
    assert stored(repo, document).uploaded_event_published


def test_a_failed_rejection_publish_is_completed_by_the_retry(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    document = granted()
    created = put(stack, storage, document.key, b"not an image at all")
    publisher.failures_left = 1
    with pytest.raises(EventPublishError):
        ingest.ingest(created)
    assert stored(repo, document).status == MediaStatus.FAILED
    assert storage.head(document.key) is None  # removed before publishing

    assert ingest.ingest(created) == IngestOutcome.REJECTED
    assert ingest.ingest(created) == IngestOutcome.DUPLICATE
    assert [e.DETAIL_TYPE for e in publisher.events] == ["Media Processing Failed"]


def test_late_duplicates_never_move_a_document_backwards(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    document = granted()
    created = put(stack, storage, document.key, photo("jpeg"), sequencer="0062A1B2C3")
    assert ingest.ingest(created) == IngestOutcome.UPLOADED
    assert repo.claim_processing(USER, document.media_id, created.etag) is not None
    assert ingest.ingest(created) == IngestOutcome.DUPLICATE
    assert stored(repo, document).status == MediaStatus.PROCESSING

    ready = repo.mark_ready(
        USER,
        document.media_id,
        created.etag,
        renditions=[RENDITION],
        metadata=MediaMetadata(width=64, height=48),
        placeholder=None,
    )
    assert ready is not None
    # A copy of the record without its sequencer (as moto sends) is still the same version.
    for late in (created, ObjectCreated(**{**created.__dict__, "sequencer": None})):
        assert ingest.ingest(late) == IngestOutcome.DUPLICATE
    assert stored(repo, document) == ready
    assert len(publisher.events) == 1


def test_an_event_whose_flag_was_lost_is_not_republished_once_processing_began(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    """Crash between publish and flag: the thumbnail got the event and claimed the version."""
    document = granted()
    created = put(stack, storage, document.key, photo("jpeg"))
    fresh = stored(repo, document)
    recorded = repo.record_upload(
        fresh, ObjectVersion.of(created.etag, created.sequencer), size=created.size, format="jpeg"
    )
    assert recorded is not None
    assert repo.claim_processing(USER, document.media_id, created.etag) is not None

    assert ingest.ingest(created) == IngestOutcome.DUPLICATE
    assert publisher.events == []
    after = stored(repo, document)
    assert after.uploaded_event_published and after.status == MediaStatus.PROCESSING


def test_older_or_replaced_versions_are_stale(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    document = granted()
    first = put(stack, storage, document.key, photo("jpeg"), sequencer="0062A1B2C3")
    second = put(stack, storage, document.key, photo("png"), "image/jpeg", "0062A1B2D4")
    # The first notification arrives after the object was replaced: it describes a version
    # that no longer exists, so it is not judged (the second one's notification covers it).
    assert ingest.ingest(first) == IngestOutcome.STALE
    assert stored(repo, document).status == MediaStatus.PENDING
    assert ingest.ingest(second) == IngestOutcome.UPLOADED
    assert stored(repo, document).format == "png"  # what actually arrived
    # ...and once the newer version is recorded, the older sequencer is stale outright.
    assert ingest.ingest(first) == IngestOutcome.STALE
    assert [e.etag for e in publisher.events] == [second.etag]


def test_a_newer_version_after_ready_starts_over(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    """A second upload with the same grant replaced the original: its renditions are stale."""
    document = granted()
    first = put(stack, storage, document.key, photo("jpeg"), sequencer="0062A1B2C3")
    ingest.ingest(first)
    repo.claim_processing(USER, document.media_id, first.etag)
    repo.mark_ready(
        USER,
        document.media_id,
        first.etag,
        renditions=[],
        metadata=MediaMetadata(width=1, height=1),
        placeholder=None,
    )
    second = put(stack, storage, document.key, photo("jpeg", (32, 32)), sequencer="0062A1B2D4")
    assert ingest.ingest(second) == IngestOutcome.UPLOADED
    after = stored(repo, document)
    assert (after.status, after.etag, after.metadata) == (MediaStatus.UPLOADED, second.etag, None)
    assert [e.etag for e in publisher.of_type("Media Uploaded")] == [first.etag, second.etag]


def test_foreign_objects_stay_and_orphans_in_the_layout_are_removed(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    alice = granted(user=USER)
    body = photo("jpeg")
    # Bob's prefix naming Alice's media id; Alice's id with another extension; odd keys.
    keys_and_outcomes = [
        (f"uploads/{OTHER}/{alice.media_id}.jpg", IngestOutcome.UNKNOWN_MEDIA),
        (alice.key.removesuffix(".jpg") + ".png", IngestOutcome.UNKNOWN_MEDIA),
        (f"uploads/{USER}/{new_id()}.jpg", IngestOutcome.UNKNOWN_MEDIA),
        ("uploads/u1/a b+c ü.jpg", IngestOutcome.FOREIGN_KEY),
        (f"uploads/{USER}/x/{alice.media_id}.jpg", IngestOutcome.FOREIGN_KEY),
    ]
    for key, outcome in keys_and_outcomes:
        created = put(stack, storage, key, body)
        assert ingest.ingest(created) == outcome, key
        # A key in our layout that no media names is an orphan; anything else is not ours.
        assert (storage.head(key) is None) == (outcome == IngestOutcome.UNKNOWN_MEDIA), key
    other_bucket = ObjectCreated("someone-elses-bucket", alice.key, len(body), "e")
    assert ingest.ingest(other_bucket) == IngestOutcome.FOREIGN_KEY
    assert stored(repo, alice) == alice
    assert publisher.events == []


def test_a_batch_finishes_every_record_then_raises_for_the_retry(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    ingest: IngestService,
    publisher: RecordingPublisher,
    granted: Granted,
) -> None:
    flaky, healthy = granted(), granted()
    batch = [
        put(stack, storage, flaky.key, photo("jpeg")),
        put(stack, storage, healthy.key, photo("gif"), "image/jpeg"),
        ObjectCreated(storage.bucket, "uploads/not-a-layout.txt", 1, "e"),
    ]
    publisher.fail_media_ids = {flaky.media_id}

    report = ingest_batch(ingest, batch)
    assert report.counts() == {"uploaded": 1, "foreign_key": 1, "error": 1}
    with pytest.raises(IngestBatchError):
        raise_for_errors(report)
    assert stored(repo, healthy).status == MediaStatus.UPLOADED

    retry = ingest_batch(ingest, batch)  # Lambda retries the whole batch
    assert retry.counts() == {"uploaded": 1, "duplicate": 1, "foreign_key": 1}
    raise_for_errors(retry)
    assert sorted(e.media_id for e in publisher.events) == sorted(
        [flaky.media_id, healthy.media_id]
    )


def test_s3_unavailable_raises_and_writes_nothing(
    stack: LocalStack,
    storage: MediaStorage,
    repo: MediaRepository,
    publisher: RecordingPublisher,
    settings: Settings,
    granted: Granted,
) -> None:
    document = granted()
    created = put(stack, storage, document.key, photo("jpeg"))
    down = aws_client("s3", settings.with_overrides(aws_endpoint_url="http://127.0.0.1:9"))
    service = IngestService(repo, MediaStorage(down, storage.bucket), publisher, settings)
    with pytest.raises(EndpointConnectionError):
        service.ingest(created)
    assert stored(repo, document) == document
    assert publisher.events == []


def test_mongodb_unavailable_raises(
    storage: MediaStorage, publisher: RecordingPublisher, settings: Settings
) -> None:
    client: MongoClient = MongoClient(
        "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=100
    )
    service = IngestService(MediaRepository(client["x"]), storage, publisher, settings)
    created = ObjectCreated(storage.bucket, original_key(USER, new_id(), "jpg"), 1, "e")
    with pytest.raises(ServerSelectionTimeoutError):
        service.ingest(created)
