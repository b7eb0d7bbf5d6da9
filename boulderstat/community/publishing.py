"""Publishing community events after the write they describe has committed.

A failed publish must not turn into an error the client retries (the write is done and a retry
is a no-op that would not publish again either): it is logged for an operator with the ids.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from boulderstat.events import EventDetail, EventPublisher

logger = Logger(child=True)


def publish_after_write(publisher: EventPublisher, detail: EventDetail) -> None:
    try:
        publisher.publish(detail)
    except Exception:
        logger.exception(
            "community event not published",
            detail_type=detail.DETAIL_TYPE,
            user_id=detail.user_id,
            detail=detail.model_dump(mode="json"),
        )
