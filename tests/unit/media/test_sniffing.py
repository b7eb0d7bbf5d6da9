from pathlib import Path

import pytest

from boulderstat.media.sniffing import SNIFF_BYTES, SniffedFormat, sniff
from tests import media_factory
from tests.unit.media.sample_files import PHOTO_FORMATS, VIDEO_FORMATS, photo, video


@pytest.mark.parametrize("fmt", PHOTO_FORMATS)
def test_real_photos_are_recognized_from_their_first_bytes(fmt: str) -> None:
    assert sniff(photo(fmt)[:SNIFF_BYTES]) == SniffedFormat("photo", fmt)


@pytest.mark.parametrize("fmt", VIDEO_FORMATS)
def test_real_videos_are_recognized_from_their_first_bytes(fmt: str) -> None:
    assert sniff(video(fmt)[:SNIFF_BYTES]) == SniffedFormat("video", fmt)


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0\0\0\x08free"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (_ftyp(b"heic", b"mif1", b"heic"), SniffedFormat("photo", "heic")),
        (_ftyp(b"heix", b"mif1"), SniffedFormat("photo", "heic")),
        (_ftyp(b"mif1", b"heic"), SniffedFormat("photo", "heic")),
        (_ftyp(b"mif1", b"miaf"), SniffedFormat("photo", "heif")),
        (_ftyp(b"msf1", b"iso8"), SniffedFormat("photo", "heif")),
        (_ftyp(b"mif1", b"avif", b"miaf"), SniffedFormat("photo", "avif")),
        (_ftyp(b"avis", b"msf1"), SniffedFormat("photo", "avif")),
        (_ftyp(b"mp42", b"isom"), SniffedFormat("video", "mp4")),
        (_ftyp(b"M4V ", b"M4V ", b"mp42"), SniffedFormat("video", "mp4")),
        (_ftyp(b"qt  ", b"qt  "), SniffedFormat("video", "mov")),
        (_ftyp(b"zzzz", b"isom"), SniffedFormat("video", "mp4")),
        (_ftyp(b"zzzz", b"heic"), None),  # an image brand under an unknown major brand
        (_ftyp(b"zzzz", b"yyyy"), None),
        (b"\0\0\0\x08wide\0\0\x10\0mdat", SniffedFormat("video", "mov")),  # classic QuickTime
        (b"GIF89a\x01\0\x01\0", SniffedFormat("photo", "gif")),
        (b"RIFF\x10\0\0\0WAVEfmt ", None),  # RIFF, but audio
        (b"\xff\xd8", None),  # truncated JPEG marker
        (b"", None),
        (b"hello, I am a text file pretending to be a photo\n", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"%PDF-1.7\n", None),
        (b"\0\0\0\x0cftypisom", SniffedFormat("video", "mp4")),  # box shorter than a brand list
    ],
)
def test_crafted_headers(head: bytes, expected: SniffedFormat | None) -> None:
    assert sniff(head) == expected


# Files as phones and apps write them (tests/media_factory.py), keyed by what ingest must see.
FACTORY_FILES = {
    "heic": (lambda p: media_factory.heic(p / "x.heic"), SniffedFormat("photo", "heic")),
    "avif": (lambda p: media_factory.avif(p / "x.avif"), SniffedFormat("photo", "avif")),
    "mpo": (lambda p: media_factory.mpo(p / "x.jpg"), SniffedFormat("photo", "jpeg")),
    "cmyk": (lambda p: media_factory.cmyk_jpeg(p / "x.jpg"), SniffedFormat("photo", "jpeg")),
    "gif": (lambda p: media_factory.animated(p / "x.gif", "GIF"), SniffedFormat("photo", "gif")),
    "webp": (
        lambda p: media_factory.animated(p / "x.webp", "WEBP"),
        SniffedFormat("photo", "webp"),
    ),
    "apng": (lambda p: media_factory.animated(p / "x.png", "PNG"), SniffedFormat("photo", "png")),
    "mp4": (
        lambda p: media_factory.h264_mp4(p / "x.mp4", seconds=0.5),
        SniffedFormat("video", "mp4"),
    ),
    "hevc-mov": (
        lambda p: media_factory.hevc_mov(p / "x.mov", seconds=0.5),
        SniffedFormat("video", "mov"),
    ),
    "audio-only": (
        lambda p: media_factory.audio_only_mp4(p / "x.mp4", seconds=0.5),
        SniffedFormat("video", "mp4"),  # passes ingest; processing finds no picture
    ),
    "text": (lambda p: media_factory.text_file(p / "x.jpg"), None),
}


@pytest.mark.parametrize("name", FACTORY_FILES)
def test_files_as_phones_write_them(name: str, tmp_path: Path) -> None:
    make, expected = FACTORY_FILES[name]
    assert sniff(make(tmp_path).read_bytes()[:SNIFF_BYTES]) == expected
