#!/usr/bin/env python3
"""Builds the two Lambda layers serverless.yml attaches, for ONE architecture (x86_64).

    .venv/bin/python scripts/build-layers.py          # build, or say it is up to date
    .venv/bin/python scripts/build-layers.py --force  # rebuild even if the inputs are unchanged

Outputs (build/ is gitignored):
  build/layers/deps/python/...   the runtime dependencies of pyproject.toml -> /opt/python
  build/layers/deps.zip          the artifact serverless.yml uploads as the `deps` layer
  build/layers/ffmpeg/bin/...    static ffmpeg + ffprobe -> /opt/bin (on Lambda's PATH)
  build/layers/ffmpeg.zip        the artifact serverless.yml uploads as the `ffmpeg` layer
  build/layers/manifest.json     inputs hash, resolved versions, sizes

Why these choices (docs/deploy.md says the same for operators):
- Wheels only (`--only-binary=:all:`), for CPython 3.12 on manylinux x86_64, glibc <= 2.34:
  the python3.12 Lambda runtime is Amazon Linux 2023 (glibc 2.34), so wheels tagged up to
  manylinux_2_34 load there. Pillow 13 only ships manylinux_2_28 wheels, which is why the plain
  `manylinux2014` platform alone is not enough (pip does not widen `manylinux_2_X` tags itself).
- boto3/botocore/s3transfer are left out: the Lambda runtime ships them, and botocore alone
  would eat ~25 MB of the 250 MB unzipped budget that ffmpeg needs. aws-xray-sdk pulls botocore
  in transitively; it is dropped the same way.
- ffmpeg and ffprobe are static builds (johnvansickle.com) delivered by package registries, and
  nothing is downloaded from anywhere else: ffmpeg 7.0.2 is the binary inside the PyPI wheel
  `imageio-ffmpeg==0.6.0` (pinned by sha256 in layers/ffmpeg/requirements.txt); ffprobe is the
  binary inside the npm package `@ffprobe-installer/linux-x64` (pinned with its integrity hash in
  package-lock.json, installed by `npm ci`). The npm `@ffmpeg-installer/linux-x64` ffmpeg is a
  2018 build (4.1) without `-fpsmax`, which the web-playable rendition needs: not used.
- The zips are reproducible (sorted entries, fixed timestamps), so an unchanged layer keeps the
  same hash and `serverless deploy` does not upload or publish it again.
- The build is cached: it is skipped when the hash of its inputs matches manifest.json. A file
  lock makes concurrent runs (two test sessions) wait for each other instead of racing.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "layers"
MANIFEST = BUILD / "manifest.json"

# Must match `provider.architecture` and `compatibleArchitectures` in serverless.yml
# (tests/deploy checks that they agree).
ARCHITECTURE = "x86_64"
PYTHON_VERSION = "3.12"
# Amazon Linux 2023 (python3.12 runtime) has glibc 2.34: accept manylinux wheels up to 2_34.
PLATFORMS = [f"manylinux_2_{minor}_{ARCHITECTURE}" for minor in range(34, 16, -1)] + [
    f"manylinux2014_{ARCHITECTURE}"
]
# Shipped by the Lambda Python runtime; keeping them out saves ~25 MB of the layer budget.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})
# Where the static binaries come from (see the module docstring).
FFMPEG_REQUIREMENTS = ROOT / "layers" / "ffmpeg" / "requirements.txt"
FFMPEG_IN_WHEEL = re.compile(rf"imageio_ffmpeg/binaries/ffmpeg-linux-{ARCHITECTURE}-v([\d.]+)")
FFPROBE_NPM_PACKAGE = "@ffprobe-installer/linux-x64"
# Lambda's limit for a function's code plus all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """`[project].dependencies` minus what the Lambda runtime already provides."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    kept = []
    for requirement in dependencies:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        if _canonical(name) not in PROVIDED_BY_RUNTIME:
            kept.append(requirement)
    return sorted(kept)


def _npm_lock_entries() -> dict[str, dict[str, str]]:
    lock_path = ROOT / "package-lock.json"
    if not lock_path.exists():
        raise SystemExit("package-lock.json is missing: it pins the ffmpeg/ffprobe npm packages")
    packages = json.loads(lock_path.read_text()).get("packages", {})
    entry = packages.get(f"node_modules/{FFPROBE_NPM_PACKAGE}")
    if not entry:
        raise SystemExit(f"{FFPROBE_NPM_PACKAGE} is not in package-lock.json")
    return {FFPROBE_NPM_PACKAGE: {"version": entry["version"], "integrity": entry["integrity"]}}


def inputs_hash() -> tuple[str, dict[str, object]]:
    inputs: dict[str, object] = {
        "architecture": ARCHITECTURE,
        "python": PYTHON_VERSION,
        "platforms": PLATFORMS,
        "requirements": runtime_requirements(),
        "provided_by_runtime": sorted(PROVIDED_BY_RUNTIME),
        "npm": _npm_lock_entries(),
        "ffmpeg_requirements": FFMPEG_REQUIREMENTS.read_text(),
        "script": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    return digest, inputs


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"pip failed: {' '.join(command)}")


def _platform_args() -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]
    for platform in PLATFORMS:
        args += ["--platform", platform]
    return args


def build_deps_layer(target: Path, work: Path) -> list[str]:
    """Resolves for the Lambda platform, drops runtime-provided packages, installs the rest."""
    report = work / "resolution.json"
    _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        "--target",
        str(work / "unused"),
        *_platform_args(),
        *runtime_requirements(),
    )
    resolved = json.loads(report.read_text())["install"]
    pins = sorted(
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in resolved
        if _canonical(item["metadata"]["name"]) not in PROVIDED_BY_RUNTIME
    )
    requirements = work / "requirements.txt"
    requirements.write_text("\n".join(pins) + "\n")
    _pip(
        "install",
        "--no-deps",
        "--no-compile",  # /opt is read-only on Lambda and our pip is 3.11: no useful .pyc here
        "--quiet",
        "--target",
        str(target),
        *_platform_args(),
        "-r",
        str(requirements),
    )
    # Console scripts and caches are of no use under /opt/python.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    return pins


def build_ffmpeg_layer(target: Path, work: Path) -> dict[str, str]:
    bin_dir = target / "bin"
    bin_dir.mkdir(parents=True)
    wheels = work / "ffmpeg-wheel"
    _pip(
        "download",
        "--no-deps",
        "--require-hashes",
        "--quiet",
        "--dest",
        str(wheels),
        *_platform_args(),
        "-r",
        str(FFMPEG_REQUIREMENTS),
    )
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        matches = [m for n in archive.namelist() if (m := FFMPEG_IN_WHEEL.fullmatch(n))]
        if len(matches) != 1:
            raise SystemExit(f"{wheel.name} holds no single {FFMPEG_IN_WHEEL.pattern}")
        with archive.open(matches[0].group(0)) as src, (bin_dir / "ffmpeg").open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    ffprobe = ROOT / "node_modules" / FFPROBE_NPM_PACKAGE / "ffprobe"
    if not ffprobe.is_file():
        raise SystemExit(
            f"{ffprobe.relative_to(ROOT)} is missing: run `npm ci` first "
            "(on a non-Linux machine: `npm ci --os=linux --cpu=x64`)"
        )
    shutil.copyfile(ffprobe, bin_dir / "ffprobe")
    for binary in ("ffmpeg", "ffprobe"):
        (bin_dir / binary).chmod(0o755)
    npm_version = json.loads((ffprobe.parent / "package.json").read_text())["version"]
    return {
        "ffmpeg": f"{matches[0].group(1)} from PyPI {wheel.name}",
        "ffprobe": f"from npm {FFPROBE_NPM_PACKAGE}@{npm_version}",
    }


def write_zip(source: Path, destination: Path) -> None:
    """Reproducible zip of `source`'s contents: sorted, fixed timestamps, modes kept."""
    partial = destination.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_ZIP_TIME)
            mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
    partial.replace(destination)


def unzipped_size(archive: Path) -> int:
    with zipfile.ZipFile(archive) as opened:
        return sum(info.file_size for info in opened.infolist())


@contextmanager
def _locked() -> Iterator[None]:
    BUILD.mkdir(parents=True, exist_ok=True)
    with (BUILD / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _up_to_date(digest: str) -> dict[str, object] | None:
    if not MANIFEST.exists():
        return None
    manifest = json.loads(MANIFEST.read_text())
    zips_exist = all((BUILD / f"{layer}.zip").exists() for layer in ("deps", "ffmpeg"))
    return manifest if manifest.get("inputs_hash") == digest and zips_exist else None


def build(force: bool = False) -> dict[str, object]:
    """Builds both layers unless the cached build matches the inputs. Returns the manifest."""
    with _locked():
        digest, inputs = inputs_hash()
        cached = None if force else _up_to_date(digest)
        if cached is not None:
            return cached
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=BUILD, prefix=".work-") as tmp:
            work = Path(tmp)
            deps_dir, ffmpeg_dir = work / "deps", work / "ffmpeg"
            pins = build_deps_layer(deps_dir / "python", work)
            binaries = build_ffmpeg_layer(ffmpeg_dir, work)
            for layer, source in (("deps", deps_dir), ("ffmpeg", ffmpeg_dir)):
                write_zip(source, work / f"{layer}.zip")
            MANIFEST.unlink(missing_ok=True)  # a half-replaced build must never look cached
            for layer in ("deps", "ffmpeg"):
                shutil.rmtree(BUILD / layer, ignore_errors=True)
                (work / layer).rename(BUILD / layer)
                (work / f"{layer}.zip").replace(BUILD / f"{layer}.zip")
        sizes = {
            layer: {
                "zipped_bytes": (BUILD / f"{layer}.zip").stat().st_size,
                "unzipped_bytes": unzipped_size(BUILD / f"{layer}.zip"),
            }
            for layer in ("deps", "ffmpeg")
        }
        manifest: dict[str, object] = {
            "inputs_hash": digest,
            "inputs": inputs,
            "architecture": ARCHITECTURE,
            "deps": pins,
            "binaries": binaries,
            "sizes": sizes,
            "build_seconds": round(time.monotonic() - started, 1),
        }
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    os.chdir(ROOT)
    manifest = build(force=args.force)
    sizes = manifest["sizes"]
    assert isinstance(sizes, dict)
    total = sum(size["unzipped_bytes"] for size in sizes.values())
    for layer, size in sizes.items():
        print(
            f"{layer:7s} {size['unzipped_bytes'] / 2**20:6.1f} MiB unzipped, "
            f"{size['zipped_bytes'] / 2**20:6.1f} MiB zipped  build/layers/{layer}.zip"
        )
    print(f"total   {total / 2**20:6.1f} MiB unzipped (Lambda limit 250 MiB incl. code)")


if __name__ == "__main__":
    main()
