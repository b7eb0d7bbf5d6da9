"""A climber's numbers: hardest send, grade pyramid, outcomes, sessions and this week.

Definitions (the API documents them too):
- a *send* is outcome `send` or `flash`; projects count as climbs but not as sends;
- `hiscore` is the highest-graded send in the period; on a tie, the first day it was reached;
- `pyramid` counts sends per grade, easiest first, grades without sends left out;
- `sessions` is the number of distinct climb dates in the period;
- `this_week` is the ISO week (Monday to Sunday) containing today in UTC, whatever the period.

Everything for the period is one aggregation: `$match` on the caller (and dates) first, so the
user_id/climb_date index does the narrowing, then one `$facet` per figure.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import ConfigDict, Field

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.models import SENT, ClimbId, DateRange, IsoDate, Outcome, WithGradeLabel
from boulderstat.models import Model

WEEK_LIST_LIMIT = 100


class ClimbSummary(WithGradeLabel):
    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMB_SUMMARY))

    climb_id: ClimbId
    title: str
    grade: int
    outcome: Outcome
    climb_date: IsoDate


class GradeSends(WithGradeLabel):
    model_config = ConfigDict(json_schema_extra=examples(ex.GRADE_SENDS))

    grade: int
    sends: int


class OutcomeCounts(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.OUTCOME_COUNTS))

    flash: int = 0
    send: int = 0
    project: int = 0


class PeriodSummary(Model):
    climbs: int = Field(description="Climbs logged in the period, any outcome.")
    hiscore: ClimbSummary | None = Field(description="Hardest send; null without sends.")
    pyramid: list[GradeSends] = Field(description="Sends per grade, easiest first.")
    outcomes: OutcomeCounts
    sessions: int = Field(description="Distinct climb dates in the period.")


class Week(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.WEEK))

    start: IsoDate = Field(description="Monday of the current ISO week (UTC).")
    end: IsoDate = Field(description="Sunday of the current ISO week (UTC).")
    climbs: int
    items: list[ClimbSummary] = Field(
        description=f"This week's climbs, newest first (at most {WEEK_LIST_LIMIT})."
    )


class ClimbStats(PeriodSummary):
    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMB_STATS))

    period: DateRange
    this_week: Week


def iso_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


_SUMMARY_FIELDS = {"_id": 0, "climb_id": 1, "title": 1, "grade": 1, "outcome": 1, "climb_date": 1}
_SENT = [str(outcome) for outcome in SENT]


def stats_pipeline(match: dict[str, Any]) -> list[dict[str, Any]]:
    """One pass over the caller's climbs in the period; `match` must filter on user_id."""
    if "user_id" not in match:
        raise ValueError("stats must be scoped to one climber")
    return [
        {"$match": match},
        {
            "$facet": {
                "climbs": [{"$count": "n"}],
                "hiscore": [
                    {"$match": {"outcome": {"$in": _SENT}}},
                    {"$sort": {"grade": -1, "climb_date": 1, "climb_id": 1}},
                    {"$limit": 1},
                    {"$project": _SUMMARY_FIELDS},
                ],
                "pyramid": [
                    {"$match": {"outcome": {"$in": _SENT}}},
                    {"$group": {"_id": "$grade", "sends": {"$sum": 1}}},
                    {"$sort": {"_id": 1}},
                ],
                "outcomes": [{"$group": {"_id": "$outcome", "n": {"$sum": 1}}}],
                "sessions": [{"$group": {"_id": "$climb_date"}}, {"$count": "n"}],
            }
        },
    ]


def _count(rows: list[dict[str, Any]]) -> int:
    # `$count` emits no document at all for an empty input.
    return int(rows[0]["n"]) if rows else 0


def summary_from_facets(facets: dict[str, Any]) -> PeriodSummary:
    hiscore = facets.get("hiscore") or []
    return PeriodSummary(
        climbs=_count(facets.get("climbs") or []),
        hiscore=ClimbSummary.model_validate(hiscore[0]) if hiscore else None,
        pyramid=sorted(
            (
                GradeSends(grade=row["_id"], sends=row["sends"])
                for row in facets.get("pyramid") or []
            ),
            key=lambda row: row.grade,
        ),
        outcomes=OutcomeCounts(
            **{str(row["_id"]): int(row["n"]) for row in facets.get("outcomes") or []}
        ),
        sessions=_count(facets.get("sessions") or []),
    )
