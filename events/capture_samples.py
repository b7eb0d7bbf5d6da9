"""Captures events/samples/*.json: real payloads from the local stack, plus built examples.

    .venv/bin/python events/capture_samples.py

Captured for real (moto's S3 and EventBridge, our handlers):
- s3-object-created.json: the S3 notification on_object_created receives for a presigned POST;
- media-uploaded.json, media-processing-failed.json, media-deleted.json, media-processed.json
  (a phone's HEVC clip uploaded in parts: poster, web rendition pending) and
  media-web-rendition-ready.json: the EventBridge events exactly as a rule target (the
  thumbnail or web_rendition function's queue, any consumer) receives them.
The other events are built from the pydantic models in boulderstat/events/catalog.py with example
values, wrapped in the same EventBridge envelope. Tests validate every sample against its schema.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
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
    ClimbCreated,
    ClimbDeleted,
    ClimberDeleted,
    ClimbLiked,
    ClimbUnliked,
    ClimbUpdated,
    CommentDeleted,
    CommentPosted,
    EventDetail,
    MediaWebRenditionFailed,
)
from boulderstat.events.schemas import kebab  # noqa: E402
from boulderstat.local import sample_media  # noqa: E402
from boulderstat.local.provision import queue_arn  # noqa: E402
from boulderstat.local.stack import LocalStack  # noqa: E402
from boulderstat.media.ids import new_media_id  # noqa: E402

SAMPLES = ROOT / "events" / "samples"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((64, 48)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def _write(name: str, payload: Any) -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    (SAMPLES / name).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote events/samples/{name}")


def envelope(detail: EventDetail, *, region: str = "eu-west-1") -> dict[str, Any]:
    """The EventBridge envelope around a detail, as a rule target receives it."""
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


def capture_media_events(stack: LocalStack) -> dict[str, dict[str, Any]]:
    tokens = stack.token("sample-climber")
    user_id = jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"]
    api = BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
    subscriber = stack.subscriber(detail={"user_id": [user_id]})
    captured: dict[str, dict[str, Any]] = {}
    try:
        data = _photo()
        grant = api.post("/media/uploads", json={"content_type": "image/jpeg", "size": len(data)})
        fields, url = grant["upload"]["fields"], grant["upload"]["url"]
        requests.post(url, data=fields, files={"file": ("p.jpg", data, "image/jpeg")}, timeout=30)
        captured["Media Uploaded"] = subscriber.wait_for(
            lambda e: e["detail-type"] == "Media Uploaded", timeout=30
        )
        # Breaks the grant: text declared as a JPEG (the local S3 accepts it; ingest does not).
        bad = api.post("/media/uploads", json={"content_type": "image/jpeg", "size": 100})
        requests.post(
            bad["upload"]["url"],
            data=bad["upload"]["fields"],
            files={"file": ("p.jpg", b"not a photo\n", "image/jpeg")},
            timeout=30,
        )
        captured["Media Processing Failed"] = subscriber.wait_for(
            lambda e: e["detail-type"] == "Media Processing Failed", timeout=30
        )
        api.delete(f"/media/{grant['media_id']}")
        captured["Media Deleted"] = subscriber.wait_for(
            lambda e: e["detail-type"] == "Media Deleted", timeout=30
        )
        # A phone's HEVC clip, uploaded in parts: poster first, then its web rendition.
        with tempfile.TemporaryDirectory() as folder:
            clip = sample_media.iphone_clip(Path(folder) / "iphone.mov")
            video = api.upload_in_parts(clip, "video/quicktime", part_size=5 * 1024 * 1024)
        captured["Media Processed"] = subscriber.wait_for(
            lambda e: (
                e["detail-type"] == "Media Processed"
                and e["detail"]["media_id"] == video["media_id"]
            ),
            timeout=60,
        )
        captured["Media Web Rendition Ready"] = subscriber.wait_for(
            lambda e: e["detail-type"] == "Media Web Rendition Ready", timeout=120
        )
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


def built_examples(user_id: str) -> list[EventDetail]:
    now = datetime.now(UTC)
    climb_id, media_id = uuid.uuid4().hex, new_media_id()
    fan, comment_id = str(uuid.uuid4()), new_media_id()
    return [
        ClimbCreated(
            user_id=user_id, occurred_at=now, climb_id=climb_id, grade=5, outcome="send",
            climb_date="2026-11-20", media_ids=[media_id],
        ),
        ClimbUpdated(
            user_id=user_id, occurred_at=now, climb_id=climb_id,
            changed_fields=["grade", "outcome"], grade=6, outcome="flash", climb_date="2026-11-20",
        ),
        ClimbDeleted(user_id=user_id, occurred_at=now, climb_id=climb_id, media_ids=[media_id]),
        MediaWebRenditionFailed(
            user_id=user_id, occurred_at=now, media_id=media_id, climb_id=climb_id,
            key=f"uploads/{user_id}/{media_id}.mov", etag="3f0e1a2b4c5d6e7f8091a2b3c4d5e6f7-12",
            reason="Making the web version took too long.",
        ),
        ClimbLiked(user_id=fan, occurred_at=now, climb_id=climb_id, owner_id=user_id),
        ClimbUnliked(user_id=fan, occurred_at=now, climb_id=climb_id, owner_id=user_id),
        CommentPosted(
            user_id=fan, occurred_at=now, climb_id=climb_id, comment_id=comment_id,
            climb_owner_id=user_id,
        ),
        CommentDeleted(
            user_id=user_id, occurred_at=now, climb_id=climb_id, comment_id=comment_id,
            climb_owner_id=user_id, author_id=fan,
        ),
        ClimberDeleted(user_id=user_id, occurred_at=now, climbs_removed=12, media_removed=3),
    ]  # fmt: skip


def main() -> int:
    with LocalStack() as stack:
        captured = capture_media_events(stack)
        community = capture_community_events(stack)
    _write("s3-object-created.json", captured.pop("s3"))
    user_id = captured["Media Uploaded"]["detail"]["user_id"]
    for detail_type, event in captured.items():
        # moto 5.2.5 leaves out `account`, which AWS always sends: add it, change nothing else.
        event.setdefault("account", "123456789012")
        _write(f"{kebab(detail_type)}.json", event)
    for detail_type, event in community.items():
        event.setdefault("account", "123456789012")
        _write(f"{kebab(detail_type)}.json", event)
    for detail in built_examples(user_id):
        _write(f"{kebab(detail.DETAIL_TYPE)}.json", envelope(detail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
