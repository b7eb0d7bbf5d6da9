"""One measured case per process: `python -m bench.cases CASE SRC OUT_DIR` prints JSON.

Run by bench.measure, which reads this process's peak RSS from the OS when it exits. The times
printed cover the work only, not interpreter start-up, imports or Pillow's plugin registration
(Lambda pays those once per container, not per upload). Both wall time and CPU time (this
process and its ffmpeg children) are printed: a busy machine disturbs CPU time much less.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

from boulderstat.imaging import photo, process_photo, video
from boulderstat.settings import Settings

WIDTHS = (320, 960, 1920)


def textbook(src: Path, out: Path) -> dict[str, object]:
    """What most tutorials do: open, exif_transpose, thumbnail and save, once per size."""
    for width in WIDTHS:
        with Image.open(src) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((width, width))
            upright.save(out / f"{width}.webp", quality=80)
    with Image.open(src) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((960, 960))
        upright.save(out / "960.jpg", quality=82)
    return {}


def ours(src: Path, out: Path) -> dict[str, object]:
    result = process_photo(src, out, widths=WIDTHS)
    return {"files": {r.path.name: r.bytes for r in result.renditions}}


def ours_method4_at_960(src: Path, out: Path) -> dict[str, object]:
    """Ours, but with libwebp method 4 for the 960 rendition too (smaller, slower)."""
    photo.WEBP_LARGE_PIXELS = 1_000_000
    return ours(src, out)


def ours_method4_everywhere(src: Path, out: Path) -> dict[str, object]:
    """Ours, but with libwebp method 4 for every rendition (the textbook's encoder setting)."""
    photo.WEBP_METHOD_LARGE = photo.WEBP_METHOD_SMALL
    return ours(src, out)


def _poster(src: Path, out: Path, *, input_seeking: bool) -> dict[str, object]:
    deadline = video._Deadline(600)
    probed = video._probe(src, deadline)
    at, poster = video._make_poster(
        src, out, probed, deadline, WIDTHS, 60_000_000, input_seeking=input_seeking
    )
    return {"at": at, "poster": [(r.name, r.width, r.height) for r in poster.renditions]}


def poster_input_seeking(src: Path, out: Path) -> dict[str, object]:
    return _poster(src, out, input_seeking=True)


def poster_output_seeking(src: Path, out: Path) -> dict[str, object]:
    return _poster(src, out, input_seeking=False)


def web_transcode(src: Path, out: Path) -> dict[str, object]:
    deadline = video._Deadline(600)
    probed = video._probe(src, deadline)
    web = video._transcode_web(src, out / "web.mp4", probed, deadline)
    return {
        "duration": probed.probe.duration,
        "source_bytes": src.stat().st_size,
        "bytes": web.bytes,
        "size": [web.width, web.height],
    }


# -- big videos: today's single step (poster waits for the transcode) against the split --------
def _video_job(src: Path, out: Path, *, with_web: bool) -> dict[str, object]:
    settings = Settings()
    result = video.process_video(
        src,
        out,
        widths=settings.rendition_widths,
        max_seconds=settings.max_video_seconds,
        web_min_bytes=settings.web_video_min_bytes,
        timeout=1800,
        max_pixels=settings.max_image_pixels,
        with_web=with_web,
    )
    return {
        "duration": result.probe.duration,
        "size": [result.probe.width, result.probe.height],
        "codec": result.probe.codec,
        "needs_web": result.needs_web,
    }


def video_single_step(src: Path, out: Path) -> dict[str, object]:
    """Today's thumbnail job: probe, poster, then the web rendition, before `ready`."""
    return _video_job(src, out, with_web=True)


def video_poster_step(src: Path, out: Path) -> dict[str, object]:
    """The split's thumbnail job: probe and poster only (the first view)."""
    return _video_job(src, out, with_web=False)


def video_web_step(src: Path, out: Path) -> dict[str, object]:
    """The split's web_rendition job: its own probe, then the transcode."""
    web = video.make_web_rendition(src, out, timeout=1800)
    return {"bytes": web.bytes, "web_size": [web.width, web.height]}


def imports_only(src: Path, out: Path) -> dict[str, object]:
    """The floor: what the interpreter and these imports cost before any work."""
    return {}


CASES: dict[str, Callable[[Path, Path], dict[str, object]]] = {
    "imports-only": imports_only,
    "photo-textbook": textbook,
    "photo-ours": ours,
    "photo-ours-method4-960": ours_method4_at_960,
    "photo-ours-method4": ours_method4_everywhere,
    "poster-input-seeking": poster_input_seeking,
    "poster-output-seeking": poster_output_seeking,
    "web-transcode": web_transcode,
    "video-single-step": video_single_step,
    "video-poster-step": video_poster_step,
    "video-web-step": video_web_step,
}


def main() -> None:
    case, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    # Registering Pillow's plugins (~30 ms) happens once per Lambda container, not per upload.
    Image.init()
    start, cpu_start = time.perf_counter(), time.process_time()
    extra = CASES[case](src, out)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # ffmpeg/ffprobe run as children of this process: their peak and CPU are reported apart.
    tools = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "ms": elapsed * 1000,
        "cpu_ms": (cpu + tools.ru_utime + tools.ru_stime) * 1000,
        "self_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "tools_maxrss": tools.ru_maxrss,
    }
    print(json.dumps({**result, **extra}))


if __name__ == "__main__":
    main()
