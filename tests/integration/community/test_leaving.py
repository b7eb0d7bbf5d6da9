"""DELETE /me: everything of the climber's goes (and what others wrote on their climbs), other
climbers' own things stay, `Climber Deleted` is published once, and a job interrupted half-way
is finished by the schedule."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pymongo.database import Database

from boulderstat.community.leaving import STEPS, AccountDeletion
from boulderstat.community.wiring import build
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack
from boulderstat.local.sweeps import scheduled_event
from boulderstat.media.storage import MediaStorage
from tests.integration.community.conftest import Join, Member
from tests.integration.community.test_concurrent_likes import RecordingPublisher

COLLECTIONS_AND_FIELDS = {
    "profiles": ["_id"],
    "climbs": ["user_id"],
    "media": ["user_id"],
    "follows": ["follower_id", "followee_id"],
    "blocks": ["blocker_id", "blocked_id"],
    "likes": ["user_id", "owner_id"],
    "comments": ["author_id", "climb_owner_id"],
    "notifications": ["recipient_id", "actor_id"],
}


def _media_with_objects(stack: LocalStack, db: Database, member: Member, climb_id: str) -> str:
    """A ready photo: its original and two renditions in S3, its document in MongoDB."""
    assert stack.settings is not None
    s3, bucket = stack.client("s3"), stack.settings.media_bucket
    media_id = new_id()
    original = f"uploads/{member.sub}/{media_id}.jpg"
    s3.put_object(Bucket=bucket, Key=original, Body=b"\xff\xd8\xff original")
    renditions = []
    for width in (320, 960):
        key = f"derived/{member.sub}/{media_id}/etag/w{width}.webp"
        s3.put_object(Bucket=bucket, Key=key, Body=b"RIFF rendition")
        renditions.append(
            {"name": f"w{width}", "key": key, "width": width, "height": width,
             "bytes": 14, "format": "webp"}
        )  # fmt: skip
    now = db["climbs"].find_one({"_id": climb_id})["created_at"]  # type: ignore[index]
    db["media"].insert_one(
        {"_id": media_id, "media_id": media_id, "user_id": member.sub, "status": "ready",
         "kind": "photo", "content_type": "image/jpeg", "declared_size": 15, "bucket": bucket,
         "key": original, "climb_id": climb_id, "created_at": now, "updated_at": now,
         "expires_at": now, "renditions": renditions}
    )  # fmt: skip
    return media_id


def _traces(db: Database, sub: str) -> dict[str, int]:
    found = {}
    for collection, fields in COLLECTIONS_AND_FIELDS.items():
        n = db[collection].count_documents({"$or": [{f: sub} for f in fields]})
        if n:
            found[collection] = n
    return found


def _objects(stack: LocalStack, sub: str) -> list[str]:
    assert stack.settings is not None
    s3 = stack.client("s3")
    keys = []
    for prefix in (f"uploads/{sub}/", f"derived/{sub}/"):
        listed = s3.list_objects_v2(Bucket=stack.settings.media_bucket, Prefix=prefix)
        keys += [o["Key"] for o in listed.get("Contents", [])]
    return keys


def _society(stack: LocalStack, db: Database, join: Join) -> dict[str, Any]:
    leaver = join("leaver", default_visibility="public")
    friend = join("friend", default_visibility="public")
    bystander = join("bystander", default_visibility="public")
    mine = leaver.climb(title="Leaver's send")["climb_id"]
    _media_with_objects(stack, db, leaver, mine)
    leaver.climb("private")
    theirs = friend.climb(title="Friend's send")["climb_id"]
    friend.api.put(f"/climbers/{leaver.sub}/follow")
    leaver.api.put(f"/climbers/{friend.sub}/follow")
    leaver.api.put(f"/climbers/{bystander.sub}/block")
    # On the leaver's climb: others' comments and likes (they go with it).
    friend.api.put(f"/climbs/{mine}/like")
    on_mine = friend.api.post(f"/climbs/{mine}/comments", {"text": "on the leaver's climb"})
    bystander.api.put(f"/climbs/{theirs}/like")
    # On the friend's climb: the leaver's comment and like go, the friend's own stay.
    leaver.api.put(f"/climbs/{theirs}/like")
    by_leaver = leaver.api.post(f"/climbs/{theirs}/comments", {"text": "by the leaver"})
    friend.api.put(f"/climbs/{theirs}/comments/{by_leaver['comment_id']}/like")
    kept = friend.api.post(f"/climbs/{theirs}/comments", {"text": "the friend's own"})
    leaver.api.put(f"/climbs/{theirs}/comments/{kept['comment_id']}/like")
    return {
        "leaver": leaver, "friend": friend, "bystander": bystander, "mine": mine,
        "theirs": theirs, "on_mine": on_mine, "kept": kept,
    }  # fmt: skip


def _wait_for_notifications(member: Member, at_least: int) -> None:
    deadline = time.monotonic() + 20
    while len(member.api.get("/notifications")["items"]) < at_least:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)


def test_delete_me_removes_everything_of_the_climbers_and_nothing_of_others(
    stack: LocalStack, db: Database, join: Join
) -> None:
    world = _society(stack, db, join)
    leaver, friend = world["leaver"], world["friend"]
    _wait_for_notifications(leaver, 3)
    assert _traces(db, leaver.sub) and _objects(stack, leaver.sub)
    subscriber = stack.subscriber(detail={"user_id": [leaver.sub]})
    try:
        response = leaver.api.request("DELETE", "/me")
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "done"
        assert response.json()["steps_done"] == [str(s) for s in STEPS]
        event = subscriber.wait_for(lambda e: e["detail-type"] == "Climber Deleted")
    finally:
        subscriber.close()
    assert event["detail"]["climbs_removed"] == 2 and event["detail"]["media_removed"] == 1
    time.sleep(1.0)  # notifications still in flight (the leaver's undos) have landed
    assert _traces(db, leaver.sub) == {}
    assert _objects(stack, leaver.sub) == []
    assert friend.status("GET", f"/climbers/{leaver.sub}") == 404
    assert friend.status("GET", f"/climbs/{world['mine']}/card") == 404
    # The friend's climb keeps the friend's comment and the bystander's like, nothing else.
    card = friend.api.get(f"/climbs/{world['theirs']}/card")
    assert (card["like_count"], card["comment_count"]) == (1, 1)
    (comment,) = friend.api.get(f"/climbs/{world['theirs']}/comments")["items"]
    assert comment["comment_id"] == world["kept"]["comment_id"] and comment["like_count"] == 0
    assert db["comments"].count_documents({"_id": world["on_mine"]["comment_id"]}) == 0
    assert leaver.api.get("/me/deletion")["status"] == "done"


class CrashingStorage(MediaStorage):
    """The function dies while removing objects (the first time only)."""

    crashes = 1

    def remove(self, *, keys: list[str], prefix: str) -> int:
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("Lambda timed out here")
        return super().remove(keys=keys, prefix=prefix)


def test_an_interrupted_deletion_is_finished_by_the_schedule(
    stack: LocalStack, db: Database, join: Join
) -> None:
    assert stack.settings is not None
    world = _society(stack, db, join)
    leaver = world["leaver"]
    publisher = RecordingPublisher()
    community = build(db, stack.settings, s3=stack.client("s3"), publisher=publisher)
    crashing = AccountDeletion(
        db,
        community.relations,
        community.notifier,
        CrashingStorage(stack.client("s3"), stack.settings.media_bucket),
        publisher,
    )
    crashing.request(leaver.sub)
    with pytest.raises(RuntimeError):
        crashing.run(leaver.sub)
    half = leaver.api.get("/me/deletion")
    assert half["status"] == "running"
    assert half["steps_done"] == ["relations", "reactions", "climbs"]
    assert db["climbs"].count_documents({"user_id": leaver.sub}) == 0
    assert _objects(stack, leaver.sub)  # not reached yet

    # The schedule (EventBridge rate rule -> functions/leave) finishes it.
    result = stack.functions.invoke(
        "leave", scheduled_event(stack.settings.region, "boulderstat-local-leave")
    )
    assert result["finished"] >= 1
    assert leaver.api.get("/me/deletion")["status"] == "done"
    assert _objects(stack, leaver.sub) == []
    time.sleep(1.0)
    assert _traces(db, leaver.sub) == {}
    assert publisher.events == []  # the crashed run never got as far as announcing
