"""ClimbService against the real MongoDB-protocol server, with a fixed clock and the published
events captured in a list (a stand-in for the EventBridge adapter, not for our code)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo.database import Database

from boulderstat.climbs.cursor import CLIMBS, PageKey, encode_cursor
from boulderstat.climbs.models import Climb, ClimbChanges, ClimbQuery, NewClimb
from boulderstat.climbs.repository import COLLECTION, ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.errors import NotFound, ValidationFailed
from boulderstat.events import ClimbCreated, ClimbDeleted, ClimbUpdated, EventDetail

NOW = datetime(2026, 5, 6, 18, 30, 15, 123456, tzinfo=UTC)  # a Wednesday


class CapturedEvents:
    def __init__(self) -> None:
        self.published: list[EventDetail] = []

    def publish(self, *details: EventDetail) -> None:
        self.published.extend(details)


class BrokenBus:
    def publish(self, *details: EventDetail) -> None:
        raise RuntimeError("EventBridge is down")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def events() -> CapturedEvents:
    return CapturedEvents()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(db: Database, events: CapturedEvents, clock: Clock) -> ClimbService:
    return ClimbService(ClimbRepository(db), events, clock, page_size_default=5, page_size_max=10)


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


def _new(**fields: Any) -> NewClimb:
    base: dict[str, Any] = {
        "title": "Crimp ladder",
        "grade": "V4",
        "outcome": "send",
        "attempts": 2,
        "climb_date": "2026-05-01",
    }
    return NewClimb.model_validate(base | fields)


def test_create_stores_the_climb_for_its_owner_and_publishes(
    service: ClimbService, db: Database, events: CapturedEvents, user: str
) -> None:
    climb = service.create(user, _new(title="$where", tags=["$gt"], media_ids=["m1"]))

    stored = db[COLLECTION].find_one({"_id": climb.climb_id})
    assert stored is not None
    assert stored["user_id"] == user
    assert (stored["title"], stored["tags"], stored["grade"]) == ("$where", ["$gt"], 4)
    assert stored["climb_date"] == "2026-05-01"
    assert climb.created_at == climb.updated_at == NOW.replace(microsecond=123000)
    assert service.get(user, climb.climb_id) == climb  # what we returned is what we read back
    assert events.published == [
        ClimbCreated(
            user_id=user,
            occurred_at=climb.created_at,
            climb_id=climb.climb_id,
            revision=1,
            grade=4,
            outcome="send",
            climb_date="2026-05-01",
            media_ids=["m1"],
        )
    ]


def test_a_date_more_than_a_day_ahead_is_refused_and_nothing_is_written(
    service: ClimbService, db: Database, events: CapturedEvents, user: str
) -> None:
    service.create(user, _new(climb_date="2026-05-07"))  # tomorrow in UTC: allowed slack
    with pytest.raises(ValidationFailed, match="in the future; latest accepted is 2026-05-07"):
        service.create(user, _new(climb_date="2026-05-08"))
    assert db[COLLECTION].count_documents({"user_id": user}) == 1
    assert len(events.published) == 1


def test_another_users_climb_is_not_found_for_every_operation(
    service: ClimbService, db: Database, events: CapturedEvents, user: str
) -> None:
    theirs = service.create(user, _new())
    intruder = f"user-{uuid.uuid4().hex}"
    with pytest.raises(NotFound):
        service.get(intruder, theirs.climb_id)
    with pytest.raises(NotFound):
        service.update(intruder, theirs.climb_id, ClimbChanges(title="mine now"))
    with pytest.raises(NotFound):
        service.delete(intruder, theirs.climb_id)
    assert service.list_page(intruder, ClimbQuery()).items == []
    assert service.get(user, theirs.climb_id) == theirs
    assert [type(e) for e in events.published] == [ClimbCreated]


def test_update_changes_only_what_was_sent_and_names_it(
    service: ClimbService, events: CapturedEvents, clock: Clock, user: str
) -> None:
    climb = service.create(user, _new(angle="roof", location={"kind": "gym", "name": "Arch"}))
    clock.now = NOW + timedelta(minutes=5)

    updated = service.update(
        user, climb.climb_id, ClimbChanges.model_validate({"grade": "7A", "angle": None})
    )

    assert (updated.grade, updated.angle, updated.title) == (6, None, climb.title)
    assert updated.location == climb.location
    assert updated.created_at == climb.created_at
    assert updated.updated_at == clock.now.replace(microsecond=123000)
    assert service.get(user, climb.climb_id) == updated
    last = events.published[-1]
    assert isinstance(last, ClimbUpdated)
    assert (last.changed_fields, last.grade, last.climb_id) == (
        ["grade", "angle"],
        6,
        climb.climb_id,
    )


def test_an_update_that_changes_nothing_writes_and_publishes_nothing(
    service: ClimbService, events: CapturedEvents, clock: Clock, user: str
) -> None:
    climb = service.create(user, _new())
    clock.now = NOW + timedelta(hours=1)
    same = service.update(user, climb.climb_id, ClimbChanges(title=climb.title, grade=4))
    assert same == climb
    assert len(events.published) == 1


def test_update_rechecks_rules_against_the_stored_climb(
    service: ClimbService, db: Database, user: str
) -> None:
    climb = service.create(user, _new(attempts=3))
    with pytest.raises(ValidationFailed, match=r"attempts must be 1 \(got 3\)"):
        service.update(user, climb.climb_id, ClimbChanges.model_validate({"outcome": "flash"}))
    with pytest.raises(ValidationFailed, match="in the future"):
        service.update(user, climb.climb_id, ClimbChanges(climb_date=date(2026, 6, 1)))
    flashed = service.update(
        user, climb.climb_id, ClimbChanges.model_validate({"outcome": "flash", "attempts": 1})
    )
    assert (flashed.outcome, flashed.attempts) == ("flash", 1)
    assert db[COLLECTION].find_one({"_id": climb.climb_id})["revision"] == 2


def test_an_update_based_on_a_stale_read_does_not_overwrite(
    service: ClimbService, db: Database, user: str
) -> None:
    repository = ClimbRepository(db)
    climb = service.create(user, _new())
    stale = repository.get(user, climb.climb_id)
    assert stale is not None
    service.update(user, climb.climb_id, ClimbChanges(title="renamed"))
    lost_update = stale.climb.model_copy(
        update={"description": "written from a stale copy", "revision": stale.revision + 1}
    )
    assert not repository.replace(user, lost_update, expected_revision=stale.revision)
    assert service.get(user, climb.climb_id).title == "renamed"


def test_delete_removes_and_publishes_with_the_media_ids(
    service: ClimbService, db: Database, events: CapturedEvents, user: str
) -> None:
    climb = service.create(user, _new(media_ids=["m1", "m2"]))
    service.delete(user, climb.climb_id)
    assert db[COLLECTION].count_documents({"_id": climb.climb_id}) == 0
    deleted = events.published[-1]
    assert isinstance(deleted, ClimbDeleted)
    assert (deleted.climb_id, deleted.media_ids) == (climb.climb_id, ["m1", "m2"])
    with pytest.raises(NotFound):
        service.delete(user, climb.climb_id)


def test_a_failed_publish_does_not_undo_or_fail_the_write(db: Database, user: str) -> None:
    service = ClimbService(ClimbRepository(db), BrokenBus(), Clock(NOW))
    climb = service.create(user, _new())
    assert service.get(user, climb.climb_id) == climb


def _log(service: ClimbService, user: str, days: list[int], **fields: Any) -> list[Climb]:
    return [
        service.create(
            user, _new(climb_date=(NOW.date() - timedelta(days=d)).isoformat(), **fields)
        )
        for d in days
    ]


def _newest_first(climbs: list[Climb]) -> list[str]:
    ordered = sorted(climbs, key=lambda c: (c.climb_date, c.climb_id), reverse=True)
    return [c.climb_id for c in ordered]


def test_pages_walk_newest_first_without_gaps_or_repeats(
    service: ClimbService, clock: Clock, user: str
) -> None:
    climbs = []
    for step, days_ago in enumerate([3, 0, 3, 1, 3, 0, 7, 3, 2, 1, 0, 3]):
        clock.now = NOW + timedelta(milliseconds=step)  # same-day climbs: creation order
        climbs += _log(service, user, [days_ago])

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = service.list_page(user, ClimbQuery.model_validate({"limit": 5, "cursor": cursor}))
        seen += [c.climb_id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == _newest_first(climbs)
    same_day = [c.climb_id for c in climbs if c.climb_date == NOW.date() - timedelta(days=3)]
    assert [i for i in seen if i in same_day] == same_day[::-1]  # ties: newest created first


def test_a_full_last_page_has_no_next_cursor(service: ClimbService, user: str) -> None:
    _log(service, user, [0, 1, 2, 3, 4])
    page = service.list_page(user, ClimbQuery())
    assert len(page.items) == 5
    assert page.next_cursor is None


def test_deleting_between_pages_skips_nothing(service: ClimbService, user: str) -> None:
    climbs = _log(service, user, [0, 1, 2, 3, 4, 5])
    first = service.list_page(user, ClimbQuery.model_validate({"limit": 3}))
    service.delete(user, first.items[-1].climb_id)
    rest = service.list_page(
        user, ClimbQuery.model_validate({"limit": 3, "cursor": first.next_cursor})
    )
    assert [c.climb_id for c in first.items + rest.items] == _newest_first(climbs)


def test_page_size_is_bounded_by_settings(service: ClimbService, user: str) -> None:
    with pytest.raises(ValidationFailed, match="at most 10"):
        service.list_page(user, ClimbQuery(limit=11))


def test_a_cursor_never_reaches_another_users_climbs(service: ClimbService, user: str) -> None:
    mine = _log(service, user, [0, 1])
    other = f"user-{uuid.uuid4().hex}"
    _log(service, other, [0, 1, 2])
    cursor = encode_cursor(PageKey(mine[0].climb_date, mine[0].climb_id), CLIMBS)
    page = service.list_page(user, ClimbQuery.model_validate({"cursor": cursor}))
    assert [c.climb_id for c in page.items] == [mine[1].climb_id]


def test_filters_combine(service: ClimbService, user: str) -> None:
    gym = {"kind": "gym", "name": "Arch"}
    crag = {"kind": "crag", "name": "Fontainebleau", "area": "Cuvier"}
    a = service.create(user, _new(grade="V2", angle="slab", holds=["crimp"], location=gym))
    b = service.create(
        user, _new(grade="6C", outcome="flash", attempts=1, styles=["dyno"], location=crag)
    )
    c = service.create(
        user,
        _new(grade="V8", outcome="project", holds=["crimp", "sloper"], climb_date="2026-04-01"),
    )

    def ids(**params: Any) -> set[str]:
        return {
            x.climb_id for x in service.list_page(user, ClimbQuery.model_validate(params)).items
        }

    assert ids() == {a.climb_id, b.climb_id, c.climb_id}
    assert ids(min_grade="V3") == {b.climb_id, c.climb_id}
    assert ids(min_grade="f5", max_grade="6C+") == {a.climb_id, b.climb_id}
    assert ids(**{"from": "2026-04-15"}) == {a.climb_id, b.climb_id}
    assert ids(to="2026-04-01") == {c.climb_id}
    assert ids(outcome="flash") == {b.climb_id}
    assert ids(angle="slab") == {a.climb_id}
    assert ids(hold="crimp") == {a.climb_id, c.climb_id}
    assert ids(style="dyno") == {b.climb_id}
    assert ids(location_name="Arch") == {a.climb_id}
    assert ids(location_kind="crag") == {b.climb_id}
    assert ids(location_kind="crag", location_name="Arch") == set()
    assert ids(location_name="$ne") == set()
