"""Who the caller is, and what a database outage looks like, for every HTTP function.

Events are written out as API Gateway (HTTP API, payload 2.0) sends them; the app is the one
`create_http_app` builds for every function.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pymongo import MongoClient

from boulderstat.community.profiles import CLIMBER_ID_PATTERN
from boulderstat.http_api import caller_id, create_http_app
from boulderstat.media.keys import parse_original_key


def _event(path: str, claims: dict[str, str] | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example",
            "domainPrefix": "api",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test",
            },
            "requestId": "r-1",
            "routeKey": f"GET {path}",
            "stage": "$default",
            "time": "30/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1796083200000,
        },
        "isBase64Encoded": False,
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def _app() -> Any:
    app = create_http_app(max_body_bytes=1024)

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {"sub": caller_id(app)}

    @app.get("/database")
    def database() -> dict[str, str]:
        # A real driver against a port nobody listens on: a real ServerSelectionTimeoutError.
        client: MongoClient = MongoClient(
            "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=100
        )
        client.admin.command("ping")
        return {}

    @app.get("/bug")
    def bug() -> dict[str, str]:
        raise ZeroDivisionError("a bug, not an outage")

    return app


def test_the_verified_sub_is_the_caller() -> None:
    response = _app().resolve(_event("/whoami", {"sub": "user-1", "token_use": "id"}), {})

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"sub": "user-1"}


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"token_use": "id", "email": "a@example.com"}, {"sub": ""}],
    ids=["no authorizer", "no claims", "claims without sub", "empty sub"],
)
def test_no_sub_is_401_never_a_guess(claims: dict[str, str] | None) -> None:
    response = _app().resolve(_event("/whoami", claims), {})

    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {
        "error": "unauthorized",
        "message": "The request carries no verified identity",
    }


def test_database_unreachable_is_503_with_a_reason() -> None:
    response = _app().resolve(_event("/database", {"sub": "user-1"}), {})

    assert response["statusCode"] == 503
    assert json.loads(response["body"]) == {
        "error": "service_unavailable",
        "message": "The database is unavailable; retry.",
    }


def test_other_exceptions_still_crash_the_invocation() -> None:
    """Not turned into a 503 (or anything else): Lambda logs the crash, API Gateway says 500."""
    with pytest.raises(ZeroDivisionError, match="a bug"):
        _app().resolve(_event("/bug", {"sub": "user-1"}), {})


@pytest.mark.parametrize(("length", "valid"), [(1, True), (36, True), (64, True), (65, False)])
def test_a_user_id_has_one_rule_for_the_caller_a_climber_path_and_a_key(
    length: int, valid: bool
) -> None:
    """A caller whose id a climber path or an S3 key would refuse is refused up front."""
    user_id = "a" * length
    response = _app().resolve(_event("/whoami", {"sub": user_id, "token_use": "id"}), {})
    assert response["statusCode"] == (200 if valid else 401)
    assert bool(re.fullmatch(CLIMBER_ID_PATTERN, user_id)) is valid
    key = f"uploads/{user_id}/0190f0e1c2b37a4c8d9e0f1a2b3c4d5e.jpg"
    assert (parse_original_key(key) is not None) is valid
