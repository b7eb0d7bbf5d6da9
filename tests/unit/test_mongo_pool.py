"""Each container's MongoDB pool is bounded explicitly: the connection budget in docs/deploy.md
multiplies it by the functions' reserved concurrency."""

from __future__ import annotations

from boulderstat.adapters.mongo import mongo_database
from boulderstat.settings import Settings


def test_the_pool_size_comes_from_the_environment_and_defaults_to_two() -> None:
    assert Settings.from_env({}).mongodb_max_pool_size == 2
    settings = Settings.from_env(
        {"MONGODB_URI": "mongodb://127.0.0.1:1/?connect=false", "MONGODB_MAX_POOL_SIZE": "3"}
    )
    client = mongo_database(settings).client
    try:
        assert client.options.pool_options.max_pool_size == 3  # pymongo's default is 100
    finally:
        client.close()
