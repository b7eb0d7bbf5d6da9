"""The one id generator for every entity (climbs, media, comments, notifications).

An id is a UUIDv7 (RFC 9562) as 32 lowercase hex characters: a 48-bit Unix millisecond
timestamp, the version (7), 12 random bits, the variant (0b10) and 62 more random bits. So
"newest first" is a sort on the id alone, cursors and tie-breaks need nothing else, and any
UUID library reads the time back. Ids made in the same millisecond of one process strictly
increase (RFC 9562's monotonic method: the previous 74 random bits + 1), so two entities
created in one millisecond, or under a clock that stands still in tests, keep their creation
order; across processes the 74 random bits keep ids apart (a forked child starts afresh).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from datetime import datetime

from boulderstat.clock import utc_now

ID_PATTERN = r"^[0-9a-f]{32}$"
# A user id is not ours to make (a Cognito `sub`, a UUID) but has one rule wherever one is read:
# the caller's identity, a climber in a path, the owner in an S3 key.
USER_ID_CHARS = r"[A-Za-z0-9-]{1,64}"
USER_ID_PATTERN = rf"^{USER_ID_CHARS}$"
_ID = re.compile(ID_PATTERN)
_RANDOM_BITS = 74  # rand_a (12) + rand_b (62)
_RAND_B_BITS = 62
_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random bits) of the previous id in this process


def new_id(now: datetime | None = None) -> str:
    """A new id; `now` is the caller's clock (default: the one clock) for its timestamp."""
    global _last
    with _lock:  # the clock is read under the lock too: ids leave in the order of their times
        millis = int((now or utc_now()).timestamp() * 1000)
        last_ms, last_random = _last
        if millis == last_ms and last_random + 1 < 2**_RANDOM_BITS:
            random = last_random + 1
        else:
            random = secrets.randbits(_RANDOM_BITS - 1)  # headroom for increments
        _last = (millis, random)
    rand_a, rand_b = random >> _RAND_B_BITS, random & ((1 << _RAND_B_BITS) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return f"{value:032x}"


def _forget_last() -> None:
    """A forked child must not continue its parent's sequence (both would make the same ids)."""
    global _last
    _last = (0, 0)


os.register_at_fork(after_in_child=_forget_last)


def is_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))
