"""Many climbers liking one climb at once: the count is exact and each like is announced once.

Drives the domain service from 16 threads sharing one pymongo client (as one Lambda container
would not, but as many containers do against one database), against the real MongoDB-protocol
server; duplicates race each other on purpose.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock

from boulderstat.adapters.mongo import mongo_database
from boulderstat.community.wiring import Community, build
from boulderstat.events.catalog import ClimbLiked, ClimbUnliked, EventDetail
from boulderstat.local.stack import LocalStack
from tests.integration.community.conftest import Join

LIKERS = 24


@dataclass
class RecordingPublisher:
    events: list[EventDetail] = field(default_factory=list)
    lock: Lock = field(default_factory=Lock)

    def publish(self, *details: EventDetail) -> None:
        with self.lock:
            self.events.extend(details)


def _community(stack: LocalStack, publisher: RecordingPublisher) -> Community:
    assert stack.settings is not None
    db = mongo_database(stack.settings)
    return build(db, stack.settings, s3=stack.client("s3"), publisher=publisher)


def test_concurrent_likes_and_unlikes_keep_exact_counts(stack: LocalStack, join: Join) -> None:
    owner = join("popular", default_visibility="public")
    climb_id = owner.climb()["climb_id"]
    publisher = RecordingPublisher()
    likes = _community(stack, publisher).likes
    likers = [str(uuid.uuid4()) for _ in range(LIKERS)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        # Everyone likes twice, all at once.
        states = list(pool.map(lambda u: likes.like_climb(u, climb_id), likers * 2))
    assert all(s.liked for s in states)
    assert max(s.like_count for s in states) == LIKERS
    assert likes.like_climb(likers[0], climb_id).like_count == LIKERS
    liked_events = [e for e in publisher.events if isinstance(e, ClimbLiked)]
    assert sorted(e.user_id for e in liked_events) == sorted(likers)

    leaving, staying = likers[: LIKERS // 2], likers[LIKERS // 2 :]
    with ThreadPoolExecutor(max_workers=16) as pool:
        # Half take their like back (twice), the other half like again, concurrently.
        calls = [lambda u=u: likes.unlike_climb(u, climb_id) for u in leaving * 2]
        calls += [lambda u=u: likes.like_climb(u, climb_id) for u in staying]
        list(pool.map(lambda call: call(), calls))
    final = likes.unlike_climb(str(uuid.uuid4()), climb_id)  # a no-op that reports the count
    assert final.like_count == len(staying)
    unliked = [e for e in publisher.events if isinstance(e, ClimbUnliked)]
    assert sorted(e.user_id for e in unliked) == sorted(leaving)
    assert owner.api.get(f"/climbs/{climb_id}/card")["like_count"] == len(staying)


def test_many_clients_liking_over_http_at_once_leave_an_exact_count(
    stack: LocalStack, join: Join
) -> None:
    """20 climbers, each with their own token and connection, like the same climb twice at the
    same moment through the local HTTP API; then half unlike while the others like again."""
    import jwt

    from boulderstat.client import BoulderStatClient

    owner = join("popular", default_visibility="public")
    climb_id = owner.climb()["climb_id"]
    clients = []
    for n in range(20):
        token = stack.token(f"liker-{n}-{uuid.uuid4().hex[:6]}")["IdToken"]
        sub = jwt.decode(token, options={"verify_signature": False})["sub"]
        clients.append((sub, BoulderStatClient(stack.api_url, id_token=token)))
    path = f"/climbs/{climb_id}/like"
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda c: c[1].put(path), clients * 2))
    assert all(a["liked"] for a in answers)
    assert owner.api.get(f"/climbs/{climb_id}/card")["like_count"] == 20
    leaving, staying = clients[:10], clients[10:]
    with ThreadPoolExecutor(max_workers=20) as pool:
        calls = [lambda c=c: c[1].delete(path) for c in leaving * 2]
        calls += [lambda c=c: c[1].put(path) for c in staying]
        list(pool.map(lambda call: call(), calls))
    card = owner.api.get(f"/climbs/{climb_id}/card")
    assert card["like_count"] == 10
    # Each like is stored under its own climber: identities never mixed between requests.
    for sub, client in clients:
        assert client.get(f"/climbs/{climb_id}/card")["liked"] is (sub in {s for s, _ in staying})
