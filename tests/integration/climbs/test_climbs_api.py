"""The climbs API over real HTTP through the local gateway, with real Cognito tokens, real
MongoDB-protocol storage and real EventBridge delivery to a downstream subscriber."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pymongo.database import Database

from boulderstat.local.stack import LocalStack

TODAY = datetime.now(UTC).date()
GRADES = ["V0", "6A", "v4", "VB", "6C+", 7, "7A+", "V2", "f5+", "V9", "8A", "3"]
ANGLES = ["slab", "vertical", "overhang", "roof"]
HOLDS = ["crimp", "sloper", "jug", "pinch", "pocket"]
STYLES = ["dyno", "technical", "compression"]
LOCATIONS = [
    {"kind": "gym", "name": "The Arch"},
    {"kind": "gym", "name": "Castle"},
    {"kind": "crag", "name": "Fontainebleau", "area": "Bas Cuvier"},
]


def _entry(i: int) -> dict[str, Any]:
    outcome = ["send", "flash", "project"][i % 3]
    return {
        "title": f"Problem {i:02d}",
        "grade": GRADES[i % len(GRADES)],
        "outcome": outcome,
        "attempts": 1 if outcome == "flash" else 2 + i % 4,
        "climb_date": (TODAY - timedelta(days=(i * 5) % 13)).isoformat(),
        "angle": ANGLES[i % len(ANGLES)],
        "holds": [HOLDS[i % len(HOLDS)]] + (["crimp"] if i % 2 else []),
        "styles": [STYLES[i % len(STYLES)]],
        "location": LOCATIONS[i % len(LOCATIONS)],
        "tags": [f"set-{i % 2}"],
    }


@pytest.fixture(scope="module")
def logbook(climber: Any) -> list[dict[str, Any]]:
    """25 climbs over the last 13 days, several per day, as the API returned them."""
    return [climber.api.post("/climbs", _entry(i)) for i in range(25)]


def _newest_first(climbs: list[dict[str, Any]]) -> list[str]:
    # climb_ids are time-ordered, so this is also "latest created first" within a day.
    ordered = sorted(climbs, key=lambda c: (c["climb_date"], c["climb_id"]), reverse=True)
    return [c["climb_id"] for c in ordered]


def _all(api: Any, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(20):
        page = api.get("/climbs", params={**params, "limit": 100, "cursor": cursor})
        ids += [c["climb_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("too many pages")


def test_grades_are_stored_as_numbers_with_labels(logbook: list[dict[str, Any]]) -> None:
    by_title = {c["title"]: c for c in logbook}
    expected = {  # from the documented Font table
        "Problem 00": (0, "V0"),
        "Problem 01": (3, "V3"),  # 6A
        "Problem 03": (-1, "VB"),
        "Problem 04": (5, "V5"),  # 6C+
        "Problem 06": (7, "V7"),  # 7A+
        "Problem 08": (2, "V2"),  # f5+
        "Problem 10": (11, "V11"),  # 8A
        "Problem 11": (3, "V3"),  # "3" is V3, not Font 3
    }
    for title, (grade, label) in expected.items():
        assert (by_title[title]["grade"], by_title[title]["grade_label"]) == (grade, label)


def test_walking_the_cursor_returns_every_climb_once_newest_first(
    climber: Any, logbook: list[dict[str, Any]]
) -> None:
    pages = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = climber.api.get("/climbs", params=params)
        pages.append([c["climb_id"] for c in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    walked = [climb_id for page in pages for climb_id in page]
    assert walked == _newest_first(logbook)
    # Same-day climbs: the one logged later comes first.
    today_ids = [c["climb_id"] for c in logbook if c["climb_date"] == TODAY.isoformat()]
    assert [i for i in walked if i in today_ids] == today_ids[::-1]


def test_default_page_size_is_the_documented_one(
    climber: Any, logbook: list[dict[str, Any]], stack: LocalStack
) -> None:
    page = climber.api.get("/climbs")
    assert stack.settings is not None
    assert len(page["items"]) == 20  # docs/openapi.json: limit default 20
    assert page["next_cursor"]
    assert page["items"][0] == next(
        c for c in logbook if c["climb_id"] == page["items"][0]["climb_id"]
    )


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        (
            {
                "from": (TODAY - timedelta(days=6)).isoformat(),
                "to": (TODAY - timedelta(days=2)).isoformat(),
            },
            lambda c: (
                TODAY - timedelta(days=6)
                <= date.fromisoformat(c["climb_date"])
                <= TODAY - timedelta(days=2)
            ),
        ),
        ({"min_grade": "V3", "max_grade": "6C+"}, lambda c: 3 <= c["grade"] <= 5),
        ({"min_grade": "7"}, lambda c: c["grade"] >= 7),
        ({"max_grade": "VB"}, lambda c: c["grade"] == -1),
        ({"outcome": "flash"}, lambda c: c["outcome"] == "flash"),
        ({"angle": "roof"}, lambda c: c["angle"] == "roof"),
        ({"hold": "crimp"}, lambda c: "crimp" in c["holds"]),
        ({"style": "dyno"}, lambda c: "dyno" in c["styles"]),
        ({"location_name": "The Arch"}, lambda c: c["location"]["name"] == "The Arch"),
        ({"location_kind": "crag"}, lambda c: c["location"]["kind"] == "crag"),
        (
            {"location_kind": "gym", "outcome": "send", "min_grade": "V2"},
            lambda c: c["location"]["kind"] == "gym" and c["outcome"] == "send" and c["grade"] >= 2,
        ),
    ],
)
def test_filters(
    climber: Any, logbook: list[dict[str, Any]], params: dict[str, Any], keep: Any
) -> None:
    expected = _newest_first([c for c in logbook if keep(c)])
    assert expected, "the logbook should exercise this filter"
    assert _all(climber.api, **params) == expected


def _expected_stats(climbs: list[dict[str, Any]]) -> dict[str, Any]:
    sends = [c for c in climbs if c["outcome"] in ("send", "flash")]
    best = (
        min(sends, key=lambda c: (-c["grade"], c["climb_date"], c["climb_id"])) if sends else None
    )
    pyramid: dict[int, int] = {}
    for c in sends:
        pyramid[c["grade"]] = pyramid.get(c["grade"], 0) + 1
    return {
        "climbs": len(climbs),
        "hiscore": best and best["climb_id"],
        "pyramid": sorted(pyramid.items()),
        "outcomes": {
            o: sum(c["outcome"] == o for c in climbs) for o in ("flash", "send", "project")
        },
        "sessions": len({c["climb_date"] for c in climbs}),
    }


def _actual_stats(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "climbs": stats["climbs"],
        "hiscore": stats["hiscore"] and stats["hiscore"]["climb_id"],
        "pyramid": [(p["grade"], p["sends"]) for p in stats["pyramid"]],
        "outcomes": stats["outcomes"],
        "sessions": stats["sessions"],
    }


def test_stats_match_the_climbs_logged(climber: Any, logbook: list[dict[str, Any]]) -> None:
    stats = climber.api.get("/climbs/stats")
    assert _actual_stats(stats) == _expected_stats(logbook)
    assert stats["period"] == {"from": None, "to": None}
    assert all(
        p["grade_label"] == ("VB" if p["grade"] < 0 else f"V{p['grade']}") for p in stats["pyramid"]
    )
    assert stats["hiscore"]["grade_label"] and stats["hiscore"]["title"]

    monday = TODAY - timedelta(days=TODAY.weekday())
    this_week = [c for c in logbook if monday <= date.fromisoformat(c["climb_date"]) <= TODAY]
    week = stats["this_week"]
    assert (week["start"], week["end"]) == (
        monday.isoformat(),
        (monday + timedelta(days=6)).isoformat(),
    )
    assert week["climbs"] == len(this_week)
    assert [c["climb_id"] for c in week["items"]] == _newest_first(this_week)


def test_stats_for_a_period(climber: Any, logbook: list[dict[str, Any]]) -> None:
    start, end = TODAY - timedelta(days=9), TODAY - timedelta(days=3)
    stats = climber.api.get(
        "/climbs/stats", params={"from": start.isoformat(), "to": end.isoformat()}
    )
    in_period = [c for c in logbook if start <= date.fromisoformat(c["climb_date"]) <= end]
    assert _actual_stats(stats) == _expected_stats(in_period)
    assert stats["period"] == {"from": start.isoformat(), "to": end.isoformat()}


def test_create_get_update_delete_publish_events(
    alice: Any, stack: LocalStack, db: Database
) -> None:
    subscriber = stack.subscriber(detail={"user_id": [alice.sub]})
    try:
        response = alice.api.request(
            "POST",
            "/climbs",
            json={
                "title": "$where",
                "grade": "7a",
                "outcome": "send",
                "attempts": 4,
                "climb_date": TODAY.isoformat(),
                "angle": "overhang",
                "holds": ["pinch", "pinch"],
                "styles": ["heel_hook"],
                "description": "Heel hook right,\nthen pinch.",
                "location": {"kind": "crag", "name": "Magic Wood"},
                "tags": ["$gt", "$ne"],
                "media_ids": ["photo1"],
            },
        )
        assert response.status_code == 201, response.text
        created = response.json()
        climb_id = created["climb_id"]
        assert (created["grade"], created["grade_label"], created["holds"]) == (6, "V6", ["pinch"])
        assert (created["title"], created["tags"]) == ("$where", ["$gt", "$ne"])
        assert created["created_at"] == created["updated_at"]
        assert alice.api.get(f"/climbs/{climb_id}") == created

        document = db["climbs"].find_one({"_id": climb_id})
        assert document is not None
        assert (document["user_id"], document["title"], document["tags"]) == (
            alice.sub,
            "$where",
            ["$gt", "$ne"],
        )

        updated = alice.api.patch(
            f"/climbs/{climb_id}", {"attempts": 1, "outcome": "flash", "location": None}
        )
        assert (updated["outcome"], updated["attempts"], updated["location"]) == ("flash", 1, None)
        assert (updated["title"], updated["created_at"]) == ("$where", created["created_at"])
        assert updated["updated_at"] > created["updated_at"]
        assert alice.api.get(f"/climbs/{climb_id}") == updated

        deleted = alice.api.request("DELETE", f"/climbs/{climb_id}")
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert alice.api.request("GET", f"/climbs/{climb_id}").status_code == 404
        assert alice.api.request("DELETE", f"/climbs/{climb_id}").status_code == 404
        assert db["climbs"].count_documents({"_id": climb_id}) == 0

        for kind in ("Climb Created", "Climb Updated", "Climb Deleted"):
            subscriber.wait_for(lambda e, kind=kind: e["detail-type"] == kind, timeout=30)
    finally:
        subscriber.close()

    events = {e["detail-type"]: e for e in subscriber.received}
    assert all(e["source"] == "boulderstat.climbs" for e in events.values())
    created_event = events["Climb Created"]["detail"]
    assert (created_event["climb_id"], created_event["user_id"], created_event["grade"]) == (
        climb_id,
        alice.sub,
        6,
    )
    assert (created_event["outcome"], created_event["climb_date"], created_event["media_ids"]) == (
        "send",
        TODAY.isoformat(),
        ["photo1"],
    )
    updated_event = events["Climb Updated"]["detail"]
    assert sorted(updated_event["changed_fields"]) == ["attempts", "location", "outcome"]
    assert updated_event["outcome"] == "flash"
    assert events["Climb Deleted"]["detail"]["media_ids"] == ["photo1"]
    assert [e["detail-type"] for e in subscriber.received].count("Climb Created") == 1
