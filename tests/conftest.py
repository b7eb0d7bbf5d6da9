"""Shared fixtures: one local stack per test session (moto + MongoDB-protocol server + router +
local HTTP API), and fresh climbers per test so tests never see each other's data.

The stages are packaged offline once per session (`packaged`): the deploy tests read the
templates, and the local stack's IAM enforcement reads each function's role from them.

Set MONGODB_URI to run the same suite against a real MongoDB instead of nx-27017.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pymongo.database import Database

from boulderstat.adapters.mongo import mongo_database
from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack
from boulderstat.settings import Settings
from tests.deploy.offline_package import (
    ROOT,
    STAGES,
    TEST_PARAMS,
    Packaged,
    build_layers,
    package_offline,
)


@pytest.fixture(scope="session")
def layer_manifest() -> dict[str, Any]:
    if not (ROOT / "node_modules" / ".bin" / "serverless").exists():
        pytest.fail("node_modules is missing: run `npm ci` (the Makefile's setup does)")
    return build_layers.build()


@pytest.fixture(scope="session")
def packaged(
    layer_manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Packaged]:
    """staging and prod, packaged offline once per session (layers built and cached first)."""
    out = tmp_path_factory.mktemp("serverless-package")
    templates = package_offline.package(list(STAGES), out, build_layers=False, params=TEST_PARAMS)
    return {
        stage: Packaged(stage, path.parent, json.loads(path.read_text()))
        for stage, path in templates.items()
    }


@pytest.fixture(scope="session")
def stack(packaged: dict[str, Packaged]) -> Iterator[LocalStack]:
    """Under moto's IAM check: each function with exactly its role from the packaged staging
    template, the harness (provisioning, router, tests) as an admin."""
    with LocalStack(
        mongodb_uri=os.environ.get("MONGODB_URI"), iam_template=packaged["staging"].template
    ) as local:
        yield local


@pytest.fixture(scope="session")
def settings(stack: LocalStack) -> Settings:
    assert stack.settings is not None
    return stack.settings


@pytest.fixture
def db(settings: Settings) -> Database:
    return mongo_database(settings)


@dataclass
class Climber:
    username: str
    sub: str
    tokens: dict[str, str]
    api: BoulderStatClient


@pytest.fixture
def new_climber(stack: LocalStack) -> Callable[[], Climber]:
    """Signs in a brand-new local climber through the local Cognito (real JWTs)."""

    def make(prefix: str = "climber") -> Climber:
        import jwt

        username = f"{prefix}-{uuid.uuid4().hex[:10]}"
        tokens = stack.token(username)
        claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
        api = BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
        return Climber(username, claims["sub"], tokens, api)

    return make


@pytest.fixture
def alice(new_climber: Callable[..., Climber]) -> Climber:
    return new_climber("alice")


@pytest.fixture
def bob(new_climber: Callable[..., Climber]) -> Climber:
    return new_climber("bob")
