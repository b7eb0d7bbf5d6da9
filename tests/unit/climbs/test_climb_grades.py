"""Grades: every accepted spelling lands on the documented V-number; everything else says why."""

from __future__ import annotations

import pytest

from boulderstat.climbs.grades import FONT_TO_V, GradeError, grade_label, parse_grade


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (5, 5),
        (0, 0),
        (-1, -1),
        (17, 17),
        ("V5", 5),
        ("v5", 5),
        (" V5 ", 5),
        ("V0", 0),
        ("V17", 17),
        ("VB", -1),
        ("vb", -1),
        ("5", 5),  # bare numbers are V-numbers, as `grade` is in responses and query strings
        ("-1", -1),
        ("6C+", 5),
        ("6c+", 5),
        ("7a", 6),
        ("7A+", 7),
        ("8A", 11),
        ("9A", 17),
        ("6A", 3),
        ("6A+", 3),
        ("4+", 0),
        ("5+", 2),
        ("f4", 0),  # Font 4 needs its prefix: "4" alone is V4
        ("F5", 1),
        ("f3", -1),
        ("font 7A", 6),
        ("Font6C", 5),
        ("f6c+", 5),
    ],
)
def test_accepted_grades(given: object, expected: int) -> None:
    assert parse_grade(given) == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (18, "outside VB..V17"),
        (-2, "outside VB..V17"),
        ("V18", "outside VB..V17"),
        ("V-2", "outside VB..V17"),
        ("99", "outside VB..V17"),
        ("9A+", "not a grade"),
        ("6D", "not a grade"),
        ("f6", "not a grade"),  # Font 6 needs a letter
        ("5.12a", "not a grade"),  # YDS is a rope scale
        ("", "not a grade"),
        ("V" * 40, "not a grade"),
        (True, "must be a number or a label"),
        (5.5, "must be a number or a label"),
        (None, "must be a number or a label"),
        ({"$gt": ""}, "must be a number or a label"),
        (["V5"], "must be a number or a label"),
    ],
)
def test_rejected_grades_say_why(given: object, reason: str) -> None:
    with pytest.raises(GradeError, match=reason):
        parse_grade(given)


def test_font_table_is_monotonic_and_covers_the_v_scale() -> None:
    order = ["3", "4-", "4", "4+", "5", "5+"] + [
        f"{n}{letter}{plus}" for n in (6, 7, 8) for letter in "ABC" for plus in ("", "+")
    ]
    order.append("9A")
    assert set(order) == set(FONT_TO_V)
    numbers = [FONT_TO_V[font] for font in order]
    assert numbers == sorted(numbers)
    assert set(numbers) == set(range(-1, 18))  # every V grade has a Font equivalent


# The published Font <-> V consensus chart (Wikipedia, "Grade (bouldering)", comparison table),
# copied here by hand as literals: the expected values must not come from FONT_TO_V.
PUBLISHED_FONT_TO_V = [
    ("3", "VB"),
    ("4-", "V0"),
    ("4", "V0"),
    ("4+", "V0"),
    ("5", "V1"),
    ("5+", "V2"),
    ("6A", "V3"),
    ("6A+", "V3"),
    ("6B", "V4"),
    ("6B+", "V4"),
    ("6C", "V5"),
    ("6C+", "V5"),
    ("7A", "V6"),
    ("7A+", "V7"),
    ("7B", "V8"),
    ("7B+", "V8"),
    ("7C", "V9"),
    ("7C+", "V10"),
    ("8A", "V11"),
    ("8A+", "V12"),
    ("8B", "V13"),
    ("8B+", "V14"),
    ("8C", "V15"),
    ("8C+", "V16"),
    ("9A", "V17"),
]


def _v_number(label: str) -> int:
    """The V-number of a V label, read off the label itself (VB is -1, one below V0)."""
    return -1 if label == "VB" else int(label.removeprefix("V"))


def test_the_published_chart_has_all_25_font_grades() -> None:
    assert len(PUBLISHED_FONT_TO_V) == 25
    assert {font for font, _ in PUBLISHED_FONT_TO_V} == set(FONT_TO_V)


@pytest.mark.parametrize(("font", "v_label"), PUBLISHED_FONT_TO_V)
def test_every_font_grade_lands_on_the_published_v_grade(font: str, v_label: str) -> None:
    assert parse_grade(f"f{font}") == _v_number(v_label)
    assert parse_grade(f"Font {font.lower()}") == _v_number(v_label)
    assert grade_label(parse_grade(f"f{font}")) == v_label


@pytest.mark.parametrize(("grade", "label"), [(-1, "VB"), (0, "V0"), (5, "V5"), (17, "V17")])
def test_labels_round_trip(grade: int, label: str) -> None:
    assert grade_label(grade) == label
    assert parse_grade(label) == grade


def test_an_integral_json_number_is_that_grade() -> None:
    """JSON has one number type: 5.0 is the number 5 (JSON Schema calls it an integer)."""
    assert parse_grade(5.0) == 5
