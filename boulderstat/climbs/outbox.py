"""Climb events leave through an outbox, so a committed write is never left unannounced.

Order of side effects (as for media, boulderstat/media/processing.py):
1. one guarded document write stores the change AND the event(s) it owes (`outbox`);
2. publish the pending events on the bus;
3. clear the outbox, only if the climb is still at that revision.
A crash or an EventBridge outage between 1 and 3 leaves the events in the document. They go out
with the climb's next write (which carries pending events forward and publishes them with its
own), or, if no write comes, from the outbox sweeper: `functions/climb_outbox` runs every few
minutes in each stage and re-publishes outboxes older than `SWEEP_AFTER`. Either way an event may
go out twice (at least once): consumers dedupe on `idempotency_key` (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from boulderstat.climbs.repository import ClimbRepository
from boulderstat.events.catalog import ClimbEvent
from boulderstat.events.publisher import EventPublisher

logger = Logger(child=True)

# Longer than any request that is still on its way to step 3, so the sweeper does not race it.
SWEEP_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 100  # climbs per sweep run: bounded work per invocation


class ClimbOutbox:
    def __init__(self, repository: ClimbRepository, publisher: EventPublisher) -> None:
        self._repository = repository
        self._publisher = publisher

    def flush(
        self,
        user_id: str,
        climb_id: str,
        revision: int,
        events: Sequence[ClimbEvent],
        *,
        tombstone: bool = False,
    ) -> bool:
        """Steps 2-3 for one write. A failed publish is logged, not raised: the write has
        committed, and an error would make the client retry it (a retried create would log the
        climb twice); the outbox keeps the events for the next write or the sweeper."""
        try:
            self._publisher.publish(*events)
        except Exception:
            logger.exception(
                "climb events not published; kept in the outbox",
                user_id=user_id,
                climb_id=climb_id,
                revision=revision,
            )
            return False
        self._repository.mark_published(user_id, climb_id, revision, tombstone=tombstone)
        return True

    def sweep(self, now: datetime, *, older_than: timedelta = SWEEP_AFTER) -> int:
        """Re-publishes outboxes left behind by crashed or failed writes; returns how many."""
        flushed = 0
        stale = self._repository.pending_outbox(older_than=now - older_than, limit=SWEEP_BATCH)
        for pending in stale:
            if self.flush(
                pending.user_id,
                pending.climb_id,
                pending.revision,
                pending.events,
                tombstone=pending.tombstone,
            ):
                flushed += 1
        return flushed
