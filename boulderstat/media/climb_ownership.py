"""Whether a climb belongs to a climber: media may only be attached to the caller's own climbs.

A port, so the media domain does not depend on how the climbs domain stores climbs.
"""

from __future__ import annotations

from typing import Protocol

from pymongo.database import Database


class ClimbOwnership(Protocol):
    def owns(self, user_id: str, climb_id: str) -> bool: ...


class MongoClimbOwnership:
    """Reads the climbs domain's `climbs` collection: one indexed point lookup."""

    def __init__(self, db: Database, *, collection: str = "climbs", id_field: str = "_id") -> None:
        self._climbs = db[collection]
        self._id_field = id_field

    def owns(self, user_id: str, climb_id: str) -> bool:
        query = {self._id_field: climb_id, "user_id": user_id}
        return self._climbs.count_documents(query, limit=1) == 1
