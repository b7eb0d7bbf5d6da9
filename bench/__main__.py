"""`python -m bench`: prints Markdown tables for docs/benchmarks.md. Never asserts anything."""

from __future__ import annotations

import argparse
import io
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageChops, ImageOps, ImageStat, features

from bench import media
from bench.measure import ROOT, Measurement, launcher_rss_mib, measure
from bench.pipeline import upload_to_views

PHOTO_CASES = {
    "photo-textbook": "textbook: open + exif_transpose + thumbnail + save, per size",
    "photo-ours": "ours: process_photo",
    "photo-ours-method4-960": "ours, but libwebp method 4 at 960 too",
    "photo-ours-method4": "ours, but libwebp method 4 everywhere (as the textbook)",
}
SEEK_CASES = {
    "poster-input-seeking": "input seeking (-ss before -i)",
    "poster-output-seeking": "output seeking (-ss after -i)",
}
WEBP_METHODS = (0, 4, 6)
WEBP_QUALITIES = (70, 80)


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _environment() -> None:
    ffmpeg = subprocess.run(
        ["ffmpeg", "-version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split(" Copyright")[0]
    print(f"- date: {date.today().isoformat()}")
    print(f"- machine: {os.cpu_count()} cores, {_cpu_model()}, {platform.system()}")
    print(f"- Python {platform.python_version()}")
    print(
        f"- Pillow {Image.__version__} (libjpeg-turbo {features.version('jpg')}, "
        f"libwebp {features.version('webp')}, libavif {features.version('avif')})"
    )
    print(f"- pillow-heif {pillow_heif.__version__} (libheif {pillow_heif.libheif_version()})")
    print(f"- {ffmpeg}")


def _psnr(a: Image.Image, b: Image.Image) -> float:
    """PSNR over RGB: a plain, reproducible fidelity number (higher is closer)."""
    difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mse = statistics.fmean(rms * rms for rms in ImageStat.Stat(difference).rms)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def _photo_report(results: dict[str, Measurement], worst: Measurement, runs: int) -> None:
    src = media.phone_jpeg_24mp()
    print(f"\n### Photo: 24 MP JPEG to WebP 320/960/1920 + JPEG 960 (median of {runs})\n")
    print(f"Input: {src.stat().st_size / 1e6:.1f} MB, 6000x4000 stored, EXIF orientation 6.\n")
    _row("case", "wall (ms)", "CPU (ms)", "peak RSS (MiB)", "bytes, 4 files")
    _row("---", "---:", "---:", "---:", "---:")
    floor = results["imports-only"]
    _row("imports only (the floor)", "", "", f"{floor.peak_rss_mib:.0f}", "")
    for case, label in PHOTO_CASES.items():
        m = results[case]
        size = sum(p.stat().st_size for p in m.out_dir.iterdir())
        _row(label, f"{m.ms:.0f}", f"{m.cpu_ms:.0f}", f"{m.peak_rss_mib:.0f}", f"{size:,}")
    textbook, ours = results["photo-textbook"], results["photo-ours"]
    print("\n- speedup over the textbook code (target ≥ 4x):")
    for case, label in PHOTO_CASES.items():
        if case != "photo-textbook":
            m = results[case]
            print(
                f"  - {label}: **{textbook.ms / m.ms:.2f}x** wall, "
                f"{textbook.cpu_ms / m.cpu_ms:.2f}x CPU"
            )
    above_floor = (ours.peak_rss_mib - floor.peak_rss_mib) / (
        textbook.peak_rss_mib - floor.peak_rss_mib
    )
    print(
        f"- peak RSS, ours / textbook: **{ours.peak_rss_mib / textbook.peak_rss_mib:.2f}** "
        f"(target ≤ 0.5); counting only what is above the imports-only floor: {above_floor:.2f}"
    )
    print(
        f"- worst case allowed, a 10000x6000 PNG (= max_pixels, no DCT scaling): ours "
        f"{worst.ms:.0f} ms wall, {worst.cpu_ms:.0f} ms CPU, peak RSS {worst.peak_rss_mib:.0f} MiB"
    )
    with Image.open(src) as original:
        upright = ImageOps.exif_transpose(original)
    sizes = {"960.webp": (640, 960), "1920.webp": (1280, 1920)}
    references = {n: upright.resize(size, Image.Resampling.LANCZOS) for n, size in sizes.items()}
    print(
        "\nFidelity: PSNR of each WebP rendition against a LANCZOS resize of the full-size "
        "decode (higher is closer), and its size.\n"
    )
    _row("case", *(f"{name} (dB)" for name in sizes), *(f"{name} (bytes)" for name in sizes))
    _row("---", *("---:" for _ in range(2 * len(sizes))))
    for case, label in PHOTO_CASES.items():
        psnrs, byte_counts = [], []
        for name, reference in references.items():
            path = results[case].out_dir / name
            with Image.open(path) as rendition:
                psnrs.append(f"{_psnr(reference, rendition):.2f}")
            byte_counts.append(f"{path.stat().st_size:,}")
        _row(label, *psnrs, *byte_counts)


def _webp_table(runs: int) -> None:
    with Image.open(media.wall_3000x2000()) as image:
        source = image.convert("RGB")
    print(f"\n### WebP encoder on 3000x2000: method x quality (median of {runs})\n")
    _row("method", "quality", "encode (ms)", "bytes", "PSNR (dB)")
    _row("---:", "---:", "---:", "---:", "---:")
    for method in WEBP_METHODS:
        for quality in WEBP_QUALITIES:
            timings = []
            data = b""
            for _ in range(runs):
                buffer = io.BytesIO()
                start = time.process_time()
                source.save(buffer, "WEBP", quality=quality, method=method)
                timings.append((time.process_time() - start) * 1000)
                data = buffer.getvalue()
            with Image.open(io.BytesIO(data)) as decoded:
                psnr = _psnr(source, decoded)
            ms = statistics.median(timings)
            _row(method, quality, f"{ms:.0f}", f"{len(data):,}", f"{psnr:.2f}")
    print("\n(encode time is CPU time in this process)")


def _video_report(seeking: dict[str, Measurement], web: Measurement, runs: int) -> None:
    clip = media.clip_4k()
    print(f"\n### Video: probe + poster of a 10 s 4K H.264 clip, -g 30 (median of {runs})\n")
    print(
        f"Input: {clip.stat().st_size / 1e6:.1f} MB. Poster frame at 1.0 s, then the photo "
        "renditions (320/960/1920 + JPEG).\n"
    )
    _row("case", "wall (ms)", "CPU (ms)", "peak RSS Python (MiB)", "peak RSS ffmpeg (MiB)")
    _row("---", "---:", "---:", "---:", "---:")
    for case, label in SEEK_CASES.items():
        m = seeking[case]
        _row(
            label,
            f"{m.ms:.0f}",
            f"{m.cpu_ms:.0f}",
            f"{m.peak_rss_mib:.0f}",
            f"{m.tools_peak_rss_mib:.0f}",
        )
    fast, slow = (seeking[case] for case in SEEK_CASES)
    print(
        f"\n- speedup, output / input seeking: **{slow.ms / fast.ms:.2f}x** wall, "
        f"{slow.cpu_ms / fast.cpu_ms:.2f}x CPU (target ≥ 2x)"
    )

    seconds = web.extra["duration"]
    source_bytes, web_bytes = web.extra["source_bytes"], web.extra["bytes"]
    width, height = web.extra["size"]
    print(f"\n### Video: web rendition of a 10 s 1080p clip (median of {runs})\n")
    print(f"Input: {source_bytes / 1e6:.1f} MB (~17 Mb/s H.264 + AAC, like a phone's).\n")
    _row("output", "wall (ms)", "x realtime", "CPU (ms)", "size ratio", "peak RSS ffmpeg (MiB)")
    _row("---", "---:", "---:", "---:", "---:", "---:")
    _row(
        f"{width}x{height} H.264 CRF 28 veryfast + AAC, {web_bytes / 1e6:.2f} MB",
        f"{web.ms:.0f}",
        f"{seconds / (web.ms / 1000):.1f}x",
        f"{web.cpu_ms:.0f}",
        f"{web_bytes / source_bytes:.3f}",
        f"{web.tools_peak_rss_mib:.0f}",
    )


LONGEST = "179.6 s 4K HEVC, index at the end (iPhone-like, longest accepted)"
SPLIT_CASES = ("video-single-step", "video-poster-step", "video-web-step")
LAMBDA_TIMEOUT_S = 900  # Lambda's maximum
VCPUS_AT_MEMORY = {1769: 1, 3008: 1.7, 5307: 3, 10240: 6}  # Lambda: 1 vCPU per 1769 MB


def _s(seconds: float | None, digits: int = 1) -> str:
    return "—" if seconds is None else f"{seconds:.{digits}f}"


def _split_report(
    clips: dict[str, Path],
    jobs: dict[str, dict[str, Measurement]],
    e2e: dict[str, Any],
    poster_only: Collection[str] = (),
) -> None:
    print("\n### Big videos: time to first view, today's single step against the split (1 run)\n")
    print(
        "Today the poster waits for the web transcode in one job, so upload-to-poster equals "
        "upload-to-web-rendition. Split: `thumbnail` makes probe + poster (`ready`), "
        "`web_rendition` then transcodes in a function of its own. Job times, in fresh "
        "processes reading a local file, same run"
        + (" (— : transcode not run for this clip, `--poster-only-long`)" if poster_only else "")
        + ":\n"
    )
    _row("clip", "input", "today: upload→poster = upload→web (s)", "split: upload→poster (s)",
         "split: upload→web (s)", "first view, today / split")  # fmt: skip
    _row("---", "---", "---:", "---:", "---:", "---:")
    for name, src in clips.items():
        single = jobs[name].get("video-single-step")
        poster = jobs[name]["video-poster-step"]
        web = jobs[name].get("video-web-step")
        extra = poster.extra
        width, height = extra["size"]
        megabytes = src.stat().st_size / 1e6
        label = f"{width}x{height} {extra['codec']}, {extra['duration']:.0f} s, {megabytes:.0f} MB"
        _row(name, label, _s(single and single.ms / 1000), f"{poster.ms / 1000:.2f}",
             _s(web and (poster.ms + web.ms) / 1000),
             f"**{single.ms / poster.ms:.0f}x**" if single else "—")  # fmt: skip
    print(
        "\nEnd to end on the local stack (multipart upload to moto, S3 notification, ingest, "
        "`Media Uploaded`, thumbnail reading the original from S3 with range requests, "
        "`Media Processed`, web_rendition, `Media Web Rendition Ready`, each function in its own "
        "worker process, started before the first clip); the clock starts when the server has "
        "completed the upload. The thumbnail columns are the job's own log line (probe + "
        "poster frame + poster renditions; then storing them, `ready` and the event):\n"
    )
    _row("clip", "multipart upload (s)", "upload→`Media Uploaded` (s)",
         "thumbnail: probe + poster (s)", "thumbnail: store + ready + event (s)",
         "upload→poster (s)", "upload→web rendition (s)", "web rendition")  # fmt: skip
    _row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---")
    for name, result in e2e.items():
        steps = result.thumbnail_steps
        render = steps.get("render")
        rest = steps["published"] - render if render is not None and "published" in steps else None
        _row(name, f"{result.upload_s:.1f}", f"{result.to_uploaded_s:.2f}", _s(render, 2),
             _s(rest, 2), f"**{result.to_poster_s:.2f}**", _s(result.to_web_s),
             result.web_status)  # fmt: skip

    sized = [name for name in clips if "video-web-step" in jobs[name]]
    if not sized:
        return
    print("\nSizing the web_rendition function (Lambda gives 1 vCPU per 1,769 MB, up to 6):\n")
    _row("clip", "web step CPU (s)", "local wall (s)", "threads used", "180 s clip: CPU (s)",
         *(f"180 s clip at {mb} MB (s)" for mb in VCPUS_AT_MEMORY))  # fmt: skip
    _row("---", "---:", "---:", "---:", "---:", *("---:" for _ in VCPUS_AT_MEMORY))
    for name in sized:
        web = jobs[name]["video-web-step"]
        threads = web.cpu_ms / web.ms  # how much of the 2 local cores ffmpeg kept busy
        longest = web.cpu_ms / 1000 * 180 / jobs[name]["video-poster-step"].extra["duration"]
        estimates = [
            longest / min(vcpus, max(threads, 1) * vcpus / 2) for vcpus in VCPUS_AT_MEMORY.values()
        ]
        _row(name, f"{web.cpu_ms / 1000:.0f}", f"{web.ms / 1000:.0f}", f"{threads:.2f}",
             f"{longest:.0f}", *(f"{e:.0f}" for e in estimates))  # fmt: skip
    print(
        f"\n(estimates scale the measured CPU time linearly with clip length and assume ffmpeg "
        f"uses extra vCPUs as well as it used the second local core; Lambda's limit is "
        f"{LAMBDA_TIMEOUT_S} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="fresh-process runs per case")
    parser.add_argument(
        "--only", choices=("media", "coldstart"), help="one part (default: media, then coldstart)"
    )
    parser.add_argument(
        "--big-videos-only",
        action="store_true",
        help="only the big clips (60 s, and the longest accepted: single step vs split)",
    )
    parser.add_argument(
        "--poster-only-long",
        action="store_true",
        help="for clips longer than 60 s, stop after the poster (no transcodes: a shorter run)",
    )
    args = parser.parse_args()
    runs = args.runs
    started = time.perf_counter()
    if args.only != "coldstart":
        _media(runs, big_videos_only=args.big_videos_only, poster_only_long=args.poster_only_long)
    if args.only != "media":
        # Its own process: the local stack it starts must not raise this launcher's RSS floor.
        subprocess.run(
            [sys.executable, "-m", "bench.coldstart", "--runs", str(max(runs, 5))],
            cwd=ROOT,
            check=True,
            timeout=1800,
        )
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)", file=sys.stderr)


def _read_through(path: Path) -> None:
    """Reads a file once so the page cache holds it: job times then measure the work, not a
    cold disk (the upload to the local stack reads it anyway)."""
    with path.open("rb") as fp:
        while fp.read(8 * 1024 * 1024):
            pass


def _media(runs: int, *, big_videos_only: bool = False, poster_only_long: bool = False) -> None:

    print(f"(preparing media in {media.CACHE} ...)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "bench.media"], cwd=ROOT, check=True, timeout=1800)

    print("(measuring ...)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="boulderstat-bench-") as folder:
        scratch = Path(folder)
        floor_at_fork = launcher_rss_mib()
        # The longest last: with --poster-only-long its transcode runs unobserved after it.
        clips = {
            "60 s 1080p H.264 (Android-like)": media.phone_1080p_h264_60s(),
            "60 s 4K HEVC (iPhone-like)": media.phone_4k_hevc_60s(),
            LONGEST: media.phone_4k_hevc_180s(),
        }
        poster_only = {LONGEST} if poster_only_long else set()
        for clip in clips.values():
            _read_through(clip)
        jobs = {
            name: measure(
                ["video-poster-step"] if name in poster_only else list(SPLIT_CASES),
                clip,
                scratch / f"split-{i}",
                runs=1,
            )
            for i, (name, clip) in enumerate(clips.items())
        }
        types = {".mp4": "video/mp4", ".mov": "video/quicktime"}
        views = {n: (c, types[c.suffix]) for n, c in clips.items()}
        if big_videos_only:
            # The local stack runs in this process: only after every fresh-process case.
            e2e = upload_to_views(views, poster_only=poster_only)
            print("## Environment\n")
            _environment()
            _split_report(clips, jobs, e2e, poster_only)
            return
        photo = measure(
            ["imports-only", *PHOTO_CASES], media.phone_jpeg_24mp(), scratch / "photo", runs=runs
        )
        worst = measure(["photo-ours"], media.png_60mp(), scratch / "worst", runs=1)["photo-ours"]
        seeking = measure(list(SEEK_CASES), media.clip_4k(), scratch / "seek", runs=runs)
        web = measure(["web-transcode"], media.clip_1080p(), scratch / "web", runs=runs)
        web_transcode = web["web-transcode"]

        # Only now may the launcher grow: every fresh-process measurement is done.
        print("## Environment\n")
        _environment()
        print(f"- launcher RSS when forking cases: {floor_at_fork:.0f} MiB (no child reads lower)")
        _photo_report(photo, worst, runs)
        _webp_table(runs)
        _video_report(seeking, web_transcode, runs)
        e2e = upload_to_views(views, poster_only=poster_only)
        _split_report(clips, jobs, e2e, poster_only)


if __name__ == "__main__":
    main()
