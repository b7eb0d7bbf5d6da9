"""The example consumer's counting, on the real MongoDB-protocol server, fed captured samples."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from pymongo.database import Database

from consumers.media_stats.handler import MediaStats

SAMPLE = Path(__file__).resolve().parents[3] / "events" / "samples" / "media-processed.json"


def _detail(user_id: str, **changes: Any) -> dict[str, Any]:
    detail = json.loads(SAMPLE.read_text())["detail"]
    return {**detail, "user_id": user_id, **changes}


def test_each_fact_counts_once_however_often_it_arrives(db: Database) -> None:
    stats = MediaStats(db)
    stats.ensure_indexes()
    me, other = f"u-{uuid.uuid4().hex}", f"u-{uuid.uuid4().hex}"
    first = _detail(me, idempotency_key=f"media-processed:{uuid.uuid4().hex}:e1")
    assert stats.record_processed(first) is True
    assert stats.record_processed(first) is False  # a redelivery, a re-publish, a replay
    assert stats.record_processed(dict(first)) is False
    assert (
        db["media_stats_processed"].find_one({"_id": first["idempotency_key"]})["deliveries"] == 3
    )
    video = _detail(me, kind="video", idempotency_key=f"media-processed:{uuid.uuid4().hex}:e2")
    stats.record_processed(video)
    stats.record_processed(_detail(other, idempotency_key=f"k-{uuid.uuid4().hex}"))
    assert stats.counts(me) == {"photo": 1, "video": 1, "total": 2}
    assert stats.counts(other) == {"photo": 1, "video": 0, "total": 1}
    assert stats.counts(f"u-{uuid.uuid4().hex}") == {"photo": 0, "video": 0, "total": 0}
