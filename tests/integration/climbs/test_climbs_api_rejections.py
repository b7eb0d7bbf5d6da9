"""Bad requests get a precise 4xx with a reason and change nothing; other climbers' climbs are
invisible (404, never 403); requests without a valid token never reach the function."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import jwt
import pytest
import requests
from pymongo.database import Database

from boulderstat.http_api import ApiError
from boulderstat.local.stack import LocalStack

TODAY = datetime.now(UTC).date()
VALID: dict[str, Any] = {
    "title": "Sloper traverse",
    "grade": "V3",
    "outcome": "send",
    "attempts": 3,
    "climb_date": TODAY.isoformat(),
}
UNKNOWN_ID = "0" * 32


@pytest.fixture(scope="module")
def existing(climber: Any) -> dict[str, Any]:
    return climber.api.post("/climbs", VALID | {"tags": ["keep"]})


def _json(body: Any) -> dict[str, Any]:
    return {"data": json.dumps(body), "headers": {"content-type": "application/json"}}


def _raw(data: str, content_type: str = "application/json") -> dict[str, Any]:
    return {"data": data, "headers": {"content-type": content_type}}


def _case(
    name: str,
    method: str,
    path: str,
    request: dict[str, Any],
    reason: str,
    status: int = 422,
    code: str | None = None,
) -> Any:
    """One bad request and the words its message must contain; the code follows the status
    unless given (the 400s say which rule: docs/openapi.json)."""
    code = (
        code
        or {
            400: "unknown_query_parameter",
            404: "not_found",
            413: "payload_too_large",
            415: "unsupported_media_type",
            422: "validation_error",
        }[status]
    )
    return pytest.param(method, path, request, status, code, reason, id=name)


def _post(name: str, body: Any, reason: str, status: int = 422) -> Any:
    return _case(name, "POST", "/climbs", _json(body), reason, status)


def _patch(name: str, body: Any, reason: str, status: int = 422) -> Any:
    """Against the module's existing climb."""
    return _case(name, "PATCH", "/climbs/{id}", _json(body), reason, status)


def _list(name: str, params: dict[str, Any], reason: str, status: int = 422) -> Any:
    return _case(name, "GET", "/climbs", {"params": params}, reason, status)


FUTURE = (TODAY + timedelta(days=3)).isoformat()
HUGE = "x" * 70_000  # over the stage's 64 KiB max_body_bytes

CASES = [
    _post("unknown field", VALID | {"colour": "red"}, "body.colour: Extra inputs"),
    _post("owner in body", VALID | {"user_id": "x"}, "body.user_id: Extra inputs"),
    _post("operator title", VALID | {"title": {"$gt": ""}}, "body.title: Input should be a valid"),
    _post("operator grade", VALID | {"grade": {"$gt": ""}}, "body.grade: grade must be a number"),
    _post("operator attempts", VALID | {"attempts": {"$gt": 0}}, "body.attempts: Input should be"),
    _post("grade out of range", VALID | {"grade": "V18"}, "grade V18 is outside VB..V17"),
    _post("unknown grade", VALID | {"grade": "5.12a"}, "is not a grade"),
    _post("zero attempts", VALID | {"attempts": 0}, "body.attempts: Input should be greater"),
    _post("attempts as text", VALID | {"attempts": "3"}, "body.attempts: Input should be a valid"),
    _post("flash after 3 tries", VALID | {"outcome": "flash"}, "attempts must be 1 (got 3)"),
    _post("date in the future", VALID | {"climb_date": FUTURE}, "is in the future"),
    _post("impossible date", VALID | {"climb_date": "2026-02-30"}, "not a real calendar date"),
    _post("unknown hold", VALID | {"holds": ["crimp", "banana"]}, "body.holds.1: Input should be"),
    _post("too many tags", VALID | {"tags": [str(i) for i in range(21)]}, "at most 20 items"),
    _post("bad location", VALID | {"location": {"kind": "home", "name": "x"}}, "location.kind"),
    _post("missing fields", {"title": "x"}, "body.grade: Field required"),
    _post("json array", [VALID], "body: must be one JSON object"),
    _post("array of two", [VALID, VALID], "body: must be one JSON object"),
    _post("oversize field", VALID | {"description": HUGE}, "exceeds 65536 bytes", 413),
    _case(
        "not json", "POST", "/climbs", _raw("{title: x"), "not valid JSON", 400, "malformed_body"
    ),
    _case("empty body", "POST", "/climbs", {}, "body: Field required"),
    _case("text body", "POST", "/climbs", _raw("title=x", "text/plain"), "text/plain", 415),
    _case("padded", "POST", "/climbs", _raw(json.dumps(VALID) + " " * 70_000), "exceeds", 413),
    _list("bad from", {"from": "last week"}, "query.filters.from: must be an ISO date"),
    _list("bad grade filter", {"min_grade": "V99"}, "outside VB..V17"),
    _list("grades reversed", {"min_grade": "8A", "max_grade": "V2"}, "min_grade must not be"),
    _list("dates reversed", {"from": "2026-02-01", "to": "2026-01-01"}, "'from' must not be"),
    _list("limit zero", {"limit": 0}, "query.filters.limit: Input should be greater than"),
    _list("limit too big", {"limit": 101}, "query.filters.limit: Input should be less than or"),
    _list("limit not a number", {"limit": "ten"}, "query.filters.limit: Input should be a valid"),
    _case(
        "bad cursor",
        "GET",
        "/climbs",
        {"params": {"cursor": "eyJ2IjoxfQ"}},
        "cursor is not one this API issued",
        400,
        "invalid_cursor",
    ),
    _list("unknown enum", {"angle": "ceiling"}, "query.filters.angle"),
    _list("misspelt filter", {"min_grad": "V3"}, "Unknown query parameter(s): min_grad", 400),
    _list("operator in query", {"min_grade[$gt]": ""}, "parameter(s): min_grade[$gt]", 400),
    _case(
        "bad stats date",
        "GET",
        "/climbs/stats",
        {"params": {"to": "2026-13-01"}},
        "query.period.to",
    ),
    _case(
        "stats param", "GET", "/climbs/stats", {"params": {"week": "1"}}, "parameter(s): week", 400
    ),
    _case("malformed id", "GET", "/climbs/not-an-id", {}, "path.climbId: String should match"),
    _case("operator-ish id", "GET", "/climbs/$ne", {}, "path.climbId"),
    _case("unknown id", "GET", f"/climbs/{UNKNOWN_ID}", {}, f"No climb {UNKNOWN_ID}", 404),
    _case(
        "patch unknown", "PATCH", f"/climbs/{UNKNOWN_ID}", _json({"title": "x"}), "No climb", 404
    ),
    _case("delete malformed id", "DELETE", "/climbs/xyz", {}, "path.climbId"),
    _patch("empty patch", {}, "send at least one field to change"),
    _patch("null title", {"title": None}, "body.title: cannot be null"),
    _patch("patch the id", {"climb_id": UNKNOWN_ID}, "body.climb_id: Extra inputs"),
    _patch("operator patch", {"$set": {"user_id": "x"}}, "body.$set: Extra inputs"),
    _patch("array patch", [{"title": "x"}], "body: must be one JSON object"),
    _patch("flash on a 3-try climb", {"outcome": "flash"}, "attempts must be 1 (got 3)"),
    _patch("patch into the future", {"climb_date": FUTURE}, "is in the future"),
    _patch("oversize patch", {"description": HUGE}, "exceeds 65536 bytes", 413),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code", "reason"), CASES)
def test_bad_requests_get_a_precise_4xx_and_change_nothing(
    climber: Any,
    existing: dict[str, Any],
    db: Database,
    stored: Any,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
    reason: str,
) -> None:
    before, total = stored(climber.sub), db["climbs"].count_documents({})

    response = climber.api.request(method, path.format(id=existing["climb_id"]), **kwargs)

    assert response.status_code == status, response.text
    body = ApiError.model_validate(response.json())
    assert body.error == code
    assert reason in body.message, body.message
    assert stored(climber.sub) == before
    assert db["climbs"].count_documents({}) == total


def test_other_climbers_climbs_are_invisible(alice: Any, bob: Any, stored: Any) -> None:
    bobs = bob.api.post("/climbs", VALID | {"title": "Bob's project", "outcome": "project"})
    alice.api.post("/climbs", VALID)
    bob_before = stored(bob.sub)
    path = f"/climbs/{bobs['climb_id']}"

    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"title": "mine"}}), ("DELETE", {})):
        response = alice.api.request(method, path, **kwargs)
        assert response.status_code == 404, (method, response.text)
        assert response.json() == {"error": "not_found", "message": f"No climb {bobs['climb_id']}"}

    listed = alice.api.get("/climbs", params={"limit": 100})["items"]
    assert bobs["climb_id"] not in {c["climb_id"] for c in listed}
    assert len(listed) == 1
    assert alice.api.get("/climbs/stats")["climbs"] == 1
    assert stored(bob.sub) == bob_before
    assert bob.api.get(path) == bobs


def _moto_signing_key() -> Any:
    raw = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(raw))).key


def _expired_token(settings: Any, sub: str) -> str:
    now = int(time.time())
    claims = {
        "sub": sub,
        "iss": settings.cognito_issuer,
        "aud": settings.cognito_client_ids[0],
        "token_use": "id",
        "iat": now - 7200,
        "exp": now - 3600,
    }
    return jwt.encode(claims, _moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})


@pytest.mark.parametrize(
    "authorization",
    ["missing", "Bearer garbage", "Basic dXNlcjpwYXNz", "expired", "tampered"],
)
def test_requests_without_a_valid_token_get_401(
    stack: LocalStack, climber: Any, db: Database, authorization: str
) -> None:
    assert stack.settings is not None
    header = {
        "missing": None,
        "expired": f"Bearer {_expired_token(stack.settings, climber.sub)}",
        "tampered": f"Bearer {climber.id_token[:-4]}AAAA",
    }.get(authorization, authorization)
    headers = {"Authorization": header} if header else {}
    total = db["climbs"].count_documents({})

    for method, path, body in (
        ("GET", "/climbs", None),
        ("POST", "/climbs", VALID),
        ("GET", "/climbs/stats", None),
        ("DELETE", f"/climbs/{UNKNOWN_ID}", None),
    ):
        response = requests.request(
            method, f"{stack.api_url}{path}", json=body, headers=headers, timeout=10
        )
        assert response.status_code == 401, response.text
        payload = response.json()
        assert payload["message"] == "Unauthorized" and payload["reason"]
    assert db["climbs"].count_documents({}) == total
