"""Video probe, poster and web-playable rendition, by running ffprobe and ffmpeg.

Every run has a timeout taken from one deadline for the whole job (a Lambda has a fixed time
budget), and a file that can't be handled within it is UnprocessableMedia: the same file would
time out again. The original is only ever read by ffmpeg, never into Python's memory.

* Source: a local file, or a `RemoteVideo` (an HTTP(S) URL, e.g. a presigned S3 GET) that
  ffprobe and ffmpeg read with range requests: the probe reads the container's index (a
  phone's `moov` after the media data costs one seek to it) and the poster the frames around
  one keyframe, so the first view costs a few MB of a file of hundreds, whatever its length,
  and no copy of the original on disk. A URL that cannot be read is SourceUnavailable, never
  the file's fault.
* Poster: taken at min(1 s, 10% of the duration) with input seeking (`-ss` before `-i`), so
  ffmpeg jumps to the keyframe before that point instead of decoding everything up to it; clips
  shorter than 1 s, or a seek that yields no frame, use the first frame. ffmpeg applies the
  rotation from the container, so the frame is upright; its renditions come from process_photo.
* Web rendition (`web.mp4`): H.264 High/yuv420p, CRF 28, preset veryfast, AAC 128 kb/s stereo,
  `+faststart`, at most 30 fps, scaled (never up) to fit 1280x720 when landscape or 720x1280
  when portrait, even dimensions, no metadata (phones put GPS in it). Due when the original is
  bigger than `web_min_bytes` or not playable in every browser (see VideoProbe). The pipeline
  makes it in a step of its own (`make_web_rendition`), after the poster: a long clip's first
  view must not wait for its transcode.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, NamedTuple

import ffmpeg

from boulderstat.imaging.errors import SourceUnavailable, UnprocessableMedia
from boulderstat.imaging.outputs import PhotoOutput, RenditionFile, VideoOutput, VideoProbe
from boulderstat.imaging.photo import process_photo

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

POSTER_MAX_OFFSET = 1.0
POSTER_FRACTION = 0.1
WEB_BOX = (1280, 720)
WEB_CRF = 28
WEB_PRESET = "veryfast"
WEB_MAX_FPS = 30
WEB_AUDIO_BITRATE = "128k"
_STDERR_TAIL = 2000

# Demuxers that ffprobe also uses for still images: a photo uploaded as a video.
_STILL_IMAGE_FORMATS = frozenset({"image2", "gif", "apng", "webp", "png", "mjpeg"})


# What ffmpeg prints when an HTTP source, not the file, failed: refused, an HTTP error status,
# a dropped connection. Anything else from a URL is judged as it would be from a file.
_NETWORK_FAILURE = re.compile(
    r"Server returned|HTTP error|Connection refused|Connection timed out|Connection reset"
    r"|Failed to resolve|Network is unreachable|Stream ends prematurely|Broken pipe"
)
_REMOTE_PROTOCOLS = "http,https,tcp,tls"  # nothing in a file may send ffmpeg anywhere else


@dataclass(frozen=True)
class RemoteVideo:
    """A video ffmpeg reads over HTTP(S) with range requests; `headers` go with every request
    (e.g. `If-Match`, so a replaced original is refused rather than read half old, half new)."""

    url: str
    size: int
    headers: Mapping[str, str] = field(default_factory=dict)

    def input_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "protocol_whitelist": _REMOTE_PROTOCOLS,
            "reconnect": 1,  # a dropped connection mid-read resumes at the same offset
            "reconnect_on_network_error": 1,
            "reconnect_delay_max": 2,
        }
        if self.headers:
            options["headers"] = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        return options


VideoSource = Path | RemoteVideo


def _location(src: VideoSource) -> tuple[str, dict[str, Any]]:
    """What ffmpeg/ffprobe get for `-i`, and the input options that go before it."""
    if isinstance(src, RemoteVideo):
        return src.url, src.input_options()
    src.stat()  # a missing file is the caller's problem, not a bad upload
    return str(src), {}


def _size(src: VideoSource) -> int:
    return src.size if isinstance(src, RemoteVideo) else src.stat().st_size


def _checked(
    result: subprocess.CompletedProcess[bytes], src: VideoSource
) -> subprocess.CompletedProcess[bytes]:
    """A URL's read failure is SourceUnavailable; a file's failure stays the caller's to judge.

    ffmpeg names the URL in its errors: its signature is a credential, so it never reaches a
    log (only the part before the query).
    """
    if result.returncode != 0 and isinstance(src, RemoteVideo):
        result.stderr = result.stderr.replace(
            src.url.encode(), src.url.split("?", 1)[0].encode() + b"?(signed)"
        )
        stderr = _tail(result.stderr)
        if _NETWORK_FAILURE.search(stderr):
            raise SourceUnavailable(stderr)
    return result


class _Probed(NamedTuple):
    probe: VideoProbe
    video_stream: int


class _Deadline:
    """One time budget shared by every ffmpeg/ffprobe run of a job."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise _too_slow()
        return left


def _too_slow(detail: str = "") -> UnprocessableMedia:
    return UnprocessableMedia(
        "Processing this video took too long. Shorter or smaller videos work best.",
        code="timeout",
        detail=detail,
    )


def _run(args: list[str], deadline: _Deadline) -> subprocess.CompletedProcess[bytes]:
    """Runs a tool to completion or kills it when the job's time is up."""
    try:
        return subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=deadline.remaining(),
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise _too_slow(" ".join(args)) from error


def _tail(stderr: bytes) -> str:
    return stderr.decode("utf-8", "replace")[-_STDERR_TAIL:]


def _unreadable(detail: str) -> UnprocessableMedia:
    return UnprocessableMedia(
        "This video file is damaged or in a format we can't read.", code="unreadable", detail=detail
    )


def _rate(value: str | None) -> float:
    try:
        rate = Fraction(value or "0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate)


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise degrees a player turns the frames: the display matrix, else the old tag."""
    degrees: float | None = None
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            # ffprobe reports the display matrix's angle counter-clockwise.
            degrees = -float(side_data["rotation"])
            break
    if degrees is None:
        try:
            degrees = float(stream.get("tags", {}).get("rotate", 0))
        except ValueError:
            degrees = 0
    return int(round(degrees / 90) * 90) % 360


def _duration(fmt: dict[str, Any], stream: dict[str, Any]) -> float | None:
    for value in (fmt.get("duration"), stream.get("duration")):
        try:
            seconds = float(value) if value is not None else None
        except ValueError:
            seconds = None
        if seconds is not None and seconds > 0:
            return seconds
    # Matroska keeps it as a per-stream tag, "HH:MM:SS.nnnnnnnnn".
    tag = stream.get("tags", {}).get("DURATION")
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            return None
    return None


def _container(fmt: dict[str, Any], video_codec: str, audio_codec: str | None) -> str:
    names = fmt.get("format_name", "").split(",")
    if "mov" in names or "mp4" in names:
        # One demuxer reads both; only the brand tells a QuickTime file from an MP4.
        brand = fmt.get("tags", {}).get("major_brand", "").strip().lower()
        return "mov" if brand in ("", "qt") else "mp4"
    if "matroska" in names or "webm" in names:
        webm_codecs = {"vp8", "vp9", "av1"}
        webm_audio = {None, "opus", "vorbis"}
        is_webm = video_codec in webm_codecs and audio_codec in webm_audio
        return "webm" if is_webm else "matroska"
    return names[0] or "unknown"


def _parse_probe(report: dict[str, Any]) -> _Probed:
    fmt = report.get("format", {})
    streams = report.get("streams", [])
    if fmt.get("format_name", "") in _STILL_IMAGE_FORMATS or "_pipe" in fmt.get("format_name", ""):
        raise UnprocessableMedia(
            "This file is a still image, not a video. Upload it as a photo instead.",
            code="not_video",
        )
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    if not videos:
        raise UnprocessableMedia(
            "This file has no video in it (only sound, perhaps).", code="no_video_stream"
        )
    video = videos[0]
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _duration(fmt, video)
    if duration is None:
        raise UnprocessableMedia(
            "We couldn't tell how long this video is, so we can't process it.",
            code="unknown_duration",
        )
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise _unreadable("video stream without dimensions")
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    codec = video.get("codec_name", "unknown")
    audio_codec = audio.get("codec_name", "unknown") if audio else None
    probe = VideoProbe(
        duration=duration,
        width=width,
        height=height,
        codec=codec,
        fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        has_audio=audio is not None,
        rotation=rotation,
        container=_container(fmt, codec, audio_codec),
        audio_codec=audio_codec,
        pixel_format=video.get("pix_fmt", ""),
    )
    return _Probed(probe, int(video.get("index", 0)))


def _probe(src: VideoSource, deadline: _Deadline) -> _Probed:
    location, options = _location(src)
    args = [FFPROBE, "-v", "error"]
    for name, value in options.items():
        args += [f"-{name}", str(value)]
    args += ["-print_format", "json", "-show_format", "-show_streams", location]
    result = _checked(_run(args, deadline), src)
    if result.returncode != 0:
        raise _unreadable(_tail(result.stderr))
    try:
        report = json.loads(result.stdout)
    except ValueError as error:
        raise _unreadable(f"ffprobe printed no JSON: {error}") from error
    return _parse_probe(report)


def probe_video(src: VideoSource, *, timeout: float) -> VideoProbe:
    """What the video is, from its container headers; raises UnprocessableMedia if unreadable."""
    return _probe(src, _Deadline(timeout)).probe


def poster_offset(duration: float) -> float:
    """Seconds into the clip for the poster: past fades from black, before the action leaves."""
    if duration < POSTER_MAX_OFFSET:
        return 0.0
    return min(POSTER_MAX_OFFSET, POSTER_FRACTION * duration)


def _extract_frame(
    src: VideoSource,
    dst: Path,
    video_stream: int,
    at: float,
    deadline: _Deadline,
    *,
    input_seeking: bool = True,
) -> bool:
    """Writes one upright frame as a near-lossless JPEG; False if there is no frame there.

    JPEG because it is quick for ffmpeg to write and lets process_photo decode it with DCT
    scaling. `input_seeking=False` (decode from the start) exists only for the benchmark.
    """
    seek = {"ss": f"{at:.3f}"} if at > 0 else {}
    location, options = _location(src)
    source = ffmpeg.input(location, **options, **(seek if input_seeking else {}))
    args = (
        source[str(video_stream)]
        .output(
            str(dst),
            **(seek if not input_seeking else {}),
            an=None,
            sn=None,
            dn=None,
            f="image2",
            vcodec="mjpeg",
            **{"frames:v": 1, "q:v": 2},
        )
        .global_args("-nostdin", "-v", "error")
        .overwrite_output()
        .compile(cmd=FFMPEG)
    )
    result = _checked(_run(args, deadline), src)
    if result.returncode != 0:
        raise _unreadable(_tail(result.stderr))
    return dst.exists() and dst.stat().st_size > 0


def web_size(width: int, height: int) -> tuple[int, int]:
    """Fits the upright frame in 1280x720 (or 720x1280 if portrait), never up, even sides."""
    box_w, box_h = WEB_BOX if width >= height else WEB_BOX[::-1]
    scale = min(1.0, box_w / width, box_h / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def needs_web_rendition(probe: VideoProbe, size_bytes: int, web_min_bytes: int) -> bool:
    """Big originals waste the climber's data; others may not play at all."""
    return size_bytes > web_min_bytes or not probe.plays_in_browsers


def _transcode_web(src: Path, dst: Path, probed: _Probed, deadline: _Deadline) -> RenditionFile:
    probe = probed.probe
    width, height = web_size(probe.width, probe.height)
    source = ffmpeg.input(str(src))
    # ffmpeg rotates the frames upright before this filter, so width/height are the upright ones.
    streams = [source[str(probed.video_stream)].filter("scale", width, height).filter("setsar", 1)]
    if probe.has_audio:
        streams.append(source["a:0"])
    audio = (
        {"acodec": "aac", "audio_bitrate": WEB_AUDIO_BITRATE, "ac": 2} if probe.has_audio else {}
    )
    args = (
        ffmpeg.output(
            *streams,
            str(dst),
            f="mp4",
            vcodec="libx264",
            preset=WEB_PRESET,
            crf=WEB_CRF,
            pix_fmt="yuv420p",
            fpsmax=WEB_MAX_FPS,
            movflags="+faststart",
            map_metadata=-1,
            map_chapters=-1,
            **audio,
        )
        .global_args("-nostdin", "-v", "error")
        .overwrite_output()
        .compile(cmd=FFMPEG)
    )
    try:
        result = _run(args, deadline)
        if result.returncode != 0:
            raise _unreadable(_tail(result.stderr))
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    return RenditionFile(
        name="web",
        path=dst,
        width=width,
        height=height,
        bytes=dst.stat().st_size,
        format="mp4",
        content_type="video/mp4",
    )


def _make_poster(
    src: VideoSource,
    out_dir: Path,
    probed: _Probed,
    deadline: _Deadline,
    widths: Sequence[int],
    max_pixels: int,
    *,
    input_seeking: bool = True,
) -> tuple[float, PhotoOutput]:
    """Extracts the poster frame into a scratch folder and renders it like a photo."""
    with TemporaryDirectory(prefix="boulderstat-frame-") as scratch:
        frame = Path(scratch) / "poster.jpg"

        def extract(at: float) -> bool:
            return _extract_frame(
                src, frame, probed.video_stream, at, deadline, input_seeking=input_seeking
            )

        at = poster_offset(probed.probe.duration)
        found = extract(at)
        if not found and at > 0:
            at = 0.0
            found = extract(at)
        if not found:
            raise _unreadable("ffmpeg wrote no poster frame")
        poster = process_photo(
            frame, out_dir, widths=widths, max_pixels=max_pixels, name_prefix="poster-"
        )
    return at, poster


def process_video(
    src: VideoSource,
    out_dir: Path,
    *,
    widths: Sequence[int] = (320, 960, 1920),
    max_seconds: float = 180,
    web_min_bytes: int = 8 * 1024 * 1024,
    timeout: float = 120,
    max_pixels: int = 60_000_000,
    with_web: bool = True,
) -> VideoOutput:
    """Probes `src` (a file or a URL), writes poster renditions and maybe `web.mp4` into
    `out_dir` (the web rendition only from a file).

    `with_web=False` stops after the poster (the first view), leaving the web rendition to
    `make_web_rendition` in a step of its own; `needs_web` on the result says whether one is due.
    `timeout` bounds the whole job. Raises UnprocessableMedia for unreadable files, files
    without video, videos longer than `max_seconds` and jobs that run out of time, and
    SourceUnavailable for a URL that could not be read; nothing it wrote is left in `out_dir`
    then.
    """
    deadline = _Deadline(timeout)
    probed = _probe(src, deadline)
    probe = probed.probe
    if probe.duration > max_seconds:
        raise UnprocessableMedia(
            f"This video is {_duration_text(probe.duration)} long; the limit is "
            f"{_duration_text(max_seconds)}. Please trim it and upload it again.",
            code="too_long",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        at, poster = _make_poster(src, out_dir, probed, deadline, widths, max_pixels)
        written.extend(rendition.path for rendition in poster.renditions)
        web = None
        needs_web = needs_web_rendition(probe, _size(src), web_min_bytes)
        if needs_web and with_web:
            if not isinstance(src, Path):
                raise ValueError("the web rendition is made from a local copy of the original")
            web = _transcode_web(src, out_dir / "web.mp4", probed, deadline)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return VideoOutput(
        probe=probe,
        poster=poster,
        web=web,
        placeholder=poster.placeholder,
        poster_at=at,
        needs_web=needs_web,
    )


def make_web_rendition(src: Path, out_dir: Path, *, timeout: float = 120) -> RenditionFile:
    """Writes `web.mp4` (see the module docstring) into `out_dir`; probes `src` itself.

    Raises UnprocessableMedia for unreadable files and jobs that run out of `timeout`.
    """
    deadline = _Deadline(timeout)
    probed = _probe(src, deadline)
    out_dir.mkdir(parents=True, exist_ok=True)
    return _transcode_web(src, out_dir / "web.mp4", probed, deadline)


def _duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
