"""Builds the media pipeline's steps for a function, from clients made once per container.

Ingest (on_object_created), processing (thumbnail), the web rendition (web_rendition) and the
sweeper take the same collaborators; `media_pipeline()` makes one MongoDB client, one S3 and
one EventBridge client per container (dropped and rebuilt by the SnapStart hooks, see
`adapters.connections`), and `step()` hands them to whichever step a function runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pymongo.database import Database

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.publisher import EventBridgePublisher, EventPublisher
from boulderstat.media.pipeline import PipelineStep
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.settings import Settings, get_settings
from boulderstat.time_budget import TimeBudget

Step = TypeVar("Step", bound=PipelineStep)


@dataclass(frozen=True)
class MediaPipeline:
    db: Database
    repository: MediaRepository
    storage: MediaStorage
    publisher: EventPublisher
    settings: Settings

    def step(self, kind: type[Step]) -> Step:
        return kind(self.repository, self.storage, self.publisher, self.settings)

    def budget(self, remaining_ms: int) -> TimeBudget:
        """This invocation's time, less the margin for the uploads, MongoDB and the event."""
        return TimeBudget.before_timeout(
            remaining_ms, margin_seconds=self.settings.processing_margin_seconds
        )


@per_container
def media_pipeline() -> MediaPipeline:
    settings = get_settings()
    db = mongo_database(settings)
    return MediaPipeline(
        db,
        MediaRepository(db),
        MediaStorage(aws_client("s3", settings), settings.media_bucket),
        EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
        settings,
    )
