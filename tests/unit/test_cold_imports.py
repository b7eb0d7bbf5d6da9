"""What importing each function's handler loads, in a fresh interpreter (never timed).

A cold start pays for every module a handler imports. With tracing off, no handler may load
the X-Ray SDK; boto3 is loaded on a function's first AWS call, not at import; Pillow only by
the function that renders media; the auth function never loads pymongo. The timings behind
these rules are `make bench` (bench/coldstart.py) and docs/benchmarks.md. No function loads
Powertools' parser models (every AWS event's, ~40 ms) or pillow-heif (loaded for an ISO base
media file only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every function, found on disk: a new one is checked without anyone remembering to add it.
HANDLERS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
# Functions that render or fail media load Pillow through the processing module; the sweeper
# only fails stuck items with it, but runs on a schedule, where a cold start costs nobody.
# web_rendition imports the imaging package for its ffmpeg code (async too: no one waits).
LOADS_PILLOW = {"thumbnail", "sweeper", "web_rendition"}
PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"
WATCHED = [
    "aws_xray_sdk",
    "boto3",
    "botocore.client",
    "pymongo",
    "PIL",
    "jwt",
    "requests",
    "pillow_heif",
    PARSER_MODELS,
]


def _run(script: str, **env: str) -> Any:
    """Runs `script` in a fresh interpreter; its last printed line, as JSON."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _loaded_after_import(module: str, **env: str) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps([m for m in {WATCHED!r} if m in sys.modules]))\n"
    )
    return set(_run(script, **env))


@pytest.mark.parametrize("name", HANDLERS)
def test_what_each_handler_loads_at_import_with_tracing_off(name: str) -> None:
    loaded = _loaded_after_import(f"functions.{name}.handler", POWERTOOLS_TRACE_DISABLED="true")

    assert "aws_xray_sdk" not in loaded
    # Powertools itself loads the bare `botocore` package (a version check); clients need more.
    assert not loaded & {"boto3", "botocore.client"}  # built by the adapters on first use
    assert not loaded & {"jwt", "requests"}  # local-only and test-only libraries
    assert not loaded & {"pillow_heif", PARSER_MODELS}
    assert ("PIL" in loaded) == (name in LOADS_PILLOW)  # no Pillow in the HTTP API
    if name == "auth":
        assert "pymongo" not in loaded  # sign-in never touches MongoDB


def test_tracing_is_off_outside_lambda_without_being_told() -> None:
    # Powertools' rule: no LAMBDA_TASK_ROOT, no tracing (the local stack, tests, scripts).
    assert "aws_xray_sdk" not in _loaded_after_import("functions.climbs.handler")


def test_tracing_on_does_load_the_xray_sdk() -> None:
    """The control: the checks above can see the SDK when it is there."""
    loaded = _loaded_after_import(
        "functions.climbs.handler",
        LAMBDA_TASK_ROOT=str(ROOT),
        POWERTOOLS_TRACE_DISABLED="false",
    )

    assert "aws_xray_sdk" in loaded
    # Powertools' default would patch (so import) every library X-Ray supports at init.
    assert "botocore.client" not in loaded


def test_with_tracing_on_libraries_are_patched_when_first_used() -> None:
    """botocore and pymongo calls are traced: patched just before their first client."""
    script = (
        "import json\n"
        "from aws_xray_sdk.core import patcher\n"
        "import functions.climbs.handler\n"
        "from boulderstat.adapters.aws import aws_client\n"
        "from boulderstat.adapters.mongo import mongo_database\n"
        "from boulderstat.settings import get_settings\n"
        "seen = [sorted(patcher._PATCHED_MODULES)]\n"
        "aws_client('events', get_settings()).meta  # builds the client, calls nothing\n"
        "seen.append(sorted(patcher._PATCHED_MODULES))\n"
        "mongo_database(get_settings())  # builds the client; connects lazily\n"
        "seen.append(sorted(patcher._PATCHED_MODULES))\n"
        "print(json.dumps(seen))\n"
    )

    at_import, after_aws, after_mongo = _run(
        script,
        LAMBDA_TASK_ROOT=str(ROOT),
        POWERTOOLS_TRACE_DISABLED="false",
        MONGODB_URI="mongodb://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )

    assert at_import == ["httplib"]
    assert after_aws == ["botocore", "httplib"]
    assert after_mongo == ["botocore", "httplib", "pymongo"]


def test_heif_support_is_loaded_by_the_first_iso_media_photo(tmp_path: Path) -> None:
    from tests.unit.media.sample_files import photo

    (tmp_path / "photo.jpg").write_bytes(photo("jpeg", (64, 48)))
    (tmp_path / "photo.heic").write_bytes(photo("heic", (64, 48)))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from boulderstat.imaging.photo import process_photo\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "seen = []\n"
        "for name in ('photo.jpg', 'photo.heic'):\n"
        "    out = process_photo(folder / name, folder / name.replace('.', '-'))\n"
        "    seen.append([out.format, out.width, out.height, 'pillow_heif' in sys.modules])\n"
        "print(json.dumps(seen))\n"
    )

    jpeg, heic = _run(script)

    assert jpeg == ["jpeg", 64, 48, False]
    assert heic == ["heif", 64, 48, True]
