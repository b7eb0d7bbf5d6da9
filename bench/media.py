"""Benchmark inputs, generated on first use and cached under the system temp dir."""

from __future__ import annotations

import random
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageCms, ImageDraw, ImageOps

# Bump when a generator changes, so stale cached files are not reused.
_VERSION = "v1"
CACHE = Path(tempfile.gettempdir()) / "boulderstat-bench"


def climbing_wall(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """Photo-like content: textured panels, 180 colourful holds, bolt lines and sensor grain.

    Synthetic, so it compresses roughly (not exactly) like a real photo of a wall.
    """
    rng = random.Random(seed)
    width, height = size

    def noise_layer(divisor: int) -> Image.Image:
        small = (max(2, width // divisor), max(2, height // divisor))
        return Image.effect_noise(small, 50).resize(size, Image.Resampling.BICUBIC)

    texture = noise_layer(256)
    for divisor, weight in ((64, 0.5), (16, 0.35), (4, 0.2)):
        texture = Image.blend(texture, noise_layer(divisor), weight)
    scene = ImageOps.colorize(
        ImageOps.autocontrast(texture, cutoff=2), black=(70, 62, 55), white=(225, 215, 198)
    )
    draw = ImageDraw.Draw(scene)
    for x in range(0, width, width // 6):
        draw.line([(x, 0), (x, height)], fill=(60, 55, 50), width=max(2, width // 1500))
    colours = [
        (220, 30, 40),
        (30, 90, 210),
        (250, 200, 20),
        (30, 160, 70),
        (240, 120, 20),
        (150, 40, 170),
        (20, 20, 20),
    ]
    for _ in range(180):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.008, 0.03) * width
        colour = rng.choice(colours)
        squash = rng.uniform(0.5, 1)
        draw.ellipse([cx - r, cy - r * squash, cx + r, cy + r * squash], fill=colour)
        shade = tuple(max(0, v - 50) for v in colour)
        draw.ellipse([cx - r * 0.3, cy + r * 0.1, cx + r * 0.5, cy + r * 0.5], fill=shade)
    grain = ImageOps.colorize(Image.effect_noise(size, 12), (0, 0, 0), (255, 255, 255))
    return Image.blend(scene, grain, 0.04)


def _cached(name: str, make: Callable[[Path], None]) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{_VERSION}-{name}"
    if not path.exists():
        partial = path.with_name(path.name + ".partial" + path.suffix)
        make(partial)
        partial.rename(path)
    return path


def phone_jpeg_24mp() -> Path:
    """6000x4000 as the sensor stores it, EXIF orientation 6 (portrait), q92, sRGB profile."""

    def make(path: Path) -> None:
        exif = Image.Exif()
        exif[0x0112] = 6
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        climbing_wall((6000, 4000)).save(
            path, "JPEG", quality=92, exif=exif.tobytes(), icc_profile=srgb
        )

    return _cached("phone-24mp.jpg", make)


def png_60mp() -> Path:
    """10000x6000 PNG, the largest photo max_pixels allows, in a format without DCT scaling."""

    def make(path: Path) -> None:
        climbing_wall((10000, 6000)).save(path, "PNG", compress_level=1)

    return _cached("max-60mp.png", make)


def wall_3000x2000() -> Path:
    """Source pixels for the WebP encoder table (kept lossless)."""

    def make(path: Path) -> None:
        climbing_wall((3000, 2000)).save(path, "PNG", compress_level=1)

    return _cached("wall-3000x2000.png", make)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=600)


def clip_4k() -> Path:
    """10 s 3840x2160 30 fps H.264 + AAC, a keyframe every second (-g 30)."""

    def make(path: Path) -> None:
        _ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30:duration=10",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "30",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4", str(path),
        )  # fmt: skip

    return _cached("clip-4k-10s.mp4", make)


def clip_1080p() -> Path:
    """10 s 1920x1080 30 fps H.264 + AAC with sensor-like noise, at a phone-like ~17 Mb/s."""

    def make(path: Path) -> None:
        _ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=10,noise=alls=10:allf=t",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10",
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", "17M", "-maxrate", "17M",
            "-bufsize", "34M", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
            "-f", "mp4", str(path),
        )  # fmt: skip

    return _cached("clip-1080p-10s.mp4", make)


def _looped(
    name: str,
    segment_args: list[str],
    seconds: int,
    segment_seconds: int,
    *,
    moov_at_end: bool = False,
    cut_to: float | None = None,
) -> Path:
    """A long phone-like clip made cheaply: encode `segment_seconds`, then stream-copy it
    back to back (no re-encode) to `seconds`. Decoding costs the same as a real clip of that
    length with that bitrate and GOP; only the content repeats. `moov_at_end`: the index
    after the media data, as a phone's camera writes it (it cannot know the index up front).
    `cut_to`: seconds to keep (audio priming makes the loops a little longer than `seconds`)."""

    def make(path: Path) -> None:
        segment = path.with_name(path.stem + "-segment" + path.suffix)
        _ffmpeg(*segment_args, str(segment))
        loops = seconds // segment_seconds - 1
        cut = ["-t", f"{cut_to}"] if cut_to else []
        _ffmpeg("-stream_loop", str(loops), "-i", str(segment), *cut, "-c", "copy",
                "-tag:v", "hvc1" if "hevc" in name else "avc1",
                *([] if moov_at_end else ["-movflags", "+faststart"]), str(path))  # fmt: skip
        segment.unlink()

    return _cached(name, make)


def phone_1080p_h264_60s() -> Path:
    """60 s 1920x1080 30 fps H.264 High + AAC at a phone's ~17-24 Mb/s (noise makes x264 spend
    more), a keyframe every second: an Android phone's default camera clip (about 180 MB)."""
    segment = [
        "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=2,noise=alls=10:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", "17M", "-maxrate", "17M",
        "-bufsize", "34M", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
    ]  # fmt: skip
    return _looped("phone-1080p-h264-60s.mp4", segment, 60, 2)


def phone_4k_hevc_60s() -> Path:
    """60 s 3840x2160 30 fps HEVC Main + AAC in a QuickTime file, ~40 Mb/s, a keyframe every
    second: an iPhone's 4K clip (about 300 MB; not playable in every browser)."""
    segment = [
        "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30:duration=2,noise=alls=8:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
        "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "40M",
        "-x265-params", "keyint=30:min-keyint=30:log-level=error", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "192k",
    ]  # fmt: skip
    return _looped("phone-4k-hevc-60s.mov", segment, 60, 2)


def phone_4k_hevc_180s() -> Path:
    """The longest and largest clip we accept: ~179.6 s (the limit is 180) of 3840x2160 30 fps
    HEVC + AAC in a QuickTime file at an iPhone's ~21 Mb/s (about 505 MB, under the 500 MiB
    = 524 MB cap), a keyframe every second, its index (moov) after the media data as a camera
    writes it."""
    segment = [
        "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30:duration=2,noise=alls=8:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
        "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "21M",
        "-x265-params", "keyint=30:min-keyint=30:log-level=error", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "192k",
    ]  # fmt: skip
    return _looped(
        "phone-4k-hevc-180s-moov-at-end.mov", segment, 180, 2, moov_at_end=True, cut_to=179.5
    )


def prepare_all() -> None:
    """Generates whatever is missing from the cache (a few minutes on 2 cores)."""
    for make in (
        phone_jpeg_24mp,
        png_60mp,
        wall_3000x2000,
        clip_4k,
        clip_1080p,
        phone_1080p_h264_60s,
        phone_4k_hevc_60s,
        phone_4k_hevc_180s,
    ):
        make()


if __name__ == "__main__":
    prepare_all()
