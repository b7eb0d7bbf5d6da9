"""One place that reads configuration from the environment.

The same code runs in Lambda (env set by serverless.yml), against the local stack (env set by
`boulderstat.local`) and in tests. Nothing else in the code base reads `os.environ` for
configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any

MB = 1024 * 1024


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Every setting the functions use, with local-friendly defaults."""

    stage: str = "dev"
    region: str = "eu-west-1"
    # Only set locally (moto); unset in AWS so boto3 uses the real endpoints.
    aws_endpoint_url: str | None = None

    media_bucket: str = "boulderstat-dev-media"
    event_bus_name: str = "boulderstat-dev"

    # MongoDB: a URI directly (local, tests) or the name of an SSM SecureString holding it (AWS).
    mongodb_uri: str | None = None
    mongodb_uri_parameter: str | None = None
    mongodb_database: str = "boulderstat"
    mongodb_timeout_ms: int = 5000
    # Connections per process. Lambda runs one request per container at a time, so 2 is
    # plenty, and it keeps (reserved concurrency x pool) inside the MongoDB connection budget
    # (docs/deploy.md, "MongoDB connection budget").
    mongodb_max_pool_size: int = 2

    # Cognito: the pool whose tokens we accept and the app client(s) they are issued to.
    cognito_user_pool_id: str = ""
    cognito_client_ids: tuple[str, ...] = ()
    # Hosted UI domain (https://...auth.<region>.amazoncognito.com) for the code exchange.
    cognito_domain: str | None = None
    cognito_client_secret_parameter: str | None = None
    allowed_origins: tuple[str, ...] = ("http://localhost:5173",)
    # Sign-in sessions: the refresh cookie lives as long as the app client's refresh token.
    refresh_token_validity_seconds: int = 30 * 24 * 3600
    cognito_timeout_seconds: float = 5.0

    # Uploads
    upload_url_expires_seconds: int = 300
    max_photo_bytes: int = 30 * MB
    max_video_bytes: int = 500 * MB
    pending_upload_ttl_seconds: int = 24 * 3600
    # Big files go to S3 in parts (resumable): above this size, or whenever a client names a
    # part size. A multipart grant lives longer than a POST (gym Wi-Fi drops); each part URL is
    # signed for one part only, with `upload_url_expires_seconds`.
    multipart_threshold_bytes: int = 16 * MB
    multipart_part_bytes: int = 8 * MB
    multipart_upload_expires_seconds: int = 6 * 3600
    # Rendition URLs: presigned GETs by default; a CDN base URL (CloudFront) when set.
    media_url_expires_seconds: int = 3600
    media_cdn_base_url: str | None = None
    # CloudFront signed cookies for /derived/ on the stage's site (media/viewer_cookies.py):
    # the public key's id and the SSM SecureString holding its private key (PKCS#1 PEM).
    cdn_key_pair_id: str | None = None
    cdn_private_key_parameter: str | None = None
    viewer_cookie_seconds: int = 3600

    # Processing
    rendition_widths: tuple[int, ...] = (320, 960, 1920)
    max_image_pixels: int = 60_000_000
    max_video_seconds: float = 180.0
    # Videos larger than this (or not browser-playable) get a web-playable H.264 rendition.
    web_video_min_bytes: int = 8 * MB
    ffmpeg_timeout_seconds: float = 120.0
    # Kept back from the Lambda's remaining time for uploading renditions, MongoDB and the
    # event: processing gives up (failed + event) this long before Lambda would kill it.
    processing_margin_seconds: float = 30.0

    # Sweeper (scheduled): media stuck in a status longer than this is re-driven or failed.
    # Pending: past the grant's expiry plus this grace (an upload may still be in flight).
    sweep_pending_grace_seconds: int = 900
    # Uploaded / processing: longer than the thumbnail timeout and its one retry.
    sweep_stuck_after_seconds: int = 1800
    sweep_max_redrives: int = 3
    # The web_rendition function's timeout (serverless.yml gives the sweeper the same
    # parameter): a web rendition pending or processing for longer than its runs could take
    # lost its event or its run (media.sweeper.web_rendition_deadline).
    web_rendition_timeout_seconds: float = 900.0
    sweep_batch_size: int = 100
    # Originals without a document younger than this are left to ingest.
    sweep_orphan_min_age_seconds: int = 3600
    sweep_orphan_keys_per_run: int = 5000

    # API
    max_body_bytes: int = 64 * 1024

    @property
    def cognito_issuer(self) -> str:
        # Cognito tokens always carry the AWS issuer, even when minted by the local stack.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        if self.aws_endpoint_url:
            return f"{self.aws_endpoint_url}/{self.cognito_user_pool_id}/.well-known/jwks.json"
        return f"{self.cognito_issuer}/.well-known/jwks.json"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = _ENV_NAMES.get(f.name, f.name.upper())
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw)
        return cls(**values)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """The environment that reproduces these settings (for child processes and Lambda)."""
        env: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            name = _ENV_NAMES.get(f.name, f.name.upper())
            if isinstance(value, tuple):
                env[name] = ",".join(str(v) for v in value)
            else:
                env[name] = str(value)
        return env


_ENV_NAMES = {"region": "AWS_REGION"}

_INTS = {
    "mongodb_timeout_ms",
    "mongodb_max_pool_size",
    "upload_url_expires_seconds",
    "max_photo_bytes",
    "max_video_bytes",
    "pending_upload_ttl_seconds",
    "multipart_threshold_bytes",
    "multipart_part_bytes",
    "multipart_upload_expires_seconds",
    "media_url_expires_seconds",
    "max_image_pixels",
    "web_video_min_bytes",
    "max_body_bytes",
    "refresh_token_validity_seconds",
    "viewer_cookie_seconds",
    "sweep_pending_grace_seconds",
    "sweep_stuck_after_seconds",
    "sweep_max_redrives",
    "sweep_batch_size",
    "sweep_orphan_min_age_seconds",
    "sweep_orphan_keys_per_run",
}
_FLOATS = {
    "max_video_seconds",
    "ffmpeg_timeout_seconds",
    "cognito_timeout_seconds",
    "processing_margin_seconds",
    "web_rendition_timeout_seconds",
}
_TUPLES = {"cognito_client_ids", "allowed_origins"}


def _coerce(name: str, raw: str) -> Any:
    if name in _INTS:
        return int(raw)
    if name in _FLOATS:
        return float(raw)
    if name in _TUPLES:
        return _split(raw)
    if name == "rendition_widths":
        return tuple(sorted(int(w) for w in _split(raw)))
    return raw


@cache
def get_settings() -> Settings:
    """Settings for this process, read once (a Lambda container keeps them warm)."""
    return Settings.from_env()
