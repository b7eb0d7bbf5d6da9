"""docs/openapi.json tells a front-end developer everything without reading code: every status
with one error shape, an example for every body (valid against its own schema), pagination
and limits, the servers of each stage. Whether the running API answers what it says is
test_schemathesis.py's job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from boulderstat.local.routes import load_routes

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "docs" / "openapi.json").read_text())
OPERATIONS = [
    pytest.param(path, method, operation, id=f"{method.upper()} {path}")
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
API_ERROR = {"$ref": "#/components/schemas/ApiError"}
_REGISTRY = Registry().with_resource(
    "urn:openapi", DRAFT202012.create_resource({"components": DOCUMENT["components"]})
)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """Validates against a schema of the document, its $refs resolved in the document."""
    text = json.dumps(schema).replace('"#/components/', '"urn:openapi#/components/')
    return Draft202012Validator(
        json.loads(text), registry=_REGISTRY, format_checker=FormatChecker()
    )


def _bodies(operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [("request", m) for m in operation.get("requestBody", {}).get("content", {}).values()]
    for status, response in operation["responses"].items():
        found += [(status, media) for media in response.get("content", {}).values()]
    return found


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_body_has_examples_that_match_its_schema(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    bodies = _bodies(operation)
    assert bodies
    for where, media in bodies:
        examples = media.get("examples")
        assert examples, f"{method.upper()} {path} {where}: no example"
        for name, example in examples.items():
            errors = list(_validator(media["schema"]).iter_errors(example["value"]))
            assert not errors, (where, name, [e.message for e in errors])


def test_every_component_schema_with_an_example_matches_it() -> None:
    objects = {
        name: schema
        for name, schema in DOCUMENT["components"]["schemas"].items()
        if schema.get("type") == "object"
    }
    assert len(objects) > 20
    for name, schema in objects.items():
        assert schema.get("examples"), f"components.schemas.{name} has no example"
        for example in schema["examples"]:
            validator = _validator({"$ref": f"#/components/schemas/{name}"})
            assert not [e.message for e in validator.iter_errors(example)], name


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_one_success_status_and_one_error_shape(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    responses = operation["responses"]
    successes = [status for status in responses if status.startswith("2")]
    assert len(successes) == 1, successes
    if successes == ["204"]:
        assert "content" not in responses["204"]
    for status, response in responses.items():
        if status.startswith("2"):
            continue
        schema = response["content"]["application/json"]["schema"]
        if status == "401" and operation.get("security"):
            # The authorizer's own body, or ours when a verified identity is unusable.
            assert schema == {
                "oneOf": [{"$ref": "#/components/schemas/AuthorizerRejection"}, API_ERROR]
            }
        else:
            assert schema == API_ERROR, (status, schema)
    # What every route can answer, by shape (the generator adds them: see http_api.py).
    assert {"400", "503"} <= set(responses)
    if operation.get("security"):
        assert "401" in responses
    if "requestBody" in operation:
        assert {"413", "415", "422"} <= set(responses)
    if operation.get("parameters"):
        assert "422" in responses


def test_the_authorizer_401_is_documented_as_what_aws_sends() -> None:
    rejection = DOCUMENT["components"]["schemas"]["AuthorizerRejection"]
    assert _validator(rejection).is_valid({"message": "Unauthorized"})
    assert not _validator(rejection).is_valid({"error": "unauthorized", "message": "x"})
    example = DOCUMENT["paths"]["/climbs"]["get"]["responses"]["401"]["content"]
    assert example["application/json"]["examples"]["authorizer"]["value"] == {
        "message": "Unauthorized"
    }


def test_every_list_pages_the_same_way() -> None:
    lists = [
        (path, item["get"])
        for path, item in DOCUMENT["paths"].items()
        if "get" in item and any(p["name"] == "cursor" for p in item["get"].get("parameters", []))
    ]
    assert sorted(path for path, _ in lists) == [
        "/climbers/{climberId}/climbs",
        "/climbs",
        "/feed",
        "/feed/discover",
        "/media",
    ]
    for path, operation in lists:
        params = {p["name"]: p for p in operation["parameters"]}
        limit = params["limit"]["schema"]
        assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 100), path
        cursor = params["cursor"]["schema"]
        assert (cursor["type"], cursor["format"], cursor["maxLength"]) == ("string", "cursor", 200)
        assert "invalid_cursor" in params["cursor"]["description"]
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page_schema = DOCUMENT["components"]["schemas"][page.rsplit("/", 1)[-1]]
        assert {"items", "next_cursor"} <= set(page_schema["properties"])
    rules = DOCUMENT["info"]["description"]
    for rule in ("unknown_query_parameter", "invalid_cursor", "1..100", "percent-decoded"):
        assert rule in rules


def test_servers_name_the_local_stack_and_every_stage() -> None:
    servers = DOCUMENT["servers"]
    assert servers[0]["url"] == "http://127.0.0.1:{port}"
    assert servers[0]["variables"]["port"]["default"] == "4000"
    stages = [s["description"].split("`")[1] for s in servers[1:]]
    assert stages == ["dev", "staging", "prod"]
    for server in servers[1:]:
        assert server["url"] == "https://{apiId}.execute-api.{region}.amazonaws.com"
        assert set(server["variables"]) == {"apiId", "region"}


def test_every_route_in_serverless_yml_is_documented_once() -> None:
    documented = {
        (method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
    }
    assert documented == {(r.method, r.path) for r in load_routes()}
