"""The example consumer end to end on the local stack: subscribed through the bus from its own
serverless.yml, fed by the real pipeline, safe under duplicate delivery."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pymongo.database import Database

from boulderstat.local.consumers import discover
from boulderstat.local.stack import LocalStack
from consumers.media_stats.handler import MediaStats
from tests.conftest import Climber
from tests.integration.media.conftest import upload
from tests.unit.media.sample_files import photo

CONSUMER = Path(__file__).resolve().parents[3] / "consumers" / "media_stats"


def _wait(condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {timeout}s")
        time.sleep(0.2)
    return value


def _drained(stack: LocalStack, queue_name: str) -> bool:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(value == "0" for value in attributes.values())


def test_the_consumer_subscribes_from_its_own_serverless_config() -> None:
    config = yaml.safe_load((CONSUMER / "serverless.yml").read_text())
    (function,) = config["functions"].values()
    (event,) = function["events"]
    bridge = event["eventBridge"]
    # The stage's existing bus, by name (an ARN, so the framework never creates a bus).
    assert bridge["eventBus"].endswith(":event-bus/boulderstat-${sls:stage}")
    assert bridge["pattern"] == {
        "source": ["boulderstat.media"],
        "detail-type": ["Media Processed"],
    }
    (local,) = [c for c in discover() if c.name.startswith("media_stats-")]
    assert local.pattern == bridge["pattern"]
    assert local.function.handler_spec == "consumers/media_stats/handler.handler"
    assert local.function.timeout_seconds == config["provider"]["timeout"]


def test_upload_to_processed_to_counted_once_even_when_delivered_twice(
    stack: LocalStack, alice: Climber, db: Database
) -> None:
    assert stack.settings is not None
    stats = MediaStats(db)
    data = photo("jpeg")
    grant = alice.api.post("/media/uploads", json={"content_type": "image/jpeg", "size": len(data)})
    upload(grant, data)

    _wait(lambda: stats.counts(alice.sub)["total"] == 1)
    assert stats.counts(alice.sub) == {"photo": 1, "video": 0, "total": 1}
    assert alice.api.get(f"/media/{grant['media_id']}")["status"] == "ready"

    # The same fact published again (an outbox re-publish, a replay): a new EventBridge id,
    # the same idempotency key. It reaches the consumer through the bus and counts nothing.
    recorded = db["media_stats_processed"].find_one({"user_id": alice.sub})
    assert recorded is not None
    document = db["media"].find_one({"_id": grant["media_id"]})
    assert recorded["_id"] == f"media-processed:{grant['media_id']}:{document['etag']}"
    assert recorded["deliveries"] == 1
    detail = _resend_processed(stack, recorded["_id"], alice.sub, grant["media_id"])
    assert detail["idempotency_key"] == recorded["_id"]

    def delivered_twice() -> bool:
        found = db["media_stats_processed"].find_one({"_id": recorded["_id"]})
        return found is not None and found["deliveries"] == 2

    _wait(delivered_twice)
    assert stats.counts(alice.sub) == {"photo": 1, "video": 0, "total": 1}
    queue = f"{stack.settings.event_bus_name}-media_stats-media_processed"
    assert _drained(stack, f"{queue}-dlq"), "the duplicate was handled, not dead-lettered"


def _resend_processed(stack: LocalStack, key: str, user_id: str, media_id: str) -> dict[str, Any]:
    """Publishes a Media Processed for the same fact again, as the outbox would."""
    assert stack.settings is not None
    sample = json.loads(
        (CONSUMER.parents[1] / "events" / "samples" / "media-processed.json").read_text()
    )
    detail = {**sample["detail"], "idempotency_key": key, "user_id": user_id, "media_id": media_id}
    result = stack.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.settings.event_bus_name,
                "Source": "boulderstat.media",
                "DetailType": "Media Processed",
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert result["FailedEntryCount"] == 0
    return detail
