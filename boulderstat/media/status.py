"""The media document's status machine.

    pending -> uploaded -> processing -> ready
        \\          \\            \\
         +-> failed  +-> failed   +-> failed

A status only moves forward for one object version (the original's ETag/sequencer): duplicate
or late notifications never move a document back. `failed` is terminal for that version. Only a
strictly newer version of the original (a re-upload with the same grant) starts over.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class MediaStatus(StrEnum):
    PENDING = "pending"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


# Statuses in which the original object has passed ingest and is (still) in the bucket.
ORIGINAL_AVAILABLE = frozenset({MediaStatus.UPLOADED, MediaStatus.PROCESSING, MediaStatus.READY})

FailurePhase = Literal["ingest", "processing"]
