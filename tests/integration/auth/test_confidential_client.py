"""An app client with a secret: the secret comes from SSM (moto) and goes as HTTP Basic auth.

The local stack's own app client is public (no secret), like a SPA's; a stage may use a
confidential one. These drive the domain service with such settings against the stand-in,
which checks client secrets the way Cognito does.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME, parse_set_cookie
from boulderstat.auth.errors import SignInFailed
from boulderstat.auth.models import CodeExchange
from boulderstat.auth.pkce import new_code_verifier
from boulderstat.auth.sessions import sign_in_sessions
from boulderstat.errors import ServiceUnavailable
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings
from tests.integration.auth.web_app import (
    REDIRECT_URI,
    authorization_code,
    claims_of,
    exchange_body,
)


@pytest.fixture(scope="module")
def confidential_client(stack: LocalStack, settings: Settings) -> dict[str, Any]:
    cognito = stack.client("cognito-idp")
    return dict(
        cognito.create_user_pool_client(
            UserPoolId=settings.cognito_user_pool_id,
            ClientName=f"confidential-{uuid.uuid4().hex[:8]}",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"],
            AllowedOAuthFlowsUserPoolClient=True,
            CallbackURLs=[REDIRECT_URI],
            SupportedIdentityProviders=["COGNITO"],
        )["UserPoolClient"]
    )


def _settings_with_secret(
    stack: LocalStack, settings: Settings, client: dict[str, Any], secret: str | None
) -> Settings:
    name = f"/boulderstat/local/{uuid.uuid4().hex[:8]}/cognito-client-secret"
    if secret is not None:
        stack.client("ssm").put_parameter(Name=name, Value=secret, Type="SecureString")
    return settings.with_overrides(
        cognito_client_ids=(client["ClientId"],), cognito_client_secret_parameter=name
    )


def _exchange(stack: LocalStack, client: dict[str, Any]) -> CodeExchange:
    verifier = new_code_verifier()
    code = authorization_code(
        stack, f"secretive-{uuid.uuid4().hex[:8]}", verifier, client_id=client["ClientId"]
    )
    return CodeExchange(**exchange_body(code, verifier))


def test_the_secret_from_ssm_authenticates_the_exchange_and_the_refresh(
    stack: LocalStack, settings: Settings, confidential_client: dict[str, Any]
) -> None:
    secret_settings = _settings_with_secret(
        stack, settings, confidential_client, confidential_client["ClientSecret"]
    )
    sessions = sign_in_sessions(secret_settings)

    started = sessions.start(_exchange(stack, confidential_client))
    assert claims_of(started.tokens.id_token)["aud"] == confidential_client["ClientId"]
    assert started.cookie is not None
    cookie = f"{REFRESH_COOKIE_NAME}={parse_set_cookie(str(started.cookie)).value}"

    refreshed = sessions.refresh([cookie])
    assert claims_of(refreshed.tokens.id_token)["aud"] == confidential_client["ClientId"]
    assert parse_set_cookie(str(sessions.end([cookie]))).clears


def test_a_wrong_secret_is_an_operator_problem_502(
    stack: LocalStack, settings: Settings, confidential_client: dict[str, Any]
) -> None:
    wrong = _settings_with_secret(stack, settings, confidential_client, "not-the-secret")
    with pytest.raises(SignInFailed) as error:
        sign_in_sessions(wrong).start(_exchange(stack, confidential_client))
    assert error.value.status == 502


def test_a_missing_secret_parameter_is_503_not_a_crash(
    stack: LocalStack, settings: Settings, confidential_client: dict[str, Any]
) -> None:
    missing = _settings_with_secret(stack, settings, confidential_client, None)
    with pytest.raises(ServiceUnavailable):
        sign_in_sessions(missing).start(_exchange(stack, confidential_client))


def test_without_its_secret_a_confidential_client_is_refused_502(
    stack: LocalStack, settings: Settings, confidential_client: dict[str, Any]
) -> None:
    public = settings.with_overrides(cognito_client_ids=(confidential_client["ClientId"],))
    with pytest.raises(SignInFailed):
        sign_in_sessions(public).start(_exchange(stack, confidential_client))
