from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from boulderstat.imaging import (
    UnprocessableMedia,
    VideoProbe,
    make_web_rendition,
    probe_video,
    process_video,
)
from boulderstat.imaging import video as video_module
from tests import media_factory

UPRIGHT = ("red", "blue", "white", "white")


def _ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return json.loads(result.stdout)


def _first_frame(path: Path, tmp_path: Path) -> Image.Image:
    frame = tmp_path / "frame.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", path, "-frames:v", "1", frame],
        check=True,
        timeout=30,
    )
    return Image.open(frame)


def _assert_faststart(path: Path) -> None:
    kinds = [kind for kind, _, _ in media_factory.mp4_boxes(path)]
    assert "moov" in kinds and "mdat" in kinds
    assert kinds.index("moov") < kinds.index("mdat"), kinds


# --- probe -----------------------------------------------------------------------------


def test_probe_h264_with_audio(h264_clip: Path) -> None:
    probe = probe_video(h264_clip, timeout=30)

    assert probe.duration == pytest.approx(2.0, abs=0.1)
    assert (probe.width, probe.height, probe.rotation) == (320, 240, 0)
    assert (probe.codec, probe.container, probe.fps) == ("h264", "mp4", 30.0)
    assert probe.has_audio and probe.audio_codec == "aac"
    assert probe.plays_in_browsers


def test_probe_reports_phone_rotation_as_displayed(rotated_clip: Path) -> None:
    probe = probe_video(rotated_clip, timeout=30)

    assert probe.rotation == 90
    assert (probe.width, probe.height) == (240, 320)  # portrait, as a player shows it
    assert not probe.has_audio


def test_probe_hevc_mov(hevc_clip: Path) -> None:
    probe = probe_video(hevc_clip, timeout=30)

    assert (probe.codec, probe.container) == ("hevc", "mov")
    assert not probe.plays_in_browsers


def test_probe_vp9_webm(tmp_path: Path) -> None:
    probe = probe_video(media_factory.vp9_webm(tmp_path / "clip.webm"), timeout=30)

    assert (probe.codec, probe.audio_codec, probe.container) == ("vp9", "opus", "webm")
    assert probe.duration == pytest.approx(1.0, abs=0.1)
    assert probe.plays_in_browsers


@pytest.mark.parametrize(
    ("stream", "rotation"),
    [
        ({}, 0),
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}, 90),
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": 90}]}, 270),
        ({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": 180}]}, 180),
        ({"tags": {"rotate": "90"}}, 90),  # what older ffprobe versions print instead
        ({"tags": {"rotate": "-90"}}, 270),
    ],
)
def test_rotation_is_clockwise_degrees(stream: dict[str, Any], rotation: int) -> None:
    assert video_module._rotation(stream) == rotation


@pytest.mark.parametrize(
    ("probe", "plays"),
    [
        (VideoProbe(1, 2, 2, "h264", 30, True, 0, "mp4", "aac", "yuv420p"), True),
        (VideoProbe(1, 2, 2, "vp9", 30, True, 0, "webm", "opus", "yuv420p"), True),
        (VideoProbe(1, 2, 2, "h264", 30, True, 0, "mov", "aac", "yuv420p"), False),
        (VideoProbe(1, 2, 2, "h264", 30, False, 0, "mp4", None, "yuv420p10le"), False),
        (VideoProbe(1, 2, 2, "h264", 30, True, 0, "mp4", "pcm_s16le", "yuv420p"), False),
        (VideoProbe(1, 2, 2, "h264", 30, False, 0, "matroska", None, "yuv420p"), False),
    ],
)
def test_which_originals_play_in_browsers(probe: VideoProbe, plays: bool) -> None:
    assert probe.plays_in_browsers is plays


# --- processing ------------------------------------------------------------------------


def test_small_browser_friendly_clip_gets_a_poster_and_no_web_copy(
    h264_clip: Path, tmp_path: Path
) -> None:
    out = process_video(h264_clip, tmp_path / "out")

    assert out.web is None
    assert out.poster_at == pytest.approx(0.2)  # 10% of 2 s
    assert [(r.name, r.path.name, r.width, r.height) for r in out.poster.renditions] == [
        ("poster-w320", "poster-320.webp", 320, 240),
        ("poster-w960-jpeg", "poster-960.jpg", 320, 240),
    ]
    assert out.placeholder == out.poster.placeholder != ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "poster-320.webp",
        "poster-960.jpg",
    ]


def test_large_clip_gets_a_web_copy_without_metadata(h264_clip: Path, tmp_path: Path) -> None:
    out = process_video(h264_clip, tmp_path / "out", web_min_bytes=0)

    assert out.web is not None
    assert (out.web.name, out.web.path.name, out.web.format) == ("web", "web.mp4", "mp4")
    assert out.web.content_type == "video/mp4"
    assert out.web.bytes == out.web.path.stat().st_size
    report = _ffprobe(out.web.path)
    video, audio = report["streams"]
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"]) == (out.web.width, out.web.height) == (320, 240)
    assert audio["codec_name"] == "aac"
    assert "location" not in report["format"].get("tags", {})
    assert "location" in _ffprobe(h264_clip)["format"]["tags"]  # the original had one
    _assert_faststart(out.web.path)


def test_the_poster_step_leaves_a_due_web_rendition_to_its_own_step(
    hevc_clip: Path, tmp_path: Path
) -> None:
    first = process_video(hevc_clip, tmp_path / "first", with_web=False)
    assert first.web is None and first.needs_web  # HEVC in a QuickTime file: not for every browser
    assert sorted(p.name for p in (tmp_path / "first").iterdir()) == sorted(
        r.path.name for r in first.poster.renditions
    )
    web = make_web_rendition(hevc_clip, tmp_path / "later", timeout=60)
    assert (web.name, web.path, web.format) == ("web", tmp_path / "later" / "web.mp4", "mp4")
    played = probe_video(web.path, timeout=30)
    assert (played.codec, played.container) == ("h264", "mp4")
    assert (played.width, played.height) == (320, 240)


def test_hevc_mov_is_transcoded_to_h264_mp4(hevc_clip: Path, tmp_path: Path) -> None:
    out = process_video(hevc_clip, tmp_path / "out")

    assert out.web is not None
    web = probe_video(out.web.path, timeout=30)
    assert (web.codec, web.container, web.pixel_format) == ("h264", "mp4", "yuv420p")
    assert web.plays_in_browsers
    assert (web.width, web.height) == (320, 240)
    _assert_faststart(out.web.path)


def test_rotated_phone_clip_gives_upright_poster_and_web_copy(
    rotated_clip: Path, tmp_path: Path
) -> None:
    out = process_video(rotated_clip, tmp_path / "out", web_min_bytes=0)

    poster = out.poster.renditions[0]
    assert (poster.width, poster.height) == (240, 320)
    assert media_factory.scene_corners(Image.open(poster.path)) == UPRIGHT
    assert out.web is not None
    web = probe_video(out.web.path, timeout=30)
    assert (web.width, web.height, web.rotation) == (240, 320, 0)  # turned once, not twice
    assert media_factory.scene_corners(_first_frame(out.web.path, tmp_path)) == UPRIGHT


def test_clip_shorter_than_a_second_uses_its_first_frame(short_clip: Path, tmp_path: Path) -> None:
    out = process_video(short_clip, tmp_path / "out")

    assert out.probe.duration == pytest.approx(0.3, abs=0.05)
    assert out.poster_at == 0.0
    assert out.poster.renditions[0].path.stat().st_size > 0


def test_poster_falls_back_to_the_first_frame_when_the_seek_finds_none(tmp_path: Path) -> None:
    # The picture stops after 0.5 s but the sound (and so the file) runs for 12 s: seeking to
    # 1 s finds no frame.
    src = media_factory.h264_mp4(tmp_path / "clip.mp4", seconds=0.5, audio_seconds=12)

    out = process_video(src, tmp_path / "out")

    assert out.probe.duration == pytest.approx(12, abs=0.1)
    assert out.poster_at == 0.0
    assert out.poster.renditions[0].path.stat().st_size > 0


def test_no_scratch_files_are_left_behind(
    h264_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    process_video(h264_clip, tmp_path / "out", web_min_bytes=0)

    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1.5, "1.5 s"), (2.0, "2 s"), (59.96, "60 s"), (180, "3 min"), (190.4, "3 min 10 s")],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert video_module._duration_text(seconds) == text


@pytest.mark.parametrize(
    ("duration", "offset"), [(0.3, 0.0), (0.99, 0.0), (2.0, 0.2), (10.0, 1.0), (90.0, 1.0)]
)
def test_poster_offset(duration: float, offset: float) -> None:
    assert video_module.poster_offset(duration) == pytest.approx(offset)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((3840, 2160), (1280, 720)),
        ((2160, 3840), (720, 1280)),
        ((1920, 1440), (960, 720)),
        ((640, 480), (640, 480)),
        ((641, 481), (640, 480)),
        ((4000, 1000), (1280, 320)),
    ],
)
def test_web_size_fits_720p_and_stays_even(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert video_module.web_size(*size) == expected


# --- bad input -------------------------------------------------------------------------


def _refused(src: Path, out_dir: Path, **kwargs: float) -> UnprocessableMedia:
    with pytest.raises(UnprocessableMedia) as caught:
        process_video(src, out_dir, **kwargs)  # type: ignore[arg-type]
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert str(caught.value) == caught.value.reason
    return caught.value


def test_audio_only_mp4(tmp_path: Path) -> None:
    src = media_factory.audio_only_mp4(tmp_path / "memo.mp4")

    assert _refused(src, tmp_path / "out").code == "no_video_stream"


def test_song_with_cover_art_is_not_a_video(tmp_path: Path) -> None:
    src = media_factory.mp3_with_cover_art(tmp_path / "song.mp3")

    assert _refused(src, tmp_path / "out").code == "no_video_stream"


def test_truncated_mp4(tmp_path: Path) -> None:
    src = media_factory.truncated_mp4(tmp_path / "cut.mp4")

    error = _refused(src, tmp_path / "out")

    assert error.code == "unreadable"
    assert "moov atom not found" in error.detail


def test_text_renamed_to_mp4(tmp_path: Path) -> None:
    src = media_factory.text_file(tmp_path / "clip.mp4")

    assert _refused(src, tmp_path / "out").code == "unreadable"


def test_photo_uploaded_as_video(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "photo.jpg", (64, 64))

    assert _refused(src, tmp_path / "out").code == "not_video"


def test_too_long(h264_clip: Path, tmp_path: Path) -> None:
    error = _refused(h264_clip, tmp_path / "out", max_seconds=1.5)

    assert error.code == "too_long"
    assert error.reason.startswith("This video is 2 s long; the limit is 1.5 s.")


def test_a_job_out_of_time_is_refused(h264_clip: Path, tmp_path: Path) -> None:
    error = _refused(h264_clip, tmp_path / "out", timeout=0)

    assert error.code == "timeout"


def test_a_tool_that_runs_too_long_is_killed() -> None:
    endless = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2", "-f", "null", "-"]

    with pytest.raises(UnprocessableMedia) as caught:
        video_module._run(endless, video_module._Deadline(0.5))

    assert caught.value.code == "timeout"
    assert "took too long" in caught.value.reason


def test_missing_file_is_not_the_uploaders_fault(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_video(tmp_path / "nowhere.mp4", timeout=10)
