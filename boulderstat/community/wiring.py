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
from boulderstat.community.comments import Comments
from boulderstat.community.feed import Feed
from boulderstat.community.leaving import AccountDeletion
from boulderstat.community.likes import Likes
from boulderstat.community.notifications import Notifier
from boulderstat.community.profiles import ProfileRepository
from boulderstat.community.relations import Relations
from boulderstat.events.publisher import EventBridgePublisher, EventPublisher
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
    comments: Comments
    likes: Likes
    notifier: Notifier
    leaving: AccountDeletion


def build(db: Database, settings: Settings, *, s3: object, publisher: EventPublisher) -> Community:
    profiles = ProfileRepository(db)
    relations = Relations(db)
    storage = MediaStorage(s3, settings.media_bucket)
    links = MediaLinks(
        storage,
        expires_in=settings.media_url_expires_seconds,
        cdn_base_url=settings.media_cdn_base_url,
    )
    cards = CardBuilder(db, profiles, links)
    feed = Feed(db, relations, profiles, cards)
    comments = Comments(db, feed, relations, profiles, publisher)
    notifier = Notifier(db, profiles)
    return Community(
        db=db,
        settings=settings,
        profiles=profiles,
        relations=relations,
        climbers=Climbers(db, profiles, relations, publisher, links=links),
        feed=feed,
        comments=comments,
        likes=Likes(db, feed, comments, publisher),
        notifier=notifier,
        leaving=AccountDeletion(db, relations, notifier, storage, publisher),
    )


def ensure_indexes(community: Community) -> None:
    community.profiles.ensure_indexes()
    community.relations.ensure_indexes()
    community.feed.ensure_indexes()
    community.comments.ensure_indexes()
    community.likes.ensure_indexes()
    community.notifier.ensure_indexes()
    community.leaving.ensure_indexes()


@per_container
def community() -> Community:
    settings = get_settings()
    built = build(
        mongo_database(settings),
        settings,
        s3=aws_client("s3", settings),
        publisher=EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
    )
    ensure_indexes(built)
    return built
