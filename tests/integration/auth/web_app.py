"""What the web app does, in Python: sign in through the hosted UI with PKCE, call /auth/*.

Raw `requests` calls, so the tests see every header a browser would (Set-Cookie above all).
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jwt
import requests

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME, SetCookie, parse_set_cookie
from boulderstat.auth.pkce import s256_challenge
from boulderstat.client import LOCAL_REDIRECT_URI, LOCAL_WEB_ORIGIN, BoulderStatClient
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings

ORIGIN = LOCAL_WEB_ORIGIN
REDIRECT_URI = LOCAL_REDIRECT_URI


@dataclass
class SignedIn:
    username: str
    code: str = field(repr=False)
    verifier: str = field(repr=False)
    body: dict[str, Any] = field(repr=False)
    refresh_token: str = field(repr=False)
    response: requests.Response = field(repr=False)


def auth_post(
    stack: LocalStack,
    path: str,
    *,
    origin: str | None = ORIGIN,
    refresh_token: str | None = None,
    json: Any = None,
) -> requests.Response:
    headers = {"Origin": origin} if origin is not None else {}
    if refresh_token is not None:
        headers["Cookie"] = f"{REFRESH_COOKIE_NAME}={refresh_token}"
    return requests.post(f"{stack.api_url}{path}", headers=headers, json=json, timeout=30)


def set_cookies(response: requests.Response) -> list[SetCookie]:
    return [parse_set_cookie(header) for header in response.raw.headers.getlist("set-cookie")]


def authorization_code(stack: LocalStack, username: str, verifier: str, **kwargs: Any) -> str:
    return BoulderStatClient(stack.api_url).local_authorization_code(
        username, code_challenge=s256_challenge(verifier), **kwargs
    )


def exchange_body(code: str, verifier: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    return {"code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}


def gateway_status(stack: LocalStack, token: str) -> int:
    """What the JWT authorizer makes of a token on a protected route."""
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{stack.api_url}/climbs", headers=headers, timeout=30).status_code


def expired_id_token(settings: Settings, sub: str) -> str:
    """Validly signed (moto's public key), right pool and client, but expired an hour ago."""
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    key = jwt.PyJWK(json.loads(gzip.decompress(raw))).key
    now = int(time.time())
    claims = {
        "sub": sub,
        "iss": settings.cognito_issuer,
        "aud": settings.cognito_client_ids[0],
        "token_use": "id",
        "iat": now - 7200,
        "exp": now - 3600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))
