"""What processing hands back to the pipeline: plain values that describe files on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenditionFile:
    """One file the pipeline uploads as-is; `content_type` goes straight onto the S3 object."""

    name: str
    path: Path
    width: int
    height: int
    bytes: int
    format: str
    content_type: str


@dataclass(frozen=True)
class PhotoOutput:
    """A processed photo. `width`/`height` are the original's, as a viewer shows it (upright)."""

    width: int
    height: int
    format: str
    animated: bool
    renditions: list[RenditionFile]
    placeholder: str

    def rendition(self, name: str) -> RenditionFile:
        """Looks a rendition up by name; names that collapsed into a smaller one are absent."""
        for rendition in self.renditions:
            if rendition.name == name:
                return rendition
        raise KeyError(name)


# Codecs browsers play without plugins, per container, as (video, audio). H.264 needs 8-bit 4:2:0.
_BROWSER_CODECS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "mp4": (frozenset({"h264", "vp9", "av1"}), frozenset({"aac", "mp3"})),
    "webm": (frozenset({"vp8", "vp9", "av1"}), frozenset({"opus", "vorbis"})),
}
_BROWSER_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})


@dataclass(frozen=True)
class VideoProbe:
    """What ffprobe says about a video; `width`/`height` are as displayed (rotation applied).

    `rotation` is the clockwise turn (0/90/180/270) a player applies to the stored frames.
    """

    duration: float
    width: int
    height: int
    codec: str
    fps: float
    has_audio: bool
    rotation: int
    container: str
    audio_codec: str | None = None
    pixel_format: str = ""

    @property
    def plays_in_browsers(self) -> bool:
        """Whether every current browser can play the original file directly."""
        codecs = _BROWSER_CODECS.get(self.container)
        if codecs is None:
            return False
        video_codecs, audio_codecs = codecs
        if self.codec not in video_codecs:
            return False
        if self.codec == "h264" and self.pixel_format not in _BROWSER_PIXEL_FORMATS:
            return False
        return self.audio_codec is None or self.audio_codec in audio_codecs


@dataclass(frozen=True)
class VideoOutput:
    """A processed video: its probe, a poster (made like a photo), and maybe a web rendition.

    `poster_at` is where the poster frame was taken, in seconds from the start.
    """

    probe: VideoProbe
    poster: PhotoOutput
    web: RenditionFile | None
    placeholder: str
    poster_at: float = 0.0
    needs_web: bool = False  # a web rendition is due (made here, or by a later step)
