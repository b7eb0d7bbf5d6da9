"""The back half of the pipeline, end to end on the local stack.

Uploads go over real HTTP with the presigned POST; S3's notification reaches on_object_created,
`Media Uploaded` reaches the thumbnail function through the bus, and the tests look at what a
climber and a downstream consumer see: the document, the objects in S3 and the events.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from pymongo.database import Database

from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.catalog import MediaUploaded
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.local.functions import invoke
from boulderstat.local.stack import LocalStack
from boulderstat.local.subscriber import Subscriber
from boulderstat.media.processing import MediaProcessor
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from tests import media_factory

Event = dict[str, Any]
FINISHED = ("Media Processed", "Media Processing Failed")


def wait_until(condition: Callable[[], Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


class Pipeline:
    """A climber uploading through the real pipeline, with a subscriber on the bus."""

    def __init__(self, stack: LocalStack, climber: Any, subscriber: Subscriber) -> None:
        self.stack = stack
        self.climber = climber
        self.subscriber = subscriber
        assert stack.settings is not None
        self.bucket = stack.settings.media_bucket
        self.s3 = stack.client("s3")

    def upload(self, path: Path, content_type: str) -> str:
        grant = self.climber.api.post(
            "/media/uploads",
            {"content_type": content_type, "size": path.stat().st_size, "filename": path.name},
        )
        response = requests.post(
            grant["upload"]["url"],
            data=grant["upload"]["fields"],
            files={"file": (path.name, path.read_bytes(), content_type)},
            timeout=30,
        )
        assert response.status_code == 204, response.text
        return str(grant["media_id"])

    def finished(self, media_id: str) -> Event:
        return self.subscriber.wait_for(
            lambda e: e["detail-type"] in FINISHED and e["detail"]["media_id"] == media_id,
            timeout=90,
        )

    def events_for(self, media_id: str, detail_type: str) -> list[Event]:
        return [
            e
            for e in self.subscriber.received
            if e["detail-type"] == detail_type and e["detail"].get("media_id") == media_id
        ]

    def uploaded_event(self, media_id: str) -> Event:
        return self.subscriber.wait_for(
            lambda e: e["detail-type"] == "Media Uploaded" and e["detail"]["media_id"] == media_id
        )

    def media(self, media_id: str) -> Event:
        return dict(self.climber.api.get(f"/media/{media_id}"))

    def image(self, key: str) -> Image.Image:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return Image.open(io.BytesIO(body))


@pytest.fixture
def pipeline(stack: LocalStack, new_climber: Callable[..., Any]) -> Iterator[Pipeline]:
    climber = new_climber("processing")
    subscriber = stack.subscriber(detail={"user_id": [climber.sub]})
    yield Pipeline(stack, climber, subscriber)
    subscriber.close()


def test_sideways_photo_becomes_upright_renditions_without_metadata(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    photo = media_factory.oriented_photo(tmp_path / "sideways.jpg", 6, size=(600, 800), gps=True)
    media_id = pipeline.upload(photo, "image/jpeg")

    event = pipeline.finished(media_id)
    assert event["detail-type"] == "Media Processed"
    detail = event["detail"]
    assert (detail["width"], detail["height"]) == (600, 800)
    assert not any("url" in key or "token" in key for key in json.dumps(detail).lower().split('"'))

    media = pipeline.media(media_id)
    assert media["status"] == "ready"
    assert media["placeholder"]
    widths = sorted(max(r["width"], r["height"]) for r in media["renditions"])
    assert widths == [320, 800, 800]  # 320, then the original size once (never upscaled) + JPEG
    prefix = f"derived/{pipeline.climber.sub}/{media_id}/"
    for summary in detail["renditions"]:
        assert summary["key"].startswith(prefix)
        head = pipeline.s3.head_object(Bucket=pipeline.bucket, Key=summary["key"])
        assert (
            head["ContentType"] == {"webp": "image/webp", "jpeg": "image/jpeg"}[summary["format"]]
        )
        # Renditions live under a per-version key: a year and immutable is truthful.
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentLength"] == summary["bytes"]
        image = pipeline.image(summary["key"])
        assert image.size == (summary["width"], summary["height"])
        assert image.width < image.height  # upright portrait
        assert media_factory.scene_corners(image) == ("red", "blue", "white", "white")
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)


def test_png_keeps_alpha_in_webp_and_flattens_in_jpeg(pipeline: Pipeline, tmp_path: Path) -> None:
    media_id = pipeline.upload(
        media_factory.png_with_alpha(tmp_path / "a.png", (400, 300)), "image/png"
    )
    assert pipeline.finished(media_id)["detail-type"] == "Media Processed"
    for rendition in pipeline.media(media_id)["renditions"]:
        image = pipeline.image(_key(pipeline, media_id, rendition["name"]))
        assert ("A" in image.getbands()) == (rendition["format"] == "webp")


def test_portrait_phone_video_gets_probe_and_upright_poster(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    clip = media_factory.rotated_phone_mp4(tmp_path / "phone.mp4", size=(240, 320))
    media_id = pipeline.upload(clip, "video/mp4")
    assert pipeline.finished(media_id)["detail-type"] == "Media Processed"
    media = pipeline.media(media_id)
    metadata = media["metadata"]
    assert (metadata["width"], metadata["height"]) == (240, 320)
    assert metadata["codec"] == "h264"
    assert metadata["duration_seconds"] == pytest.approx(1.0, abs=0.1)
    poster = next(r for r in media["renditions"] if r["format"] == "webp")
    image = pipeline.image(_key(pipeline, media_id, poster["name"]))
    assert media_factory.scene_corners(image) == ("red", "blue", "white", "white")
    assert not any(r["format"] == "mp4" for r in media["renditions"])  # small and playable


def test_iphone_hevc_is_viewable_with_its_poster_then_gets_a_web_rendition(
    pipeline: Pipeline, db: Database, tmp_path: Path
) -> None:
    """Poster first (`ready`, Media Processed), the web rendition after, by its own function."""
    media_id = pipeline.upload(media_factory.hevc_mov(tmp_path / "iphone.mov"), "video/quicktime")
    processed = pipeline.finished(media_id)
    assert processed["detail-type"] == "Media Processed"
    assert processed["detail"]["web_rendition"] == "pending"
    posters = processed["detail"]["renditions"]
    assert posters and all(r["name"].startswith("poster-") for r in posters)  # no web.mp4 yet

    made = pipeline.subscriber.wait_for(
        lambda e: (
            e["detail-type"].startswith("Media Web Rendition")
            and e["detail"]["media_id"] == media_id
        ),
        timeout=90,
    )
    assert made["detail-type"] == "Media Web Rendition Ready"
    names = [e["detail-type"] for e in pipeline.subscriber.received if e["detail"].get("media_id")]
    assert names.index("Media Processed") < names.index("Media Web Rendition Ready")
    document = MediaRepository(db).get(pipeline.climber.sub, media_id)
    assert document is not None and document.web_rendition is not None
    assert document.processed_at is not None and document.web_rendition.finished_at is not None
    assert document.processed_at < document.web_rendition.finished_at

    media = pipeline.media(media_id)
    assert media["status"] == "ready"
    assert media["web_rendition"] == {"status": "ready", "reason": None}
    assert not media["metadata"]["plays_in_browsers"]  # HEVC in a QuickTime file
    web = next(r for r in media["renditions"] if r["format"] == "mp4")
    assert made["detail"]["rendition"]["key"] == _key(pipeline, media_id, "web")
    assert [r["name"] for r in media["renditions"]] == [r["name"] for r in posters] + ["web"]
    local = tmp_path / "web.mp4"
    local.write_bytes(requests.get(web["url"], timeout=30).content)
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(local)],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    )
    codecs = {s["codec_type"]: s["codec_name"] for s in probe["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    boxes = [box for box, _, _ in media_factory.mp4_boxes(local)]
    assert boxes.index("moov") < boxes.index("mdat")  # faststart


def test_a_corrupt_photo_fails_with_a_reason_and_an_event(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    media_id = pipeline.upload(media_factory.truncated_jpeg(tmp_path / "cut.jpg"), "image/jpeg")
    event = pipeline.finished(media_id)
    assert event["detail-type"] == "Media Processing Failed"
    assert event["detail"]["phase"] == "processing"
    media = pipeline.media(media_id)
    assert media["status"] == "failed"
    assert media["failure"]["reason"] == event["detail"]["reason"]
    assert media["renditions"] == []


def test_audio_only_mp4_fails_cleanly(pipeline: Pipeline, tmp_path: Path) -> None:
    media_id = pipeline.upload(media_factory.audio_only_mp4(tmp_path / "memo.mp4"), "video/mp4")
    event = pipeline.finished(media_id)
    assert event["detail-type"] == "Media Processing Failed"
    assert "video" in event["detail"]["reason"].lower()


def test_redelivered_media_uploaded_does_no_duplicate_work(
    pipeline: Pipeline, db: Database, tmp_path: Path
) -> None:
    photo = media_factory.oriented_photo(tmp_path / "p.jpg", 1, size=(320, 240))
    media_id = pipeline.upload(photo, "image/jpeg")
    pipeline.finished(media_id)
    before = db.media.find_one({"_id": media_id})

    outcome = invoke("thumbnail", pipeline.uploaded_event(media_id))

    assert outcome["outcome"] == "skipped"
    after = db.media.find_one({"_id": media_id})
    assert after["revision"] == before["revision"]
    assert after["processing_attempts"] == before["processing_attempts"] == 1
    assert len(pipeline.events_for(media_id, "Media Processed")) == 1


def test_a_lost_processed_event_is_published_on_redelivery(
    pipeline: Pipeline, db: Database, tmp_path: Path
) -> None:
    """Deterministic: the delivery that processed it has set its outbox flag before the test
    clears it (the event reaches the bus first), and the stack's scheduled sweeper, which also
    publishes lost outcome events, is held until the redelivery has acted."""
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 1), "image/jpeg")
    pipeline.finished(media_id)
    wait_until(lambda: db.media.find_one({"_id": media_id})["processed_event_published"])
    assert pipeline.stack.sweeps is not None
    with pipeline.stack.sweeps.paused():
        db.media.update_one({"_id": media_id}, {"$set": {"processed_event_published": False}})

        assert invoke("thumbnail", pipeline.uploaded_event(media_id))["outcome"] == "republished"
        assert db.media.find_one({"_id": media_id})["processed_event_published"]  # nx: 1
    pipeline.subscriber.wait_for(
        lambda e: len(pipeline.events_for(media_id, "Media Processed")) == 2
    )


def test_a_crash_half_way_can_be_re_run(pipeline: Pipeline, db: Database, tmp_path: Path) -> None:
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 3), "image/jpeg")
    pipeline.finished(media_id)
    uploaded = pipeline.uploaded_event(media_id)
    # Put the document back where a crash after the claim would have left it.
    db.media.update_one(
        {"_id": media_id},
        {"$set": {"status": "processing", "renditions": [], "processed_event_published": False}},
    )

    assert invoke("thumbnail", uploaded)["outcome"] == "processed"
    assert pipeline.media(media_id)["status"] == "ready"


def test_a_version_that_keeps_crashing_ends_failed(
    pipeline: Pipeline, db: Database, tmp_path: Path
) -> None:
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 1), "image/jpeg")
    pipeline.finished(media_id)
    # Three deliveries claimed it and died (their leases ended); a fourth one gives up.
    db.media.update_one(
        {"_id": media_id},
        {
            "$set": {
                "status": "processing",
                "processing_attempts": 3,  # the 3-attempt rule
                "processing_lease_until": None,
            }
        },
    )
    another_delivery = {**pipeline.uploaded_event(media_id), "id": "fourth-delivery"}
    assert invoke("thumbnail", another_delivery)["outcome"] == "failed"
    assert pipeline.media(media_id)["status"] == "failed"


def test_a_third_attempt_still_processes(pipeline: Pipeline, db: Database, tmp_path: Path) -> None:
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 1), "image/jpeg")
    pipeline.finished(media_id)
    db.media.update_one(
        {"_id": media_id},
        {"$set": {"status": "processing", "processing_attempts": 2}},  # two claims crashed
    )
    assert invoke("thumbnail", pipeline.uploaded_event(media_id))["outcome"] == "processed"
    assert pipeline.media(media_id)["status"] == "ready"


def test_a_deleted_media_item_is_skipped(pipeline: Pipeline, db: Database, tmp_path: Path) -> None:
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 1), "image/jpeg")
    pipeline.finished(media_id)
    uploaded = pipeline.uploaded_event(media_id)
    pipeline.climber.api.delete(f"/media/{media_id}")
    assert invoke("thumbnail", uploaded)["outcome"] == "skipped"
    assert MediaRepository(db).get(pipeline.climber.sub, media_id) is None


def test_derived_objects_cannot_trigger_the_pipeline(stack: LocalStack) -> None:
    assert stack.settings is not None
    config = stack.client("s3").get_bucket_notification_configuration(
        Bucket=stack.settings.media_bucket
    )
    rules = [
        rule["Filter"]["Key"]["FilterRules"]
        for rule in config.get("QueueConfigurations", [])
        + config.get("LambdaFunctionConfigurations", [])
    ]
    assert rules and all(r == [{"Name": "prefix", "Value": "uploads/"}] for r in rules)


def _key(pipeline: Pipeline, media_id: str, name: str) -> str:
    assert pipeline.stack.settings is not None
    doc = mongo_database(pipeline.stack.settings).media.find_one({"_id": media_id})
    return str(next(r["key"] for r in doc["renditions"] if r["name"] == name))


class DeletedWhileProcessing(MediaRepository):
    """The climber deletes the media item right after processing claimed it (a real race)."""

    def claim_processing(self, user_id: str, media_id: str, etag: str, **lease: Any) -> Any:
        claimed = super().claim_processing(user_id, media_id, etag, **lease)
        self.delete(user_id, media_id)
        return claimed


def test_renditions_of_media_deleted_mid_processing_are_removed(
    pipeline: Pipeline, db: Database, tmp_path: Path
) -> None:

    settings = pipeline.stack.settings
    assert settings is not None
    media_id = pipeline.upload(media_factory.oriented_photo(tmp_path / "p.jpg", 1), "image/jpeg")
    pipeline.finished(media_id)
    uploaded = pipeline.uploaded_event(media_id)
    db.media.update_one({"_id": media_id}, {"$set": {"status": "uploaded"}})
    pipeline.s3.delete_objects(
        Bucket=pipeline.bucket,
        Delete={
            "Objects": [
                {"Key": r["key"]} for r in db.media.find_one({"_id": media_id})["renditions"]
            ]
        },
    )
    processor = MediaProcessor(
        DeletedWhileProcessing(db),
        MediaStorage(pipeline.s3, pipeline.bucket),
        EventBridgePublisher(pipeline.stack.client("events"), settings.event_bus_name),
        settings,
    )
    outcome = processor.process(MediaUploaded.model_validate(uploaded["detail"]))

    assert outcome == "skipped"
    prefix = f"derived/{pipeline.climber.sub}/{media_id}/"
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0
