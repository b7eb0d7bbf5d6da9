"""What the community functions share: path parameters, paging, and documented error statuses."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import ConfigDict, field_validator

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.climbs.cursor import (
    CLIMB_ID_PATTERN,
    CLIMBER_CLIMBS,
    COMMENTS,
    DISCOVER_FEED,
    HOME_FEED,
    NOTIFICATIONS,
    PageKey,
    decode_cursor,
    page_cursor,
)
from boulderstat.community.profiles import CLIMBER_ID_PATTERN
from boulderstat.models import Model
from boulderstat.pagination import PAGE_SIZE_DEFAULT, PageLimit

ClimberIdPath = Annotated[
    str, Path(alias="climberId", pattern=CLIMBER_ID_PATTERN, description="The climber's id.")
]
CommentIdPath = Annotated[
    str, Path(alias="commentId", pattern=CLIMB_ID_PATTERN, description="The comment's id.")
]
ClimbIdPath = Annotated[
    str, Path(alias="climbId", pattern=CLIMB_ID_PATTERN, description="The climb's id.")
]

# Route-specific wording of error statuses, for `boulderstat.http_api.responses`.
NOT_FOUND: dict[int, str | None] = {
    404: "No such climber or climb, or nothing the caller may see (never 403)."
}
NOT_YOURSELF: dict[int, str | None] = {400: "You cannot follow or block yourself."}
# Writes that carry their events in an outbox (boulderstat/events/outbox.py) give up with 409
# after a few guarded writes lost to concurrent ones on the same item.
KEPT_CHANGING: dict[int, str | None] = {
    409: "The item kept changing under concurrent writes; retry."
}


class PageQuery(Model):
    """Cursor paging of one list (boulderstat.pagination): a subclass per list names it, so
    only that list's cursors decode and any other is a 400 `invalid_cursor`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(ex.PAGE_QUERY))
    LISTING: ClassVar[str]

    limit: PageLimit = PAGE_SIZE_DEFAULT
    cursor: str | None = None

    @field_validator("cursor", mode="before")
    @classmethod
    def _empty_cursor_is_the_first_page(cls, value: Any) -> Any:
        return None if value == "" else value

    @property
    def after(self) -> PageKey | None:
        """Where the previous page ended; InvalidCursor (400) for a cursor we did not issue."""
        return decode_cursor(self.cursor, self.LISTING) if self.cursor else None


HomeFeedCursor = page_cursor(HOME_FEED)
DiscoverFeedCursor = page_cursor(DISCOVER_FEED)
ClimberClimbsCursor = page_cursor(CLIMBER_CLIMBS)
CommentsCursor = page_cursor(COMMENTS)
NotificationsCursor = page_cursor(NOTIFICATIONS)


class HomeFeedQuery(PageQuery):
    LISTING = HOME_FEED
    cursor: HomeFeedCursor | None = None


class DiscoverFeedQuery(PageQuery):
    LISTING = DISCOVER_FEED
    cursor: DiscoverFeedCursor | None = None


class ClimberClimbsQuery(PageQuery):
    LISTING = CLIMBER_CLIMBS
    cursor: ClimberClimbsCursor | None = None


class CommentsQuery(PageQuery):
    LISTING = COMMENTS
    cursor: CommentsCursor | None = None


class NotificationsQuery(PageQuery):
    LISTING = NOTIFICATIONS
    cursor: NotificationsCursor | None = None
