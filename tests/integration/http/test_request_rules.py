"""One rule for every route, over real HTTP through the local gateway (docs/openapi.json says
the same): malformed bodies and tokens are a precise 4xx, never a 500; unknown query
parameters, bad cursors, malformed and percent-encoded ids and limits behave alike everywhere;
a verified token whose `sub` cannot form a key is refused before any key is built."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
from pymongo.database import Database

from boulderstat.client import BoulderStatClient
from boulderstat.local.functions import LocalLambdaContext, load_handler
from boulderstat.local.gateway import GatewayRequest, build_event
from boulderstat.local.routes import load_routes
from boulderstat.local.stack import LocalStack
from tests.conftest import Climber

UNKNOWN_ID = "0" * 32
TODAY = datetime.now(UTC).date().isoformat()
CLIMB = {"title": "Arete", "grade": "V2", "outcome": "send", "attempts": 2, "climb_date": TODAY}
JSON_ROUTES = [
    ("POST", "/climbs"),
    ("PATCH", f"/climbs/{UNKNOWN_ID}"),
    ("POST", "/media/uploads"),
    ("POST", "/auth/token"),
]
EVERY_ROUTE = [
    (r.method, r.path.replace("{climbId}", UNKNOWN_ID).replace("{mediaId}", UNKNOWN_ID))
    for r in load_routes()
]
SECURED = [
    (r.method, r.path.replace("{climbId}", UNKNOWN_ID).replace("{mediaId}", UNKNOWN_ID))
    for r in load_routes()
    if r.authorized
]


@pytest.fixture(scope="module")
def climber(stack: LocalStack) -> Climber:
    """One climber for the module (signing in per test would dominate its run time)."""
    username = f"rules-{uuid.uuid4().hex[:10]}"
    tokens = stack.token(username)
    sub = jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"]
    return Climber(
        username, sub, tokens, BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
    )


def _send(
    stack: LocalStack, climber: Climber, method: str, path: str, **kwargs: Any
) -> requests.Response:
    headers = {
        "authorization": f"Bearer {climber.tokens['IdToken']}",
        "origin": stack.settings.allowed_origins[0],
        **kwargs.pop("headers", {}),
    }
    return requests.request(method, stack.api_url + path, headers=headers, timeout=30, **kwargs)


MALFORMED_BODIES = [
    pytest.param(
        b'{"title": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        "nested more than 32",
        id="nested 30,000 deep",
    ),
    pytest.param(
        b'{"title": ' + b"[" * 40 + b"]" * 40 + b"}", "nested more than 32", id="nested 40 deep"
    ),
    pytest.param(b'{"attempts": 1' + b"0" * 5_000 + b"}", "not valid JSON", id="5,000 digits"),
    pytest.param(b'{"title": "\xff\xfe caf\xe9"}', "not UTF-8", id="latin-1 bytes"),
    pytest.param(b"\xef\xbb\xbf" + b"\x80" * 10, "not UTF-8", id="broken UTF-8"),
    pytest.param(b'{"attempts": NaN}', "NaN is not JSON", id="NaN"),
    pytest.param(b'{"size": Infinity}', "Infinity is not JSON", id="Infinity"),
    pytest.param(b'{"title": "x"', "not valid JSON", id="truncated"),
]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize(("body", "reason"), MALFORMED_BODIES)
def test_a_body_that_is_not_utf8_json_is_a_400_on_every_json_route(
    stack: LocalStack, climber: Climber, method: str, path: str, body: bytes, reason: str
) -> None:
    response = _send(
        stack, climber, method, path, data=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "malformed_body"
    assert reason in response.json()["message"]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_long_numbers_and_wrong_types_are_validation_errors_not_crashes(
    stack: LocalStack, climber: Climber, method: str, path: str
) -> None:
    """4,000 digits is within what Python reads: the schema's bounds then answer (422)."""
    for body in (
        b'{"attempts": 1' + b"0" * 4_000 + b', "size": 1' + b"0" * 4_000 + b"}",
        b'{"title": 1e999, "size": 1e999}',
        b"[1, 2]",
    ):
        response = _send(
            stack, climber, method, path, data=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (body[:40], response.text)
        assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_other_content_types_are_415_and_oversize_bodies_413(
    stack: LocalStack, climber: Climber, method: str, path: str
) -> None:
    form = _send(
        stack,
        climber,
        method,
        path,
        data="title=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (form.status_code, form.json()["error"]) == (415, "unsupported_media_type")
    huge = _send(stack, climber, method, path, json={"title": "x" * 70_000})
    assert (huge.status_code, huge.json()["error"]) == (413, "payload_too_large")


@pytest.mark.parametrize(("method", "path"), SECURED)
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer not.a.jwt", "Bearer " + "A" * 20_000, "Basic YTpi", "Bearer e30.e30."],
)
def test_malformed_tokens_get_the_authorizers_401_on_every_route(
    stack: LocalStack, method: str, path: str, authorization: str
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = requests.request(method, stack.api_url + path, headers=headers, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["message"] == "Unauthorized"


@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
def test_an_unknown_query_parameter_is_a_400_on_every_route(
    stack: LocalStack, climber: Climber, method: str, path: str
) -> None:
    response = _send(stack, climber, method, path, params={"min_grad": "V3"}, json={})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "unknown_query_parameter"
    assert body["message"].startswith("Unknown query parameter(s): min_grad; ")


@pytest.mark.parametrize("path", ["/climbs", "/media"])
def test_lists_page_and_refuse_cursors_and_limits_alike(
    stack: LocalStack, climber: Climber, path: str
) -> None:
    other = {"/climbs": "/media", "/media": "/climbs"}[path]
    issued_elsewhere = "eyJ2IjoxLCJsIjoiZWxzZXdoZXJlIiwiayI6W119"  # {"v":1,"l":"elsewhere","k":[]}
    for cursor in ("bm90IG91cnM", "%%%", "eyJ2IjoxfQ", issued_elsewhere, "A" * 150):
        response = _send(stack, climber, "GET", path, params={"cursor": cursor})
        assert response.status_code == 400, (cursor, response.text)
        assert response.json() == {
            "error": "invalid_cursor",
            "message": "cursor is not one this API issued; pass next_cursor back unchanged "
            "or omit it",
        }
    for limit in ("0", "101", "ten", "-1", "1.5"):
        response = _send(stack, climber, "GET", path, params={"limit": limit})
        assert (response.status_code, response.json()["error"]) == (422, "validation_error")
    for limit in ("1", "100"):
        assert _send(stack, climber, "GET", path, params={"limit": limit}).status_code == 200
    assert _send(stack, climber, "GET", path, params={"cursor": ""}).status_code == 200
    del other


def test_a_cursor_of_one_list_is_refused_by_the_other(stack: LocalStack, climber: Climber) -> None:
    for _ in range(2):
        climber.api.post("/climbs", CLIMB)
        climber.api.post("/media/uploads", json={"content_type": "image/png", "size": 10})
    climbs_cursor = climber.api.get("/climbs", params={"limit": 1})["next_cursor"]
    media_cursor = climber.api.get("/media", params={"limit": 1})["next_cursor"]
    assert climbs_cursor and media_cursor
    assert (
        _send(stack, climber, "GET", "/climbs", params={"cursor": media_cursor}).status_code == 400
    )
    assert (
        _send(stack, climber, "GET", "/media", params={"cursor": climbs_cursor}).status_code == 400
    )
    assert (
        _send(stack, climber, "GET", "/climbs", params={"cursor": climbs_cursor}).status_code == 200
    )
    assert (
        _send(stack, climber, "GET", "/media", params={"cursor": media_cursor}).status_code == 200
    )


def test_ids_are_percent_decoded_once_and_malformed_ids_are_422_everywhere(
    stack: LocalStack, climber: Climber
) -> None:
    climb_id = climber.api.post("/climbs", CLIMB)["climb_id"]
    media_id = climber.api.post("/media/uploads", json={"content_type": "image/png", "size": 10})[
        "media_id"
    ]
    for collection, item_id in (("climbs", climb_id), ("media", media_id)):
        every_char = "".join(f"%{ord(c):02X}" for c in item_id)
        assert _send(stack, climber, "GET", f"/{collection}/{every_char}").status_code == 200
        twice = quote(every_char, safe="")  # %2530... decodes once to %30..., not an id
        for method in ("GET", "DELETE"):
            for bad in (twice, item_id.upper(), item_id[:-1], "..%2F" + item_id[3:], "%00" * 32):
                response = _send(stack, climber, method, f"/{collection}/{bad}")
                assert response.status_code == 422, (method, bad, response.text)
                assert response.json()["errors"][0]["location"].startswith("path.")
        response = _send(stack, climber, "GET", f"/{collection}/{UNKNOWN_ID}")
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
    patch = _send(stack, climber, "PATCH", f"/climbs/{climb_id.upper()}", json={"title": "x"})
    assert patch.status_code == 422
    assert climber.api.get(f"/climbs/{climb_id}")["title"] == CLIMB["title"]


@pytest.mark.parametrize(
    "sub", ["../bob", "alice/../../bob", "a" * 65, "a b", "ünïcode", "x\x00y", "$ne"]
)
@pytest.mark.parametrize("route", [r for r in load_routes() if r.authorized], ids=str)
def test_a_verified_sub_that_cannot_be_a_user_id_is_refused_on_every_route(
    stack: LocalStack, db: Database, route: Any, sub: str
) -> None:
    """API Gateway would only pass such a claim from a misconfigured pool; no key, no query
    and no document may be built from it (POST /media/uploads builds S3 keys from `sub`)."""
    path = route.path.replace("{climbId}", UNKNOWN_ID).replace("{mediaId}", UNKNOWN_ID)
    # The identity is checked before the request is read: even an empty body gets the 401.
    body = b"{}" if route.method in ("POST", "PUT", "PATCH") else b""
    request = GatewayRequest(route.method, path, "", {"content-type": "application/json"}, body)
    params = route.match(route.method, path) or {}
    event = build_event(route, request, params, {"sub": sub}, source_ip="127.0.0.1")
    before = db["media"].count_documents({}), db["climbs"].count_documents({})
    response = load_handler(route.function_name)(event, LocalLambdaContext(route.function_name))
    assert response["statusCode"] == 401, response
    assert '"error":"unauthorized"' in response["body"].replace(" ", "")
    assert (db["media"].count_documents({}), db["climbs"].count_documents({})) == before


def test_a_cursor_of_one_listing_is_refused_by_every_other(
    stack: LocalStack, climber: Climber, new_climber: Any
) -> None:
    """Every (date, id) list pages alike, so a cursor names its list: another list's cursor is
    a 400 `invalid_cursor`, never a page of something else."""
    public = {**CLIMB, "visibility": "public"}
    other = new_climber("cursors")  # discover shows others' public climbs
    for _ in range(2):
        other.api.post("/climbs", public)
    climb_id = climber.api.post("/climbs", public)["climb_id"]
    climber.api.post("/climbs", public)
    for text in ("first", "second"):
        climber.api.post(f"/climbs/{climb_id}/comments", {"text": text})
    lists = {
        "/climbs": "/climbs",
        "/feed": "/feed",
        "/feed/discover": "/feed/discover",
        "/climbers/{me}/climbs": f"/climbers/{climber.sub}/climbs",
        "/climbs/{id}/comments": f"/climbs/{climb_id}/comments",
        "/notifications": "/notifications",
    }
    issued = {
        name: climber.api.get(path, params={"limit": 1})["next_cursor"]
        for name, path in lists.items()
        if name != "/notifications"  # made by another function, later: the others suffice
    }
    assert all(issued.values()), issued
    for name, path in lists.items():
        for source, cursor in issued.items():
            response = _send(stack, climber, "GET", path, params={"cursor": cursor, "limit": 1})
            if source == name:
                assert response.status_code == 200, (name, response.text)
            else:
                assert response.status_code == 400, (name, source, response.text)
                assert response.json()["error"] == "invalid_cursor"
