"""`Media Processed` with `web_rendition: pending` (EventBridge rule) -> web.mp4, then
`Media Web Rendition Ready` / `... Failed`. The media is already `ready` with its poster.

A file that cannot be transcoded ends as a failed web rendition (the poster stays); anything
else (S3, MongoDB, EventBridge unavailable) raises, so Lambda's bounded retries and the
on-failure destination take over.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.catalog import MediaProcessed
from boulderstat.events.delivery import event_detail
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.media.web_rendition import WebRenditionMaker
from boulderstat.observability import lambda_handler, logger, metrics
from boulderstat.settings import get_settings
from boulderstat.time_budget import TimeBudget


@per_container
def maker() -> WebRenditionMaker:
    settings = get_settings()
    return WebRenditionMaker(
        MediaRepository(mongo_database(settings)),
        MediaStorage(aws_client("s3", settings), settings.media_bucket),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
        settings,
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    processed = event_detail(event, MediaProcessed)
    logger.append_keys(media_id=processed.media_id, user_id=processed.user_id)
    budget = TimeBudget.before_timeout(
        context.get_remaining_time_in_millis(),
        margin_seconds=get_settings().processing_margin_seconds,
    )
    outcome = maker().make(processed, budget)
    metrics.add_metric(name=f"WebRendition{outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info("web rendition finished", outcome=outcome.value)
    return {"media_id": processed.media_id, "outcome": outcome.value}
