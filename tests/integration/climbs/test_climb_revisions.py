"""ETag / If-Match over real HTTP: concurrent edits of one climb never silently overwrite."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.integration.climbs.conftest import SignedIn

CLIENTS = 11
OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
NEW = {"title": "Roof crack", "grade": "V5", "outcome": "project", "climb_date": "2026-05-01"}


def _headers(climber: SignedIn, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {climber.id_token}", **extra}


def _create(url: str, climber: SignedIn) -> requests.Response:
    response = requests.post(f"{url}/climbs", json=NEW, headers=_headers(climber), timeout=30)
    assert response.status_code == 201, response.text
    return response


def _patch(url: str, climber: SignedIn, climb_id: str, i: int, **headers: str) -> Any:
    return requests.patch(
        f"{url}/climbs/{climb_id}",
        json={"attempts": i + 2, "description": f"client {i}"},
        headers=_headers(climber, **headers),
        timeout=60,
    )


def test_every_climb_response_carries_its_revision_as_etag(stack: Any, climber: SignedIn) -> None:
    created = _create(stack.api_url, climber)
    climb = created.json()
    assert created.headers["ETag"] == '"1"' and climb["revision"] == 1
    url = f"{stack.api_url}/climbs/{climb['climb_id']}"
    got = requests.get(url, headers=_headers(climber), timeout=30)
    assert got.headers["ETag"] == '"1"'
    patched = requests.patch(
        url, json={"title": "Roof"}, headers=_headers(climber, **{"If-Match": '"1"'}), timeout=30
    )
    assert patched.status_code == 200, patched.text
    assert (patched.headers["ETag"], patched.json()["revision"]) == ('"2"', 2)


def test_a_stale_if_match_is_412_with_the_error_shape_and_changes_nothing(
    stack: Any, climber: SignedIn
) -> None:
    climb = _create(stack.api_url, climber).json()
    url = f"{stack.api_url}/climbs/{climb['climb_id']}"
    requests.patch(url, json={"title": "first"}, headers=_headers(climber), timeout=30)
    for method, body in (("PATCH", {"title": "stale"}), ("DELETE", None)):
        stale = requests.request(
            method, url, json=body, headers=_headers(climber, **{"If-Match": '"1"'}), timeout=30
        )
        assert stale.status_code == 412, stale.text
        error = stale.json()
        assert error["error"] == "precondition_failed"
        assert "revision 2" in error["message"]
    current = requests.get(url, headers=_headers(climber), timeout=30)
    assert (current.json()["title"], current.headers["ETag"]) == ("first", '"2"')
    gone = requests.delete(url, headers=_headers(climber, **{"If-Match": '"2"'}), timeout=30)
    assert gone.status_code == 204


def test_concurrent_patches_with_if_match_one_wins_the_rest_get_412(
    stack: Any, climber: SignedIn
) -> None:
    created = _create(stack.api_url, climber)
    climb_id, seen = created.json()["climb_id"], created.headers["ETag"]
    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = list(
            pool.map(
                lambda i: _patch(stack.api_url, climber, climb_id, i, **{"If-Match": seen}),
                range(CLIENTS),
            )
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: CLIENTS - 1}, [r.text for r in responses]
    (winner,) = [r for r in responses if r.status_code == 200]
    final = requests.get(
        f"{stack.api_url}/climbs/{climb_id}", headers=_headers(climber), timeout=30
    )
    assert final.json() == winner.json()  # the one that won is exactly what is stored
    assert final.headers["ETag"] == '"2"'


def test_concurrent_patches_without_if_match_all_apply_and_none_gets_409(
    stack: Any, climber: SignedIn
) -> None:
    climb_id = _create(stack.api_url, climber).json()["climb_id"]
    subscriber = stack.subscriber(detail={"climb_id": [climb_id]})
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            responses = list(
                pool.map(lambda i: _patch(stack.api_url, climber, climb_id, i), range(CLIENTS))
            )
        last = subscriber.wait_for(lambda e: e["detail"]["revision"] == CLIENTS + 1)
        subscriber.poll()
    finally:
        subscriber.close()
    # One event per revision, each with its own key (duplicates would share one): a consumer
    # ordering by revision ends on exactly what the API stored.
    updates = {
        e["detail"]["idempotency_key"]: e["detail"]
        for e in subscriber.received
        if e["detail-type"] == "Climb Updated"
    }
    assert sorted(d["revision"] for d in updates.values()) == list(range(2, CLIENTS + 2))
    assert last["detail"]["changed_fields"]
    assert Counter(r.status_code for r in responses) == {200: CLIENTS}, [r.text for r in responses]
    # Each one was applied on top of the others (one revision each): last writer wins, visibly.
    assert sorted(r.json()["revision"] for r in responses) == list(range(2, CLIENTS + 2))
    final = requests.get(
        f"{stack.api_url}/climbs/{climb_id}", headers=_headers(climber), timeout=30
    )
    assert final.headers["ETag"] == f'"{CLIENTS + 1}"'


def test_every_409_and_412_is_documented_with_the_error_shape() -> None:
    paths = json.loads(OPENAPI.read_text())["paths"]
    documented = {
        ("patch", "/climbs/{climbId}"): {"409", "412"},
        ("delete", "/climbs/{climbId}"): {"409", "412"},
        ("delete", "/media/{mediaId}"): {"412"},
    }
    for (method, path), statuses in documented.items():
        operation = paths[path][method]
        assert "if-match" in [p["name"] for p in operation["parameters"]]
        for status in statuses:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ApiError"}
    for path, method in (("/climbs/{climbId}", "get"), ("/climbs", "post")):
        success = next(c for c in operation_codes(paths[path][method]) if c.startswith("2"))
        assert "ETag" in paths[path][method]["responses"][success]["headers"]


def operation_codes(operation: dict[str, Any]) -> list[str]:
    return sorted(operation["responses"])
