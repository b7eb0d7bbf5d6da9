"""Likes and comments over HTTP: idempotence, limits, order, pages, who may delete."""

from __future__ import annotations

import pytest

from tests.integration.community.conftest import Join


def test_like_and_unlike_are_idempotent_and_show_on_the_card(join: Join) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    assert fan.api.put(f"/climbs/{climb_id}/like") == {"liked": True, "like_count": 1}
    assert fan.api.put(f"/climbs/{climb_id}/like") == {"liked": True, "like_count": 1}
    assert owner.api.put(f"/climbs/{climb_id}/like") == {"liked": True, "like_count": 2}
    card = fan.api.get(f"/climbs/{climb_id}/card")
    assert (card["like_count"], card["liked"]) == (2, True)
    assert fan.api.delete(f"/climbs/{climb_id}/like") == {"liked": False, "like_count": 1}
    assert fan.api.delete(f"/climbs/{climb_id}/like") == {"liked": False, "like_count": 1}
    card = fan.api.get(f"/climbs/{climb_id}/card")
    assert (card["like_count"], card["liked"]) == (1, False)


@pytest.mark.parametrize("text", ["", "   ", "x" * 1001, "bell\u0007", None, 42])
def test_comments_have_length_limits(join: Join, text: object) -> None:
    owner = join("owner", default_visibility="public")
    climb_id = owner.climb()["climb_id"]
    response = owner.api.request("POST", f"/climbs/{climb_id}/comments", json={"text": text})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == "body.text"
    assert owner.api.get(f"/climbs/{climb_id}/comments")["items"] == []


def test_comments_list_oldest_first_in_cursor_pages(join: Join) -> None:
    owner, fan = join("owner", default_visibility="public"), join("fan")
    climb_id = owner.climb()["climb_id"]
    longest = "y" * 1000
    posted = [
        (fan if i % 2 else owner).api.post(f"/climbs/{climb_id}/comments", {"text": f"c{i}"})
        for i in range(7)
    ]
    posted.append(owner.api.post(f"/climbs/{climb_id}/comments", {"text": f"  {longest}\n "}))
    assert posted[-1]["text"] == longest  # trimmed, kept whole at the limit
    seen, cursor = [], ""
    for _ in range(10):
        page = fan.api.get(f"/climbs/{climb_id}/comments", params={"limit": 3, "cursor": cursor})
        assert len(page["items"]) <= 3
        seen += [c["comment_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["comment_id"] for c in posted]
    assert fan.api.get(f"/climbs/{climb_id}/card")["comment_count"] == 8
    assert fan.status("GET", f"/climbs/{climb_id}/comments", params={"cursor": "nope"}) == 400


def test_comments_are_deleted_by_their_author_or_the_climbs_owner_only(join: Join) -> None:
    owner, author, other = (
        join("owner", default_visibility="public"),
        join("author"),
        join("other"),
    )
    climb_id = owner.climb()["climb_id"]

    def post() -> str:
        return str(author.api.post(f"/climbs/{climb_id}/comments", {"text": "hi"})["comment_id"])

    first, second = post(), post()
    assert other.status("DELETE", f"/climbs/{climb_id}/comments/{first}") == 404
    assert author.status("DELETE", f"/climbs/{climb_id}/comments/{first}") == 204
    assert owner.status("DELETE", f"/climbs/{climb_id}/comments/{second}") == 204
    assert author.status("DELETE", f"/climbs/{climb_id}/comments/{second}") == 404
    assert owner.api.get(f"/climbs/{climb_id}/comments")["items"] == []


def test_comments_can_be_liked_and_blocks_hide_comments(join: Join) -> None:
    owner, fan, troll = (
        join("owner", default_visibility="public"),
        join("fan"),
        join("troll"),
    )
    climb_id = owner.climb()["climb_id"]
    comment = fan.api.post(f"/climbs/{climb_id}/comments", {"text": "send!"})
    path = f"/climbs/{climb_id}/comments/{comment['comment_id']}/like"
    assert owner.api.put(path) == {"liked": True, "like_count": 1}
    assert troll.api.put(path) == {"liked": True, "like_count": 2}
    assert troll.api.delete(path) == {"liked": False, "like_count": 1}
    items = owner.api.get(f"/climbs/{climb_id}/comments")["items"]
    assert [(c["like_count"], c["liked"]) for c in items] == [(1, True)]
    assert owner.status("PUT", f"/climbs/{climb_id}/comments/{'0' * 32}/like") == 404
    troll.api.post(f"/climbs/{climb_id}/comments", {"text": "meh"})
    fan.api.put(f"/climbers/{troll.sub}/block")
    texts = [c["text"] for c in fan.api.get(f"/climbs/{climb_id}/comments")["items"]]
    assert texts == ["send!"]  # the troll's comment is gone for the fan, not for others
    assert len(owner.api.get(f"/climbs/{climb_id}/comments")["items"]) == 2
    # The deleted comment's likes go with it.
    owner.api.delete(f"/climbs/{climb_id}/comments/{comment['comment_id']}")
    assert owner.status("PUT", path) == 404
