"""Every few minutes (EventBridge schedule): publish the events a crashed or failed write left
in an outbox, for every collection that has one (climbs, follows, likes, comments).

See boulderstat/events/outbox.py for why events can be left behind and why publishing them
again is safe (consumers dedupe on `idempotency_key`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.outbox import Outbox
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.observability import lambda_handler, logger, metrics
from boulderstat.settings import get_settings


@per_container
def outbox() -> Outbox:
    settings = get_settings()
    return Outbox(
        mongo_database(settings),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    flushed = outbox().sweep(datetime.now(UTC))
    metrics.add_metric(name="OutboxesFlushed", unit=MetricUnit.Count, value=flushed)
    if flushed:
        logger.warning("published events a failed write had left behind", writes=flushed)
    return {"flushed": flushed}
