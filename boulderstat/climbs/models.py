"""What a climber logs about a climb, and the shapes the climbs API reads and returns.

These pydantic models are the single source of truth: request bodies, query strings, responses
and (via `repository`) the stored documents all come from them, and docs/openapi.json is
generated from them. Every text and list is bounded, unknown fields are rejected, and values are
typed, so nothing a client sends can reach MongoDB as an operator.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import CLIMB_ID_PATTERN, ClimbCursor
from boulderstat.climbs.grades import Grade, grade_label
from boulderstat.json_values import LINE_PATTERN, TEXT_PATTERN, DocumentedPattern, json_int
from boulderstat.models import Model
from boulderstat.pagination import PageLimit

MAX_ATTEMPTS = 999
MAX_TAGS = 20
MAX_MEDIA = 10
EARLIEST_CLIMB_DATE = date(1900, 1, 1)


class Outcome(StrEnum):
    FLASH = "flash"  # sent on the first attempt
    SEND = "send"
    PROJECT = "project"  # tried, not (yet) sent


SENT = (Outcome.FLASH, Outcome.SEND)


class WallAngle(StrEnum):
    SLAB = "slab"
    VERTICAL = "vertical"
    SLIGHT_OVERHANG = "slight_overhang"
    OVERHANG = "overhang"
    STEEP_OVERHANG = "steep_overhang"
    ROOF = "roof"
    ARETE = "arete"
    DIHEDRAL = "dihedral"


class Hold(StrEnum):
    CRIMP = "crimp"
    EDGE = "edge"
    SLOPER = "sloper"
    JUG = "jug"
    PINCH = "pinch"
    POCKET = "pocket"
    UNDERCLING = "undercling"
    SIDEPULL = "sidepull"
    GASTON = "gaston"
    VOLUME = "volume"
    CRACK = "crack"
    JIB = "jib"
    TUFA = "tufa"


class Style(StrEnum):
    DYNO = "dyno"
    COMPRESSION = "compression"
    TECHNICAL = "technical"
    POWERFUL = "powerful"
    COORDINATION = "coordination"
    MANTLE = "mantle"
    HEEL_HOOK = "heel_hook"
    TOE_HOOK = "toe_hook"
    BALANCE = "balance"
    CAMPUS = "campus"
    DROP_KNEE = "drop_knee"
    ENDURANCE = "endurance"
    HIGHBALL = "highball"
    TOPOUT = "topout"


class LocationKind(StrEnum):
    GYM = "gym"
    CRAG = "crag"


class Visibility(StrEnum):
    """Who may see a climb besides its owner (a private account narrows `public` to followers)."""

    PRIVATE = "private"  # the owner only
    FOLLOWERS = "followers"  # approved followers
    PUBLIC = "public"  # everyone the owner has not blocked


# -- field types --------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _single_line(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_EXCEPT_NEWLINES.search(value):
        raise PydanticCustomError(
            "control_characters", "must not contain control characters other than newlines/tabs"
        )
    return value


def _unique(values: list[Any]) -> list[Any]:
    """Duplicates carry no meaning in a set of holds/styles/tags: keep the first of each."""
    return list(dict.fromkeys(values))


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("iso_date", "must be an ISO date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("iso_date", "is not a real calendar date") from None


def _not_before_records(value: date) -> date:
    if value < EARLIEST_CLIMB_DATE:
        raise PydanticCustomError("date_too_early", "must be on or after 1900-01-01")
    return value


def _line(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
        AfterValidator(_single_line),
        DocumentedPattern(LINE_PATTERN),
    ]


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_not_before_records),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Title = _line(120)
PlaceName = _line(100)
Tag = _line(32)
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_multi_line),
    DocumentedPattern(TEXT_PATTERN),
]
Attempts = json_int(ge=1, le=MAX_ATTEMPTS)
MediaId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ClimbId = Annotated[str, StringConstraints(pattern=CLIMB_ID_PATTERN)]
Holds = Annotated[list[Hold], Field(max_length=len(Hold)), AfterValidator(_unique)]
Styles = Annotated[list[Style], Field(max_length=len(Style)), AfterValidator(_unique)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)]
MediaIds = Annotated[list[MediaId], Field(max_length=MAX_MEDIA), AfterValidator(_unique)]


class Location(Model):
    """Where the climb is: a gym or an outdoor crag, optionally an area/sector within it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=examples(ex.LOCATION))

    kind: LocationKind
    name: PlaceName
    area: PlaceName | None = None


def _flash_is_first_try(outcome: Outcome, attempts: int) -> None:
    if outcome == Outcome.FLASH and attempts != 1:
        raise PydanticCustomError(
            "flash_attempts",
            "a flash is a send on the first attempt: attempts must be 1 (got {attempts}); "
            "log it as a send instead",
            {"attempts": attempts},
        )


# -- request bodies -----------------------------------------------------------------------------
def _new_climb_schema(schema: dict[str, Any]) -> None:
    """The flash rule in JSON Schema too, so clients (and request generators) can see it."""
    schema["examples"] = [ex.NEW_CLIMB]
    schema["if"] = {"properties": {"outcome": {"const": "flash"}}, "required": ["outcome"]}
    schema["then"] = {"properties": {"attempts": {"const": 1}}}


def _changes_schema(schema: dict[str, Any]) -> None:
    """Only angle and location may be null (to clear them); the rest are optional, not null."""
    schema["examples"] = [ex.CLIMB_CHANGES]
    schema["minProperties"] = 1
    for name, field in schema["properties"].items():
        if name not in _NULLABLE and "anyOf" in field:
            options = [o for o in field.pop("anyOf") if o != {"type": "null"}]
            field.update(options[0] if len(options) == 1 else {"anyOf": options})
            field.pop("default", None)


class NewClimb(Model):
    """A climb as the climber logs it (POST /climbs)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_new_climb_schema)

    title: Title
    grade: Grade
    outcome: Outcome
    attempts: Attempts = Field(1, description="Tries it took (>= 1); a flash is exactly 1.")
    climb_date: IsoDate = Field(
        description="Day of the climb (YYYY-MM-DD); at most one day after today in UTC."
    )
    angle: WallAngle | None = None
    holds: Holds = []
    styles: Styles = []
    description: Description = ""
    location: Location | None = None
    tags: Tags = Field(default=[], description="Short labels; stored verbatim, never parsed.")
    media_ids: MediaIds = Field(default=[], description="Ids of media attached to this climb.")
    visibility: Visibility | None = Field(
        default=None, description="Who may see it; default: the climber's default_visibility."
    )

    @model_validator(mode="after")
    def _flash_rule(self) -> Self:
        _flash_is_first_try(self.outcome, self.attempts)
        return self


_NULLABLE = frozenset({"angle", "location"})


class ClimbChanges(Model):
    """A partial update (PATCH): only the fields sent change; `angle`/`location` may be null to
    clear them, every other field must have a value if present."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_changes_schema)

    title: Title | None = None
    grade: Grade | None = None
    outcome: Outcome | None = None
    attempts: Attempts | None = None
    climb_date: IsoDate | None = None
    angle: WallAngle | None = None
    holds: Holds | None = None
    styles: Styles | None = None
    description: Description | None = None
    location: Location | None = None
    tags: Tags | None = None
    media_ids: MediaIds | None = None
    visibility: Visibility | None = None

    @field_validator(
        *(name for name in NewClimb.model_fields if name not in _NULLABLE), mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError(
                "null_not_allowed", "cannot be null; leave the field out to keep its value"
            )
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("empty_patch", "send at least one field to change")
        return self

    def as_updates(self) -> dict[str, Any]:
        """The fields the client sent, as values of `NewClimb` fields."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# -- responses ----------------------------------------------------------------------------------
class WithGradeLabel(Model):
    """Responses show the V label beside every stored grade number (the subclass declares
    `grade` where its fields belong, so field order in responses stays the model's own)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grade_label(self) -> str:
        """The V label of `grade` ("VB", "V0" ... "V17")."""
        return grade_label(self.grade)  # type: ignore[attr-defined]


class Climb(NewClimb, WithGradeLabel):
    """A logged climb as the API returns it."""

    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMB))

    climb_id: ClimbId
    revision: int = Field(
        ge=1,
        description=(
            "1 when logged, +1 per change. The `ETag` header is this number in quotes: send it "
            "back as `If-Match` to change or delete exactly this version (412 if it moved on)."
        ),
    )
    # Climbs logged before visibility existed were the owner's alone: they read as private.
    visibility: Visibility = Visibility.PRIVATE
    created_at: datetime
    updated_at: datetime

    def details(self) -> NewClimb:
        return NewClimb.model_validate(self.model_dump(include=set(NewClimb.model_fields)))


class ClimbPage(Model):
    model_config = ConfigDict(json_schema_extra=examples(ex.CLIMB_PAGE))

    items: list[Climb]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


# -- query strings ------------------------------------------------------------------------------
class DateRange(Model):
    """`from`/`to` as inclusive climb dates; either may be left open."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(ex.DATE_RANGE))

    from_: IsoDate | None = Field(None, alias="from", description="First climb date (inclusive).")
    to: IsoDate | None = Field(None, description="Last climb date (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.from_ and self.to and self.from_ > self.to:
            raise PydanticCustomError("date_range", "'from' must not be after 'to'")
        return self


class ClimbQuery(DateRange):
    """Filters and paging for GET /climbs. Grades accept V labels, V-numbers and Font grades."""

    min_grade: Grade | None = None
    max_grade: Grade | None = None
    outcome: Outcome | None = None
    angle: WallAngle | None = None
    hold: Hold | None = Field(None, description="Climbs using this hold type.")
    style: Style | None = Field(None, description="Climbs with this style.")
    location_name: PlaceName | None = Field(None, description="Exact location name.")
    location_kind: LocationKind | None = None
    limit: PageLimit | None = None
    cursor: ClimbCursor | None = None

    @field_validator("cursor", mode="before")
    @classmethod
    def _empty_cursor_is_the_first_page(cls, value: Any) -> Any:
        # Clients often send `?cursor=${next_cursor ?? ""}`.
        return None if value == "" else value

    @model_validator(mode="after")
    def _grades_ordered(self) -> Self:
        if (
            self.min_grade is not None
            and self.max_grade is not None
            and self.min_grade > self.max_grade
        ):
            raise PydanticCustomError("grade_range", "min_grade must not be above max_grade")
        return self


class StatsQuery(DateRange):
    """The period hiscore, pyramid, outcomes and sessions cover (default: all time)."""
