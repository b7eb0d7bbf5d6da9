"""MediaStorage.put_file: one PutObject for small files, boto3's multipart upload for big ones;
either way S3 holds exactly the file's bytes with the headers asked for (real moto S3)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from boulderstat.local.stack import LocalStack
from boulderstat.media.storage import MediaStorage


@pytest.fixture
def storage(stack: LocalStack, quiet_bucket: str) -> MediaStorage:
    return MediaStorage(stack.client("s3"), quiet_bucket)


@pytest.mark.parametrize(
    ("size", "parts"),
    [
        (300_000, None),  # a rendition: one PutObject, so S3's ETag is the MD5 of the bytes
        (9 * 1024 * 1024, 2),  # above boto3's 8 MiB threshold: a multipart ETag "<md5>-2"
    ],
)
def test_put_file_stores_the_bytes_with_their_headers(
    storage: MediaStorage, stack: LocalStack, tmp_path: Path, size: int, parts: int | None
) -> None:
    data = os.urandom(size)
    path = tmp_path / "w960.webp"
    path.write_bytes(data)

    storage.put_file(
        "derived/u/m/e/w960.webp", path, content_type="image/webp", cache_control="max-age=9"
    )

    s3 = stack.client("s3")
    got = s3.get_object(Bucket=storage.bucket, Key="derived/u/m/e/w960.webp")
    assert got["Body"].read() == data
    assert got["ContentType"] == "image/webp"
    assert got["CacheControl"] == "max-age=9"
    etag = got["ETag"].strip('"')
    if parts is None:
        assert etag == hashlib.md5(data).hexdigest()
    else:
        assert etag.endswith(f"-{parts}")
