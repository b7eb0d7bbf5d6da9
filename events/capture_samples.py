"""Captures events/samples/*.json from a real run of the local pipeline.

    .venv/bin/python events/capture_samples.py

Starts the local stack (moto's S3, SQS and EventBridge, nx-27017, our handlers behind the local
HTTP API and event router), then acts as a climber would: uploads a photo (ingest and the
thumbnail function process it), logs, changes and deletes a climb, uploads a file that is not
what it claims, deletes the photo; two climbers follow and unfollow. A subscriber rule on the
stage bus records every event exactly as a rule target receives it; each sample is the first
event of its detail-type. Only events that no route produces yet are built from their models
(`built_examples`; the script says which), until their routes land.
`s3-object-created.json` is the S3 notification on_object_created receives for a presigned POST.
Tests validate every sample against its schema and the code's key layout.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boulderstat.client import BoulderStatClient  # noqa: E402
from boulderstat.events.catalog import (  # noqa: E402
    COMMUNITY_SOURCE,
    ClimberDeleted,
    ClimbLiked,
    ClimbUnliked,
    CommentDeleted,
    CommentPosted,
    EventDetail,
    all_event_models,
    kebab,
)
from boulderstat.local.provision import queue_arn  # noqa: E402
from boulderstat.local.stack import LocalStack  # noqa: E402
from boulderstat.media.ids import new_media_id  # noqa: E402

SAMPLES = ROOT / "events" / "samples"


def _photo(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def _write(name: str, payload: Any) -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / name).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote events/samples/{name}")


def capture_s3_notification(stack: LocalStack, user_id: str) -> dict[str, Any]:
    """A presigned POST into a bucket whose notifications go to a queue we read ourselves."""
    assert stack.settings is not None
    s3, sqs = stack.client("s3"), stack.client("sqs")
    bucket = "boulderstat-dev-media"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    queue = sqs.create_queue(QueueName="capture-s3-notifications")["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn(sqs, queue),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    data = _photo()
    key = f"uploads/{user_id}/{new_media_id()}.jpg"
    post = s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": "image/jpeg"},
        Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 1, len(data)]],
        ExpiresIn=300,
    )
    response = requests.post(
        post["url"], data=post["fields"], files={"file": ("p.jpg", data, "image/jpeg")}, timeout=30
    )
    response.raise_for_status()
    for _ in range(30):
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(message["Body"])
            if "Records" in body:
                return dict(body)
    raise RuntimeError("no S3 notification arrived")


def _kind(detail_type: str) -> Any:
    return lambda event: event["detail-type"] == detail_type


def capture_pipeline_events(stack: LocalStack) -> dict[str, dict[str, Any]]:
    tokens = stack.token("sample-climber")
    user_id = jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"]
    api = BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
    subscriber = stack.subscriber(detail={"user_id": [user_id]})
    captured: dict[str, dict[str, Any]] = {}
    try:
        climb = api.post(
            "/climbs",
            json={
                "title": "Sloper traverse",
                "grade": "V5",
                "outcome": "project",
                "attempts": 4,
                "climb_date": "2026-11-20",
            },
        )
        # Wide enough for every rendition width the stage makes (the thumbnail never upscales).
        data = _photo((2400, 1800))
        grant = api.post(
            "/media/uploads",
            json={"content_type": "image/jpeg", "size": len(data), "climb_id": climb["climb_id"]},
        )
        fields, url = grant["upload"]["fields"], grant["upload"]["url"]
        requests.post(url, data=fields, files={"file": ("p.jpg", data, "image/jpeg")}, timeout=30)
        captured["Media Uploaded"] = subscriber.wait_for(_kind("Media Uploaded"), timeout=60)
        captured["Media Processed"] = subscriber.wait_for(_kind("Media Processed"), timeout=120)

        path = f"/climbs/{climb['climb_id']}"
        changes = {"outcome": "send", "attempts": 6, "media_ids": [grant["media_id"]]}
        changed = api.request("PATCH", path, json=changes)
        changed.raise_for_status()
        api.request(
            "DELETE", path, headers={"If-Match": changed.headers["ETag"]}
        ).raise_for_status()
        for detail_type in ("Climb Created", "Climb Updated", "Climb Deleted"):
            captured[detail_type] = subscriber.wait_for(_kind(detail_type), timeout=30)

        # Breaks the grant: text declared as a JPEG (the local S3 accepts it; ingest does not).
        bad = api.post("/media/uploads", json={"content_type": "image/jpeg", "size": 100})
        requests.post(
            bad["upload"]["url"],
            data=bad["upload"]["fields"],
            files={"file": ("p.jpg", b"not a photo\n", "image/jpeg")},
            timeout=30,
        )
        captured["Media Processing Failed"] = subscriber.wait_for(
            _kind("Media Processing Failed"), timeout=30
        )
        api.delete(f"/media/{grant['media_id']}")
        captured["Media Deleted"] = subscriber.wait_for(_kind("Media Deleted"), timeout=30)
        captured["s3"] = capture_s3_notification(stack, user_id)
    finally:
        subscriber.close()
    return captured


def capture_community_events(stack: LocalStack) -> dict[str, dict[str, Any]]:
    """Two climbers meet through the API; every community event they cause, as delivered."""

    def member(name: str) -> tuple[str, BoulderStatClient]:
        token = stack.token(name)["IdToken"]
        sub = jwt.decode(token, options={"verify_signature": False})["sub"]
        api = BoulderStatClient(stack.api_url, id_token=token)
        api.get("/me")
        return sub, api

    owner_id, owner = member("sample-owner")
    fan_id, fan = member("sample-fan")
    subscriber = stack.subscriber(name="capture-community")
    wanted = {"Climber Followed", "Climber Unfollowed"}
    captured: dict[str, dict[str, Any]] = {}
    try:
        fan.put(f"/climbers/{owner_id}/follow")
        owner.delete(f"/me/followers/{fan_id}")
        for _ in range(30):
            for event in subscriber.poll():
                if event["source"] == COMMUNITY_SOURCE and event["detail-type"] in wanted:
                    captured.setdefault(event["detail-type"], event)
            if set(captured) == wanted:
                break
    finally:
        subscriber.close()
    if set(captured) != wanted:
        raise RuntimeError(f"community events missing: {sorted(wanted - set(captured))}")
    return captured


def built_examples() -> list[EventDetail]:
    """Events whose producing routes do not exist yet (likes, comments, account deletion):
    the only samples not captured. Replace each by a capture when its route lands."""
    now = datetime.now(UTC)
    owner, fan = str(uuid.uuid4()), str(uuid.uuid4())
    climb_id, comment_id = new_media_id(), new_media_id()
    return [
        ClimbLiked(user_id=fan, occurred_at=now, climb_id=climb_id, owner_id=owner),
        ClimbUnliked(user_id=fan, occurred_at=now, climb_id=climb_id, owner_id=owner),
        CommentPosted(
            user_id=fan, occurred_at=now, climb_id=climb_id, comment_id=comment_id,
            climb_owner_id=owner,
        ),
        CommentDeleted(
            user_id=owner, occurred_at=now, climb_id=climb_id, comment_id=comment_id,
            climb_owner_id=owner, author_id=fan,
        ),
        ClimberDeleted(user_id=owner, occurred_at=now, climbs_removed=12, media_removed=3),
    ]  # fmt: skip


def envelope(detail: EventDetail, *, region: str = "eu-west-1") -> dict[str, Any]:
    """The EventBridge envelope around a built detail, as a rule target receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail.DETAIL_TYPE,
        "source": detail.SOURCE,
        "account": "123456789012",
        "time": detail.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": json.loads(detail.model_dump_json()),
    }


def main() -> int:
    with LocalStack() as stack:
        captured = capture_pipeline_events(stack)
        captured |= capture_community_events(stack)
    _write("s3-object-created.json", captured.pop("s3"))
    built = {d.DETAIL_TYPE: d for d in built_examples() if d.DETAIL_TYPE not in captured}
    missing = {m.DETAIL_TYPE for m in all_event_models()} - set(captured) - set(built)
    if missing:
        raise SystemExit(f"no sample captured for: {', '.join(sorted(missing))}")
    for detail_type, event in captured.items():
        # moto 5.2.5 leaves out `account`, which AWS always sends (the subscriber adds it back).
        event.setdefault("account", "123456789012")
        _write(f"{kebab(detail_type)}.json", event)
    for detail_type, detail in built.items():
        print(f"  (built, not captured: {detail_type} has no producing route yet)")
        _write(f"{kebab(detail_type)}.json", envelope(detail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
