"""Climbs in MongoDB (collection `climbs`): every query here filters on the caller's user_id.

Stored document: the `Climb` fields (enums as strings, `climb_date` as "YYYY-MM-DD", which sorts
and range-compares like the date, and `revision`, bumped on every write, so an update never
overwrites a change it did not see), plus `_id` (= climb_id) and `user_id`.

The outbox (boulderstat/events/outbox.py): every write stores the event(s) it must publish in
the same guarded document write and returns them as `Pending`, for the caller to publish and
clear (a later write carries them forward and publishes them itself). A delete replaces the
climb by a tombstone holding the `Climb Deleted` event until it is published; its `user_id` is
null (the owner is kept in `deleted_by`), so no query for a climber's climbs, here or elsewhere,
can ever return it.

Filters are built here from typed values only; no client dict ever reaches a query.

nx-27017 (the local MongoDB-protocol server) gaps this module works around:
- a compound index that names `_id` makes every insert fail ("JSON path error near '_id'"), so
  the id is also stored as `climb_id` and the list index uses that field;
- `$set` of a datetime stores a string, so updates replace the whole document (guarded by
  `revision`) instead of `$set`-ing fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from boulderstat.climbs.cursor import PageKey
from boulderstat.climbs.models import Climb, ClimbQuery, DateRange
from boulderstat.climbs.stats import PeriodSummary, stats_pipeline, summary_from_facets
from boulderstat.events.catalog import EventDetail
from boulderstat.events.outbox import (
    Pending,
    ensure_outbox_index,
    outbox_fields,
    pending_events,
)
from boulderstat.events.outbox import tombstone as outbox_tombstone

COLLECTION = "climbs"
NEWEST_FIRST = [("climb_date", DESCENDING), ("climb_id", DESCENDING)]
_INDEXES = {
    # Serves the list (newest first, keyset pages), the date range and the stats $match.
    "user_newest_first": [("user_id", 1), *NEWEST_FIRST],
}
_indexed: set[tuple[int, str]] = set()


@dataclass(frozen=True)
class StoredClimb:
    climb: Climb
    outbox: list[EventDetail] = dataclasses.field(default_factory=list)  # not yet published

    @property
    def revision(self) -> int:
        return self.climb.revision


def _to_document(
    user_id: str, climb: Climb, outbox: Sequence[EventDetail], since: datetime
) -> dict[str, Any]:
    document = climb.model_dump(mode="json", exclude={"grade_label", "created_at", "updated_at"})
    return {
        "_id": climb.climb_id,
        "user_id": user_id,
        **document,
        "created_at": climb.created_at,
        "updated_at": climb.updated_at,
        **outbox_fields(outbox, since),
    }


def _from_document(document: dict[str, Any]) -> StoredClimb:
    fields = {name: document[name] for name in Climb.model_fields if name in document}
    return StoredClimb(Climb.model_validate(fields), pending_events(document))


def _date_bounds(period: DateRange) -> dict[str, str]:
    bounds = {}
    if period.from_ is not None:
        bounds["$gte"] = period.from_.isoformat()
    if period.to is not None:
        bounds["$lte"] = period.to.isoformat()
    return bounds


def period_filter(user_id: str, period: DateRange) -> dict[str, Any]:
    query: dict[str, Any] = {"user_id": user_id}
    if bounds := _date_bounds(period):
        query["climb_date"] = bounds
    return query


def list_filter(user_id: str, query: ClimbQuery) -> dict[str, Any]:
    """The MongoDB filter for one page of GET /climbs (without the cursor)."""
    conditions = period_filter(user_id, query)
    grades: dict[str, int] = {}
    if query.min_grade is not None:
        grades["$gte"] = query.min_grade
    if query.max_grade is not None:
        grades["$lte"] = query.max_grade
    if grades:
        conditions["grade"] = grades
    for field, value in (
        ("outcome", query.outcome),
        ("angle", query.angle),
        ("holds", query.hold),  # equality on an array field: the array contains it
        ("styles", query.style),
        ("location.name", query.location_name),
        ("location.kind", query.location_kind),
    ):
        if value is not None:
            conditions[field] = str(value)
    return conditions


def after_key(key: PageKey) -> dict[str, Any]:
    """Everything strictly after `key` in the newest-first order."""
    day = key.climb_date.isoformat()
    return {
        "$or": [
            {"climb_date": {"$lt": day}},
            {"climb_date": day, "climb_id": {"$lt": key.climb_id}},
        ]
    }


class ClimbRepository:
    def __init__(self, db: Database) -> None:
        self._climbs: Collection = db[COLLECTION]
        self._ensure_indexes()

    @property
    def database(self) -> Database:
        """Where the outbox clears what this repository's writes owed."""
        return self._climbs.database

    def _ensure_indexes(self) -> None:
        """Once per process and collection: create_index is a round trip per cold start."""
        marker = (id(self._climbs.database.client), self._climbs.full_name)
        if marker in _indexed:
            return
        for name, keys in _INDEXES.items():
            self._climbs.create_index(keys, name=name)
        ensure_outbox_index(self._climbs)
        _indexed.add(marker)

    def add(self, user_id: str, climb: Climb, event: EventDetail, *, now: datetime) -> Pending:
        document = _to_document(user_id, climb, [event], now)
        self._climbs.insert_one(document)
        return Pending.of(COLLECTION, document)

    def get(self, user_id: str, climb_id: str) -> StoredClimb | None:
        document = self._climbs.find_one({"_id": climb_id, "user_id": user_id})
        return _from_document(document) if document else None

    def replace(
        self,
        user_id: str,
        climb: Climb,
        *,
        expected_revision: int,
        outbox: Sequence[EventDetail] = (),
        now: datetime | None = None,
    ) -> Pending | None:
        """Writes `climb` (and its pending events) if nobody changed it since
        `expected_revision`; None otherwise."""
        if climb.revision != expected_revision + 1:
            raise ValueError("a write moves the revision on by exactly one")
        document = _to_document(user_id, climb, outbox, now or climb.updated_at)
        result = self._climbs.find_one_and_replace(
            {"_id": climb.climb_id, "user_id": user_id, "revision": expected_revision},
            document,
            return_document=ReturnDocument.AFTER,
            projection={"_id": 1},
        )
        return Pending.of(COLLECTION, document) if result is not None else None

    def delete(
        self,
        user_id: str,
        climb_id: str,
        *,
        expected_revision: int,
        outbox: Sequence[EventDetail],
        now: datetime,
    ) -> Pending | None:
        """Replaces the climb by a tombstone holding its pending events; None if it changed."""
        tombstone = {
            **outbox_tombstone(climb_id, user_id, outbox, now),
            "user_id": None,
            "climb_id": climb_id,
            "revision": expected_revision + 1,
        }
        result = self._climbs.find_one_and_replace(
            {"_id": climb_id, "user_id": user_id, "revision": expected_revision},
            tombstone,
            projection={"_id": 1},
        )
        return Pending.of(COLLECTION, tombstone) if result is not None else None

    def page(
        self, user_id: str, query: ClimbQuery, *, after: PageKey | None, limit: int
    ) -> list[Climb]:
        conditions = list_filter(user_id, query)
        if after is not None:
            conditions = {"$and": [conditions, after_key(after)]}
        cursor = self._climbs.find(conditions).sort(NEWEST_FIRST).limit(limit)
        return [_from_document(document).climb for document in cursor]

    def summarize(self, user_id: str, period: DateRange) -> PeriodSummary:
        results = list(self._climbs.aggregate(stats_pipeline(period_filter(user_id, period))))
        return summary_from_facets(results[0] if results else {})

    def between(self, user_id: str, start: date, end: date, *, limit: int) -> list[Climb]:
        period = DateRange.model_validate({"from": start, "to": end})
        cursor = self._climbs.find(period_filter(user_id, period)).sort(NEWEST_FIRST).limit(limit)
        return [_from_document(document).climb for document in cursor]

    def count_between(self, user_id: str, start: date, end: date) -> int:
        period = DateRange.model_validate({"from": start, "to": end})
        return self._climbs.count_documents(period_filter(user_id, period))
