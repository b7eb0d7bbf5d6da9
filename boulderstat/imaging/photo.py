"""Photo renditions: decode once, downscale step by step, write metadata-free WebP (+ one JPEG).

Speed and memory come from never holding more pixels than the largest rendition needs:
JPEGs are decoded straight to a smaller size by libjpeg's DCT scaling (`draft`), each smaller
rendition is resized from the previous one, and EXIF orientation and colour conversion are
applied to the largest rendition, not to the full-size original. `bench/` measures the gain.

Rendition sizes (`widths` are the longest side, in px):
* a rendition is never upscaled: a width above the original's longest side gives the original
  size;
* widths that end up the same size are produced once, under the smallest of those widths (so a
  900 px photo gives `w320` at 320 px and `w960` at 900 px, and no `w1920`);
* one JPEG copy of the middle width (`w960-jpeg`) is always produced, for clients and link
  previews that can't show WebP; it has the same size as the WebP of that width would have.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

from PIL import ExifTags, Image, UnidentifiedImageError

from boulderstat.imaging import colour, thumbhash
from boulderstat.imaging.errors import UnprocessableMedia
from boulderstat.imaging.outputs import PhotoOutput, RenditionFile

# Pillow plugin names we accept, in the order to try them, and the format we report.
# MPO is how Pillow names JPEGs that carry extra images (depth maps, previews): still a JPEG.
_OPENERS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF")
_OPENERS_NOT_ISO_MEDIA = tuple(name for name in _OPENERS if name not in {"AVIF", "HEIF"})
_FORMATS = {
    "JPEG": "jpeg",
    "MPO": "jpeg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "AVIF": "avif",
    "HEIF": "heif",
}
# Formats where more than one frame means an animation (not bursts, depth maps or thumbnails).
_ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF"})

# Quality settings, chosen from the numbers in docs/benchmarks.md. libwebp's `method` trades
# encode time for bytes: on the benchmark photo, method 4 makes files ~14% smaller than method 0
# at the same quality, for ~3.8x the encode time. We pay for it on thumbnails only (up to
# 0.2 MP): the most requested size, and ~8 ms to encode. Bigger renditions use method 0, which
# keeps a 24 MP photo >= 4x faster than the textbook code; raising WEBP_LARGE_PIXELS to
# 1_000_000 buys ~9% fewer bytes at 960 px for ~40 ms (13%) more per photo.
WEBP_QUALITY = 80
WEBP_METHOD_SMALL = 4
WEBP_METHOD_LARGE = 0
WEBP_LARGE_PIXELS = 200_000
JPEG_QUALITY = 82
# Pillow's default for thumbnail(). LANCZOS is a little sharper, and cost 15% more CPU and 6%
# more bytes on the benchmark photo.
RESAMPLING = Image.Resampling.BICUBIC
# Input to the placeholder hash: it decodes to 32 px, so more pixels add only encode time.
PLACEHOLDER_SIDE = 32

_ORIENTATION_FIXES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = frozenset({5, 6, 7, 8})
_TEXT_SNIFF_BYTES = 512


@dataclass(frozen=True)
class _Plan:
    """One WebP rendition: its name and file stem come from the requested width."""

    requested: int
    size: tuple[int, int]  # upright

    def name(self, prefix: str) -> str:
        return f"{prefix}w{self.requested}"

    def filename(self, prefix: str, suffix: str) -> str:
        return f"{prefix}{self.requested}{suffix}"


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= long_side:
        return size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _checked_widths(widths: Sequence[int]) -> list[int]:
    requested = sorted(set(widths))
    if not requested or any(not isinstance(w, int) or w < 1 for w in requested):
        raise ValueError(f"widths must be positive integers, got {widths!r}")
    return requested


def _plan_renditions(upright: tuple[int, int], widths: Sequence[int]) -> list[_Plan]:
    """Sizes to produce, largest first, applying the module's no-upscale, no-duplicate rule."""
    plans: list[_Plan] = []
    seen: set[tuple[int, int]] = set()
    for width in _checked_widths(widths):
        size = _fit(upright, width)
        if size not in seen:
            seen.add(size)
            plans.append(_Plan(width, size))
    return plans[::-1]


def _jpeg_plan(upright: tuple[int, int], widths: Sequence[int]) -> _Plan:
    requested = _checked_widths(widths)
    middle = requested[len(requested) // 2]
    return _Plan(middle, _fit(upright, middle))


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off by the sniff window is still text.
        return error.start >= len(head) - 3
    return True


def _unrecognised(fp: IO[bytes]) -> UnprocessableMedia:
    fp.seek(0)
    head = fp.read(_TEXT_SNIFF_BYTES)
    if not head:
        return UnprocessableMedia("The file is empty.", code="empty")
    if _looks_like_text(head):
        return UnprocessableMedia(
            "This file is text, not a photo. Please upload a JPEG, PNG, WebP, GIF, HEIC or AVIF.",
            code="unsupported_format",
        )
    return UnprocessableMedia(
        "This file isn't a photo format we support. Please upload a JPEG, PNG, WebP, GIF, HEIC "
        "or AVIF.",
        code="unsupported_format",
    )


def _too_large(max_pixels: int, size: tuple[int, int] | None = None) -> UnprocessableMedia:
    limit = f"{max_pixels / 1_000_000:g} megapixels"
    if size is None:
        return UnprocessableMedia(
            f"This photo is too large to process (the limit is {limit}).", code="too_large"
        )
    width, height = size
    return UnprocessableMedia(
        f"This photo is too large to process: {width} x {height} pixels is "
        f"{width * height / 1_000_000:.0f} megapixels, and the limit is {limit}.",
        code="too_large",
    )


@contextmanager
def _reading_untrusted_pixels() -> Iterator[None]:
    """Turns any failure while parsing an upload into UnprocessableMedia.

    Pillow's plugins raise a zoo of types on malformed input (OSError, SyntaxError, struct.error,
    ValueError, IndexError, ...), so the net is wide; it only wraps parsing, never file writes,
    and lets MemoryError through because that means the function is undersized, not the file bad.
    """
    try:
        yield
    except (UnprocessableMedia, MemoryError):
        raise
    except Exception as error:
        if "truncated" in str(error):
            raise UnprocessableMedia(
                "This photo file is incomplete: the upload may have been cut off. Please try "
                "uploading it again.",
                code="truncated",
                detail=repr(error),
            ) from error
        raise UnprocessableMedia(
            "This photo file is damaged and can't be read.", code="corrupt", detail=repr(error)
        ) from error


@cache
def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def _openers(fp: IO[bytes]) -> tuple[str, ...]:
    """HEIF/HEIC support (pillow-heif loads libheif: ~6 ms of CPU) is loaded for files that can
    be one, ISO base media files (their `ftyp` box comes first), not on every cold start."""
    position = fp.tell()
    head = fp.read(12)
    fp.seek(position)
    if head[4:8] != b"ftyp":
        return _OPENERS_NOT_ISO_MEDIA
    _register_heif()
    return _OPENERS


def _open(fp: IO[bytes], max_pixels: int) -> Image.Image:
    """Reads the header only, and refuses before any pixel is decoded if it's too big."""
    try:
        with warnings.catch_warnings():
            # Our own limit below applies; Pillow's global one only warns or raises earlier.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=_openers(fp))
    except Image.DecompressionBombError as error:
        raise _too_large(max_pixels) from error
    except UnidentifiedImageError as error:
        raise _unrecognised(fp) from error
    if image.width * image.height > max_pixels:
        raise _too_large(max_pixels, image.size)
    if image.format not in _FORMATS:
        raise _unrecognised(fp)
    return image


def _orientation(image: Image.Image) -> int:
    """EXIF orientation (1-8); a broken EXIF block must not cost the climber their photo.

    Call it on JPEGs before decoding (their EXIF is in the header) and on anything else after
    `load()`: PNG may keep EXIF after the pixels, and getexif() would decode them itself, outside
    of our error handling.
    """
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:
        return 1
    return value if value in _ORIENTATION_FIXES else 1


def _is_animated(image: Image.Image) -> bool:
    return image.format in _ANIMATED_FORMATS and bool(getattr(image, "is_animated", False))


def _turned(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Stored size to upright size, or back: the same swap both ways."""
    return (size[1], size[0]) if orientation in _SWAPS_AXES else size


def _decode(image: Image.Image, widths: Sequence[int]) -> tuple[int, list[_Plan]]:
    """Decodes the first frame; returns the orientation and the renditions to make.

    JPEGs are decoded straight to the smallest size that is still at least as large as the
    largest rendition: libjpeg scales by 1/2, 1/4 or 1/8 in the DCT domain while decoding.
    """
    if image.format in ("JPEG", "MPO"):
        orientation = _orientation(image)
        plans = _plan_renditions(_turned(image.size, orientation), widths)
        image.draft("RGB", _turned(plans[0].size, orientation))
        image.load()
        return orientation, plans
    image.load()
    orientation = _orientation(image)
    return orientation, _plan_renditions(_turned(image.size, orientation), widths)


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, RESAMPLING)


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    """An alpha channel that is all 255 only costs bytes and time."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        return image.convert("RGB")
    return image


def _render(
    image: Image.Image, plans: list[_Plan], orientation: int
) -> dict[tuple[int, int], Image.Image]:
    """All rendition pixels, upright and sRGB, keyed by size: each made from the one before."""
    icc = image.info.get("icc_profile")
    fix = _ORIENTATION_FIXES.get(orientation)
    largest = plans[0].size

    image = colour.to_working_mode(image)
    current = _resize(image, _turned(largest, orientation))
    current = colour.to_srgb(current, icc)
    if fix is not None:
        current = current.transpose(fix)
    current = _drop_opaque_alpha(current)
    rendered = {largest: current}
    for plan in plans[1:]:
        current = _resize(current, plan.size)
        rendered[plan.size] = current
    return rendered


def _placeholder(smallest: Image.Image) -> str:
    preview = smallest.copy()
    preview.thumbnail((PLACEHOLDER_SIDE, PLACEHOLDER_SIDE), RESAMPLING)
    return base64.b64encode(thumbhash.encode(preview)).decode("ascii")


def _save_webp(image: Image.Image, path: Path) -> None:
    large = image.width * image.height > WEBP_LARGE_PIXELS
    method = WEBP_METHOD_LARGE if large else WEBP_METHOD_SMALL
    image.info = {}  # resize() copies info; nothing from the original may reach the file
    image.save(path, "WEBP", quality=WEBP_QUALITY, method=method, exif=b"", xmp=b"")


def _save_jpeg(image: Image.Image, path: Path) -> None:
    if image.mode == "RGBA":
        # JPEG has no alpha: flatten onto white, as a page background would show it.
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image.info = {}
    image.save(path, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True, exif=b"")


def _rendition(name: str, path: Path, image: Image.Image, fmt: str) -> RenditionFile:
    return RenditionFile(
        name=name,
        path=path,
        width=image.width,
        height=image.height,
        bytes=path.stat().st_size,
        format=fmt,
        content_type=f"image/{fmt}",
    )


def process_photo(
    src: Path,
    out_dir: Path,
    *,
    widths: Sequence[int] = (320, 960, 1920),
    max_pixels: int = 60_000_000,
    name_prefix: str = "",
) -> PhotoOutput:
    """Writes WebP renditions (+ one JPEG) of `src` into `out_dir`, free of all metadata.

    Raises UnprocessableMedia for anything that isn't a readable photo within `max_pixels`;
    a missing `src` or an unwritable `out_dir` raise OSError as usual (not the upload's fault).
    """
    _checked_widths(widths)
    with src.open("rb") as fp:
        with _reading_untrusted_pixels():
            image = _open(fp, max_pixels)
            fmt = _FORMATS[image.format or ""]
            animated = _is_animated(image)
            stored_size = image.size  # draft() is about to change image.size
            orientation, plans = _decode(image, widths)
        # Every pixel is in memory now: a failure from here on is a bug, not a bad upload.
        rendered = _render(image, plans, orientation)
    upright = _turned(stored_size, orientation)

    jpeg = _jpeg_plan(upright, widths)
    files = [
        (plan.name(name_prefix), out_dir / plan.filename(name_prefix, ".webp"), plan.size)
        for plan in reversed(plans)
    ]
    jpeg_file = (f"{jpeg.name(name_prefix)}-jpeg", out_dir / jpeg.filename(name_prefix, ".jpg"))
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        renditions: list[RenditionFile] = []
        for name, path, size in files:
            _save_webp(rendered[size], path)
            renditions.append(_rendition(name, path, rendered[size], "webp"))
        _save_jpeg(rendered[jpeg.size], jpeg_file[1])
        renditions.append(_rendition(*jpeg_file, rendered[jpeg.size], "jpeg"))
    except BaseException:
        for path in (*(path for _, path, _ in files), jpeg_file[1]):
            path.unlink(missing_ok=True)
        raise
    return PhotoOutput(
        width=upright[0],
        height=upright[1],
        format=fmt,
        animated=animated,
        renditions=renditions,
        placeholder=_placeholder(rendered[plans[-1].size]),
    )
