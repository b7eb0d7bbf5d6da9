"""Scheduled (EventBridge rate rule) -> re-drive or fail stuck media and web renditions, remove
orphaned originals.

Transient errors on single items are raised after the whole run (the function's error alarm
sees them); the next scheduled run tries those items again, so the schedule is the retry.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.connections import per_container
from boulderstat.media.ingest import IngestService
from boulderstat.media.processing import MediaProcessor
from boulderstat.media.repository import ScanPositions
from boulderstat.media.sweeper import MediaSweeper, raise_for_errors
from boulderstat.media.web_rendition import WebRenditionMaker
from boulderstat.media.wiring import media_pipeline
from boulderstat.observability import lambda_handler, logger, metrics


@per_container
def sweeper() -> MediaSweeper:
    media = media_pipeline()
    return MediaSweeper(
        media.repository,
        media.storage,
        media.publisher,
        media.step(IngestService),
        media.step(MediaProcessor),
        media.step(WebRenditionMaker),
        ScanPositions(media.db),
        media.settings,
    )


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    budget = media_pipeline().budget(context.get_remaining_time_in_millis())
    report = sweeper().sweep(budget)
    for outcome, count in report.counts.items():
        name = "Sweep" + outcome.title().replace("_", "")  # SweepRedriven, SweepOrphanRemoved
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    logger.info("sweep finished", **report.summary())
    raise_for_errors(report)
    return report.summary()
