"""The climbs use cases: log, read, list, change, delete, summarize, scoped to one climber.

The service owns the rules that need the clock or the stored climb (dates not in the future,
flash = one attempt after a partial update, ids, timestamps and revisions), and announces each
write with `Climb Created`, `Climb Updated` or `Climb Deleted` through the outbox
(boulderstat/events/outbox.py). It knows nothing about Lambda or HTTP: the handler passes in the
caller's id, validated models and, for changes, the revisions the client accepts (`If-Match`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from boulderstat.climbs.cursor import CLIMBS, PageKey, decode_cursor, encode_cursor
from boulderstat.climbs.models import (
    Climb,
    ClimbChanges,
    ClimbPage,
    ClimbQuery,
    DateRange,
    NewClimb,
    StatsQuery,
    Visibility,
)
from boulderstat.climbs.repository import ClimbRepository, StoredClimb
from boulderstat.climbs.stats import WEEK_LIST_LIMIT, ClimbStats, ClimbSummary, Week, iso_week
from boulderstat.clock import Clock, utc_now
from boulderstat.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from boulderstat.events import ClimbCreated, ClimbDeleted, ClimbUpdated, EventPublisher
from boulderstat.events.outbox import Outbox
from boulderstat.ids import new_id
from boulderstat.pagination import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from boulderstat.revisions import IfMatch

logger = Logger(child=True)

DefaultVisibility = Callable[[str], Visibility]
FUTURE_SLACK = timedelta(days=1)  # a climber east of UTC may already be on tomorrow's date
# Without If-Match a change is applied to whatever is current: re-read and retry when another
# write wins the race. Bounded, with a short jittered pause, so a burst of concurrent writers
# (11 at once in tests) gets through; a 409 only if the climb never stops changing.
_WRITE_ATTEMPTS = 12
_RETRY_PAUSE_SECONDS = 0.01


def _to_millis(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: what we return must equal what a later read returns."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _reasons(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
    )


class ClimbService:
    def __init__(
        self,
        repository: ClimbRepository,
        publisher: EventPublisher,
        clock: Clock = utc_now,
        *,
        page_size_default: int = PAGE_SIZE_DEFAULT,
        page_size_max: int = PAGE_SIZE_MAX,
        default_visibility: DefaultVisibility | None = None,
    ) -> None:
        self._repository = repository
        self._outbox = Outbox(repository.database, publisher)
        # The climber's own default (their profile), for climbs logged without a visibility.
        self._default_visibility = default_visibility or (lambda _user_id: Visibility.PRIVATE)
        self._clock = clock
        self._page_size_default = page_size_default
        self._page_size_max = page_size_max

    # -- writes ----------------------------------------------------------------------------------
    def create(self, user_id: str, details: NewClimb) -> Climb:
        now = _to_millis(self._clock())
        self._check_date(details, now)
        visibility = details.visibility or self._default_visibility(user_id)
        climb = Climb.model_validate(
            {
                **details.model_dump(),
                "visibility": visibility,
                "climb_id": new_id(now),  # ordered by creation: the newest-first tie-break
                "revision": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        event = ClimbCreated(
            user_id=user_id,
            occurred_at=now,
            climb_id=climb.climb_id,
            revision=climb.revision,
            grade=climb.grade,
            outcome=climb.outcome,
            climb_date=climb.climb_date.isoformat(),
            media_ids=climb.media_ids,
        )
        self._outbox.flush(self._repository.add(user_id, climb, event, now=now))
        return climb

    def update(
        self, user_id: str, climb_id: str, changes: ClimbChanges, *, if_match: IfMatch | None = None
    ) -> Climb:
        """Applies `changes` to the current climb and re-checks the whole result. With an
        `If-Match` naming revisions, only those may be changed (412 otherwise, also when another
        write wins the race); without one, a lost race is retried on the newer climb."""
        for attempt in range(_WRITE_ATTEMPTS):
            stored = self._current(user_id, climb_id, if_match)
            current = stored.climb
            merged = self._merge(current, changes.as_updates())
            changed = [
                name
                for name in NewClimb.model_fields
                if getattr(merged, name) != getattr(current, name)
            ]
            if not changed:
                return current
            now = _to_millis(self._clock())
            if "climb_date" in changed:
                self._check_date(merged, now)
            updated = Climb.model_validate(
                {
                    **merged.model_dump(),
                    "climb_id": current.climb_id,
                    "revision": current.revision + 1,
                    "created_at": current.created_at,
                    "updated_at": max(now, current.updated_at),
                }
            )
            event = ClimbUpdated(
                user_id=user_id,
                occurred_at=now,
                climb_id=climb_id,
                revision=updated.revision,
                changed_fields=changed,
                grade=updated.grade,
                outcome=updated.outcome,
                climb_date=updated.climb_date.isoformat(),
            )
            pending = [*stored.outbox, event]
            written = self._repository.replace(
                user_id, updated, expected_revision=current.revision, outbox=pending, now=now
            )
            if written is not None:
                self._outbox.flush(written)
                return updated
            self._lost_race(if_match, attempt)
        raise Conflict("The climb kept changing while updating it; re-read it and retry")

    def delete(self, user_id: str, climb_id: str, *, if_match: IfMatch | None = None) -> None:
        for attempt in range(_WRITE_ATTEMPTS):
            stored = self._current(user_id, climb_id, if_match)
            now = _to_millis(self._clock())
            event = ClimbDeleted(
                user_id=user_id,
                occurred_at=now,
                climb_id=climb_id,
                revision=stored.revision + 1,
                media_ids=stored.climb.media_ids,
            )
            pending = [*stored.outbox, event]
            written = self._repository.delete(
                user_id, climb_id, expected_revision=stored.revision, outbox=pending, now=now
            )
            if written is not None:
                self._outbox.flush(written)
                return
            self._lost_race(if_match, attempt)
        raise Conflict("The climb kept changing while deleting it; re-read it and retry")

    def _current(self, user_id: str, climb_id: str, if_match: IfMatch | None) -> StoredClimb:
        stored = self._repository.get(user_id, climb_id)
        if stored is None:
            raise NotFound(f"No climb {climb_id}")
        if if_match is not None and not if_match.allows(stored.revision):
            raise PreconditionFailed(
                f'The climb is at revision {stored.revision} (ETag "{stored.revision}"), '
                "not the one If-Match names; re-read it, re-apply your change and retry"
            )
        return stored

    @staticmethod
    def _lost_race(if_match: IfMatch | None, attempt: int) -> None:
        """Another write changed the climb between our read and our write."""
        if if_match is not None and not if_match.any_revision:
            raise PreconditionFailed(
                "The climb changed while your request was applied; re-read it and retry"
            )
        time.sleep(random.uniform(0, _RETRY_PAUSE_SECONDS * (attempt + 1)))

    # -- reads -----------------------------------------------------------------------------------
    def get(self, user_id: str, climb_id: str) -> Climb:
        stored = self._repository.get(user_id, climb_id)
        if stored is None:
            # Also what another climber's climb looks like: never reveal that it exists.
            raise NotFound(f"No climb {climb_id}")
        return stored.climb

    def list_page(self, user_id: str, query: ClimbQuery) -> ClimbPage:
        limit = self._page_size(query.limit)
        # One extra row says whether another page exists without a count query.
        after = decode_cursor(query.cursor, CLIMBS) if query.cursor else None
        rows = self._repository.page(user_id, query, after=after, limit=limit + 1)
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor(PageKey(last.climb_date, last.climb_id), CLIMBS)
        return ClimbPage(items=items, next_cursor=next_cursor)

    def stats(self, user_id: str, query: StatsQuery) -> ClimbStats:
        summary = self._repository.summarize(user_id, query)
        start, end = iso_week(self._clock().astimezone(UTC).date())
        week_items = self._repository.between(user_id, start, end, limit=WEEK_LIST_LIMIT)
        week_count = len(week_items)
        if week_count == WEEK_LIST_LIMIT:
            week_count = self._repository.count_between(user_id, start, end)
        return ClimbStats(
            **dict(summary),
            period=DateRange.model_validate({"from": query.from_, "to": query.to}),
            this_week=Week(
                start=start,
                end=end,
                climbs=week_count,
                items=[ClimbSummary.model_validate(c.model_dump()) for c in week_items],
            ),
        )

    # -- rules -----------------------------------------------------------------------------------
    def _page_size(self, requested: int | None) -> int:
        if requested is None:
            return self._page_size_default
        if requested > self._page_size_max:
            raise ValidationFailed(f"limit: must be at most {self._page_size_max}")
        return requested

    @staticmethod
    def _check_date(climb: NewClimb, now: datetime) -> None:
        latest = now.astimezone(UTC).date() + FUTURE_SLACK
        if climb.climb_date > latest:
            raise ValidationFailed(
                f"body.climb_date: {climb.climb_date} is in the future; latest accepted is {latest}"
            )

    @staticmethod
    def _merge(current: Climb, updates: dict[str, Any]) -> NewClimb:
        draft = {**current.details().model_dump(), **updates}
        try:
            return NewClimb.model_validate(draft)
        except ValidationError as error:
            raise ValidationFailed(_reasons(error)) from None
