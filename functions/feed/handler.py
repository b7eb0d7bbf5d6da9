"""Reading others' climbs as feed cards: /feed, /feed/discover, /climbers/{id}/climbs and
/climbs/{id}/card. Read-only; visibility, follows and blocks are enforced in `Feed`'s queries."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from boulderstat.community.api import (
    NOT_FOUND,
    ClimberClimbsQuery,
    ClimberIdPath,
    ClimbIdPath,
    DiscoverFeedQuery,
    HomeFeedQuery,
)
from boulderstat.community.cards import FeedCard, FeedPage
from boulderstat.community.wiring import community
from boulderstat.http_api import (
    COGNITO_SECURITY,
    caller_id,
    create_http_app,
    responses,
)
from boulderstat.observability import http_handler
from boulderstat.settings import get_settings

app = create_http_app(
    max_body_bytes=get_settings().max_body_bytes, tags=["feed"], security=COGNITO_SECURITY
)


@app.get(
    "/feed",
    summary="Climbs of the people I follow, and mine, newest first",
    description="Pages by cursor: pass `next_cursor` back as `cursor` until it is null.",
    responses=responses(200, "One page of feed cards."),
)
def home_feed(page: Annotated[HomeFeedQuery, Query()]) -> FeedPage:
    return community().feed.home(caller_id(app), after=page.after, limit=page.limit)


@app.get(
    "/feed/discover",
    summary="Public climbs of everyone (public accounts), newest first",
    description="Pages by cursor: pass `next_cursor` back as `cursor` until it is null.",
    responses=responses(200, "One page of feed cards."),
)
def discover_feed(page: Annotated[DiscoverFeedQuery, Query()]) -> FeedPage:
    return community().feed.discover(caller_id(app), after=page.after, limit=page.limit)


@app.get(
    "/climbers/<climberId>/climbs",
    summary="A climber's climbs that I may see, newest first",
    description="Pages by cursor: pass `next_cursor` back as `cursor` until it is null.",
    responses=responses(200, "One page of feed cards.", NOT_FOUND),
)
def climber_climbs(
    climber_id: ClimberIdPath, page: Annotated[ClimberClimbsQuery, Query()]
) -> FeedPage:
    return community().feed.climber_page(
        caller_id(app), climber_id, after=page.after, limit=page.limit
    )


@app.get(
    "/climbs/<climbId>/card",
    summary="One climb as a feed card (anyone's climb I may see)",
    responses=responses(200, "The climb's card.", NOT_FOUND),
)
def climb_card(climb_id: ClimbIdPath) -> FeedCard:
    return community().feed.card(caller_id(app), climb_id)


handler = http_handler(app)
