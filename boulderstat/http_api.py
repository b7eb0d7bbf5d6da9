"""What every HTTP function shares: the resolver, error shapes and who the caller is.

API Gateway's JWT authorizer (or the local gateway, which mimics it) has already verified the
token; handlers only read the claims it passes along.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel, Field

from boulderstat.adapters.mongo import is_database_unavailable
from boulderstat.errors import DomainError, PayloadTooLarge, Unauthorized

logger = Logger()

# The API Gateway JWT authorizer, as the OpenAPI document names it on every non-public route.
COGNITO_SECURITY: list[dict[str, list[str]]] = [{"cognito": []}]

# Optimistic concurrency (boulderstat/revisions.py): responses name the document's revision in
# `ETag`; PATCH/DELETE take it back in `If-Match`.
ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The revision of what the body shows, e.g. "3"; send it as If-Match.',
        "schema": {"type": "string"},
    }
}
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="if-match",
        description=(
            'The ETag you last saw (e.g. "3"): the change applies only to that revision, 412 '
            "otherwise. Leave it out to change whatever is current."
        ),
    ),
]


class ErrorProblem(BaseModel):
    location: str = Field(description="Where the problem is, e.g. body.grade or query.limit.")
    reason: str


class ApiError(BaseModel):
    """The body of every error response (documents `error_response` in OpenAPI)."""

    error: str = Field(description="Machine-readable code, e.g. not_found, validation_error.")
    message: str = Field(description="What went wrong and what to change.")
    errors: list[ErrorProblem] | None = Field(None, description="Validation errors only.")


def error_response(status: int, code: str, reason: str, **extra: Any) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": reason, **extra},
    )


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


class _LimitBodyThenValidate(OpenAPIRequestValidationMiddleware):
    def __init__(self, limit_body: Any) -> None:
        super().__init__()
        self._limit_body = limit_body

    def handler(self, app: Any, next_middleware: Any) -> Response:
        validate = super().handler
        return self._limit_body(app, lambda app: validate(app, next_middleware))


def create_http_app(*, max_body_bytes: int) -> APIGatewayHttpResolver:
    """A resolver with pydantic validation and error handlers that never leak a stack trace."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return error_response(error.status, error.code, error.reason)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response:
        problems = [
            {"location": _location(e["loc"]), "reason": e.get("msg", e["type"])}
            for e in error.errors()
        ]
        reason = "; ".join(f"{p['location']}: {p['reason']}" for p in problems)
        return error_response(422, "validation_error", reason, errors=problems)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_type(error: RequestUnsupportedContentType) -> Response:
        reason = "; ".join(str(e.get("msg", e["type"])) for e in error.errors())
        return error_response(415, "unsupported_media_type", f"{reason}; send application/json")

    # Any exception no handler above claims: a database outage is a 503, the rest stays a
    # crash (Lambda logs it, API Gateway answers 500). Matching pymongo's ConnectionFailure by
    # class would import pymongo into functions that never use it (~120 ms of cold start).
    @app.exception_handler(Exception)
    def _database_down(error: Exception) -> Response:
        if not is_database_unavailable(error):
            raise error
        logger.exception("database unavailable")
        return error_response(503, "service_unavailable", "The database is unavailable; retry.")

    def _check_body(app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
        body = app.current_event.body or ""
        if len(body.encode()) > max_body_bytes:
            raise PayloadTooLarge(f"Request body exceeds {max_body_bytes} bytes")
        if body and not isinstance(_json_or_none(app), dict | None):
            # Powertools validates a JSON array as its first element (a form-data convenience):
            # `[{...}, {...}]` must not create one item and silently drop the rest.
            problem = {"type": "model_type", "loc": ("body",), "msg": "must be one JSON object"}
            raise RequestValidationError([problem])
        return next_middleware(app)

    # Powertools runs request validation before any `app.use` middleware, so an oversized body
    # would be parsed and answered 422; check the body first (pinned Powertools: private hook).
    app._request_validation_middleware = _LimitBodyThenValidate(_check_body)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route")

    return app


def _json_or_none(app: APIGatewayHttpResolver) -> Any:
    """The parsed body, or None when it is not JSON (validation then says what is wrong)."""
    try:
        return app.current_event.json_body
    except ValueError:
        return None


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The Cognito `sub` of the caller: the only user id the back end ever trusts."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    if not sub:
        raise Unauthorized("The request carries no verified identity")
    return str(sub)
