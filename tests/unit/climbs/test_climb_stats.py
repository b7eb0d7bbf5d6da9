"""Stats computed by the aggregation on the real MongoDB-protocol server, checked against the
definitions in boulderstat.climbs.stats."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo.database import Database

from boulderstat.climbs.models import NewClimb, StatsQuery
from boulderstat.climbs.repository import ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.climbs.stats import iso_week, stats_pipeline
from boulderstat.events import EventDetail

TODAY = date(2026, 5, 6)  # Wednesday; its ISO week is Mon 2026-05-04 .. Sun 2026-05-10


class NoEvents:
    def publish(self, *details: EventDetail) -> None:
        pass


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


def _service(db: Database, today: date = TODAY) -> ClimbService:
    now = datetime(today.year, today.month, today.day, 23, 59, tzinfo=UTC)
    return ClimbService(ClimbRepository(db), NoEvents(), lambda: now)


def _log(service: ClimbService, user: str, rows: list[tuple[str, str, str, int, str]]) -> dict:
    ids = {}
    for title, grade, outcome, attempts, day in rows:
        climb = service.create(
            user,
            NewClimb.model_validate(
                {
                    "title": title,
                    "grade": grade,
                    "outcome": outcome,
                    "attempts": attempts,
                    "climb_date": day,
                }
            ),
        )
        ids[title] = climb.climb_id
    return ids


LOGBOOK = [
    ("old v6 send", "V6", "send", 4, "2026-03-01"),
    ("warmup", "VB", "flash", 1, "2026-05-04"),  # Monday: in this week
    ("v3 a", "V3", "send", 2, "2026-05-04"),
    ("v3 b", "6A+", "flash", 1, "2026-05-03"),  # Sunday: last week
    ("project v9", "V9", "project", 12, "2026-05-05"),
    ("v6 again", "7A", "send", 5, "2026-05-06"),
    ("v5", "6C+", "send", 3, "2026-04-20"),
]


def test_all_time_stats(db: Database, user: str) -> None:
    service = _service(db)
    ids = _log(service, user, LOGBOOK)
    _log(
        service,
        f"user-{uuid.uuid4().hex}",
        [("someone else's V12", "V12", "send", 1, "2026-05-05")],
    )

    stats = service.stats(user, StatsQuery())

    assert stats.climbs == 7
    # Two V6 sends: the hiscore is the first time the grade was reached.
    assert stats.hiscore is not None
    assert (stats.hiscore.climb_id, stats.hiscore.grade_label) == (ids["old v6 send"], "V6")
    assert stats.hiscore.climb_date == date(2026, 3, 1)
    assert [(p.grade, p.grade_label, p.sends) for p in stats.pyramid] == [
        (-1, "VB", 1),
        (3, "V3", 2),
        (5, "V5", 1),
        (6, "V6", 2),
    ]  # the V9 project is no send
    assert stats.outcomes.model_dump() == {"flash": 2, "send": 4, "project": 1}
    assert stats.sessions == 6  # 2026-05-04 twice
    assert (stats.this_week.start, stats.this_week.end) == (date(2026, 5, 4), date(2026, 5, 10))
    assert stats.this_week.climbs == 4
    week = [c.climb_id for c in stats.this_week.items]  # newest first; Sunday's is last week
    assert week[:2] == [ids["v6 again"], ids["project v9"]]
    assert set(week[2:]) == {ids["v3 a"], ids["warmup"]}  # same day, same (fixed) clock


def test_a_period_narrows_everything_but_this_week(db: Database, user: str) -> None:
    service = _service(db)
    ids = _log(service, user, LOGBOOK)

    stats = service.stats(
        user, StatsQuery.model_validate({"from": "2026-04-01", "to": "2026-05-04"})
    )

    assert stats.climbs == 4
    assert stats.hiscore is not None and stats.hiscore.climb_id == ids["v5"]
    assert [(p.grade, p.sends) for p in stats.pyramid] == [(-1, 1), (3, 2), (5, 1)]
    assert stats.outcomes.model_dump() == {"flash": 2, "send": 2, "project": 0}
    assert stats.sessions == 3
    assert stats.this_week.climbs == 4
    assert stats.period.from_ == date(2026, 4, 1)


def test_a_climber_without_climbs_gets_zeros(db: Database, user: str) -> None:
    stats = _service(db).stats(user, StatsQuery())
    assert (stats.climbs, stats.hiscore, stats.pyramid, stats.sessions) == (0, None, [], 0)
    assert stats.outcomes.model_dump() == {"flash": 0, "send": 0, "project": 0}
    assert stats.this_week.climbs == 0 and stats.this_week.items == []


def test_only_projects_means_no_hiscore(db: Database, user: str) -> None:
    service = _service(db)
    _log(service, user, [("p", "V7", "project", 3, "2026-05-01")])
    stats = service.stats(user, StatsQuery())
    assert (stats.climbs, stats.hiscore, stats.pyramid, stats.sessions) == (1, None, [], 1)


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 5, 4), date(2026, 5, 4)),  # Monday
        (date(2026, 5, 10), date(2026, 5, 4)),  # Sunday
        (date(2027, 1, 1), date(2026, 12, 28)),  # a week spanning the new year
    ],
)
def test_iso_week_starts_on_monday(today: date, monday: date) -> None:
    assert iso_week(today) == (monday, monday + timedelta(days=6))


def test_the_pipeline_always_matches_on_the_climber_first() -> None:
    pipeline: list[dict[str, Any]] = stats_pipeline({"user_id": "u"})
    assert pipeline[0] == {"$match": {"user_id": "u"}}
    with pytest.raises(ValueError, match="scoped to one climber"):
        stats_pipeline({})
