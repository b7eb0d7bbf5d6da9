"""Fixtures for the climbs API tests: module-wide climbers (signing in and logging a logbook
once per module keeps these tests fast) and a snapshot of what a climber has stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from pymongo.database import Database

from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack

Stored = Callable[[str], list[dict[str, Any]]]


@dataclass
class SignedIn:
    username: str
    sub: str
    id_token: str
    api: BoulderStatClient


@pytest.fixture(scope="module")
def climber(stack: LocalStack) -> SignedIn:
    """One climber shared by a module's tests (each module gets its own)."""
    username = f"climbs-api-{uuid.uuid4().hex[:10]}"
    tokens = stack.token(username)
    sub = jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"]
    api = BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
    return SignedIn(username, sub, tokens["IdToken"], api)


@pytest.fixture
def stored(db: Database) -> Stored:
    """Everything a climber has in the climbs collection, in a stable order."""

    def snapshot(sub: str) -> list[dict[str, Any]]:
        return list(db["climbs"].find({"user_id": sub}).sort("_id", 1))

    return snapshot
