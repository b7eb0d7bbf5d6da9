"""What the community functions share: path parameters, paging, and documented error statuses."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from boulderstat.climbs.cursor import CLIMB_ID_PATTERN, Cursor
from boulderstat.community.profiles import CLIMBER_ID_PATTERN
from boulderstat.http_api import ApiError

ClimberIdPath = Annotated[
    str, Path(alias="climberId", pattern=CLIMBER_ID_PATTERN, description="The climber's id.")
]
ClimbIdPath = Annotated[
    str, Path(alias="climbId", pattern=CLIMB_ID_PATTERN, description="The climb's id.")
]

_JSON_ERROR = {"application/json": {"model": ApiError}}
ERRORS: dict[int, Any] = {
    400: {"description": "Bad request.", "content": _JSON_ERROR},
    401: {
        "description": "Missing, malformed or expired token (the JWT authorizer answers).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    413: {"description": "Body larger than the stage's max_body_bytes.", "content": _JSON_ERROR},
}
NOT_FOUND: dict[int, Any] = {
    404: {
        "description": "No such thing, or nothing the caller may see (never 403).",
        "content": _JSON_ERROR,
    }
}
NO_CONTENT: dict[int, Any] = {204: {"description": "Done (also when there was nothing to do)."}}


class PageQuery(BaseModel):
    """Cursor paging for feeds and lists."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100, description="Page size.")
    cursor: Cursor | None = None

    @field_validator("cursor", mode="before")
    @classmethod
    def _empty_cursor_is_the_first_page(cls, value: Any) -> Any:
        return None if value == "" else value
