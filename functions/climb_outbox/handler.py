"""Every few minutes (EventBridge schedule): publish climb events a crashed write left behind.

See boulderstat/climbs/outbox.py for why events can be left in a climb's outbox and why
publishing them again is safe (consumers dedupe on `idempotency_key`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.climbs.outbox import ClimbOutbox
from boulderstat.climbs.repository import ClimbRepository
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.observability import lambda_handler, logger, metrics
from boulderstat.settings import get_settings


@per_container
def outbox() -> ClimbOutbox:
    settings = get_settings()
    return ClimbOutbox(
        ClimbRepository(mongo_database(settings)),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    flushed = outbox().sweep(datetime.now(UTC))
    metrics.add_metric(name="ClimbOutboxesFlushed", unit=MetricUnit.Count, value=flushed)
    if flushed:
        logger.warning("published climb events a failed write had left behind", climbs=flushed)
    return {"flushed": flushed}
