"""The stage bus as consumers meet it: schema registry, archive, cross-account policy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from boulderstat.events.catalog import all_event_models
from boulderstat.events.schemas import SCHEMA_DIR, schema_file_name
from tests.deploy.offline_package import STAGES, Packaged

pytestmark = pytest.mark.deploy


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, packaged: dict[str, Packaged]) -> Packaged:
    return packaged[request.param]


def test_every_event_schema_is_in_the_stages_registry_as_valid_openapi(stage: Packaged) -> None:
    (registry_id,) = stage.of_type("AWS::EventSchemas::Registry")
    registry = stage.resources[registry_id]["Properties"]
    assert registry["RegistryName"] == f"boulderstat-{stage.stage}"
    schemas = {
        s["Properties"]["SchemaName"]: s["Properties"]
        for s in stage.of_type("AWS::EventSchemas::Schema").values()
    }
    assert set(schemas) == {f"{m.SOURCE}@{m.__name__}" for m in all_event_models()}
    for model in all_event_models():
        schema = schemas[f"{model.SOURCE}@{model.__name__}"]
        assert schema["RegistryName"] == {"Fn::GetAtt": [registry_id, "RegistryName"]}
        assert schema["Type"] == "OpenApi3"
        content: dict[str, Any] = json.loads(schema["Content"])
        validate(content)  # openapi-spec-validator: a document EventBridge can take
        envelope = content["components"]["schemas"]["AWSEvent"]
        assert envelope["x-amazon-events-source"] == model.SOURCE
        assert envelope["x-amazon-events-detail-type"] == model.DETAIL_TYPE
        detail = content["components"]["schemas"][model.__name__]
        published = json.loads((SCHEMA_DIR / schema_file_name(model)).read_text())
        assert set(detail["properties"]) == set(published["properties"])
        assert sorted(detail["required"]) == sorted(published["required"])


def test_the_bus_is_archived_for_replay(stage: Packaged) -> None:
    (archive,) = stage.of_type("AWS::Events::Archive").values()
    properties = archive["Properties"]
    assert properties["SourceArn"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert "EventPattern" not in properties  # every event, not a subset
    assert properties["RetentionDays"] == {"staging": 30, "prod": 365}[stage.stage]


def test_other_accounts_may_only_manage_their_own_rules_and_only_when_listed(
    stage: Packaged,
) -> None:
    (policy_id,) = stage.of_type("AWS::Events::EventBusPolicy")
    policy = stage.resources[policy_id]
    condition = stage.template["Conditions"][policy["Condition"]]
    # No accounts listed for these stages: the condition is false, so no policy is created.
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", []]}, ""]}]}
    statement = policy["Properties"]["Statement"]
    assert policy["Properties"]["EventBusName"] == {"Ref": "EventBus"}
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == sorted(
        [
            "events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets",
            "events:DisableRule", "events:EnableRule", "events:DescribeRule",
            "events:ListTargetsByRule",
        ]
    )  # fmt: skip
    assert "events:PutEvents" not in statement["Action"]  # consumers read; they never publish
    assert statement["Resource"] == {
        "Fn::Sub": (
            "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:"
            f"rule/boulderstat-{stage.stage}/*"
        )
    }
    assert statement["Principal"] == {"AWS": []}
    assert statement["Condition"] == {"StringEqualsIfExists": {"events:creatorAccount": []}}
