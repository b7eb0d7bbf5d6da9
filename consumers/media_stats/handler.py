"""An example consumer: `Media Processed` on the BoulderStat stage bus -> per-climber counts.

One self-contained module (deployed as handler.py by ./serverless.yml, whose service root is
this folder), so it imports nothing but its own dependencies: a consumer builds on the event
contract, not on BoulderStat's code. `MediaStats` is the logic (tested directly), `handler` is
the Lambda entry point.

How many photos and videos each climber has had processed, kept in MongoDB.

Delivery is at least once and unordered, so counting is idempotent by construction: each
`Media Processed` is stored once under its `idempotency_key` (an upsert that only ever inserts),
and a climber's counts are counted from those records. A duplicate delivery, a re-publish from
an outbox or a replay from the archive upserts the same record and changes no count; a crash at
any point is repaired by the redelivery. (A `$inc` per event would count duplicates twice, and
"insert a seen-marker, then `$inc`" would lose a count to a crash between the two writes.)

Configuration: MONGODB_URI (local) or MONGODB_URI_PARAMETER (an SSM SecureString, deployed),
and MONGODB_DATABASE. A failure raises, so Lambda's retries and the rule's dead-letter queue
take over; recording is idempotent, so a retry never counts twice.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database

logger = Logger(service="media-stats")
COLLECTION = "media_stats_processed"
SUPPORTED_SCHEMA_VERSION = 1


class MediaStats:
    def __init__(self, db: Database) -> None:
        self._processed = db[COLLECTION]

    def ensure_indexes(self) -> None:
        """Idempotent; run once per cold start, not per event."""
        self._processed.create_index([("user_id", ASCENDING), ("kind", ASCENDING)])

    def record_processed(self, detail: dict[str, Any]) -> bool:
        """Records one `Media Processed` detail; False if it was already recorded."""
        result = self._processed.update_one(
            {"_id": detail["idempotency_key"]},
            {
                "$setOnInsert": {
                    "user_id": detail["user_id"],
                    "media_id": detail["media_id"],
                    "kind": detail["kind"],
                    "occurred_at": datetime.fromisoformat(detail["occurred_at"]),
                },
                # How often the fact arrived: duplicates are expected, and worth watching.
                "$inc": {"deliveries": 1},
            },
            upsert=True,
        )
        return result.upserted_id is not None

    def counts(self, user_id: str) -> dict[str, int]:
        """{"photo": n, "video": m, "total": n + m} for one climber."""
        counts = {
            kind: self._processed.count_documents({"user_id": user_id, "kind": kind})
            for kind in ("photo", "video")
        }
        return {**counts, "total": sum(counts.values())}


def _mongodb_uri() -> str:
    if uri := os.environ.get("MONGODB_URI"):
        return uri
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_parameter(os.environ["MONGODB_URI_PARAMETER"], decrypt=True))


@cache
def media_stats() -> MediaStats:
    client: MongoClient = MongoClient(_mongodb_uri(), serverSelectionTimeoutMS=5000, tz_aware=True)
    stats = MediaStats(client[os.environ["MONGODB_DATABASE"]])
    stats.ensure_indexes()
    return stats


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    detail = event.detail
    if detail.get("schema_version") != SUPPORTED_SCHEMA_VERSION:
        # A new major version of the event: fail loudly (DLQ) rather than count it wrongly.
        raise ValueError(f"unsupported schema_version {detail.get('schema_version')!r}")
    counted = media_stats().record_processed(detail)
    logger.info(
        "media processed",
        idempotency_key=detail["idempotency_key"],
        user_id=detail["user_id"],
        duplicate=not counted,
    )
    return {"counted": counted}
