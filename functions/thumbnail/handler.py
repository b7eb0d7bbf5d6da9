"""`Media Uploaded` on the stage bus (EventBridge rule) -> renditions, `ready`, `Media Processed`.

Permanent problems with the file end as `failed` + `Media Processing Failed`; anything else
(S3, MongoDB, EventBridge unavailable) raises, so Lambda's bounded retries and the on-failure
destination take over.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.events.catalog import MediaUploaded
from boulderstat.events.delivery import event_detail
from boulderstat.media.processing import MediaProcessor
from boulderstat.media.wiring import media_pipeline
from boulderstat.observability import lambda_handler, logger, metrics


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    uploaded = event_detail(event, MediaUploaded)
    logger.append_keys(media_id=uploaded.media_id, user_id=uploaded.user_id)
    remaining_ms = context.get_remaining_time_in_millis()
    media = media_pipeline()
    outcome = media.step(MediaProcessor).process(
        uploaded,
        media.budget(remaining_ms),
        delivery_id=event.get("id"),  # the same for Lambda's retries of this event
        lease_seconds=remaining_ms / 1000,  # this delivery cannot run longer
    )
    metrics.add_metric(name=f"Media{outcome.value.title()}", unit=MetricUnit.Count, value=1)
    logger.info("media processing finished", outcome=outcome.value, kind=uploaded.kind)
    return {"media_id": uploaded.media_id, "outcome": outcome.value}
