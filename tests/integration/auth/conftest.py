"""Sign-in sessions over real HTTP: local gateway -> auth function -> hosted-UI stand-in -> moto."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME
from boulderstat.auth.pkce import new_code_verifier
from boulderstat.local.stack import LocalStack
from tests.integration.auth.web_app import (
    SignedIn,
    auth_post,
    authorization_code,
    exchange_body,
    set_cookies,
)


@pytest.fixture
def sign_in(stack: LocalStack) -> Callable[..., SignedIn]:
    """Signs a fresh local user in through the hosted-UI stand-in and /auth/token."""

    def make(prefix: str = "session") -> SignedIn:
        username = f"{prefix}-{uuid.uuid4().hex[:10]}"
        verifier = new_code_verifier()
        code = authorization_code(stack, username, verifier)
        response = auth_post(stack, "/auth/token", json=exchange_body(code, verifier))
        assert response.status_code == 200, response.text
        (cookie,) = [c for c in set_cookies(response) if c.name == REFRESH_COOKIE_NAME]
        return SignedIn(username, code, verifier, response.json(), cookie.value, response)

    return make
