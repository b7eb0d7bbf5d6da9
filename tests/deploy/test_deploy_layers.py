"""The two layers: right architecture, right Python, within Lambda's size limit, and working."""

from __future__ import annotations

import platform
import re
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.offline_package import build_layers

pytestmark = pytest.mark.deploy

# ELF header: e_machine for the architecture the layers are built for.
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}[build_layers.ARCHITECTURE]
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}[build_layers.ARCHITECTURE]


def _elf_machine(header: bytes) -> int | None:
    """e_machine of a 64-bit little-endian ELF file, None if it is not one."""
    if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
        return None
    return int.from_bytes(header[18:20], "little")


def _read_header(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(64)


def test_layers_fit_lambdas_unzipped_limit(layer_zips: dict[str, zipfile.ZipFile]) -> None:
    sizes = {name: sum(i.file_size for i in z.infolist()) for name, z in layer_zips.items()}
    assert sum(sizes.values()) < build_layers.LAMBDA_UNZIPPED_LIMIT, sizes


def test_dependency_layer_is_python_for_the_runtime_only(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    names = layer_zips["deps"].namelist()
    assert names and all(n.startswith("python/") for n in names), "must unpack to /opt/python"
    top_level = {n.split("/")[1] for n in names}
    for provided in ("boto3", "botocore", "s3transfer"):
        assert provided not in top_level, f"{provided} comes with the Lambda runtime"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_dependency_layer_ships_nothing_only_the_local_stack_or_the_tests_use(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    """The local gateway's JWT verifier (pyjwt + cryptography, ~16 MB) and the test tooling
    stay out: on AWS the HTTP API's JWT authorizer verifies tokens."""
    top_level = {n.split("/")[1].removesuffix(".py") for n in layer_zips["deps"].namelist()}
    local_only = {"jwt", "cryptography", "cffi", "moto", "requests", "yaml", "jsonschema"}
    local_only |= {"psutil", "playwright", "pytest", "nx_27017", "neosqlite", "cfnlint"}
    assert not top_level & local_only


def test_dependency_layer_holds_every_runtime_requirement(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    installed = {
        re.sub(r"[-_.]+", "-", m.group(1)).lower()
        for n in layer_zips["deps"].namelist()
        if (m := re.match(r"python/([^/]+?)-[^-/]+\.dist-info/METADATA$", n))
    }
    for requirement in build_layers.runtime_requirements():
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in installed, requirement


def test_dependency_layer_wheels_are_for_the_chosen_architecture_only(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    archive = layer_zips["deps"]
    tags = [
        line.split(":", 1)[1].strip()
        for name in archive.namelist()
        if name.endswith(".dist-info/WHEEL")
        for line in archive.read(name).decode().splitlines()
        if line.startswith("Tag:")
    ]
    assert tags
    for tag in tags:
        python, abi, platform_tag = tag.split("-")
        if platform_tag == "any":
            continue
        assert platform_tag.startswith("manylinux") and platform_tag.endswith(WHEEL_ARCH), tag
        assert python in ("cp312", "cp311", "cp39", "cp38", "cp37") and abi in ("cp312", "abi3"), (
            tag
        )


def test_dependency_layer_native_code_is_elf_for_the_chosen_architecture(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    archive = layer_zips["deps"]
    shared_objects = [n for n in archive.namelist() if re.search(r"\.so(\.[\d.]+)?$", n)]
    assert len(shared_objects) > 5  # pydantic-core, pillow, cryptography, ...
    for name in shared_objects:
        assert _elf_machine(_read_header(archive, name)) == ELF_MACHINE, name
        extension = re.search(r"\.cpython-(\d+)-([\w-]+)\.so$", name)
        if extension:
            assert extension.group(1) == "312", f"{name} is not built for CPython 3.12"
            assert WHEEL_ARCH in extension.group(2), name


def test_ffmpeg_layer_puts_static_binaries_for_the_architecture_in_opt_bin(
    layer_zips: dict[str, zipfile.ZipFile],
) -> None:
    archive = layer_zips["ffmpeg"]
    assert sorted(archive.namelist()) == ["bin/ffmpeg", "bin/ffprobe"]
    for name in archive.namelist():
        assert _elf_machine(_read_header(archive, name)) == ELF_MACHINE, name
        mode = archive.getinfo(name).external_attr >> 16
        assert mode & stat.S_IXOTH, f"{name} must be executable by Lambda's user"


@pytest.mark.skipif(
    platform.machine() != {"x86_64": "x86_64", "arm64": "aarch64"}[build_layers.ARCHITECTURE],
    reason="runs the layer's binaries: needs a machine of the layer's architecture",
)
def test_ffmpeg_layer_binaries_run_and_do_the_formats_we_need(
    layer_zips: dict[str, zipfile.ZipFile], tmp_path: Path
) -> None:
    archive = layer_zips["ffmpeg"]
    for name in archive.namelist():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
        target.chmod(0o755)
    ffmpeg, ffprobe = tmp_path / "bin" / "ffmpeg", tmp_path / "bin" / "ffprobe"
    for binary in (ffmpeg, ffprobe):
        result = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and "static" in result.stdout, result.stderr
    # What the pipeline asks of them (boulderstat/imaging/video.py): probe a phone-style HEVC
    # clip, take a poster as JPEG, make the web-playable H.264/AAC MP4 with -fpsmax.
    phone, web, poster = tmp_path / "phone.mp4", tmp_path / "web.mp4", tmp_path / "poster.jpg"
    _run(
        ffmpeg,
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=60:duration=1"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=1"),
        *("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"),
        *("-c:a", "aac", "-shortest", str(phone)),
    )
    _run(ffmpeg, "-ss", "0.5", "-i", str(phone), "-frames:v", "1", "-q:v", "2", str(poster))
    assert poster.read_bytes()[:2] == b"\xff\xd8"
    _run(
        ffmpeg,
        *("-i", str(phone), "-vf", "scale=160:120,setsar=1", "-c:v", "libx264"),
        *("-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p", "-fpsmax", "30"),
        *("-c:a", "aac", "-ac", "2", "-movflags", "+faststart", "-map_metadata", "-1", str(web)),
    )
    probe = _run(
        ffprobe,
        *("-v", "error", "-show_entries", "stream=codec_name,r_frame_rate", "-of", "csv=p=0"),
        str(web),
    )
    assert probe.split() == ["h264,30/1", "aac,0/0"]


def _run(binary: Path, *args: str) -> str:
    result = subprocess.run(
        [str(binary), "-y", "-hide_banner", *args]
        if binary.name == "ffmpeg"
        else [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_manifest_records_what_was_built(layer_manifest: dict[str, Any]) -> None:
    assert layer_manifest["architecture"] == build_layers.ARCHITECTURE
    assert set(layer_manifest["binaries"]) == {"ffmpeg", "ffprobe"}
    assert not [
        p for p in layer_manifest["deps"] if p.split("==")[0].lower() in ("boto3", "botocore")
    ]
