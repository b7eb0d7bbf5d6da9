"""SnapStart is a stage option: off in every stage by default, and when a stage turns it on, the
HTTP functions get snapshots of published versions and API Gateway calls the alias that has
them (calling $LATEST would never use a snapshot)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.offline_package import TEST_PARAMS, Packaged, package_offline

pytestmark = pytest.mark.deploy

HTTP_FUNCTIONS = (
    "climbs", "climbers", "feed", "upload_url", "media", "auth", "reactions", "notifications",
    "leave",
)  # fmt: skip
ASYNC_FUNCTIONS = ("on_object_created", "thumbnail", "sweeper", "outbox", "notify")


@pytest.fixture(scope="module")
def snapstart_staging(
    layer_manifest: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Packaged:
    out = tmp_path_factory.mktemp("serverless-package-snapstart")
    params = {"staging": {**TEST_PARAMS["staging"], "snapStart": "true"}}
    path = package_offline.package(["staging"], out, build_layers=False, params=params)["staging"]
    return Packaged("staging", path.parent, json.loads(path.read_text()))


def test_snapstart_is_off_unless_a_stage_turns_it_on(packaged: dict[str, Packaged]) -> None:
    for stage in packaged.values():
        for function in stage.functions.values():
            assert "SnapStart" not in function["Properties"]
        assert not stage.of_type("AWS::Lambda::Alias")


def test_turned_on_the_http_functions_snapshot_published_versions(
    snapstart_staging: Packaged,
) -> None:
    stage = snapstart_staging
    assert stage.template["Resources"]  # sanity: a real template
    for name in HTTP_FUNCTIONS:
        function = stage.function(name)
        assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert function["Properties"]["Runtime"] in {"python3.12", "python3.13"}
        assert function["Properties"].get("EphemeralStorage", {"Size": 512})["Size"] <= 512
    for name in ASYNC_FUNCTIONS:
        assert "SnapStart" not in stage.function(name)["Properties"]


def test_turned_on_api_gateway_invokes_the_snapstart_alias(snapstart_staging: Packaged) -> None:
    stage = snapstart_staging
    aliases = stage.of_type("AWS::Lambda::Alias").values()
    # function logical id -> alias name; each alias points at a published version of it
    alias_of = {a["Properties"]["FunctionName"]["Ref"]: a["Properties"]["Name"] for a in aliases}
    functions = {stage.logical_id(stage.function(name)) for name in HTTP_FUNCTIONS}
    assert set(alias_of) == functions
    integrations = stage.of_type("AWS::ApiGatewayV2::Integration").values()
    permissions = [
        p["Properties"]
        for p in stage.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    targets = [i["Properties"]["IntegrationUri"] for i in integrations]
    targets += [p["FunctionName"] for p in permissions]
    assert len(targets) == 2 * len(HTTP_FUNCTIONS)
    for target in targets:  # "<function arn>:<alias>", never the unqualified $LATEST
        (function_arn, qualifier) = target["Fn::Join"][1]
        logical_id = function_arn["Fn::GetAtt"][0]
        assert qualifier == alias_of[logical_id], target
