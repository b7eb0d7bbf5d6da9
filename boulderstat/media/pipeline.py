"""What every step of the media pipeline (ingest, processing, the web rendition, the sweeper)
works with, and how a step gives a version up.

A step moves media documents on through the repository's guarded transitions, reads and writes
the bucket and tells the bus, with the stage's settings; `media.wiring` builds the steps a
function runs from one set of clients.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger

from boulderstat.clock import Clock, utc_now
from boulderstat.events.publisher import EventPublisher
from boulderstat.media.models import MediaDocument
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.settings import Settings

logger = Logger(child=True)

# A guarded `-> failed` transition of the repository: (user_id, media_id, etag, reason=...).
MarkFailed = Callable[..., MediaDocument | None]


class PipelineStep:
    def __init__(
        self,
        repository: MediaRepository,
        storage: MediaStorage,
        publisher: EventPublisher,
        settings: Settings,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._storage = storage
        self._publisher = publisher
        self._settings = settings
        self._clock: Callable[[], datetime] = clock

    def _give_up(
        self,
        document: MediaDocument,
        reason: str,
        *,
        mark_failed: MarkFailed,
        publish: Callable[[MediaDocument], None],
        message: str,
    ) -> bool:
        """Fails the document's version with the reason the climber sees, then publishes the
        failure event; False if the transition's guard did not match (the version was finished,
        replaced or deleted meanwhile), so nothing was changed or published."""
        logger.warning(message, media_id=document.media_id, user_id=document.user_id, reason=reason)
        failed = mark_failed(
            document.user_id, document.media_id, document.etag or "", reason=reason
        )
        if failed is None:
            return False
        publish(failed)
        return True
