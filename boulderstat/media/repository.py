"""The `media` collection: every query filters on `user_id`, every transition is guarded.

Each status change is one `find_one_and_update` whose filter states what the change requires:
for ingest, the exact document revision the caller judged (the version order is decided by
`MediaDocument.is_newer_than_recorded`); for processing, the status it moves from and the ETag of
the object version. Duplicate, concurrent or late deliveries therefore never move a document
backwards. A method returns the document after the change, or None when the guard did not match
(already done, superseded, changed meanwhile, deleted, or someone else's).

Abandoned uploads: a TTL index on `pending_expires_at`. The field is set only while the document is
`pending` and is removed by the ingest transitions, so only grants that never received a file
expire (after `pending_upload_ttl_seconds`, far longer than the grant's own expiry). A TTL index
costs nothing to run and needs no scheduler; MongoDB's TTL monitor runs about once a minute.
The local nx-27017 server accepts the index; it is unverified whether it ever expires documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from boulderstat.clock import utc_now
from boulderstat.media.models import (
    Failure,
    MediaDocument,
    MediaMetadata,
    ObjectVersion,
    Rendition,
    WebRendition,
    WebRenditionStatus,
)
from boulderstat.media.status import FailurePhase, MediaStatus

COLLECTION = "media"
SWEEPER_COLLECTION = "sweeper"
PublishedEvent = Literal["uploaded", "processed", "failed"]

# What a new object version clears: everything learned about the previous version.
_VERSION_RESET: dict[str, Any] = {
    "processing_started_at": None,
    "processing_attempts": 0,
    "processing_lease_owner": None,
    "processing_lease_until": None,
    "renditions": [],
    "metadata": None,
    "placeholder": None,
    "processed_at": None,
    "failure": None,
    "uploaded_event_published": False,
    "processed_event_published": False,
    "failed_event_published": False,
    "sweeps": 0,
    "web_rendition": None,
}


CLAIM_RETRIES = 5  # compare-and-set rounds before a claim gives way to a busier writer
DEFAULT_LEASE_SECONDS = 900.0  # Lambda's longest timeout: no holder can run longer


@dataclass(frozen=True)
class ProcessingClaim:
    """The outcome of asking to process a version: granted, or held by another delivery."""

    document: MediaDocument
    granted: bool


class MediaRepository:
    def __init__(self, db: Database, *, clock: Any = utc_now) -> None:
        self._media: Collection = db[COLLECTION]
        self._clock = clock

    def ensure_indexes(self) -> None:
        """Idempotent: safe to call on every cold start."""
        self._media.create_index(
            "pending_expires_at", expireAfterSeconds=0, name="pending_upload_ttl"
        )
        # Newest first per user (ids sort by creation time), optionally per climb.
        self._media.create_index([("user_id", ASCENDING), ("media_id", DESCENDING)])
        self._media.create_index(
            [("user_id", ASCENDING), ("climb_id", ASCENDING), ("media_id", DESCENDING)]
        )
        # The sweeper: oldest unchanged documents of one status first.
        self._media.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])

    # -- reads and writes the API needs -----------------------------------------------------
    def create_pending(self, document: MediaDocument) -> None:
        if document.status != MediaStatus.PENDING:
            raise ValueError("new media documents start pending")
        self._media.insert_one(document.to_mongo())

    def get(self, user_id: str, media_id: str) -> MediaDocument | None:
        found = self._media.find_one({"_id": media_id, "user_id": user_id})
        return MediaDocument.from_mongo(found) if found else None

    def list_recent(
        self,
        user_id: str,
        *,
        limit: int,
        climb_id: str | None = None,
        before_media_id: str | None = None,
    ) -> list[MediaDocument]:
        """The caller's media, newest first, strictly older than `before_media_id` (a cursor)."""
        query: dict[str, Any] = {"user_id": user_id}
        if climb_id is not None:
            query["climb_id"] = climb_id
        if before_media_id is not None:
            query["media_id"] = {"$lt": before_media_id}
        cursor = self._media.find(query).sort("media_id", DESCENDING).limit(limit)
        return [MediaDocument.from_mongo(d) for d in cursor]

    def delete(self, user_id: str, media_id: str) -> bool:
        return self._media.delete_one({"_id": media_id, "user_id": user_id}).deleted_count == 1

    def delete_pending_multipart(self, user_id: str, media_id: str, upload_id: str) -> bool:
        """Forgets an abandoned multipart grant; never a document whose file already arrived."""
        result = self._media.delete_one(
            {
                "_id": media_id,
                "user_id": user_id,
                "status": MediaStatus.PENDING.value,
                "multipart.upload_id": upload_id,
            }
        )
        return result.deleted_count == 1

    # -- ingest (on_object_created) ---------------------------------------------------------
    def record_upload(
        self, seen: MediaDocument, version: ObjectVersion, *, size: int, format: str
    ) -> MediaDocument | None:
        """pending (or an older version) -> uploaded, recording the version that arrived.

        `seen` is the document as the caller read it; the update applies only if nothing changed
        since (its `revision`) and `version` is newer than what `seen` recorded. None otherwise:
        re-read and decide again.
        """
        now = self._clock()
        return self._record_version(
            seen,
            version,
            size,
            {"status": MediaStatus.UPLOADED.value, "format": format, "uploaded_at": now},
            now,
        )

    def record_rejection(
        self, seen: MediaDocument, version: ObjectVersion, *, size: int, reason: str
    ) -> MediaDocument | None:
        """pending (or an older version) -> failed at ingest; same guard as `record_upload`."""
        now = self._clock()
        outcome = {
            "status": MediaStatus.FAILED.value,
            "format": None,
            "uploaded_at": None,
            "failure": _failure("ingest", reason, now),
        }
        return self._record_version(seen, version, size, outcome, now)

    def _record_version(
        self,
        seen: MediaDocument,
        version: ObjectVersion,
        size: int,
        outcome: dict[str, Any],
        now: datetime,
    ) -> MediaDocument | None:
        """Records a new object version and what ingest judged of it, forgetting the old one."""
        if not seen.is_newer_than_recorded(version):
            return None
        return self._transition(
            self._unchanged_since(seen),
            {
                **_VERSION_RESET,
                "etag": version.etag,
                "sequencer": version.sequencer,
                "size": size,
                **outcome,
                "updated_at": now,
            },
        )

    # -- processing (thumbnail) -------------------------------------------------------------
    def claim_processing(
        self,
        user_id: str,
        media_id: str,
        etag: str,
        *,
        owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> ProcessingClaim | None:
        """uploaded -> processing for exactly that version, leased to `owner` (a delivery id).

        - `uploaded`, or `processing` whose lease ended (its holder was killed or gave up):
          granted, and `processing_attempts` + 1 (a caller gives up after a few).
        - `processing` leased to `owner` itself: a retry of the same delivery after its attempt
          failed; granted again without counting (the event source bounds its own retries).
        - `processing` leased to another delivery, lease live: not granted, nothing changes. A
          concurrent duplicate stands down; it never counts as an attempt and never touches
          what the holder writes. If the holder dies, its own retry (same owner) takes over.
        - Another version, `ready`, `failed` or gone: None.
        The lease lasts `lease_seconds` (the holder's remaining run time: it cannot run longer).
        Read, decide, then compare-and-set on `revision` (no `$or` filter: see `_unchanged_since`).
        Without an `owner`, the claim is a delivery of its own.
        """
        owner = owner or uuid.uuid4().hex
        for _ in range(CLAIM_RETRIES):
            found = self._media.find_one({"_id": media_id, "user_id": user_id, "etag": _etag(etag)})
            if found is None:
                return None
            seen = MediaDocument.from_mongo(found)
            now = self._clock()
            if seen.status == MediaStatus.UPLOADED:
                counts = True
            elif seen.status == MediaStatus.PROCESSING:
                held = seen.processing_lease_until is not None and seen.processing_lease_until > now
                if seen.processing_lease_owner == owner:
                    counts = False
                elif held:
                    return ProcessingClaim(seen, granted=False)
                else:
                    counts = True
            else:
                return None
            claimed = self._transition(
                self._unchanged_since(seen),
                {
                    "status": MediaStatus.PROCESSING.value,
                    "processing_started_at": now,
                    "processing_lease_owner": owner,
                    "processing_lease_until": now + timedelta(seconds=lease_seconds),
                    "updated_at": now,
                },
                increment={"processing_attempts": 1} if counts else None,
            )
            if claimed is not None:
                return ProcessingClaim(claimed, granted=True)
        # Changed under us every time: someone else is busy with it; this delivery stands down.
        latest = self.get(user_id, media_id)
        return ProcessingClaim(latest, granted=False) if latest is not None else None

    def release_claim(self, user_id: str, media_id: str, etag: str) -> bool:
        """Ends a processing lease whose holder is known to be gone (e.g. after a crash)."""
        result = self._media.update_one(
            {
                "_id": media_id,
                "user_id": user_id,
                "etag": _etag(etag),
                "status": MediaStatus.PROCESSING.value,
            },
            {
                "$set": {"processing_lease_owner": None, "processing_lease_until": None},
                "$inc": {"revision": 1},
            },
        )
        return result.matched_count == 1

    def mark_ready(
        self,
        user_id: str,
        media_id: str,
        etag: str,
        *,
        renditions: Sequence[Rendition],
        metadata: MediaMetadata,
        placeholder: str | None,
        web_rendition_due: bool = False,
    ) -> MediaDocument | None:
        """processing -> ready for exactly that version (a due web rendition starts pending)."""
        now = self._clock()
        return self._transition(
            {
                "_id": media_id,
                "user_id": user_id,
                "etag": _etag(etag),
                "status": MediaStatus.PROCESSING.value,
            },
            {
                "status": MediaStatus.READY.value,
                "renditions": [r.model_dump() for r in renditions],
                "metadata": metadata.model_dump(),
                "placeholder": placeholder,
                "processed_at": now,
                "updated_at": now,
                "web_rendition": WebRendition().model_dump() if web_rendition_due else None,
            },
        )

    # -- web rendition (web_rendition function) --------------------------------------------
    def claim_web_rendition(self, user_id: str, media_id: str, etag: str) -> MediaDocument | None:
        """pending/processing -> processing for a `ready` version; counts the attempts."""
        now = self._clock()
        return self._transition(
            {
                **self._ready_version(user_id, media_id, etag),
                "web_rendition.status": {"$in": ["pending", "processing"]},
            },
            {"web_rendition.status": "processing", "updated_at": now},
            increment={"web_rendition.attempts": 1},
        )

    def add_web_rendition(self, seen: MediaDocument, rendition: Rendition) -> MediaDocument | None:
        """processing -> ready: the rendition joins the renditions of `seen` (the claimed
        document). The whole list is set, not `$push`ed: nx-27017 (0.8.1) stores a pushed
        document as a JSON string."""
        assert seen.etag is not None
        now = self._clock()
        return self._transition(
            {
                **self._ready_version(seen.user_id, seen.media_id, seen.etag),
                "web_rendition.status": "processing",
            },
            {
                "web_rendition.status": "ready",
                "web_rendition.finished_at": now,
                "renditions": [r.model_dump() for r in [*seen.renditions, rendition]],
                "updated_at": now,
            },
        )

    def fail_web_rendition(
        self, user_id: str, media_id: str, etag: str, *, reason: str
    ) -> MediaDocument | None:
        """pending/processing -> failed; the media itself stays `ready` with its poster."""
        now = self._clock()
        return self._transition(
            {
                **self._ready_version(user_id, media_id, etag),
                "web_rendition.status": {"$in": ["pending", "processing"]},
            },
            {
                "web_rendition.status": "failed",
                "web_rendition.reason": reason,
                "web_rendition.finished_at": now,
                "updated_at": now,
            },
        )

    def mark_web_rendition_event_published(self, user_id: str, media_id: str, etag: str) -> bool:
        result = self._media.update_one(
            self._ready_version(user_id, media_id, etag),
            {"$set": {"web_rendition.event_published": True}},
        )
        return result.matched_count == 1

    @staticmethod
    def _ready_version(user_id: str, media_id: str, etag: str) -> dict[str, Any]:
        return {
            "_id": media_id,
            "user_id": user_id,
            "etag": _etag(etag),
            "status": MediaStatus.READY.value,
        }

    def mark_failed(
        self,
        user_id: str,
        media_id: str,
        etag: str,
        *,
        reason: str,
        phase: FailurePhase = "processing",
    ) -> MediaDocument | None:
        """uploaded/processing -> failed for exactly that version; a ready document stays ready."""
        now = self._clock()
        return self._transition(
            {
                "_id": media_id,
                "user_id": user_id,
                "etag": _etag(etag),
                "status": {"$in": [MediaStatus.UPLOADED.value, MediaStatus.PROCESSING.value]},
            },
            {
                "status": MediaStatus.FAILED.value,
                "failure": _failure(phase, reason, now),
                "updated_at": now,
            },
        )

    def mark_event_published(
        self, user_id: str, media_id: str, etag: str, event: PublishedEvent
    ) -> bool:
        """Records that the event for that version went out (the outbox flag)."""
        result = self._media.update_one(
            {"_id": media_id, "user_id": user_id, "etag": _etag(etag)},
            {"$set": {f"{event}_event_published": True}},
        )
        return result.matched_count == 1

    # -- the sweeper (operator work across climbers, never an API path) ----------------------
    def unchanged_since(
        self, status: MediaStatus, cutoff: datetime, *, limit: int
    ) -> list[MediaDocument]:
        """Documents in `status` that nothing changed since `cutoff`, oldest first."""
        cursor = (
            self._media.find({"status": status.value, "updated_at": {"$lt": cutoff}})
            .sort("updated_at", ASCENDING)
            .limit(limit)
        )
        return [MediaDocument.from_mongo(d) for d in cursor]

    def unpublished_since(
        self, status: MediaStatus, cutoff: datetime, *, limit: int
    ) -> list[MediaDocument]:
        """Finished documents (ready/failed) whose outcome event never went out, oldest first."""
        flag = (
            "processed_event_published" if status == MediaStatus.READY else "failed_event_published"
        )
        cursor = (
            self._media.find({"status": status.value, flag: False, "updated_at": {"$lt": cutoff}})
            .sort("updated_at", ASCENDING)
            .limit(limit)
        )
        return [MediaDocument.from_mongo(d) for d in cursor]

    def web_renditions_unchanged_since(
        self,
        web_status: WebRenditionStatus,
        cutoff: datetime,
        *,
        limit: int,
        unpublished: bool = False,
    ) -> list[MediaDocument]:
        """Ready videos whose web rendition is in `web_status` (and, if `unpublished`, whose
        event never went out) that nothing changed since `cutoff`, oldest first.

        One status per query: nx-27017 (0.8.1) matches nothing when an `$in` on a nested field
        meets a range on a date written by `$set`.
        """
        query: dict[str, Any] = {
            "status": MediaStatus.READY.value,
            "web_rendition.status": web_status,
            "updated_at": {"$lt": cutoff},
        }
        if unpublished:
            query["web_rendition.event_published"] = False
        cursor = self._media.find(query).sort("updated_at", ASCENDING).limit(limit)
        return [MediaDocument.from_mongo(d) for d in cursor]

    def claim_sweep(self, seen: MediaDocument, *, count: str = "sweeps") -> MediaDocument | None:
        """Takes a stuck document for one sweep, exactly as `seen` (compare-and-set).

        Of two sweeps racing for it, one wins; the bumped `updated_at` keeps the next sweeps
        away until it looks stuck again. A pending document keeps its TTL field. `count` names
        the counter of re-drives this sweep adds to (`web_rendition.redrives` for that step).
        """
        now = self._clock()
        found = self._media.find_one_and_update(
            {**self._unchanged_since(seen), "status": seen.status.value},
            {"$set": {"updated_at": now}, "$inc": {"revision": 1, count: 1}},
            return_document=ReturnDocument.AFTER,
        )
        return MediaDocument.from_mongo(found) if found else None

    def delete_abandoned(self, seen: MediaDocument) -> bool:
        """Removes a pending document no upload ever reached, if it is still exactly `seen`.

        What the TTL index does on MongoDB; the local server's TTL monitor never runs.
        """
        guard = {**self._unchanged_since(seen), "status": MediaStatus.PENDING.value}
        return self._media.delete_one(guard).deleted_count == 1

    def versions_of(self, media_ids: Sequence[str]) -> dict[str, tuple[str, str, str | None]]:
        """media id -> (owner, original key, current version's ETag), for those that exist."""
        found = self._media.find(
            {"_id": {"$in": list(media_ids)}}, {"_id": 1, "user_id": 1, "key": 1, "etag": 1}
        )
        return {d["_id"]: (d["user_id"], d["key"], d.get("etag")) for d in found}

    # -- internals --------------------------------------------------------------------------
    @staticmethod
    def _unchanged_since(seen: MediaDocument) -> dict[str, Any]:
        # Compare-and-set on the revision instead of an `$or` over versions: nx-27017 (0.8.1)
        # ignores the rest of an update's filter when an `$or` holds an operator clause.
        return {"_id": seen.media_id, "user_id": seen.user_id, "revision": seen.revision}

    def _transition(
        self,
        guard: dict[str, Any],
        changes: dict[str, Any],
        *,
        increment: dict[str, int] | None = None,
    ) -> MediaDocument | None:
        update: dict[str, Any] = {
            "$set": changes,
            "$unset": {"pending_expires_at": ""},
            "$inc": {"revision": 1, **(increment or {})},
        }
        found = self._media.find_one_and_update(guard, update, return_document=ReturnDocument.AFTER)
        return MediaDocument.from_mongo(found) if found else None


def _etag(etag: str) -> str:
    return etag.strip().strip('"')


def _failure(phase: FailurePhase, reason: str, now: datetime) -> dict[str, Any]:
    return Failure(phase=phase, reason=reason, failed_at=now).model_dump()


class ScanPositions:
    """Where the sweeper's bucket scans stopped (collection `sweeper`), so runs resume there.

    Two sweeps racing write similar positions; either is a fine place to resume.
    """

    def __init__(self, db: Database) -> None:
        self._state: Collection = db[SWEEPER_COLLECTION]

    def get(self, scan: str) -> str:
        found = self._state.find_one({"_id": scan})
        return str(found["start_after"]) if found else ""

    def set(self, scan: str, start_after: str) -> None:
        self._state.update_one({"_id": scan}, {"$set": {"start_after": start_after}}, upsert=True)
