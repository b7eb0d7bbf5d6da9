"""Resumable multipart uploads through the local stack: the grant, one-part signing, the resume
listing, server-side completion and its checks, abort, and ingest of the completed object.

Parts go to moto over real HTTP with the presigned PUTs, whose signature (with the part's
Content-Length) the local stack's IAM harness checks as S3 would. Parts of the wrong size are
written with the stack's admin client, as a store that did not check would hold them: the
server's completion checks must refuse them. Expected ETags are computed here with hashlib
(S3's multipart ETag: md5 of the concatenated part md5s, then `-N`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from functools import cache
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pymongo.database import Database

from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.settings import Settings
from tests.conftest import Climber
from tests.integration.media.conftest import received, settle
from tests.unit.media.sample_files import video

MiB = 1024 * 1024
PART = 5 * MiB  # the smallest part S3 allows: keeps these uploads small


@cache
def big_video() -> bytes:
    """A real MP4 followed by a 6 MiB `free` box (valid ISO BMFF, ignored by players): 2 parts."""
    padding = 6 * MiB
    return video("mp4") + struct.pack(">I4s", padding, b"free") + bytes(padding - 8)


def split(data: bytes, part_size: int = PART) -> list[bytes]:
    return [data[i : i + part_size] for i in range(0, len(data), part_size)]


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"


def grant(climber: Climber, size: int, **extra: object) -> dict:
    body = {"content_type": "video/mp4", "size": size, "part_size": PART, **extra}
    response = climber.api.request("POST", "/media/uploads", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def sign(climber: Climber, media_id: str, part_number: int) -> requests.Response:
    return climber.api.request("POST", f"/media/uploads/{media_id}/parts/{part_number}")


def put_part(climber: Climber, media_id: str, part_number: int, data: bytes) -> str:
    signed = sign(climber, media_id, part_number)
    assert signed.status_code == 200, signed.text
    response = requests.put(signed.json()["url"], data=data, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"].strip('"')


def complete(climber: Climber, media_id: str, upload_id: str, **extra: object) -> requests.Response:
    return climber.api.request(
        "POST", f"/media/uploads/{media_id}/complete", json={"upload_id": upload_id, **extra}
    )


def test_big_files_get_a_multipart_grant_small_ones_a_post(
    alice: Climber, settings: Settings, db: Database
) -> None:
    size = settings.multipart_threshold_bytes + 1
    big = alice.api.post("/media/uploads", {"content_type": "video/mp4", "size": size})
    assert big["upload"] is None
    assert big["key"] == f"uploads/{alice.sub}/{big['media_id']}.mp4"
    layout = big["multipart"]
    assert layout["part_size"] == settings.multipart_part_bytes
    assert layout["part_count"] == -(-size // settings.multipart_part_bytes)
    stored = db["media"].find_one({"_id": big["media_id"], "user_id": alice.sub})
    assert stored is not None and stored["multipart"]["upload_id"] == layout["upload_id"]

    small = alice.api.post("/media/uploads", {"content_type": "video/mp4", "size": 1000})
    assert small["multipart"] is None and small["upload"]["fields"]["key"] == small["key"]

    asked = grant(alice, 1000)  # a client may ask for parts (Uppy does, with its chunk size)
    assert (asked["multipart"]["part_size"], asked["multipart"]["part_count"]) == (PART, 1)

    too_small = alice.api.request(
        "POST", "/media/uploads", json={"content_type": "video/mp4", "size": 10, "part_size": 1}
    )
    assert too_small.status_code == 422


def test_each_part_url_is_for_one_part_with_its_exact_length(
    alice: Climber, settings: Settings
) -> None:
    size = 2 * PART + 123
    media = grant(alice, size)
    media_id, upload_id = media["media_id"], media["multipart"]["upload_id"]
    assert media["multipart"]["part_count"] == 3

    for number, length in ((1, PART), (3, 123)):
        signed = sign(alice, media_id, number)
        assert signed.status_code == 200, signed.text
        body = signed.json()
        assert (body["part_number"], body["size"]) == (number, length)
        url = urlsplit(body["url"])
        query = parse_qs(url.query)
        assert url.path.endswith(media["key"])
        assert query["partNumber"] == [str(number)] and query["uploadId"] == [upload_id]
        assert query["X-Amz-SignedHeaders"][0].split(";") == ["content-length", "host"]
        assert int(query["X-Amz-Expires"][0]) == settings.upload_url_expires_seconds <= 900

    for outside in (0, 4):
        assert sign(alice, media_id, outside).status_code == 422
    assert sign(alice, "0" * 32, 1).status_code == 404


def test_listing_the_parts_lets_a_client_resume(alice: Climber) -> None:
    data = big_video()
    media = grant(alice, len(data))
    media_id = media["media_id"]
    chunks = split(data)
    first = put_part(alice, media_id, 1, chunks[0])

    listed = alice.api.get(f"/media/uploads/{media_id}/parts")
    assert listed["upload_id"] == media["multipart"]["upload_id"]
    assert listed["parts"] == [
        {"part_number": 1, "size": PART, "etag": hashlib.md5(chunks[0]).hexdigest()}
    ]
    assert first == hashlib.md5(chunks[0]).hexdigest()


def test_a_completed_upload_is_ingested_like_any_other(
    alice: Climber,
    stack: LocalStack,
    db: Database,
    events_of: Callable[[str], Subscriber],
) -> None:
    events = events_of(alice.sub)
    data = big_video()
    media = grant(alice, len(data), filename="long send.mp4")
    media_id, upload_id = media["media_id"], media["multipart"]["upload_id"]
    chunks = split(data)
    etags = [put_part(alice, media_id, n, chunk) for n, chunk in enumerate(chunks, start=1)]

    parts = [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, start=1)]
    done = complete(alice, media_id, upload_id, parts=parts)
    assert done.status_code == 200, done.text
    expected_etag = multipart_etag(chunks)
    assert done.json() == {
        "media_id": media_id,
        "key": media["key"],
        "size": len(data),
        "etag": expected_etag,
    }

    event = events.wait_for(
        lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
    )
    assert (event["detail"]["etag"], event["detail"]["size"]) == (expected_etag, len(data))
    assert event["detail"]["format"] == "mp4"
    document = db["media"].find_one({"_id": media_id, "user_id": alice.sub})
    assert document is not None and document["etag"] == expected_etag
    assert document["status"] in ("uploaded", "processing", "ready")

    # A retried completion (the first answer was lost) answers the same. moto sends two
    # notifications (ObjectCreated:Put and :CompleteMultipartUpload); ingested by two workers
    # at once they may both publish (at least once), but only ever the one fact.
    again = complete(alice, media_id, upload_id)
    assert again.status_code == 200 and again.json() == done.json()
    settle(stack, events, alice.sub)
    keys = {e["detail"]["idempotency_key"] for e in received(events, "Media Uploaded", media_id)}
    assert keys == {f"media-uploaded:{media_id}:{expected_etag}"}
    assert alice.api.request("DELETE", f"/media/uploads/{media_id}").status_code == 409


def test_a_part_url_refuses_any_other_length(alice: Climber) -> None:
    """The URL is signed with the part's Content-Length (the local stack checks it like S3)."""
    data = big_video()
    media = grant(alice, len(data))
    url = sign(alice, media["media_id"], 1).json()["url"]
    assert requests.put(url, data=split(data)[0][:-1], timeout=30).status_code == 403
    assert requests.put(url, data=split(data)[0], timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("damage", "status", "reason"),
    [
        ("oversize", 413, "more than the"),
        ("too_many_parts", 422, "it may have only 2"),
        ("short_part", 422, "Part 1 is"),
        ("missing_part", 422, "Parts not uploaded yet: 2"),
        ("other_etags", 409, "differ from what S3 holds"),
    ],
)
def test_completion_refuses_anything_but_the_planned_parts(
    alice: Climber, stack: LocalStack, damage: str, status: int, reason: str
) -> None:
    """Parts S3 would refuse at the signed URL are written here with the stack's own (admin)
    client, as a store that did not check lengths would hold them: the server checks again."""
    data = big_video()
    media = grant(alice, len(data))
    media_id, upload_id = media["media_id"], media["multipart"]["upload_id"]
    assert stack.settings is not None
    s3, bucket = stack.client("s3"), stack.settings.media_bucket

    def admin_put(number: int, body: bytes) -> None:
        s3.upload_part(
            Bucket=bucket, Key=media["key"], UploadId=upload_id, PartNumber=number, Body=body
        )

    first, second = split(data)
    extra: dict[str, object] = {}
    if damage == "short_part":
        admin_put(1, first[:-1])
    else:
        put_part(alice, media_id, 1, first)
    if damage == "oversize":
        admin_put(2, second + b"more bytes than declared")
    elif damage != "missing_part":
        put_part(alice, media_id, 2, second)
    if damage == "too_many_parts":
        admin_put(3, b"x")
    if damage == "other_etags":
        extra["parts"] = [{"part_number": 1, "etag": "0" * 32}, {"part_number": 2, "etag": "1"}]

    refused = complete(alice, media_id, upload_id, **extra)
    assert refused.status_code == status, refused.text
    assert reason in refused.json()["message"]
    assert s3.list_objects_v2(Bucket=bucket, Prefix=media["key"]).get("KeyCount") == 0


def test_only_the_owner_with_the_right_upload_id_completes(alice: Climber, bob: Climber) -> None:
    data = big_video()
    alices = grant(alice, len(data))
    bobs = grant(bob, len(data))
    for number, chunk in enumerate(split(data), start=1):
        put_part(alice, alices["media_id"], number, chunk)

    # Bob with Alice's media id, and Alice with Bob's upload id: both look like nothing.
    as_bob = complete(bob, alices["media_id"], alices["multipart"]["upload_id"])
    assert as_bob.status_code == 404
    assert bob.api.request("GET", f"/media/uploads/{alices['media_id']}/parts").status_code == 404
    assert sign(bob, alices["media_id"], 1).status_code == 404
    assert bob.api.request("DELETE", f"/media/uploads/{alices['media_id']}").status_code == 404
    crossed = complete(alice, alices["media_id"], bobs["multipart"]["upload_id"])
    assert crossed.status_code == 404

    mine = complete(alice, alices["media_id"], alices["multipart"]["upload_id"])
    assert mine.status_code == 200, mine.text


def test_abort_drops_the_parts_and_the_grant(alice: Climber, stack: LocalStack) -> None:
    data = big_video()
    media = grant(alice, len(data))
    media_id, upload_id = media["media_id"], media["multipart"]["upload_id"]
    put_part(alice, media_id, 1, split(data)[0])

    assert alice.api.request("DELETE", f"/media/uploads/{media_id}").status_code == 204
    s3 = stack.client("s3")
    assert stack.settings is not None
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=stack.settings.media_bucket, Key=media["key"], UploadId=upload_id)
    assert alice.api.request("GET", f"/media/{media_id}").status_code == 404
    assert alice.api.request("DELETE", f"/media/uploads/{media_id}").status_code == 404
    assert complete(alice, media_id, upload_id).status_code == 404
