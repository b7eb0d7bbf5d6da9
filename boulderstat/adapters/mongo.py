"""MongoDB connection: one client per container, explicit timeouts, URI from env or SSM."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from boulderstat.adapters.connections import on_drop, per_container
from boulderstat.adapters.parameters import secure_parameter
from boulderstat.settings import Settings
from boulderstat.tracing import trace_calls_of

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.database import Database

_clients: list[MongoClient] = []


def _mongodb_uri(settings: Settings) -> str:
    if settings.mongodb_uri:
        return settings.mongodb_uri
    if settings.mongodb_uri_parameter:
        return secure_parameter(settings.mongodb_uri_parameter, settings)
    raise RuntimeError("Set MONGODB_URI or MONGODB_URI_PARAMETER")


@per_container
def mongo_database(settings: Settings) -> Database:
    trace_calls_of("pymongo")
    from pymongo import MongoClient

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
    _clients.append(client)
    return client[settings.mongodb_database]


def _close_clients() -> None:
    while _clients:
        _clients.pop().close()


on_drop(_close_clients)


def is_database_unavailable(error: BaseException) -> bool:
    """True for pymongo's connection failures, without importing pymongo to find out: a
    function that never loaded pymongo cannot have raised one."""
    errors = sys.modules.get("pymongo.errors")
    return errors is not None and isinstance(error, errors.ConnectionFailure)
