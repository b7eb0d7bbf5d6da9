"""Scheduled (EventBridge rate rule) -> re-drive or fail stuck media and web renditions, remove
orphaned originals.

Transient errors on single items are raised after the whole run (the function's error alarm
sees them); the next scheduled run tries those items again, so the schedule is the retry.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.media.ingest import IngestService
from boulderstat.media.processing import MediaProcessor
from boulderstat.media.repository import MediaRepository, ScanPositions
from boulderstat.media.storage import MediaStorage
from boulderstat.media.sweeper import MediaSweeper, raise_for_errors
from boulderstat.media.web_rendition import WebRenditionMaker
from boulderstat.observability import lambda_handler, logger, metrics
from boulderstat.settings import get_settings
from boulderstat.time_budget import TimeBudget


@per_container
def sweeper() -> MediaSweeper:
    settings = get_settings()
    db = mongo_database(settings)
    repository = MediaRepository(db)
    storage = MediaStorage(aws_client("s3", settings), settings.media_bucket)
    publisher = EventBridgePublisher(aws_client("events", settings), settings.event_bus_name)
    return MediaSweeper(
        repository,
        storage,
        publisher,
        IngestService(repository, storage, publisher, settings),
        MediaProcessor(repository, storage, publisher, settings),
        WebRenditionMaker(repository, storage, publisher, settings),
        ScanPositions(db),
        settings,
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    budget = TimeBudget.before_timeout(
        context.get_remaining_time_in_millis(),
        margin_seconds=get_settings().processing_margin_seconds,
    )
    report = sweeper().sweep(budget)
    for outcome, count in report.counts.items():
        name = "Sweep" + outcome.title().replace("_", "")  # SweepRedriven, SweepOrphanRemoved
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    logger.info("sweep finished", **report.summary())
    raise_for_errors(report)
    return report.summary()
