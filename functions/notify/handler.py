"""Community events from the bus (EventBridge rule) -> notifications in MongoDB.

An event this consumer does not know is logged and skipped (a new event type must not land in
the dead-letter queue); a malformed known event raises, so Lambda retries and then dead-letters
it for an operator.
"""

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from boulderstat.community.wiring import community
from boulderstat.observability import lambda_handler, logger


@lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> None:
    notifier = community().notifier
    detail = notifier.parse(event.detail_type, event.detail)
    if detail is None:
        logger.warning("event not for notifications", detail_type=event.detail_type)
        return
    notifier.handle(detail)
