"""Small real photos and videos for media tests, made with Pillow and ffmpeg (cached per run)."""

from __future__ import annotations

import io
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

PHOTO_FORMATS = {
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "gif": ("GIF", "image/gif"),
    "webp": ("WEBP", "image/webp"),
    "avif": ("AVIF", "image/avif"),
    "heic": ("HEIF", "image/heic"),
}
VIDEO_FORMATS = {
    "mp4": ("mp4", "video/mp4"),
    "mov": ("mov", "video/quicktime"),
    "webm": ("webm", "video/webm"),
    "matroska": ("mkv", "video/webm"),
}


@cache
def photo(fmt: str = "jpeg", size: tuple[int, int] = (64, 48)) -> bytes:
    pillow_format, _ = PHOTO_FORMATS[fmt]
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, pillow_format)
    return out.getvalue()


@cache
def video(fmt: str = "mp4") -> bytes:
    """A half-second 64x64 test pattern clip."""
    extension, _ = VIDEO_FORMATS[fmt]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"clip.{extension}"
        codec = ["-c:v", "libvpx", "-b:v", "100k"] if extension in ("webm", "mkv") else []
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=64x64:rate=10",
                "-t",
                "0.5",
                *codec,
                "-y",
                str(target),
            ],
            check=True,
            timeout=60,
        )
        return target.read_bytes()
