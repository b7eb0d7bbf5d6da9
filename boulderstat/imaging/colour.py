"""Gets decoded pixels into the one colour model renditions use: 8-bit sRGB, optional alpha.

Browsers assume untagged images are sRGB, and renditions carry no ICC profile (it is metadata
and costs bytes), so anything else (Display P3 from iPhones, Adobe RGB, CMYK) is converted here.
"""

from __future__ import annotations

import contextlib
import io
from functools import cache

from PIL import Image, ImageCms

# Modes every later step (resize, WebP, JPEG) handles as-is.
WORKING_MODES = frozenset({"L", "RGB", "RGBA", "CMYK"})

# ICC colour spaces and the image modes whose pixels they describe.
_PROFILE_MODES: dict[str, frozenset[str]] = {
    "RGB": frozenset({"RGB", "RGBA"}),
    "CMYK": frozenset({"CMYK"}),
    "GRAY": frozenset({"L"}),
}
# sRGB's colorants adapted to D50 (as every ICC v2/v4 profile stores them).
_SRGB_COLORANTS = (
    (0.4361, 0.2225, 0.0139),
    (0.3851, 0.7169, 0.0971),
    (0.1431, 0.0606, 0.7141),
)


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_working_mode(image: Image.Image) -> Image.Image:
    """Converts modes that resizing would mangle (palette, 16-bit, 1-bit) before resizing."""
    mode = image.mode
    if mode in WORKING_MODES:
        return image
    if mode.startswith("I;16") or mode == "I":
        # 16-bit greys: scale into 8 bits (a plain convert("L") clips everything above 255).
        return image.point(lambda value: value / 256, "L")
    if mode == "LA" or mode == "PA" or (mode == "P" and image.has_transparency_data):
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """Most phone photos are tagged sRGB; skipping the no-op transform saves ~30 ms at 1920 px."""
    core = profile.profile
    if "srgb" not in (core.profile_description or "").lower():
        return False
    for colorant, expected in zip(
        (core.red_colorant, core.green_colorant, core.blue_colorant), _SRGB_COLORANTS, strict=True
    ):
        if colorant is None:
            return False
        xyz = colorant[0]
        if any(abs(have - want) > 0.003 for have, want in zip(xyz, expected, strict=True)):
            return False
    return True


def _readable_profile(icc: bytes, mode: str) -> ImageCms.ImageCmsProfile | None:
    """A profile that describes these pixels, or None: a broken or mismatched one is ignored."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError, ValueError):
        return None
    space = (profile.profile.xcolor_space or "").strip()
    if mode not in _PROFILE_MODES.get(space, frozenset()):
        return None
    return profile


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Returns 8-bit sRGB pixels (L, RGB or RGBA) with no profile attached.

    Pixels whose profile is missing, unreadable or for another colour space are taken as sRGB,
    which is what a browser would do with them anyway.
    """
    profile = _readable_profile(icc, image.mode) if icc else None
    if profile is not None and not _is_srgb(profile):
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        # If LittleCMS refuses this profile pair, the pixels stay as they are.
        with contextlib.suppress(ImageCms.PyCMSError):
            converted = ImageCms.profileToProfile(image, profile, _srgb(), outputMode=output_mode)
            if converted is not None:
                image = converted
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")
    image.info.pop("icc_profile", None)
    return image
