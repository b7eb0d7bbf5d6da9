"""Builds the Lambda layers and packages serverless.yml offline, once per test session.

The layer build is cached under build/layers (keyed by a hash of its inputs), so a warm run only
packages `staging` and `prod` (behind a local moto proxy, dummy credentials, no AWS) and lints
both templates. Needs `npm ci` to have run (the Makefile's setup does it).
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from tests.deploy.offline_package import ROOT, STAGES, Packaged, build_layers, package_offline


@pytest.fixture(scope="session")
def layer_manifest() -> dict[str, Any]:
    if not (ROOT / "node_modules" / ".bin" / "serverless").exists():
        pytest.fail("node_modules is missing: run `npm ci` (the Makefile's setup does)")
    return build_layers.build()


@pytest.fixture(scope="session")
def packaged(
    layer_manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Packaged]:
    out = tmp_path_factory.mktemp("serverless-package")
    templates = package_offline.package(list(STAGES), out, build_layers=False)
    return {
        stage: Packaged(stage, path.parent, json.loads(path.read_text()))
        for stage, path in templates.items()
    }


@pytest.fixture(scope="session")
def layer_zips(layer_manifest: dict[str, Any]) -> dict[str, zipfile.ZipFile]:
    return {
        name: zipfile.ZipFile(build_layers.BUILD / f"{name}.zip") for name in ("deps", "ffmpeg")
    }
