"""boto3 clients with timeouts and bounded retries, pointed at the local stack when configured."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from boulderstat.settings import Settings

_CONFIG = Config(
    connect_timeout=3,
    read_timeout=15,
    retries={"max_attempts": 3, "mode": "standard"},
)


@cache
def aws_client(service: str, settings: Settings) -> Any:
    """A client per (service, settings): Lambda containers reuse it across invocations."""
    config = _CONFIG
    if service == "s3":
        # Path-style keeps presigned URLs valid against a local endpoint (no bucket subdomains).
        config = config.merge(
            Config(
                s3={"addressing_style": "path" if settings.aws_endpoint_url else "virtual"},
                signature_version="s3v4",
            )
        )
    return boto3.session.Session().client(
        service,
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )
