"""The climbs API: /climbs, /climbs/stats and /climbs/{climbId}, for the signed-in climber only.

Thin on purpose: Powertools validates the request against the pydantic models, the caller is
the JWT `sub`, and `ClimbService` does the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.climbs.cursor import CLIMB_ID_PATTERN
from boulderstat.climbs.models import (
    Climb,
    ClimbChanges,
    ClimbPage,
    ClimbQuery,
    NewClimb,
    StatsQuery,
)
from boulderstat.climbs.repository import ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.climbs.stats import ClimbStats
from boulderstat.community.profiles import ProfileRepository
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.http_api import (
    COGNITO_SECURITY,
    ETAG_HEADER,
    IfMatchHeader,
    caller_id,
    create_http_app,
    responses,
)
from boulderstat.observability import http_handler, metrics
from boulderstat.revisions import IfMatch, etag
from boulderstat.settings import get_settings

app = create_http_app(
    max_body_bytes=get_settings().max_body_bytes, tags=["climbs"], security=COGNITO_SECURITY
)

ClimbIdPath = Annotated[
    str, Path(alias="climbId", pattern=CLIMB_ID_PATTERN, description="The climb's id.")
]

NOT_FOUND = {404: "No such climb for the caller."}
CHANGE_ERRORS = {
    409: "Without If-Match: the climb kept changing under concurrent writes even after "
    "bounded retries. Re-read it and retry.",
    412: "If-Match names a revision that is no longer current (someone changed the climb "
    "since you read it). Re-read it (GET), re-apply your change, retry with the new ETag.",
}


def _climb_response(climb: Climb, status_code: int = 200) -> Response[Climb]:
    """The climb with its revision as `ETag`, to send back as `If-Match`."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=climb,
        headers={"ETag": etag(climb.revision)},
    )


def _climb(status: int, description: str, errors: dict[int, str | None] | None = None) -> Any:
    return responses(status, description, errors, model=Climb, headers=ETAG_HEADER)


@per_container
def climb_service() -> ClimbService:
    """Built on first use and kept for the container's life (one Mongo client, one boto3 client)."""
    settings = get_settings()
    db = mongo_database(settings)
    return ClimbService(
        ClimbRepository(db),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
        default_visibility=ProfileRepository(db).default_visibility,
    )


@app.get(
    "/climbs",
    summary="List my climbs, newest first",
    description=(
        "Ordered by climb_date, newest first; climbs of the same day by when they were logged, "
        "latest first. Pages by cursor: pass `next_cursor` back as `cursor` until it is null. "
        "Filters combine with AND; `from`/`to` and grades are inclusive."
    ),
    responses=responses(200, "One page of the caller's climbs."),
)
def list_climbs(filters: Annotated[ClimbQuery, Query()]) -> ClimbPage:
    return climb_service().list_page(caller_id(app), filters)


@app.post(
    "/climbs",
    status_code=201,
    summary="Log a climb",
    description=(
        "422 also when the climb breaks a rule: a flash takes exactly 1 attempt; climb_date is "
        "1900-01-01 or later and at most one day after today (UTC)."
    ),
    responses=_climb(201, "The climb as stored, with its id and ETag."),
)
def create_climb(climb: NewClimb) -> Response[Climb]:
    created = climb_service().create(caller_id(app), climb)
    metrics.add_metric(name="ClimbsLogged", unit=MetricUnit.Count, value=1)
    return _climb_response(created, 201)


@app.get(
    "/climbs/stats",
    summary="My hardest send, grade pyramid, outcomes, sessions and this week",
    description=(
        "`from`/`to` (inclusive, default all time) narrow climbs, hiscore, pyramid, outcomes "
        "and sessions. A send is outcome send or flash; hiscore is the highest-graded send "
        "(ties: the earliest); sessions are distinct climb dates. `this_week` ignores the "
        "period: it is the ISO week (Monday to Sunday) containing today in UTC."
    ),
    responses=responses(200, "The caller's statistics for the period."),
)
def climb_stats(period: Annotated[StatsQuery, Query()]) -> ClimbStats:
    return climb_service().stats(caller_id(app), period)


@app.get(
    "/climbs/<climbId>",
    summary="Get one climb",
    responses=_climb(200, "The climb.", NOT_FOUND),
)
def get_climb(climb_id: ClimbIdPath) -> Response[Climb]:
    return _climb_response(climb_service().get(caller_id(app), climb_id))


@app.patch(
    "/climbs/<climbId>",
    summary="Change some fields of a climb",
    description=(
        "Send the climb's ETag as `If-Match` to change exactly the version you read: 412 if it "
        "moved on. Without If-Match the change applies to the current climb (last writer wins). "
        "422 also when the changed climb breaks a rule (e.g. outcome flash on a climb that took "
        "3 attempts)."
    ),
    responses=_climb(200, "The climb after the change.", NOT_FOUND | CHANGE_ERRORS),
)
def update_climb(
    climb_id: ClimbIdPath, changes: ClimbChanges, if_match: IfMatchHeader = None
) -> Response[Climb]:
    updated = climb_service().update(
        caller_id(app), climb_id, changes, if_match=IfMatch.parse(if_match)
    )
    return _climb_response(updated)


@app.delete(
    "/climbs/<climbId>",
    status_code=204,
    summary="Delete a climb",
    description="With `If-Match`, only the revision it names is deleted (412 otherwise).",
    responses=responses(204, "Deleted.", NOT_FOUND | CHANGE_ERRORS),
)
def delete_climb(climb_id: ClimbIdPath, if_match: IfMatchHeader = None) -> Response[None]:
    climb_service().delete(caller_id(app), climb_id, if_match=IfMatch.parse(if_match))
    return Response(status_code=204)


handler = http_handler(app)
