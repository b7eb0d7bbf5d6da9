"""(date, id) cursors round-trip the sort key and refuse anything their list did not issue (another
list's cursor too), with the one reason every list route gives (boulderstat.pagination)."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from boulderstat.climbs.cursor import CLIMBS, PageKey, decode_cursor, encode_cursor
from boulderstat.errors import InvalidCursor
from boulderstat.media.library import encode_cursor as media_cursor

KEY = PageKey(date(2026, 5, 1), "0190f0e1c2b37a4c8d9e0f1a2b3c4d5e")
REASON = "cursor is not one this API issued"


def _b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_round_trip_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(KEY, CLIMBS)
    assert decode_cursor(cursor, CLIMBS) == KEY
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "A" * 201,
        "not base64 at all!",
        _b64([1, 2]),
        _b64({"v": 1, "l": "climbs"}),
        _b64({"v": 1, "l": "climbs", "k": ["2026-05-01", KEY.climb_id], "x": 1}),
        _b64({"v": 2, "l": "climbs", "k": ["2026-05-01", KEY.climb_id]}),
        _b64({"v": 1, "l": "climbs", "k": ["2026-02-30", KEY.climb_id]}),
        _b64({"v": 1, "l": "climbs", "k": [{"$gt": ""}, KEY.climb_id]}),
        _b64({"v": 1, "l": "climbs", "k": ["2026-05-01", {"$ne": None}]}),
        _b64({"v": 1, "l": "climbs", "k": ["2026-05-01", "ZZZ"]}),
        _b64({"v": 1, "l": "climbs", "k": ["2026-05-01"]}),
        media_cursor("0190f0e1c2b37a4c8d9e0f1a2b3c4d5e"),  # another list's cursor
        _b64({"v": 1, "l": "feed", "k": ["2026-05-01", KEY.climb_id]}),  # GET /feed's
        base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),  # far too long
    ],
)
def test_bad_cursors_are_rejected_with_one_reason(cursor: str) -> None:
    with pytest.raises(InvalidCursor, match=REASON) as raised:
        decode_cursor(cursor, CLIMBS)
    assert (raised.value.status, raised.value.code) == (400, "invalid_cursor")


LISTINGS = ["climbs", "feed", "feed-discover", "climber-climbs", "comments", "notifications"]


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_cursor_decodes_only_in_the_list_it_names(listing: str) -> None:
    cursor = _b64({"v": 1, "l": listing, "k": ["2026-05-01", KEY.climb_id]})
    assert decode_cursor(cursor, listing) == KEY
    assert decode_cursor(encode_cursor(KEY, listing), listing) == KEY
    for other in LISTINGS:
        if other != listing:
            with pytest.raises(InvalidCursor, match=REASON):
                decode_cursor(cursor, other)
