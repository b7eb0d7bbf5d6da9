"""Events we publish on the stage bus: pydantic models are the single source of truth."""

from boulderstat.events.catalog import (
    CLIMB_SOURCE,
    MEDIA_SOURCE,
    ClimbCreated,
    ClimbDeleted,
    ClimbUpdated,
    EventDetail,
    MediaDeleted,
    MediaProcessed,
    MediaProcessingFailed,
    MediaUploaded,
    RenditionSummary,
    all_event_models,
)
from boulderstat.events.publisher import EventPublisher, EventPublishError

__all__ = [
    "CLIMB_SOURCE",
    "MEDIA_SOURCE",
    "ClimbCreated",
    "ClimbDeleted",
    "ClimbUpdated",
    "EventDetail",
    "EventPublishError",
    "EventPublisher",
    "MediaDeleted",
    "MediaProcessed",
    "MediaProcessingFailed",
    "MediaUploaded",
    "RenditionSummary",
    "all_event_models",
]
