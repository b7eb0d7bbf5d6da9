"""What a file really is, from its first bytes; the declared content type is only a claim.

Ingest reads the first `SNIFF_BYTES` of every upload and rejects anything that is not the kind
(photo or video) the climber declared.
"""

from __future__ import annotations

from dataclasses import dataclass

from boulderstat.events.catalog import MediaKind

SNIFF_BYTES = 64


@dataclass(frozen=True)
class SniffedFormat:
    kind: MediaKind
    format: str


_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"NDAS", b"f4v ",
    b"3gp4", b"3gp5", b"3gp6", b"3g2a",
}  # fmt: skip
_MOV_BRANDS = {b"qt  "}
# Classic QuickTime files may start with another atom instead of `ftyp`.
_MOV_LEADING_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def sniff(head: bytes) -> SniffedFormat | None:
    """The photo or video format the leading bytes announce, or None when unrecognized."""
    if head.startswith(b"\xff\xd8\xff"):
        return SniffedFormat("photo", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return SniffedFormat("photo", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return SniffedFormat("photo", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return SniffedFormat("photo", "webp")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return SniffedFormat("video", "webm" if b"webm" in head[:SNIFF_BYTES] else "matroska")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if len(head) >= 8 and head[4:8] in _MOV_LEADING_ATOMS:
        return SniffedFormat("video", "mov")
    return None


def _sniff_ftyp(head: bytes) -> SniffedFormat | None:
    """ISO base media files (HEIF/AVIF photos, MP4/MOV videos): judge by the ftyp brands."""
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    end = min(box_size, len(head)) if box_size >= 16 else 16
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and brands & _AVIF_BRANDS):
        return SniffedFormat("photo", "avif")
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return SniffedFormat("photo", "heic")
    if major in _HEIF_BRANDS:
        return SniffedFormat("photo", "heif")
    if major in _MOV_BRANDS:
        return SniffedFormat("video", "mov")
    if major in _MP4_BRANDS:
        return SniffedFormat("video", "mp4")
    if brands & (_AVIF_BRANDS | _HEIC_BRANDS | _HEIF_BRANDS):
        return None  # an image brand under an unknown major brand: not something we accept
    if brands & _MOV_BRANDS:
        return SniffedFormat("video", "mov")
    if brands & _MP4_BRANDS:
        return SniffedFormat("video", "mp4")
    return None
