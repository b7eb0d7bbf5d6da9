"""What can go wrong with a sign-in session, each with the status a caller can act on."""

from __future__ import annotations

from boulderstat.errors import DomainError, InvalidRequest, Unauthorized


class CrossSiteRequest(DomainError):
    """The request did not come from one of our web app's origins (CSRF defence)."""

    status = 403
    code = "forbidden_origin"


class SessionExpired(Unauthorized):
    """No usable refresh token: the caller must sign in again. The cookie gets cleared."""

    code = "session_expired"


class AuthorizationCodeRejected(InvalidRequest):
    """The code is unknown, expired or used, or redirect_uri/code_verifier do not match it."""

    code = "invalid_grant"


class SignInFailed(DomainError):
    """Cognito refused our own app client's settings or answered something unexpected.

    Nothing the caller can fix: the operator log line names the OAuth2 error code.
    """

    status = 502
    code = "sign_in_failed"
