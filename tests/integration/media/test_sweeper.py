"""The sweeper against real S3 (moto) and a MongoDB-protocol server of its own.

The sweeper queries across climbers, so these tests give it a server nobody else writes to
(nx-27017 ignores database names); with MONGODB_URI set, a database of its own instead. Stuck
documents are made the way the pipeline leaves them, then aged by writing older timestamps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from boulderstat.ids import new_id
from boulderstat.local import cli
from boulderstat.local.stack import LocalStack, free_port
from boulderstat.local.subscriber import Subscriber
from boulderstat.local.sweeps import PeriodicSweeps
from boulderstat.media.ingest import IngestService
from boulderstat.media.keys import original_key
from boulderstat.media.models import MediaDocument
from boulderstat.media.processing import MAX_ATTEMPTS, MediaProcessor
from boulderstat.media.repository import MediaRepository, ScanPositions
from boulderstat.media.status import MediaStatus
from boulderstat.media.storage import MediaStorage
from boulderstat.media.sweeper import MediaSweeper, web_rendition_deadline
from boulderstat.media.web_rendition import WebRenditionMaker
from boulderstat.settings import Settings
from boulderstat.time_budget import TimeBudget
from tests import media_factory
from tests.conftest import Climber
from tests.integration.media.conftest import (
    RecordingPublisher,
    received,
    settle,
    upload,
    uploads_delivered,
)
from tests.unit.media.sample_files import photo

USER = "5a0c7e21-3b4d-4f6a-8e9b-1c2d3e4f5a6b"
OTHER = "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
LONG_AGO = timedelta(hours=2)


@pytest.fixture(scope="module")
def own_db() -> Iterator[Database]:
    if os.environ.get("MONGODB_URI"):
        client: MongoClient = MongoClient(os.environ["MONGODB_URI"])
        name = f"sweeper_{uuid.uuid4().hex[:8]}"
        yield client[name]
        client.drop_database(name)
        return
    port = free_port()
    executable = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or "nx-27017"
    server = subprocess.Popen(
        [executable, "--db", "memory", "--host", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
        client.admin.command("ping")
        yield client["boulderstat_sweeper"]
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def sweep_db(own_db: Database) -> Database:
    for name in ("media", "sweeper"):
        own_db[name].delete_many({})
    return own_db


@pytest.fixture
def repo(sweep_db: Database) -> MediaRepository:
    return MediaRepository(sweep_db)


@pytest.fixture
def storage(stack: LocalStack) -> MediaStorage:
    """A bucket of its own without notifications: only the sweeper acts on it."""
    name = f"sweeper-{uuid.uuid4().hex[:8]}"
    s3 = stack.client("s3")
    assert stack.settings is not None
    s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    return MediaStorage(s3, name)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


Sweeper = Callable[..., MediaSweeper]


@pytest.fixture
def sweeper(
    repo: MediaRepository,
    storage: MediaStorage,
    publisher: RecordingPublisher,
    sweep_db: Database,
    settings: Settings,
) -> Sweeper:
    def make(clock: Callable[[], datetime] = lambda: datetime.now(UTC), **overrides: Any):
        tuned = settings.with_overrides(media_bucket=storage.bucket, **overrides)
        return MediaSweeper(
            repo,
            storage,
            publisher,
            IngestService(repo, storage, publisher, tuned),
            MediaProcessor(repo, storage, publisher, tuned),
            WebRenditionMaker(repo, storage, publisher, tuned),
            ScanPositions(sweep_db),
            tuned,
            clock=clock,
        )

    return make


def sweep(made: MediaSweeper) -> dict[str, int]:
    report = made.sweep(TimeBudget(60))
    assert report.errors == [] and report.finished
    return report.counts


Media = Callable[..., MediaDocument]


@pytest.fixture
def media(repo: MediaRepository, storage: MediaStorage, sweep_db: Database) -> Media:
    """A document in `status` that nothing touched for `age`, with its original if `stored`."""

    def make(
        status: MediaStatus,
        *,
        age: timedelta = LONG_AGO,
        stored: bool = True,
        pending_ttl: timedelta = timedelta(days=1),
        **fields: Any,
    ) -> MediaDocument:
        media_id = new_id()
        then = datetime.now(UTC) - age
        key = original_key(USER, media_id, "jpg")
        document = MediaDocument(
            media_id=media_id,
            user_id=USER,
            status=MediaStatus.PENDING,
            kind="photo",
            content_type="image/jpeg",
            declared_size=100_000,
            bucket=storage.bucket,
            key=key,
            created_at=then,
            updated_at=then,
            expires_at=then + timedelta(minutes=5),
            pending_expires_at=then + pending_ttl,
        )
        repo.create_pending(document)
        changes: dict[str, Any] = {"status": status.value, **fields}
        if stored:
            body = photo("jpeg")
            etag = storage._s3.put_object(
                Bucket=storage.bucket, Key=key, Body=body, ContentType="image/jpeg"
            )["ETag"].strip('"')
            if status != MediaStatus.PENDING:
                changes |= {"etag": etag, "size": len(body), "format": "jpeg", "uploaded_at": then}
        elif status != MediaStatus.PENDING:
            changes |= {"etag": "0" * 32, "size": 1, "format": "jpeg", "uploaded_at": then}
        if status != MediaStatus.PENDING:
            changes["pending_expires_at"] = None
        if status == MediaStatus.PROCESSING:
            changes.setdefault("processing_attempts", 1)
            changes["processing_started_at"] = then
        if status == MediaStatus.READY:  # finished, its event out (unless a test says not)
            changes.setdefault("metadata", {"width": 64, "height": 48, "animated": False})
            changes.setdefault("processed_at", then)
            changes.setdefault("processed_event_published", True)
        if status == MediaStatus.FAILED:
            reason = "The file is damaged."
            changes.setdefault(
                "failure", {"phase": "processing", "reason": reason, "failed_at": then}
            )
            changes.setdefault("failed_event_published", True)
        sweep_db.media.update_one({"_id": media_id}, {"$set": changes})
        found = repo.get(USER, media_id)
        assert found is not None
        return found

    return make


def age(sweep_db: Database, document: MediaDocument, by: timedelta = LONG_AGO) -> None:
    """Makes a document look untouched for `by` (what time does between scheduled runs)."""
    sweep_db.media.update_one(
        {"_id": document.media_id}, {"$set": {"updated_at": datetime.now(UTC) - by}}
    )


def now(repo: MediaRepository, document: MediaDocument) -> MediaDocument:
    found = repo.get(document.user_id, document.media_id)
    assert found is not None
    return found


# ------------------------------------------------------------------------------ pending


def test_an_upload_whose_notification_was_lost_is_ingested(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    lost = media(MediaStatus.PENDING)  # the original is in the bucket, ingest never ran

    assert sweep(sweeper()) == {"ingested": 1}

    after = now(repo, lost)
    assert (after.status, after.format, after.pending_expires_at) == ("uploaded", "jpeg", None)
    (uploaded,) = publisher.of_type("Media Uploaded")
    assert (uploaded.media_id, uploaded.etag) == (lost.media_id, after.etag)


def test_pending_grants_wait_for_their_upload_and_expire_after_the_ttl(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    fresh = media(MediaStatus.PENDING, age=timedelta(minutes=1), stored=False)
    in_flight = media(MediaStatus.PENDING, age=timedelta(minutes=16), stored=False)
    waiting = media(MediaStatus.PENDING, stored=False)
    abandoned = media(MediaStatus.PENDING, stored=False, pending_ttl=timedelta(hours=1))

    assert sweep(sweeper()) == {"waiting": 1, "expired": 1}

    assert now(repo, fresh) == fresh and now(repo, in_flight) == in_flight
    assert now(repo, waiting).status == "pending" and now(repo, waiting).sweeps == 1
    assert repo.get(USER, abandoned.media_id) is None
    assert publisher.events == []


# ------------------------------------------------------------------------------ stuck


def test_uploaded_media_whose_event_was_lost_is_redriven_once_per_stuck_period(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    stuck = media(MediaStatus.UPLOADED)
    recent = media(MediaStatus.UPLOADED, age=timedelta(minutes=5))

    assert sweep(sweeper()) == {"redriven": 1}
    assert sweep(sweeper()) == {}  # re-driven just now: not stuck again yet

    (event,) = publisher.of_type("Media Uploaded")
    assert (event.media_id, event.etag, event.key) == (stuck.media_id, stuck.etag, stuck.key)
    after = now(repo, stuck)
    assert (after.status, after.sweeps, after.uploaded_event_published) == ("uploaded", 1, True)
    assert now(repo, recent) == recent


def test_media_that_stays_stuck_fails_after_the_last_redrive(
    media: Media,
    sweeper: Sweeper,
    repo: MediaRepository,
    publisher: RecordingPublisher,
    sweep_db: Database,
) -> None:
    stuck = media(MediaStatus.PROCESSING)
    for _ in range(2):
        assert sweep(sweeper(sweep_max_redrives=2)) == {"redriven": 1}
        age(sweep_db, stuck)

    assert sweep(sweeper(sweep_max_redrives=2)) == {"failed": 1}

    after = now(repo, stuck)
    assert after.status == "failed" and after.failure is not None
    assert after.failure.phase == "processing"
    assert "upload it again" in after.failure.reason.lower()
    assert len(publisher.of_type("Media Uploaded")) == 2
    (failed,) = publisher.of_type("Media Processing Failed")
    assert (failed.media_id, failed.phase, failed.reason) == (
        stuck.media_id,
        "processing",
        after.failure.reason,
    )
    assert after.failed_event_published


def test_stuck_media_whose_original_is_gone_fails_with_a_reason(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    uploaded = media(MediaStatus.UPLOADED, stored=False)
    processing = media(MediaStatus.PROCESSING, stored=False)

    assert sweep(sweeper()) == {"failed": 2}

    for document in (uploaded, processing):
        failure = now(repo, document).failure
        assert failure is not None and "no longer there" in failure.reason
    assert {e.media_id for e in publisher.of_type("Media Processing Failed")} == {
        uploaded.media_id,
        processing.media_id,
    }
    assert publisher.of_type("Media Uploaded") == []


def test_a_version_processing_already_claimed_max_attempts_times_fails(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    crashing = media(MediaStatus.PROCESSING, processing_attempts=MAX_ATTEMPTS)

    assert sweep(sweeper()) == {"failed": 1}
    assert now(repo, crashing).status == "failed"
    assert publisher.of_type("Media Uploaded") == []


def test_ready_and_failed_media_whose_events_went_out_are_never_touched(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    done = [media(MediaStatus.READY), media(MediaStatus.FAILED)]
    assert sweep(sweeper()) == {}
    assert [now(repo, d) for d in done] == done and publisher.events == []


def test_a_finished_version_whose_event_was_lost_gets_it_published_once(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    ready = media(MediaStatus.READY, processed_event_published=False)
    failed = media(MediaStatus.FAILED, failed_event_published=False)
    then = datetime.now(UTC) - LONG_AGO
    rejection = {"phase": "ingest", "reason": "The file is empty", "failed_at": then}
    rejected = media(MediaStatus.FAILED, failure=rejection, failed_event_published=False)

    assert sweep(sweeper()) == {"published": 3}
    assert sweep(sweeper()) == {}

    (processed,) = publisher.of_type("Media Processed")
    assert (processed.media_id, processed.etag, processed.width) == (ready.media_id, ready.etag, 64)
    failures = {e.media_id: e.phase for e in publisher.of_type("Media Processing Failed")}
    assert failures == {failed.media_id: "processing", rejected.media_id: "ingest"}
    assert now(repo, ready).processed_event_published
    assert now(repo, failed).failed_event_published and now(repo, rejected).failed_event_published


def test_two_concurrent_sweeps_act_on_each_stuck_item_exactly_once(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    stuck = [media(MediaStatus.UPLOADED) for _ in range(8)]
    stuck += [media(MediaStatus.PROCESSING, stored=False) for _ in range(4)]
    start = threading.Barrier(2)
    reports: list[dict[str, int]] = []

    def run() -> None:
        made = sweeper()
        start.wait()
        reports.append(sweep(made))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r.get("redriven", 0) for r in reports) == 8
    assert sum(r.get("failed", 0) for r in reports) == 4
    redriven = [e.media_id for e in publisher.of_type("Media Uploaded")]
    failed = [e.media_id for e in publisher.of_type("Media Processing Failed")]
    assert sorted(redriven) == sorted(d.media_id for d in stuck[:8])
    assert sorted(failed) == sorted(d.media_id for d in stuck[8:])
    assert all(now(repo, d).sweeps == 1 for d in stuck)


# ------------------------------------------------------------------------------ web renditions

POSTER = {
    "name": "poster-w320",
    "key": "derived/poster-w320.webp",
    "width": 64,
    "height": 48,
    "bytes": 1000,
    "format": "webp",
}
WEB = {**POSTER, "name": "web", "key": "derived/web.mp4", "bytes": 9000, "format": "mp4"}


def video(media: Media, web: dict[str, Any], **fields: Any) -> MediaDocument:
    """A ready video, poster made, its web rendition in the state `web` says."""
    return media(
        MediaStatus.READY,
        kind="video",
        renditions=[POSTER, *fields.pop("renditions", [])],
        placeholder="abc",
        web_rendition={"status": "pending", "attempts": 0, "event_published": False, **web},
        **fields,
    )


def test_the_web_rendition_deadline_is_every_run_of_its_function_plus_slack() -> None:
    # web_rendition runs once and Lambda retries it once (serverless.yml), each up to its
    # timeout; ten minutes more for the retry's pause and the event's delivery.
    assert web_rendition_deadline(Settings(web_rendition_timeout_seconds=900)) == timedelta(
        minutes=40
    )
    assert web_rendition_deadline(Settings(web_rendition_timeout_seconds=60)) == timedelta(
        minutes=12
    )


def test_a_web_rendition_whose_event_was_lost_is_redriven_past_its_deadline(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    lost = video(media, {"status": "pending"})  # Media Processed went to a dead-letter queue
    died = video(media, {"status": "processing", "attempts": 1})  # web_rendition was killed
    running = video(media, {"status": "processing", "attempts": 1}, age=timedelta(minutes=30))

    # A 2 h old one is still within the runs of a function with a one-hour timeout.
    assert sweep(sweeper(web_rendition_timeout_seconds=3600)) == {}
    assert sweep(sweeper()) == {"web_rendition_redriven": 2}
    assert sweep(sweeper()) == {}  # re-driven just now: not stuck again yet

    redriven = {e.media_id: e for e in publisher.of_type("Media Processed")}
    assert set(redriven) == {lost.media_id, died.media_id}
    for document in (lost, died):
        event = redriven[document.media_id]
        assert (event.etag, event.web_rendition, event.kind) == (document.etag, "pending", "video")
        assert [r.name for r in event.renditions] == ["poster-w320"]
        after = now(repo, document)
        assert after.status == "ready" and after.renditions == document.renditions
        assert after.web_rendition is not None and after.web_rendition.redrives == 1
        assert after.web_rendition.status == document.web_rendition.status  # type: ignore[union-attr]
    assert now(repo, running) == running
    assert publisher.of_type("Media Web Rendition Failed") == []


def test_a_web_rendition_that_stays_stuck_fails_alone_keeping_the_poster(
    media: Media,
    sweeper: Sweeper,
    repo: MediaRepository,
    publisher: RecordingPublisher,
    sweep_db: Database,
) -> None:
    stuck = video(media, {"status": "pending"})
    crashing = video(media, {"status": "processing", "attempts": 3})  # three runs died
    gone = video(media, {"status": "pending"}, stored=False)  # its original was removed
    # First run: one re-drive; the crashing one and the one without its original fail at once.
    assert sweep(sweeper(sweep_max_redrives=2)) == {
        "web_rendition_redriven": 1,
        "web_rendition_failed": 2,
    }
    age(sweep_db, stuck)
    assert sweep(sweeper(sweep_max_redrives=2)) == {"web_rendition_redriven": 1}
    age(sweep_db, stuck)
    assert sweep(sweeper(sweep_max_redrives=2)) == {"web_rendition_failed": 1}
    assert sweep(sweeper(sweep_max_redrives=2)) == {}

    failed = {e.media_id: e for e in publisher.of_type("Media Web Rendition Failed")}
    assert set(failed) == {stuck.media_id, crashing.media_id, gone.media_id}
    reasons = {
        stuck.media_id: "could not start making a web version",
        crashing.media_id: "after several attempts",
        gone.media_id: "no longer there",
    }
    for document in (stuck, crashing, gone):
        after = now(repo, document)
        web = after.web_rendition
        assert web is not None and web.status == "failed" and web.event_published
        assert reasons[document.media_id] in (web.reason or "")
        assert failed[document.media_id].reason == web.reason
        # The first view is never lost: still ready, with its poster and placeholder.
        assert (after.status, after.renditions, after.placeholder) == (
            "ready",
            document.renditions,
            "abc",
        )
    assert len(publisher.of_type("Media Processed")) == 2  # the two re-drives of `stuck`


def test_a_finished_web_rendition_whose_event_was_lost_gets_it_published_once(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    made = video(media, {"status": "ready", "finished_at": datetime.now(UTC)}, renditions=[WEB])
    reason = "The video is damaged."
    failed = video(media, {"status": "failed", "reason": reason, "finished_at": datetime.now(UTC)})
    done = video(media, {"status": "ready", "event_published": True}, renditions=[WEB])

    assert sweep(sweeper()) == {"published": 2}
    assert sweep(sweeper()) == {}

    (ready,) = publisher.of_type("Media Web Rendition Ready")
    assert (ready.media_id, ready.rendition.name) == (made.media_id, "web")
    (failure,) = publisher.of_type("Media Web Rendition Failed")
    assert (failure.media_id, failure.reason) == (failed.media_id, reason)
    for document in (made, failed):
        assert now(repo, document).web_rendition.event_published  # type: ignore[union-attr]
    assert now(repo, done) == done
    assert publisher.of_type("Media Processed") == []


def test_two_concurrent_sweeps_redrive_each_stuck_web_rendition_exactly_once(
    media: Media, sweeper: Sweeper, repo: MediaRepository, publisher: RecordingPublisher
) -> None:
    stuck = [video(media, {"status": "pending"}) for _ in range(6)]
    stuck += [video(media, {"status": "processing", "attempts": 3}) for _ in range(3)]
    start = threading.Barrier(2)
    reports: list[dict[str, int]] = []

    def run() -> None:
        made = sweeper()
        start.wait()
        reports.append(sweep(made))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(reports) == 2
    assert sum(r.get("web_rendition_redriven", 0) for r in reports) == 6
    assert sum(r.get("web_rendition_failed", 0) for r in reports) == 3
    redriven = [e.media_id for e in publisher.of_type("Media Processed")]
    failed = [e.media_id for e in publisher.of_type("Media Web Rendition Failed")]
    assert sorted(redriven) == sorted(d.media_id for d in stuck[:6])
    assert sorted(failed) == sorted(d.media_id for d in stuck[6:])
    assert all(now(repo, d).web_rendition.redrives == 1 for d in stuck)  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ orphans


def _put(storage: MediaStorage, key: str) -> None:
    storage._s3.put_object(Bucket=storage.bucket, Key=key, Body=photo("jpeg"))


def _keys(storage: MediaStorage) -> set[str]:
    listed = storage._s3.list_objects_v2(Bucket=storage.bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_originals_no_document_names_are_removed_once_old_enough(
    media: Media, sweeper: Sweeper, storage: MediaStorage
) -> None:
    kept = media(MediaStatus.READY)
    deleted_media = original_key(USER, new_id(), "jpg")  # its document was deleted
    wrong_owner = original_key(OTHER, kept.media_id, "jpg")  # names another climber's media
    wrong_extension = kept.key.removesuffix(".jpg") + ".png"
    foreign = f"uploads/{USER}/notes.txt"  # not our layout: not ours to judge
    for key in (deleted_media, wrong_owner, wrong_extension, foreign):
        _put(storage, key)

    assert sweep(sweeper()) == {}  # all younger than the minimum age
    later = datetime.now(UTC) + timedelta(hours=2)
    assert sweep(sweeper(clock=lambda: later)) == {"orphan_removed": 3}

    assert _keys(storage) == {kept.key, foreign}


def test_renditions_of_deleted_media_and_replaced_versions_are_removed(
    media: Media, sweeper: Sweeper, storage: MediaStorage
) -> None:
    kept = media(MediaStatus.READY)
    current = f"derived/{USER}/{kept.media_id}/{kept.etag}/320.webp"
    replaced = f"derived/{USER}/{kept.media_id}/{'e' * 32}/320.webp"
    deleted = f"derived/{USER}/{new_id()}/{'d' * 32}/poster-320.webp"
    other_owner = f"derived/{OTHER}/{kept.media_id}/{kept.etag}/320.webp"
    foreign = f"derived/{USER}/notes.txt"
    for key in (current, replaced, deleted, other_owner, foreign):
        _put(storage, key)

    assert sweep(sweeper()) == {}  # all younger than the minimum age
    later = datetime.now(UTC) + timedelta(hours=2)
    assert sweep(sweeper(clock=lambda: later)) == {"orphan_rendition_removed": 3}

    assert _keys(storage) == {kept.key, current, foreign}


def test_the_orphan_scan_resumes_where_the_previous_run_stopped(
    sweeper: Sweeper, storage: MediaStorage
) -> None:
    orphans = sorted(original_key(USER, new_id(), "jpg") for _ in range(5))
    for key in orphans:
        _put(storage, key)
    later = datetime.now(UTC) + timedelta(hours=2)
    bounded = sweeper(clock=lambda: later, sweep_orphan_keys_per_run=2)

    assert [sweep(bounded) for _ in range(3)] == [{"orphan_removed": n} for n in (2, 2, 1)]
    assert _keys(storage) == set()


# ------------------------------------------------------------------------------ local schedule


def test_the_local_schedule_invokes_the_sweeper_with_a_scheduled_event() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    called = threading.Event()

    def invoke(name: str, event: dict[str, Any]) -> None:
        calls.append((name, event))
        called.set()

    schedule = PeriodicSweeps(invoke, region="eu-west-1", rule="r", interval=0.05)
    schedule.start()
    try:
        assert called.wait(5)
    finally:
        schedule.stop()
    name, event = calls[0]
    assert name == "sweeper"
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "aws.events",
        "Scheduled Event",
        {},
    )
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/r"]


def test_a_paused_schedule_starts_no_run_until_resumed() -> None:
    called = threading.Event()
    schedule = PeriodicSweeps(
        lambda name, event: called.set(), region="eu-west-1", rule="r", interval=0.01
    )
    try:
        with schedule.paused():
            schedule.start()
            assert not called.wait(0.5)  # fifty intervals: none ran
        assert called.wait(5)
    finally:
        schedule.stop()


# ------------------------------------------------------------------------------ on the stack


def test_an_upload_landing_after_its_pending_media_was_deleted_is_removed(
    stack: LocalStack, alice: Climber, settings: Settings, events_of: Callable[[str], Subscriber]
) -> None:
    events = events_of(alice.sub)
    data = photo("jpeg")
    grant = alice.api.post(
        "/media/uploads", {"content_type": "image/jpeg", "size": len(data), "filename": "a.jpg"}
    )
    alice.api.delete(f"/media/{grant['media_id']}")  # while the grant is still valid

    upload(grant, data)
    uploads_delivered(stack)

    key = grant["upload"]["fields"]["key"]
    listed = stack.client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix=key)
    assert listed["KeyCount"] == 0
    settle(stack, events, alice.sub)
    assert received(events, "Media Uploaded", grant["media_id"]) == []


def test_the_sweeper_function_redrives_a_dead_lettered_upload_through_the_pipeline(
    stack: LocalStack,
    alice: Climber,
    db: Database,
    events_of: Callable[[str], Subscriber],
    tmp_path: Path,
) -> None:
    events = events_of(alice.sub)
    data = photo("jpeg", size=(320, 240))
    grant = alice.api.post(
        "/media/uploads", {"content_type": "image/jpeg", "size": len(data), "filename": "a.jpg"}
    )
    media_id = grant["media_id"]
    upload(grant, data)
    events.wait_for(lambda e: received(events, "Media Processed", media_id) != [])
    # As if `Media Uploaded` had gone to the dead-letter queue an hour ago.
    db.media.update_one(
        {"_id": media_id},
        {
            "$set": {
                "status": "uploaded",
                "renditions": [],
                "processed_event_published": False,
                "updated_at": datetime.now(UTC) - LONG_AGO,
            }
        },
    )
    assert alice.api.get(f"/media/{media_id}")["status"] == "uploaded"

    # What `boulderstat local sweep` does against a running stack (which also runs it every
    # minute): the sweeper function, in-process, with the stack's environment.
    (tmp_path / "stack.json").write_text(json.dumps(stack.environment()))
    assert cli.main(["local", "sweep", "--data-dir", str(tmp_path)]) == 0

    events.wait_for(lambda e: len(received(events, "Media Processed", media_id)) == 2)
    assert len(received(events, "Media Uploaded", media_id)) == 2
    assert alice.api.get(f"/media/{media_id}")["status"] == "ready"


def test_the_sweeper_function_redrives_a_lost_web_rendition_then_fails_one_that_keeps_dying(
    stack: LocalStack,
    alice: Climber,
    db: Database,
    events_of: Callable[[str], Subscriber],
    tmp_path: Path,
) -> None:
    """Under the sweeper's own IAM role: it may publish `Media Processed` (which runs
    web_rendition again) and `Media Web Rendition Failed`. Whichever sweep gets there (this one
    or the stack's scheduled one), each stuck step is acted on exactly once."""
    events = events_of(alice.sub)
    clip = media_factory.hevc_mov(tmp_path / "iphone.mov")  # needs a web rendition
    grant = alice.api.post(
        "/media/uploads",
        {"content_type": "video/quicktime", "size": clip.stat().st_size, "filename": "a.mov"},
    )
    media_id = grant["media_id"]
    upload(grant, clip.read_bytes())

    def web_events(detail_type: str) -> list[Any]:
        return received(events, detail_type, media_id)

    events.wait_for(lambda e: web_events("Media Web Rendition Ready") != [], timeout=90)
    made = db.media.find_one({"_id": media_id})
    poster_only = [r for r in made["renditions"] if r["name"] != "web"]
    # As if web_rendition had been killed mid-transcode an hour ago, and its retry too.
    db.media.update_one(
        {"_id": media_id},
        {
            "$set": {
                "renditions": poster_only,
                "web_rendition": {"status": "processing", "attempts": 2, "event_published": False},
                "updated_at": datetime.now(UTC) - LONG_AGO,
            }
        },
    )
    (tmp_path / "stack.json").write_text(json.dumps(stack.environment()))
    assert cli.main(["local", "sweep", "--data-dir", str(tmp_path)]) == 0

    events.wait_for(lambda e: len(web_events("Media Web Rendition Ready")) == 2, timeout=90)
    assert len(web_events("Media Processed")) == 2
    view = alice.api.get(f"/media/{media_id}")
    assert view["status"] == "ready" and view["web_rendition"]["status"] == "ready"

    # Killed again, after its last attempt: the sweeper fails just the web rendition.
    db.media.update_one(
        {"_id": media_id},
        {
            "$set": {
                "renditions": poster_only,
                "web_rendition": {"status": "processing", "attempts": 3, "event_published": False},
                "updated_at": datetime.now(UTC) - LONG_AGO,
            }
        },
    )
    assert cli.main(["local", "sweep", "--data-dir", str(tmp_path)]) == 0

    (failed,) = [events.wait_for(lambda e: web_events("Media Web Rendition Failed") != [])]
    settle(stack, events, alice.sub)
    assert len(web_events("Media Web Rendition Failed")) == 1
    assert len(web_events("Media Processed")) == 2  # no re-drive after the last attempt
    view = alice.api.get(f"/media/{media_id}")
    assert view["status"] == "ready" and view["web_rendition"]["status"] == "failed"
    assert view["web_rendition"]["reason"] == failed["detail"]["reason"]
    assert {r["name"] for r in view["renditions"]} == {r["name"] for r in poster_only}
