"""The local gateway verifies tokens exactly like API Gateway's Cognito JWT authorizer.

Tokens are minted by the local Cognito; bad ones are crafted with moto's published signing key
(it is public and fixed, which is why it is for local use only) or with a key of our own.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings


def _moto_signing_key() -> Any:
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(raw))).key


def _claims(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "forged-user",
        "iss": settings.cognito_issuer,
        "aud": settings.cognito_client_ids[0],
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: Any = None, kid: str = "dummy") -> str:
    return jwt.encode(claims, key or _moto_signing_key(), algorithm="RS256", headers={"kid": kid})


def _get(stack: LocalStack, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(f"{stack.api_url}/climbs", headers=headers, timeout=10)


def test_real_id_and_access_tokens_are_accepted(stack: LocalStack, alice: Any) -> None:
    for token in (alice.tokens["IdToken"], alice.tokens["AccessToken"]):
        response = _get(stack, f"Bearer {token}")
        assert response.status_code == 200, response.text  # alice's (empty) list of climbs
        assert response.json()["items"] == []


def test_a_correctly_signed_token_with_valid_claims_passes(
    stack: LocalStack, settings: Settings
) -> None:
    # Proves the crafted-token cases below fail for the reason they name, not the signing.
    response = _get(stack, f"Bearer {_sign(_claims(settings))}")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

BAD_TOKENS: dict[str, tuple[Callable[[Settings], str | None], str]] = {
    "missing header": (lambda s: None, "missing Authorization header"),
    "not bearer": (lambda s: "Basic abc", "Bearer"),
    "garbage": (lambda s: "Bearer not-a-jwt", "invalid token"),
    "expired": (
        lambda s: (
            "Bearer " + _sign(_claims(s, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600))
        ),
        "expired",
    ),
    "other pool": (
        lambda s: (
            "Bearer " + _sign(_claims(s, iss="https://cognito-idp.eu-west-1.amazonaws.com/x"))
        ),
        "another user pool",
    ),
    "other client": (
        lambda s: "Bearer " + _sign(_claims(s, aud="someone-else")),
        "another app client",
    ),
    "refresh-like token_use": (
        lambda s: "Bearer " + _sign(_claims(s, token_use="refresh")),
        "token_use",
    ),
    "no token_use": (lambda s: "Bearer " + _sign(_claims(s, token_use=None)), "token_use"),
    "forged signature": (lambda s: "Bearer " + _sign(_claims(s), key=other_key), "invalid token"),
    "unknown key id": (lambda s: "Bearer " + _sign(_claims(s), kid="nope"), "invalid token"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_tokens_get_401_with_a_reason(stack: LocalStack, settings: Settings, case: str) -> None:
    make, reason = BAD_TOKENS[case]
    response = _get(stack, make(settings))
    assert response.status_code == 401
    body = response.json()
    assert body["message"] == "Unauthorized"
    assert reason in body["reason"]


def test_unknown_route_is_404_json(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/nope", timeout=10)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
