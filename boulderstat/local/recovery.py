"""Getting work moving again after a fault: dead-letter redrive, and resuming after a restart.

Redrive is what `aws sqs start-message-move-task` does for a deployed stage (moto does not
implement it): every message of a dead-letter queue goes back to its source queue, unchanged, so
a delivery that failed during an outage (MongoDB down) runs again. Retried deliveries keep their
event id, so processing treats them as the same delivery (see `MediaRepository.claim_processing`).

Resume runs when a stack starts on a data folder. moto's queues live in memory, so whatever was
queued or in flight when the previous run stopped or crashed is gone; the documents say what was
left unfinished, and the originals are on disk. For each unfinished media item it re-sends what
the pipeline would have sent: S3's notification for an original that arrived but was never
ingested, `Media Uploaded` for one that was ingested but not processed. Leases of the previous
run are released first: every delivery of that run is dead. This is the crash recovery Lambda
gets from its event sources' durability; the sweeper (`media.sweeper`) would get there too,
only after its stuck-deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from pymongo.database import Database

from boulderstat.events.publisher import EventPublisher
from boulderstat.media.ingest import uploaded_event
from boulderstat.media.models import MediaDocument
from boulderstat.media.repository import COLLECTION, MediaRepository
from boulderstat.media.status import MediaStatus

logger = Logger(service="local-recovery")

MAX_REDRIVE_ROUNDS = 10_000  # bounded: a queue refilled faster than we drain it still ends


@dataclass(frozen=True)
class DeadLetterRoute:
    dead_letter_url: str
    source_url: str


def redrive(sqs: Any, routes: list[DeadLetterRoute]) -> dict[str, int]:
    """Moves every dead-lettered message back to its source queue; counts per source queue."""
    moved: dict[str, int] = {}
    for route in routes:
        count = 0
        for _ in range(MAX_REDRIVE_ROUNDS):
            messages = sqs.receive_message(
                QueueUrl=route.dead_letter_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
            ).get("Messages", [])
            if not messages:
                break
            sqs.send_message_batch(
                QueueUrl=route.source_url,
                Entries=[
                    {"Id": str(n), "MessageBody": message["Body"]}
                    for n, message in enumerate(messages)
                ],
            )
            sqs.delete_message_batch(
                QueueUrl=route.dead_letter_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                    for n, message in enumerate(messages)
                ],
            )
            count += len(messages)
        moved[route.source_url.rsplit("/", 1)[-1]] = count
    return moved


def resume_unfinished_media(
    db: Database, publisher: EventPublisher, notify_object_created: Any, bucket: str
) -> dict[str, int]:
    """Re-sends what each unfinished media item waits for (see the module docstring).

    `notify_object_created(bucket, key)` makes S3 send its notification for an existing object
    (False when the object is not there: an abandoned grant, left to its TTL and the sweeper).
    """
    repository = MediaRepository(db)
    counts = {"ingest": 0, "processing": 0, "waiting_for_upload": 0}
    unfinished = db[COLLECTION].find(
        {"status": {"$in": [s.value for s in _UNFINISHED]}, "bucket": bucket}
    )
    now = datetime.now(UTC)
    for raw in unfinished:
        document = MediaDocument.from_mongo(raw)
        if document.status == MediaStatus.PENDING:
            if notify_object_created(bucket, document.key):
                counts["ingest"] += 1
            else:
                counts["waiting_for_upload"] += 1
            continue
        assert document.etag is not None
        if document.status == MediaStatus.PROCESSING:
            repository.release_claim(document.user_id, document.media_id, document.etag)
        publisher.publish(uploaded_event(document, now))
        counts["processing"] += 1
    if counts["ingest"] or counts["processing"]:
        logger.info("resumed unfinished media after a restart", **counts)
    return counts


_UNFINISHED = (MediaStatus.PENDING, MediaStatus.UPLOADED, MediaStatus.PROCESSING)
