"""docs/openapi.json is generated from the code: it must match, and cover every HTTP route."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from boulderstat.local.routes import load_routes

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_openapi", ROOT / "scripts" / "generate_openapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_document_matches_the_code() -> None:
    generator = _generator()
    committed = generator.DOCUMENT.read_text() if generator.DOCUMENT.exists() else ""
    assert committed == generator.render(), (
        f"docs/openapi.json is out of date with the code; regenerate it with "
        f"`{generator.REGENERATE}` and commit the result"
    )


def test_document_covers_every_route_in_serverless_yml() -> None:
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    routes = {(r.method, r.path) for r in load_routes()}
    assert routes and routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security") == [{"cognito": []}]
            assert secured == (not path.startswith("/auth/")), (method, path)
    assert "HTTPValidationError" not in json.dumps(document)  # our real 422 body is ApiError
