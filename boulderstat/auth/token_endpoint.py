"""Cognito's OAuth2 endpoints (`/oauth2/token`, `/oauth2/revoke`) for one app client.

The only code that talks to Cognito for sign-in sessions. It uses the standard library's HTTP
client (no extra dependency in the Lambda layer) with a timeout on every call, never follows
redirects, and never puts a token in an exception message or a log line: failures carry the
OAuth2 `error` code only (Cognito's descriptions may echo what we sent).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from boulderstat.auth.errors import SignInFailed
from boulderstat.auth.models import CognitoTokens
from boulderstat.errors import ServiceUnavailable

logger = Logger()

_MAX_RESPONSE_BYTES = 256 * 1024  # three JWTs are a few KB
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
UNAVAILABLE = "The sign-in service is unavailable; retry shortly."


class OAuthError(Exception):
    """Cognito answered 4xx with an OAuth2 error code (`invalid_grant`, `invalid_client`...)."""

    def __init__(self, error: str, status: int) -> None:
        super().__init__(f"Cognito answered {status} {error}")
        self.error = error
        self.status = status


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect from a token endpoint is a misconfigured domain: never replay the form."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects)


class CognitoOAuthEndpoints:
    def __init__(
        self,
        domain: str,
        client_id: str,
        *,
        client_secret: Callable[[], str | None] = lambda: None,
        timeout_seconds: float = 5.0,
    ) -> None:
        parts = urlsplit(domain)
        plain_http_to_loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if not parts.hostname or (parts.scheme != "https" and not plain_http_to_loopback):
            # Plain HTTP only ever reaches the local stand-in; client secrets never go in clear.
            raise ValueError("the Cognito domain must be an https:// URL")
        self.domain = domain.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout_seconds

    def token(self, grant: dict[str, str]) -> CognitoTokens:
        """POST /oauth2/token with one grant (authorization_code or refresh_token)."""
        raw = self._post("token", grant)
        try:
            return CognitoTokens.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            # Neither error text goes anywhere: both can quote the tokens they choked on.
            logger.error("unexpected answer from the Cognito token endpoint")
            raise SignInFailed("The sign-in service gave an unexpected answer") from None

    def revoke(self, refresh_token: str) -> None:
        """POST /oauth2/revoke: the refresh token and the access tokens it minted stop working."""
        self._post("revoke", {"token": refresh_token})

    def _post(self, endpoint: str, form: dict[str, str]) -> bytes:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        secret = self._client_secret()
        if secret:
            # Cognito's client authentication: HTTP Basic with client id and secret.
            pair = f"{self.client_id}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        request = urllib.request.Request(
            f"{self.domain}/oauth2/{endpoint}",
            data=urlencode({"client_id": self.client_id, **form}).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with _OPENER.open(request, timeout=self._timeout) as response:
                return bytes(response.read(_MAX_RESPONSE_BYTES))
        except urllib.error.HTTPError as error:
            status = error.code
            payload = _read_quietly(error)
            if status == 429 or status >= 500:
                logger.warning("Cognito unavailable", endpoint=endpoint, status=status)
                raise ServiceUnavailable(UNAVAILABLE) from None
            if status < 400:
                logger.error("Cognito redirected: check COGNITO_DOMAIN", endpoint=endpoint)
                raise SignInFailed("The sign-in service is misconfigured") from None
            raise OAuthError(_error_code(payload), status) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            # Connection refused, DNS, TLS, timeouts (TimeoutError is an OSError).
            logger.warning("Cognito unreachable", endpoint=endpoint, failure=type(error).__name__)
            raise ServiceUnavailable(UNAVAILABLE) from None


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return bytes(error.read(_MAX_RESPONSE_BYTES))
    except (OSError, http.client.HTTPException):
        return b""
    finally:
        error.close()


def _error_code(payload: bytes) -> str:
    try:
        code = json.loads(payload).get("error")
    except (ValueError, AttributeError):
        return "unknown_error"
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else "unknown_error"
