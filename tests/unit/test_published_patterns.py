"""The patterns docs/openapi.json publishes are promises: every string they match is accepted
(a client, or schemathesis, generating from them must never be refused)."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from boulderstat.climbs.grades import GRADE_PATTERN, parse_grade
from boulderstat.climbs.models import NewClimb
from boulderstat.json_values import LINE_PATTERN, TEXT_PATTERN

CLIMB = {"grade": 3, "outcome": "send", "climb_date": date(2026, 1, 2).isoformat()}


@settings(max_examples=300, deadline=None)
@given(st.from_regex(GRADE_PATTERN, fullmatch=True))
def test_every_string_the_grade_pattern_matches_is_a_grade(text: str) -> None:
    assert -1 <= parse_grade(text) <= 17


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(LINE_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 120),
    st.from_regex(TEXT_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 2000),
)
def test_every_title_and_description_the_patterns_match_is_accepted(
    title: str, description: str
) -> None:
    NewClimb.model_validate(CLIMB | {"title": title, "description": description})


def test_the_patterns_refuse_what_the_models_refuse() -> None:
    for text in ("", "   ", "a\x00b", "tab\there", "\n"):
        assert not re.fullmatch(LINE_PATTERN, text), repr(text)
    assert not re.fullmatch(TEXT_PATTERN, "bell\x07")
    assert re.fullmatch(TEXT_PATTERN, "two\nlines\tand a tab")
    for grade in ("V18", "5.12a", "6D", "9A+", "f6", ""):
        assert not re.fullmatch(GRADE_PATTERN, grade), grade
