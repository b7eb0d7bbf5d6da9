"""Writes docs/openapi.json: one OpenAPI document for every HTTP function, generated from code.

    .venv/bin/python scripts/generate_openapi.py          # regenerate docs/openapi.json
    .venv/bin/python scripts/generate_openapi.py --check  # exit 1 if it is out of date

Each HTTP function exposes its Powertools resolver as `app` in functions/<name>/handler.py.
To add one to the document, append its module to HTTP_APPS. Paths are merged, and the same
component name defined differently by two apps is an error (Powertools' merge would silently
keep the last one).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "openapi.json"
REGENERATE = ".venv/bin/python scripts/generate_openapi.py"

HTTP_APPS: tuple[str, ...] = (
    "functions.climbs.handler",
    "functions.upload_url.handler",
    "functions.media.handler",
    "functions.auth.handler",
    "functions.climbers.handler",
    "functions.feed.handler",
)

TITLE = "BoulderStat API"
DESCRIPTION = (
    "Climb log API. Every route except /auth/* needs `Authorization: Bearer <Cognito ID token>`; "
    "data is the caller's own, or another climber's that their visibility, follows and blocks "
    "let the caller see (anything else is a 404, never a 403). Errors are JSON "
    '{"error": code, "message": reason}; validation errors add "errors": [{location, reason}].'
)


def _security_schemes() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "cognito": HTTPBearer(
            bearerFormat="JWT",
            description="Cognito ID token, verified by the API Gateway JWT authorizer.",
        )
    }


def _app_schemas() -> list[dict[str, Any]]:
    schemas = []
    for module_name in HTTP_APPS:
        app = importlib.import_module(module_name).app
        schema = app.get_openapi_schema(
            title=TITLE, version=version("boulderstat"), security_schemes=_security_schemes()
        )
        schemas.append(schema.model_dump(mode="json", by_alias=True, exclude_none=True))
    return schemas


def _check_components(schemas: list[dict[str, Any]]) -> None:
    seen: dict[tuple[str, str], tuple[str, Any]] = {}
    for module_name, schema in zip(HTTP_APPS, schemas, strict=True):
        for kind, components in schema.get("components", {}).items():
            for name, definition in components.items():
                first = seen.setdefault((kind, name), (module_name, definition))
                if first[1] != definition:
                    raise SystemExit(
                        f"components.{kind}.{name} differs between {first[0]} and {module_name}; "
                        "rename one of the models"
                    )


def build_document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    schemas = _app_schemas()
    _check_components(schemas)
    merge = OpenAPIMerge(
        title=TITLE,
        version=version("boulderstat"),
        description=DESCRIPTION,
        security_schemes=_security_schemes(),
        on_conflict="error",
    )
    for schema in schemas:
        merge.add_schema(schema)
    return _describe_real_errors(merge.get_openapi_schema())


def _describe_real_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents every 422 as FastAPI's HTTPValidationError and gives a 204 a body;
    our resolver answers `boulderstat.http_api.ApiError` and a 204 has no body."""
    from boulderstat.http_api import ApiError

    ref_template = "#/components/schemas/{model}"
    error_schema = ApiError.model_json_schema(ref_template=ref_template)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ApiError"] = error_schema
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Validation error: the body, query or path breaks the schema.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": ref_template.format(model="ApiError")}
                        }
                    },
                }
            responses.get("204", {}).pop("content", None)
    dangling = [ref for ref in _refs(document) if ref.rsplit("/", 1)[-1] not in schemas]
    if dangling:
        raise SystemExit(f"the document refers to missing schemas: {sorted(set(dangling))}")
    return document


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date; run: {REGENERATE}")
            return 1
        return 0
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)} ({len(HTTP_APPS)} app(s))")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
