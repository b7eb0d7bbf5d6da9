"""moto's S3 GETs read only what they return (`boulderstat.local.object_reads`).

Also the canary for the moto internals that module patches: a moto upgrade that moves them
fails here first. Real moto over HTTP (the session stack's), real boto3.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError

from boulderstat.local.object_reads import served_bytes
from boulderstat.local.stack import LocalStack

SIZE = 6 * 1024 * 1024 + 123


@pytest.fixture
def stored(stack: LocalStack) -> Iterator[tuple[object, str, str, bytes]]:
    assert stack.settings is not None
    s3, bucket = stack.client("s3"), stack.settings.media_bucket
    key = f"scratch/object-reads/{uuid.uuid4().hex}"
    data = os.urandom(SIZE)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    yield s3, bucket, key, data
    s3.delete_object(Bucket=bucket, Key=key)


def test_a_ranged_get_sends_only_its_range(stored: tuple[object, str, str, bytes]) -> None:
    s3, bucket, key, data = stored
    before = served_bytes[(bucket, key)]

    head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=100-163")  # type: ignore[attr-defined]

    assert head["Body"].read() == data[100:164]
    assert head["ContentRange"] == f"bytes 100-163/{SIZE}"
    assert served_bytes[(bucket, key)] - before == 64
    tail = s3.get_object(Bucket=bucket, Key=key, Range="bytes=-10")  # type: ignore[attr-defined]
    assert tail["Body"].read() == data[-10:]


def test_a_whole_get_streams_every_byte(stored: tuple[object, str, str, bytes]) -> None:
    s3, bucket, key, data = stored

    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]

    assert body == data


def test_a_reader_that_stops_early_costs_little(stored: tuple[object, str, str, bytes]) -> None:
    s3, bucket, key, _ = stored
    url = s3.generate_presigned_url(  # type: ignore[attr-defined]
        "get_object", Params={"Bucket": bucket, "Key": key}
    )
    before = served_bytes[(bucket, key)]

    with requests.get(url, headers={"Range": "bytes=0-"}, stream=True, timeout=10) as response:
        assert response.status_code == 206
        assert len(next(response.iter_content(64 * 1024))) > 0  # then it hangs up

    assert served_bytes[(bucket, key)] - before < SIZE / 2


def test_conditions_still_hold(stored: tuple[object, str, str, bytes]) -> None:
    s3, bucket, key, _ = stored

    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key=key, IfMatch='"not-this-version"')  # type: ignore[attr-defined]

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
