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
DESCRIPTION = """Climb log API. Every route except /auth/* needs `Authorization: Bearer <Cognito \
ID token>`; data is the caller's own, or another climber's that their visibility, follows and \
blocks let the caller see (anything else is a 404, never a 403).

**Errors** have one shape, `ApiError`: `{"error": code, "message": reason}`, and validation \
errors add `"errors": [{location, reason}]`. The one exception is a 401 from API Gateway's JWT \
authorizer, which answers `{"message":"Unauthorized"}` itself before any function runs.

**One rule for every route:**
- An unknown query parameter is a 400 `unknown_query_parameter` naming it and the allowed ones.
- A cursor this API did not issue is a 400 `invalid_cursor` with one reason. Cursors are \
opaque: pass `next_cursor` back unchanged as `cursor` until it is null.
- `limit` is 1..100 (default 20) on every list; outside that, 422.
- Ids in paths and queries are 32 lowercase hex characters; a malformed id is a 422, a \
well-formed one that is not the caller's a 404. Paths are percent-decoded exactly once \
(`/climbs/%30...` is `/climbs/0...`); ids are never decoded again.
- A body must be one UTF-8 JSON object (`Content-Type: application/json`), at most 64 KiB and \
32 levels deep: otherwise 400 `malformed_body`, 413 or 415. JSON that breaks the schema is 422.
"""
LOCAL_PORT = 4000


def _servers() -> list[dict[str, Any]]:
    """The local stack and each deployed stage (its HTTP API's URL; `serverless info`)."""
    region = {"default": "eu-west-1", "description": "The stage's AWS region."}
    servers: list[dict[str, Any]] = [
        {
            "url": "http://127.0.0.1:{port}",
            "description": "Local stack: `boulderstat local up` (`--port` changes it).",
            "variables": {"port": {"default": str(LOCAL_PORT)}},
        }
    ]
    for stage in _stages():
        servers.append(
            {
                "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
                "description": f"Stage `{stage}`: its HTTP API's URL, printed by "
                f"`npx serverless info --stage {stage}`.",
                "variables": {
                    "apiId": {"default": f"{stage}-api-id", "description": "The HTTP API id."},
                    "region": region,
                },
            }
        )
    return servers


def _stages() -> list[str]:
    import yaml

    from boulderstat.local.routes import SERVERLESS_YML, _IgnoreTags

    params = yaml.load(SERVERLESS_YML.read_text(), Loader=_IgnoreTags).get("params") or {}
    return [stage for stage in params if stage != "default"]


def _security_schemes() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "cognito": HTTPBearer(
            bearerFormat="JWT",
            description="Cognito ID token, verified by the API Gateway JWT authorizer.",
        )
    }


def _apps() -> list[Any]:
    return [importlib.import_module(module_name).app for module_name in HTTP_APPS]


def _app_schemas(apps: list[Any]) -> list[dict[str, Any]]:
    schemas = []
    for app in apps:
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

    apps = _apps()
    schemas = _app_schemas(apps)
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
    document = merge.get_openapi_schema()
    document["servers"] = _servers()
    components = document.setdefault("components", {}).setdefault("schemas", {})
    _add_models(components)
    for app in apps:
        _document_model_query_parameters(document, app, components)
    _describe_real_errors(document)
    _add_examples(document)
    dangling = [ref for ref in _refs(document) if ref.rsplit("/", 1)[-1] not in components]
    if dangling:
        raise SystemExit(f"the document refers to missing schemas: {sorted(set(dangling))}")
    return document


REF = "#/components/schemas/{model}"


def _add_models(components: dict[str, Any]) -> None:
    """Our error shapes replace Powertools' FastAPI-style HTTPValidationError."""
    from boulderstat.http_api import ApiError, AuthorizerRejection

    for model in (ApiError, AuthorizerRejection):
        schema = model.model_json_schema(ref_template=REF)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.pop(name, None)


def _document_model_query_parameters(
    document: dict[str, Any], app: Any, components: dict[str, Any]
) -> None:
    """Powertools documents a pydantic model's query fields as bare types ("string"), losing
    formats, enums, patterns and bounds; publish each field's real schema instead. Query
    values cannot be null, so `null` alternatives go everywhere."""
    from pydantic import BaseModel

    for route in _routes(app):
        operation = document["paths"][route.openapi_path][route.method.lower()]
        fields: dict[str, Any] = {}
        for param in route.dependant.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                schema = model.model_json_schema(ref_template=REF, mode="validation")
                for name, definition in schema.pop("$defs", {}).items():
                    if components.setdefault(name, definition) != definition:
                        raise SystemExit(f"components.schemas.{name} differs in {model}")
                fields |= schema["properties"]
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in fields:
                definition = dict(fields[parameter["name"]])
                description = definition.pop("description", None)
                parameter["schema"] = definition
                if description:
                    parameter["description"] = description
            if parameter["in"] in ("query", "path"):
                parameter["schema"] = _not_null(parameter["schema"])
                if "description" in parameter["schema"]:
                    parameter.setdefault("description", parameter["schema"].pop("description"))


def _routes(app: Any) -> list[Any]:
    """The resolver's routes (pinned Powertools: its route lists are private)."""
    return list(app._static_routes) + list(app._dynamic_routes)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in schema.get("anyOf", []) if o != {"type": "null"}]
    if not options or len(options) == len(schema.get("anyOf", [])):
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if schema.get("default") is not None:
        rest["default"] = schema["default"]
    return rest | options[0] if len(options) == 1 else rest | {"anyOf": options}


def _describe_real_errors(document: dict[str, Any]) -> None:
    """Each operation gets the errors its shape implies (`boulderstat.http_api.implied_errors`)
    besides those its route declares; Powertools' FastAPI-style 422 goes, and a 204 has no
    body."""
    from boulderstat.http_api import implied_errors

    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            declared = operation.get("responses", {})
            declared.pop("422", None)
            implied = implied_errors(
                secured=bool(operation.get("security")),
                has_body="requestBody" in operation,
                has_params=bool(operation.get("parameters")),
            )
            for status, response in implied.items():
                if str(status) in declared:
                    # The route's wording wins; the shape (and 401's two bodies) stay implied.
                    response["description"] = declared[str(status)]["description"]
                declared[str(status)] = response
            declared.get("204", {}).pop("content", None)
            operation["responses"] = dict(sorted(declared.items()))


def _add_examples(document: dict[str, Any]) -> None:
    """Every request and response body shows an example: the route's own, else the first
    `examples` entry of the schema it refers to (the pydantic model's `json_schema_extra`)."""
    components = document["components"]["schemas"]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            bodies = [operation.get("requestBody", {})]
            bodies += list(operation.get("responses", {}).values())
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "examples" in media or "example" in media:
                        continue
                    schema = media.get("schema", {})
                    many = schema.get("type") == "array"
                    ref = (schema.get("items", {}) if many else schema).get("$ref", "")
                    examples = components.get(ref.rsplit("/", 1)[-1], {}).get("examples")
                    if examples:
                        value = [examples[0]] if many else examples[0]
                        media["examples"] = {"example": {"value": value}}


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
