from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from boulderstat.imaging import PhotoOutput, UnprocessableMedia, process_photo, thumbhash
from tests import media_factory
from tests.media_factory import pixel, rgb_at

UPRIGHT = ("red", "blue", "white", "white")


def _open(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def _assert_no_metadata(path: Path) -> None:
    image = _open(path)
    assert not image.getexif(), path
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp"):
        assert key not in image.info, (path, key)
    raw = path.read_bytes()
    for marker in (b"BoulderCam", b"Exif\x00", b"GPSLatitude", b"ICC_PROFILE", b"ICCP"):
        assert marker not in raw, (path, marker)


# --- sizes, names, formats -------------------------------------------------------------


def test_full_rendition_set_from_a_large_jpeg(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "big.jpg", (2400, 1600))

    out = process_photo(src, tmp_path / "out")

    assert (out.width, out.height, out.format, out.animated) == (2400, 1600, "jpeg", False)
    summary = [(r.name, r.path.name, r.width, r.height, r.format) for r in out.renditions]
    assert summary == [
        ("w320", "320.webp", 320, 213, "webp"),
        ("w960", "960.webp", 960, 640, "webp"),
        ("w1920", "1920.webp", 1920, 1280, "webp"),
        ("w960-jpeg", "960.jpg", 960, 640, "jpeg"),
    ]
    for rendition in out.renditions:
        assert rendition.path.parent == tmp_path / "out"
        assert rendition.bytes == rendition.path.stat().st_size > 0
        assert rendition.content_type == f"image/{rendition.format}"
        image = _open(rendition.path)
        assert image.format == rendition.format.upper()
        assert image.size == (rendition.width, rendition.height)


def test_never_upscales_and_makes_each_size_once(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "medium.jpg", (800, 600))

    out = process_photo(src, tmp_path / "out")

    summary = [(r.name, r.width, r.height) for r in out.renditions]
    assert summary == [("w320", 320, 240), ("w960", 800, 600), ("w960-jpeg", 800, 600)]
    assert not (tmp_path / "out" / "1920.webp").exists()
    with pytest.raises(KeyError):
        out.rendition("w1920")


def test_a_photo_smaller_than_every_width_keeps_its_size(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "tiny.jpg", (100, 50))

    out = process_photo(src, tmp_path / "out")

    assert [(r.name, r.width, r.height) for r in out.renditions] == [
        ("w320", 100, 50),
        ("w960-jpeg", 100, 50),
    ]


def test_name_prefix_and_custom_widths(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "big.jpg", (1000, 2000))

    out = process_photo(src, tmp_path / "out", widths=(500, 100), name_prefix="poster-")

    assert [(r.name, r.path.name, r.width, r.height) for r in out.renditions] == [
        ("poster-w100", "poster-100.webp", 50, 100),
        ("poster-w500", "poster-500.webp", 250, 500),
        ("poster-w500-jpeg", "poster-500.jpg", 250, 500),
    ]


@pytest.mark.parametrize("widths", [(), (0, 320), (-5,)])
def test_rejects_nonsense_widths(tmp_path: Path, widths: tuple[int, ...]) -> None:
    src = media_factory.textured_jpeg(tmp_path / "a.jpg", (64, 64))
    with pytest.raises(ValueError, match="widths"):
        process_photo(src, tmp_path / "out", widths=widths)


# --- orientation -----------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(tmp_path: Path, orientation: int) -> None:
    src = media_factory.oriented_photo(tmp_path / "o.jpg", orientation, size=(1200, 800))

    # Small widths make the decoder scale down (draft) and every step resize.
    out = process_photo(src, tmp_path / "out", widths=(150, 480))

    assert (out.width, out.height) == (1200, 800)
    assert [(r.width, r.height) for r in out.renditions] == [(150, 100), (480, 320), (480, 320)]
    for rendition in out.renditions:
        assert media_factory.scene_corners(_open(rendition.path)) == UPRIGHT, rendition.name


@pytest.mark.parametrize("fmt", ["WEBP", "PNG", "AVIF", "HEIF"])
def test_orientation_is_applied_for_other_formats_too(tmp_path: Path, fmt: str) -> None:
    src = media_factory.oriented_photo(tmp_path / "o.img", 6, fmt=fmt)

    out = process_photo(src, tmp_path / "out")

    assert (out.width, out.height) == media_factory.SCENE_SIZE
    assert media_factory.scene_corners(_open(out.renditions[0].path)) == UPRIGHT


# --- metadata --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG", "AVIF", "HEIF"])
def test_no_metadata_survives(tmp_path: Path, fmt: str) -> None:
    src = media_factory.oriented_photo(tmp_path / "gps.img", 6, fmt=fmt, size=(1200, 800))
    assert _open(src).getexif().get_ifd(0x8825), "the source should carry GPS"

    out = process_photo(src, tmp_path / "out", widths=(320, 960))

    assert len(out.renditions) == 3
    for rendition in out.renditions:
        _assert_no_metadata(rendition.path)


def test_heic_is_read_upright_and_stripped(tmp_path: Path) -> None:
    src = media_factory.heic(tmp_path / "photo.heic")

    out = process_photo(src, tmp_path / "out")

    assert (out.format, out.width, out.height, out.animated) == ("heif", 128, 96, False)
    for rendition in out.renditions:
        assert media_factory.scene_corners(_open(rendition.path)) == UPRIGHT
        _assert_no_metadata(rendition.path)


def test_avif(tmp_path: Path) -> None:
    out = process_photo(media_factory.avif(tmp_path / "photo.avif"), tmp_path / "out")

    assert (out.format, out.width, out.height) == ("avif", 128, 96)
    assert media_factory.scene_corners(_open(out.renditions[0].path)) == UPRIGHT


def test_jpeg_with_extra_images_is_a_plain_jpeg(tmp_path: Path) -> None:
    out = process_photo(media_factory.mpo(tmp_path / "depth.jpg"), tmp_path / "out")

    assert (out.format, out.animated) == ("jpeg", False)
    assert media_factory.scene_corners(_open(out.renditions[0].path)) == UPRIGHT


# --- colour and pixel formats ----------------------------------------------------------


@pytest.mark.parametrize(
    "make", [media_factory.png_with_alpha, media_factory.palette_png_with_transparency]
)
def test_alpha_is_kept_in_webp_and_flattened_onto_white_in_jpeg(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    src = make(tmp_path / "alpha.png")

    out = process_photo(src, tmp_path / "out")

    webp = _open(out.rendition("w320").path)
    assert webp.mode == "RGBA"
    assert pixel(webp, (2, 2))[3] == 255
    assert pixel(webp, (webp.width - 3, 2))[3] == 0
    jpeg = _open(out.rendition("w960-jpeg").path)
    assert jpeg.mode == "RGB"
    assert min(pixel(jpeg, (jpeg.width - 3, 2))) > 245  # white, not the hidden green or black


def test_fully_opaque_alpha_is_dropped(tmp_path: Path) -> None:
    src = tmp_path / "opaque.png"
    Image.new("RGBA", (40, 30), (10, 200, 30, 255)).save(src)

    out = process_photo(src, tmp_path / "out")

    assert _open(out.renditions[0].path).mode == "RGB"


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    out = process_photo(media_factory.png_16bit_grey(tmp_path / "ramp.png"), tmp_path / "out")

    image = _open(out.renditions[0].path).convert("L")
    left, middle, right = (pixel(image, (x, 8))[0] for x in (2, image.width // 2, image.width - 3))
    assert left < 10
    assert 110 < middle < 145  # clipping would make everything past 1/256 of the ramp white
    assert right > 245


def test_cmyk_is_converted_to_rgb(tmp_path: Path) -> None:
    out = process_photo(media_factory.cmyk_jpeg(tmp_path / "print.jpg"), tmp_path / "out")

    image = _open(out.renditions[0].path).convert("RGB")
    r, g, b = rgb_at(image, (3, 3))
    assert r < 40 and g > 215 and b > 215  # cyan
    r, g, b = rgb_at(image, (image.width - 4, 3))
    assert r > 215 and g > 215 and b < 40  # yellow


def test_icc_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    icc = media_factory.swapped_primaries_profile()
    src = media_factory.jpeg_with_profile(tmp_path / "swapped.jpg", icc, colour=(255, 0, 0))

    out = process_photo(src, tmp_path / "out")

    for rendition in out.renditions:
        r, g, b = rgb_at(_open(rendition.path), (5, 5))
        assert b > 220 and r < 35 and g < 35, rendition.name  # stored "red" means sRGB blue
        _assert_no_metadata(rendition.path)


@pytest.mark.parametrize("icc", [b"not an icc profile" * 10, b"LAB"])
def test_unusable_icc_profile_is_ignored(tmp_path: Path, icc: bytes) -> None:
    if icc == b"LAB":  # a valid profile, but for another colour space than the pixels
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    src = media_factory.jpeg_with_profile(tmp_path / "odd.jpg", icc, colour=(255, 0, 0))

    out = process_photo(src, tmp_path / "out")

    r, g, b = rgb_at(_open(out.renditions[0].path), (5, 5))
    assert r > 220 and g < 35 and b < 35


# --- animation -------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "reported"), [("GIF", "gif"), ("WEBP", "webp"), ("PNG", "png")])
def test_animations_use_their_first_frame(tmp_path: Path, fmt: str, reported: str) -> None:
    src = media_factory.animated(tmp_path / f"anim.{reported}", fmt)

    out = process_photo(src, tmp_path / "out")

    assert (out.format, out.animated, out.width, out.height) == (reported, True, 64, 48)
    for rendition in out.renditions:
        r, g, b = rgb_at(_open(rendition.path), (10, 10))
        assert r > 220 and g < 35 and b < 35  # the red first frame


def test_still_photos_are_not_animated(tmp_path: Path) -> None:
    src = tmp_path / "still.gif"
    Image.new("RGB", (30, 20), (0, 0, 255)).save(src)

    assert process_photo(src, tmp_path / "out").animated is False


# --- placeholder -----------------------------------------------------------------------


def test_placeholder_is_a_thumbhash_of_the_photo(tmp_path: Path) -> None:
    src = media_factory.oriented_photo(tmp_path / "o.jpg", 8, size=(1200, 800))

    out = process_photo(src, tmp_path / "out")

    hash_bytes = base64.b64decode(out.placeholder, validate=True)
    assert 5 <= len(hash_bytes) <= 25
    assert thumbhash.approximate_aspect_ratio(hash_bytes) == pytest.approx(1.5, rel=0.2)
    preview = thumbhash.decode(hash_bytes).convert("RGB")
    assert preview.width > preview.height
    # The red block is top-left: that corner of the blurry preview is redder than the rest.
    r, g, b = rgb_at(preview, (1, 1))
    assert r > g + 40 and r > b + 20
    r, g, b = rgb_at(preview, (preview.width - 2, 1))
    assert b > r + 20


# --- bad input -------------------------------------------------------------------------


def _refused(src: Path, out_dir: Path, **kwargs: int) -> UnprocessableMedia:
    with pytest.raises(UnprocessableMedia) as caught:
        process_photo(src, out_dir, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    assert str(error) == error.reason
    assert not out_dir.exists() or not any(out_dir.iterdir())
    return error


def test_decompression_bomb(tmp_path: Path) -> None:
    src = media_factory.decompression_bomb(tmp_path / "bomb.png")
    assert src.stat().st_size < 1000

    error = _refused(src, tmp_path / "out")

    assert error.code == "too_large"
    assert "too large" in error.reason


def test_over_our_pixel_limit_but_under_pillows(tmp_path: Path) -> None:
    src = media_factory.decompression_bomb(tmp_path / "big.png", 8000, 8000)

    error = _refused(src, tmp_path / "out")

    assert error.code == "too_large"
    assert "8000 x 8000" in error.reason
    assert "60 megapixels" in error.reason


def test_pixel_limit_is_per_call(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "a.jpg", (200, 100))

    assert _refused(src, tmp_path / "out", max_pixels=10_000).code == "too_large"
    assert process_photo(src, tmp_path / "out2").width == 200
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's global is left alone


def test_truncated_jpeg(tmp_path: Path) -> None:
    error = _refused(media_factory.truncated_jpeg(tmp_path / "cut.jpg"), tmp_path / "out")

    assert error.code == "truncated"
    assert "incomplete" in error.reason


def test_corrupt_png(tmp_path: Path) -> None:
    src = media_factory.textured_jpeg(tmp_path / "a.jpg", (64, 64))
    png = tmp_path / "broken.png"
    Image.open(src).save(png)
    data = bytearray(png.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 4 : idat + 6] = b"\xff\xff"  # the zlib stream's header
    png.write_bytes(bytes(data))

    error = _refused(png, tmp_path / "out")

    assert error.code == "corrupt"
    assert error.detail  # the decoder's own message, for logs


def test_text_renamed_to_jpg(tmp_path: Path) -> None:
    error = _refused(media_factory.text_file(tmp_path / "notes.jpg"), tmp_path / "out")

    assert error.code == "unsupported_format"
    assert "text" in error.reason


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "empty"), (bytes(range(256)) * 4, "unsupported_format")],
)
def test_empty_and_unknown_bytes(tmp_path: Path, content: bytes, code: str) -> None:
    src = tmp_path / "upload.jpg"
    src.write_bytes(content)

    assert _refused(src, tmp_path / "out").code == code


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO"])
def test_real_images_in_formats_we_do_not_take(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "photo.img"
    Image.new("RGB", (32, 32), (1, 2, 3)).save(src, fmt)

    error = _refused(src, tmp_path / "out")

    assert error.code == "unsupported_format"
    assert "JPEG, PNG, WebP, GIF, HEIC or AVIF" in error.reason


def test_missing_file_is_not_the_uploaders_fault(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        process_photo(tmp_path / "nowhere.jpg", tmp_path / "out")


def test_output_is_a_plain_value(tmp_path: Path) -> None:
    out = process_photo(media_factory.textured_jpeg(tmp_path / "a.jpg", (64, 64)), tmp_path / "o")

    assert isinstance(out, PhotoOutput)
    with pytest.raises(AttributeError):
        out.width = 1  # type: ignore[misc]
