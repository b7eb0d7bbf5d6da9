"""Events leave through an outbox, so a committed write is never left unannounced.

One mechanism for every collection whose writes owe events (`OUTBOX_COLLECTIONS`: climbs,
follows, likes, comments). Order of side effects (as for media, boulderstat/media/processing.py):
1. one document write stores the change AND the event(s) it owes (`outbox`, `outbox_since`,
   and `outbox_id`, a token that is new on every write that owes events);
2. publish the pending events on the bus;
3. clear the outbox, only if the document still holds that write (`outbox_id` unchanged).
A removal (a climb deleted, an unlike, an unfollow, a comment deleted) replaces the document by
a tombstone (`_id`, `deleted_by` and the outbox, none of the fields queries select on) that
step 3 deletes. A write that finds a pending outbox carries its events forward and publishes
them with its own; a like over an unflushed unlike's tombstone replaces it the same way.
A crash or an EventBridge outage between 1 and 3 leaves the events in the document: the outbox
sweep (functions/outbox, every few minutes in each stage, every minute on the local stack)
claims outboxes older than `SWEEP_AFTER` (a new `outbox_id`, so one of two concurrent sweeps
wins) and publishes them. An event may still go out twice (at least once) and unordered: the
idempotency key is in the stored detail, so it is the same on every re-publish; consumers dedupe
on it and order undos by `occurred_at` (docs/events.md).

nx-27017: details are stored as JSON text (it turns nested datetimes into naive strings), and
nothing here `$set`s a datetime (it would store a string the sweep's `$lt` never matches).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from boulderstat.errors import Conflict
from boulderstat.events.catalog import EventDetail, event_from_json
from boulderstat.events.publisher import EventPublisher
from boulderstat.ids import new_id

logger = Logger(child=True)

# Every collection whose documents may hold pending events: the sweep looks at each.
OUTBOX_COLLECTIONS = ("climbs", "follows", "likes", "comments")
# Longer than any request that is still on its way to step 3, so the sweep does not race it.
SWEEP_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 100  # documents per collection per sweep run: bounded work per invocation
WRITE_ATTEMPTS = 5  # a guarded write lost to a concurrent one is re-read and retried, bounded
_INDEX = "outbox_pending_since"


@dataclass(frozen=True)
class Pending:
    """One write's events, and what identifies that write (to clear it, and only it)."""

    collection: str
    document_id: str
    outbox_id: str | None
    tombstone: bool
    events: list[EventDetail]

    @classmethod
    def of(cls, collection: str, document: dict[str, Any]) -> Pending:
        return cls(
            collection=collection,
            document_id=document["_id"],
            outbox_id=document.get("outbox_id"),
            tombstone="deleted_by" in document,
            events=pending_events(document),
        )


def outbox_fields(events: Sequence[EventDetail], now: datetime) -> dict[str, Any]:
    """What a write stores next to its change: the events it owes, as first written."""
    return {
        "outbox": [{"detail_type": e.DETAIL_TYPE, "detail": e.model_dump_json()} for e in events],
        "outbox_since": now if events else None,
        "outbox_id": new_id() if events else None,
    }


def pending_events(document: dict[str, Any]) -> list[EventDetail]:
    return [
        event_from_json(entry["detail_type"], entry["detail"])
        for entry in document.get("outbox") or []
    ]


def tombstone(
    document_id: str, deleted_by: str, events: Sequence[EventDetail], now: datetime
) -> dict[str, Any]:
    """What a removal leaves until its events are out: no field any query selects on."""
    return {"_id": document_id, "deleted_by": deleted_by, **outbox_fields(events, now)}


def ensure_outbox_index(collection: Collection) -> None:
    """The sweep's query: documents whose events are still pending, oldest first."""
    collection.create_index([("outbox_since", 1)], name=_INDEX)


def insert(
    collection: Collection, document: dict[str, Any], events: Sequence[EventDetail], now: datetime
) -> Pending | None:
    """Inserts `document` with its events; None when a live document has its `_id` already.
    A tombstone in the way (its removal's events not out yet) is replaced, its events carried."""
    for _ in range(WRITE_ATTEMPTS):
        written = {**document, **outbox_fields(events, now)}
        try:
            collection.insert_one(written)
            return Pending.of(collection.name, written)
        except DuplicateKeyError:
            existing = collection.find_one({"_id": document["_id"]})
        if existing is None:
            continue  # the tombstone went out meanwhile: insert again
        if "deleted_by" not in existing:
            return None
        written = {**document, **outbox_fields([*pending_events(existing), *events], now)}
        guard = {"_id": existing["_id"], "outbox_id": existing.get("outbox_id")}
        if collection.find_one_and_replace(guard, written, projection={"_id": 1}) is not None:
            return Pending.of(collection.name, written)
    raise Conflict("It kept changing while writing it; retry")


def replace(
    collection: Collection,
    live: dict[str, Any],
    change: Callable[[dict[str, Any]], tuple[dict[str, Any], Sequence[EventDetail]]],
    now: datetime,
) -> tuple[dict[str, Any], Pending] | None:
    """Replaces the document `live` selects by `change(current)` (the new document and the
    events it owes), carrying pending events forward. None when nothing matches `live`."""
    for _ in range(WRITE_ATTEMPTS):
        current = collection.find_one(live)
        if current is None:
            return None
        written, events = change(current)
        written = {**written, **outbox_fields([*pending_events(current), *events], now)}
        guard = {**live, "_id": current["_id"], "outbox_id": current.get("outbox_id")}
        if collection.find_one_and_replace(guard, written, projection={"_id": 1}) is not None:
            return current, Pending.of(collection.name, written)
    raise Conflict("It kept changing while writing it; retry")


def remove(
    collection: Collection,
    live: dict[str, Any],
    deleted_by: str,
    events: Callable[[dict[str, Any]], Sequence[EventDetail]],
    now: datetime,
) -> tuple[dict[str, Any], Pending] | None:
    """Replaces the live document `live` selects by a tombstone holding `events(current)`;
    (what was removed, its pending write), or None when there was nothing to remove."""
    return replace(
        collection,
        live,
        lambda current: (tombstone(current["_id"], deleted_by, [], now), events(current)),
        now,
    )


class Outbox:
    def __init__(self, db: Database, publisher: EventPublisher) -> None:
        self._db = db
        self._publisher = publisher

    def flush(self, pending: Pending) -> bool:
        """Steps 2-3 for one write. A failed publish is logged, not raised: the write has
        committed, and an error would make the client retry it (a retried create would log the
        climb twice); the outbox keeps the events for the next write or the sweep."""
        if not pending.events:
            return True
        try:
            self._publisher.publish(*pending.events)
        except Exception:
            logger.exception(
                "events not published; kept in the outbox",
                collection=pending.collection,
                document_id=pending.document_id,
                detail_types=[e.DETAIL_TYPE for e in pending.events],
                user_ids=sorted({e.user_id for e in pending.events}),
            )
            return False
        collection = self._db[pending.collection]
        guard = {"_id": pending.document_id, "outbox_id": pending.outbox_id}
        if pending.tombstone:
            collection.delete_one(guard)
        else:
            collection.update_one(
                guard, {"$set": {"outbox": [], "outbox_since": None, "outbox_id": None}}
            )
        return True

    def sweep(
        self,
        now: datetime,
        *,
        older_than: timedelta = SWEEP_AFTER,
        collections: Sequence[str] = OUTBOX_COLLECTIONS,
    ) -> int:
        """Re-publishes outboxes left behind by crashed or failed writes; returns how many."""
        flushed = 0
        for name in collections:
            collection = self._db[name]
            stale = (
                collection.find({"outbox_since": {"$lt": now - older_than}})
                .sort("outbox_since", 1)
                .limit(SWEEP_BATCH)
            )
            for document in list(stale):
                claimed = self._claim(collection, document)
                if claimed is not None and self.flush(claimed):
                    flushed += 1
        return flushed

    @staticmethod
    def _claim(collection: Collection, document: dict[str, Any]) -> Pending | None:
        """A new `outbox_id`, if nobody changed the document since it was read: of two
        concurrent sweeps one publishes; a concurrent write carries the events forward."""
        token = new_id()
        guard = {"_id": document["_id"], "outbox_id": document.get("outbox_id")}
        if collection.update_one(guard, {"$set": {"outbox_id": token}}).matched_count != 1:
            return None
        return Pending.of(collection.name, {**document, "outbox_id": token})
