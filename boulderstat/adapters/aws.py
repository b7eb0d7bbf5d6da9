"""boto3 clients with timeouts and bounded retries, pointed at the local stack when configured.

boto3 costs ~100 ms to import and each client ~30 ms to build, so a client is built on its
first call, not when the service holding it is: `GET /climbs` never needs EventBridge. All
clients of a container come from one boto3 Session: a session loads the endpoint and partition
data once, so a second client costs ~8 ms of CPU instead of ~50 (bench/coldstart.py).
"""

from __future__ import annotations

import threading
from typing import Any

from boulderstat.adapters.connections import per_container
from boulderstat.settings import Settings
from boulderstat.tracing import trace_calls_of


class AwsClient:
    """A boto3 client for one service, built on first use (attribute access)."""

    def __init__(self, service: str, settings: Settings) -> None:
        self.service = service
        self._settings = settings
        self._client: Any = None

    @property
    def built(self) -> bool:
        return self._client is not None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # only reached before __init__ ran (copy, pickle)
            raise AttributeError(name)
        if self._client is None:
            self._client = _new_client(self.service, self._settings)
        return getattr(self._client, name)


@per_container
def aws_client(service: str, settings: Settings) -> Any:
    """A client per (service, settings): Lambda containers reuse it across invocations."""
    return AwsClient(service, settings)


@per_container
def _session() -> Any:
    """Forgotten with the clients by `drop_connections()` (SnapStart: credentials too)."""
    trace_calls_of("botocore")
    import boto3

    return boto3.session.Session()


def forget_clients() -> None:
    """The next client is built anew, with the credentials the environment holds then (the
    local stack switches to IAM-checked credentials once it has created them)."""
    aws_client.cache_clear()
    _session.cache_clear()


# A boto3 Session is not thread-safe while it builds clients (its clients are, once built).
_building = threading.Lock()


def _new_client(service: str, settings: Settings) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=3,
        read_timeout=15,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    if service == "s3":
        # Path-style keeps presigned URLs valid against a local endpoint (no bucket subdomains).
        config = config.merge(
            Config(
                s3={"addressing_style": "path" if settings.aws_endpoint_url else "virtual"},
                signature_version="s3v4",
            )
        )
    with _building:
        return _session().client(
            service,
            region_name=settings.region,
            endpoint_url=settings.aws_endpoint_url,
            config=config,
        )
