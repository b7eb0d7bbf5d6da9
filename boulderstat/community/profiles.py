"""Climber profiles (collection `profiles`, `_id` = the Cognito `sub`).

A profile is created the first time its climber opens it (`GET /me`), with a neutral display
name. It holds what others see (name, bio, home gym, picture) and the two privacy settings:
`private` (follows need approval, climbs are for followers only) and `default_visibility` (what a
climb logged without a visibility gets). Search is a prefix match on a case-folded copy of the
display name, served by an index range scan.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pymongo import ASCENDING
from pymongo.database import Database

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.models import Visibility
from boulderstat.clock import Clock, as_utc, utc_now
from boulderstat.ids import USER_ID_PATTERN
from boulderstat.json_values import (
    LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    TEXT_PATTERN,
    DocumentedPattern,
)
from boulderstat.models import Model

COLLECTION = "profiles"
CLIMBER_ID_PATTERN = USER_ID_PATTERN
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SEARCH_LIMIT_MAX = 50
ONE_BATCH = 100_000  # id lists in one reply: round trips must not grow with the list


def _single_line(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL_EXCEPT_NEWLINES.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    AfterValidator(_single_line),
    DocumentedPattern(LINE_PATTERN),
]
Bio = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=300),
    AfterValidator(_multi_line),
    DocumentedPattern(TEXT_PATTERN),
]
GymName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100),
    AfterValidator(_single_line),
    DocumentedPattern(SINGLE_LINE_PATTERN),
]
ClimberId = Annotated[str, StringConstraints(pattern=CLIMBER_ID_PATTERN)]


def name_key(display_name: str) -> str:
    """What search compares: case-folded, so "ali" finds "Alice" and "ALINA"."""
    return display_name.casefold()


def _changes_schema(schema: dict[str, Any]) -> None:
    """No field may be null (leave it out to keep it), and at least one must be sent."""
    schema["examples"] = [ex.PROFILE_CHANGES]
    schema["minProperties"] = 1
    for field in schema["properties"].values():
        options = [o for o in field.pop("anyOf", []) if o != {"type": "null"}]
        if options:
            field.update(options[0] if len(options) == 1 else {"anyOf": options})
        field.pop("default", None)


class ProfileChanges(Model):
    """PATCH /me: only the fields sent change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_changes_schema)

    display_name: DisplayName | None = None
    bio: Bio | None = None
    home_gym: GymName | None = None
    private: StrictBool | None = Field(
        None, description="Private account: follows need approval; climbs only for followers."
    )
    default_visibility: Visibility | None = Field(
        None, description="Visibility of climbs logged without one."
    )
    picture_media_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = Field(
        None,
        description="A photo uploaded with purpose profile_picture; ",
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("empty_patch", "send at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise PydanticCustomError(
                    "null_not_allowed", "{field} cannot be null", {"field": name}
                )
        return self


class Profile(Model):
    """A profile as stored, and as its owner sees it (GET/PATCH /me)."""

    model_config = ConfigDict(json_schema_extra=examples(ex.PROFILE))

    climber_id: str
    display_name: str
    bio: str = ""
    home_gym: str = ""
    private: bool = False
    default_visibility: Visibility = Visibility.FOLLOWERS
    picture_media_id: str | None = None
    created_at: datetime
    updated_at: datetime


class ProfileRepository:
    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self._profiles = db[COLLECTION]
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._profiles.create_index([("name_key", ASCENDING)], name="name_prefix")

    @staticmethod
    def _from_document(document: dict[str, Any]) -> Profile:
        fields = {k: v for k, v in document.items() if k in Profile.model_fields}
        fields["created_at"] = as_utc(document["created_at"])
        fields["updated_at"] = as_utc(document["updated_at"])
        return Profile.model_validate({**fields, "climber_id": document["_id"]})

    def get(self, climber_id: str) -> Profile | None:
        document = self._profiles.find_one({"_id": climber_id})
        return self._from_document(document) if document else None

    def get_or_create(self, climber_id: str) -> Profile:
        """The caller's profile, created with defaults on first use (safe under races)."""
        now = self._clock()
        default_name = f"Climber {climber_id[:6]}"
        self._profiles.update_one(
            {"_id": climber_id},
            {
                "$setOnInsert": {
                    "display_name": default_name,
                    "name_key": name_key(default_name),
                    "bio": "",
                    "home_gym": "",
                    "private": False,
                    "default_visibility": str(Visibility.FOLLOWERS),
                    "picture_media_id": None,
                    "created_at": now,
                    "updated_at": now,
                }
            },
            upsert=True,
        )
        found = self.get(climber_id)
        assert found is not None
        return found

    def update(self, climber_id: str, changes: ProfileChanges) -> Profile:
        self.get_or_create(climber_id)
        values: dict[str, Any] = changes.model_dump(mode="json", include=changes.model_fields_set)
        if "display_name" in values:
            values["name_key"] = name_key(values["display_name"])
        # Replace (not $set): nx-27017 stores `$set` datetimes as strings.
        current = self._profiles.find_one({"_id": climber_id}) or {}
        self._profiles.replace_one(
            {"_id": climber_id}, {**current, **values, "updated_at": self._clock()}
        )
        found = self.get(climber_id)
        assert found is not None
        return found

    def set_picture(self, climber_id: str, media_id: str | None) -> None:
        self.get_or_create(climber_id)
        current = self._profiles.find_one({"_id": climber_id}) or {}
        self._profiles.replace_one(
            {"_id": climber_id},
            {**current, "picture_media_id": media_id, "updated_at": self._clock()},
        )

    def default_visibility(self, climber_id: str) -> Visibility:
        document = self._profiles.find_one({"_id": climber_id}, {"default_visibility": 1})
        if document is None:
            return Visibility.FOLLOWERS
        return Visibility(document.get("default_visibility", Visibility.FOLLOWERS))

    def many(self, climber_ids: list[str]) -> dict[str, Profile]:
        """Profiles of several climbers in one round trip."""
        if not climber_ids:
            return {}
        found = self._profiles.find({"_id": {"$in": sorted(set(climber_ids))}})
        return {d["_id"]: self._from_document(d) for d in found}

    def private_ids(self) -> list[str]:
        """Every private account (their public climbs stay out of the discover feed)."""
        found = self._profiles.find({"private": True}, {"_id": 1}).batch_size(ONE_BATCH)
        return [d["_id"] for d in found]

    def search(self, prefix: str, *, exclude: list[str], limit: int) -> list[Profile]:
        key = name_key(prefix)
        query: dict[str, Any] = {"name_key": {"$gte": key, "$lt": key + "\U0010ffff"}}
        if exclude:
            query["_id"] = {"$nin": exclude}
        cursor = self._profiles.find(query).sort("name_key", ASCENDING).limit(limit)
        return [self._from_document(d) for d in cursor]

    def delete(self, climber_id: str) -> None:
        self._profiles.delete_one({"_id": climber_id})
