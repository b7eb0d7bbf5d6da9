"""Page cursors of the lists ordered by (date, id), newest first: GET /climbs, the feeds, a
climber's climbs, comments and notifications, through the one cursor codec every list route
uses (`boulderstat.pagination`).

A cursor names the list it came from, so one list's cursor given to another is a 400
`invalid_cursor` instead of a page of something else (the keys look alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from boulderstat.errors import InvalidCursor
from boulderstat.ids import ID_PATTERN
from boulderstat.pagination import BAD_CURSOR, cursor_param
from boulderstat.pagination import decode_cursor as _decode
from boulderstat.pagination import encode_cursor as _encode

CLIMB_ID_PATTERN = ID_PATTERN
# The lists (each a `listing` of the codec).
CLIMBS = "climbs"  # GET /climbs
HOME_FEED = "feed"  # GET /feed
DISCOVER_FEED = "feed-discover"  # GET /feed/discover
CLIMBER_CLIMBS = "climber-climbs"  # GET /climbers/{climberId}/climbs
COMMENTS = "comments"  # GET /climbs/{climbId}/comments
NOTIFICATIONS = "notifications"  # GET /notifications
_EXAMPLE_KEY = ["2026-11-20", "019ab8c3d2e07f1a9b2c3d4e5f607182"]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class PageKey:
    """Where the previous page ended in the list order (date desc, id desc)."""

    climb_date: date
    climb_id: str


def encode_cursor(key: PageKey, listing: str) -> str:
    return _encode(listing, [key.climb_date.isoformat(), key.climb_id])


def _valid(parts: list[str]) -> bool:
    return len(parts) == 2 and bool(_DATE.fullmatch(parts[0]) and _ID.fullmatch(parts[1]))


def decode_cursor(cursor: str, listing: str) -> PageKey:
    """The key of a cursor `listing` issued; InvalidCursor (400) for anything else."""
    day, climb_id = _decode(listing, cursor, valid=_valid)
    try:
        return PageKey(date.fromisoformat(day), climb_id)
    except ValueError:
        raise InvalidCursor(BAD_CURSOR) from None


def page_cursor(listing: str) -> Any:
    """The `cursor` query parameter of one list, with one of its cursors as the example."""
    return cursor_param(listing, _EXAMPLE_KEY)


ClimbCursor = page_cursor(CLIMBS)
