"""on_object_created driven with S3 events shaped as S3 delivers them (URL-encoded keys,
duplicates, late and foreign records), against the local stack's S3, MongoDB and bus."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote_plus

import pytest
from pymongo.database import Database

from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.media.models import MediaMetadata, ObjectVersion
from boulderstat.media.repository import MediaRepository
from boulderstat.settings import Settings
from tests.conftest import Climber
from tests.integration.media.conftest import (
    deliver,
    received,
    s3_event,
    settle,
    upload,
    uploads_delivered,
)
from tests.unit.media.sample_files import photo


def aws_encoded(key: str) -> str:
    return quote_plus(key, safe="/")


def moto_encoded(key: str) -> str:
    return quote_plus(key, safe="")


def grant_for(climber: Climber, data: bytes) -> dict:
    return climber.api.post(
        "/media/uploads", json={"content_type": "image/jpeg", "size": len(data)}
    )


def test_duplicate_notifications_leave_one_document_and_one_event(
    alice: Climber,
    stack: LocalStack,
    settings: Settings,
    db: Database,
    events_of: Callable[[str], Subscriber],
) -> None:
    events = events_of(alice.sub)
    data = photo("jpeg")
    grant = grant_for(alice, data)
    upload(grant, data)  # the real notification goes S3 -> SQS -> router -> handler
    media_id = grant["media_id"]
    events.wait_for(
        lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
    )
    etag = stack.client("s3").head_object(Bucket=settings.media_bucket, Key=grant["key"])["ETag"]

    for encode in (moto_encoded, aws_encoded):  # S3 redelivers; both encodings decode alike
        event = s3_event(settings.media_bucket, encode(grant["key"]), len(data), etag, None)
        assert deliver(event) == {"outcomes": {"duplicate": 1}}

    settle(stack, events, alice.sub)
    assert len(received(events, "Media Uploaded", media_id)) == 1
    assert db["media"].count_documents({"_id": media_id}) == 1


@pytest.mark.parametrize("reached", ["processing", "ready"])
def test_a_late_duplicate_never_moves_a_document_backwards(
    alice: Climber,
    stack: LocalStack,
    settings: Settings,
    db: Database,
    events_of: Callable[[str], Subscriber],
    reached: str,
) -> None:
    """The version is recorded through the repository (no S3 object, so nothing else runs)."""
    events = events_of(alice.sub)
    repo = MediaRepository(db)
    grant = grant_for(alice, photo("jpeg"))
    media_id = grant["media_id"]
    seen = repo.get(alice.sub, media_id)
    assert seen is not None
    version = ObjectVersion.of("5d41402abc4b2a76b9719d911017c592", "0062A1B2C3D4E5F601")
    assert repo.record_upload(seen, version, size=100, format="jpeg") is not None
    assert repo.mark_event_published(alice.sub, media_id, version.etag, "uploaded")
    assert repo.claim_processing(alice.sub, media_id, version.etag) is not None
    if reached == "ready":
        assert repo.mark_ready(
            alice.sub,
            media_id,
            version.etag,
            renditions=[],
            metadata=MediaMetadata(width=8, height=6),
            placeholder=None,
        )
    before = repo.get(alice.sub, media_id)
    assert before is not None and before.status == reached

    key = aws_encoded(grant["key"])
    same = s3_event(settings.media_bucket, key, 100, version.etag, "0062A1B2C3D4E5F601")
    older = s3_event(settings.media_bucket, key, 90, "0" * 32, "0062A1B2C3D4E5F500")
    assert deliver(same) == {"outcomes": {"duplicate": 1}}
    assert deliver(older) == {"outcomes": {"stale": 1}}
    assert deliver(same) == {"outcomes": {"duplicate": 1}}

    assert repo.get(alice.sub, media_id) == before
    settle(stack, events, alice.sub)
    assert received(events, "Media Uploaded", media_id) == []


def test_objects_outside_the_layout_stay_and_orphans_of_another_owner_go_counted(
    alice: Climber,
    bob: Climber,
    stack: LocalStack,
    settings: Settings,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3 = stack.client("s3")
    data = photo("jpeg")
    grant = grant_for(alice, data)
    alices_doc = db["media"].find_one({"_id": grant["media_id"]})
    odd_key = "uploads/u1/a b+c ü.jpg"
    under_bob = f"uploads/{bob.sub}/{grant['media_id']}.jpg"
    etags = {}
    for key in (odd_key, under_bob):
        etags[key] = s3.put_object(
            Bucket=settings.media_bucket, Key=key, Body=data, ContentType="image/jpeg"
        )["ETag"]

    assert aws_encoded(odd_key) == "uploads/u1/a+b%2Bc+%C3%BC.jpg"
    assert moto_encoded(odd_key) == "uploads%2Fu1%2Fa+b%2Bc+%C3%BC.jpg"
    records = [
        s3_event(settings.media_bucket, encode(key), len(data), etags.get(key, "e"), None)[
            "Records"
        ][0]
        for key, encode in [
            (odd_key, aws_encoded),
            (odd_key, moto_encoded),
            (under_bob, aws_encoded),
            (f"uploads/{alice.sub}/{grant['media_id']}.jpg/../x.jpg", aws_encoded),
        ]
    ]
    uploads_delivered(stack)  # the router's own deliveries of these puts are done
    # With metrics disabled (the local default) Powertools never clears its shared metric set:
    # start from an empty one, then let this invocation flush for real.
    from functions.on_object_created.handler import metrics  # imported after the stack started

    metrics.clear_metrics()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    assert deliver({"Records": records}) == {"outcomes": {"foreign_key": 3, "unknown_media": 1}}

    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]

    # Powertools emits one CloudWatch EMF document per flush: the metric counts each object.
    def total(name: str) -> int:
        values = [m[name] for m in emitted if name in m]
        return sum(sum(v) if isinstance(v, list) else v for v in values)

    assert (total("ObjectIgnored"), total("OrphanRemoved")) == (3, 1)
    assert s3.head_object(Bucket=settings.media_bucket, Key=odd_key)["ContentLength"] == len(data)
    # No media names Bob's key (e.g. an upload that landed after its media was deleted).
    assert s3.list_objects_v2(Bucket=settings.media_bucket, Prefix=under_bob)["KeyCount"] == 0
    assert db["media"].find_one({"_id": grant["media_id"]}) == alices_doc
    assert db["media"].count_documents({"user_id": bob.sub}) == 0


def test_a_malformed_record_does_not_stop_the_others(
    alice: Climber, settings: Settings, db: Database
) -> None:
    grant = grant_for(alice, photo("jpeg"))
    good = s3_event(settings.media_bucket, "uploads/elsewhere.jpg", 1, "e", None)["Records"][0]
    broken = json.loads(json.dumps(good))
    del broken["s3"]["object"]["size"]
    deleted = {**good, "eventName": "ObjectRemoved:Delete"}
    outcome = deliver({"Records": [broken, deleted, good]})
    assert outcome == {"outcomes": {"foreign_key": 1}}
    assert db["media"].find_one({"_id": grant["media_id"]})["status"] == "pending"
