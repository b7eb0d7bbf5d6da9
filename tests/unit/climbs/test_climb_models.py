"""The request models: what a climber may send, and the precise reason for everything else."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from boulderstat.climbs.models import ClimbChanges, ClimbQuery, Hold, NewClimb, Outcome, StatsQuery

VALID: dict[str, Any] = {
    "title": "Crimp ladder",
    "grade": "V4",
    "outcome": "send",
    "attempts": 3,
    "climb_date": "2026-05-01",
    "angle": "overhang",
    "holds": ["crimp", "sidepull"],
    "styles": ["technical"],
    "description": "Left hand crimp,\nthen the sidepull.",
    "location": {"kind": "crag", "name": "Fontainebleau", "area": "Bas Cuvier"},
    "tags": ["morning"],
    "media_ids": ["m1"],
}


def _errors(model: type, data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_a_full_climb_is_accepted_and_normalized() -> None:
    climb = NewClimb.model_validate(
        VALID | {"title": "  Crimp ladder ", "holds": ["crimp", "crimp", "jug"]}
    )
    assert climb.title == "Crimp ladder"
    assert climb.grade == 4
    assert climb.climb_date == date(2026, 5, 1)
    assert climb.holds == [Hold.CRIMP, Hold.JUG]  # duplicates carry no meaning


def test_only_the_essentials_are_required() -> None:
    climb = NewClimb.model_validate(
        {"title": "x", "grade": 0, "outcome": "project", "climb_date": "2026-05-01"}
    )
    assert (climb.attempts, climb.holds, climb.location, climb.angle) == (1, [], None, None)


def test_operator_lookalike_strings_are_plain_strings() -> None:
    climb = NewClimb.model_validate(VALID | {"title": "$where", "tags": ["$gt", "$ne"]})
    assert climb.title == "$where"
    assert climb.tags == ["$gt", "$ne"]


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        ({"extra": 1}, "extra", "Extra inputs are not permitted"),
        ({"user_id": "someone-else"}, "user_id", "Extra inputs are not permitted"),
        ({"climb_id": "0" * 32}, "climb_id", "Extra inputs are not permitted"),
        ({"title": {"$gt": ""}}, "title", "valid string"),
        ({"title": ""}, "title", "at least 1 character"),
        ({"title": "   "}, "title", "at least 1 character"),
        ({"title": "x" * 121}, "title", "at most 120 characters"),
        ({"title": "bell\x07"}, "title", "control characters"),
        ({"grade": {"$gt": ""}}, "grade", "number or a label"),
        ({"grade": "V18"}, "grade", "outside VB..V17"),
        ({"grade": "hard"}, "grade", "not a grade"),
        ({"outcome": "onsight"}, "outcome", "'flash', 'send' or 'project'"),
        ({"attempts": 0}, "attempts", "greater than or equal to 1"),
        ({"attempts": 1000}, "attempts", "less than or equal to 999"),
        ({"attempts": "3"}, "attempts", "valid integer"),
        ({"attempts": 2.5}, "attempts", "valid integer"),
        ({"attempts": True}, "attempts", "valid integer"),
        ({"attempts": {"$gt": 0}}, "attempts", "valid integer"),
        ({"climb_date": "01/05/2026"}, "climb_date", "ISO date"),
        ({"climb_date": "2026-02-30"}, "climb_date", "real calendar date"),
        ({"climb_date": 1714521600}, "climb_date", "ISO date"),
        ({"climb_date": "1899-12-31"}, "climb_date", "on or after 1900-01-01"),
        ({"angle": "upside_down"}, "angle", "Input should be"),
        ({"holds": ["crimp", "banana"]}, "holds.1", "Input should be"),
        ({"holds": "crimp"}, "holds", "valid list"),
        ({"styles": ["dyno"] * 40}, "styles", "at most 14 items"),
        ({"description": "x" * 2001}, "description", "at most 2000 characters"),
        ({"description": "nul\x00"}, "description", "control characters"),
        ({"location": {"kind": "home", "name": "x"}}, "location.kind", "'gym' or 'crag'"),
        ({"location": {"kind": "gym"}}, "location.name", "Field required"),
        ({"location": {"kind": "gym", "name": "x", "$where": "1"}}, "location.$where", "Extra"),
        ({"tags": ["t"] * 21}, "tags", "at most 20 items"),
        ({"tags": ["x" * 33]}, "tags.0", "at most 32 characters"),
        ({"tags": [{"$gt": ""}]}, "tags.0", "valid string"),
        ({"media_ids": ["../../etc"]}, "media_ids.0", "match pattern"),
        ({"media_ids": [f"m{i}" for i in range(11)]}, "media_ids", "at most 10 items"),
        ({"outcome": "flash", "attempts": 3}, "", "attempts must be 1 (got 3)"),
    ],
)
def test_new_climb_rejections(change: dict[str, Any], location: str, reason: str) -> None:
    errors = _errors(NewClimb, VALID | change)
    assert any(loc == location and reason in msg for loc, msg in errors), errors


def test_missing_fields_are_named() -> None:
    locations = {loc for loc, _ in _errors(NewClimb, {})}
    assert locations == {"title", "grade", "outcome", "climb_date"}


def test_flash_defaults_to_one_attempt() -> None:
    climb = NewClimb.model_validate(VALID | {"outcome": "flash"} | {"attempts": 1})
    assert climb.outcome == Outcome.FLASH


def test_changes_keep_only_what_was_sent() -> None:
    changes = ClimbChanges.model_validate({"grade": "7a", "angle": None})
    assert changes.as_updates() == {"grade": 6, "angle": None}


@pytest.mark.parametrize(
    ("body", "location", "reason"),
    [
        ({}, "", "at least one field"),
        ({"title": None}, "title", "cannot be null"),
        ({"grade": None}, "grade", "cannot be null"),
        ({"holds": None}, "holds", "cannot be null"),
        ({"climb_id": "0" * 32}, "climb_id", "Extra inputs"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at", "Extra inputs"),
        ({"grade": {"$inc": 1}}, "grade", "number or a label"),
    ],
)
def test_changes_rejections(body: dict[str, Any], location: str, reason: str) -> None:
    errors = _errors(ClimbChanges, body)
    assert any(loc == location and reason in msg for loc, msg in errors), errors


def test_an_empty_cursor_means_the_first_page() -> None:
    assert ClimbQuery.model_validate({"cursor": ""}).cursor is None


def test_query_accepts_labels_and_dates() -> None:
    query = ClimbQuery.model_validate(
        {"from": "2026-01-01", "to": "2026-02-01", "min_grade": "6a", "max_grade": "V8"}
    )
    assert (query.from_, query.min_grade, query.max_grade) == (date(2026, 1, 1), 3, 8)


@pytest.mark.parametrize(
    ("params", "location", "reason"),
    [
        ({"from": "2026-13-01"}, "from", "real calendar date"),
        ({"to": "yesterday"}, "to", "ISO date"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "", "'from' must not be after 'to'"),
        ({"min_grade": "V9", "max_grade": "V3"}, "", "min_grade must not be above max_grade"),
        ({"min_grade": "V99"}, "min_grade", "outside"),
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 101}, "limit", "less than or equal to 100"),
        ({"cursor": "A" * 201}, "cursor", "at most 200 characters"),
        ({"hold": "banana"}, "hold", "Input should be"),
    ],
)
def test_query_rejections(params: dict[str, Any], location: str, reason: str) -> None:
    errors = _errors(ClimbQuery, params)
    assert any(loc == location and reason in msg for loc, msg in errors), errors


def test_stats_query_checks_the_range() -> None:
    errors = _errors(StatsQuery, {"from": "2026-02-01", "to": "2026-01-01"})
    assert errors == [("", "'from' must not be after 'to'")]
