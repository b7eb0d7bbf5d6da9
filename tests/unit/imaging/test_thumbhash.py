from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from boulderstat.imaging import thumbhash
from tests.media_factory import pixel


def _opaque_scene() -> Image.Image:
    red = Image.linear_gradient("L").resize((80, 60))
    green = Image.radial_gradient("L").resize((80, 60))
    blue = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return Image.merge("RGB", (red, green, blue))


def _transparent_scene() -> Image.Image:
    image = Image.new("RGBA", (40, 90), (200, 30, 30, 255))
    image.paste((20, 90, 220, 255), (0, 50, 40, 90))
    alpha = Image.radial_gradient("L").resize((70, 120)).crop((7, 3, 47, 93))
    image.putalpha(alpha.point(lambda v: 255 - v))
    return image


@pytest.mark.parametrize(
    ("scene", "expected"),
    [
        # Produced by the reference JavaScript (evanw/thumbhash, js/thumbhash.js) from the
        # same pixels.
        (_opaque_scene, "20e811359a9887887077787987788888b87f7b0448"),
        (_transparent_scene, "9856825a14197780a8b767887f85f85730688078808867"),
    ],
)
def test_matches_the_reference_encoder(scene: Callable[[], Image.Image], expected: str) -> None:
    assert thumbhash.encode(scene()).hex() == expected


def test_decodes_to_a_blurry_version_of_the_image() -> None:
    image = Image.new("RGB", (60, 30), (220, 20, 20))
    image.paste((20, 20, 220), (30, 0, 60, 30))

    preview = thumbhash.decode(thumbhash.encode(image)).convert("RGB")

    assert preview.width == 32 and 14 <= preview.height <= 20
    left = pixel(preview, (2, preview.height // 2))
    right = pixel(preview, (29, preview.height // 2))
    assert left[0] > left[2] + 80
    assert right[2] > right[0] + 80


def test_keeps_transparency_and_aspect_ratio() -> None:
    hash_bytes = thumbhash.encode(_transparent_scene())

    preview = thumbhash.decode(hash_bytes)

    assert thumbhash.approximate_aspect_ratio(hash_bytes) == pytest.approx(40 / 90, rel=0.2)
    assert preview.height == 32 and preview.width < 20
    corner_alpha = pixel(preview, (0, 0))[3]
    centre_alpha = pixel(preview, (preview.width // 2, preview.height // 2))[3]
    assert corner_alpha < 100 < centre_alpha  # opaque in the middle, fading out


def test_refuses_large_input() -> None:
    with pytest.raises(ValueError, match="100x100"):
        thumbhash.encode(Image.new("RGB", (101, 10)))
