"""State transitions of the media document against the MongoDB-protocol server."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from boulderstat.ids import new_id
from boulderstat.media.models import MediaDocument, MediaMetadata, ObjectVersion, Rendition
from boulderstat.media.repository import MediaRepository
from boulderstat.media.status import MediaStatus

V1 = ObjectVersion.of('"etag-1"', "0055AB01")
V2 = ObjectVersion.of("etag-2", "0055AB02")
RENDITIONS = [
    Rendition(
        name="w320", key="derived/u/m/w320.webp", width=320, height=240, bytes=1234, format="webp"
    )
]
METADATA = MediaMetadata(width=640, height=480, camera="phone")  # type: ignore[call-arg]


def _fresh(repo: MediaRepository, document: MediaDocument) -> MediaDocument:
    found = repo.get(document.user_id, document.media_id)
    assert found is not None
    return found


@pytest.fixture
def repo(db: Database) -> MediaRepository:
    repository = MediaRepository(db)
    repository.ensure_indexes()
    return repository


@pytest.fixture
def pending(repo: MediaRepository) -> Callable[..., MediaDocument]:
    def make(user_id: str = "user-a", **changes: object) -> MediaDocument:
        media_id = new_id()
        now = datetime.now(UTC)
        document = MediaDocument(
            media_id=media_id,
            user_id=user_id,
            status=MediaStatus.PENDING,
            kind="photo",
            content_type="image/jpeg",
            declared_size=1000,
            bucket="bucket",
            key=f"uploads/{user_id}/{media_id}.jpg",
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(minutes=5),
            pending_expires_at=now + timedelta(days=1),
            **changes,
        )
        repo.create_pending(document)
        return document

    return make


def test_pending_document_round_trips_and_is_scoped_to_its_owner(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending(filename="wall.jpg", climb_id="c1")
    assert repo.get("user-a", document.media_id) == document
    assert repo.get("user-b", document.media_id) is None
    assert not repo.delete("user-b", document.media_id)
    assert repo.get("user-a", document.media_id) is not None
    assert repo.delete("user-a", document.media_id)
    assert repo.get("user-a", document.media_id) is None


def test_upload_records_the_version_and_ends_the_ttl(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    uploaded = repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    assert uploaded is not None
    assert uploaded.status == MediaStatus.UPLOADED
    assert (uploaded.etag, uploaded.sequencer) == ("etag-1", V1.sequencer)
    assert (uploaded.size, uploaded.format) == (900, "jpeg")
    assert uploaded.pending_expires_at is None
    assert uploaded.uploaded_at is not None and uploaded.uploaded_at.tzinfo is not None
    # The same version again (a duplicate delivery) changes nothing.
    assert repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg") is None
    # Another user cannot record on it, whatever they claim to have read.
    forged = _fresh(repo, document).model_copy(update={"user_id": "user-b"})
    assert repo.record_upload(forged, V2, size=1, format="jpeg") is None
    assert _fresh(repo, document) == uploaded


def test_a_writer_that_read_an_older_revision_changes_nothing(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    seen_by_both = _fresh(repo, document)
    first = repo.record_upload(seen_by_both, V1, size=900, format="jpeg")
    assert first is not None and first.revision == seen_by_both.revision + 1
    assert repo.record_rejection(seen_by_both, V2, size=1, reason="late writer") is None
    assert _fresh(repo, document) == first


def test_full_lifecycle_to_ready(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    assert repo.claim_processing("user-a", document.media_id, "etag-other") is None
    assert repo.claim_processing("user-b", document.media_id, "etag-1") is None
    claim = repo.claim_processing("user-a", document.media_id, '"etag-1"', owner="delivery-1")
    assert claim is not None and claim.granted
    claimed = claim.document
    assert (claimed.status, claimed.processing_attempts) == (MediaStatus.PROCESSING, 1)
    assert claimed.processing_lease_owner == "delivery-1"
    # The same delivery retried after its attempt failed takes over again, uncounted.
    again = repo.claim_processing("user-a", document.media_id, "etag-1", owner="delivery-1")
    assert again is not None and again.granted and again.document.processing_attempts == 1

    ready = repo.mark_ready(
        "user-a",
        document.media_id,
        "etag-1",
        renditions=RENDITIONS,
        metadata=METADATA,
        placeholder="3OcRJYB4d3h/iIeHeEh3eIhw+j2w",
    )
    assert ready is not None
    assert ready.status == MediaStatus.READY
    assert ready.renditions == RENDITIONS
    assert ready.metadata is not None and ready.metadata.model_dump()["camera"] == "phone"
    assert ready.placeholder == "3OcRJYB4d3h/iIeHeEh3eIhw+j2w"
    assert ready.processed_at is not None

    # Nothing moves a ready document backwards for the same version.
    assert repo.claim_processing("user-a", document.media_id, "etag-1") is None
    assert repo.mark_failed("user-a", document.media_id, "etag-1", reason="late") is None
    assert repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg") is None
    assert (
        repo.mark_ready(
            "user-a",
            document.media_id,
            "etag-1",
            renditions=[],
            metadata=METADATA,
            placeholder=None,
        )
        is None
    )
    assert repo.get("user-a", document.media_id) == ready


def test_mark_ready_requires_a_claim(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    assert (
        repo.mark_ready(
            "user-a",
            document.media_id,
            "etag-1",
            renditions=[],
            metadata=METADATA,
            placeholder=None,
        )
        is None
    )


def test_failure_is_terminal_for_that_version(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    repo.claim_processing("user-a", document.media_id, "etag-1")
    failed = repo.mark_failed("user-a", document.media_id, "etag-1", reason="cannot decode")
    assert failed is not None and failed.status == MediaStatus.FAILED
    assert failed.failure is not None
    assert (failed.failure.phase, failed.failure.reason) == ("processing", "cannot decode")
    assert repo.claim_processing("user-a", document.media_id, "etag-1") is None
    assert repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg") is None
    assert (
        repo.mark_ready(
            "user-a",
            document.media_id,
            "etag-1",
            renditions=[],
            metadata=METADATA,
            placeholder=None,
        )
        is None
    )


def test_rejection_at_ingest(repo: MediaRepository, pending: Callable[..., MediaDocument]) -> None:
    document = pending()
    rejected = repo.record_rejection(_fresh(repo, document), V1, size=5000, reason="big")
    assert rejected is not None
    assert rejected.status == MediaStatus.FAILED
    assert rejected.failure is not None and rejected.failure.phase == "ingest"
    assert (rejected.etag, rejected.size, rejected.pending_expires_at) == ("etag-1", 5000, None)
    assert repo.record_rejection(_fresh(repo, document), V1, size=5000, reason="x") is None
    assert repo.record_upload(_fresh(repo, document), V1, size=5000, format="jpeg") is None


def test_only_a_newer_version_starts_over(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V2, size=900, format="jpeg")
    # An older sequencer arriving late never replaces the newer version.
    assert repo.record_upload(_fresh(repo, document), V1, size=1, format="png") is None
    assert repo.record_rejection(_fresh(repo, document), V1, size=1, reason="x") is None
    repo.claim_processing("user-a", document.media_id, "etag-2")
    repo.mark_ready(
        "user-a",
        document.media_id,
        "etag-2",
        renditions=RENDITIONS,
        metadata=METADATA,
        placeholder=None,
    )
    repo.mark_event_published("user-a", document.media_id, "etag-2", "uploaded")
    # A re-upload with the same grant (newer sequencer) replaces the original: start over.
    v3 = ObjectVersion.of("etag-3", "0055AB0301")
    fresh = repo.record_upload(_fresh(repo, document), v3, size=800, format="png")
    assert fresh is not None
    assert (fresh.status, fresh.etag, fresh.format) == (MediaStatus.UPLOADED, "etag-3", "png")
    assert fresh.renditions == [] and fresh.metadata is None
    assert not fresh.uploaded_event_published and fresh.processing_attempts == 0


def test_without_sequencers_etags_decide(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    """moto sends no sequencer: a different ETag (checked to be the current object) is newer."""
    document = pending()
    a, b = ObjectVersion.of("etag-a", None), ObjectVersion.of("etag-b", None)
    assert repo.record_upload(_fresh(repo, document), a, size=1, format="jpeg") is not None
    assert repo.record_upload(_fresh(repo, document), a, size=1, format="jpeg") is None
    assert repo.record_upload(_fresh(repo, document), b, size=2, format="jpeg") is not None


def test_outbox_flags_are_per_version(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    assert not repo.mark_event_published("user-a", document.media_id, "etag-0", "uploaded")
    assert not repo.mark_event_published("user-b", document.media_id, "etag-1", "uploaded")
    assert repo.mark_event_published("user-a", document.media_id, "etag-1", "uploaded")
    stored = repo.get("user-a", document.media_id)
    assert stored is not None and stored.uploaded_event_published
    assert not stored.processed_event_published


def test_listing_is_newest_first_per_user_and_climb(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    user = f"user-{new_id()[-8:]}"
    made = [pending(user, climb_id="c1" if i % 2 else None) for i in range(5)]
    pending(f"{user}-other")
    newest_first = [d.media_id for d in reversed(made)]
    assert [d.media_id for d in repo.list_recent(user, limit=10)] == newest_first
    first = repo.list_recent(user, limit=2)
    rest = repo.list_recent(user, limit=10, before_media_id=first[-1].media_id)
    assert [d.media_id for d in first + rest] == newest_first
    on_climb = repo.list_recent(user, limit=10, climb_id="c1")
    assert [d.media_id for d in on_climb] == [made[3].media_id, made[1].media_id]


def test_indexes_include_the_pending_ttl(repo: MediaRepository, db: Database) -> None:
    repo.ensure_indexes()  # idempotent
    indexes = db["media"].index_information().values()
    # Found by key: nx-27017 names indexes its own way.
    (ttl,) = [i for i in indexes if i["key"] == [("pending_expires_at", 1)]]
    assert ttl["expireAfterSeconds"] == 0


def test_sequencers_compare_as_s3_documents_them() -> None:
    """Left-pad the shorter one, then compare as strings (S3 event notification docs)."""
    recorded = MediaDocument.model_validate(
        {
            "media_id": "m", "user_id": "u", "status": "uploaded", "kind": "photo",
            "content_type": "image/jpeg", "declared_size": 1, "bucket": "b", "key": "k",
            "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
            "expires_at": datetime.now(UTC), "etag": "e1", "sequencer": "0055AB02",
        }
    )  # fmt: skip
    assert recorded.is_newer_than_recorded(ObjectVersion.of("e2", "0055AB0301"))  # longer
    assert recorded.is_newer_than_recorded(ObjectVersion.of("e2", "0055ab03"))
    assert not recorded.is_newer_than_recorded(ObjectVersion.of("e2", "55AB01"))
    assert not recorded.is_newer_than_recorded(ObjectVersion.of("e1", "0055AB02"))
    assert recorded.records(ObjectVersion.of('"e1"', "55AB02"))  # same, differently padded
    assert recorded.records(ObjectVersion.of("e1", None))  # moto: no sequencer
    assert not recorded.records(ObjectVersion.of("e2", "0055AB02"))


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_concurrent_duplicate_stands_down_until_the_holders_lease_ends(
    db: Database, pending: Callable[..., MediaDocument]
) -> None:
    clock = _Clock()
    repo = MediaRepository(db, clock=clock)
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    holder = repo.claim_processing(
        "user-a", document.media_id, "etag-1", owner="first", lease_seconds=60
    )
    assert holder is not None and holder.granted
    revision = holder.document.revision

    clock.now += timedelta(seconds=59)
    duplicate = repo.claim_processing("user-a", document.media_id, "etag-1", owner="second")
    assert duplicate is not None and not duplicate.granted
    unchanged = _fresh(repo, document)
    assert (unchanged.revision, unchanged.processing_attempts) == (revision, 1)
    assert unchanged.processing_lease_owner == "first"

    clock.now += timedelta(seconds=2)  # the holder was killed at its deadline
    taken = repo.claim_processing("user-a", document.media_id, "etag-1", owner="second")
    assert taken is not None and taken.granted
    assert (taken.document.processing_attempts, taken.document.processing_lease_owner) == (
        2,
        "second",
    )


def test_a_released_claim_can_be_taken_over_at_once(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    repo.claim_processing("user-a", document.media_id, "etag-1", owner="crashed")
    assert not repo.claim_processing("user-a", document.media_id, "etag-1", owner="b").granted  # type: ignore[union-attr]
    assert repo.release_claim("user-a", document.media_id, "etag-1")
    assert not repo.release_claim("user-b", document.media_id, "etag-1")  # not hers
    taken = repo.claim_processing("user-a", document.media_id, "etag-1", owner="b")
    assert taken is not None and taken.granted


def test_many_concurrent_claims_grant_exactly_one(
    repo: MediaRepository, pending: Callable[..., MediaDocument]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    document = pending()
    repo.record_upload(_fresh(repo, document), V1, size=900, format="jpeg")
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(
            pool.map(
                lambda n: repo.claim_processing(
                    "user-a", document.media_id, "etag-1", owner=f"delivery-{n}"
                ),
                range(8),
            )
        )
    granted = [c for c in claims if c is not None and c.granted]
    assert len(granted) == 1
    stored = _fresh(repo, document)
    assert stored.processing_attempts == 1
    assert stored.processing_lease_owner == granted[0].document.processing_lease_owner
