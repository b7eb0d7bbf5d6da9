"""Notifications: community events travel the bus to the `notify` consumer (EventBridge rule ->
queue -> router -> functions/notify), which writes them for the recipient; undos remove them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boulderstat.local.functions import invoke
from tests.integration.community.conftest import Join, Member


def _eventually(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _kinds(member: Member) -> Callable[[], list[tuple[str, str]]]:
    def read() -> list[tuple[str, str]]:
        page = member.api.get("/notifications", params={"limit": 100})
        return [(n["kind"], n["actor"]["climber_id"]) for n in page["items"]]

    return read


def test_follow_like_comment_reach_the_owner_and_undos_take_them_back(join: Join) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    fan.api.put(f"/climbers/{owner.sub}/follow")
    fan.api.put(f"/climbs/{climb_id}/like")
    comment = fan.api.post(f"/climbs/{climb_id}/comments", {"text": "Allez!"})
    mine = owner.api.post(f"/climbs/{climb_id}/comments", {"text": "Thanks"})
    fan.api.put(f"/climbs/{climb_id}/comments/{mine['comment_id']}/like")
    owner.api.put(f"/climbs/{climb_id}/like")  # one's own like notifies nobody
    expected = {
        ("followed", fan.sub),
        ("climb_liked", fan.sub),
        ("commented", fan.sub),
        ("comment_liked", fan.sub),
    }
    seen = _eventually(_kinds(owner), lambda k: set(k) >= expected)
    assert sorted(seen) == sorted(expected)
    assert _kinds(fan)() == []

    page = owner.api.get("/notifications")
    assert page["unread"] == 4
    commented = next(n for n in page["items"] if n["kind"] == "commented")
    assert commented["comment_id"] == comment["comment_id"] and commented["climb_id"] == climb_id
    assert fan.api.post(
        "/notifications/read", {"notification_ids": [commented["notification_id"]]}
    ) == {"marked": 0}  # not the fan's to mark
    marked = owner.api.post(
        "/notifications/read", {"notification_ids": [commented["notification_id"]]}
    )
    assert marked == {"marked": 1}
    assert owner.api.get("/notifications")["unread"] == 3
    assert owner.api.post("/notifications/read", {}) == {"marked": 3}

    fan.api.delete(f"/climbs/{climb_id}/like")
    fan.api.delete(f"/climbers/{owner.sub}/follow")
    fan.api.delete(f"/climbs/{climb_id}/comments/{comment['comment_id']}")
    left = _eventually(_kinds(owner), lambda k: len(k) == 1)
    assert left == [("comment_liked", fan.sub)]


def test_a_follow_request_notifies_and_approval_replaces_it(join: Join) -> None:
    private, asker = join("private", private=True), join("asker")
    asker.api.put(f"/climbers/{private.sub}/follow")
    assert _eventually(_kinds(private), bool) == [("follow_requested", asker.sub)]
    private.api.put(f"/me/followers/{asker.sub}")
    assert _eventually(_kinds(private), lambda k: k == [("followed", asker.sub)]) == [
        ("followed", asker.sub)
    ]


def test_duplicate_and_unknown_deliveries_change_nothing(join: Join) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    event = {
        "version": "0",
        "id": "e1",
        "detail-type": "Climb Liked",
        "source": "boulderstat.community",
        "account": "123456789012",
        "time": "2026-11-30T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "schema_version": 1,
            "user_id": fan.sub,
            "occurred_at": "2026-11-30T00:00:00Z",
            "climb_id": climb_id,
            "owner_id": owner.sub,
        },
    }
    for _ in range(3):  # at-least-once delivery: the same event again and again
        invoke("notify", event)
    invoke("notify", {**event, "detail-type": "Climb Admired"})  # not ours: skipped
    assert _kinds(owner)() == [("climb_liked", fan.sub)]
