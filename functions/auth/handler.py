"""POST /auth/token, /auth/refresh, /auth/logout: sign-in sessions for the web app.

PUBLIC routes (no JWT authorizer): they are how a browser gets a token. What protects them is
the origin check (every route), PKCE (the code exchange) and the refresh cookie's attributes.
Nothing here logs the event, a body, a cookie or a header: they all carry credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME, cleared_refresh_cookie
from boulderstat.auth.errors import SessionExpired
from boulderstat.auth.models import CodeExchange, SessionTokens
from boulderstat.auth.origin import check_origin
from boulderstat.auth.sessions import SessionTokensOut, sign_in_sessions, viewer_cookie_signer
from boulderstat.http_api import create_http_app, error_response, responses
from boulderstat.media.viewer_cookies import cleared_viewer_cookies
from boulderstat.observability import lambda_handler, metrics
from boulderstat.settings import get_settings

app = create_http_app(max_body_bytes=get_settings().max_body_bytes)

# Token responses must never be cached (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _same_origin_only(app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
    """Runs before any route touches Cognito or the cookie."""
    check_origin(app.current_event.headers.get("origin"), get_settings().allowed_origins)
    return next_middleware(app)


app.use(middlewares=[_same_origin_only])


@app.exception_handler(SessionExpired)
def _session_expired(error: SessionExpired) -> Response:
    """401 and the cookie cleared: a dead refresh token should not be sent again."""
    metrics.add_metric(name="RefreshesRefused", unit=MetricUnit.Count, value=1)
    response = error_response(error.status, error.code, error.reason)
    response.headers.update(NO_STORE)
    response.cookies.append(cleared_refresh_cookie())
    return response


def _tokens(out: SessionTokensOut) -> Response[SessionTokens]:
    """Tokens, the refresh cookie, and (behind CloudFront) the cookies that let the browser
    load renditions from /derived/, renewed with every refresh."""
    settings = get_settings()
    signer = viewer_cookie_signer(settings)
    viewer = signer.issue(datetime.now(UTC), settings.viewer_cookie_seconds) if signer else []
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=out.tokens.model_dump(),
        headers=dict(NO_STORE),
        cookies=([out.cookie] if out.cookie else []) + viewer,
    )


TAGS = ["auth"]
_COMMON_ERRORS: dict[int, str | None] = {
    403: "Origin header missing or not the web app's.",
    502: "Cognito refused our app client (operator).",
    503: "Cognito unreachable or timing out; retry.",
}
_COOKIE = f"Sets `{REFRESH_COOKIE_NAME}` (HttpOnly; Secure; SameSite=Strict; Path=/auth)."
_VIEWER = (
    "On a stage's site (CloudFront) it also sets `CloudFront-Policy`, `CloudFront-Signature` "
    "and `CloudFront-Key-Pair-Id` (HttpOnly; Secure; SameSite=Strict; Path=/derived/), which "
    "let the browser load renditions from the site's `/derived/` for as long as the ID token."
)


@app.post(
    "/auth/token",
    tags=TAGS,
    summary="Exchange the hosted UI's authorization code (PKCE) for tokens",
    description=f"Returns the ID and access tokens. {_COOKIE} {_VIEWER}",
    responses=responses(
        200,
        "ID and access tokens; the refresh token is only in the cookie.",
        {400: "Code invalid, expired or used (invalid_grant)."} | _COMMON_ERRORS,
    ),
)
def exchange_code(body: CodeExchange) -> Response[SessionTokens]:
    out = sign_in_sessions(get_settings()).start(body)
    metrics.add_metric(name="SignIns", unit=MetricUnit.Count, value=1)
    return _tokens(out)


@app.post(
    "/auth/refresh",
    tags=TAGS,
    summary="Fresh ID and access tokens from the refresh cookie",
    description="401 (and the cookie cleared) when the session is over: sign in again. "
    + _VIEWER.replace("it also sets", "it also renews"),
    responses=responses(
        200,
        "Fresh ID and access tokens.",
        {401: "No, expired or revoked refresh cookie (the cookie is cleared)."} | _COMMON_ERRORS,
    ),
)
def refresh() -> Response[SessionTokens]:
    out = sign_in_sessions(get_settings()).refresh(app.current_event.cookies or [])
    metrics.add_metric(name="SessionsRefreshed", unit=MetricUnit.Count, value=1)
    return _tokens(out)


@app.post(
    "/auth/logout",
    status_code=204,
    tags=TAGS,
    summary="Revoke the refresh token and clear the cookie (idempotent)",
    responses=responses(204, "Signed out; the cookie is cleared.", _COMMON_ERRORS),
)
def logout() -> Response[None]:
    cleared = sign_in_sessions(get_settings()).end(app.current_event.cookies or [])
    metrics.add_metric(name="SignOuts", unit=MetricUnit.Count, value=1)
    # Behind CloudFront, the rendition cookies go with the session.
    viewer = cleared_viewer_cookies() if get_settings().cdn_key_pair_id else []
    return Response(status_code=204, headers=dict(NO_STORE), cookies=[cleared, *viewer])


# log_event / capture_response pinned off: the event holds cookies and codes, responses tokens.
@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
