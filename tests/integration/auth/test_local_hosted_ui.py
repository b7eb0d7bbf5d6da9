"""The local hosted-UI stand-in refuses what Cognito's hosted UI refuses (local stack only)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from boulderstat.auth.pkce import new_code_verifier, s256_challenge
from boulderstat.local.gateway import GatewayRequest
from boulderstat.local.hosted_ui import LocalHostedUi
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings
from tests.integration.auth.web_app import REDIRECT_URI


def _params(settings: Settings, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": settings.cognito_client_ids[0],
        "redirect_uri": REDIRECT_URI,
        "code_challenge": s256_challenge(new_code_verifier()),
        "code_challenge_method": "S256",
        "state": "s-1",
    }
    return {k: v for k, v in (params | overrides).items() if v != ""}


def _authorize(stack: LocalStack, params: dict[str, str]) -> requests.Response:
    url = f"{stack.api_url}/_local/cognito/oauth2/authorize?{urlencode(params)}"
    return requests.get(url, timeout=30, allow_redirects=False)


def test_the_form_is_marked_local_and_reflects_nothing_unescaped(
    stack: LocalStack, settings: Settings
) -> None:
    hostile = '"><script>alert(1)</script>'
    page = _authorize(stack, _params(settings, state=hostile))
    assert page.status_code == 200
    assert "LOCAL STACK ONLY" in page.text
    assert "<script>" not in page.text
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_id": "not-a-client"}, "unknown client_id"),
        ({"redirect_uri": "https://evil.example/callback"}, "not a callback URL"),
        ({"response_type": "token"}, "response_type must be code"),
        ({"code_challenge_method": "plain"}, "PKCE is required"),
        ({"code_challenge": ""}, "code_challenge"),
    ],
)
def test_bad_authorize_requests_get_an_error_page_and_no_redirect(
    stack: LocalStack, settings: Settings, overrides: dict[str, str], reason: str
) -> None:
    page = _authorize(stack, _params(settings, **overrides))
    assert page.status_code == 400
    assert "location" not in page.headers
    assert reason in page.text


def test_signing_in_redirects_to_the_callback_with_a_code_and_the_state(
    stack: LocalStack, settings: Settings
) -> None:
    params = _params(settings)
    url = f"{stack.api_url}/_local/cognito/oauth2/authorize"
    response = requests.post(
        url, data={**params, "username": "redirected"}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["s-1"]
    assert len(query["code"][0]) >= 32


def test_a_bad_username_is_refused(stack: LocalStack, settings: Settings) -> None:
    url = f"{stack.api_url}/_local/cognito/oauth2/authorize"
    response = requests.post(
        url, data={**_params(settings), "username": "a b<c>"}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 400


def test_codes_expire(stack: LocalStack, settings: Settings) -> None:
    hosted_ui = LocalHostedUi(lambda: settings, code_ttl_seconds=0)
    verifier = new_code_verifier()
    params = _params(settings, code_challenge=s256_challenge(verifier))
    form = urlencode({**params, "username": f"expiry-{uuid.uuid4().hex[:6]}"}).encode()
    status, headers, _ = hosted_ui.authorize(GatewayRequest("POST", "/", "", {}, form))
    assert status == 302
    code = parse_qs(urlsplit(headers["location"]).query)["code"][0]
    grant = {
        "grant_type": "authorization_code",
        "client_id": settings.cognito_client_ids[0],
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    status, _, body = hosted_ui.token(
        GatewayRequest("POST", "/", "", {}, urlencode(grant).encode())
    )
    assert (status, body) == (400, b'{"error": "invalid_grant"}')


OURS = "<the local app client>"


@pytest.mark.parametrize(
    ("method", "form", "status", "error"),
    [
        ("GET", {}, 405, "invalid_request"),
        ("POST", {"grant_type": "password", "client_id": OURS}, 400, "unsupported_grant_type"),
        ("POST", {"grant_type": "refresh_token", "client_id": "nope"}, 400, "invalid_client"),
        ("POST", {"grant_type": "refresh_token"}, 400, "invalid_request"),  # no client id
        ("POST", {"grant_type": "refresh_token", "client_id": OURS}, 400, "invalid_request"),
    ],
)
def test_the_token_endpoint_answers_in_cognitos_error_shape(
    stack: LocalStack,
    settings: Settings,
    method: str,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    form = {k: settings.cognito_client_ids[0] if v == OURS else v for k, v in form.items()}
    response = requests.request(
        method, f"{stack.api_url}/_local/cognito/oauth2/token", data=form, timeout=30
    )
    assert response.status_code == status
    assert response.json() == {"error": error}
