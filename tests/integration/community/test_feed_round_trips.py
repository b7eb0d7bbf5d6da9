"""A feed page costs a fixed number of MongoDB round trips whatever its size (no N+1).

Counted with pymongo's command monitoring on the real driver against the stack's database,
not timed. The world is made over HTTP (climbs, follows, likes, comments); ready media
documents are written straight into MongoDB, as the thumbnail function would leave them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from boulderstat.community.wiring import Community, build
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack
from tests.integration.community.conftest import Join, Member

HOUSEKEEPING = {"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo"}
# followees, climbs page, profiles, media, like counts, the viewer's likes, comment counts
HOME_FEED_ROUND_TRIPS = 7
# blocks, private accounts, climbs page, then the same four card queries and comment counts
DISCOVER_ROUND_TRIPS = 8


class CommandLog(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in HOUSEKEEPING:
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="module")
def counted(stack: LocalStack) -> Iterator[tuple[Community, CommandLog]]:
    assert stack.settings is not None
    log = CommandLog()
    client: MongoClient[dict[str, Any]] = MongoClient(
        stack.settings.mongodb_uri, event_listeners=[log], tz_aware=True
    )
    community = build(
        client[stack.settings.mongodb_database],
        stack.settings,
        s3=stack.client("s3"),
        publisher=EventBridgePublisher(stack.client("events"), stack.settings.event_bus_name),
    )
    yield community, log
    client.close()


def _ready_photo(stack: LocalStack, owner: Member, climb_id: str | None = None) -> str:
    """A ready media document with three renditions, as processing records it (uploaded for
    `climb_id` when given)."""
    assert stack.settings is not None
    media_id = new_id()
    now = datetime.now(UTC)
    stack_db = MongoClient(stack.settings.mongodb_uri)[stack.settings.mongodb_database]
    stack_db["media"].insert_one(
        {
            "_id": media_id,
            "media_id": media_id,
            "user_id": owner.sub,
            "climb_id": climb_id,
            "status": "ready",
            "kind": "photo",
            "content_type": "image/jpeg",
            "declared_size": 1000,
            "bucket": stack.settings.media_bucket,
            "key": f"uploads/{owner.sub}/{media_id}.jpg",
            "created_at": now,
            "updated_at": now,
            "expires_at": now,
            "renditions": [
                {
                    "name": f"w{w}",
                    "key": f"derived/{owner.sub}/{media_id}/w{w}.webp",
                    "width": w,
                    "height": w * 3 // 4,
                    "bytes": w * 10,
                    "format": "webp",
                }
                for w in (320, 960, 1920)
            ],
            "metadata": {"width": 1920, "height": 1440},
        }
    )
    return media_id


@pytest.fixture(scope="module")
def viewer(stack: LocalStack, join: Join) -> Member:
    viewer = join("viewer")
    for n in range(6):
        owner = join(f"owner{n}", default_visibility="followers")
        viewer.api.put(f"/climbers/{owner.sub}/follow")
        owner.climb("public")  # logged first: every feed page starts with climbs with media
        for _ in range(4):
            climb = owner.climb(media_ids=[_ready_photo(stack, owner)])
            _ready_photo(stack, owner, climb_id=climb["climb_id"])  # uploaded for the climb
            viewer.api.put(f"/climbs/{climb['climb_id']}/like")
            viewer.api.post(f"/climbs/{climb['climb_id']}/comments", {"text": "strong"})
            owner.api.put(f"/climbs/{climb['climb_id']}/like")
    return viewer


@pytest.mark.parametrize("limit", [1, 5, 24])
def test_a_home_feed_page_costs_the_same_round_trips_at_any_size(
    counted: tuple[Community, CommandLog], viewer: Member, limit: int
) -> None:
    community, log = counted
    log.commands.clear()
    page = community.feed.home(viewer.sub, after=None, limit=limit)
    assert len(page.items) == limit
    assert len(log.commands) == HOME_FEED_ROUND_TRIPS, log.commands
    # ...and the cards are complete.
    with_media = [card for card in page.items if card.media]
    assert with_media and all(len(card.media) == 2 for card in with_media)
    assert all(len(m.renditions) == 3 for card in with_media for m in card.media)
    assert all(
        card.like_count == 2 and card.liked and card.comment_count == 1 for card in with_media
    )


@pytest.mark.parametrize("limit", [1, 6])
def test_a_discover_page_costs_the_same_round_trips_at_any_size(
    counted: tuple[Community, CommandLog], viewer: Member, limit: int
) -> None:
    community, log = counted
    log.commands.clear()
    page = community.feed.discover(viewer.sub, after=None, limit=limit)
    assert len(page.items) == limit
    assert len(log.commands) == DISCOVER_ROUND_TRIPS, log.commands
