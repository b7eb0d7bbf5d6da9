"""Real media files for tests, made on the fly: photos with Pillow, videos with ffmpeg's lavfi.

Every function writes one small file to the path it is given and returns that path, so tests
stay fast and hold no binary fixtures. Photos that test orientation show the same upright scene
(`upright_scene`): white, a red block in the top-left corner and a blue block in the top-right
corner, so `scene_corners` can tell all eight EXIF orientations apart after processing.
Photos carry camera metadata on purpose (EXIF with GPS, XMP, ICC) so tests can prove that
renditions don't. Videos use `testsrc2` with a keyframe every 30 frames (1 s), like phones.

Needs Pillow, pillow-heif and ffmpeg (with libx264, libx265, libvpx, libopus, libmp3lame) on
PATH, as Debian's ffmpeg package has.
"""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageDraw, ImageOps

__all__ = [
    "SCENE_SIZE",
    "STORED_TO_SCENE",
    "UPRIGHT",
    "animated",
    "audio_only_mp4",
    "avif",
    "cmyk_jpeg",
    "decompression_bomb",
    "h264_mp4",
    "heic",
    "hevc_mov",
    "jpeg_with_profile",
    "mp3_with_cover_art",
    "mp4_boxes",
    "mpo",
    "oriented_photo",
    "palette_png_with_transparency",
    "pixel",
    "png_16bit_grey",
    "png_with_alpha",
    "rgb_at",
    "rotated_phone_mp4",
    "scene_corners",
    "swapped_primaries_profile",
    "text_file",
    "textured_jpeg",
    "truncated_jpeg",
    "truncated_mp4",
    "upright_scene",
    "vp9_webm",
]

SCENE_SIZE = (120, 80)
RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
UPRIGHT = ("red", "blue", "white", "white")  # scene_corners of the upright scene

# Where each stored pixel belongs in the upright scene, as the EXIF standard defines the
# Orientation tag (CIPA DC-008, tag 0x0112: which visual side the stored 0th row and 0th
# column are). Written from the standard's wording, not from any transpose table, so a
# mistake in the production table cannot hide in here. For an upright scene W x H, the stored
# pixel (c, r) of orientation n is the scene's pixel STORED_TO_SCENE[n](c, r, W, H):
#   1: row 0 = top,    col 0 = left      5: row 0 = left,  col 0 = top
#   2: row 0 = top,    col 0 = right     6: row 0 = right, col 0 = top
#   3: row 0 = bottom, col 0 = right     7: row 0 = right, col 0 = bottom
#   4: row 0 = bottom, col 0 = left      8: row 0 = left,  col 0 = bottom
_Map = Callable[[int, int, int, int], tuple[int, int]]
STORED_TO_SCENE: dict[int, _Map] = {
    1: lambda c, r, w, h: (c, r),
    2: lambda c, r, w, h: (w - 1 - c, r),
    3: lambda c, r, w, h: (w - 1 - c, h - 1 - r),
    4: lambda c, r, w, h: (c, h - 1 - r),
    5: lambda c, r, w, h: (r, c),
    6: lambda c, r, w, h: (w - 1 - r, c),
    7: lambda c, r, w, h: (w - 1 - r, h - 1 - c),
    8: lambda c, r, w, h: (r, h - 1 - c),
}

_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="46,30.2N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)

pillow_heif.register_heif_opener()


# --- photos ------------------------------------------------------------------------------


def upright_scene(size: tuple[int, int] = SCENE_SIZE) -> Image.Image:
    """The scene as a person saw it: red block top-left, blue block top-right, on white."""
    width, height = size
    image = Image.new("RGB", size, WHITE)
    block = (width // 3, height * 3 // 8)
    image.paste(RED, (0, 0, *block))
    image.paste(BLUE, (width - block[0], 0, width, block[1]))
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at `xy` as a tuple of ints whatever the mode ((v,) for greyscale)."""
    value = image.getpixel(xy)
    if value is None:
        raise ValueError(f"{image.mode} image has no pixel values")
    return tuple(int(v) for v in value) if isinstance(value, tuple) else (int(value),)


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    """The pixel at `xy` as (r, g, b), converting from any mode."""
    r, g, b = pixel(image.convert("RGB"), xy)
    return r, g, b


def _colour_name(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    if r > 180 and g < 90 and b < 90:
        return "red"
    if b > 180 and r < 90 and g < 90:
        return "blue"
    if min(r, g, b) > 200:
        return "white"
    return "other"


def scene_corners(image: Image.Image) -> tuple[str, str, str, str]:
    """Colour names at top-left, top-right, bottom-left, bottom-right (8% in from the edges).

    An upright scene gives ("red", "blue", "white", "white").
    """
    rgb = image.convert("RGB")
    width, height = rgb.size
    dx, dy = max(1, width * 8 // 100), max(1, height * 8 // 100)
    points = [
        (dx, dy),
        (width - 1 - dx, dy),
        (dx, height - 1 - dy),
        (width - 1 - dx, height - 1 - dy),
    ]
    names = [_colour_name(rgb_at(rgb, point)) for point in points]
    return names[0], names[1], names[2], names[3]


def _camera_exif(orientation: int, *, gps: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "BoulderCam"  # Make
    exif[0x0110] = "Crimp 1"  # Model
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (46.0, 30.0, 12.5)
        gps_ifd[3] = "E"
        gps_ifd[4] = (7.0, 59.0, 1.0)
    return exif


def _stored(scene: Image.Image, orientation: int) -> Image.Image:
    """The scene's pixels laid out as a camera at `orientation` stores them.

    The mapping is affine, so one Pillow affine resample does it fast; the coefficients are
    read off STORED_TO_SCENE, and a grid of pixels is then checked against it one by one.
    """
    width, height = scene.size
    to_scene = STORED_TO_SCENE[orientation]
    size = (height, width) if orientation >= 5 else (width, height)
    (ox, oy), (cx, cy), (rx, ry) = (to_scene(*p, width, height) for p in ((0, 0), (1, 0), (0, 1)))
    a, b, d, e = cx - ox, rx - ox, cy - oy, ry - oy
    # Pillow samples the input at output pixel centres (c + 0.5, r + 0.5).
    coefficients = (a, b, ox + 0.5 - (a + b) / 2, d, e, oy + 0.5 - (d + e) / 2)
    stored = scene.transform(size, Image.Transform.AFFINE, coefficients, Image.Resampling.NEAREST)
    for c in range(0, size[0], max(1, size[0] // 17)):
        for r in range(0, size[1], max(1, size[1] // 13)):
            expected = scene.getpixel(to_scene(c, r, width, height))
            assert stored.getpixel((c, r)) == expected, (orientation, c, r)
    return stored


def oriented_photo(
    path: Path,
    orientation: int,
    *,
    size: tuple[int, int] = SCENE_SIZE,
    fmt: str = "JPEG",
    gps: bool = True,
) -> Path:
    """The upright scene stored the way a camera held at `orientation` stores it, with EXIF
    (orientation, make/model and, unless `gps=False`, a GPS position), an XMP packet and an
    sRGB ICC profile. `size` is the upright size. `fmt` is any Pillow format that keeps EXIF.

    Checked against Pillow's own `ImageOps.exif_transpose` before it is returned: the photo is
    right by two independent readings of the standard, or the test stops here.
    """
    stored = _stored(upright_scene(size), orientation)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = _camera_exif(orientation, gps=gps).tobytes()
    stored.save(path, fmt, quality=90, exif=exif, xmp=_XMP, icc_profile=icc)
    with Image.open(path) as saved:
        shown = ImageOps.exif_transpose(saved)
    if shown.size != size or scene_corners(shown) != UPRIGHT:
        raise AssertionError(f"orientation {orientation} photo is not upright in Pillow's view")
    return path


def textured_jpeg(path: Path, size: tuple[int, int], *, quality: int = 90) -> Path:
    """A JPEG with real detail everywhere (noise over gradients), so it compresses like a photo."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    image.save(path, "JPEG", quality=quality)
    return path


def png_with_alpha(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    """RGBA: left half opaque red, right half fully transparent (green underneath)."""
    width, height = size
    image = Image.new("RGBA", size, (0, 255, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, width // 2, height))
    image.save(path, "PNG")
    return path


def palette_png_with_transparency(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    """Mode P with index 0 transparent: left half blue, right half transparent."""
    width, height = size
    image = Image.new("P", size, 0)
    image.putpalette([0, 255, 0, 0, 0, 255] + [0] * (254 * 3))
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height - 1), fill=1)
    image.save(path, "PNG", transparency=0)
    return path


def png_16bit_grey(path: Path, size: tuple[int, int] = (256, 16)) -> Path:
    """Mode I;16: a left-to-right ramp over the full 0..65535 range."""
    width, height = size
    ramp = Image.new("I;16", size)
    ramp.putdata([x * 65535 // (width - 1) for _ in range(height) for x in range(width)])
    ramp.save(path, "PNG")
    return path


def cmyk_jpeg(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    """A CMYK JPEG: left half pure cyan ink, right half pure yellow ink, no ICC profile."""
    width, height = size
    image = Image.new("CMYK", size, (0, 0, 255, 0))
    image.paste((255, 0, 0, 0), (0, 0, width // 2, height))
    image.save(path, "JPEG", quality=95)
    return path


def swapped_primaries_profile() -> bytes:
    """An RGB ICC profile like sRGB but with red and blue primaries swapped.

    Stored red (255, 0, 0) means sRGB blue, so a correct colour conversion is unmistakable.
    Built from LittleCMS's sRGB by swapping the rXYZ and bXYZ tag pointers.
    """
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", data, 128)
    entries = {}
    for index in range(count):
        signature, offset, length = struct.unpack_from(">4sII", data, 132 + 12 * index)
        entries[signature] = (index, offset, length)
    red_index, red_offset, red_length = entries[b"rXYZ"]
    blue_index, blue_offset, blue_length = entries[b"bXYZ"]
    struct.pack_into(">4sII", data, 132 + 12 * red_index, b"rXYZ", blue_offset, blue_length)
    struct.pack_into(">4sII", data, 132 + 12 * blue_index, b"bXYZ", red_offset, red_length)
    data[84:100] = bytes(16)  # profile ID (an MD5 of the bytes): zero means "not computed"
    return bytes(data)


def jpeg_with_profile(
    path: Path, icc: bytes, *, colour: tuple[int, int, int] = RED, size: tuple[int, int] = (64, 48)
) -> Path:
    """A flat `colour` JPEG tagged with the given ICC profile bytes (valid or not)."""
    Image.new("RGB", size, colour).save(path, "JPEG", quality=95, icc_profile=icc)
    return path


def animated(path: Path, fmt: str, size: tuple[int, int] = (64, 48)) -> Path:
    """Three frames, red then green then blue; fmt is "GIF", "WEBP" or "PNG" (APNG)."""
    frames = [Image.new("RGB", size, colour) for colour in (RED, (0, 255, 0), BLUE)]
    frames[0].save(path, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def heic(path: Path, size: tuple[int, int] = (128, 96)) -> Path:
    """A HEIC (HEVC still) of the upright scene, with EXIF and GPS, as iPhones write them."""
    upright_scene(size).save(path, "HEIF", quality=90, exif=_camera_exif(1, gps=True).tobytes())
    return path


def avif(path: Path, size: tuple[int, int] = (128, 96)) -> Path:
    """An AVIF (AV1 still) of the upright scene, with EXIF and GPS."""
    upright_scene(size).save(path, "AVIF", quality=90, exif=_camera_exif(1, gps=True).tobytes())
    return path


def mpo(path: Path, size: tuple[int, int] = SCENE_SIZE) -> Path:
    """A JPEG with a second embedded image (MPO), like phones with depth maps write them."""
    scene = upright_scene(size)
    scene.save(path, "MPO", save_all=True, append_images=[scene.convert("L").convert("RGB")])
    return path


def decompression_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A few-hundred-byte PNG whose header declares `width` x `height` greyscale pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)  # nowhere near enough rows: it's never decoded
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


def truncated_jpeg(path: Path, *, keep: float = 0.6) -> Path:
    """A detailed JPEG cut off after `keep` of its bytes, like an interrupted upload."""
    buffer = io.BytesIO()
    Image.effect_noise((256, 192), 60).convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_file(path: Path) -> Path:
    """Plain text under whatever name (say `notes.jpg` or `clip.mp4`) the test gives it."""
    path.write_text("Project: Midnight Lightning, V8. Sent on the 3rd go!\n" * 20)
    return path


# --- videos ------------------------------------------------------------------------------


def _ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _testsrc(size: tuple[int, int], seconds: float, fps: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]


def h264_mp4(
    path: Path,
    *,
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    fps: int = 30,
    audio: bool = True,
    audio_seconds: float | None = None,
    location: str | None = None,
) -> Path:
    """H.264 (yuv420p) + AAC in MP4, keyframe every 30 frames, `moov` at the end.

    `audio_seconds` makes the sound run longer than the picture (the file then lasts that
    long). `location` (ISO 6709, e.g. "+46.5000+007.9833/") is stored the way phones store it.
    """
    inputs = _testsrc(size, seconds, fps) + (_tone(audio_seconds or seconds) if audio else [])
    codecs = ["-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p"]
    codecs += ["-c:a", "aac", "-b:a", "64k"] if audio else []
    metadata = ["-metadata", f"location={location}"] if location else []
    _ffmpeg(*inputs, *codecs, *metadata, str(path))
    return path


def mp4_boxes(path: Path, *, within: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """(type, offset, size) of the MP4/MOV boxes at the top level, or inside the first box
    path `within` (e.g. ("moov", "trak")). Reads headers only."""
    with path.open("rb") as fp:
        start, end = 0, path.stat().st_size
        for wanted in (*within, None):
            boxes: list[tuple[str, int, int]] = []
            offset = start
            while offset + 8 <= end:
                fp.seek(offset)
                size, kind = struct.unpack(">I4s", fp.read(8))
                header = 8
                if size == 1:
                    (size,) = struct.unpack(">Q", fp.read(8))
                    header = 16
                elif size == 0:
                    size = end - offset
                if size < header:
                    break
                boxes.append((kind.decode("latin-1"), offset, size))
                offset += size
            if wanted is None:
                return boxes
            match = next((b for b in boxes if b[0] == wanted), None)
            if match is None:
                return []
            start, end = match[1] + 8, match[1] + match[2]
    return []


def _rotate_first_track(path: Path) -> None:
    """Writes an iPhone-portrait display matrix (turn 90 degrees clockwise) into the first
    track header. Done by hand because ffmpeg 5.1 has no `-display_rotation`."""
    tkhd = next(box for box in mp4_boxes(path, within=("moov", "trak")) if box[0] == "tkhd")
    with path.open("r+b") as fp:
        fp.seek(tkhd[1] + 8)
        version = fp.read(1)[0]
        matrix_at = tkhd[1] + 12 + (48 if version == 1 else 36)
        fp.seek(matrix_at)
        one, fixed_one = 1 << 16, 1 << 30
        fp.write(struct.pack(">9i", 0, one, 0, -one, 0, 0, 0, 0, fixed_one))


def rotated_phone_mp4(
    path: Path, *, size: tuple[int, int] = (240, 320), seconds: float = 1.0
) -> Path:
    """A portrait phone clip: the upright scene (`size`, portrait) stored sideways as landscape
    frames, with a display matrix that turns them upright, as phones record."""
    width, height = size
    block_w, block_h = width // 3, height * 3 // 8
    scene = (
        f"color=c=white:size={width}x{height}:rate=30:duration={seconds},"
        f"drawbox=x=0:y=0:w={block_w}:h={block_h}:color=red:t=fill,"
        f"drawbox=x={width - block_w}:y=0:w={block_w}:h={block_h}:color=blue:t=fill,"
        "transpose=cclock,format=yuv420p"
    )
    _ffmpeg(
        "-f", "lavfi", "-i", scene, "-c:v", "libx264", "-preset", "veryfast", "-g", "30", str(path)
    )
    _rotate_first_track(path)
    return path


def hevc_mov(path: Path, *, seconds: float = 1.0, size: tuple[int, int] = (320, 240)) -> Path:
    """HEVC (hvc1) + AAC in a QuickTime MOV: what iPhones record, and not playable in Chrome."""
    _ffmpeg(
        *_testsrc(size, seconds, 30),
        *_tone(seconds),
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
        "-f",
        "mov",
        str(path),
    )
    return path


def vp9_webm(path: Path, *, seconds: float = 1.0, size: tuple[int, int] = (160, 120)) -> Path:
    """VP9 + Opus in WebM (what browsers' MediaRecorder and many Android apps write)."""
    _ffmpeg(
        *_testsrc(size, seconds, 30),
        *_tone(seconds),
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "200k",
        "-g",
        "30",
        "-c:a",
        "libopus",
        str(path),
    )
    return path


def mp3_with_cover_art(path: Path, *, seconds: float = 1.0) -> Path:
    """An MP3 whose album art ffprobe lists as a (single-picture) video stream."""
    cover = path.with_name(path.stem + "-cover.jpg")
    upright_scene((64, 64)).save(cover, "JPEG")
    _ffmpeg(
        *_tone(seconds),
        "-i",
        str(cover),
        "-map",
        "0",
        "-map",
        "1",
        "-c:a",
        "libmp3lame",
        "-c:v",
        "copy",
        "-disposition:v",
        "attached_pic",
        str(path),
    )
    cover.unlink()
    return path


def audio_only_mp4(path: Path, *, seconds: float = 1.0) -> Path:
    """An MP4 with only an AAC track (a voice memo, say)."""
    _ffmpeg(*_tone(seconds), "-c:a", "aac", str(path))
    return path


def truncated_mp4(path: Path, *, keep: float = 0.5) -> Path:
    """An MP4 cut off after `keep` of its bytes: its `moov` (at the end) is gone."""
    full = path.with_name(path.stem + "-full.mp4")
    h264_mp4(full, seconds=1.0)
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def long_phone_clip(path: Path, *, seconds: int = 40, size: tuple[int, int] = (1280, 720)) -> Path:
    """A long, phone-sized clip made cheaply (~1.2 MB a second, a keyframe every second, `moov`
    at the end as a camera writes it): one noisy second encoded at 10 Mb/s, then stream-copied
    `seconds` times over (no re-encode)."""
    second = path.with_name(path.stem + "-second.mp4")
    noisy = f"testsrc2=size={size[0]}x{size[1]}:rate=30:duration=1,noise=alls=20:allf=t"
    _ffmpeg(
        "-f", "lavfi", "-i", noisy, "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "10M",
        "-g", "30", "-pix_fmt", "yuv420p", str(second),
    )  # fmt: skip
    _ffmpeg("-stream_loop", str(seconds - 1), "-i", str(second), "-c", "copy", str(path))
    second.unlink()
    return path
