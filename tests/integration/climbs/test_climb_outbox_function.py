"""functions/climb_outbox in-process against the local stack: an outbox left behind by a write
whose publish failed goes out on the real (moto) bus, and the outbox is cleared."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from boulderstat.climbs.models import NewClimb
from boulderstat.climbs.repository import COLLECTION, ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.events import EventDetail
from boulderstat.local.functions import invoke
from boulderstat.local.stack import LocalStack


class DownBus:
    def publish(self, *details: EventDetail) -> None:
        raise ConnectionError("EventBridge is down")


def test_the_sweeper_function_publishes_a_stale_outbox_on_the_bus(
    stack: LocalStack, db: Database
) -> None:
    user = f"user-{uuid.uuid4().hex}"
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    service = ClimbService(ClimbRepository(db), DownBus(), lambda: two_minutes_ago)
    climb = service.create(
        user,
        NewClimb.model_validate(
            {"title": "Left behind", "grade": "V1", "outcome": "send", "climb_date": "2026-05-01"}
        ),
    )
    subscriber = stack.subscriber(detail={"user_id": [user]})
    try:
        result = invoke("climb_outbox", {"source": "aws.events", "detail-type": "Scheduled Event"})
        assert result["flushed"] >= 1
        event = subscriber.wait_for(lambda e: e["detail-type"] == "Climb Created", timeout=30)
    finally:
        subscriber.close()
    assert event["detail"]["idempotency_key"] == f"climb-created:{climb.climb_id}:1"
    assert db[COLLECTION].find_one({"_id": climb.climb_id})["outbox"] == []
