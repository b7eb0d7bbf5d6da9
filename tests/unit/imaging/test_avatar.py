"""Profile pictures: square crops from the centre of the UPRIGHT image, metadata stripped.

Expected geometry comes from the test scene (tests/media_factory.upright_scene: a red block on
the left third, top 3/8, on white), worked out by hand below, never from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from boulderstat.imaging import UnprocessableMedia
from boulderstat.imaging.avatar import process_profile_picture
from tests.media_factory import oriented_photo, rgb_at, scene_corners


def _red_run(image: Image.Image, y: int) -> int:
    """How many pixels from the left edge row `y` stays red."""
    for x in range(image.width):
        r, g, b = rgb_at(image, (x, y))
        if not (r > 180 and g < 90 and b < 90):
            return x
    return image.width


@pytest.mark.parametrize("orientation", [1, 6, 8, 3])
def test_landscape_photos_give_centred_upright_squares(tmp_path: Path, orientation: int) -> None:
    # Upright 1200x800: the centre square is x 200..1000. The red block ends at x=400, so in
    # the square it covers (400-200)/800 = 25% of the width (a squash would show 33%, a crop
    # from the left 50%), and the blue block (x 800..1200) shows at the top right.
    src = oriented_photo(tmp_path / "in.jpg", orientation, size=(1200, 800))
    output = process_profile_picture(src, tmp_path / "out")
    assert [(r.name, r.width, r.height) for r in output.renditions] == [
        ("s64", 64, 64), ("s128", 128, 128), ("s256", 256, 256), ("s512", 512, 512),
    ]  # fmt: skip
    assert (output.width, output.height) == (1200, 800)
    with Image.open(tmp_path / "out" / "s512.webp") as square:
        assert scene_corners(square) == ("red", "blue", "white", "white")
        assert abs(_red_run(square, 20) - 128) <= 4
        assert not square.getexif() and not {"exif", "xmp", "icc_profile"} & set(square.info)


def test_portrait_photos_crop_top_and_bottom(tmp_path: Path) -> None:
    # Upright 600x900: the square is y 150..750; the red block (y 0..337) covers the square's
    # top (337-150)/600 = 31%; horizontally it keeps its full third (200 of 600 px).
    src = oriented_photo(tmp_path / "in.jpg", 6, size=(600, 900))
    output = process_profile_picture(src, tmp_path / "out", sizes=(300,))
    with Image.open(output.renditions[0].path) as square:
        assert square.size == (300, 300)
        assert abs(_red_run(square, 10) - 100) <= 3
        assert rgb_at(square, (50, int(300 * 0.31) - 6))[0] > 180  # still red
        assert rgb_at(square, (50, int(300 * 0.31) + 6))[1] > 200  # white below


def test_small_photos_are_never_scaled_up(tmp_path: Path) -> None:
    src = oriented_photo(tmp_path / "in.jpg", 1, size=(150, 100), gps=False)
    output = process_profile_picture(src, tmp_path / "out")
    assert [(r.width, r.height) for r in output.renditions] == [(64, 64), (100, 100)]


def test_what_is_not_a_photo_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "notes.jpg"
    src.write_text("not a photo")
    with pytest.raises(UnprocessableMedia):
        process_profile_picture(src, tmp_path / "out")
