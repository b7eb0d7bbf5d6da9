"""The presigned POST we hand out: the local stack does not enforce it, so we read it back."""

import base64
import json
from datetime import UTC, datetime, timedelta

import boto3
from botocore.config import Config

from boulderstat.media.storage import MediaStorage


def _s3() -> object:
    # Presigning is local computation: no endpoint is contacted. The endpoint is explicit so an
    # AWS_ENDPOINT_URL exported by the local stack does not apply.
    return boto3.session.Session().client(
        "s3",
        region_name="eu-west-1",
        endpoint_url="https://s3.eu-west-1.amazonaws.com",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4"),
    )


def test_policy_pins_key_type_and_size() -> None:
    storage = MediaStorage(_s3(), "media-bucket")
    key = "uploads/u-1/019ab3c4d5e6f7a8b9c0d1e2f3a4b5c6.jpg"
    before = datetime.now(UTC)
    post = storage.presigned_post(key, content_type="image/jpeg", max_bytes=1234, expires_in=300)

    assert post.fields["key"] == key
    assert post.fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": "media-bucket"} in conditions
    assert {"key": key} in conditions  # exact key, not a starts-with prefix
    assert {"Content-Type": "image/jpeg"} in conditions  # exact type
    assert ["content-length-range", 1, 1234] in conditions
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + timedelta(seconds=290) <= expiration <= before + timedelta(seconds=310)


def test_presigned_get_is_signed_and_expires() -> None:
    url = MediaStorage(_s3(), "media-bucket").presigned_get("derived/u/m/w320.webp", expires_in=60)
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url
