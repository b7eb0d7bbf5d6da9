"""The notify consumer against the real MongoDB-protocol server: duplicates, re-publishes and any
delivery order end in what the last fact says (delivery is at least once and unordered, and the
outbox re-publishes a like that was pending when its unlike came)."""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from boulderstat.community.notifications import MarkRead, Notifier
from boulderstat.community.profiles import ProfileRepository
from boulderstat.events.catalog import (
    ClimberFollowed,
    ClimberUnfollowed,
    ClimbLiked,
    ClimbUnliked,
    EventDetail,
)

T0 = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def notifier(db: Database) -> Notifier:
    notifier = Notifier(db, ProfileRepository(db))
    notifier.ensure_indexes()
    return notifier


def _ids() -> tuple[str, str, str]:
    return (f"owner-{uuid.uuid4().hex}", f"fan-{uuid.uuid4().hex}", uuid.uuid4().hex)


def _like(fan: str, owner: str, climb: str, seconds: float) -> ClimbLiked:
    return ClimbLiked(
        user_id=fan, occurred_at=T0 + timedelta(seconds=seconds), climb_id=climb, owner_id=owner
    )


def _unlike(fan: str, owner: str, climb: str, seconds: float) -> ClimbUnliked:
    return ClimbUnliked(
        user_id=fan, occurred_at=T0 + timedelta(seconds=seconds), climb_id=climb, owner_id=owner
    )


def _kinds(notifier: Notifier, owner: str) -> list[tuple[str, str]]:
    return [(n.kind, n.actor.climber_id) for n in notifier.page(owner, after=None, limit=50).items]


@pytest.mark.parametrize("last", ["unlike", "like"])
def test_like_unlike_like_in_every_order_ends_as_the_last_fact(
    notifier: Notifier, last: str
) -> None:
    for order in itertools.permutations(range(3)):
        owner, fan, climb = _ids()
        facts: list[EventDetail] = [_like(fan, owner, climb, 0), _unlike(fan, owner, climb, 1)]
        facts.append(
            _like(fan, owner, climb, 2) if last == "like" else _unlike(fan, owner, climb, 2)
        )
        for index in order:
            notifier.handle(facts[index])
        notifier.handle(facts[0])  # the first like re-published late, after everything
        expected = [("climb_liked", fan)] if last == "like" else []
        assert _kinds(notifier, owner) == expected, order


def test_a_duplicate_delivery_notifies_once_and_keeps_the_read_mark(notifier: Notifier) -> None:
    owner, fan, climb = _ids()
    like = _like(fan, owner, climb, 0)
    notifier.handle(like)
    (first,) = notifier.page(owner, after=None, limit=50).items
    assert notifier.mark_read(owner, MarkRead()) == 1
    notifier.handle(like)
    (again,) = notifier.page(owner, after=None, limit=50).items
    assert (again.notification_id, again.read) == (first.notification_id, True)


def test_concurrent_duplicates_and_an_undo_end_unfollowed(notifier: Notifier) -> None:
    owner, fan, _ = _ids()
    followed = ClimberFollowed(user_id=fan, occurred_at=T0, followee_id=owner, status="active")
    unfollowed = ClimberUnfollowed(
        user_id=fan, occurred_at=T0 + timedelta(seconds=1), followee_id=owner
    )
    deliveries = [followed] * 4 + [unfollowed] * 2
    start = threading.Barrier(len(deliveries))

    def deliver(event: EventDetail) -> None:
        start.wait()
        notifier.handle(event)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _kinds(notifier, owner) == []
    notifier.handle(followed)  # and once more, late
    assert _kinds(notifier, owner) == []


def test_an_approved_request_is_not_brought_back_by_its_late_pending_event(
    notifier: Notifier,
) -> None:
    owner, fan, _ = _ids()
    pending = ClimberFollowed(user_id=fan, occurred_at=T0, followee_id=owner, status="pending")
    approved = ClimberFollowed(
        user_id=fan, occurred_at=T0 + timedelta(seconds=5), followee_id=owner, status="active"
    )
    notifier.handle(approved)
    notifier.handle(pending)
    assert _kinds(notifier, owner) == [("followed", fan)]
