"""Opaque page cursors: the sort key of the last climb a page returned.

Keyset pagination stays correct while climbs are added or deleted between pages (no skipped or
repeated items, unlike page numbers) and costs one index range scan per page. The cursor is
base64url JSON so clients treat it as opaque; it carries only the sort key, never a filter or a
user id (every query is scoped to the caller anyway).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 128
CLIMB_ID_PATTERN = r"^[0-9a-f]{32}$"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLIMB_ID = re.compile(CLIMB_ID_PATTERN)


class InvalidCursor(ValueError):
    """Not a cursor this API issued (or one from an older, incompatible version)."""


@dataclass(frozen=True)
class PageKey:
    """Where the previous page ended in the list order (climb_date desc, climb_id desc)."""

    climb_date: date
    climb_id: str


def encode_cursor(key: PageKey) -> str:
    payload = {"v": CURSOR_VERSION, "d": key.climb_date.isoformat(), "i": key.climb_id}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> PageKey:
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor("cursor is empty or too long; pass next_cursor back unchanged")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("cursor is not one this API issued") from None
    if not isinstance(payload, dict) or set(payload) != {"v", "d", "i"}:
        raise InvalidCursor("cursor is not one this API issued")
    if payload["v"] != CURSOR_VERSION:
        raise InvalidCursor("cursor is from another API version; start from the first page")
    day, climb_id = payload["d"], payload["i"]
    if not (isinstance(day, str) and _DATE.fullmatch(day)):
        raise InvalidCursor("cursor is not one this API issued")
    if not (isinstance(climb_id, str) and _CLIMB_ID.fullmatch(climb_id)):
        raise InvalidCursor("cursor is not one this API issued")
    try:
        return PageKey(date.fromisoformat(day), climb_id)
    except ValueError:
        raise InvalidCursor("cursor is not one this API issued") from None


def _validate_cursor(value: Any) -> PageKey:
    if isinstance(value, PageKey):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("cursor", "cursor must be the next_cursor string of a page")
    try:
        return decode_cursor(value)
    except InvalidCursor as error:
        raise PydanticCustomError("cursor", str(error)) from None


Cursor = Annotated[
    PageKey,
    BeforeValidator(_validate_cursor),
    PlainSerializer(encode_cursor, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_CURSOR_CHARS,
            "description": "next_cursor from the previous page; omit for the first page.",
        }
    ),
]
