"""Cursors round-trip the sort key and refuse anything the API did not issue."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from boulderstat.climbs.cursor import InvalidCursor, PageKey, decode_cursor, encode_cursor

KEY = PageKey(date(2026, 5, 1), "0190f0e1c2b37a4c8d9e0f1a2b3c4d5e")


def _b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_round_trip_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(KEY)
    assert decode_cursor(cursor) == KEY
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        ("", "empty or too long"),
        ("A" * 200, "empty or too long"),
        ("not base64 at all!", "not one this API issued"),
        (_b64([1, 2]), "not one this API issued"),
        (_b64({"v": 1, "d": "2026-05-01"}), "not one this API issued"),
        (_b64({"v": 1, "d": "2026-05-01", "i": KEY.climb_id, "x": 1}), "not one this API"),
        (_b64({"v": 2, "d": "2026-05-01", "i": KEY.climb_id}), "another API version"),
        (_b64({"v": 1, "d": "2026-02-30", "i": KEY.climb_id}), "not one this API issued"),
        (_b64({"v": 1, "d": {"$gt": ""}, "i": KEY.climb_id}), "not one this API issued"),
        (_b64({"v": 1, "d": "2026-05-01", "i": {"$ne": None}}), "not one this API issued"),
        (_b64({"v": 1, "d": "2026-05-01", "i": "ZZZ"}), "not one this API issued"),
    ],
)
def test_bad_cursors_are_rejected_with_a_reason(cursor: str, reason: str) -> None:
    with pytest.raises(InvalidCursor, match=reason):
        decode_cursor(cursor)
