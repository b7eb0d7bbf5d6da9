"""Climb events: revisions, the outbox and If-Match, against the real MongoDB-protocol server.

The bus stand-ins here replace EventBridge (the adapter), never our code: one is down, one
accepts the events but the answer never comes back (a crash between publish and mark).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from boulderstat.climbs.models import ClimbChanges, NewClimb
from boulderstat.climbs.repository import COLLECTION, ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.errors import NotFound, PreconditionFailed
from boulderstat.events import ClimbCreated, ClimbDeleted, ClimbUpdated, EventDetail
from boulderstat.events.outbox import Outbox
from boulderstat.revisions import IfMatch

NOW = datetime(2026, 5, 6, 18, 30, 15, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


class Bus:
    """EventBridge stand-in: records what it accepted; `down` refuses, `lose_answer` accepts
    and then fails (the caller cannot tell the events went out)."""

    def __init__(self) -> None:
        self.published: list[EventDetail] = []
        self.down = False
        self.lose_answer = False

    def publish(self, *details: EventDetail) -> None:
        if self.down:
            raise ConnectionError("EventBridge is down")
        self.published.extend(details)
        if self.lose_answer:
            raise TimeoutError("read timeout after PutEvents")


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def repository(db: Database) -> ClimbRepository:
    return ClimbRepository(db)


@pytest.fixture
def service(repository: ClimbRepository, bus: Bus) -> ClimbService:
    return ClimbService(repository, bus, lambda: NOW)


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


def _new() -> NewClimb:
    return NewClimb.model_validate(
        {"title": "Arete", "grade": "V3", "outcome": "send", "climb_date": "2026-05-01"}
    )


def _pending(db: Database, climb_id: str) -> list[str]:
    document = db[COLLECTION].find_one({"_id": climb_id})
    return [entry["detail_type"] for entry in (document or {}).get("outbox") or []]


def test_each_write_is_one_revision_and_one_event_keyed_by_it(
    service: ClimbService, bus: Bus, db: Database, user: str
) -> None:
    climb = service.create(user, _new())
    service.update(user, climb.climb_id, ClimbChanges(title="Arete direct"))
    service.update(user, climb.climb_id, ClimbChanges(attempts=4))
    service.delete(user, climb.climb_id)

    assert [(type(e), e.revision) for e in bus.published] == [  # type: ignore[attr-defined]
        (ClimbCreated, 1),
        (ClimbUpdated, 2),
        (ClimbUpdated, 3),
        (ClimbDeleted, 4),
    ]
    assert [e.idempotency_key for e in bus.published] == [
        f"climb-created:{climb.climb_id}:1",
        f"climb-updated:{climb.climb_id}:2",
        f"climb-updated:{climb.climb_id}:3",
        f"climb-deleted:{climb.climb_id}:4",
    ]
    assert db[COLLECTION].count_documents({"_id": climb.climb_id}) == 0  # no tombstone left


def test_a_publish_that_fails_stays_in_the_outbox_until_the_next_write_sends_it(
    service: ClimbService, bus: Bus, db: Database, user: str
) -> None:
    bus.down = True
    climb = service.create(user, _new())
    assert service.get(user, climb.climb_id) == climb  # the write stands; the client sees 201
    assert _pending(db, climb.climb_id) == ["Climb Created"]

    bus.down = False
    service.update(user, climb.climb_id, ClimbChanges(title="renamed"))

    assert [e.idempotency_key for e in bus.published] == [
        f"climb-created:{climb.climb_id}:1",
        f"climb-updated:{climb.climb_id}:2",
    ]
    assert _pending(db, climb.climb_id) == []


def test_the_sweeper_publishes_what_a_crash_left_behind_and_only_once_it_is_stale(
    repository: ClimbRepository, service: ClimbService, bus: Bus, db: Database, user: str
) -> None:
    bus.lose_answer = True  # accepted by the bus, but we never learn it: the outbox stays
    climb = service.create(user, _new())
    assert _pending(db, climb.climb_id) == ["Climb Created"]
    bus.lose_answer = False
    sweeper = Outbox(db, bus)

    assert sweeper.sweep(NOW + timedelta(seconds=10)) == 0  # a request may still be finishing
    swept_at = NOW + timedelta(minutes=2)
    flushed = sweeper.sweep(swept_at)
    assert flushed >= 1  # other tests' leftovers in the shared database may go out too
    mine = [e for e in bus.published if getattr(e, "climb_id", None) == climb.climb_id]
    # At least once: the same fact twice, with the same key for consumers to dedupe on.
    assert [e.idempotency_key for e in mine] == [f"climb-created:{climb.climb_id}:1"] * 2
    assert _pending(db, climb.climb_id) == []
    assert db[COLLECTION].find_one({"_id": climb.climb_id})["outbox_since"] is None


def test_a_delete_whose_event_did_not_go_out_is_invisible_and_swept_later(
    repository: ClimbRepository, service: ClimbService, bus: Bus, db: Database, user: str
) -> None:
    climb = service.create(user, _new())
    bus.down = True
    service.delete(user, climb.climb_id)

    with pytest.raises(NotFound):
        service.get(user, climb.climb_id)
    with pytest.raises(NotFound):
        service.update(user, climb.climb_id, ClimbChanges(title="back from the dead"))
    assert climb.climb_id not in [c.climb_id for c in service.list_page(user, _query()).items]
    assert _pending(db, climb.climb_id) == ["Climb Deleted"]  # a tombstone with its event

    bus.down = False
    Outbox(db, bus).sweep(LATER)
    deleted = [e for e in bus.published if isinstance(e, ClimbDeleted)]
    assert [(e.climb_id, e.revision) for e in deleted] == [(climb.climb_id, 2)]
    assert db[COLLECTION].count_documents({"_id": climb.climb_id}) == 0


def _query():  # type: ignore[no-untyped-def]
    from boulderstat.climbs.models import ClimbQuery

    return ClimbQuery()


def test_if_match_changes_only_the_revision_it_names(
    service: ClimbService, bus: Bus, db: Database, user: str
) -> None:
    climb = service.create(user, _new())
    first = service.update(
        user, climb.climb_id, ClimbChanges(title="one"), if_match=IfMatch.parse('"1"')
    )
    assert first.revision == 2
    for stale in ('"1"', 'W/"2"', "2", "garbage", '"1", "3"'):
        with pytest.raises(PreconditionFailed, match="revision 2"):
            service.update(
                user, climb.climb_id, ClimbChanges(title="two"), if_match=IfMatch.parse(stale)
            )
        with pytest.raises(PreconditionFailed):
            service.delete(user, climb.climb_id, if_match=IfMatch.parse(stale))
    assert service.get(user, climb.climb_id) == first
    assert len(bus.published) == 2
    either = IfMatch.parse('"7", "2"')
    second = service.update(user, climb.climb_id, ClimbChanges(title="two"), if_match=either)
    assert second.revision == 3
    service.delete(user, climb.climb_id, if_match=IfMatch.parse("*"))
    assert db[COLLECTION].count_documents({"_id": climb.climb_id}) == 0
