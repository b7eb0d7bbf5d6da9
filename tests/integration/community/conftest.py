"""Fixtures for the community tests: climbers signed in through the local Cognito, with a
profile (GET /me creates it), shared per module to keep the suite fast."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import requests

from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack

TODAY = datetime.now(UTC).date().isoformat()


@dataclass
class Member:
    name: str
    sub: str
    api: BoulderStatClient

    def status(self, method: str, path: str, **kwargs: Any) -> int:
        """The HTTP status of a call (for rules where 404 vs 2xx is the point)."""
        return self.api.request(method, path, **kwargs).status_code

    def climb(self, visibility: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"title": "Crimp line", "grade": "V4", "outcome": "send", "climb_date": TODAY}
        if visibility is not None:
            body["visibility"] = visibility
        return dict(self.api.post("/climbs", {**body, **fields}))


Join = Callable[..., Member]


@pytest.fixture(scope="module")
def join(stack: LocalStack) -> Join:
    """A new climber with a profile: `join("alice", private=True)`."""

    def make(name: str, **profile: Any) -> Member:
        username = f"{name}-{uuid.uuid4().hex[:8]}"
        token = stack.token(username)["IdToken"]
        sub = jwt.decode(token, options={"verify_signature": False})["sub"]
        member = Member(name, sub, BoulderStatClient(stack.api_url, id_token=token))
        member.api.get("/me")
        changes = {"display_name": f"{name.title()} {uuid.uuid4().hex[:4]}", **profile}
        member.api.patch("/me", changes)
        return member

    return make


def raw(member: Member, method: str, path: str, **kwargs: Any) -> requests.Response:
    return member.api.request(method, path, **kwargs)
