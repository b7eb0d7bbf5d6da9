"""Videos are made once per test session (ffmpeg is the slow part); photos per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import media_factory


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def h264_clip(video_dir: Path) -> Path:
    """2 s, 320x240, H.264 + AAC, with a GPS location in the container metadata."""
    return media_factory.h264_mp4(video_dir / "clip.mp4", location="+46.5000+007.9833/")


@pytest.fixture(scope="session")
def rotated_clip(video_dir: Path) -> Path:
    return media_factory.rotated_phone_mp4(video_dir / "portrait.mp4")


@pytest.fixture(scope="session")
def hevc_clip(video_dir: Path) -> Path:
    return media_factory.hevc_mov(video_dir / "iphone.mov")


@pytest.fixture(scope="session")
def short_clip(video_dir: Path) -> Path:
    return media_factory.h264_mp4(video_dir / "short.mp4", seconds=0.3, audio=False)
