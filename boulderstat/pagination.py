"""The one way every list route pages: opaque cursors and bounded page sizes.

Keyset pagination: a cursor carries the sort key of the last item a page returned (never a
filter or a user id; every query is scoped to the caller anyway), so items added or deleted
between pages are neither skipped nor repeated. A cursor is base64url JSON `{"v", "l", "k"}`:
the codec version, the list it belongs to and the key parts. Each list validates its own key
parts; anything that does not decode is an `InvalidCursor` (400) with one reason, on every route.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from boulderstat.errors import InvalidCursor

CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 200
# The page-size contract of every list route (published in docs/openapi.json).
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# The OpenAPI `format` of cursor query parameters: a value must come from `next_cursor`.
CURSOR_FORMAT = "cursor"
BAD_CURSOR = "cursor is not one this API issued; pass next_cursor back unchanged or omit it"


def encode_cursor(listing: str, key: list[str]) -> str:
    payload = {"v": CURSOR_VERSION, "l": listing, "k": key}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(listing: str, cursor: str, *, valid: Callable[[list[str]], bool]) -> list[str]:
    """The key parts of a cursor of `listing`; InvalidCursor for anything else."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload: Any = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidCursor(BAD_CURSOR) from None
    if not isinstance(payload, dict) or set(payload) != {"v", "l", "k"}:
        raise InvalidCursor(BAD_CURSOR)
    key = payload["k"]
    if payload["v"] != CURSOR_VERSION or payload["l"] != listing:
        raise InvalidCursor(BAD_CURSOR)
    if not (isinstance(key, list) and all(isinstance(part, str) for part in key)):
        raise InvalidCursor(BAD_CURSOR)
    if not valid(key):
        raise InvalidCursor(BAD_CURSOR)
    return key


def cursor_param(listing: str, example_key: list[str]) -> Any:
    """The `cursor` query parameter of one list route, with a real cursor as its example."""
    return Annotated[
        str,
        Field(
            max_length=MAX_CURSOR_CHARS,
            json_schema_extra={
                "format": CURSOR_FORMAT,
                "examples": [encode_cursor(listing, example_key)],
            },
            description=(
                "`next_cursor` of the previous page, unchanged; omit (or send empty) for the "
                "first page. Anything else is a 400 `invalid_cursor`."
            ),
        ),
    ]


PageLimit = Annotated[
    int,
    Field(
        ge=1,
        le=PAGE_SIZE_MAX,
        description=f"Page size, 1..{PAGE_SIZE_MAX} (default {PAGE_SIZE_DEFAULT}).",
    ),
]
