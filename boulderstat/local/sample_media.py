"""Media a climber's phone would upload, generated on the spot (nothing binary in the repo)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw


def sideways_photo(path: Path) -> Path:
    """A JPEG stored sideways with EXIF orientation 6 and a GPS block, as phones write them.

    The upright scene has a red marker at the top-left: after orientation it must be there.
    """
    upright = Image.new("RGB", (3000, 4000), (90, 120, 160))
    draw = ImageDraw.Draw(upright)
    draw.rectangle((0, 0, 600, 600), fill=(220, 30, 30))  # top-left marker
    draw.polygon([(600, 3800), (1500, 900), (2400, 3800)], fill=(200, 190, 170))  # a boulder
    for x, y in ((1300, 2000), (1600, 1500), (1450, 1200)):
        draw.ellipse((x, y, x + 90, y + 90), fill=(250, 220, 0))  # holds
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what orientation 6 undoes
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BoulderPhone"
    gps = {1: "N", 2: (46.0, 36.0, 12.5), 3: "E", 4: (8.0, 33.0, 3.2)}
    exif[0x8825] = gps
    stored.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def transparent_png(path: Path) -> Path:
    """A PNG with an alpha channel: a hold-shaped sticker on transparency."""
    image = Image.new("RGBA", (1200, 900), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 150, 1000, 750), fill=(30, 160, 90, 255))
    draw.ellipse((450, 350, 750, 550), fill=(0, 0, 0, 0))
    image.save(path, "PNG")
    return path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def _clip(size: str, seconds: float, tone_hz: int) -> list[str]:
    """A test pattern with a sine tone: what a phone would have filmed, minus the climber."""
    return [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate=30:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={tone_hz}:duration={seconds}",
        "-shortest",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ]


def phone_video(path: Path, *, seconds: float = 3.0) -> Path:
    """A portrait phone clip: landscape frames with rotation metadata, H.264 + AAC.

    ffmpeg 5.1 drops `rotate` when encoding, so the rotation is added in a stream-copy remux.
    """
    encoded = path.with_suffix(".encoded.mp4")
    h264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "30"]
    _ffmpeg(*_clip("1280x720", seconds, 440), *h264, str(encoded))
    rotate = ["-c", "copy", "-metadata:s:v:0", "rotate=90", "-movflags", "+faststart"]
    _ffmpeg("-i", str(encoded), *rotate, str(path))
    encoded.unlink()
    return path


def iphone_clip(path: Path, *, seconds: float = 2.0) -> Path:
    """HEVC + AAC in a QuickTime MOV, as iPhones record: browsers can't play it directly."""
    hevc = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=30"]
    _ffmpeg(*_clip("1920x1080", seconds, 330), *hevc, "-tag:v", "hvc1", "-f", "mov", str(path))
    return path


def long_phone_clip(path: Path, *, seconds: int = 30) -> Path:
    """A large 1080p H.264 + AAC clip at a phone's bitrate (~20 Mb/s): big enough for a
    resumable multipart upload and a web rendition. Made cheaply: a 2 s segment with sensor-like
    noise, stream-copied back to back."""
    segment = path.with_suffix(".segment.mp4")
    noise = "testsrc2=size=1920x1080:rate=30:duration=2,noise=alls=10:allf=t"
    _ffmpeg(
        "-f", "lavfi", "-i", noise, "-f", "lavfi", "-i", "sine=frequency=392:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M", "-g", "30",
        "-pix_fmt", "yuv420p", "-c:a", "aac", str(segment),
    )  # fmt: skip
    loops = max(0, seconds // 2 - 1)
    _ffmpeg("-stream_loop", str(loops), "-i", str(segment), "-c", "copy",
            "-movflags", "+faststart", str(path))  # fmt: skip
    segment.unlink()
    return path
