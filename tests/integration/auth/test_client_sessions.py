"""The Python client as the web app should behave: on a 401, refresh once and retry once."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from boulderstat.client import ApiError, BoulderStatClient, SignInRequired
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings
from tests.integration.auth.web_app import claims_of, expired_id_token, gateway_status


class CallsTo:
    """Counts the requests a client sends to one path (a response hook: nothing is altered)."""

    def __init__(self, client: BoulderStatClient, path: str) -> None:
        self.path = path
        self.count = 0
        client.session.hooks["response"].append(self._seen)

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if urlsplit(response.url).path == self.path:
            self.count += 1


@pytest.fixture
def climber(stack: LocalStack) -> BoulderStatClient:
    return BoulderStatClient.sign_in_local(stack.api_url, f"client-{uuid.uuid4().hex[:8]}")


def test_sign_in_local_holds_working_tokens_and_a_session(
    stack: LocalStack, climber: BoulderStatClient
) -> None:
    assert climber.has_session
    assert climber.get("/climbs")["items"] == []
    assert climber.id_token is not None and climber.access_token is not None
    assert gateway_status(stack, climber.access_token) == 200
    # The refresh cookie never landed in the session jar (it would be dropped over http).
    assert not any(c.name == "boulderstat_refresh" for c in climber.session.cookies)


def test_a_rejected_token_is_refreshed_once_and_the_request_retried_once(
    stack: LocalStack, settings: Settings, climber: BoulderStatClient
) -> None:
    assert climber.id_token is not None
    expired = expired_id_token(settings, claims_of(climber.id_token)["sub"])
    assert gateway_status(stack, expired) == 401  # the premise: the gateway rejects it
    refreshes = CallsTo(climber, "/auth/refresh")
    climbs = CallsTo(climber, "/climbs")
    climber.id_token = expired

    response = climber.request("GET", "/climbs")

    assert response.status_code == 200, response.text
    assert (refreshes.count, climbs.count) == (1, 2)
    assert climber.id_token != expired
    climber.get("/climbs")
    assert (refreshes.count, climbs.count) == (1, 3)  # the fresh token needs no refresh


def test_a_refused_refresh_surfaces_as_sign_in_required_after_exactly_one_try(
    stack: LocalStack, settings: Settings, climber: BoulderStatClient
) -> None:
    assert climber.id_token is not None
    claims = claims_of(climber.id_token)
    # Signed out everywhere (an admin, a password reset): the refresh token is dead.
    stack.client("cognito-idp").admin_user_global_sign_out(
        UserPoolId=settings.cognito_user_pool_id, Username=claims["cognito:username"]
    )
    refreshes = CallsTo(climber, "/auth/refresh")
    climbs = CallsTo(climber, "/climbs")
    climber.id_token = expired_id_token(settings, claims["sub"])

    with pytest.raises(SignInRequired) as signed_out:
        climber.get("/climbs")

    assert isinstance(signed_out.value, ApiError)
    assert signed_out.value.status == 401
    assert signed_out.value.body["error"] == "session_expired"
    assert (refreshes.count, climbs.count) == (1, 1)
    assert not climber.has_session  # the server cleared the cookie, the client dropped it
    assert climber.request("GET", "/climbs").status_code == 401  # no session: plain 401 now
    assert refreshes.count == 1


def test_sign_out_revokes_and_forgets_everything(climber: BoulderStatClient) -> None:
    climber.sign_out()
    assert not climber.has_session
    assert climber.id_token is None and climber.access_token is None
    with pytest.raises(SignInRequired):
        climber.refresh()  # nothing left to refresh with


def test_a_client_without_a_session_gets_the_401_back_untouched(
    stack: LocalStack, settings: Settings
) -> None:
    client = BoulderStatClient(stack.api_url, id_token=expired_id_token(settings, "someone"))
    refreshes = CallsTo(client, "/auth/refresh")
    assert client.request("GET", "/climbs").status_code == 401
    with pytest.raises(ApiError) as error:
        client.get("/climbs")
    assert not isinstance(error.value, SignInRequired)
    assert refreshes.count == 0


def test_a_client_without_an_origin_is_refused_by_the_auth_routes(stack: LocalStack) -> None:
    client = BoulderStatClient(stack.api_url)
    with pytest.raises(ApiError) as error:
        client.refresh()
    assert error.value.status == 403
