"""Schemathesis against the local stack: one climber's token for every contract test."""

from __future__ import annotations

import pytest

from boulderstat.local.stack import LocalStack


@pytest.fixture(scope="session")
def contract_headers(stack: LocalStack) -> dict[str, str]:
    """A test climber's real ID token from the local Cognito."""
    return {"Authorization": f"Bearer {stack.token('contract-climber')['IdToken']}"}
