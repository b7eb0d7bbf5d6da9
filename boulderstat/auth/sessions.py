"""Sign-in sessions: start one from an authorization code, refresh it from the cookie, end it.

Knows nothing about Lambda events: it takes the request's cookies as `name=value` strings and
returns the tokens for the body plus the Set-Cookie to send. Cognito's OAuth2 errors become
statuses a caller can act on:

  Cognito says                        exchange             refresh              logout
  invalid_grant                       400 invalid_grant    401 session_expired  204 cleared
  invalid_request                     400 invalid_request  400 invalid_request  204 cleared
  invalid_client, unauthorized_client,
  unsupported_*, other 4xx            502 sign_in_failed (the app client's settings: operator)
  5xx, 429, timeout, unreachable      503 service_unavailable (retry; logout keeps the cookie)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from aws_lambda_powertools.shared.cookies import Cookie

from boulderstat.adapters.connections import per_container
from boulderstat.adapters.parameters import ParameterUnavailable, secure_parameter
from boulderstat.auth.cookie import (
    cleared_refresh_cookie,
    is_token_shaped,
    refresh_cookie,
    refresh_token_from,
)
from boulderstat.auth.errors import AuthorizationCodeRejected, SessionExpired, SignInFailed
from boulderstat.auth.models import CodeExchange, CognitoTokens, SessionTokens
from boulderstat.auth.token_endpoint import UNAVAILABLE, CognitoOAuthEndpoints, OAuthError
from boulderstat.errors import InvalidRequest, ServiceUnavailable
from boulderstat.media.viewer_cookies import ViewerCookies
from boulderstat.settings import Settings

logger = Logger()

# Revoking something Cognito does not know as a live refresh token leaves nothing to revoke.
_NOTHING_TO_REVOKE = {"invalid_grant", "invalid_request", "unsupported_token_type"}


@dataclass(frozen=True)
class SessionTokensOut:
    """What a route sends back: the tokens (body) and, when there is a new one, the cookie."""

    tokens: SessionTokens
    cookie: Cookie | None


class SignInSessions:
    def __init__(self, endpoints: CognitoOAuthEndpoints, *, refresh_max_age_seconds: int) -> None:
        self._endpoints = endpoints
        self._max_age = refresh_max_age_seconds

    def start(self, exchange: CodeExchange) -> SessionTokensOut:
        """Swaps the hosted UI's code for tokens; the refresh token goes into the cookie."""
        grant = {
            "grant_type": "authorization_code",
            "code": exchange.code,
            "redirect_uri": exchange.redirect_uri,
            "code_verifier": exchange.code_verifier,
        }
        try:
            tokens = self._endpoints.token(grant)
        except OAuthError as error:
            if error.error == "invalid_grant":
                raise AuthorizationCodeRejected(
                    "The authorization code is invalid, expired or already used, or redirect_uri "
                    "or code_verifier do not match it: start the sign-in again"
                ) from None
            raise _mapped(error, "exchange") from None
        if not tokens.refresh_token:
            logger.warning("code exchange returned no refresh token: no session cookie")
        return self._out(tokens)

    def refresh(self, cookies: Iterable[str]) -> SessionTokensOut:
        """Fresh ID/access tokens from the cookie's refresh token."""
        refresh_token = refresh_token_from(cookies)
        if refresh_token is None:
            raise SessionExpired("No refresh cookie was sent: sign in again")
        if not is_token_shaped(refresh_token):
            raise SessionExpired("The refresh cookie is not a refresh token: sign in again")
        try:
            tokens = self._endpoints.token(
                {"grant_type": "refresh_token", "refresh_token": refresh_token}
            )
        except OAuthError as error:
            if error.error == "invalid_grant":
                logger.info("refresh refused by Cognito", oauth_error=error.error)
                raise SessionExpired(
                    "The session has expired or was signed out: sign in again"
                ) from None
            raise _mapped(error, "refresh") from None
        return self._out(tokens)

    def end(self, cookies: Iterable[str]) -> Cookie:
        """Revokes the cookie's refresh token at Cognito; the clearing cookie to send back.

        Idempotent: no cookie, or one Cognito does not know, still ends with the cookie cleared.
        If Cognito cannot be reached the error propagates and the cookie stays, so that a retry
        can still revoke the token rather than leave it valid for weeks.
        """
        refresh_token = refresh_token_from(cookies)
        if refresh_token and is_token_shaped(refresh_token):
            try:
                self._endpoints.revoke(refresh_token)
            except OAuthError as error:
                if error.error not in _NOTHING_TO_REVOKE:
                    raise _mapped(error, "logout") from None
                logger.info("logout: nothing to revoke", oauth_error=error.error)
        return cleared_refresh_cookie()

    def _out(self, tokens: CognitoTokens) -> SessionTokensOut:
        cookie = (
            refresh_cookie(tokens.refresh_token, self._max_age) if tokens.refresh_token else None
        )
        return SessionTokensOut(tokens.for_the_browser(), cookie)


def _mapped(error: OAuthError, step: str) -> Exception:
    if error.error == "invalid_request":
        return InvalidRequest("The sign-in service refused the request as malformed")
    # invalid_client, unauthorized_client, unsupported_grant_type, invalid_scope, ...
    logger.error(
        "Cognito refused our app client", step=step, oauth_error=error.error, status=error.status
    )
    return SignInFailed("Sign-in is misconfigured on the server; an operator has to fix it")


@per_container
def sign_in_sessions(settings: Settings) -> SignInSessions:
    """The service for a stage's settings (cached: a Lambda container reuses it)."""
    if not settings.cognito_domain or not settings.cognito_client_ids:
        logger.error("sign-in is not configured: set COGNITO_DOMAIN and COGNITO_CLIENT_IDS")
        raise ServiceUnavailable("Sign-in is not configured for this stage")
    try:
        endpoints = CognitoOAuthEndpoints(
            settings.cognito_domain,
            settings.cognito_client_ids[0],
            client_secret=lambda: _client_secret(settings),
            timeout_seconds=settings.cognito_timeout_seconds,
        )
    except ValueError:
        logger.error("COGNITO_DOMAIN must be an https:// URL")
        raise ServiceUnavailable("Sign-in is not configured for this stage") from None
    return SignInSessions(
        endpoints, refresh_max_age_seconds=settings.refresh_token_validity_seconds
    )


def _client_secret(settings: Settings) -> str | None:
    """The app client's secret from SSM (cached 5 min by Powertools), or None for a public one."""
    name = settings.cognito_client_secret_parameter
    if not name:
        return None
    try:
        return secure_parameter(name, settings, max_age=300)
    except ParameterUnavailable:
        logger.error("cannot read the app client secret", parameter=name)
        raise ServiceUnavailable(UNAVAILABLE) from None


def viewer_cookie_signer(settings: Settings) -> ViewerCookies | None:
    """The stage's CloudFront cookie signer; None where renditions are not behind CloudFront."""
    name = settings.cdn_private_key_parameter
    if not settings.cdn_key_pair_id or not name:
        return None
    try:
        pem = secure_parameter(name, settings, max_age=300)
    except ParameterUnavailable:
        logger.error("cannot read the CloudFront signing key", parameter=name)
        raise ServiceUnavailable(UNAVAILABLE) from None
    return ViewerCookies(settings.cdn_key_pair_id, pem)
