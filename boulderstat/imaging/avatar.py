"""Profile pictures: square crops from the centre of the upright photo, free of all metadata.

The same safe decode as `photo` (size limit before any pixel is decoded, JPEG DCT scaling,
EXIF orientation and sRGB conversion applied once), then one centred square, scaled down to each
size a UI needs. A photo smaller than a size is never scaled up: that crop comes out smaller.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from boulderstat.imaging.outputs import PhotoOutput, RenditionFile
from boulderstat.imaging.photo import (
    _FORMATS,
    RESAMPLING,
    _decode,
    _is_animated,
    _open,
    _placeholder,
    _reading_untrusted_pixels,
    _render,
    _rendition,
    _save_webp,
    _turned,
)

PICTURE_SIZES = (64, 128, 256, 512)


def centre_square(image: Image.Image) -> Image.Image:
    """The largest square in the middle of `image` (odd leftovers go to the right/bottom)."""
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def process_profile_picture(
    src: Path,
    out_dir: Path,
    *,
    sizes: Sequence[int] = PICTURE_SIZES,
    max_pixels: int = 60_000_000,
) -> PhotoOutput:
    """Writes `s{size}.webp` square crops of `src` into `out_dir`; UnprocessableMedia for
    anything that is not a readable photo within `max_pixels`."""
    wanted = sorted(set(sizes), reverse=True)
    with src.open("rb") as fp:
        with _reading_untrusted_pixels():
            image = _open(fp, max_pixels)
            fmt = _FORMATS[image.format or ""]
            animated = _is_animated(image)
            stored = image.size
            upright_guess = _turned(stored, 1)
            # Decode so that the SHORT side still covers the largest square.
            ratio = max(upright_guess) / max(1, min(upright_guess))
            orientation, plans = _decode(image, [math.ceil(wanted[0] * ratio)])
        upright = _render(image, plans, orientation)[plans[0].size]
    square = centre_square(upright)
    out_dir.mkdir(parents=True, exist_ok=True)
    renditions: list[RenditionFile] = []
    made: set[int] = set()
    current = square
    for size in wanted:
        side = min(size, square.width)
        if side in made:
            continue
        made.add(side)
        if current.width != side:
            current = current.resize((side, side), RESAMPLING)
        path = out_dir / f"s{side}.webp"
        _save_webp(current, path)
        renditions.append(_rendition(f"s{side}", path, current, "webp"))
    width, height = _turned(stored, orientation)
    return PhotoOutput(
        width=width,
        height=height,
        format=fmt,
        animated=animated,
        renditions=renditions[::-1],
        placeholder=_placeholder(current),
    )
