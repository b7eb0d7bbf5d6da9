"""Builds the community services once per container (cold start), indexes included.

Every community function calls `community()`; the first call connects, creates the indexes its
queries rely on (idempotent, so a cold start on an existing database costs a few round trips)
and keeps one MongoDB client and one boto3 client per container.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.community.cards import CardBuilder
from boulderstat.community.climbers import Climbers
from boulderstat.community.feed import Feed
from boulderstat.community.profiles import ProfileRepository
from boulderstat.community.relations import Relations
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.media.delivery import MediaLinks
from boulderstat.media.storage import MediaStorage
from boulderstat.settings import Settings, get_settings


@dataclass(frozen=True)
class Community:
    db: Database
    settings: Settings
    profiles: ProfileRepository
    relations: Relations
    climbers: Climbers
    feed: Feed


def build(db: Database, settings: Settings, *, s3: object, events: object) -> Community:
    profiles = ProfileRepository(db)
    relations = Relations(db)
    links = MediaLinks(
        MediaStorage(s3, settings.media_bucket),
        expires_in=settings.media_url_expires_seconds,
        cdn_base_url=settings.media_cdn_base_url,
    )
    publisher = EventBridgePublisher(events, settings.event_bus_name)
    cards = CardBuilder(db, profiles, links)
    feed = Feed(db, relations, profiles, cards)
    return Community(
        db=db,
        settings=settings,
        profiles=profiles,
        relations=relations,
        climbers=Climbers(db, profiles, relations, publisher),
        feed=feed,
    )


def ensure_indexes(community: Community) -> None:
    community.profiles.ensure_indexes()
    community.relations.ensure_indexes()
    community.feed.ensure_indexes()


@per_container
def community() -> Community:
    settings = get_settings()
    built = build(
        mongo_database(settings),
        settings,
        s3=aws_client("s3", settings),
        events=aws_client("events", settings),
    )
    ensure_indexes(built)
    return built
