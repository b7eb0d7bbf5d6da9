"""Boulder grades: every grade is stored as one sortable V-number, whatever scale was logged.

The V-number is the V-scale's own number, with VB (easier than V0) as -1, so `$gte`/`$sort`
work on it directly: VB=-1, V0=0, ... V17=17.

What a climber may send (`parse_grade`):
- a JSON integer -1..17: the V-number itself;
- "V5", "v5", " V5 ", "VB": the V-scale label (case-insensitive);
- a bare integer string "-1".."17": the V-number, as in query strings (`?min_grade=5` is V5,
  the same number the API returns as `grade`);
- a Fontainebleau grade "6C+", "7a", "8A", "4+", optionally prefixed "f"/"font" ("f6C+",
  "Font 7A"). Font 3, 4 and 5 have no letter and would read as V-numbers, so they need the
  prefix: "f4" is Font 4 (V0), "4" is V4.

Font -> V uses the common consensus chart (as on Wikipedia's "Grade (bouldering)" table).
Ranges such as 6A/6A+ -> V3 collapse several Font grades onto one V-number, so a Font grade is
not recoverable from the stored number; the label we return is always the V label.

    Font   3   4-  4   4+  5   5+  6A  6A+ 6B  6B+ 6C  6C+ 7A  7A+ 7B  7B+ 7C  7C+
    V      VB  V0  V0  V0  V1  V2  V3  V3  V4  V4  V5  V5  V6  V7  V8  V8  V9  V10
    Font   8A  8A+ 8B  8B+ 8C  8C+ 9A
    V      V11 V12 V13 V14 V15 V16 V17
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

VB = -1
MIN_GRADE = VB
MAX_GRADE = 17

FONT_TO_V: dict[str, int] = {
    "3": -1,
    "4-": 0,
    "4": 0,
    "4+": 0,
    "5": 1,
    "5+": 2,
    "6A": 3,
    "6A+": 3,
    "6B": 4,
    "6B+": 4,
    "6C": 5,
    "6C+": 5,
    "7A": 6,
    "7A+": 7,
    "7B": 8,
    "7B+": 8,
    "7C": 9,
    "7C+": 10,
    "8A": 11,
    "8A+": 12,
    "8B": 13,
    "8B+": 14,
    "8C": 15,
    "8C+": 16,
    "9A": 17,
}

_V_LABEL = re.compile(r"V(B|-?\d{1,2})")
_NUMBER = re.compile(r"-?\d{1,2}")
_FONT = re.compile(r"(?:FONT ?|F)?(\d[ABC]?[+-]?)")
_MAX_INPUT_CHARS = 16
# The labels above as one pattern, published in the OpenAPI document so a client (or a tool
# generating requests from it) knows exactly which strings are grades. Case-insensitive.
GRADE_PATTERN = (
    r"^(?:[vV](?:[bB]|-1|1[0-7]|[0-9])|-1|1[0-7]|[0-9]"
    r"|(?:[fF](?:[oO][nN][tT] ?)?)?(?:3|4[+-]?|5\+?|[678][aAbBcC]\+?|9[aA]))$"
)

_HELP = (
    "use a V-grade (VB, V0..V17), its number (-1..17) or a Fontainebleau grade "
    "(f3..f5+, 6A..9A, e.g. 6C+)"
)


class GradeError(ValueError):
    """A grade we cannot place on the scale; the message says what to send instead."""


def grade_label(grade: int) -> str:
    return "VB" if grade == VB else f"V{grade}"


def _in_range(grade: int, shown: str) -> int:
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise GradeError(f"grade {shown} is outside VB..V17")
    return grade


def parse_grade(value: Any) -> int:
    """The V-number for a grade in any accepted form (see the module docstring)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON: 5.0 is the number 5
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise GradeError(f"grade must be a number or a label: {_HELP}")
    if isinstance(value, int):
        return _in_range(value, str(value))
    text = value.strip().upper()
    if not text or len(text) > _MAX_INPUT_CHARS:
        raise GradeError(f"grade {value[:_MAX_INPUT_CHARS]!r} is not a grade: {_HELP}")
    if match := _V_LABEL.fullmatch(text):
        number = match.group(1)
        return VB if number == "B" else _in_range(int(number), text)
    if _NUMBER.fullmatch(text):
        return _in_range(int(text), text)
    if (match := _FONT.fullmatch(text)) and match.group(1) in FONT_TO_V:
        return FONT_TO_V[match.group(1)]
    raise GradeError(f"grade {value!r} is not a grade: {_HELP}")


def _validate_grade(value: Any) -> int:
    try:
        return parse_grade(value)
    except GradeError as error:
        raise PydanticCustomError("grade", str(error)) from None


Grade = Annotated[
    int,
    BeforeValidator(_validate_grade),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": MIN_GRADE, "maximum": MAX_GRADE},
                {"type": "string", "pattern": GRADE_PATTERN},
            ],
            "description": "V-number (-1 = VB .. 17), V label ('V5', 'VB') or Font grade "
            "('6C+', 'f4'); stored and returned as the V-number.",
            "examples": ["V5", 5, "6C+"],
        },
        mode="validation",
    ),
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": MIN_GRADE,
            "maximum": MAX_GRADE,
            "description": "V-number: -1 = VB, 0 = V0 ... 17 = V17.",
        },
        mode="serialization",
    ),
]
"""A grade field: accepts every form `parse_grade` does, holds the V-number."""
