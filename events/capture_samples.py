"""Captures events/samples/*.json from a real run of the local pipeline.

    .venv/bin/python events/capture_samples.py

Starts the local stack (moto's S3, SQS and EventBridge, nx-27017, our handlers behind the local
HTTP API and event router), then acts as a climber would: uploads a photo (ingest and the
thumbnail function process it), logs, changes and deletes a climb, uploads a file that is not
what it claims, deletes the photo; two climbers follow and unfollow. A subscriber rule on the
stage bus records every event exactly as a rule target receives it; each sample is the first
event of its detail-type; every event is captured, none is built by hand (a third climber
leaves, for `Climber Deleted`).
`s3-object-created.json` is the S3 notification on_object_created receives for a presigned POST.
Tests validate every sample against its schema and the code's key layout.
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
    EventDetail,
    MediaWebRenditionFailed,
    all_event_models,
    kebab,
)
from boulderstat.ids import new_id  # noqa: E402
from boulderstat.local import sample_media  # noqa: E402
from boulderstat.local.provision import queue_arn  # noqa: E402
from boulderstat.local.stack import LocalStack  # noqa: E402

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
    key = f"uploads/{user_id}/{new_id()}.jpg"
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
        # A phone's HEVC clip, uploaded in parts: poster first, then its own web rendition.
        with tempfile.TemporaryDirectory() as folder:
            clip = sample_media.iphone_clip(Path(folder) / "iphone.mov")
            api.upload_in_parts(clip, "video/quicktime", part_size=5 * 1024 * 1024)
        captured["Media Web Rendition Ready"] = subscriber.wait_for(
            _kind("Media Web Rendition Ready"), timeout=120
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
    wanted = {
        "Climber Followed",
        "Climber Unfollowed",
        "Climb Liked",
        "Climb Unliked",
        "Comment Posted",
        "Comment Deleted",
        "Climber Deleted",
    }
    captured: dict[str, dict[str, Any]] = {}
    try:
        fan.put(f"/climbers/{owner_id}/follow")
        climb = owner.post(
            "/climbs",
            {"title": "Sample", "grade": "V3", "outcome": "flash", "climb_date": "2026-11-20"},
        )
        fan.put(f"/climbs/{climb['climb_id']}/like")
        fan.delete(f"/climbs/{climb['climb_id']}/like")
        comment = fan.post(f"/climbs/{climb['climb_id']}/comments", {"text": "Nice flash"})
        owner.delete(f"/climbs/{climb['climb_id']}/comments/{comment['comment_id']}")
        owner.delete(f"/me/followers/{fan_id}")
        _, leaver = member("sample-leaver")
        leaver.post(
            "/climbs",
            {"title": "Last one", "grade": "V1", "outcome": "send", "climb_date": "2026-11-21"},
        )
        leaver.delete("/me")
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
    """Events no sample run produces on purpose (a transcode that fails): the only samples not
    captured. Replace each by a capture when a run can make it happen."""
    now = datetime.now(UTC)
    owner = str(uuid.uuid4())
    climb_id, media_id = new_id(), new_id()
    return [
        MediaWebRenditionFailed(
            user_id=owner, occurred_at=now, media_id=media_id, climb_id=climb_id,
            key=f"uploads/{owner}/{media_id}.mov", etag="3f0e1a2b4c5d6e7f8091a2b3c4d5e6f7-12",
            reason="Making the web version took too long.",
        ),
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
