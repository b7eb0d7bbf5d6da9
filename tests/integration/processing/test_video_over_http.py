"""Probe and poster straight from S3: ffprobe and ffmpeg read a presigned GET with ranges.

Real moto over HTTP (the session stack's), real ffmpeg. Bytes are counted where moto sends them
(`boulderstat.local.object_reads.served_bytes`): what left the server, not what we hoped ffmpeg
would ask for. Expected values are literals, pixels and the file's own size.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from boulderstat.imaging import RemoteVideo, SourceUnavailable, UnprocessableMedia, process_video
from boulderstat.local.object_reads import served_bytes
from boulderstat.local.stack import LocalStack, free_port
from boulderstat.media.storage import MediaStorage
from tests import media_factory

Stored = Callable[[Path], tuple[str, RemoteVideo]]


@pytest.fixture
def storage(stack: LocalStack) -> MediaStorage:
    assert stack.settings is not None
    return MediaStorage(stack.client("s3"), stack.settings.media_bucket)


@pytest.fixture
def stored(storage: MediaStorage) -> Stored:
    """Puts a file outside uploads/ (no notification, no pipeline) and grants ranged reads."""

    def put(path: Path) -> tuple[str, RemoteVideo]:
        key = f"scratch/video-over-http/{uuid.uuid4().hex}/{path.name}"
        storage.put_file(key, path, content_type="video/mp4", cache_control="no-store")
        head = storage.head(key)
        assert head is not None
        grant = storage.read_grant(key, etag=head.etag, expires_in=300)
        return key, RemoteVideo(grant.url, head.size, grant.headers)

    return put


def _served(storage: MediaStorage, key: str) -> int:
    return served_bytes[(storage.bucket, key)]


def test_poster_of_a_phone_clip_whose_index_is_at_the_end(stored: Stored, tmp_path: Path) -> None:
    clip = media_factory.rotated_phone_mp4(tmp_path / "phone.mp4", size=(240, 320))
    boxes = [box for box, _, _ in media_factory.mp4_boxes(clip)]
    assert boxes.index("mdat") < boxes.index("moov")  # as a camera writes it
    _, remote = stored(clip)

    out = process_video(remote, tmp_path / "out", with_web=False)

    assert (out.probe.width, out.probe.height, out.probe.codec) == (240, 320, "h264")
    assert out.probe.duration == pytest.approx(1.0, abs=0.1)
    with Image.open(out.poster.rendition("poster-w320").path) as poster:
        assert media_factory.scene_corners(poster) == ("red", "blue", "white", "white")


def test_a_long_clip_is_probed_and_posted_from_a_small_part_of_its_bytes(
    stored: Stored, storage: MediaStorage, tmp_path: Path
) -> None:
    clip = media_factory.long_phone_clip(tmp_path / "long.mp4", seconds=20)
    size = clip.stat().st_size
    assert size > 40_000_000
    key, remote = stored(clip)
    before = _served(storage, key)

    out = process_video(remote, tmp_path / "out", with_web=False)

    assert out.probe.duration == pytest.approx(20.0, abs=0.2)
    assert out.needs_web  # bigger than web_min_bytes: decided from the size, not a download
    read = _served(storage, key) - before
    assert 0 < read < size / 3, f"{read} of {size} bytes"


def test_a_truncated_clip_over_http_is_unreadable_not_unavailable(
    stored: Stored, tmp_path: Path
) -> None:
    _, remote = stored(media_factory.truncated_mp4(tmp_path / "cut.mp4"))

    with pytest.raises(UnprocessableMedia) as caught:
        process_video(remote, tmp_path / "out", with_web=False)

    assert caught.value.code == "unreadable"
    assert "moov atom not found" in caught.value.detail


def test_a_replaced_original_is_unavailable_not_unreadable(
    stored: Stored, storage: MediaStorage, tmp_path: Path
) -> None:
    key, remote = stored(media_factory.h264_mp4(tmp_path / "first.mp4", seconds=1.0))
    storage.put_file(
        key,
        media_factory.h264_mp4(tmp_path / "second.mp4", seconds=2.0),
        content_type="video/mp4",
        cache_control="no-store",
    )

    with pytest.raises(SourceUnavailable) as caught:  # If-Match: S3 answers 412
        process_video(remote, tmp_path / "out", with_web=False)

    assert "412" in caught.value.detail or "4XX" in caught.value.detail
    assert "Signature" not in caught.value.detail  # the signed URL is a credential: not logged
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_unreachable_source_is_unavailable(tmp_path: Path) -> None:
    nowhere = RemoteVideo(f"http://127.0.0.1:{free_port()}/bucket/clip.mp4", 1000)

    with pytest.raises(SourceUnavailable):
        process_video(nowhere, tmp_path / "out", with_web=False)
