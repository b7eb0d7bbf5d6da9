"""What every HTTP function shares: the resolver, error shapes and who the caller is.

API Gateway's JWT authorizer (or the local gateway, which mimics it) has already verified the
token; handlers only read the claims it passes along.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any, Literal

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
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from boulderstat.adapters.mongo import is_database_unavailable
from boulderstat.errors import (
    DomainError,
    MalformedBody,
    PayloadTooLarge,
    Unauthorized,
    UnknownQueryParameter,
    UnsupportedMediaType,
)
from boulderstat.ids import USER_ID_CHARS
from boulderstat.models import Model

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


class ErrorProblem(Model):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"location": "query.limit", "reason": "must be <= 100"}]}
    )

    location: str = Field(description="Where the problem is, e.g. body.grade or query.limit.")
    reason: str


class ApiError(Model):
    """The body of every error response our functions answer (one shape for every status)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "validation_error",
                    "message": "body.grade: grade V18 is outside VB..V17",
                    "errors": [
                        {"location": "body.grade", "reason": "grade V18 is outside VB..V17"}
                    ],
                }
            ]
        }
    )

    error: str = Field(
        description=(
            "Machine-readable code: unknown_query_parameter, invalid_cursor, malformed_body, "
            "invalid_request, unauthorized, forbidden, not_found, conflict, payload_too_large, "
            "unsupported_media_type, validation_error, bad_gateway, service_unavailable."
        )
    )
    message: str = Field(description="What went wrong and what to change.")
    errors: list[ErrorProblem] | None = Field(None, description="Validation errors only.")


class AuthorizerRejection(Model):
    """What API Gateway's JWT authorizer answers itself, before any function runs, when the
    token is missing, malformed, expired or from another pool. Not an `ApiError`: we do not
    write it (AWS sends `{"message":"Unauthorized"}` and a `WWW-Authenticate` header)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"message": "Unauthorized"}]})

    message: Literal["Unauthorized"]


# What each error status means on any route; a route passes its own wording where it says more.
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: an unknown query parameter, a cursor this API did not issue, or a body "
    "that is not UTF-8 JSON (too deeply nested, or a number too long to read).",
    401: "Missing, malformed or expired token. API Gateway's JWT authorizer answers "
    '`{"message":"Unauthorized"}` itself; a verified token whose identity we cannot use gets '
    "an `ApiError` with `unauthorized`.",
    403: "Forbidden.",
    404: "No such item for the caller (another climber's item looks exactly the same).",
    409: "Conflict with the stored state; re-read and retry.",
    412: "The If-Match precondition failed: the item changed since it was read.",
    413: "Body (or a declared size) larger than the limit.",
    415: "The body is not `application/json`.",
    422: "Validation error: the body, query or path breaks the schema; `errors` says where.",
    502: "An upstream service refused us (operator).",
    503: "A dependency (database or sign-in service) is unavailable; retry.",
}
_EXAMPLE_MESSAGES: dict[int, tuple[str, str]] = {
    400: (
        "unknown_query_parameter",
        "Unknown query parameter(s): min_grad; allowed: cursor, limit",
    ),
    401: ("unauthorized", "The request carries no verified identity"),
    403: ("forbidden", "Origin header missing or not the web app's"),
    404: ("not_found", "No climb 019ab8c3d2e07f1a9b2c3d4e5f607182"),
    409: ("conflict", "The climb kept changing while updating it; retry"),
    412: ("precondition_failed", "The climb changed since you read it; re-read and retry"),
    413: ("payload_too_large", "Request body exceeds 65536 bytes"),
    415: ("unsupported_media_type", "Unsupported content type: text/plain; send application/json"),
    422: ("validation_error", "query.limit: Input should be less than or equal to 100"),
    502: ("bad_gateway", "The sign-in service refused our app client"),
    503: ("service_unavailable", "The database is unavailable; retry."),
}
_ERROR_REF = "#/components/schemas/ApiError"


def error_example(status: int) -> dict[str, str]:
    code, message = _EXAMPLE_MESSAGES.get(status, ("bad_request", "Bad request"))
    return {"error": code, "message": message}


def error_doc(status: int, description: str | None = None) -> OpenAPIResponse:
    """One documented error status: the `ApiError` shape with an example."""
    content: Any = {"model": ApiError, "examples": {"error": {"value": error_example(status)}}}
    return {
        "description": description or ERROR_DESCRIPTIONS[status],
        "content": {"application/json": content},
    }


def responses(
    status: int,
    description: str,
    errors: Mapping[int, str | None] | None = None,
    *,
    model: type[BaseModel] | None = None,
    headers: dict[str, Any] | None = None,
) -> dict[int, OpenAPIResponse]:
    """Every status a route answers, for `@app.get(..., responses=responses(...))`.

    Powertools' `responses=` replaces its defaults, so the success status comes first (its body
    is the route's return annotation, or `model`; a 204 has none; `headers` are the success
    response's headers, e.g. ETAG_HEADER). `errors` are the route's own error
    statuses, each with an optional route-specific description. The statuses that follow from
    the route's shape (401 when secured, 400/413/415/422 for a body, 422 for parameters, 400
    for unknown query parameters, 503) are added by scripts/generate_openapi.py from
    `implied_errors`, so no route can forget them.
    """
    success: OpenAPIResponse = {"description": description}
    if model is not None:  # when the return annotation is a bare Response
        success["content"] = {"application/json": {"model": model}}
    if headers:
        success["headers"] = headers
    documented: dict[int, OpenAPIResponse] = {status: success}
    for code, text in (errors or {}).items():
        documented[code] = error_doc(code, text)
    return documented


def implied_errors(*, secured: bool, has_body: bool, has_params: bool) -> dict[int, Any]:
    """The error statuses `create_http_app` (and API Gateway in front of it) can answer on any
    route of this shape, as OpenAPI response objects referring to components.schemas.ApiError."""

    def doc(status: int, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {
                "application/json": {
                    "schema": schema or {"$ref": _ERROR_REF},
                    "examples": {"error": {"value": error_example(status)}},
                }
            },
        }

    implied = {400: doc(400), 503: doc(503)}
    if secured:
        rejection = {"oneOf": [{"$ref": "#/components/schemas/AuthorizerRejection"}]}
        rejection["oneOf"].append({"$ref": _ERROR_REF})
        implied[401] = doc(401, rejection)
        implied[401]["content"]["application/json"]["examples"] = {
            "authorizer": {"value": {"message": "Unauthorized"}},
            "identity": {"value": error_example(401)},
        }
    if has_body:
        implied |= {413: doc(413), 415: doc(415), 422: doc(422)}
    if has_params:
        implied[422] = doc(422)
    return implied


def error_response(status: int, code: str, reason: str, **extra: Any) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": reason, **extra},
    )


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


class _CheckRequestThenValidate(OpenAPIRequestValidationMiddleware):
    """Powertools runs request validation before any `app.use` middleware; our checks of the raw
    request (size, content type, encoding, JSON syntax, unknown query parameters) must come
    first, or a malformed body would be parsed by Powertools (500 on RecursionError) or
    answered 422 (pinned Powertools: private hook)."""

    def __init__(self, check: Any) -> None:
        super().__init__()
        self._check = check

    def handler(self, app: Any, next_middleware: Any) -> Response:
        validate = super().handler
        return self._check(app, lambda app: validate(app, next_middleware))


class _HttpApp(APIGatewayHttpResolver):
    """A resolver whose routes carry the function's tags and security unless a route says
    otherwise: the handlers' route decorators say only what differs (path, summary, statuses)."""

    def __init__(
        self, *, tags: list[str] | None, security: list[dict[str, list[str]]] | None
    ) -> None:
        super().__init__(enable_validation=True)
        self._default_tags = tags
        self._default_security = security

    def route(self, *args: Any, **kwargs: Any) -> Any:
        bound = _ROUTE.bind(self, *args, **kwargs)
        if bound.arguments.get("tags") is None:
            bound.arguments["tags"] = self._default_tags
        if bound.arguments.get("security") is None:
            bound.arguments["security"] = self._default_security
        return super().route(*bound.args[1:], **bound.kwargs)


_ROUTE = inspect.signature(APIGatewayHttpResolver.route)


def create_http_app(
    *,
    max_body_bytes: int,
    tags: list[str] | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> APIGatewayHttpResolver:
    """A resolver with pydantic validation and error handlers that never leak a stack trace;
    `tags` and `security` are every route's unless it names its own."""
    app = _HttpApp(tags=tags, security=security)

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

    def _check_request(app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
        route = app.context["_route"]
        if route.security:
            caller_id(app)  # an unusable identity is refused before anything reads the request
        _reject_unknown_query(app, route)
        if route.dependant.body_params:
            _read_json_body(app, max_body_bytes)
        return next_middleware(app)

    app._request_validation_middleware = _CheckRequestThenValidate(_check_request)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route")

    return app


def _query_names(route: Any) -> set[str]:
    """The query parameters a route declares (a pydantic model parameter declares its fields)."""
    names: set[str] = set()
    for param in route.dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {f.alias or name for name, f in model.model_fields.items()}
        else:
            names.add(param.alias)
    return names


def _reject_unknown_query(app: APIGatewayHttpResolver, route: Any) -> None:
    """Every route: a misspelt filter (`min_grad=V5`) must not silently return everything."""
    allowed = _query_names(route)
    unknown = sorted(set(app.current_event.query_string_parameters or {}) - allowed)
    if unknown:
        accepted = f"allowed: {', '.join(sorted(allowed))}" if allowed else "this route takes none"
        raise UnknownQueryParameter(
            f"Unknown query parameter(s): {', '.join(u[:64] for u in unknown[:10])}; {accepted}"
        )


def _read_json_body(app: APIGatewayHttpResolver, max_body_bytes: int) -> None:
    """Parses the body once, safely, and hands the result to Powertools' validation.

    Size first (413), then the content type (415), UTF-8 (400), JSON syntax with bounded depth
    and number length (400), one object (422). Powertools' own parse would raise RecursionError
    or ValueError (a 500) on deeply nested arrays or an integer with thousands of digits.
    """
    event = app.current_event
    raw: bytes = (event.body or "").encode()
    if event.is_base64_encoded and raw:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise MalformedBody("The body is not valid base64") from None
    if len(raw) > max_body_bytes:
        raise PayloadTooLarge(f"Request body exceeds {max_body_bytes} bytes")
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json":
        raise UnsupportedMediaType(
            f"Unsupported content type: {content_type[:100]}; send application/json"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("The body is not UTF-8 text; send UTF-8 encoded JSON") from None
    parsed = _parse_json(text) if text else None
    if text and not isinstance(parsed, dict):
        # Powertools validates a JSON array as its first element (a form-data convenience):
        # `[{...}, {...}]` must not create one item and silently drop the rest.
        problem = {"type": "model_type", "loc": ("body",), "msg": "must be one JSON object"}
        raise RequestValidationError([problem])
    # Powertools reads these cached properties of the event: give it what we already parsed.
    event.__dict__["decoded_body"] = text or None
    event.__dict__["json_body"] = parsed


MAX_JSON_DEPTH = 32


def _parse_json(text: str) -> Any:
    depth = 0
    in_string = escaped = False
    for char in text:  # bounded by max_body_bytes
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise MalformedBody(f"The body is nested more than {MAX_JSON_DEPTH} levels deep")
        elif char in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        # JSONDecodeError, or ValueError for an integer longer than Python reads (4,300 digits).
        raise MalformedBody(f"The body is not valid JSON: {str(error)[:120]}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The Cognito `sub` of the caller: the only user id the back end ever trusts."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    sub = claims.get("sub")
    if not sub:
        raise Unauthorized("The request carries no verified identity")
    if not _USER_ID.fullmatch(str(sub)):
        # Every S3 key and query is built from it: refuse what cannot be one (a forged claim).
        raise Unauthorized("The token's identity is not a valid user id; sign in again")
    return str(sub)


# Cognito subs are UUIDs; the one rule for a user id (boulderstat.ids), as in paths and keys.
_USER_ID = re.compile(USER_ID_CHARS)
