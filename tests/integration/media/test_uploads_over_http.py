"""Upload grants and ingest through the local stack: real tokens, real HTTP, moto S3 -> SQS ->
on_object_created -> EventBridge, MongoDB over the wire."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.settings import Settings
from tests.conftest import Climber
from tests.integration.media.conftest import upload
from tests.unit.media.sample_files import photo, video

PROCESSED_OR_LATER = {"uploaded", "processing", "ready"}


def grant_for(climber: Climber, content_type: str, size: int, **extra: object) -> dict:
    response = climber.api.request(
        "POST", "/media/uploads", json={"content_type": content_type, "size": size, **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("content_type", "data", "fmt", "extension"),
    [
        ("image/jpeg", photo("jpeg"), "jpeg", "jpg"),
        ("video/mp4", video("mp4"), "mp4", "mp4"),
    ],
    ids=["photo", "video"],
)
def test_a_real_upload_is_ingested_and_announced(
    alice: Climber,
    settings: Settings,
    db: Database,
    events_of: Callable[[str], Subscriber],
    content_type: str,
    data: bytes,
    fmt: str,
    extension: str,
) -> None:
    events = events_of(alice.sub)
    before = datetime.now(UTC)
    grant = grant_for(alice, content_type, len(data), filename="../Crux move.jpg")
    media_id = grant["media_id"]

    # The grant: the server's key inside the caller's prefix, pinned by the POST policy.
    key = f"uploads/{alice.sub}/{media_id}.{extension}"
    assert grant["key"] == key
    assert grant["max_bytes"] == len(data)
    assert grant["upload"]["fields"]["key"] == key
    assert grant["upload"]["fields"]["Content-Type"] == content_type
    policy = json.loads(base64.b64decode(grant["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": settings.media_bucket} in conditions
    assert {"key": key} in conditions
    assert {"Content-Type": content_type} in conditions
    assert ["content-length-range", 1, len(data)] in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    lifetime = timedelta(seconds=settings.upload_url_expires_seconds)
    assert (
        before + lifetime - timedelta(seconds=5)
        <= expiration
        <= before + lifetime + timedelta(seconds=30)
    )
    assert lifetime <= timedelta(minutes=15)
    expires_at = datetime.fromisoformat(grant["expires_at"])
    assert abs(expires_at - expiration) < timedelta(seconds=5)

    pending = db["media"].find_one({"_id": media_id, "user_id": alice.sub})
    assert pending is not None
    assert pending["status"] == "pending" and pending["filename"] == "Crux move.jpg"
    assert pending["pending_expires_at"] > expires_at

    upload(grant, data)
    event = events.wait_for(
        lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
    )
    detail = event["detail"]
    assert event["source"] == "boulderstat.media"
    assert (detail["user_id"], detail["key"], detail["size"], detail["format"]) == (
        alice.sub,
        key,
        len(data),
        fmt,
    )
    document = db["media"].find_one({"_id": media_id, "user_id": alice.sub})
    assert document is not None
    assert document["status"] in PROCESSED_OR_LATER
    assert (document["etag"], document["size"], document["format"]) == (
        detail["etag"],
        len(data),
        fmt,
    )
    assert "pending_expires_at" not in document

    view = alice.api.get(f"/media/{media_id}")
    assert view["status"] in PROCESSED_OR_LATER
    assert view["filename"] == "Crux move.jpg"
    original = alice.api.session.get(view["original"]["url"], timeout=30)
    assert original.status_code == 200 and original.content == data


@pytest.mark.parametrize(
    ("declared", "data", "sent_type", "reason"),
    [
        (100, photo("jpeg"), None, "more than the 100 bytes declared"),
        (200, b"I am a text file, not a JPEG\n", None, "not a photo or video format"),
        (len(photo("jpeg")), photo("jpeg"), "text/html", "Content-Type 'text/html' differs"),
    ],
    ids=["bigger-than-declared", "text-as-jpeg", "changed-content-type"],
)
def test_an_upload_breaking_its_policy_is_rejected_and_removed(
    alice: Climber,
    stack: LocalStack,
    settings: Settings,
    db: Database,
    events_of: Callable[[str], Subscriber],
    declared: int,
    data: bytes,
    sent_type: str | None,
    reason: str,
) -> None:
    """moto accepts these POSTs (it does not enforce policies); ingest must not."""
    events = events_of(alice.sub)
    grant = grant_for(alice, "image/jpeg", declared)
    upload(grant, data, content_type=sent_type)

    event = events.wait_for(
        lambda e: (
            e["detail-type"] == "Media Processing Failed"
            and e["detail"]["media_id"] == grant["media_id"]
        )
    )
    assert event["detail"]["phase"] == "ingest"
    assert reason in event["detail"]["reason"]
    view = alice.api.get(f"/media/{grant['media_id']}")
    assert view["status"] == "failed"
    assert view["failure"] == {"phase": "ingest", "reason": event["detail"]["reason"]}
    assert view["original"] is None and view["renditions"] == []
    listed = stack.client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix=grant["key"])
    assert listed.get("KeyCount", 0) == 0
    assert not [e for e in events.received if e["detail-type"] == "Media Uploaded"]


def test_a_climb_of_another_user_is_not_found(
    alice: Climber, bob: Climber, db: Database, new_climb: Callable[[Climber], str]
) -> None:
    bobs_climb = new_climb(bob)
    alices_climb = new_climb(alice)
    response = alice.api.request(
        "POST",
        "/media/uploads",
        json={"content_type": "image/jpeg", "size": 10, "climb_id": bobs_climb},
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert db["media"].count_documents({"user_id": alice.sub}) == 0

    grant = grant_for(alice, "image/jpeg", 10, climb_id=alices_climb)
    assert alice.api.get(f"/media/{grant['media_id']}")["climb_id"] == alices_climb


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"content_type": "text/plain", "size": 10}, 415, "unsupported_media_type"),
        ({"content_type": "image/svg+xml", "size": 10}, 415, "unsupported_media_type"),
        ({"content_type": "application/octet-stream", "size": 10}, 415, "unsupported_media_type"),
        ({"content_type": "image/jpeg", "size": 30 * 1024 * 1024 + 1}, 413, "payload_too_large"),
        ({"content_type": "video/mp4", "size": 500 * 1024 * 1024 + 1}, 413, "payload_too_large"),
        ({"content_type": "image/jpeg", "size": 0}, 422, "validation_error"),
        ({"content_type": "image/jpeg", "size": -5}, 422, "validation_error"),
        ({"content_type": "image/jpeg", "size": "10"}, 422, "validation_error"),
        (
            {"content_type": "image/jpeg", "size": 10, "key": "uploads/x.jpg"},
            422,
            "validation_error",
        ),
        ({"content_type": "image/jpeg", "size": 10, "bucket": "b"}, 422, "validation_error"),
        ({"content_type": "image/jpeg"}, 422, "validation_error"),
        ({"size": 10}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ({"content_type": "image/jpeg", "size": 10, "climb_id": "a/b"}, 422, "validation_error"),
        ([1, 2], 422, "validation_error"),
    ],
)
def test_invalid_upload_requests_get_a_precise_4xx_and_write_nothing(
    new_climber: Callable[..., Climber],
    db: Database,
    body: object,
    status: int,
    error: str,
) -> None:
    climber = new_climber("invalid")
    response = climber.api.request("POST", "/media/uploads", json=body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["error"] == error and payload["message"]
    assert db["media"].count_documents({"user_id": climber.sub}) == 0


def test_upload_grants_need_a_token(stack: LocalStack) -> None:
    from boulderstat.client import BoulderStatClient

    response = BoulderStatClient(stack.api_url).request(
        "POST", "/media/uploads", json={"content_type": "image/jpeg", "size": 10}
    )
    assert response.status_code == 401
