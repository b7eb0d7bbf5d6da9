"""Verifies Cognito JWTs the way API Gateway's JWT authorizer does.

Used by the local gateway (AWS does this in the authorizer). Checks signature against the pool's
JWKS, issuer, expiry, audience/client id and `token_use`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt
from jwt import PyJWKClient

_ALLOWED_TOKEN_USES = ("id", "access")


class TokenRejected(Exception):
    """The token is missing, malformed, forged, expired or meant for someone else."""


class CognitoJwtVerifier:
    def __init__(self, *, issuer: str, jwks_url: str, client_ids: Iterable[str]) -> None:
        self._issuer = issuer
        self._client_ids = frozenset(client_ids)
        self._jwks = PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenRejected("token expired") from error
        except jwt.InvalidIssuerError as error:
            raise TokenRejected("token issued by another user pool") from error
        except jwt.PyJWKClientConnectionError as error:
            raise TokenRejected("signing keys unavailable") from error
        except jwt.PyJWTError as error:
            raise TokenRejected(f"invalid token: {error}") from error

        token_use = claims.get("token_use")
        if token_use not in _ALLOWED_TOKEN_USES:
            raise TokenRejected(f"token_use {token_use!r} is not accepted")
        # ID tokens name the app client in `aud`, access tokens in `client_id`.
        audience = claims.get("aud") if token_use == "id" else claims.get("client_id")
        if audience not in self._client_ids:
            raise TokenRejected("token issued to another app client")
        return claims
