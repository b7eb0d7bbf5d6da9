"""What `serverless package` would deploy for staging and prod, read from the real templates."""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.offline_package import (
    STAGES,
    TEST_PARAMS,
    Packaged,
    build_layers,
    package_offline,
)

pytestmark = pytest.mark.deploy

ASYNC_FUNCTIONS = ("on_object_created", "thumbnail", "notify", "web_rendition")
PUBLIC_ROUTES = {"POST /auth/token", "POST /auth/refresh", "POST /auth/logout"}
EXPECTED_ROUTES = PUBLIC_ROUTES | {
    "GET /climbs",
    "POST /climbs",
    "GET /climbs/stats",
    "GET /climbs/{climbId}",
    "PATCH /climbs/{climbId}",
    "DELETE /climbs/{climbId}",
    "POST /media/uploads",
    "POST /media/uploads/{mediaId}/parts/{partNumber}",
    "GET /media/uploads/{mediaId}/parts",
    "POST /media/uploads/{mediaId}/complete",
    "DELETE /media/uploads/{mediaId}",
    "GET /media",
    "GET /media/{mediaId}",
    "DELETE /media/{mediaId}",
    # community
    "GET /me",
    "PATCH /me",
    "GET /me/followers",
    "PUT /me/followers/{climberId}",
    "DELETE /me/followers/{climberId}",
    "GET /me/following",
    "GET /me/blocked",
    "GET /climbers",
    "GET /climbers/{climberId}",
    "PUT /climbers/{climberId}/follow",
    "DELETE /climbers/{climberId}/follow",
    "PUT /climbers/{climberId}/block",
    "DELETE /climbers/{climberId}/block",
    "GET /feed",
    "GET /feed/discover",
    "GET /climbers/{climberId}/climbs",
    "GET /climbs/{climbId}/card",
    "PUT /climbs/{climbId}/like",
    "DELETE /climbs/{climbId}/like",
    "GET /climbs/{climbId}/comments",
    "POST /climbs/{climbId}/comments",
    "DELETE /climbs/{climbId}/comments/{commentId}",
    "PUT /climbs/{climbId}/comments/{commentId}/like",
    "DELETE /climbs/{climbId}/comments/{commentId}/like",
    "GET /notifications",
    "POST /notifications/read",
    "DELETE /me",
    "GET /me/deletion",
}
# Resource types with a physical name, and the property that sets it.
NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Events::Archive": "ArchiveName",
    "AWS::EventSchemas::Registry": "RegistryName",
    "AWS::ApiGatewayV2::Api": "Name",
}


def _text(value: Any) -> str:
    """A property as text: `Fn::Sub` templates as written, other intrinsics as JSON."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_of(packaged: Packaged, function: dict[str, Any]) -> dict[str, Any]:
    role = function["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, "every function has its own role defined in this stack"
    return packaged.resources[role["Fn::GetAtt"][0]]


def _grants(packaged: Packaged, function_name: str) -> dict[str, set[str]]:
    """Action -> resources (as text) that the function's role allows."""
    grants: dict[str, set[str]] = {}
    for statement in _statements(_role_of(packaged, packaged.function(function_name))):
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                grants.setdefault(action, set()).add(_text(resource))
    return grants


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, packaged: dict[str, Packaged]) -> Packaged:
    return packaged[request.param]


# ------------------------------------------------------------------------------ lint


def test_cfn_lint_finds_nothing_beyond_the_documented_framework_warnings(stage: Packaged) -> None:
    counted, ignored = package_offline.cfn_lint(stage.directory / package_offline.TEMPLATE)
    assert not counted, "\n".join(package_offline.describe(f) for f in counted)
    # The ignore list is about generated resources only: nothing we declare is ever excused.
    ours = set(stage.resources) & {"MediaBucket", "EventBus", "ThumbnailDeadLetterQueue"}
    assert not [f for f in ignored if f["Location"]["Path"][1] in ours]


# ------------------------------------------------------------------------------ stages


def test_staging_and_prod_share_no_physical_name(packaged: dict[str, Packaged]) -> None:
    names = {}
    for stage_name, stage in packaged.items():
        names[stage_name] = set()
        for logical_id, resource in stage.resources.items():
            prop = NAME_PROPERTY.get(resource["Type"])
            if prop is None:
                continue
            if prop not in resource["Properties"]:
                # Left to CloudFormation, which names it after the (per-stage) stack.
                assert logical_id == "ServerlessDeploymentBucket", logical_id
                continue
            name = _text(resource["Properties"][prop])
            assert stage_name in name, f"{logical_id}: {name!r} is not named for {stage_name}"
            names[stage_name].add(name)
    assert len(names["staging"]) > 20
    assert not names["staging"] & names["prod"]


def test_each_stage_talks_to_its_own_bucket_bus_secrets_and_app_client(
    packaged: dict[str, Packaged],
) -> None:
    env = {
        name: stage.function("climbs")["Properties"]["Environment"]["Variables"]
        for name, stage in packaged.items()
    }
    for variable in (
        "STAGE",
        "MEDIA_BUCKET",
        "EVENT_BUS_NAME",
        "MONGODB_URI_PARAMETER",
        "MONGODB_DATABASE",
        "COGNITO_CLIENT_IDS",  # same user pool, one app client per stage
        "POWERTOOLS_METRICS_NAMESPACE",
    ):
        assert _text(env["staging"][variable]) != _text(env["prod"][variable]), variable
    assert env["staging"]["COGNITO_USER_POOL_ID"] == env["prod"]["COGNITO_USER_POOL_ID"]


def test_function_environment_matches_the_settings_contract(stage: Packaged) -> None:
    from boulderstat.settings import Settings

    known = {"AWS_REGION"} | {f.upper() for f in Settings.__dataclass_fields__}
    known |= {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
    known |= {"POWERTOOLS_TRACER_CAPTURE_RESPONSE"}
    for function in stage.functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert set(variables) <= known, f"unknown: {set(variables) - known}"
        assert "MONGODB_URI" not in variables, "the URI is a secret: only its SSM name is set"
        assert "AWS_ENDPOINT_URL" not in variables
    thumbnail = stage.function("thumbnail")["Properties"]["Environment"]["Variables"]
    assert thumbnail["RENDITION_WIDTHS"] == "320,960,1920"


def test_no_secret_is_resolved_into_the_template(stage: Packaged) -> None:
    text = json.dumps(stage.template)
    assert "mongodb://" not in text and "mongodb+srv://" not in text
    assert "resolve:ssm-secure" not in text and "resolve:secretsmanager" not in text
    env = stage.function("climbs")["Properties"]["Environment"]["Variables"]
    parameter = env["MONGODB_URI_PARAMETER"]
    assert parameter == f"/boulderstat/{stage.stage}/mongodb-uri"
    grants = _grants(stage, "climbs")
    assert grants["ssm:GetParameter"] == {
        f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{parameter}"
    }


# ------------------------------------------------------------------------------ S3 trigger


def test_only_uploads_trigger_ingest_and_derived_triggers_nothing(stage: Packaged) -> None:
    buckets = stage.of_type("AWS::S3::Bucket")
    media = buckets["MediaBucket"]["Properties"]
    notifications = media["NotificationConfiguration"]
    assert set(notifications) == {"LambdaConfigurations"}, "no queue/topic/EventBridge fan-out"
    (config,) = notifications["LambdaConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    ingest_id = stage.logical_id(stage.function("on_object_created"))
    assert config["Function"] == {"Fn::GetAtt": [ingest_id, "Arn"]}
    for key in ("derived/u1/m1/960.webp", "derived/uploads/x.jpg"):
        assert not key.startswith(config["Filter"]["S3Key"]["Rules"][0]["Value"])
    # Nothing else may invoke a function for this bucket (no framework s3 events).
    s3_permissions = [
        p
        for p in stage.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "s3.amazonaws.com"
    ]
    assert [p["Properties"]["FunctionName"] for p in s3_permissions] == [config["Function"]]
    assert _text(s3_permissions[0]["Properties"]["SourceArn"]).endswith(
        f"s3:::boulderstat-{stage.stage}-media-${{AWS::AccountId}}"
    )
    assert not [r for r in stage.resources.values() if r["Type"].startswith("Custom::")]
    # The only writer of derived/ (thumbnail) cannot write to uploads/.
    thumbnail_writes = _grants(stage, "thumbnail")["s3:PutObject"]
    assert all(r.endswith("/derived/*") for r in thumbnail_writes)


# ------------------------------------------------------------------------------ EventBridge


def test_thumbnail_runs_on_media_uploaded_from_the_stage_bus(stage: Packaged) -> None:
    bus = stage.resources["EventBus"]
    assert bus["Properties"]["Name"] == f"boulderstat-{stage.stage}"
    thumbnail_id = stage.logical_id(stage.function("thumbnail"))
    rules = [
        rule
        for rule in stage.of_type("AWS::Events::Rule").values()
        if any(
            t["Arn"] == {"Fn::GetAtt": [thumbnail_id, "Arn"]} for t in rule["Properties"]["Targets"]
        )
    ]
    assert len(rules) == 1
    rule = rules[0]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == {
        "source": ["boulderstat.media"],
        "detail-type": ["Media Uploaded"],
    }
    assert rule["State"] == "ENABLED"
    # No rule anywhere listens to the default bus (schedules match no events).
    for other in stage.of_type("AWS::Events::Rule").values():
        if "EventPattern" in other["Properties"]:
            assert other["Properties"].get("EventBusName") == {"Ref": "EventBus"}


def test_publishers_may_put_only_their_own_events_on_the_stage_bus(
    stage: Packaged,
) -> None:
    """Source AND detail-type: no function may publish the event that triggers another."""
    expected = {
        "climbs": ("boulderstat.climbs", ["Climb Created", "Climb Updated", "Climb Deleted"]),
        "media": ("boulderstat.media", ["Media Deleted"]),
        "on_object_created": ("boulderstat.media", ["Media Uploaded", "Media Processing Failed"]),
        "thumbnail": ("boulderstat.media", ["Media Processed", "Media Processing Failed"]),
        "web_rendition": (
            "boulderstat.media",
            ["Media Web Rendition Ready", "Media Web Rendition Failed"],
        ),
        "climbers": ("boulderstat.community", ["Climber Followed", "Climber Unfollowed"]),
        # Re-drives stuck media (Media Uploaded again), fails them, or completes lost outcomes.
        "sweeper": (
            "boulderstat.media",
            [
                "Media Uploaded",
                "Media Processed",
                "Media Processing Failed",
                "Media Web Rendition Ready",
                "Media Web Rendition Failed",
            ],
        ),
        "reactions": (
            "boulderstat.community",
            ["Climb Liked", "Climb Unliked", "Comment Posted", "Comment Deleted"],
        ),
        "leave": ("boulderstat.community", ["Climber Deleted"]),
    }
    for name in (*expected, "upload_url", "auth", "feed", "notifications", "notify"):
        role = _role_of(stage, stage.function(name))
        put_events = [s for s in _statements(role) if "events:PutEvents" in _as_list(s["Action"])]
        if name not in expected:
            assert not put_events, f"{name} publishes nothing"
            continue
        (statement,) = put_events
        assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
        source, detail_types = expected[name]
        assert statement["Condition"] == {
            "StringEquals": {"events:source": source, "events:detail-type": detail_types}
        }
    # The outbox re-publishes what a failed or crashed write left behind: exactly the events of
    # the writers that keep one (climbs, climbers, reactions), one statement per source, so no
    # climbs detail-type may go out under the community source or the other way round.
    outbox = _statements(_role_of(stage, stage.function("outbox")))
    outbox = [s for s in outbox if "events:PutEvents" in _as_list(s["Action"])]
    assert all(s["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]} for s in outbox)
    assert [s["Condition"]["StringEquals"] for s in outbox] == [
        {"events:source": source, "events:detail-type": types}
        for source, types in (
            expected["climbs"],
            ("boulderstat.community", expected["climbers"][1] + expected["reactions"][1]),
        )
    ]
    # The events that run a media function: `Media Uploaded` (thumbnail), which only ingest and
    # the sweeper's re-drive may publish, and `Media Processed` with a pending web rendition
    # (web_rendition), which only thumbnail and the sweeper's completion may publish.
    # (tests/integration/iam proves the condition under moto's IAM check.)
    notify_id = stage.logical_id(stage.function("notify"))
    triggers = [
        detail_type
        for rule in stage.of_type("AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] != {"Fn::GetAtt": [notify_id, "Arn"]}
        for detail_type in rule["Properties"].get("EventPattern", {}).get("detail-type", [])
    ]
    assert sorted(triggers) == ["Media Processed", "Media Uploaded"]
    # The notifications consumer runs on community events and publishes none itself (no loop).
    community = {
        t for n, (src, types) in expected.items() if src.endswith("community") for t in types
    }
    from boulderstat.community.notifications import EVENT_PATTERN

    assert set(EVENT_PATTERN["detail-type"]) == community
    assert [n for n, (_, types) in expected.items() if "Media Uploaded" in types] == [
        "on_object_created",
        "sweeper",
    ]


# ------------------------------------------------------------------------------ IAM


def test_no_s3_or_events_action_on_a_wildcard_resource(stage: Packaged) -> None:
    roles = stage.of_type("AWS::IAM::Role")
    assert "IamRoleLambdaExecution" not in roles, "no shared default role"
    assert len(roles) == len(stage.functions)
    for logical_id, role in roles.items():
        for statement in _statements(role):
            actions = _as_list(statement["Action"])
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), logical_id
            if not any(
                a.startswith(("s3:", "events:", "ssm:", "sqs:", "kms:", "logs:")) for a in actions
            ):
                assert actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
                continue
            for resource in _as_list(statement["Resource"]):
                text = _text(resource)
                assert text != "*", f"{logical_id}: {actions} on *"
                assert not re.search(r"s3:::\*|:\*$|event-bus/\*", text), f"{logical_id}: {text}"
                if text.endswith(":key/*"):  # KMS: only through SSM, only for one parameter
                    condition = statement["Condition"]["StringEquals"]
                    assert "kms:ViaService" in condition
                    assert "kms:EncryptionContext:PARAMETER_ARN" in condition


def test_each_function_gets_exactly_its_own_s3_rights(stage: Packaged) -> None:
    bucket = f"arn:${{AWS::Partition}}:s3:::boulderstat-{stage.stage}-media-${{AWS::AccountId}}"
    uploads, derived = f"{bucket}/uploads/*", f"{bucket}/derived/*"

    def s3(name: str) -> dict[str, set[str]]:
        return {a: r for a, r in _grants(stage, name).items() if a.startswith("s3:")}

    # ListBucket: so that a HEAD/GET of a key already gone answers 404, not 403 (see the
    # listMediaBucket statement); only for roles that already read every key under uploads/.
    # Signs POSTs and part PUTs, lists parts before completing, aborts; cannot read, list,
    # delete, nor touch derived/.
    assert s3("upload_url") == {
        "s3:PutObject": {uploads},
        "s3:ListMultipartUploadParts": {uploads},
        "s3:AbortMultipartUpload": {uploads},
    }
    assert s3("on_object_created") == {
        "s3:GetObject": {uploads},
        "s3:DeleteObject": {uploads},
        "s3:ListBucket": {bucket},
    }
    # DeleteObject on derived/: renditions written for media deleted meanwhile are removed.
    assert s3("thumbnail") == {
        "s3:GetObject": {uploads},
        "s3:PutObject": {derived},
        "s3:DeleteObject": {derived},
        "s3:ListBucket": {bucket},
    }
    # Reads originals, writes web.mp4 (removes it again if the media was deleted meanwhile).
    assert s3("web_rendition") == {
        "s3:GetObject": {uploads},
        "s3:PutObject": {derived},
        "s3:DeleteObject": {derived},
        "s3:ListBucket": {bucket},
    }
    assert s3("media") == {
        "s3:GetObject": {uploads, derived},
        "s3:DeleteObject": {uploads, derived},
        "s3:ListBucket": {bucket},
    }
    assert s3("climbs") == {} and s3("auth") == {}
    # Re-runs ingest for lost notifications and removes orphans; never writes anything.
    assert s3("sweeper") == {
        "s3:GetObject": {uploads},
        "s3:DeleteObject": {uploads, derived},
        "s3:ListBucket": {bucket},
    }
    # Community functions only mint GETs of renditions (feed cards, profile pictures).
    assert s3("feed") == {"s3:GetObject": {derived}}
    assert s3("climbers") == {"s3:GetObject": {derived}}
    assert s3("reactions") == {} and s3("notifications") == {} and s3("notify") == {}
    # Leaving removes everything under the climber's prefixes (listing to find it).
    assert s3("leave") == {"s3:DeleteObject": {uploads, derived}, "s3:ListBucket": {bucket}}


def test_the_sweeper_runs_on_a_schedule_and_publishes_only_what_it_redrives(
    stage: Packaged,
) -> None:
    sweeper_id = stage.logical_id(stage.function("sweeper"))
    (schedule,) = [
        r["Properties"]
        for r in stage.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [sweeper_id, "Arn"]}
    ]
    assert re.fullmatch(r"rate\(\d+ minutes\)", schedule["ScheduleExpression"])
    assert schedule["State"] == "ENABLED" and "EventPattern" not in schedule
    role = _role_of(stage, stage.function("sweeper"))
    (put_events,) = [s for s in _statements(role) if s["Action"] == "events:PutEvents"]
    assert put_events["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert put_events["Condition"] == {
        "StringEquals": {
            "events:source": "boulderstat.media",
            # Re-drives, failures, and outcome events a crash lost (web renditions' too).
            "events:detail-type": [
                "Media Uploaded",
                "Media Processed",
                "Media Processing Failed",
                "Media Web Rendition Ready",
                "Media Web Rendition Failed",
            ],
        }
    }
    # It knows how long the web_rendition function may run (the same parameter).
    environment = stage.function("sweeper")["Properties"]["Environment"]["Variables"]
    web_timeout = stage.function("web_rendition")["Properties"]["Timeout"]
    assert float(environment["WEB_RENDITION_TIMEOUT_SECONDS"]) == web_timeout
    # It finishes inside its timeout: the handler keeps the processing margin back.
    timeout = stage.function("sweeper")["Properties"]["Timeout"]
    from boulderstat.settings import Settings

    assert timeout > 2 * Settings().processing_margin_seconds


def test_logs_go_only_to_the_functions_own_log_group(stage: Packaged) -> None:
    for function in stage.functions.values():
        grants = {}
        for statement in _statements(_role_of(stage, function)):
            for action in _as_list(statement["Action"]):
                if action.startswith("logs:"):
                    grants[action] = statement["Resource"]
        log_group = function["DependsOn"][0]
        assert stage.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
        assert grants == {
            "logs:CreateLogStream": {"Fn::GetAtt": [log_group, "Arn"]},
            "logs:PutLogEvents": {"Fn::GetAtt": [log_group, "Arn"]},
        }


def test_auth_reads_only_the_stage_client_secret_and_cookie_signing_key(stage: Packaged) -> None:
    grants = _grants(stage, "auth")
    secret = f"/boulderstat/{stage.stage}/cognito-client-secret"
    signing_key = f"/boulderstat/{stage.stage}/cloudfront-private-key"
    assert grants["ssm:GetParameter"] == {
        f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{name}"
        for name in (secret, signing_key)
    }
    configured = stage.function("auth")["Properties"]["Environment"]["Variables"]
    assert configured["COGNITO_CLIENT_SECRET_PARAMETER"] in ("", secret)


# ------------------------------------------------------------------------------ layers


def test_every_function_has_the_dependency_layer_and_media_workers_have_ffmpeg(
    stage: Packaged,
) -> None:
    for function in stage.functions.values():
        properties = function["Properties"]
        layers = properties["Layers"]
        assert layers[0] == {"Ref": "DepsLambdaLayer"}
        assert properties["Runtime"] == "python3.12"
        assert properties["Architectures"] == [build_layers.ARCHITECTURE]
        if properties["FunctionName"].endswith(("-thumbnail", "-web_rendition")):
            assert layers == [{"Ref": "DepsLambdaLayer"}, {"Ref": "FfmpegLambdaLayer"}]
        else:
            assert layers == [{"Ref": "DepsLambdaLayer"}]
    for layer in stage.of_type("AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleArchitectures"] == [build_layers.ARCHITECTURE]
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]


def test_each_function_with_its_layers_fits_the_unzipped_limit(
    stage: Packaged, layer_zips: dict[str, zipfile.ZipFile]
) -> None:
    code = sum(i.file_size for i in zipfile.ZipFile(stage.directory / "boulderstat.zip").infolist())
    layer_bytes = {
        "DepsLambdaLayer": sum(i.file_size for i in layer_zips["deps"].infolist()),
        "FfmpegLambdaLayer": sum(i.file_size for i in layer_zips["ffmpeg"].infolist()),
    }
    for function in stage.functions.values():
        total = code + sum(layer_bytes[layer["Ref"]] for layer in function["Properties"]["Layers"])
        assert total < build_layers.LAMBDA_UNZIPPED_LIMIT, function["Properties"]["FunctionName"]


def test_code_package_holds_only_the_code(stage: Packaged) -> None:
    names = zipfile.ZipFile(stage.directory / "boulderstat.zip").namelist()
    assert names
    assert all(n.startswith(("boulderstat/", "functions/")) for n in names), names
    assert not [n for n in names if n.startswith("boulderstat/local/") or "__pycache__" in n]
    assert not [n for n in names if n.endswith((".pyc", ".so", ".zip"))]


def test_every_handler_exists_and_every_import_resolves_on_lambda(
    stage: Packaged, layer_zips: dict[str, zipfile.ZipFile]
) -> None:
    """Each handler string points at a `handler` function in the zip, and everything the code
    imports is in the zip, the standard library, the dependency layer or the Lambda runtime."""
    code = zipfile.ZipFile(stage.directory / "boulderstat.zip")
    names = set(code.namelist())
    for function in stage.functions.values():
        module, _, attribute = function["Properties"]["Handler"].rpartition(".")
        source = f"{module.replace('.', '/')}.py"
        assert source in names, f"{function['Properties']['FunctionName']}: no {source}"
        tree = ast.parse(code.read(source))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        defined |= {
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        assert attribute in defined, f"{source} defines no {attribute}"
    layer = {n.split("/")[1].removesuffix(".py") for n in layer_zips["deps"].namelist()}
    available = layer | {"boulderstat", "functions"} | set(sys.stdlib_module_names)
    available |= {"boto3", "botocore", "s3transfer"}  # the python3.12 runtime's own
    # Also the runtime's own (SnapStart hooks); imported guarded, absent locally.
    available |= {"snapshot_restore_py"}
    unresolved = {}
    for name in names:
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(code.read(name))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] not in available:
                    unresolved.setdefault(module, []).append(name)
    assert not unresolved, f"imported but not shipped: {unresolved}"


# ------------------------------------------------------------------------------ HTTP API


def test_authorizer_guards_every_route_except_the_public_auth_ones(stage: Packaged) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in stage.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == EXPECTED_ROUTES
    for key, route in routes.items():
        if key in PUBLIC_ROUTES:
            assert route.get("AuthorizationType", "NONE") == "NONE", key
            assert "AuthorizerId" not in route
        else:
            assert route["AuthorizationType"] == "JWT", key
            assert route["AuthorizerId"] == {"Ref": "HttpApiAuthorizerCognito"}, key


def test_jwt_authorizer_trusts_the_pool_and_only_the_stage_app_client(
    packaged: dict[str, Packaged],
) -> None:
    audiences = {}
    for name, stage in packaged.items():
        authorizer = stage.resources["HttpApiAuthorizerCognito"]["Properties"]
        assert authorizer["AuthorizerType"] == "JWT"
        assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
        pool = stage.function("climbs")["Properties"]["Environment"]["Variables"]
        issuer = authorizer["JwtConfiguration"]["Issuer"]
        assert issuer == (
            f"https://cognito-idp.eu-west-1.amazonaws.com/{pool['COGNITO_USER_POOL_ID']}"
        )
        audiences[name] = authorizer["JwtConfiguration"]["Audience"]
        assert audiences[name] == [pool["COGNITO_CLIENT_IDS"]]
    assert audiences["staging"] != audiences["prod"]


def test_api_cors_allows_the_app_origins_only(stage: Packaged) -> None:
    cors = stage.resources["HttpApi"]["Properties"]["CorsConfiguration"]
    origins = cors["AllowOrigins"]
    assert origins and "*" not in origins
    assert all(o.startswith("https://") or o.startswith("http://localhost") for o in origins)
    if stage.stage == "prod":
        assert not [o for o in origins if "localhost" in o]
    assert cors["AllowCredentials"] is True  # the refresh cookie on /auth/*
    assert set(cors["AllowHeaders"]) == {"Authorization", "Content-Type"}


def test_api_is_throttled(stage: Packaged) -> None:
    settings = stage.resources["HttpApiStage"]["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0


# ------------------------------------------------------------------------------ async failures


def test_async_functions_have_bounded_retries_and_a_dead_letter_queue(stage: Packaged) -> None:
    configs = stage.of_type("AWS::Lambda::EventInvokeConfig")
    for name in ASYNC_FUNCTIONS:
        function_id = stage.logical_id(stage.function(name))
        (config,) = [
            c["Properties"]
            for c in configs.values()
            if c["Properties"]["FunctionName"] == {"Ref": function_id}
        ]
        assert 0 <= config["MaximumRetryAttempts"] <= 2
        assert 60 <= config["MaximumEventAgeInSeconds"] <= 6 * 3600
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        queue_id = destination["Fn::GetAtt"][0]
        queue = stage.resources[queue_id]
        assert queue["Type"] == "AWS::SQS::Queue" and destination["Fn::GetAtt"][1] == "Arn"
        assert queue["Properties"]["QueueName"] == (
            f"boulderstat-{stage.stage}-{name.replace('_', '-')}-dlq"
        )
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        # Lambda sends the failure record with the function's own role.
        sends = _grants(stage, name)["sqs:SendMessage"]
        assert sends == {_text(destination)}


def test_eventbridge_delivery_to_every_consumer_is_bounded_and_dead_lettered(
    stage: Packaged,
) -> None:
    rules = [
        r for r in stage.of_type("AWS::Events::Rule").values() if "EventPattern" in r["Properties"]
    ]
    policies = [p["Properties"] for p in stage.of_type("AWS::SQS::QueuePolicy").values()]
    assert {r["Properties"]["Name"] for r in rules} == {
        f"boulderstat-{stage.stage}-media-uploaded",
        f"boulderstat-{stage.stage}-web-rendition-pending",
        f"boulderstat-{stage.stage}-notify",
    }
    dead_letters = set()
    for rule in rules:
        (target,) = rule["Properties"]["Targets"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] <= 185
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600
        queue_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        dead_letters.add(queue_id)
        (policy,) = [p for p in policies if p["Queues"] == [{"Ref": queue_id}]]
        (statement,) = policy["PolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
        assert source.endswith(f"rule/boulderstat-{stage.stage}/{rule['Properties']['Name']}")
    assert {"ThumbnailDeadLetterQueue", "WebRenditionDeadLetterQueue"} <= dead_letters


def test_notify_consumes_exactly_the_pattern_the_local_stack_subscribes(stage: Packaged) -> None:
    from boulderstat.community.notifications import EVENT_PATTERN

    notify_id = stage.logical_id(stage.function("notify"))
    (rule,) = [
        r["Properties"]
        for r in stage.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [notify_id, "Arn"]}
    ]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == EVENT_PATTERN


def test_the_web_rendition_rule_matches_the_local_one(stage: Packaged) -> None:
    """The local bus (boulderstat/local/provision.py) routes with the very same pattern."""
    from boulderstat.local.provision import WEB_RENDITION_PENDING_PATTERN

    (rule,) = [
        r["Properties"]
        for r in stage.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("Name", "").endswith("-web-rendition-pending")
    ]
    assert rule["EventPattern"] == WEB_RENDITION_PENDING_PATTERN


# ------------------------------------------------------------------------------ bucket


def test_media_bucket_is_private_encrypted_and_tls_only(stage: Packaged) -> None:
    bucket = stage.resources["MediaBucket"]
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert "AccessControl" not in properties and "WebsiteConfiguration" not in properties
    (policy,) = [
        p
        for p in stage.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "MediaBucket"}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # It grants nothing but the stage's own CloudFront distribution reading renditions.
    (allowed,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allowed["Action"] == "s3:GetObject"
    assert _text(allowed["Resource"]).endswith("/derived/*")
    assert _text(allowed["Condition"]["StringEquals"]["AWS:SourceArn"]).endswith(
        ":distribution/${SiteDistribution}"
    )
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)
    # Climbers' originals survive a prod `serverless remove`.
    expected = "Retain" if stage.stage == "prod" else "Delete"
    assert bucket["DeletionPolicy"] == expected


def test_media_bucket_cors_lets_the_app_post_uploads_and_get_media(stage: Packaged) -> None:
    (rule,) = stage.resources["MediaBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    api_origins = stage.resources["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"]
    assert rule["AllowedOrigins"] == api_origins
    assert set(rule["AllowedMethods"]) == {"POST", "PUT", "GET", "HEAD"}  # PUT: multipart parts
    assert rule["ExposedHeaders"] == ["ETag"]  # an uploader needs each part's ETag


def test_lifecycle_cleans_up_without_expiring_originals_or_renditions(stage: Packaged) -> None:
    rules = stage.resources["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_id = {rule["Id"]: rule for rule in rules}
    assert by_id["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    for rule in rules:
        if "ExpirationInDays" in rule or "ExpirationDate" in rule:
            # Only objects explicitly tagged for removal may expire by age.
            assert rule["TagFilters"] == [{"Key": "boulderstat:expire", "Value": "true"}]
            assert "Prefix" not in rule


def test_log_groups_have_the_stage_retention(stage: Packaged) -> None:
    expected = {"staging": 14, "prod": 90}[stage.stage]
    groups = stage.of_type("AWS::Logs::LogGroup")
    assert len(groups) >= len(stage.functions)
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == expected


def test_powertools_is_configured_per_stage(stage: Packaged) -> None:
    for function in stage.functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "boulderstat"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"BoulderStat/{stage.stage}"
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_thumbnail_is_sized_for_500_mb_originals(stage: Packaged) -> None:
    properties = stage.function("thumbnail")["Properties"]
    assert properties["MemorySize"] >= 2048
    assert properties["Timeout"] >= 300
    assert properties["EphemeralStorage"]["Size"] >= 2048


# ------------------------------------------------------------------------------ parameters


def test_a_stage_with_a_placeholder_parameter_refuses_to_package(tmp_path: Path) -> None:
    """All but one placeholder supplied: packaging stops with one line naming that one."""
    params = {k: v for k, v in TEST_PARAMS["prod"].items() if k != "cognitoAppClientId"}
    with pytest.raises(RuntimeError) as refused:
        package_offline.package(["prod"], tmp_path, build_layers=False, params={"prod": params})
    (line,) = [line for line in str(refused.value).splitlines() if "placeholder" in line]
    assert line.startswith('Stage "prod" has placeholder parameters: cognitoAppClientId ('), line
    assert not (tmp_path / "prod" / package_offline.TEMPLATE).exists()


def test_the_tests_packaged_with_their_explicit_parameters(stage: Packaged) -> None:
    text = json.dumps(stage.template)
    assert not re.search("REPLACE_?ME", text, re.IGNORECASE)
    env = stage.function("climbs")["Properties"]["Environment"]["Variables"]
    assert env["COGNITO_CLIENT_IDS"] == TEST_PARAMS[stage.stage]["cognitoAppClientId"]
    assert env["COGNITO_USER_POOL_ID"] == TEST_PARAMS[stage.stage]["cognitoUserPoolId"]


# ------------------------------------------------------------------------------ operations


def _alarms(stage: Packaged) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in stage.of_type("AWS::CloudWatch::Alarm").items()}


def test_every_alarm_notifies_the_stage_topic_and_its_subscription_is_a_parameter(
    stage: Packaged,
) -> None:
    alarms = _alarms(stage)
    assert alarms
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["AlarmName"].startswith(f"boulderstat-{stage.stage}-"), name
        assert alarm["TreatMissingData"] == "notBreaching", name
    topic = stage.resources["AlarmTopic"]["Properties"]
    assert topic["TopicName"] == f"boulderstat-{stage.stage}-alarms"
    (subscription,) = stage.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == TEST_PARAMS[stage.stage]["alarmEmail"]
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}


def test_every_function_has_error_throttle_and_duration_alarms(stage: Packaged) -> None:
    alarms = _alarms(stage)
    for logical_id, function in stage.functions.items():
        watching = {
            alarm["MetricName"]: alarm
            for alarm in alarms.values()
            if alarm.get("Namespace") == "AWS/Lambda"
            and alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
        }
        assert set(watching) == {"Errors", "Throttles", "Duration"}, logical_id
        for metric in ("Errors", "Throttles"):
            assert watching[metric]["Statistic"] == "Sum"
            assert watching[metric]["Threshold"] == 0
            assert watching[metric]["ComparisonOperator"] == "GreaterThanThreshold"
        duration = watching["Duration"]
        assert duration["ExtendedStatistic"] == "p99"
        # 80% of the function's own timeout, in milliseconds.
        assert duration["Threshold"] == function["Properties"]["Timeout"] * 800, logical_id


def test_every_dead_letter_queue_alarms_as_soon_as_it_holds_a_message(stage: Packaged) -> None:
    queues = {k for k, v in stage.of_type("AWS::SQS::Queue").items() if k.endswith("Queue")}
    dead_letter = {k for k in queues if "DeadLetter" in k}
    assert len(dead_letter) >= 2
    watched = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in _alarms(stage).values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Threshold"] == 0
        and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    }
    assert dead_letter <= watched


def test_api_5xx_rate_alarm(stage: Packaged) -> None:
    (alarm,) = [a for a in _alarms(stage).values() if "Metrics" in a]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    errors = metrics["errors"]["MetricStat"]["Metric"]
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert {"Name": "ApiId", "Value": {"Ref": "HttpApi"}} in errors["Dimensions"]
    assert "errors / requests" in metrics["rate"]["Expression"]
    assert alarm["Threshold"] == 0.05


def test_http_api_access_log_has_latency_status_and_the_authorizer_error(stage: Packaged) -> None:
    settings = stage.resources["HttpApiStage"]["Properties"]["AccessLogSettings"]
    fields = json.loads(settings["Format"])
    assert fields["status"] == "$context.status"
    assert fields["responseLatency"] == "$context.responseLatency"
    assert fields["integrationLatency"] == "$context.integrationLatency"
    assert fields["authorizerError"] == "$context.authorizer.error"
    assert fields["requestId"] == "$context.requestId"


# Atlas' smallest tiers (M0, Flex) accept 500 connections; each pymongo client also keeps two
# monitoring connections (heartbeat + round-trip time) to each server it talks to.
SMALLEST_ATLAS_TIER_CONNECTIONS = 500
MONITORING_CONNECTIONS_PER_CLIENT = 2


def test_async_functions_have_reserved_concurrency_within_the_mongodb_budget(
    stage: Packaged,
) -> None:
    pool = {
        int(f["Properties"]["Environment"]["Variables"]["MONGODB_MAX_POOL_SIZE"])
        for f in stage.functions.values()
    }
    assert pool == {2}
    reserved = {
        name: stage.function(name)["Properties"]["ReservedConcurrentExecutions"]
        for name in ASYNC_FUNCTIONS
    }
    assert all(count >= 1 for count in reserved.values()), reserved
    connections = sum(reserved.values()) * (2 + MONITORING_CONNECTIONS_PER_CLIENT)
    # The pipeline at full burst leaves most of the smallest tier to the API.
    assert connections <= SMALLEST_ATLAS_TIER_CONNECTIONS // 4, (reserved, connections)
