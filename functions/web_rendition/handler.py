"""`Media Processed` with `web_rendition: pending` (EventBridge rule) -> web.mp4, then
`Media Web Rendition Ready` / `... Failed`. The media is already `ready` with its poster.

A file that cannot be transcoded ends as a failed web rendition (the poster stays); anything
else (S3, MongoDB, EventBridge unavailable) raises, so Lambda's bounded retries and the
on-failure destination take over.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.events.catalog import MediaProcessed
from boulderstat.events.delivery import event_detail
from boulderstat.media.web_rendition import WebRenditionMaker
from boulderstat.media.wiring import media_pipeline
from boulderstat.observability import lambda_handler, logger, metrics


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    processed = event_detail(event, MediaProcessed)
    logger.append_keys(media_id=processed.media_id, user_id=processed.user_id)
    media = media_pipeline()
    budget = media.budget(context.get_remaining_time_in_millis())
    outcome = media.step(WebRenditionMaker).make(processed, budget)
    metrics.add_metric(name=f"WebRendition{outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info("web rendition finished", outcome=outcome.value)
    return {"media_id": processed.media_id, "outcome": outcome.value}
