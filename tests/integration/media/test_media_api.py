"""GET /media, GET /media/{id}, DELETE /media/{id} over HTTP with real tokens."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests
from pymongo.database import Database

from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.media.models import MediaMetadata, ObjectVersion, Rendition
from boulderstat.media.repository import MediaRepository
from boulderstat.settings import Settings
from tests.conftest import Climber
from tests.integration.media.conftest import upload
from tests.unit.media.sample_files import photo


def grant_for(climber: Climber, size: int = 100, **extra: object) -> dict:
    return climber.api.post(
        "/media/uploads", json={"content_type": "image/jpeg", "size": size, **extra}
    )


def keys_under(stack: LocalStack, settings: Settings, prefix: str) -> list[str]:
    listed = stack.client("s3").list_objects_v2(Bucket=settings.media_bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_listing_is_newest_first_with_cursors_and_a_climb_filter(
    new_climber: Callable[..., Climber], new_climb: Callable[[Climber], str]
) -> None:
    climber = new_climber("lister")
    climb_id = new_climb(climber)
    made = [
        grant_for(climber, climb_id=climb_id)["media_id"],
        grant_for(climber)["media_id"],
        grant_for(climber, climb_id=climb_id)["media_id"],
    ]
    first = climber.api.get("/media", params={"limit": 2})
    assert [m["media_id"] for m in first["items"]] == [made[2], made[1]]
    assert first["next_cursor"]
    second = climber.api.get("/media", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [m["media_id"] for m in second["items"]] == [made[0]]
    assert second["next_cursor"] is None

    on_climb = climber.api.get("/media", params={"climb_id": climb_id})
    assert [m["media_id"] for m in on_climb["items"]] == [made[2], made[0]]

    pending = first["items"][0]
    assert pending["status"] == "pending"
    assert (pending["original"], pending["renditions"], pending["urls_expire_at"]) == (
        None,
        [],
        None,
    )

    for params, status in [
        ({"cursor": "bm90IG91cnM"}, 400),
        ({"cursor": "%%%"}, 400),
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"limit": "ten"}, 422),
        ({"climb_id": "../x"}, 422),
    ]:
        response = climber.api.request("GET", "/media", params=params)
        assert response.status_code == status, (params, response.text)


def test_ready_media_shows_rendition_and_original_urls(
    alice: Climber, stack: LocalStack, settings: Settings, db: Database
) -> None:
    """Ready as the thumbnail function leaves it (through the repository), no S3 trigger."""
    repo = MediaRepository(db)
    media_id = grant_for(alice)["media_id"]
    version = ObjectVersion.of("0f343b0931126a20f133d67c2b018a3b", "0062A1B2C3")
    s3 = stack.client("s3")
    renditions = []
    for width in (32, 16):
        body = photo("webp", (width, width * 3 // 4))
        key = f"derived/{alice.sub}/{media_id}/{version.etag}/w{width}.webp"
        s3.put_object(Bucket=settings.media_bucket, Key=key, Body=body, ContentType="image/webp")
        renditions.append(
            Rendition(
                name=f"w{width}",
                key=key,
                width=width,
                height=width * 3 // 4,
                bytes=len(body),
                format="webp",
            )
        )
    seen = repo.get(alice.sub, media_id)
    assert seen is not None
    repo.record_upload(seen, version, size=100, format="jpeg")
    repo.claim_processing(alice.sub, media_id, version.etag)
    repo.mark_ready(
        alice.sub,
        media_id,
        version.etag,
        renditions=renditions,
        metadata=MediaMetadata(width=64, height=48),
        placeholder="3OcRJYB4d3h/iIeHeEh3eIhw+j2w",
    )

    before = datetime.now(UTC)
    view = alice.api.get(f"/media/{media_id}")
    assert view["status"] == "ready"
    assert view["metadata"] == {
        "width": 64,
        "height": 48,
        "duration_seconds": None,
        "animated": False,
    }
    assert view["placeholder"] == "3OcRJYB4d3h/iIeHeEh3eIhw+j2w"
    assert view["failure"] is None
    assert (
        view["original"]["content_type"] == "image/jpeg"
        and "X-Amz-Signature=" in (view["original"]["url"])
    )
    assert [r["name"] for r in view["renditions"]] == ["w32", "w16"]
    for shown, rendition in zip(view["renditions"], renditions, strict=True):
        assert (shown["width"], shown["height"], shown["bytes"]) == (
            rendition.width,
            rendition.height,
            rendition.bytes,
        )
        fetched = requests.get(shown["url"], timeout=30)
        assert fetched.status_code == 200 and len(fetched.content) == rendition.bytes
        assert "X-Amz-Expires=" in shown["url"]
    expires = datetime.fromisoformat(view["urls_expire_at"])
    lifetime = timedelta(seconds=settings.media_url_expires_seconds)
    assert (
        before + lifetime - timedelta(seconds=5)
        <= expires
        <= before + lifetime + timedelta(seconds=30)
    )
    # The bucket itself stays private.
    assert requests.get(shown["url"].split("?")[0], timeout=30).status_code == 403


def test_another_climbers_media_is_not_found(
    alice: Climber, bob: Climber, db: Database, stack: LocalStack, settings: Settings
) -> None:
    grant = grant_for(alice)
    media_id = grant["media_id"]
    stored = db["media"].find_one({"_id": media_id})
    for method in ("GET", "DELETE"):
        response = bob.api.request(method, f"/media/{media_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert [m for m in bob.api.get("/media")["items"] if m["media_id"] == media_id] == []
    assert db["media"].find_one({"_id": media_id}) == stored
    # Malformed ids are a 422 on every route (docs/openapi.json); only well-formed ones a 404.
    for odd in ("not-an-id", "0" * 31, media_id.upper(), "%2e%2e"):
        assert alice.api.request("GET", f"/media/{odd}").status_code == 422
    assert alice.api.request("GET", f"/media/{'0' * 32}").status_code == 404


def test_delete_removes_original_derived_objects_and_document(
    alice: Climber,
    stack: LocalStack,
    settings: Settings,
    db: Database,
    events_of: Callable[[str], Subscriber],
) -> None:
    events = events_of(alice.sub)
    data = photo("jpeg")
    grant = grant_for(alice, size=len(data))
    media_id = grant["media_id"]
    upload(grant, data)
    events.wait_for(
        lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
    )
    if importlib.util.find_spec("functions.thumbnail.handler"):
        # Let processing finish first, so nothing writes renditions after the delete.
        events.wait_for(
            lambda e: (
                e["detail-type"] in ("Media Processed", "Media Processing Failed")
                and e["detail"]["media_id"] == media_id
            ),
            timeout=60,
        )
    s3 = stack.client("s3")
    prefix = f"derived/{alice.sub}/{media_id}/"  # where renditions live (docs, IAM)
    for name in ("extra/poster.jpg", "w320.webp"):
        s3.put_object(Bucket=settings.media_bucket, Key=prefix + name, Body=b"x")
    existing = keys_under(stack, settings, grant["key"]) + keys_under(stack, settings, prefix)
    assert len(existing) >= 3

    response = alice.api.request("DELETE", f"/media/{media_id}")
    assert response.status_code == 204 and response.content == b""
    assert keys_under(stack, settings, grant["key"]) == []
    assert keys_under(stack, settings, prefix) == []
    assert db["media"].find_one({"_id": media_id}) is None
    assert alice.api.request("GET", f"/media/{media_id}").status_code == 404
    deleted = events.wait_for(
        lambda e: e["detail-type"] == "Media Deleted" and e["detail"]["media_id"] == media_id
    )
    assert deleted["detail"]["objects_removed"] == len(existing)
    assert alice.api.request("DELETE", f"/media/{media_id}").status_code == 404


def test_media_carries_its_revision_as_etag_and_delete_honours_if_match(
    alice: Climber, db: Database
) -> None:
    media_id = grant_for(alice)["media_id"]
    got = alice.api.request("GET", f"/media/{media_id}")
    revision = db["media"].find_one({"_id": media_id})["revision"]
    assert (got.headers["ETag"], got.json()["revision"]) == (f'"{revision}"', revision)
    for stale in (f'"{revision + 1}"', f'W/"{revision}"'):
        refused = alice.api.request("DELETE", f"/media/{media_id}", headers={"If-Match": stale})
        assert refused.status_code == 412
        assert refused.json()["error"] == "precondition_failed"
    assert db["media"].find_one({"_id": media_id}) is not None
    deleted = alice.api.request(
        "DELETE", f"/media/{media_id}", headers={"If-Match": got.headers["ETag"]}
    )
    assert deleted.status_code == 204
    assert db["media"].find_one({"_id": media_id}) is None
