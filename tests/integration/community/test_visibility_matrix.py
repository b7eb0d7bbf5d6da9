"""Who sees which climb, over HTTP on the local stack: viewer kind x climb visibility x
account privacy. The expected table is written out by hand from the rules in the issue (not
derived from the code): owners see everything; approved followers see `followers` and `public`;
anyone else sees `public` climbs of public accounts only; a block (either way) hides everything.
What may not be seen is a 404 on every route, exactly like a climb that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.integration.community.conftest import Join, Member

VISIBILITIES = ("private", "followers", "public")
KINDS = ("owner", "follower", "pending", "stranger", "blocked", "blocker")

# (account, viewer kind) -> the visibilities the viewer may see.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("public", "owner"): {"private", "followers", "public"},
    ("public", "follower"): {"followers", "public"},
    ("public", "stranger"): {"public"},
    ("public", "blocked"): set(),
    ("public", "blocker"): set(),
    ("private", "owner"): {"private", "followers", "public"},
    ("private", "follower"): {"followers", "public"},
    ("private", "pending"): set(),
    ("private", "stranger"): set(),
    ("private", "blocked"): set(),
    ("private", "blocker"): set(),
}
CASES = [(account, kind, visibility) for (account, kind) in EXPECTED for visibility in VISIBILITIES]


@dataclass
class World:
    owner: Member
    viewers: dict[str, Member]
    climbs: dict[str, str]  # visibility -> climb id


def _world(join: Join, *, private: bool) -> World:
    owner = join("owner", private=private)
    climbs = {v: owner.climb(v, title=f"{v} problem")["climb_id"] for v in VISIBILITIES}
    viewers = {"owner": owner}
    for kind in ("follower", "pending", "stranger", "blocked", "blocker"):
        viewers[kind] = join(kind)
    follower = viewers["follower"]
    follow = follower.api.put(f"/climbers/{owner.sub}/follow")
    if private:
        assert follow["status"] == "pending"
        assert owner.api.put(f"/me/followers/{follower.sub}")["status"] == "active"
        assert viewers["pending"].api.put(f"/climbers/{owner.sub}/follow")["status"] == "pending"
    else:
        assert follow["status"] == "active"  # a public account's follows need no approval
        del viewers["pending"]
    # Blocked while following: the block also ends the follow.
    viewers["blocked"].api.put(f"/climbers/{owner.sub}/follow")
    owner.api.put(f"/climbers/{viewers['blocked'].sub}/block")
    viewers["blocker"].api.put(f"/climbers/{owner.sub}/block")
    return World(owner, viewers, climbs)


@pytest.fixture(scope="module")
def worlds(join: Join) -> dict[str, World]:
    return {"public": _world(join, private=False), "private": _world(join, private=True)}


@pytest.mark.parametrize(("account", "kind", "visibility"), CASES)
def test_one_climb_card_is_visible_exactly_per_the_table(
    worlds: dict[str, World], account: str, kind: str, visibility: str
) -> None:
    world = worlds[account]
    viewer = world.viewers[kind]
    climb_id = world.climbs[visibility]
    response = viewer.api.request("GET", f"/climbs/{climb_id}/card")
    if visibility in EXPECTED[(account, kind)]:
        assert response.status_code == 200, response.text
        assert response.json()["climb_id"] == climb_id
        assert response.json()["owner"]["climber_id"] == world.owner.sub
    else:
        assert response.status_code == 404, response.text
        # Indistinguishable from a climb that does not exist.
        missing = viewer.api.request("GET", f"/climbs/{'0' * 32}/card")
        assert response.json()["error"] == missing.json()["error"] == "not_found"


@pytest.mark.parametrize(("account", "kind"), list(EXPECTED))
def test_a_climbers_page_lists_exactly_what_the_viewer_may_see(
    worlds: dict[str, World], account: str, kind: str
) -> None:
    world = worlds[account]
    viewer = world.viewers[kind]
    response = viewer.api.request("GET", f"/climbers/{world.owner.sub}/climbs")
    if kind in ("blocked", "blocker"):
        assert response.status_code == 404
        return
    assert response.status_code == 200, response.text
    seen = {card["climb_id"] for card in response.json()["items"]}
    assert seen == {world.climbs[v] for v in EXPECTED[(account, kind)]}


@pytest.mark.parametrize(("account", "kind"), list(EXPECTED))
def test_the_profile_shows_stats_only_over_visible_climbs(
    worlds: dict[str, World], account: str, kind: str
) -> None:
    world = worlds[account]
    response = world.viewers[kind].api.request("GET", f"/climbers/{world.owner.sub}")
    if kind in ("blocked", "blocker"):
        assert response.status_code == 404
        return
    if kind == "owner":
        assert response.status_code == 200
        return
    profile = response.json()
    visible = EXPECTED[(account, kind)]
    if not visible:
        assert profile["stats"] is None
    else:
        # Each climb is a V4 send logged today: counts come straight from the table.
        assert profile["stats"]["climbs"] == len(visible)
        assert profile["stats"]["sends_this_week"] == len(visible)
        pyramid = [{"grade": 4, "sends": len(visible), "grade_label": "V4"}]
        assert profile["stats"]["pyramid"] == pyramid


@pytest.mark.parametrize(("account", "kind"), list(EXPECTED))
def test_the_home_feed_carries_what_a_follower_may_see_and_nothing_else(
    worlds: dict[str, World], account: str, kind: str
) -> None:
    world = worlds[account]
    viewer = world.viewers[kind]
    page = viewer.api.get("/feed", params={"limit": 100})
    seen = {c["climb_id"] for c in page["items"]} & set(world.climbs.values())
    # Only the owner and approved followers get these climbs in their home feed.
    expected = EXPECTED[(account, kind)] if kind in ("owner", "follower") else set()
    assert seen == {world.climbs[v] for v in expected}


@pytest.mark.parametrize(("account", "kind"), list(EXPECTED))
def test_discover_shows_public_climbs_of_public_accounts_to_others_only(
    worlds: dict[str, World], account: str, kind: str
) -> None:
    world = worlds[account]
    seen: set[str] = set()
    cursor = None
    for _ in range(50):
        page = world.viewers[kind].api.get(
            "/feed/discover", params={"limit": 100, "cursor": cursor or ""}
        )
        seen |= {c["climb_id"] for c in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    visible = account == "public" and kind in ("follower", "stranger")
    assert (world.climbs["public"] in seen) is visible
    assert world.climbs["followers"] not in seen and world.climbs["private"] not in seen


def test_blocked_climbers_cannot_follow_or_find_each_other(worlds: dict[str, World]) -> None:
    world = worlds["public"]
    blocked, blocker = world.viewers["blocked"], world.viewers["blocker"]
    assert blocked.status("PUT", f"/climbers/{world.owner.sub}/follow") == 404
    assert blocker.status("PUT", f"/climbers/{world.owner.sub}/follow") == 404
    assert world.owner.status("PUT", f"/climbers/{blocker.sub}/follow") == 404
    name = world.owner.api.get("/me")["display_name"]
    found = blocked.api.get("/climbers", params={"q": name})["items"]
    assert world.owner.sub not in {c["climber_id"] for c in found}
    # The block ended the follow it interrupted.
    followers = {f["climber_id"] for f in world.owner.api.get("/me/followers")}
    assert blocked.sub not in followers and world.viewers["follower"].sub in followers
