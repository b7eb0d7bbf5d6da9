"""GET /notifications and POST /notifications/read: the caller's own notifications only."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict

from boulderstat.api_examples import examples
from boulderstat.community.api import NotificationsQuery
from boulderstat.community.notifications import MarkRead, NotificationPage
from boulderstat.community.wiring import community
from boulderstat.http_api import COGNITO_SECURITY, caller_id, create_http_app, responses
from boulderstat.models import Model
from boulderstat.observability import lambda_handler
from boulderstat.settings import get_settings

app = create_http_app(max_body_bytes=get_settings().max_body_bytes)
TAGS = ["notifications"]


class Marked(Model):
    model_config = ConfigDict(json_schema_extra=examples({"marked": 2}))

    marked: int


@app.get(
    "/notifications",
    tags=TAGS,
    security=COGNITO_SECURITY,
    summary="My notifications, newest first",
    responses=responses(200, "One page of my notifications."),
)
def list_notifications(page: Annotated[NotificationsQuery, Query()]) -> NotificationPage:
    return community().notifier.page(caller_id(app), after=page.after, limit=page.limit)


@app.post(
    "/notifications/read",
    tags=TAGS,
    security=COGNITO_SECURITY,
    summary="Mark some (or all) of my notifications read",
    responses=responses(200, "How many were marked read."),
)
def mark_read(request: MarkRead) -> Marked:
    return Marked(marked=community().notifier.mark_read(caller_id(app), request))


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
