"""/auth/token, /auth/refresh and /auth/logout over real HTTP against the local Cognito."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from boulderstat.auth.cookie import SetCookie
from boulderstat.auth.pkce import new_code_verifier
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings
from tests.integration.auth.web_app import (
    REDIRECT_URI,
    SignedIn,
    auth_post,
    authorization_code,
    claims_of,
    exchange_body,
    gateway_status,
    set_cookies,
)

SignIn = Callable[..., SignedIn]
TOKEN_FIELDS = {"id_token", "access_token", "expires_in", "token_type"}


def _assert_protected(cookie: SetCookie) -> None:
    assert cookie.name == "boulderstat_refresh"
    assert cookie.http_only
    assert cookie.secure
    assert cookie.same_site == "Strict"
    assert cookie.path == "/auth"
    assert "domain" not in cookie.attributes


def _assert_cleared(response: requests.Response) -> None:
    (cookie,) = set_cookies(response)
    _assert_protected(cookie)
    assert cookie.value == ""
    assert cookie.max_age == 0


# -- /auth/token -----------------------------------------------------------------------------
def test_exchange_returns_tokens_and_puts_the_refresh_token_only_in_a_protected_cookie(
    stack: LocalStack, settings: Settings, sign_in: SignIn
) -> None:
    session = sign_in()
    response = session.response

    assert set(session.body) == TOKEN_FIELDS
    assert session.body["token_type"] == "Bearer"
    assert session.body["expires_in"] > 0
    assert response.headers["cache-control"] == "no-store"
    (cookie,) = set_cookies(response)
    _assert_protected(cookie)
    assert cookie.max_age == settings.refresh_token_validity_seconds
    assert cookie.value and cookie.value not in response.text

    claims = claims_of(session.body["id_token"])
    assert claims["cognito:username"] == session.username
    assert claims["aud"] == settings.cognito_client_ids[0]
    for token in (session.body["id_token"], session.body["access_token"]):
        assert gateway_status(stack, token) == 200


def test_a_code_works_once_and_only_with_its_verifier_and_redirect_uri(
    stack: LocalStack,
) -> None:
    username = f"codes-{uuid.uuid4().hex[:8]}"
    verifier = new_code_verifier()

    stolen = authorization_code(stack, username, verifier)
    wrong_verifier = auth_post(
        stack, "/auth/token", json=exchange_body(stolen, new_code_verifier())
    )
    retried = auth_post(stack, "/auth/token", json=exchange_body(stolen, verifier))

    other = authorization_code(stack, username, verifier)
    wrong_redirect = auth_post(
        stack, "/auth/token", json=exchange_body(other, verifier, "http://localhost:5173/x")
    )

    used = authorization_code(stack, username, verifier)
    first = auth_post(stack, "/auth/token", json=exchange_body(used, verifier))
    replayed = auth_post(stack, "/auth/token", json=exchange_body(used, verifier))

    assert first.status_code == 200
    for refused in (wrong_verifier, retried, wrong_redirect, replayed):
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_grant"
        assert "sign-in again" in refused.json()["message"]
        assert set_cookies(refused) == []


def test_a_malformed_exchange_body_is_422_with_the_fields_named(stack: LocalStack) -> None:
    response = auth_post(
        stack, "/auth/token", json={"code": "abc", "redirect_uri": REDIRECT_URI, "extra": 1}
    )
    assert response.status_code == 422
    locations = {problem["location"] for problem in response.json()["errors"]}
    assert {"body.code_verifier", "body.extra"} <= locations


# -- /auth/refresh ---------------------------------------------------------------------------
def test_refresh_gives_fresh_working_tokens_from_the_cookie(
    stack: LocalStack, sign_in: SignIn
) -> None:
    session = sign_in()
    response = auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_FIELDS
    assert body["id_token"] != session.body["id_token"]
    assert claims_of(body["id_token"])["sub"] == claims_of(session.body["id_token"])["sub"]
    assert gateway_status(stack, body["id_token"]) == 200
    assert response.headers["cache-control"] == "no-store"
    assert set_cookies(response) == []  # no rotation: the browser keeps its cookie


@pytest.mark.parametrize(
    ("refresh_token", "reason"),
    [
        (None, "No refresh cookie"),
        ("", "No refresh cookie"),
        (str(uuid.uuid4()), "expired or was signed out"),  # well-formed, never issued
        ("eyJ.not.a.refresh.token", "expired or was signed out"),
        ("garbage!with$symbols", "not a refresh token"),
    ],
)
def test_refresh_without_a_usable_cookie_is_401_and_clears_it(
    stack: LocalStack, refresh_token: str | None, reason: str
) -> None:
    response = auth_post(stack, "/auth/refresh", refresh_token=refresh_token)
    assert response.status_code == 401
    assert response.json()["error"] == "session_expired"
    assert reason in response.json()["message"]
    _assert_cleared(response)


# -- /auth/logout ----------------------------------------------------------------------------
def test_logout_revokes_the_refresh_token_and_clears_the_cookie(
    stack: LocalStack, sign_in: SignIn
) -> None:
    session = sign_in()
    logout = auth_post(stack, "/auth/logout", refresh_token=session.refresh_token)
    assert logout.status_code == 204
    assert logout.content == b""
    _assert_cleared(logout)

    after = auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token)
    assert after.status_code == 401
    _assert_cleared(after)

    again = auth_post(stack, "/auth/logout", refresh_token=session.refresh_token)
    assert again.status_code == 204  # idempotent


def test_logout_without_a_cookie_still_answers_204_and_clears(stack: LocalStack) -> None:
    response = auth_post(stack, "/auth/logout")
    assert response.status_code == 204
    _assert_cleared(response)


def test_logging_out_one_session_leaves_the_users_other_sessions_alone(
    stack: LocalStack, sign_in: SignIn
) -> None:
    laptop = sign_in()
    phone_code = authorization_code(stack, laptop.username, laptop.verifier)
    phone = auth_post(stack, "/auth/token", json=exchange_body(phone_code, laptop.verifier))
    (phone_cookie,) = set_cookies(phone)

    auth_post(stack, "/auth/logout", refresh_token=laptop.refresh_token)

    assert auth_post(stack, "/auth/refresh", refresh_token=phone_cookie.value).status_code == 200


# -- origin ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/auth/token", "/auth/refresh", "/auth/logout"])
@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("https://evil.example", "may not use sign-in sessions"),
        ("http://localhost:5173.evil.example", "may not use sign-in sessions"),
        ("null", "may not use sign-in sessions"),
        (None, "Origin header is required"),
    ],
)
def test_cross_site_and_originless_requests_are_refused_and_change_nothing(
    stack: LocalStack, sign_in: SignIn, path: str, origin: str | None, reason: str
) -> None:
    session = sign_in()
    body = exchange_body(session.code, session.verifier) if path == "/auth/token" else None
    response = auth_post(stack, path, origin=origin, refresh_token=session.refresh_token, json=body)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden_origin"
    assert reason in response.json()["message"]
    assert set_cookies(response) == []
    # A cross-site logout did not revoke, a cross-site refresh did not clear: still signed in.
    assert auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token).ok


# -- Cognito down ----------------------------------------------------------------------------
@pytest.fixture
def cognito_unreachable(stack: LocalStack) -> Iterator[None]:
    """The auth function's COGNITO_DOMAIN points at a closed port for the duration of a test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with stack.function_environment_patch("auth", COGNITO_DOMAIN=f"http://127.0.0.1:{closed}"):
        yield


@pytest.mark.usefixtures("cognito_unreachable")
def test_cognito_unreachable_is_503_with_a_reason_and_the_cookie_kept(
    stack: LocalStack,
) -> None:
    verifier = new_code_verifier()
    for path, body in [
        ("/auth/token", exchange_body("some-code", verifier)),
        ("/auth/refresh", None),
        ("/auth/logout", None),
    ]:
        response = auth_post(stack, path, refresh_token=str(uuid.uuid4()), json=body)
        assert response.status_code == 503, response.text
        assert response.json() == {
            "error": "service_unavailable",
            "message": "The sign-in service is unavailable; retry shortly.",
        }
        assert set_cookies(response) == []
