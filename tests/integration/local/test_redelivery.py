"""Duplicate and concurrent deliveries of `Media Uploaded`, and dead-letter redrive.

Four overlapping deliveries of each of six photos (as EventBridge's at-least-once delivery, a
retry racing its original, or a re-publish can produce) must leave six `ready` photos, each
processed once, counted once, announced once, with no stray renditions. Then: an event that
was dead-lettered during an outage is processed after `redrive`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pymongo.database import Database

from boulderstat.events.catalog import MediaUploaded
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack
from boulderstat.media.ingest import uploaded_event
from boulderstat.media.models import MediaDocument, MediaMetadata, ObjectVersion
from boulderstat.media.processing import MediaProcessor, ProcessingOutcome
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from tests.conftest import Climber
from tests.integration.media.conftest import RecordingPublisher
from tests.unit.media.sample_files import photo

PHOTOS = 6
DELIVERIES_EACH = 4


@pytest.fixture
def quiet_bucket(stack: LocalStack) -> str:
    """A bucket without notifications: this test is the only one delivering its events."""
    assert stack.settings is not None
    name = f"redelivery-{uuid.uuid4().hex[:8]}"
    stack.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    return name


def _uploaded_photo(
    stack: LocalStack, repo: MediaRepository, bucket: str, user_id: str, size: tuple[int, int]
) -> MediaDocument:
    """A photo that passed ingest: the original in the bucket, the document `uploaded`."""
    media_id = new_id()
    key = f"uploads/{user_id}/{media_id}.jpg"
    data = photo("jpeg", size)
    now = datetime.now(UTC)
    pending = MediaDocument(
        media_id=media_id,
        user_id=user_id,
        status=MediaStatus.PENDING,
        kind="photo",
        content_type="image/jpeg",
        declared_size=len(data),
        bucket=bucket,
        key=key,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    repo.create_pending(pending)
    put = stack.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg")
    seen = repo.get(user_id, media_id)
    assert seen is not None
    recorded = repo.record_upload(
        seen, ObjectVersion.of(put["ETag"], None), size=len(data), format="jpeg"
    )
    assert recorded is not None
    return recorded


def test_overlapping_deliveries_never_fail_a_good_photo_nor_leave_stray_renditions(
    stack: LocalStack, db: Database, quiet_bucket: str
) -> None:
    assert stack.settings is not None
    repo = MediaRepository(db)
    user_id = f"dup-{uuid.uuid4().hex[:8]}"
    publisher = RecordingPublisher()
    processor = MediaProcessor(
        repo,
        MediaStorage(stack.client("s3"), quiet_bucket),
        publisher,
        stack.settings.with_overrides(media_bucket=quiet_bucket),
    )
    documents = [
        _uploaded_photo(stack, repo, quiet_bucket, user_id, (120 + n, 90)) for n in range(PHOTOS)
    ]
    events = [uploaded_event(d, datetime.now(UTC)) for d in documents]
    # Each photo: three distinct deliveries, and one of them delivered twice (same event id).
    deliveries: list[tuple[MediaUploaded, str]] = []
    for event in events:
        ids = [uuid.uuid4().hex for _ in range(DELIVERIES_EACH - 1)]
        deliveries += [(event, delivery_id) for delivery_id in [*ids, ids[0]]]

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        outcomes = list(
            pool.map(
                lambda d: processor.process(d[0], delivery_id=d[1], lease_seconds=60),
                deliveries,
            )
        )

    assert ProcessingOutcome.FAILED not in outcomes
    assert outcomes.count(ProcessingOutcome.PROCESSED) == PHOTOS
    s3 = stack.client("s3")
    for document in documents:
        stored = repo.get(user_id, document.media_id)
        assert stored is not None
        assert (stored.status, stored.processing_attempts) == (MediaStatus.READY, 1)
        processed = [
            e for e in publisher.of_type("Media Processed") if e.media_id == document.media_id
        ]
        assert len(processed) == 1
        listed = s3.list_objects_v2(
            Bucket=quiet_bucket, Prefix=f"derived/{user_id}/{document.media_id}/"
        )
        assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(
            r.key for r in stored.renditions
        )


def test_a_dead_lettered_event_is_processed_after_redrive(
    stack: LocalStack, db: Database, new_climber: Callable[..., Climber]
) -> None:
    assert stack.settings is not None and stack.queues is not None
    climber = new_climber("redrive")
    grant = climber.api.post("/media/uploads", {"content_type": "image/jpeg", "size": 2000})
    data = photo("jpeg", (100, 75))
    posted = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": ("p.jpg", data, "image/jpeg")},
        timeout=30,
    )
    assert posted.status_code == 204
    media_id = grant["media_id"]
    repo = MediaRepository(db)
    ready = _wait_for(lambda: repo.get(climber.sub, media_id), MediaStatus.READY)

    # The state an outage leaves: ingested, its Media Uploaded delivery dead-lettered.
    db.media.update_one(
        {"_id": media_id},
        {"$set": {"status": "uploaded", "renditions": [], "processed_event_published": False}},
    )
    envelope: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": MediaUploaded.DETAIL_TYPE,
        "source": "boulderstat.media",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": stack.settings.region,
        "resources": [],
        "detail": json.loads(uploaded_event(ready, datetime.now(UTC)).model_dump_json()),
    }
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.queues.thumbnail_dlq, MessageBody=json.dumps(envelope))

    moved = stack.redrive()
    assert moved[stack.queues.thumbnail.rsplit("/", 1)[-1]] == 1
    again = _wait_for(lambda: repo.get(climber.sub, media_id), MediaStatus.READY, published=True)
    assert again.renditions and again.processed_event_published
    dlq = sqs.get_queue_attributes(
        QueueUrl=stack.queues.thumbnail_dlq, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "0"


def _wait_for(
    read: Callable[[], MediaDocument | None],
    status: MediaStatus,
    timeout: float = 60,
    *,
    published: bool = False,
) -> MediaDocument:
    """`published`: also wait for the outbox flag (set just after the event went out)."""
    deadline = time.monotonic() + timeout
    while True:
        document = read()
        if (
            document is not None
            and document.status == status
            and (document.processed_event_published or not published)
        ):
            return document
        assert time.monotonic() < deadline, document
        time.sleep(0.2)


def test_a_duplicate_never_republishes_what_the_finishing_delivery_is_publishing(
    stack: LocalStack, db: Database, quiet_bucket: str
) -> None:
    """Between `ready` and its outbox flag, the winner is publishing: a duplicate stays quiet."""
    assert stack.settings is not None
    repo = MediaRepository(db)
    publisher = RecordingPublisher()
    processor = MediaProcessor(
        repo,
        MediaStorage(stack.client("s3"), quiet_bucket),
        publisher,
        stack.settings.with_overrides(media_bucket=quiet_bucket),
    )
    user_id = f"outbox-{uuid.uuid4().hex[:8]}"
    document = _uploaded_photo(stack, repo, quiet_bucket, user_id, (100, 80))
    event = uploaded_event(document, datetime.now(UTC))
    claim = repo.claim_processing(
        user_id, document.media_id, document.etag or "", owner="winner", lease_seconds=60
    )
    assert claim is not None and claim.granted
    ready = repo.mark_ready(
        user_id,
        document.media_id,
        document.etag or "",
        renditions=[],
        metadata=MediaMetadata(width=100, height=80),
        placeholder=None,
    )
    assert ready is not None and not ready.processed_event_published

    assert processor.process(event, delivery_id="duplicate") == ProcessingOutcome.BUSY
    assert publisher.events == []
    # The winner's own retry (it died before publishing) completes it; once, with its flag.
    assert processor.process(event, delivery_id="winner") == ProcessingOutcome.REPUBLISHED
    assert processor.process(event, delivery_id="another") == ProcessingOutcome.SKIPPED
    assert [e.media_id for e in publisher.of_type("Media Processed")] == [document.media_id]
