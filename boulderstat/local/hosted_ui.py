"""LOCAL ONLY, NEVER DEPLOYED: a stand-in for Cognito's hosted UI and OAuth2 endpoints.

moto has no hosted UI, so the local gateway serves one under `/_local/cognito` and the local
stack points `COGNITO_DOMAIN` at it. The auth function then talks to it exactly as it talks to
`https://<domain>.auth.<region>.amazoncognito.com` in AWS:

  GET  /_local/cognito/oauth2/authorize   a sign-in form for a local username (no password:
  POST /_local/cognito/oauth2/authorize   local users are auto-created with the local one);
                                          302 to redirect_uri?code=...&state=...
  POST /_local/cognito/oauth2/token       authorization_code (PKCE S256 required) -> real tokens
                                          from the local Cognito (USER_PASSWORD_AUTH in moto);
                                          refresh_token -> real REFRESH_TOKEN_AUTH in moto
  POST /_local/cognito/oauth2/revoke      moto lacks RevokeToken: the stand-in remembers revoked
                                          refresh tokens (hashes) and refuses them afterwards

Codes are one-time, bound to client_id, redirect_uri and the code_challenge, and expire after
`code_ttl_seconds`. Client ids and callback URLs are checked against the local pool's app
client, and a client with a secret must authenticate, as in Cognito. Errors use Cognito's OAuth2
shape (`{"error": "invalid_grant"}`, status 400).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from boulderstat.adapters.aws import aws_client
from boulderstat.auth.pkce import verifier_matches
from boulderstat.local import provision
from boulderstat.local.gateway import ExtraRoute, GatewayRequest
from boulderstat.settings import Settings, get_settings

logger = Logger(service="local-hosted-ui")

LOCAL_COGNITO_PREFIX = "/_local/cognito"
Reply = tuple[int, dict[str, str], bytes]

_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url(sha256), unpadded
_MAX_FIELDS = 20
_MAX_PENDING_CODES = 1000
_AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
)


class _Refused(Exception):
    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


@dataclass(frozen=True)
class _PendingCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    username: str
    expires_at: float = field(compare=False)


@dataclass(frozen=True)
class _AppClient:
    client_id: str
    secret: str | None = field(default=None, repr=False)

    def secret_hash(self, username: str) -> str:
        """Cognito's SECRET_HASH: base64(HMAC-SHA256(secret, username + client id))."""
        assert self.secret is not None
        mac = hmac.new(self.secret.encode(), (username + self.client_id).encode(), hashlib.sha256)
        return base64.b64encode(mac.digest()).decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LocalHostedUi:
    def __init__(
        self,
        settings: Callable[[], Settings] = get_settings,
        *,
        code_ttl_seconds: float = 120.0,
    ) -> None:
        self._settings = settings
        self._code_ttl = code_ttl_seconds
        self._codes: dict[str, _PendingCode] = {}
        self._revoked: set[str] = set()  # sha256 of revoked refresh tokens
        self._usernames: dict[str, str] = {}  # sha256 of issued refresh tokens -> username
        self._lock = threading.Lock()

    def routes(self, prefix: str = LOCAL_COGNITO_PREFIX) -> dict[str, ExtraRoute]:
        return {
            f"{prefix}/oauth2/authorize": _never_crash(self.authorize),
            f"{prefix}/oauth2/token": _never_crash(self.token),
            f"{prefix}/oauth2/revoke": _never_crash(self.revoke),
        }

    # -- /oauth2/authorize -------------------------------------------------------------------
    def authorize(self, request: GatewayRequest) -> Reply:
        if request.method not in ("GET", "POST"):
            return _page(405, "Method not allowed", "Use GET (the form) or POST (sign in).")
        try:
            if request.method == "GET":
                params = dict(parse_qsl(request.query, max_num_fields=_MAX_FIELDS))
            else:
                params = _form(request)
            self._check_authorize(params)
        except _Refused as refused:
            return _page(refused.status, "Sign-in request refused", refused.reason)
        except ValueError:
            return _page(400, "Sign-in request refused", "Malformed parameters.")
        if request.method == "GET":
            return _sign_in_form(params)
        username = params.get("username", "")
        if not _USERNAME.match(username):
            return _page(400, "Sign-in refused", "Username: 1-64 letters, digits or _.@+-")
        settings = self._settings()
        cognito = aws_client("cognito-idp", settings)
        provision.ensure_user(cognito, settings.cognito_user_pool_id, username)
        try:
            code = self._issue_code(params, username)
        except _Refused as refused:
            return _page(refused.status, "Sign-in refused", refused.reason)
        query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        separator = "&" if urlsplit(params["redirect_uri"]).query else "?"
        location = f"{params['redirect_uri']}{separator}{urlencode(query)}"
        return 302, {"location": location, "cache-control": "no-store"}, b""

    def _check_authorize(self, params: dict[str, str]) -> None:
        client = self._client(params.get("client_id", ""))
        if params.get("redirect_uri") not in client.get("CallbackURLs", []):
            raise _Refused(400, "redirect_mismatch", "redirect_uri is not a callback URL")
        if params.get("response_type") != "code":
            raise _Refused(400, "unsupported_response_type", "response_type must be code")
        if params.get("code_challenge_method") != "S256":
            raise _Refused(400, "invalid_request", "PKCE is required: code_challenge_method=S256")
        if not _CHALLENGE.match(params.get("code_challenge", "")):
            raise _Refused(400, "invalid_request", "code_challenge must be base64url(sha256)")

    def _issue_code(self, params: dict[str, str], username: str) -> str:
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._codes = {c: p for c, p in self._codes.items() if p.expires_at > now}
            if len(self._codes) >= _MAX_PENDING_CODES:
                raise _Refused(503, "temporarily_unavailable", "too many pending codes")
            self._codes[code] = _PendingCode(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                code_challenge=params["code_challenge"],
                username=username,
                expires_at=now + self._code_ttl,
            )
        return code

    # -- /oauth2/token -----------------------------------------------------------------------
    def token(self, request: GatewayRequest) -> Reply:
        if request.method != "POST":
            return _oauth_error(405, "invalid_request")
        try:
            form = _form(request)
            client = self._authenticate_client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return _json(200, self._exchange_code(form, client))
            if grant_type == "refresh_token":
                return _json(200, self._refresh(form, client))
            return _oauth_error(400, "unsupported_grant_type")
        except _Refused as refused:
            return _oauth_error(refused.status, refused.error)
        except ValueError:
            return _oauth_error(400, "invalid_request")

    def _exchange_code(self, form: dict[str, str], client: _AppClient) -> dict[str, Any]:
        with self._lock:
            # One-time: any attempt consumes the code, right or wrong.
            pending = self._codes.pop(form.get("code", ""), None)
        if (
            pending is None
            or pending.expires_at <= time.monotonic()
            or pending.client_id != client.client_id
            or pending.redirect_uri != form.get("redirect_uri")
            or not verifier_matches(form.get("code_verifier", ""), pending.code_challenge)
        ):
            raise _Refused(400, "invalid_grant", "code invalid, expired, used or not yours")
        cognito = aws_client("cognito-idp", self._settings())
        if client.secret is None:
            result = provision.sign_in(cognito, client.client_id, pending.username)
        else:
            result = cognito.initiate_auth(
                ClientId=client.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={
                    "USERNAME": pending.username,
                    "PASSWORD": provision.LOCAL_PASSWORD,
                    "SECRET_HASH": client.secret_hash(pending.username),
                },
            )["AuthenticationResult"]
        with self._lock:
            # The token endpoint refreshes without a username; InitiateAuth's SECRET_HASH needs it.
            self._usernames[_digest(result["RefreshToken"])] = pending.username
        return {
            "id_token": result["IdToken"],
            "access_token": result["AccessToken"],
            "refresh_token": result["RefreshToken"],
            "expires_in": result["ExpiresIn"],
            "token_type": "Bearer",
        }

    def _refresh(self, form: dict[str, str], client: _AppClient) -> dict[str, Any]:
        refresh_token = form.get("refresh_token", "")
        if not refresh_token:
            raise _Refused(400, "invalid_request", "refresh_token missing")
        with self._lock:
            revoked = _digest(refresh_token) in self._revoked
            username = self._usernames.get(_digest(refresh_token))
        if revoked:
            raise _Refused(400, "invalid_grant", "refresh token revoked")
        parameters = {"REFRESH_TOKEN": refresh_token}
        if client.secret is not None:
            if username is None:
                raise _Refused(400, "invalid_grant", "refresh token not issued here")
            parameters["SECRET_HASH"] = client.secret_hash(username)
        cognito = aws_client("cognito-idp", self._settings())
        try:
            result = cognito.initiate_auth(
                ClientId=client.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters=parameters,
            )["AuthenticationResult"]
        except cognito.exceptions.NotAuthorizedException:
            raise _Refused(400, "invalid_grant", "refresh token invalid") from None
        return {
            "id_token": result["IdToken"],
            "access_token": result["AccessToken"],
            "expires_in": result["ExpiresIn"],
            "token_type": "Bearer",
        }

    # -- /oauth2/revoke ----------------------------------------------------------------------
    def revoke(self, request: GatewayRequest) -> Reply:
        if request.method != "POST":
            return _oauth_error(405, "invalid_request")
        try:
            form = _form(request)
            self._authenticate_client(request, form)
        except _Refused as refused:
            return _oauth_error(refused.status, refused.error)
        except ValueError:
            return _oauth_error(400, "invalid_request")
        token = form.get("token", "")
        if not token:
            return _oauth_error(400, "invalid_request")
        with self._lock:
            self._revoked.add(_digest(token))
        return 200, {"content-type": "application/json", "cache-control": "no-store"}, b""

    # -- app clients -------------------------------------------------------------------------
    def _client(self, client_id: str) -> dict[str, Any]:
        settings = self._settings()
        cognito = aws_client("cognito-idp", settings)
        if not client_id:
            raise _Refused(400, "invalid_request", "client_id missing")
        try:
            return dict(
                cognito.describe_user_pool_client(
                    UserPoolId=settings.cognito_user_pool_id, ClientId=client_id
                )["UserPoolClient"]
            )
        except ClientError:  # unknown or malformed client id
            raise _Refused(400, "invalid_client", "unknown client_id") from None

    def _authenticate_client(self, request: GatewayRequest, form: dict[str, str]) -> _AppClient:
        """client_id from Basic auth or the form; a client with a secret must present it."""
        basic_id, basic_secret = _basic_credentials(request.headers.get("authorization", ""))
        client_id = basic_id or form.get("client_id", "")
        if basic_id and form.get("client_id") not in (None, basic_id):
            raise _Refused(400, "invalid_client", "client_id mismatch")
        secret = self._client(client_id).get("ClientSecret")
        if secret and not (basic_secret and secrets.compare_digest(basic_secret, secret)):
            raise _Refused(400, "invalid_client", "client authentication failed")
        return _AppClient(client_id, secret or None)


def _never_crash(route: ExtraRoute) -> ExtraRoute:
    """The gateway does not guard extra routes: an unexpected error becomes a plain 500."""

    def guarded(request: GatewayRequest) -> Reply:
        try:
            return route(request)
        except Exception:
            logger.exception("hosted-UI stand-in failed", path=request.path)
            return _oauth_error(500, "server_error")

    return guarded


def _form(request: GatewayRequest) -> dict[str, str]:
    return dict(
        parse_qsl(request.body.decode("utf-8"), max_num_fields=_MAX_FIELDS, strict_parsing=False)
    )


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return "", ""
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise _Refused(400, "invalid_client", "malformed Basic credentials") from None
    return client_id, secret


def _json(status: int, payload: Any) -> Reply:
    headers = {"content-type": "application/json", "cache-control": "no-store"}
    return status, headers, json.dumps(payload).encode()


def _oauth_error(status: int, error: str) -> Reply:
    return _json(status, {"error": error})


def _page(status: int, title: str, message: str) -> Reply:
    body = _HTML.format(title=html.escape(title), content=f"<p>{html.escape(message)}</p>")
    return (
        status,
        {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"},
        (body.encode()),
    )


def _sign_in_form(params: dict[str, str]) -> Reply:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name], quote=True)}">'
        for name in _AUTHORIZE_PARAMS
        if name in params
    )
    content = (
        '<form method="post">'
        f"{hidden}"
        '<label>Local username <input name="username" autofocus required maxlength="64" '
        'pattern="[A-Za-z0-9_.@+\\-]{1,64}"></label> '
        '<button type="submit">Sign in</button></form>'
        "<p>New usernames are created on the spot. There is no password: this page only "
        "exists on the local stack.</p>"
    )
    page = _HTML.format(title="Sign in to BoulderStat (local)", content=content)
    headers = {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "x-frame-options": "DENY",
        # No form-action: browsers apply it to the redirect back to the web app too.
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'",
    }
    return 200, headers, page.encode()


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
.local{{background:#fde68a;padding:.5rem}}</style></head>
<body><p class="local">LOCAL STACK ONLY: a stand-in for the Cognito hosted UI.</p>
<h1>{title}</h1>{content}</body></html>
"""
