"""Leaving: DELETE /me starts (or continues) the account deletion job and runs it as far as
this invocation's time allows; GET /me/deletion shows its progress; a schedule resumes every
job an earlier invocation did not finish (see boulderstat/community/leaving.py)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from boulderstat.community.leaving import AccountDeletion, DeletionView, OutOfTime
from boulderstat.community.wiring import community
from boulderstat.http_api import COGNITO_SECURITY, caller_id, create_http_app, responses
from boulderstat.observability import lambda_handler, logger
from boulderstat.settings import get_settings
from boulderstat.time_budget import TimeBudget

app = create_http_app(
    max_body_bytes=get_settings().max_body_bytes, tags=["community"], security=COGNITO_SECURITY
)
# Time kept back from the invocation for writing the job's progress and answering.
MARGIN_SECONDS = 3.0


def leaving() -> AccountDeletion:
    return community().leaving


@app.delete(
    "/me",
    summary="Delete my account and everything of mine",
    description=(
        "Removes profile, climbs, media (originals and renditions), follows both ways, likes, "
        "comments (and what others wrote on my climbs) and notifications, then publishes "
        "`Climber Deleted`. Answers 202 with the job: `done`, or `running` while it still runs "
        "(it finishes on its own; GET /me/deletion shows progress)."
    ),
    responses=responses(
        202, "The job: `done`, or `running` (it finishes on its own).", model=DeletionView
    ),
)
def delete_me() -> Response[DeletionView]:
    climber_id = caller_id(app)
    jobs = leaving()
    jobs.request(climber_id)
    remaining = app.lambda_context.get_remaining_time_in_millis()
    try:
        view = jobs.run(
            climber_id, TimeBudget.before_timeout(remaining, margin_seconds=MARGIN_SECONDS)
        )
    except OutOfTime:
        view = jobs.status(climber_id)
    return Response(202, content_types.APPLICATION_JSON, view)


@app.get(
    "/me/deletion",
    summary="Progress of my account deletion",
    responses=responses(200, "The job's progress.", {404: "No account deletion was requested."}),
)
def deletion_status() -> DeletionView:
    return leaving().status(caller_id(app))


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if event.get("detail-type") == "Scheduled Event":
        budget = TimeBudget.before_timeout(
            context.get_remaining_time_in_millis(), margin_seconds=MARGIN_SECONDS
        )
        finished = leaving().resume_unfinished(budget)
        logger.info("resumed account deletions", finished=finished)
        return {"finished": finished}
    return app.resolve(event, context)
