"""`Media Uploaded` on the stage bus (EventBridge rule) -> renditions, `ready`, `Media Processed`.

Permanent problems with the file end as `failed` + `Media Processing Failed`; anything else
(S3, MongoDB, EventBridge unavailable) raises, so Lambda's bounded retries and the on-failure
destination take over.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.catalog import MediaUploaded
from boulderstat.events.delivery import event_detail
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.media.processing import MediaProcessor
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.observability import lambda_handler, logger, metrics
from boulderstat.settings import get_settings
from boulderstat.time_budget import TimeBudget


@per_container
def processor() -> MediaProcessor:
    settings = get_settings()
    return MediaProcessor(
        MediaRepository(mongo_database(settings)),
        MediaStorage(aws_client("s3", settings), settings.media_bucket),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
        settings,
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    uploaded = event_detail(event, MediaUploaded)
    logger.append_keys(media_id=uploaded.media_id, user_id=uploaded.user_id)
    remaining_ms = context.get_remaining_time_in_millis()
    budget = TimeBudget.before_timeout(
        remaining_ms, margin_seconds=get_settings().processing_margin_seconds
    )
    outcome = processor().process(
        uploaded,
        budget,
        delivery_id=event.get("id"),  # the same for Lambda's retries of this event
        lease_seconds=remaining_ms / 1000,  # this delivery cannot run longer
    )
    metrics.add_metric(name=f"Media{outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info("media processing finished", outcome=outcome.value, kind=uploaded.kind)
    return {"media_id": uploaded.media_id, "outcome": outcome.value}
