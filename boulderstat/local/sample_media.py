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


def phone_video(path: Path, *, seconds: float = 3.0) -> Path:
    """A portrait phone clip: landscape frames with rotation metadata, H.264 + AAC.

    ffmpeg 5.1 drops `rotate` when encoding, so the rotation is added in a stream-copy remux.
    """
    encoded = path.with_suffix(".encoded.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "30",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(encoded),
        ],
        check=True,
        timeout=120,
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(encoded), "-c", "copy"]
        + ["-metadata:s:v:0", "rotate=90", "-movflags", "+faststart", str(path)],
        check=True,
        timeout=60,
    )
    encoded.unlink()
    return path


def iphone_clip(path: Path, *, seconds: float = 2.0) -> Path:
    """HEVC + AAC in a QuickTime MOV, as iPhones record: browsers can't play it directly."""
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={seconds}",
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error:keyint=30",
            "-tag:v",
            "hvc1",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-f",
            "mov",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path
