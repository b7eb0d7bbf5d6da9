"""Least privilege, enforced: the session's local stack runs under moto's IAM check, each
function with exactly its role's statements from the packaged staging template (tests/conftest.py,
boulderstat/local/iam.py). Every other integration test therefore runs under it too; these
tests show the check is on, that the users hold what the template says, and that a missing
statement fails with AccessDenied.
"""

from __future__ import annotations

import copy
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from PIL import Image

from boulderstat.local.iam import LocalIam, role_statements
from boulderstat.local.stack import LocalStack
from boulderstat.media.storage import MediaStorage
from tests import media_factory
from tests.deploy.offline_package import Packaged

MEDIA_UPLOADED = "Media Uploaded"  # the event that runs another function (thumbnail)


@pytest.fixture(scope="module")
def iam(stack: LocalStack) -> LocalIam:
    assert stack.iam is not None, "the session stack must enforce IAM (tests/conftest.py)"
    return stack.iam


def client_of(stack: LocalStack, iam: LocalIam, function: str, service: str) -> Any:
    """A boto3 client signing with `function`'s own keys, as its execution environment does."""
    assert stack.settings is not None
    keys = iam.keys(function)
    return boto3.client(
        service,
        endpoint_url=stack.settings.aws_endpoint_url,
        region_name=stack.settings.region,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        config=Config(
            retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        ),
    )


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def without_statement(
    packaged: Packaged, function: str, matches: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """A copy of the packaged template whose `function` role lacks the one matching statement."""
    template = copy.deepcopy(packaged.template)
    role_id = packaged.function(function)["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = template["Resources"][role_id]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    (removed,) = [s for s in statements if matches(s)]
    statements.remove(removed)
    return template


@pytest.fixture
def restore(iam: LocalIam) -> Iterator[Callable[[str], None]]:
    """`restore(function)` after the test, whatever happens: the stack is shared."""
    touched: list[str] = []
    yield touched.append
    for function in touched:
        iam.restore(function)


def test_the_check_is_on_and_the_harness_is_an_admin(stack: LocalStack) -> None:
    assert stack.settings is not None
    anonymous = boto3.client(
        "s3",
        endpoint_url=stack.settings.aws_endpoint_url,
        region_name=stack.settings.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    with pytest.raises(ClientError) as refused:
        anonymous.list_objects_v2(Bucket=stack.settings.media_bucket)
    assert error_code(refused) == "InvalidAccessKeyId"
    stack.client("s3").list_objects_v2(Bucket=stack.settings.media_bucket, MaxKeys=1)


def test_each_function_user_holds_exactly_its_packaged_role(
    stack: LocalStack, iam: LocalIam, packaged: dict[str, Packaged]
) -> None:
    template = packaged["staging"].template
    functions = set(role_statements(template))
    assert {"climbs", "upload_url", "media", "on_object_created", "thumbnail"} <= functions
    assert set(iam.function_environment()) == functions
    admin_iam = stack.client("iam")
    for function in functions:
        document = admin_iam.get_user_policy(
            UserName=iam.users.user_name(function), PolicyName="function-role"
        )["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        assert document["Statement"] == iam.policies(template)[function], function
    # The intrinsics became the local names (literals, not the resolver's own output).
    assert stack.settings is not None
    bucket = stack.settings.media_bucket
    thumbnail_s3 = {
        action: statement["Resource"]
        for statement in iam.policies()["thumbnail"]
        for action in statement["Action"]
        if isinstance(statement["Action"], list) and action.startswith("s3:")
    }
    assert thumbnail_s3 == {
        "s3:PutObject": f"arn:aws:s3:::{bucket}/derived/*",
        "s3:DeleteObject": f"arn:aws:s3:::{bucket}/derived/*",
    }
    (put_events,) = [s for s in iam.policies()["thumbnail"] if s["Action"] == "events:PutEvents"]
    assert put_events["Resource"] == (
        f"arn:aws:events:{stack.settings.region}:123456789012:event-bus/"
        f"{stack.settings.event_bus_name}"
    )


def test_no_function_may_publish_the_event_that_triggers_another(
    stack: LocalStack, iam: LocalIam
) -> None:
    """`events:detail-type` in each role: only ingest (and the sweeper's re-drive) may publish
    Media Uploaded; a publisher cannot use another's source either."""
    assert stack.settings is not None
    bus = stack.settings.event_bus_name

    def put(function: str, source: str, detail_type: str) -> None:
        client_of(stack, iam, function, "events").put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": source,
                    "DetailType": detail_type,
                    # No such media: a thumbnail run on it would find nothing to do.
                    "Detail": json.dumps({"user_id": f"iam-{uuid.uuid4().hex}"}),
                }
            ]
        )

    for function in ("thumbnail", "media", "climbs", "upload_url", "auth"):
        with pytest.raises(ClientError) as refused:
            put(function, "boulderstat.media", MEDIA_UPLOADED)
        assert error_code(refused) == "AccessDeniedException", function
    with pytest.raises(ClientError) as refused:
        put("on_object_created", "boulderstat.media", "Media Processed")  # thumbnail's event
    assert error_code(refused) == "AccessDeniedException"
    with pytest.raises(ClientError) as refused:
        put("climbs", "boulderstat.media", "Climb Created")  # its own type, another's source
    assert error_code(refused) == "AccessDeniedException"
    # The outbox: one statement per source, neither lends its detail-types to the other, and no
    # event whose write keeps no outbox (tests/integration/community/test_community_outbox.py
    # proves it publishes the community ones).
    for source, detail_type in (
        ("boulderstat.community", "Climb Created"),
        ("boulderstat.climbs", "Climber Followed"),
        ("boulderstat.community", "Climber Deleted"),
        ("boulderstat.media", MEDIA_UPLOADED),
    ):
        with pytest.raises(ClientError) as refused:
            put("outbox", source, detail_type)
        assert error_code(refused) == "AccessDeniedException", (source, detail_type)
    # What each may publish goes through (nothing listens to these).
    put("on_object_created", "boulderstat.media", "Media Processing Failed")
    put("climbs", "boulderstat.climbs", "Climb Deleted")
    put("outbox", "boulderstat.climbs", "Climb Deleted")


def test_thumbnail_may_remove_renditions_it_wrote_and_needed_delete_on_derived(
    stack: LocalStack, iam: LocalIam, packaged: dict[str, Packaged], restore: Any
) -> None:
    """MediaProcessor removes the renditions it wrote for media deleted meanwhile. Under the
    role before the fix (no s3:DeleteObject on derived/) S3 refuses that delete."""
    assert stack.settings is not None
    storage = MediaStorage(client_of(stack, iam, "thumbnail", "s3"), stack.settings.media_bucket)
    prefix = f"derived/iam-{uuid.uuid4().hex}/m1/etag/"
    rendition = Path(__file__)  # any small file
    storage.put_file(f"{prefix}320.webp", rendition, content_type="image/webp", cache_control="x")
    assert storage.remove(keys=[], prefix=prefix) == 1

    storage.put_file(f"{prefix}960.webp", rendition, content_type="image/webp", cache_control="x")
    restore("thumbnail")
    iam.apply(
        without_statement(
            packaged["staging"],
            "thumbnail",
            lambda s: "s3:DeleteObject" in s["Action"] and "s3:PutObject" in s["Action"],
        ),
        "thumbnail",
    )
    with pytest.raises(RuntimeError, match="S3 refused to delete 1 object"):
        storage.remove(keys=[], prefix=prefix)
    # Never the originals, whatever the role.
    with pytest.raises(ClientError) as refused:
        client_of(stack, iam, "thumbnail", "s3").delete_object(
            Bucket=stack.settings.media_bucket, Key=f"uploads/iam-{uuid.uuid4().hex}/x.jpg"
        )
    assert error_code(refused) == "AccessDenied"


def test_the_pipeline_runs_end_to_end_under_each_functions_own_rights(
    stack: LocalStack, new_climber: Callable[..., Any], tmp_path: Path
) -> None:
    """upload_url signs the POST, ingest reads and announces, thumbnail renders and publishes,
    media signs the GETs and deletes: each with its own keys, checked by moto."""
    climber = new_climber("iam")
    subscriber = stack.subscriber(detail={"user_id": [climber.sub]})
    try:
        photo = media_factory.oriented_photo(tmp_path / "p.jpg", 6, size=(300, 400))
        media_id = upload(climber, photo)
        event = subscriber.wait_for(
            lambda e: (
                e["detail-type"] in ("Media Processed", "Media Processing Failed")
                and e["detail"]["media_id"] == media_id
            ),
            timeout=90,
        )
        assert event["detail-type"] == "Media Processed"
        media = climber.api.get(f"/media/{media_id}")
        assert media["status"] == "ready"
        url = max(media["renditions"], key=lambda r: r["width"])["url"]
        fetched = requests.get(url, timeout=10)  # presigned by `media`, checked as S3 does
        assert fetched.status_code == 200
        assert Image.open(io.BytesIO(fetched.content)).size == (300, 400)
        assert requests.get(url.replace("/derived/", "/uploads/"), timeout=10).status_code == 403
        climber.api.delete(f"/media/{media_id}")
        assert stack.settings is not None
        listed = stack.client("s3").list_objects_v2(
            Bucket=stack.settings.media_bucket, Prefix=f"derived/{climber.sub}/{media_id}/"
        )
        assert listed.get("KeyCount", 0) == 0
    finally:
        subscriber.close()


def upload(climber: Any, path: Path) -> str:
    grant = climber.api.post(
        "/media/uploads",
        {"content_type": "image/jpeg", "size": path.stat().st_size, "filename": path.name},
    )
    response = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": (path.name, path.read_bytes(), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    return str(grant["media_id"])


def test_removing_one_statement_from_a_copy_fails_the_upload_with_access_denied(
    iam: LocalIam,
    packaged: dict[str, Packaged],
    new_climber: Callable[..., Any],
    tmp_path: Path,
    restore: Any,
) -> None:
    """The pipeline's first step, with upload_url's one S3 statement removed from a copy of the
    packaged template: the browser's POST, signed with upload_url's keys, is AccessDenied."""
    climber = new_climber("iam")
    photo = media_factory.oriented_photo(tmp_path / "p.jpg", 1, size=(64, 48))
    restore("upload_url")
    iam.apply(
        without_statement(
            packaged["staging"], "upload_url", lambda s: s["Action"] == "s3:PutObject"
        ),
        "upload_url",
    )
    with pytest.raises(AssertionError, match="AccessDenied"):
        upload(climber, photo)
    iam.restore("upload_url")
    assert upload(climber, photo)


def test_presigned_gets_are_checked_as_s3_checks_them(stack: LocalStack, iam: LocalIam) -> None:
    """The signer's rights, the signature (at the URL's own time) and the expiry."""
    assert stack.settings is not None
    bucket = stack.settings.media_bucket
    key = f"uploads/iam-{uuid.uuid4().hex}/original.jpg"
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=b"original")
    media = client_of(stack, iam, "media", "s3")
    url = media.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    time.sleep(1.1)  # signed in an earlier second than it is checked
    assert requests.get(url, timeout=10).content == b"original"
    assert requests.get(url.replace("original.jpg", "other.jpg"), timeout=10).status_code == 403
    short = media.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=1
    )
    time.sleep(2.1)
    assert requests.get(short, timeout=10).status_code == 403
    # upload_url may write uploads/ but never read them: its signature grants nothing here.
    writer = client_of(stack, iam, "upload_url", "s3")
    url = writer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    assert requests.get(url, timeout=10).status_code == 403


def test_a_batch_delete_is_checked_key_by_key(stack: LocalStack, iam: LocalIam) -> None:
    """As S3 does (moto alone checks the bucket's ARN): allowed keys go, the others are
    reported AccessDenied and stay."""
    assert stack.settings is not None
    bucket = stack.settings.media_bucket
    owner = f"iam-{uuid.uuid4().hex}"
    derived, original = f"derived/{owner}/m/e/320.webp", f"uploads/{owner}/m.jpg"
    admin = stack.client("s3")
    for key in (derived, original):
        admin.put_object(Bucket=bucket, Key=key, Body=b"x")
    response = client_of(stack, iam, "thumbnail", "s3").delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": derived}, {"Key": original}]}
    )
    assert [d["Key"] for d in response.get("Deleted", [])] == [derived]
    assert [(e["Key"], e["Code"]) for e in response["Errors"]] == [(original, "AccessDenied")]
    assert admin.head_object(Bucket=bucket, Key=original)["ContentLength"] == 1
