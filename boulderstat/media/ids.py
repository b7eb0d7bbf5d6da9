"""Media ids: 32 lowercase hex characters that sort by creation time.

A 48-bit millisecond timestamp followed by 80 random bits (the ULID layout, hex encoded), so
"newest first" is a sort on the id alone and cursors are just ids. Within one process ids are
strictly increasing (ULID's monotonic mode: same millisecond -> previous random part + 1).
"""

from __future__ import annotations

import re
import secrets
import threading
import time

MEDIA_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)


def new_media_id() -> str:
    global _last
    millis = int(time.time() * 1000)
    with _lock:
        last_ms, last_random = _last
        if millis <= last_ms and last_random + 1 < 2**_RANDOM_BITS:
            millis, random_part = last_ms, last_random + 1
        else:
            random_part = secrets.randbits(_RANDOM_BITS - 1)  # headroom for increments
        _last = (millis, random_part)
    return f"{millis:012x}{random_part:020x}"


def is_media_id(value: str) -> bool:
    return bool(MEDIA_ID_PATTERN.fullmatch(value))
