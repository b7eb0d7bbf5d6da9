"""Profiles, search, follows, approvals and blocks over HTTP on the local stack."""

from __future__ import annotations

import pytest

from tests.integration.community.conftest import Join


def test_my_profile_is_created_on_first_read_and_patched_field_by_field(join: Join) -> None:
    me = join("patcher")
    profile = me.api.get("/me")
    assert profile["climber_id"] == me.sub and profile["private"] is False
    assert profile["default_visibility"] == "followers"
    bio = "Crimps, mostly.\nSometimes slopers."
    changed = me.api.patch("/me", {"bio": bio, "home_gym": "Arch"})
    assert changed["bio"] == bio and changed["home_gym"] == "Arch"
    assert changed["display_name"] == profile["display_name"]  # untouched
    assert me.api.get("/me") == changed


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({}, "body"),
        ({"display_name": ""}, "body.display_name"),
        ({"display_name": "x" * 51}, "body.display_name"),
        ({"display_name": "a\u0000b"}, "body.display_name"),
        ({"bio": "b" * 301}, "body.bio"),
        ({"default_visibility": "friends"}, "body.default_visibility"),
        ({"private": None}, "body"),
        ({"climber_id": "someone-else"}, "body.climber_id"),
    ],
)
def test_bad_profile_changes_are_refused_with_the_reason(
    join: Join, body: dict[str, object], location: str
) -> None:
    me = join("refused")
    response = me.api.request("PATCH", "/me", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"].startswith(location)


def test_climbs_take_the_default_visibility_unless_given_one(join: Join) -> None:
    me = join("defaults", default_visibility="public")
    assert me.climb()["visibility"] == "public"
    assert me.climb("private")["visibility"] == "private"
    me.api.patch("/me", {"default_visibility": "followers"})
    climb = me.climb()
    assert climb["visibility"] == "followers"
    changed = me.api.patch(f"/climbs/{climb['climb_id']}", {"visibility": "public"})
    assert changed["visibility"] == "public"


def test_search_is_a_case_insensitive_prefix_match(join: Join) -> None:
    token = "Zq" + join("searcher").sub[:6].replace("-", "")
    first = join("s1", display_name=f"{token}rella Boulder")
    second = join("s2", display_name=f"{token.upper()}ORA")
    join("s3", display_name=f"Not {token}")
    found = first.api.get("/climbers", params={"q": token.lower()})["items"]
    assert {c["climber_id"] for c in found} == {first.sub, second.sub}
    assert first.status("GET", "/climbers") == 422  # q is required


def test_follow_lifecycle_on_a_public_account(join: Join) -> None:
    star, fan = join("star"), join("fan")
    followed = fan.api.put(f"/climbers/{star.sub}/follow")
    assert followed == {"climber_id": star.sub, "status": "active"}
    assert fan.api.put(f"/climbers/{star.sub}/follow")["status"] == "active"  # idempotent
    assert star.api.get(f"/climbers/{star.sub}")["followers"] == 1
    assert [f["climber_id"] for f in fan.api.get("/me/following")] == [star.sub]
    star.api.put(f"/climbers/{fan.sub}/follow")
    assert fan.api.get(f"/climbers/{star.sub}")["relationship"] == {
        "you_follow": "active",
        "follows_you": "active",
        "friends": True,
    }
    assert star.status("DELETE", f"/me/followers/{fan.sub}") == 204  # remove a follower
    assert fan.api.get(f"/climbers/{star.sub}")["relationship"]["you_follow"] == "none"
    assert fan.status("DELETE", f"/climbers/{star.sub}/follow") == 204  # nothing to undo: 204
    assert fan.status("PUT", f"/climbers/{fan.sub}/follow") == 400  # not yourself
    assert fan.status("PUT", f"/climbers/{'f' * 36}/follow") == 404  # nobody


def test_a_private_account_approves_or_refuses_requests(join: Join) -> None:
    private, asker, refused = join("private", private=True), join("asker"), join("refused")
    assert asker.api.put(f"/climbers/{private.sub}/follow")["status"] == "pending"
    assert refused.api.put(f"/climbers/{private.sub}/follow")["status"] == "pending"
    requests = private.api.get("/me/followers", params={"pending": "true"})
    assert {f["climber_id"] for f in requests} == {asker.sub, refused.sub}
    assert private.api.get("/me/followers") == []
    # Only the followee approves: the asker cannot approve themself.
    assert asker.status("PUT", f"/me/followers/{private.sub}") == 404
    assert private.api.put(f"/me/followers/{asker.sub}")["status"] == "active"
    assert private.status("DELETE", f"/me/followers/{refused.sub}") == 204
    assert refused.api.get(f"/climbers/{private.sub}")["relationship"]["you_follow"] == "none"
    assert private.status("PUT", f"/me/followers/{refused.sub}") == 404  # no request left


def test_going_public_turns_requests_into_follows(join: Join) -> None:
    private, asker = join("shy", private=True), join("asker")
    asker.api.put(f"/climbers/{private.sub}/follow")
    private.api.patch("/me", {"private": False})
    assert [f["climber_id"] for f in private.api.get("/me/followers")] == [asker.sub]


def test_blocking_ends_follows_both_ways_and_unblocking_restores_nothing(join: Join) -> None:
    me, pest = join("me"), join("pest")
    me.api.put(f"/climbers/{pest.sub}/follow")
    pest.api.put(f"/climbers/{me.sub}/follow")
    assert me.status("PUT", f"/climbers/{pest.sub}/block") == 204
    assert me.status("PUT", f"/climbers/{pest.sub}/block") == 204  # idempotent
    assert me.api.get("/me/followers") == [] and me.api.get("/me/following") == []
    assert [c["climber_id"] for c in me.api.get("/me/blocked")["items"]] == [pest.sub]
    assert pest.status("GET", f"/climbers/{me.sub}") == 404
    assert me.status("DELETE", f"/climbers/{pest.sub}/block") == 204
    assert pest.status("GET", f"/climbers/{me.sub}") == 200
    assert me.api.get("/me/followers") == []  # follows do not come back


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/me"),
        ("PATCH", "/me"),
        ("GET", "/climbers?q=a"),
        ("GET", "/feed"),
        ("GET", "/feed/discover"),
        ("PUT", "/climbers/abc/follow"),
        ("GET", f"/climbs/{'a' * 32}/card"),
    ],
)
def test_every_community_route_needs_a_token(stack: object, method: str, path: str) -> None:
    import requests

    response = requests.request(method, f"{stack.api_url}{path}", timeout=10)  # type: ignore[attr-defined]
    assert response.status_code == 401
