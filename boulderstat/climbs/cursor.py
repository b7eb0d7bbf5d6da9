"""Page cursors of GET /climbs: the sort key (climb_date, climb_id) of the last climb a page
returned, through the one cursor codec every list route uses (`boulderstat.pagination`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from boulderstat.errors import InvalidCursor
from boulderstat.ids import ID_PATTERN
from boulderstat.pagination import BAD_CURSOR, cursor_param
from boulderstat.pagination import decode_cursor as _decode
from boulderstat.pagination import encode_cursor as _encode

CLIMB_ID_PATTERN = ID_PATTERN
LISTING = "climbs"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLIMB_ID = re.compile(CLIMB_ID_PATTERN)


@dataclass(frozen=True)
class PageKey:
    """Where the previous page ended in the list order (climb_date desc, climb_id desc)."""

    climb_date: date
    climb_id: str


def encode_cursor(key: PageKey) -> str:
    return _encode(LISTING, [key.climb_date.isoformat(), key.climb_id])


def _valid(parts: list[str]) -> bool:
    return len(parts) == 2 and bool(_DATE.fullmatch(parts[0]) and _CLIMB_ID.fullmatch(parts[1]))


def decode_cursor(cursor: str) -> PageKey:
    day, climb_id = _decode(LISTING, cursor, valid=_valid)
    try:
        return PageKey(date.fromisoformat(day), climb_id)
    except ValueError:
        raise InvalidCursor(BAD_CURSOR) from None


ClimbCursor = cursor_param(LISTING, ["2026-11-20", "019ab8c3d2e07f1a9b2c3d4e5f607182"])
