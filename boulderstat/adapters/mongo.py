"""MongoDB connection: one client per container, explicit timeouts, URI from env or SSM."""

from __future__ import annotations

from functools import cache

from pymongo import MongoClient
from pymongo.database import Database

from boulderstat.settings import Settings


def _mongodb_uri(settings: Settings) -> str:
    if settings.mongodb_uri:
        return settings.mongodb_uri
    if settings.mongodb_uri_parameter:
        # Imported lazily: only deployed functions fetch the secret from SSM.
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_parameter(settings.mongodb_uri_parameter, decrypt=True, max_age=300)
        return str(value)
    raise RuntimeError("Set MONGODB_URI or MONGODB_URI_PARAMETER")


@cache
def mongo_database(settings: Settings) -> Database:
    timeout = settings.mongodb_timeout_ms
    client: MongoClient = MongoClient(
        _mongodb_uri(settings),
        serverSelectionTimeoutMS=timeout,
        connectTimeoutMS=timeout,
        socketTimeoutMS=timeout * 2,
        # Explicit, never pymongo's default of 100: a burst of containers multiplies it.
        maxPoolSize=settings.mongodb_max_pool_size,
        tz_aware=True,
        appname=f"boulderstat-{settings.stage}",
    )
    return client[settings.mongodb_database]
