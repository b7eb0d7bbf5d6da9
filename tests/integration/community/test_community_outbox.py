"""Community events leave through the outbox: nothing is lost to a bus outage or a crash between
the MongoDB write and the publish, and the `notify` consumer ends with each notification once.
(`Climber Deleted` is the account-deletion job's last step: refused, the schedule publishes it.)

Real parts only: the writes run our community classes against nx-27017; a failing publish is
EventBridge refusing the call (credentials it does not know, checked by the stack's IAM
enforcement); the sweep (functions/outbox in the stack's worker, under its role) publishes on
moto's bus, whose rule feeds `functions/notify` in the stack's worker processes, and the
notifications are read back over the HTTP API.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from pymongo.database import Database

from boulderstat.adapters.aws import aws_client
from boulderstat.community.comments import NewComment
from boulderstat.community.leaving import STEPS, OutOfTime, Step
from boulderstat.community.relations import FollowStatus, pair_id
from boulderstat.community.wiring import Community, build
from boulderstat.events.catalog import ClimberFollowed, EventDetail, event_from_json
from boulderstat.events.outbox import Outbox
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.local.functions import invoke
from boulderstat.local.stack import LocalStack
from boulderstat.local.sweeps import scheduled_event
from boulderstat.settings import Settings
from tests.integration.community.conftest import Join, Member

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


def _eventually(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _notifications(member: Member) -> list[tuple[str, str, str | None]]:
    page = member.api.get("/notifications", params={"limit": 100})
    return [(n["kind"], n["actor"]["climber_id"], n["climb_id"]) for n in page["items"]]


def _denied_publisher(settings: Settings) -> EventBridgePublisher:
    """PutEvents signed with keys the account does not have: the bus refuses every call."""
    client = boto3.session.Session().client(
        "events",
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        aws_access_key_id="AKIAOUTBOXDENIED0000",
        aws_secret_access_key="not-a-real-secret",
    )
    return EventBridgePublisher(client, settings.event_bus_name, attempts=1)


def _bus(settings: Settings) -> EventBridgePublisher:
    return EventBridgePublisher(aws_client("events", settings), settings.event_bus_name)


def _community(db: Database, settings: Settings, publisher: EventBridgePublisher) -> Community:
    return build(db, settings, s3=aws_client("s3", settings), publisher=publisher)


def _pending(db: Database, collection: str, document_id: str) -> list[str]:
    document = db[collection].find_one({"_id": document_id}) or {}
    return [entry["detail_type"] for entry in document.get("outbox") or []]


def _stored(db: Database, collection: str, document_id: str) -> list[EventDetail]:
    document = db[collection].find_one({"_id": document_id}) or {}
    return [event_from_json(e["detail_type"], e["detail"]) for e in document.get("outbox") or []]


def _deliver(settings: Settings, event: EventDetail) -> None:
    """One more delivery of `event` to the notify function, as EventBridge's at-least-once
    (or a sweep that re-publishes) makes it: in this process, so it is done on return."""
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.DETAIL_TYPE,
        "source": event.SOURCE,
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": settings.region,
        "resources": [],
        "detail": json.loads(event.model_dump_json()),
    }
    invoke("notify", envelope)


def _age(db: Database, collection: str, document_id: str) -> None:
    """Makes a pending outbox look two minutes old, as the next scheduled sweep would find it
    (a replace: nx-27017 would store a `$set` datetime as text)."""
    document = db[collection].find_one({"_id": document_id})
    assert document is not None
    document["outbox_since"] = datetime.now(UTC) - timedelta(minutes=2)
    db[collection].replace_one({"_id": document_id}, document)


def test_a_like_the_bus_refused_stays_in_the_outbox_and_the_sweep_notifies_once(
    join: Join, db: Database, settings: Settings, stack: LocalStack
) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    down = _community(db, settings, _denied_publisher(settings))

    assert down.likes.like_climb(fan.sub, climb_id).liked  # the write stands: the client gets 200
    like_id = pair_id(climb_id, fan.sub)
    (liked,) = _stored(db, "likes", like_id)
    assert liked.DETAIL_TYPE == "Climb Liked"
    assert fan.api.get(f"/climbs/{climb_id}/card")["like_count"] == 1

    _age(db, "likes", like_id)
    # functions/outbox in its execution environment, under its role's PutEvents statements.
    assert stack.invoke("outbox", SCHEDULED)["flushed"] >= 1
    assert _stored(db, "likes", like_id) == []
    expected = [("climb_liked", fan.sub, climb_id)]
    assert _eventually(lambda: _notifications(owner), lambda n: n == expected) == expected
    _deliver(settings, liked)  # delivered again: the same fact, the same key
    assert _notifications(owner) == expected


def test_a_crash_between_the_follow_write_and_its_publish_is_recovered_by_the_sweep(
    join: Join, db: Database, settings: Settings, stack: LocalStack
) -> None:
    owner, fan = join("owner"), join("fan")
    community = _community(db, settings, _bus(settings))
    now = datetime.now(UTC) - timedelta(minutes=2)
    # The domain's lower layer: the follow and its event in one write, and then the process
    # dies (the publish step never runs).
    followed = ClimberFollowed(
        user_id=fan.sub, occurred_at=now, followee_id=owner.sub, status="active"
    )
    community.relations.follow(
        fan.sub, owner.sub, status=FollowStatus.ACTIVE, now=now, events=[followed]
    )
    assert _stored(db, "follows", pair_id(fan.sub, owner.sub)) == [followed]
    assert [f["climber_id"] for f in owner.api.get("/me/followers")] == [fan.sub]

    stack.invoke("outbox", SCHEDULED)
    expected = [("followed", fan.sub, None)]
    assert _eventually(lambda: _notifications(owner), lambda n: n == expected) == expected
    assert _stored(db, "follows", pair_id(fan.sub, owner.sub)) == []


def test_concurrent_sweeps_and_re_deliveries_notify_once(
    join: Join, db: Database, settings: Settings
) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    down = _community(db, settings, _denied_publisher(settings))
    down.likes.like_climb(fan.sub, climb_id)
    comment_id = down.comments.post(fan.sub, climb_id, NewComment(text="Allez!")).comment_id
    like_id = pair_id(climb_id, fan.sub)
    left = [*_stored(db, "likes", like_id), *_stored(db, "comments", comment_id)]
    assert [e.DETAIL_TYPE for e in left] == ["Climb Liked", "Comment Posted"]
    _age(db, "likes", like_id)
    _age(db, "comments", comment_id)

    bus = _bus(settings)
    start = threading.Barrier(4)
    results: list[int] = []

    def sweep() -> None:
        start.wait()
        results.append(Outbox(db, bus).sweep(datetime.now(UTC)))

    sweeps = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join(timeout=60)
    assert len(results) == 4
    assert _stored(db, "likes", like_id) == [] and _stored(db, "comments", comment_id) == []

    expected = sorted([("climb_liked", fan.sub, climb_id), ("commented", fan.sub, climb_id)])
    seen = _eventually(lambda: sorted(_notifications(owner)), lambda n: n == expected)
    assert seen == expected
    for event in left:  # a sweep that lost PutEvents' answer publishes them again
        _deliver(settings, event)
    assert sorted(_notifications(owner)) == expected


def test_an_unlike_before_the_like_went_out_carries_it_and_ends_unliked(
    join: Join, db: Database, settings: Settings, stack: LocalStack
) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    like_id = pair_id(climb_id, fan.sub)
    down = _community(db, settings, _denied_publisher(settings))
    up = _community(db, settings, _bus(settings))
    subscriber = stack.subscriber(detail={"user_id": [fan.sub]})
    try:
        down.likes.like_climb(fan.sub, climb_id)
        (first_like,) = _stored(db, "likes", like_id)
        # The unlike comes while `Climb Liked` is still pending: its tombstone takes it along.
        down.likes.unlike_climb(fan.sub, climb_id)
        assert [e.DETAIL_TYPE for e in _stored(db, "likes", like_id)] == [
            "Climb Liked",
            "Climb Unliked",
        ]
        card = fan.api.get(f"/climbs/{climb_id}/card")
        assert (card["like_count"], card["liked"]) == (0, False)  # the tombstone is no like
        # Liked again over the tombstone: all three events go out with this write.
        assert up.likes.like_climb(fan.sub, climb_id).like_count == 1
        assert _stored(db, "likes", like_id) == []
        assert up.likes.unlike_climb(fan.sub, climb_id).like_count == 0
        assert db["likes"].count_documents({"_id": like_id}) == 0  # no tombstone left

        def received() -> list[str]:
            subscriber.poll()
            return [e["detail"]["idempotency_key"] for e in subscriber.received]

        keys = _eventually(received, lambda k: len(k) >= 4)
        last = max(e["detail"]["occurred_at"] for e in subscriber.received)
    finally:
        subscriber.close()
    assert len(keys) == len(set(keys)) == 4  # two likes, two unlikes, each once
    assert first_like.idempotency_key in keys  # the carried like, with its own key

    # The consumer settles on the last fact (the second unlike), whatever the delivery order.
    last_at = datetime.fromisoformat(last.replace("Z", "+00:00"))
    key = f"{owner.sub}|climb_liked|{fan.sub}|{climb_id}"
    marker = _eventually(
        lambda: db["notifications"].find_one({"key": key}) or {},
        lambda m: m.get("at") == last_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    assert marker.get("undone") is True
    assert _notifications(owner) == []
    # A late copy of either like (a sweep that read it before the unlike) changes nothing.
    _deliver(settings, first_like)
    assert _notifications(owner) == []


def test_a_climber_deleted_the_bus_refused_is_published_by_the_leave_schedule(
    join: Join, db: Database, settings: Settings, stack: LocalStack
) -> None:
    leaver = join("leaver")
    down = _community(db, settings, _denied_publisher(settings))
    down.leaving.request(leaver.sub)
    with pytest.raises(OutOfTime):
        down.leaving.run(leaver.sub)
    stopped = down.leaving.status(leaver.sub)
    assert stopped.status == "running"
    assert stopped.steps_done == [str(step) for step in STEPS if step != Step.ANNOUNCED]

    subscriber = stack.subscriber(detail={"user_id": [leaver.sub]})
    try:
        # The schedule (EventBridge rate rule -> functions/leave, in its environment) resumes it.
        schedule = scheduled_event(settings.region, "boulderstat-local-leave")
        assert stack.invoke("leave", schedule)["finished"] >= 1
        event = subscriber.wait_for(lambda e: e["detail-type"] == "Climber Deleted", timeout=60)
    finally:
        subscriber.close()
    assert event["detail"]["idempotency_key"] == f"climber-deleted:{leaver.sub}"
    assert down.leaving.status(leaver.sub).status == "done"
