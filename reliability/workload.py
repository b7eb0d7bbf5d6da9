"""What the scenarios do to a stack: climbers uploading bursts of photos, climb clients, and the
bookkeeping that turns what they saw into counts (lost, duplicated, wrong identity, stuck)."""

from __future__ import annotations

import io
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from PIL import Image

from boulderstat.client import ApiError, BoulderStatClient
from reliability.stack_process import StackProcess, api, post_upload, sub_of

FINAL = ("ready", "failed")


def photo_bytes(seed: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A real JPEG with some texture (a gradient alone would compress to nothing)."""
    rng = random.Random(seed)
    image = Image.effect_noise(size, 40 + seed % 20).convert("RGB")
    image = Image.blend(image, Image.linear_gradient("L").resize(size).convert("RGB"), 0.6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.choice([80, 85, 90]))
    return out.getvalue()


def undecodable_jpeg(seed: int) -> bytes:
    """JPEG magic bytes (ingest accepts them) followed by noise no decoder can read."""
    return b"\xff\xd8\xff\xe0" + os.urandom(2000 + seed)


@dataclass
class Climber:
    username: str
    sub: str
    session: requests.Session


def sign_in(stack: StackProcess, username: str, attempts: int = 5) -> Climber:
    """The app's sign-in, retried like an app would on a 5xx (a cold start past the timeout)."""
    client_id = stack.environment()["COGNITO_CLIENT_IDS"]
    for attempt in range(attempts):
        try:
            client = BoulderStatClient.sign_in_local(stack.api_url, username, client_id=client_id)
            break
        except ApiError as error:
            if error.status < 500 or attempt == attempts - 1:
                raise
            print(f"  sign-in retried after {error.status}", flush=True)
            time.sleep(1)
    assert client.id_token is not None
    return Climber(username, sub_of(client.id_token), api(client.id_token))


@dataclass
class Item:
    owner: Climber
    data: bytes
    media_id: str | None = None
    accepted_at: float | None = None  # the upload's 204
    final_at: float | None = None
    status: str | None = None
    wrong_identity: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What one scenario saw."""

    items: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong_identity: int = 0
    stuck: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


def _retrying(action: Callable[[], Any], until: float, pause: float = 0.5) -> Any:
    """Clients retry through outages (a real app would): a stack restarting, MongoDB down."""
    while True:
        try:
            return action()
        except (requests.RequestException, RuntimeError, KeyError):
            if time.monotonic() > until:
                raise
            time.sleep(pause)


def upload_item(stack: StackProcess, item: Item, until: float) -> None:
    """Grant + presigned POST, retried through faults; the item counts once its upload is 204."""

    def grant() -> dict[str, Any]:
        response = item.owner.session.post(
            f"{stack.api_url}/media/uploads",
            json={"content_type": "image/jpeg", "size": len(item.data)},
            timeout=60,
        )
        if response.status_code != 201:
            raise RuntimeError(f"grant: {response.status_code}")
        return dict(response.json())

    granted = _retrying(grant, until)
    key = granted["upload"]["fields"]["key"]
    if f"uploads/{item.owner.sub}/" not in key:
        item.wrong_identity.append(f"grant for {item.owner.username} names {key}")
    item.media_id = granted["media_id"]
    _retrying(lambda: post_upload(granted, item.data), until)
    item.accepted_at = time.monotonic()


def watch_until_final(stack: StackProcess, items: list[Item], until: float) -> None:
    """Each owner's list of media, polled, until every item is final or time is up."""
    owners = {item.owner.username: item.owner for item in items}
    while time.monotonic() < until:
        pending = [i for i in items if i.media_id and i.status not in FINAL]
        if not pending and all(i.media_id for i in items):
            return
        for owner in owners.values():
            try:
                response = owner.session.get(
                    f"{stack.api_url}/media", params={"limit": 100}, timeout=30
                )
                listed = response.json().get("items", []) if response.status_code == 200 else []
            except (requests.RequestException, ValueError):
                continue
            statuses = {m["media_id"]: m["status"] for m in listed}
            now = time.monotonic()
            for item in pending:
                if item.owner is owner and statuses.get(item.media_id) in FINAL:
                    item.status = statuses[item.media_id]
                    item.final_at = now
        time.sleep(0.5)


def check_items(stack: StackProcess, items: list[Item], tally: Tally) -> None:
    """Final look: each item as its owner sees it, its renditions, nobody else's answers."""
    for item in items:
        tally.wrong_identity += len(item.wrong_identity)
        tally.notes += item.wrong_identity[:3]
        if item.accepted_at is None or item.media_id is None:
            continue  # never accepted by S3: the client still has it and would retry
        tally.items += 1
        try:
            response = item.owner.session.get(f"{stack.api_url}/media/{item.media_id}", timeout=30)
        except requests.RequestException:
            tally.lost += 1
            continue
        if response.status_code == 404:
            tally.lost += 1
            tally.notes.append(f"{item.media_id}: 404 for its owner")
            continue
        media = response.json()
        if media.get("media_id") != item.media_id:
            tally.wrong_identity += 1
        status = media.get("status")
        if status not in FINAL:
            tally.stuck += 1
            tally.notes.append(f"{item.media_id}: still {status}")
            continue
        if status == "failed":
            tally.failed += 1
            if not (media.get("failure") or {}).get("reason"):
                tally.notes.append(f"{item.media_id}: failed without a reason")
                tally.stuck += 1
            continue
        urls = [r.get("url") for r in media.get("renditions", [])]
        if not urls or any(requests.get(u, timeout=30).status_code != 200 for u in urls if u):
            tally.lost += 1
            tally.notes.append(f"{item.media_id}: ready but a rendition is missing")
        if item.final_at and item.accepted_at:
            tally.latencies.append(item.final_at - item.accepted_at)


def count_duplicates(received: list[dict[str, Any]], items: list[Item]) -> tuple[int, int]:
    """(extra Media Processed/Failed events per item, events naming another user)."""
    owners = {i.media_id: i.owner.sub for i in items if i.media_id}
    finished = Counter()
    wrong = 0
    for event in received:
        if event.get("detail-type") not in ("Media Processed", "Media Processing Failed"):
            continue
        media_id = event["detail"].get("media_id")
        if media_id not in owners:
            continue
        finished[media_id] += 1
        if event["detail"].get("user_id") != owners[media_id]:
            wrong += 1
    return sum(n - 1 for n in finished.values() if n > 1), wrong


def make_items(
    climbers: list[Climber],
    count: int,
    *,
    seed: int = 0,
    data: Callable[[int], bytes] = photo_bytes,
) -> list[Item]:
    """`count` files for `climbers` (round robin), made before any clock starts: encoding 100
    test photos takes the client ~10 s of one core, which is no part of the stack's work."""
    return [Item(climbers[n % len(climbers)], data(seed + n)) for n in range(count)]


def run_burst(
    stack: StackProcess,
    items: list[Item],
    at_a_time: int,
    *,
    budget: float = 300.0,
    during: Callable[[list[Item]], None] | None = None,
) -> list[Item]:
    """Uploads `items`, `at_a_time` concurrently."""
    until = time.monotonic() + budget
    side: threading.Thread | None = None
    if during is not None:
        side = threading.Thread(target=during, args=(items,), daemon=True)
        side.start()
    with ThreadPoolExecutor(max_workers=at_a_time) as pool:
        for future in [pool.submit(upload_item, stack, item, until) for item in items]:
            try:
                future.result()
            except Exception as error:  # out of retries: counted as not accepted
                print(f"  upload gave up: {error}", flush=True)
    if side is not None:
        side.join()
    return items


def climb_clients(stack: StackProcess, clients: int, seconds: float) -> Tally:
    """`clients` climbers, each its own user, doing every climb route in a loop for `seconds`."""
    tally = Tally()
    climbers = [sign_in(stack, f"climber-{uuid.uuid4().hex[:8]}") for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(climber: Climber) -> tuple[int, int, list[str]]:
        done = wrong = 0
        notes: list[str] = []
        url = stack.api_url
        while time.monotonic() < stop_at:
            title = f"{climber.username}-{uuid.uuid4().hex[:6]}"
            body = {
                "title": title,
                "grade": "V3",
                "outcome": "send",
                "attempts": 1,
                "climb_date": "2026-11-20",
                "angle": "vertical",
                "location": {"kind": "gym", "name": "Reliability"},
            }
            steps: list[tuple[str, Callable[[], requests.Response], int]] = []
            started = time.monotonic()
            created = climber.session.post(f"{url}/climbs", json=body, timeout=30)
            steps.append(("POST /climbs", lambda r=created: r, 201))
            climb_id = created.json().get("climb_id") if created.status_code == 201 else None
            if climb_id:
                got = climber.session.get(f"{url}/climbs/{climb_id}", timeout=30)
                steps.append(("GET /climbs/{id}", lambda r=got: r, 200))
                if got.status_code == 200 and got.json().get("title") != title:
                    wrong += 1
                    notes.append(f"{climber.username} got {got.json().get('title')}")
                listed = climber.session.get(f"{url}/climbs", params={"limit": 5}, timeout=30)
                steps.append(("GET /climbs", lambda r=listed: r, 200))
                if listed.status_code == 200 and any(
                    not c["title"].startswith(climber.username) for c in listed.json()["items"]
                ):
                    wrong += 1
                    notes.append(f"{climber.username} listed someone else's climbs")
                patched = climber.session.patch(
                    f"{url}/climbs/{climb_id}", json={"attempts": 2}, timeout=30
                )
                steps.append(("PATCH /climbs/{id}", lambda r=patched: r, 200))
                stats = climber.session.get(f"{url}/climbs/stats", timeout=30)
                steps.append(("GET /climbs/stats", lambda r=stats: r, 200))
                deleted = climber.session.delete(f"{url}/climbs/{climb_id}", timeout=30)
                steps.append(("DELETE /climbs/{id}", lambda r=deleted: r, 204))
                if deleted.status_code == 204 and deleted.content:
                    wrong += 1
                    notes.append("a 204 with a body")
            elapsed = (time.monotonic() - started) / max(1, len(steps))
            for name, response, expected in steps:
                done += 1
                if response().status_code != expected:
                    wrong += 1
                    notes.append(f"{name}: {response().status_code} (expected {expected})")
            with lock:
                latencies.extend([elapsed] * len(steps))
        return done, wrong, notes

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(loop, climbers))
    tally.seconds = time.monotonic() - started
    tally.items = sum(r[0] for r in results)
    tally.wrong_identity = sum(r[1] for r in results)
    tally.notes = [n for r in results for n in r[2]][:5]
    tally.latencies = latencies
    return tally
