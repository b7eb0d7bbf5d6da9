"""Many climbers at once on every HTTP route: each response and each stored document is the
caller's own, with the status that route answers (the local API runs one request per execution
environment, as Lambda does, so no request can see another's state)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import requests
from pymongo.database import Database

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME
from boulderstat.client import LOCAL_WEB_ORIGIN, BoulderStatClient
from boulderstat.local.stack import LocalStack

CLIENTS = 20


def _climb(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "grade": "V4",
        "outcome": "send",
        "attempts": 2,
        "climb_date": "2026-11-20",
        "angle": "overhang",
        "location": {"kind": "gym", "name": "Boulderwelt"},
    }


def _sub(id_token: str) -> str:
    return str(jwt.decode(id_token, options={"verify_signature": False})["sub"])


def _one_climber(stack: LocalStack, db: Database, start: threading.Barrier) -> list[str]:
    """Every route once, as one climber; returns what was wrong (nothing, when all is well)."""
    username = f"crowd-{uuid.uuid4().hex[:10]}"
    wrong: list[str] = []

    def expect(response: requests.Response, status: int, what: str) -> requests.Response:
        if response.status_code != status:
            wrong.append(f"{username} {what}: {response.status_code} {response.text[:120]}")
        return response

    start.wait()
    # POST /auth/token (through the hosted-UI stand-in), then the API as that climber.
    client = BoulderStatClient.sign_in_local(stack.api_url, username)
    assert client.id_token is not None
    sub = _sub(client.id_token)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {client.id_token}"
    url = stack.api_url

    created = expect(api.post(f"{url}/climbs", json=_climb(username)), 201, "POST /climbs")
    climb_id = created.json().get("climb_id")
    if created.json().get("title") != username:
        wrong.append(f"{username} POST /climbs answered {created.json().get('title')}")
    stored = db["climbs"].find_one({"_id": climb_id})
    if stored is None or stored["user_id"] != sub:
        wrong.append(f"{username} climb stored for {stored and stored['user_id']}")
    got = expect(api.get(f"{url}/climbs/{climb_id}"), 200, "GET /climbs/{id}").json()
    if got.get("title") != username:
        wrong.append(f"{username} GET /climbs/{{id}} answered {got.get('title')}")
    changed = expect(
        api.patch(f"{url}/climbs/{climb_id}", json={"attempts": 5}), 200, "PATCH /climbs/{id}"
    ).json()
    if (changed.get("title"), changed.get("attempts")) != (username, 5):
        wrong.append(f"{username} PATCH answered {changed}")
    listed = expect(api.get(f"{url}/climbs"), 200, "GET /climbs").json()
    if [c["title"] for c in listed.get("items", [])] != [username]:
        wrong.append(f"{username} GET /climbs listed {[c['title'] for c in listed['items']]}")
    stats = expect(api.get(f"{url}/climbs/stats"), 200, "GET /climbs/stats").json()
    if stats.get("climbs") != 1 or (stats.get("hiscore") or {}).get("title") != username:
        wrong.append(f"{username} stats of someone else: {stats}")

    grant = expect(
        api.post(f"{url}/media/uploads", json={"content_type": "image/jpeg", "size": 100}),
        201,
        "POST /media/uploads",
    ).json()
    media_id = grant.get("media_id")
    if f"uploads/{sub}/" not in grant.get("upload", {}).get("fields", {}).get("key", ""):
        wrong.append(f"{username} upload grant for someone else: {grant.get('upload')}")
    stored_media = db["media"].find_one({"_id": media_id})
    if stored_media is None or stored_media["user_id"] != sub:
        wrong.append(f"{username} media stored for {stored_media and stored_media['user_id']}")
    media = expect(api.get(f"{url}/media/{media_id}"), 200, "GET /media/{id}").json()
    if media.get("media_id") != media_id:
        wrong.append(f"{username} GET /media/{{id}} answered {media.get('media_id')}")
    own = expect(api.get(f"{url}/media"), 200, "GET /media").json()
    if [m["media_id"] for m in own.get("items", [])] != [media_id]:
        wrong.append(f"{username} GET /media listed {[m['media_id'] for m in own['items']]}")
    deleted = expect(api.delete(f"{url}/media/{media_id}"), 204, "DELETE /media/{id}")
    if deleted.content:
        wrong.append(f"{username} 204 with a body: {deleted.content[:80]!r}")
    expect(api.delete(f"{url}/climbs/{climb_id}"), 204, "DELETE /climbs/{id}")
    expect(api.get(f"{url}/climbs/{climb_id}"), 404, "GET /climbs/{id} after delete")

    # POST /auth/refresh and /auth/logout with this climber's own refresh cookie.
    before = client.id_token
    client.refresh()
    if client.id_token == before or _sub(client.id_token) != sub:
        wrong.append(f"{username} refresh gave tokens of {_sub(client.id_token)}")
    client.sign_out()
    if client.has_session:
        wrong.append(f"{username} still has a session after logout")
    return wrong


def test_concurrent_climbers_on_every_route_each_get_their_own(
    stack: LocalStack, db: Database
) -> None:
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_one_climber, stack, db, start) for _ in range(CLIENTS)]
        wrong = [line for future in futures for line in future.result(timeout=120)]
    assert wrong == []


def test_a_204_never_carries_a_body_so_keep_alive_holds(stack: LocalStack) -> None:
    """A body after a 204 would be read as the start of the next response on the connection."""
    client = BoulderStatClient.sign_in_local(stack.api_url, f"keepalive-{uuid.uuid4().hex[:8]}")
    session = requests.Session()  # one keep-alive connection for all requests below
    headers = {"Origin": LOCAL_WEB_ORIGIN}
    for _ in range(3):
        response = session.options(f"{stack.api_url}/climbs", headers=headers)
        assert (response.status_code, response.content) == (204, b"")
    cookie = client._refresh_token  # the client keeps it itself (see BoulderStatClient)
    assert cookie is not None
    logout = session.post(
        f"{stack.api_url}/auth/logout",
        headers={**headers, "Cookie": f"{REFRESH_COOKIE_NAME}={cookie}"},
    )
    assert (logout.status_code, logout.content) == (204, b"")
    assert session.get(f"{stack.api_url}/climbs").status_code == 401  # same connection, intact
