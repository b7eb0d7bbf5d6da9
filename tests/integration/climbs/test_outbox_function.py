"""functions/outbox in-process against the local stack: an outbox left behind by a write
whose publish failed goes out on the real (moto) bus, and the outbox is cleared."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from boulderstat.climbs.models import NewClimb
from boulderstat.climbs.repository import COLLECTION, ClimbRepository
from boulderstat.climbs.service import ClimbService
from boulderstat.events import EventDetail
from boulderstat.local.functions import invoke
from boulderstat.local.stack import LocalStack
from boulderstat.local.sweeps import PeriodicSweeps


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
        result = invoke("outbox", {"source": "aws.events", "detail-type": "Scheduled Event"})
        assert result["flushed"] >= 1
        event = subscriber.wait_for(lambda e: e["detail-type"] == "Climb Created", timeout=30)
    finally:
        subscriber.close()
    assert event["detail"]["idempotency_key"] == f"climb-created:{climb.climb_id}:1"
    assert db[COLLECTION].find_one({"_id": climb.climb_id})["outbox"] == []


def test_local_up_runs_the_outbox_on_the_sweep_schedule() -> None:
    called: list[tuple[str, list[str]]] = []
    both = threading.Event()

    def record(name: str, event: dict[str, Any]) -> None:
        called.append((name, event["resources"]))
        if {n for n, _ in called} >= {"sweeper", "outbox"}:
            both.set()

    schedule = PeriodicSweeps(
        record, region="eu-west-1", rule="boulderstat-local-sweeper", interval=0.05
    )
    schedule.start()
    try:
        assert both.wait(5)
    finally:
        schedule.stop()
    rule = "arn:aws:events:eu-west-1:123456789012:rule/boulderstat-local-outbox"
    assert ("outbox", [rule]) in called
