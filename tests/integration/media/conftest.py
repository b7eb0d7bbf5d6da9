"""Media test helpers shared by the ingest and API tests (real moto S3, real nx-27017)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from pymongo.database import Database

from boulderstat.events.catalog import EventDetail
from boulderstat.events.publisher import EventPublishError
from boulderstat.local.functions import invoke
from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.media.repository import MediaRepository

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "samples"
Event = dict[str, Any]


@dataclass
class RecordingPublisher:
    """Captures published details; can fail like EventBridge does, for chosen media ids."""

    events: list[EventDetail] = field(default_factory=list)
    failures_left: int = 0
    fail_media_ids: set[str] = field(default_factory=set)

    def publish(self, *details: EventDetail) -> None:
        for detail in details:
            media_id = getattr(detail, "media_id", None)
            if self.failures_left or media_id in self.fail_media_ids:
                self.failures_left = max(0, self.failures_left - 1)
                self.fail_media_ids.discard(media_id)  # type: ignore[arg-type]
                raise EventPublishError("EventBridge rejected 1 event(s) after retries")
        self.events.extend(details)

    def of_type(self, detail_type: str) -> list[Any]:
        return [e for e in self.events if detail_type == e.DETAIL_TYPE]


@pytest.fixture
def repo(db: Database) -> MediaRepository:
    return MediaRepository(db)


@pytest.fixture(scope="session")
def quiet_bucket(stack: LocalStack) -> Iterator[str]:
    """A bucket without notifications: domain tests drive ingest themselves, undisturbed."""
    assert stack.settings is not None
    name = f"media-domain-{uuid.uuid4().hex[:8]}"
    stack.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    yield name


def upload(grant: dict[str, Any], data: bytes, content_type: str | None = None) -> None:
    """The client's side of a presigned POST, over real HTTP (fields first, the file last)."""
    fields = dict(grant["upload"]["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type  # breaking the policy: moto does not notice
    response = requests.post(
        grant["upload"]["url"],
        data=fields,
        files={"file": ("upload.bin", data, fields["Content-Type"])},
        timeout=30,
    )
    assert response.status_code == 204, response.text


def s3_event(bucket: str, raw_key: str, size: int, etag: str, sequencer: str | None) -> Event:
    """An S3 ObjectCreated:Post notification shaped exactly like events/samples' capture."""
    sample = json.loads((SAMPLES / "s3-object-created.json").read_text())
    record = sample["Records"][0]
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    s3_object = {"key": raw_key, "size": size, "eTag": etag}
    if sequencer is not None:
        s3_object["sequencer"] = sequencer
    record["s3"]["object"] = s3_object
    return {"Records": [record]}


def deliver(event: Event) -> dict[str, Any]:
    """Invokes on_object_created in-process, as Lambda would for this S3 event."""
    return dict(invoke("on_object_created", event))


def settle(stack: LocalStack, subscriber: Subscriber, user_id: str) -> None:
    """Waits until every event published before this call has reached `subscriber`.

    EventBridge -> SQS delivery on the local stack keeps order, so a marker event published now
    arrives after them; then `subscriber.received` is complete up to this point.
    """
    assert stack.settings is not None
    marker = uuid.uuid4().hex
    stack.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.settings.event_bus_name,
                "Source": "boulderstat.tests",
                "DetailType": "Marker",
                "Detail": json.dumps({"user_id": user_id, "marker": marker}),
            }
        ]
    )
    subscriber.wait_for(lambda e: e["detail"].get("marker") == marker, timeout=30)


def uploads_delivered(stack: LocalStack, timeout: float = 30.0) -> None:
    """Waits until the router has handed every queued S3 notification to on_object_created."""
    assert stack.queues is not None
    sqs = stack.client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + timeout
    while True:
        counts = sqs.get_queue_attributes(QueueUrl=stack.queues.uploads, AttributeNames=names)
        if all(counts["Attributes"][name] == "0" for name in names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"uploads queue not drained after {timeout}s: {counts}")
        time.sleep(0.1)


def received(subscriber: Subscriber, detail_type: str, media_id: str) -> list[Event]:
    return [
        e
        for e in subscriber.received
        if e["detail-type"] == detail_type and e["detail"].get("media_id") == media_id
    ]


@pytest.fixture
def events_of(stack: LocalStack) -> Iterator[Callable[[str], Subscriber]]:
    """`events_of(sub)`: a consumer queue receiving that climber's events (closed afterwards)."""
    made: list[Subscriber] = []

    def make(user_id: str) -> Subscriber:
        subscriber = stack.subscriber(detail={"user_id": [user_id]})
        made.append(subscriber)
        return subscriber

    yield make
    for subscriber in made:
        subscriber.close()


@pytest.fixture
def new_climb() -> Callable[[Any], str]:
    """Logs a climb for a climber through the climbs API; returns its id."""

    def make(climber: Any) -> str:
        climb = climber.api.post(
            "/climbs",
            json={
                "title": "Media test problem",
                "grade": "V4",
                "outcome": "send",
                "attempts": 2,
                "climb_date": date.today().isoformat(),
            },
        )
        return str(climb["climb_id"])

    return make
