"""`python -m bench.feed`: a home feed page for a climber who follows 1,000 climbers holding
200 climbs each (200,000 climbs, generated straight into MongoDB on a throwaway local stack).

Prints milliseconds and MongoDB round trips per page for our feed (`Feed.home`: a fixed number
of queries) against a baseline measured in the same run: the same page built card by card
(one query per owner, media, like count, "liked" and comment count: the N+1 shape). Never
asserts anything.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import MongoClient, monitoring

from boulderstat.climbs.cursor import PageKey
from boulderstat.community.cards import FeedCard
from boulderstat.community.wiring import Community, build, ensure_indexes
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.ids import new_id
from boulderstat.local.stack import LocalStack

FOLLOWEES = 1000
CLIMBS_EACH = 200
PAGE = 20
BATCH = 2000


class RoundTrips(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in {"hello", "isMaster", "ismaster", "ping", "endSessions"}:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def seed(db: Any, viewer: str, followees: int, climbs_each: int) -> None:
    rng = random.Random(14)
    now = datetime.now(UTC)
    today = now.date()
    owners = [str(uuid.uuid4()) for _ in range(followees)]
    db["profiles"].insert_many(
        [
            {
                "_id": o,
                "display_name": f"Climber {i}",
                "name_key": f"climber {i}",
                "private": False,
                "default_visibility": "followers",
                "created_at": now,
                "updated_at": now,
            }
            for i, o in enumerate(owners)
        ]
    )
    db["follows"].insert_many(
        [
            {
                "_id": f"{viewer}>{o}",
                "follower_id": viewer,
                "followee_id": o,
                "status": "active",
                "created_at": now,
            }
            for o in owners
        ]
    )
    batch: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    likes: list[dict[str, Any]] = []
    for owner in owners:
        for n in range(climbs_each):
            climb_id = uuid.uuid4().hex
            media_ids = []
            if n >= climbs_each - 3:  # each climber's newest climbs carry a ready photo
                media_id = new_id()
                media_ids.append(media_id)
                media.append(_ready_photo(owner, media_id, now))
                likes += [
                    {"_id": f"{climb_id}>{uuid.uuid4()}", "target_id": climb_id, "user_id": "x"}
                    for _ in range(rng.randint(0, 4))
                ]
            day = today - timedelta(days=rng.randint(0, 3 * 365))
            batch.append(
                {
                    "_id": climb_id,
                    "climb_id": climb_id,
                    "user_id": owner,
                    "revision": 1,
                    "title": f"Problem {n}",
                    "grade": rng.randint(0, 10),
                    "outcome": rng.choice(["send", "flash", "project"]),
                    "attempts": 1,
                    "climb_date": (day if n < climbs_each - 3 else today).isoformat(),
                    "visibility": rng.choice(["followers", "public", "private"]),
                    "media_ids": media_ids,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) >= BATCH:
                db["climbs"].insert_many(batch, ordered=False)
                batch = []
    if batch:
        db["climbs"].insert_many(batch, ordered=False)
    for start in range(0, len(media), BATCH):
        db["media"].insert_many(media[start : start + BATCH], ordered=False)
    for start in range(0, len(likes), BATCH):
        db["likes"].insert_many(likes[start : start + BATCH], ordered=False)


def _ready_photo(owner: str, media_id: str, now: datetime) -> dict[str, Any]:
    return {
        "_id": media_id,
        "media_id": media_id,
        "user_id": owner,
        "status": "ready",
        "kind": "photo",
        "renditions": [
            {
                "name": f"w{w}",
                "key": f"derived/{owner}/{media_id}/w{w}.webp",
                "width": w,
                "height": w * 3 // 4,
                "bytes": w * 10,
                "format": "webp",
            }
            for w in (320, 960, 1920)
        ],
        "metadata": {"width": 1920, "height": 1440},
        "created_at": now,
        "updated_at": now,
    }


def card_by_card(community: Community, db: Any, viewer: str, after: PageKey | None) -> list[Any]:
    """The baseline: the same page, each card completed with its own queries (N+1)."""
    followees = community.relations.followee_ids(viewer)
    query: dict[str, Any] = {
        "$or": [
            {"user_id": viewer},
            {"user_id": {"$in": followees}, "visibility": {"$in": ["followers", "public"]}},
        ]
    }
    if after is not None:
        from boulderstat.climbs.repository import after_key

        query = {"$and": [query, after_key(after)]}
    climbs = list(
        db["climbs"].find(query).sort([("climb_date", -1), ("climb_id", -1)]).limit(PAGE + 1)
    )
    cards = []
    for climb in climbs[:PAGE]:
        profile = db["profiles"].find_one({"_id": climb["user_id"]})
        media = [
            db["media"].find_one({"_id": m, "user_id": climb["user_id"], "status": "ready"})
            for m in climb.get("media_ids") or []
        ]
        likes = db["likes"].count_documents({"target_id": climb["_id"]})
        liked = db["likes"].find_one({"_id": f"{climb['_id']}>{viewer}"}) is not None
        comments = db["comments"].count_documents({"climb_id": climb["_id"]})
        cards.append((climb, profile, media, likes, liked, comments))
    return cards


def _timed(call: Any, trips: RoundTrips, runs: int) -> tuple[float, int]:
    times, counts = [], []
    for _ in range(runs):
        trips.count = 0
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
        counts.append(trips.count)
    return statistics.median(times), max(counts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__)
    parser.add_argument("--followees", type=int, default=FOLLOWEES)
    parser.add_argument("--climbs-each", type=int, default=CLIMBS_EACH)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # MONGODB_URI: the same run against a real MongoDB (e.g. Atlas) instead of nx-27017.
    with LocalStack(mongodb_uri=os.environ.get("MONGODB_URI")) as stack:
        assert stack.settings is not None
        trips = RoundTrips()
        client: MongoClient[dict[str, Any]] = MongoClient(
            stack.settings.mongodb_uri, event_listeners=[trips], tz_aware=True
        )
        db = client[stack.settings.mongodb_database]
        community = build(
            db,
            stack.settings,
            s3=stack.client("s3"),
            publisher=EventBridgePublisher(stack.client("events"), stack.settings.event_bus_name),
        )
        ensure_indexes(community)
        viewer = str(uuid.uuid4())
        total = args.followees * args.climbs_each
        print(f"(seeding {total:,} climbs into MongoDB ...)", file=sys.stderr)
        started = time.perf_counter()
        seed(db, viewer, args.followees, args.climbs_each)
        seeded = time.perf_counter() - started

        first = community.feed.home(viewer, after=None, limit=PAGE)
        deep_key = _page_key(first.items[-1])
        for _ in range(9):  # ten pages in
            page = community.feed.home(viewer, after=deep_key, limit=PAGE)
            deep_key = _page_key(page.items[-1])

        print(f"\n### Feed page: {args.followees:,} followees x {args.climbs_each} climbs\n")
        print(
            f"- {total:,} climbs seeded in {seeded:.0f} s; page size {PAGE}; median of {args.runs}"
        )
        server = "given by MONGODB_URI" if os.environ.get("MONGODB_URI") else "nx-27017 (local)"
        print(f"- MongoDB: {server}\n")
        _row("page", "case", "ms", "round trips")
        _row("---", "---", "---:", "---:")
        for label, after in (("first", None), ("11th", deep_key)):
            ours = _timed(
                lambda a=after: community.feed.home(viewer, after=a, limit=PAGE), trips, args.runs
            )
            naive = _timed(lambda a=after: card_by_card(community, db, viewer, a), trips, args.runs)
            _row(label, "ours: Feed.home (fixed queries)", f"{ours[0]:.0f}", ours[1])
            _row(label, "baseline: card by card (N+1)", f"{naive[0]:.0f}", naive[1])
            print(
                f"| {label} | **ratio baseline / ours** | **{naive[0] / ours[0]:.2f}x** | "
                f"{naive[1] / ours[1]:.1f}x |"
            )
        client.close()


def _page_key(card: FeedCard) -> PageKey:
    return PageKey(date.fromisoformat(card.climb_date.isoformat()), card.climb_id)


if __name__ == "__main__":
    main()
