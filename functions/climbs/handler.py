"""The climbs API: /climbs, /climbs/stats and /climbs/{climbId}, for the signed-in climber only.

Thin on purpose: Powertools validates the request against the pydantic models, the caller is
the JWT `sub`, and `ClimbService` does the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

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
from boulderstat.errors import InvalidRequest
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.http_api import (
    COGNITO_SECURITY,
    ETAG_HEADER,
    ApiError,
    IfMatchHeader,
    caller_id,
    create_http_app,
)
from boulderstat.observability import lambda_handler, metrics
from boulderstat.revisions import IfMatch, etag
from boulderstat.settings import get_settings

app = create_http_app(max_body_bytes=get_settings().max_body_bytes)

TAGS = ["climbs"]
SECURITY = COGNITO_SECURITY
ClimbIdPath = Annotated[
    str, Path(alias="climbId", pattern=CLIMB_ID_PATTERN, description="The climb's id.")
]

_JSON_ERROR = {"application/json": {"model": ApiError}}
ERRORS: dict[int, Any] = {
    400: {"description": "Bad request, e.g. an unknown query parameter.", "content": _JSON_ERROR},
    401: {
        "description": "Missing, malformed or expired token (the JWT authorizer answers).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    413: {"description": "Body larger than the stage's max_body_bytes.", "content": _JSON_ERROR},
}
NOT_FOUND: dict[int, Any] = {
    404: {"description": "No such climb for the caller.", "content": _JSON_ERROR}
}
CHANGE_ERRORS: dict[int, Any] = {
    409: {
        "description": (
            "Without If-Match: the climb kept changing under concurrent writes even after "
            "bounded retries. Re-read it and retry."
        ),
        "content": _JSON_ERROR,
    },
    412: {
        "description": (
            "If-Match names a revision that is no longer current (someone changed the climb "
            "since you read it). Re-read it (GET), re-apply your change, retry with the new ETag."
        ),
        "content": _JSON_ERROR,
    },
}


def _climb_response(climb: Climb, status_code: int = 200) -> Response[Climb]:
    """The climb with its revision as `ETag`, to send back as `If-Match`."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=climb,
        headers={"ETag": etag(climb.revision)},
    )


def _ok(description: str, status: int = 200) -> dict[int, Any]:
    return {
        status: {
            "description": description,
            "headers": ETAG_HEADER,
            "content": {"application/json": {"model": Climb}},
        }
    }


@per_container
def climb_service() -> ClimbService:
    """Built on first use and kept for the container's life (one Mongo client, one boto3 client)."""
    settings = get_settings()
    db = mongo_database(settings)
    return ClimbService(
        ClimbRepository(db),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
        page_size_default=settings.page_size_default,
        page_size_max=settings.page_size_max,
        default_visibility=ProfileRepository(db).default_visibility,
    )


def _reject_unknown_query(model: type[BaseModel]) -> None:
    """A misspelt filter (`min_grad=V5`) must not silently return everything."""
    allowed = {field.alias or name for name, field in model.model_fields.items()}
    unknown = sorted(set(app.current_event.query_string_parameters or {}) - allowed)
    if unknown:
        raise InvalidRequest(
            f"Unknown query parameter(s): {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


@app.get(
    "/climbs",
    tags=TAGS,
    security=SECURITY,
    summary="List my climbs, newest first",
    description=(
        "Ordered by climb_date, newest first; climbs of the same day by when they were logged, "
        "latest first. Pages by cursor: pass `next_cursor` back as `cursor` until it is null. "
        "Filters combine with AND; `from`/`to` and grades are inclusive."
    ),
    responses=ERRORS,
)
def list_climbs(filters: Annotated[ClimbQuery, Query()]) -> ClimbPage:
    _reject_unknown_query(ClimbQuery)
    return climb_service().list_page(caller_id(app), filters)


@app.post(
    "/climbs",
    status_code=201,
    tags=TAGS,
    security=SECURITY,
    summary="Log a climb",
    responses=_ok("The climb as stored.", 201) | ERRORS,
)
def create_climb(climb: NewClimb) -> Response[Climb]:
    created = climb_service().create(caller_id(app), climb)
    metrics.add_metric(name="ClimbsLogged", unit=MetricUnit.Count, value=1)
    return _climb_response(created, 201)


@app.get(
    "/climbs/stats",
    tags=TAGS,
    security=SECURITY,
    summary="My hardest send, grade pyramid, outcomes, sessions and this week",
    description=(
        "`from`/`to` (inclusive, default all time) narrow climbs, hiscore, pyramid, outcomes "
        "and sessions. A send is outcome send or flash; hiscore is the highest-graded send "
        "(ties: the earliest); sessions are distinct climb dates. `this_week` ignores the "
        "period: it is the ISO week (Monday to Sunday) containing today in UTC."
    ),
    responses=ERRORS,
)
def climb_stats(period: Annotated[StatsQuery, Query()]) -> ClimbStats:
    _reject_unknown_query(StatsQuery)
    return climb_service().stats(caller_id(app), period)


@app.get(
    "/climbs/<climbId>",
    tags=TAGS,
    security=SECURITY,
    summary="Get one climb",
    responses=_ok("The climb.") | ERRORS | NOT_FOUND,
)
def get_climb(climb_id: ClimbIdPath) -> Response[Climb]:
    return _climb_response(climb_service().get(caller_id(app), climb_id))


@app.patch(
    "/climbs/<climbId>",
    tags=TAGS,
    security=SECURITY,
    summary="Change some fields of a climb",
    description=(
        "Send the climb's ETag as `If-Match` to change exactly the version you read: 412 if it "
        "moved on. Without If-Match the change applies to the current climb (last writer wins)."
    ),
    responses=_ok("The climb after the change.") | ERRORS | NOT_FOUND | CHANGE_ERRORS,
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
    tags=TAGS,
    security=SECURITY,
    summary="Delete a climb",
    description="With `If-Match`, only the revision it names is deleted (412 otherwise).",
    responses={204: {"description": "Deleted."}} | ERRORS | NOT_FOUND | CHANGE_ERRORS,
)
def delete_climb(climb_id: ClimbIdPath, if_match: IfMatchHeader = None) -> Response[None]:
    climb_service().delete(caller_id(app), climb_id, if_match=IfMatch.parse(if_match))
    return Response(status_code=204)


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
