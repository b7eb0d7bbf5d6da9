"""The deploy tests read the session's packaged stages (`packaged`, `layer_manifest`: see
tests/conftest.py, which shares them with the IAM-enforced local stack) and the layer zips."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest

from tests.deploy.offline_package import build_layers


@pytest.fixture(scope="session")
def layer_zips(layer_manifest: dict[str, Any]) -> dict[str, zipfile.ZipFile]:
    return {
        name: zipfile.ZipFile(build_layers.BUILD / f"{name}.zip") for name in ("deps", "ffmpeg")
    }
