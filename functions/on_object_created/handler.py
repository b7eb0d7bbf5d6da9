"""S3 ObjectCreated:* under uploads/ (Post, Put, CompleteMultipartUpload) -> ingest.

Every record is handled even if others fail; transient failures are re-raised after the batch so
Lambda retries it (ingest is idempotent, so records already handled are no-ops on retry).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

from boulderstat.media.ingest import (
    IngestOutcome,
    IngestService,
    ObjectCreated,
    ingest_batch,
    raise_for_errors,
)
from boulderstat.media.keys import decode_notification_key
from boulderstat.media.wiring import media_pipeline
from boulderstat.observability import lambda_handler, logger, metrics

_METRIC_NAMES = {
    IngestOutcome.UPLOADED: "UploadAccepted",
    IngestOutcome.REJECTED: "UploadRejected",
    IngestOutcome.DUPLICATE: "DuplicateNotification",
    IngestOutcome.STALE: "StaleNotification",
    IngestOutcome.FOREIGN_KEY: "ObjectIgnored",
    IngestOutcome.UNKNOWN_MEDIA: "OrphanRemoved",
}


def object_created(record: S3EventRecord) -> ObjectCreated:
    s3_object = record.s3.get_object
    return ObjectCreated(
        bucket=record.s3.bucket.name,
        key=decode_notification_key(s3_object.key),
        size=s3_object.size,
        etag=s3_object.etag,
        sequencer=s3_object.get("sequencer"),
    )


@lambda_handler
@event_source(data_class=S3Event)
def handler(event: S3Event, context: Any) -> dict[str, Any]:
    notifications = []
    for record in event.records:
        if not record.event_name.startswith("ObjectCreated:"):
            continue
        try:
            notifications.append(object_created(record))
        except (KeyError, TypeError, ValueError):  # not a record S3 would send: never retried
            logger.warning("malformed S3 record ignored", event_name=record.event_name)
            metrics.add_metric(name="ObjectIgnored", unit=MetricUnit.Count, value=1)
    report = ingest_batch(media_pipeline().step(IngestService), notifications)
    for outcome in report.outcomes:
        metrics.add_metric(name=_METRIC_NAMES[outcome], unit=MetricUnit.Count, value=1)
    if report.errors:
        metrics.add_metric(name="IngestError", unit=MetricUnit.Count, value=len(report.errors))
    raise_for_errors(report)
    return {"outcomes": report.counts()}
