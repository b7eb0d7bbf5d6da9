"""`make demo`: the whole product on one machine, as a climber and a downstream consumer see it.

Starts the local stack, signs a demo climber in, logs climbs, uploads a sideways phone photo
(EXIF orientation + GPS), a transparent PNG and a portrait phone video through the presigned
POST over HTTP, and a large 1080p clip as a resumable multipart upload; waits for each
`Media Processed` (the first view: renditions or a video's poster) and, for videos that need
one, `Media Web Rendition Ready` on a subscriber queue; prints a report with both times and
writes the renditions plus an `index.html` contact sheet to the output folder.
"""

from __future__ import annotations

import html
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from boulderstat.client import ApiError, BoulderStatClient
from boulderstat.local import sample_media
from boulderstat.local.stack import LocalStack
from boulderstat.local.web import local_pages

MEDIA_TIMEOUT_SECONDS = 300


class DemoFailed(Exception):
    pass


@dataclass
class MediaItem:
    label: str
    path: Path
    content_type: str
    media_id: str = ""
    uploaded_at: float = 0.0
    processed_after: float | None = None
    web_after: float | None = None
    in_parts: bool = False
    status: str = "not uploaded"
    document: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _say(message: str) -> None:
    print(message, flush=True)


class Demo:
    def __init__(self, stack: LocalStack, output_dir: Path, workdir: Path) -> None:
        self.stack = stack
        self.output_dir = output_dir
        self.workdir = workdir
        self.api: BoulderStatClient | None = None
        self.sub = ""

    # -- steps -------------------------------------------------------------------------------
    def run(self) -> None:
        import jwt

        _say(
            f"local stack up: API {self.stack.api_url}, AWS {self.stack.settings.aws_endpoint_url}"
        )
        # As the web app does: hosted UI (local stand-in) + PKCE, then /auth/token; the client
        # keeps the refresh cookie and refreshes once on a 401.
        self.api = BoulderStatClient.sign_in_local(self.stack.api_url, "demo-climber")
        assert self.api.id_token is not None
        self.sub = jwt.decode(self.api.id_token, options={"verify_signature": False})["sub"]
        _say(f"signed in as demo-climber (sub {self.sub}): OAuth2 code + PKCE, refresh cookie set")
        subscriber = self.stack.subscriber(detail={"user_id": [self.sub]})
        # Like provisioned concurrency: the first view below is the pipeline's, not a cold start.
        self.stack.warm_up()
        _say("started the on_object_created and thumbnail execution environments (warm)")
        try:
            climb_id = self.log_climbs()
            media = self.upload_media(climb_id)
            self.wait_for_processing(media, subscriber)
            self.save_renditions(media)
            stats = self.api.get("/climbs/stats")
            self.report(media, subscriber.received, stats)
            self.community(climb_id)
        finally:
            subscriber.close()

    def community(self, climb_id: str) -> None:
        """A second climber follows the first, sees the send with its renditions in the feed,
        likes and comments; the first climber gets the notifications through the bus."""
        assert self.api is not None
        _say("\n=== community ===")
        me = self.api.patch(
            "/me", {"display_name": "Demo Climber", "home_gym": "Local Boulder Gym"}
        )
        visibility = me["default_visibility"]
        _say(f"  demo-climber's profile: {me['display_name']}, climbs default to {visibility}")
        token = self.stack.token("demo-friend")["IdToken"]
        friend = BoulderStatClient(self.stack.api_url, id_token=token)
        friend.get("/me")
        friend.patch("/me", {"display_name": "Demo Friend"})
        found = friend.get("/climbers", params={"q": "demo cl"})["items"]
        if self.sub not in {c["climber_id"] for c in found}:
            raise DemoFailed("search by name prefix did not find the demo climber")
        follow = friend.put(f"/climbers/{self.sub}/follow")
        _say(f"  demo-friend found 'Demo Climber' by name and follows: {follow['status']}")
        feed = friend.get("/feed", params={"limit": 10})
        card = next((c for c in feed["items"] if c["climb_id"] == climb_id), None)
        if card is None or not card["media"]:
            raise DemoFailed("the send with media is not in the friend's feed")
        loaded = 0
        for medium in card["media"]:
            for rendition in medium["renditions"][:1]:
                requests.get(rendition["url"], timeout=60).raise_for_status()
                loaded += 1
        renditions = sum(len(m["renditions"]) for m in card["media"])
        _say(
            f"  demo-friend's feed: {len(feed['items'])} cards; '{card['title']}' "
            f"({card['grade_label']}) by {card['owner']['display_name']} with {len(card['media'])} "
            f"media, {renditions} rendition URLs ({loaded} loaded over HTTP)"
        )
        liked = friend.put(f"/climbs/{climb_id}/like")
        comment = friend.post(f"/climbs/{climb_id}/comments", {"text": "Strong send! Beta?"})
        self.api.post(f"/climbs/{climb_id}/comments", {"text": "Left hand crimp, then trust it."})
        self.api.put(f"/climbs/{climb_id}/comments/{comment['comment_id']}/like")
        thread = friend.get(f"/climbs/{climb_id}/comments")["items"]
        _say(f"  demo-friend liked it (likes: {liked['like_count']}) and commented; thread:")
        for item in thread:
            _say(f"    {item['author']['display_name']}: {item['text']}")
        deadline = time.monotonic() + 30
        notifications: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            notifications = self.api.get("/notifications")["items"]
            if {n["kind"] for n in notifications} >= {"followed", "climb_liked", "commented"}:
                break
            time.sleep(0.3)
        else:
            raise DemoFailed(f"notifications did not arrive: {notifications}")
        _say("  demo-climber's notifications (community events -> bus -> notify consumer):")
        for n in notifications:
            _say(f"    {n['kind']:<14} from {n['actor']['display_name']}")
        card = self.api.get(f"/climbs/{climb_id}/card")
        _say(f"  the card now: {card['like_count']} like, {card['comment_count']} comments")

    def log_climbs(self) -> str:
        assert self.api is not None
        today = date.today()
        climbs = [
            ("Warm-up slab", "V1", "flash", 1, "slab", 6),
            ("Crimp ladder", "V4", "send", 3, "vertical", 5),
            ("Pinch roof", "6C+", "send", 6, "roof", 2),
            ("The cave project", "V7", "project", 12, "overhang", 1),
            ("Dyno to jug", "V5", "flash", 1, "overhang", 0),
        ]
        ids = []
        for title, grade, outcome, attempts, angle, days_ago in climbs:
            created = self.api.post(
                "/climbs",
                {
                    "title": title,
                    "grade": grade,
                    "outcome": outcome,
                    "attempts": attempts,
                    "angle": angle,
                    "holds": ["crimp"] if "Crimp" in title else ["jug"],
                    "climb_date": (today - timedelta(days=days_ago)).isoformat(),
                    "location": {"kind": "gym", "name": "Local Boulder Gym"},
                    "tags": ["demo"],
                },
            )
            ids.append(created["climb_id"])
            _say(f"  logged {title:<18} {grade:>4} {outcome:<8} -> {created['climb_id']}")
        page = self.api.get("/climbs", params={"limit": 2})
        second = self.api.get("/climbs", params={"limit": 2, "cursor": page["next_cursor"]})
        overhangs = self.api.get("/climbs", params={"angle": "overhang"})["items"]
        _say(
            f"  listed newest first in pages of 2: {[c['title'] for c in page['items']]} then "
            f"{[c['title'] for c in second['items']]}; overhang filter: {len(overhangs)} climbs"
        )
        self.api.patch(f"/climbs/{ids[3]}", {"description": "Left hand pinch, heel hook right."})
        self.api.delete(f"/climbs/{ids[0]}")
        _say("  updated the project's description and deleted the warm-up")
        return ids[1]

    def upload_media(self, climb_id: str) -> list[MediaItem]:
        assert self.api is not None
        items = [
            # First, so the small items' clocks do not include its upload.
            MediaItem(
                "large 1080p phone clip (30 s, resumable multipart upload)",
                sample_media.long_phone_clip(self.workdir / "long-send.mp4", seconds=30),
                "video/mp4",
                in_parts=True,
            ),
            MediaItem(
                "sideways photo (EXIF orientation 6, GPS)",
                sample_media.sideways_photo(self.workdir / "sideways.jpg"),
                "image/jpeg",
            ),
            MediaItem(
                "PNG with transparency",
                sample_media.transparent_png(self.workdir / "sticker.png"),
                "image/png",
            ),
            MediaItem(
                "portrait phone video (rotated, with audio)",
                sample_media.phone_video(self.workdir / "send.mp4"),
                "video/mp4",
            ),
            MediaItem(
                "iPhone HEVC clip (not browser-playable)",
                sample_media.iphone_clip(self.workdir / "iphone.mov"),
                "video/quicktime",
            ),
        ]
        for item in items:
            size = item.path.stat().st_size
            if item.in_parts:
                grant = self.api.upload_in_parts(item.path, item.content_type, climb_id=climb_id)
                item.media_id = grant["media_id"]
                item.uploaded_at = time.monotonic()
                item.status = "uploaded"
                parts = grant["multipart"]["part_count"]
                _say(
                    f"  uploaded {item.label}: {size / 1024 / 1024:.0f} MiB in {parts} parts "
                    f"-> media {item.media_id}"
                )
                continue
            grant = self.api.post(
                "/media/uploads",
                {
                    "content_type": item.content_type,
                    "size": size,
                    "filename": item.path.name,
                    "climb_id": climb_id,
                },
            )
            item.media_id = grant["media_id"]
            with item.path.open("rb") as body:
                response = requests.post(
                    grant["upload"]["url"],
                    data=grant["upload"]["fields"],
                    files={"file": (item.path.name, body, item.content_type)},
                    timeout=60,
                )
            if response.status_code not in (200, 201, 204):
                raise DemoFailed(f"S3 rejected the upload of {item.label}: {response.status_code}")
            item.uploaded_at = time.monotonic()
            item.status = "uploaded"
            _say(f"  uploaded {item.label}: {size / 1024:.0f} KiB -> media {item.media_id}")
        return items

    def wait_for_processing(self, items: list[MediaItem], subscriber: Any) -> None:
        assert self.api is not None
        deadline = time.monotonic() + MEDIA_TIMEOUT_SECONDS
        pending = {item.media_id: item for item in items}
        web_pending: dict[str, MediaItem] = {}
        while pending or web_pending:
            if time.monotonic() > deadline:
                raise DemoFailed(
                    f"media not processed in {MEDIA_TIMEOUT_SECONDS}s: {list(pending)}"
                )
            for event in subscriber.poll():
                media_id = event["detail"].get("media_id")
                item = pending.get(media_id) or web_pending.get(media_id)
                if item is None:
                    continue
                if event["detail-type"] == "Media Processed" and media_id in pending:
                    item.processed_after = time.monotonic() - item.uploaded_at
                    del pending[media_id]
                    if event["detail"].get("web_rendition") == "pending":
                        web_pending[media_id] = item
                elif event["detail-type"] == "Media Web Rendition Ready":
                    item.web_after = time.monotonic() - item.uploaded_at
                    web_pending.pop(media_id, None)
                elif event["detail-type"] == "Media Processing Failed":
                    raise DemoFailed(f"{item.label} failed: {event['detail']['reason']}")
                elif event["detail-type"] == "Media Web Rendition Failed":
                    raise DemoFailed(f"{item.label}: no web rendition: {event['detail']['reason']}")
            for item in items:
                doc = self.api.get(f"/media/{item.media_id}")
                item.document, item.status = doc, doc["status"]
            line = "  ".join(f"{i.path.name}: {i.status}" for i in items)
            _say(f"  status  {line}")
        for item in items:
            item.document = self.api.get(f"/media/{item.media_id}")
            item.status = item.document["status"]
            if item.status != "ready":
                raise DemoFailed(f"{item.label} ended {item.status}")

    def save_renditions(self, items: list[MediaItem]) -> None:
        shutil.rmtree(self.output_dir, ignore_errors=True)
        self.output_dir.mkdir(parents=True)
        for item in items:
            for rendition in item.document.get("renditions", []):
                name = f"{item.path.stem}-{rendition['name']}.{rendition['format']}"
                response = requests.get(rendition["url"], timeout=60)
                response.raise_for_status()
                target = self.output_dir / name
                target.write_bytes(response.content)
                item.files.append(target)
                if rendition["format"] != "mp4" and _has_metadata(target):
                    raise DemoFailed(f"{name} still carries EXIF/GPS or other metadata")
        (self.output_dir / "index.html").write_text(_contact_sheet(items))

    def report(self, items: list[MediaItem], events: list[dict[str, Any]], stats: Any) -> None:
        _say("\n=== BoulderStat demo report ===")
        for item in items:
            doc = item.document
            metadata = doc.get("metadata") or {}
            dims = f"{metadata.get('width')}x{metadata.get('height')}"
            duration = metadata.get("duration_seconds")
            took = f"{item.processed_after:.2f}s" if item.processed_after is not None else "?"
            _say(f"\n{item.label}")
            _say(f"  media {item.media_id}: {item.status}, {doc.get('kind')}, {dims}")
            if duration:
                _say(f"  duration {duration:.2f}s")
            _say(f"  upload -> Media Processed (first view): {took}")
            if item.web_after is not None and item.processed_after is not None:
                _say(
                    f"  upload -> Media Web Rendition Ready: {item.web_after:.2f}s "
                    f"(the poster came {item.web_after - item.processed_after:.1f}s earlier)"
                )
            web = next((r for r in doc.get("renditions", []) if r["format"] == "mp4"), None)
            if web:
                ratio = (doc.get("size") or 0) / max(1, web["bytes"])
                _say(f"  web-playable H.264 rendition: {ratio:.1f}x smaller than the original")
            for rendition in doc.get("renditions", []):
                _say(
                    f"    {rendition['name']:<14} {rendition['width']:>5}x{rendition['height']:<5}"
                    f" {rendition['format']:<5} {rendition['bytes'] / 1024:8.1f} KiB"
                )
        _say("\nevery photo rendition was checked: no EXIF, GPS, XMP or ICC metadata left")
        _say("\nevents received by the subscriber:")
        for event in events:
            detail = event["detail"]
            ident = detail.get("media_id") or detail.get("climb_id")
            _say(f"  {event['detail-type']:<24} {ident}")
        _say("\nclimber stats:")
        hiscore = stats.get("hiscore") or {}
        week = stats.get("this_week") or {}
        pyramid = ", ".join(f"{row['grade_label']}: {row['sends']}" for row in stats["pyramid"])
        _say(f"  hiscore     {hiscore.get('title')} ({hiscore.get('grade_label')})")
        _say(
            f"  this week   {week.get('climbs')} climbs ({week.get('start')} to {week.get('end')})"
        )
        _say(f"  outcomes    {stats.get('outcomes')}")
        _say(f"  pyramid     {pyramid}")
        _say(f"  sessions    {stats.get('sessions')} distinct days")
        _say(f"\nrenditions and contact sheet: {(self.output_dir / 'index.html').resolve()}")


def _has_metadata(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        return bool(image.getexif()) or any(k in image.info for k in ("exif", "xmp", "icc_profile"))


def _contact_sheet(items: list[MediaItem]) -> str:
    cards = []
    for item in items:
        figures = []
        for path in item.files:
            if path.suffix == ".mp4":
                tag = f'<video src="{html.escape(path.name)}" controls muted width="320"></video>'
            else:
                tag = f'<img src="{html.escape(path.name)}" loading="lazy">'
            figures.append(
                f"<figure>{tag}<figcaption>{html.escape(path.name)}</figcaption></figure>"
            )
        cards.append(
            f"<section><h2>{html.escape(item.label)}</h2>"
            f"<p>status {html.escape(item.status)}</p>{''.join(figures)}</section>"
        )
    return (
        "<!doctype html><meta charset=utf-8><title>BoulderStat demo</title>"
        "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em;"
        "vertical-align:top}img{max-width:320px;background:repeating-conic-gradient(#ccc 0 25%,"
        "#fff 0 50%) 0 0/20px 20px}</style><h1>BoulderStat demo renditions</h1>" + "".join(cards)
    )


def run_demo(output_dir: Path) -> int:
    started = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            LocalStack(extra_routes=local_pages()) as stack,
        ):
            Demo(stack, output_dir, Path(workdir)).run()
    except (DemoFailed, ApiError, requests.RequestException, TimeoutError) as error:
        print(f"\ndemo FAILED: {error}", file=sys.stderr)
        return 1
    _say(f"\ndemo finished in {time.monotonic() - started:.1f}s")
    return 0
