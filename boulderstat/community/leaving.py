"""Leaving: DELETE /me removes everything of a climber's, as a job that finishes even if the
function running it dies half-way.

The job is a document in `account_deletions` (`_id` = the climber), written first: it is the
durable intent. Then the steps run in this order, each one idempotent (running it again after a
crash deletes whatever is left and nothing else), and each recorded on the job when done:

1. `relations`     - follows and blocks both ways: the climber leaves every feed at once
2. `reactions`     - their likes and comments anywhere, and everything others wrote on their
                     climbs (comments, likes, likes on those comments): it goes with the climbs
3. `climbs`        - their climbs
4. `media`         - originals and renditions in S3 (their `uploads/{id}/` and `derived/{id}/`
                     prefixes), then the media documents: objects first, so a crash never
                     leaves an object without the document that leads to it
5. `notifications` - to and from them
6. `profile`       - last: until then the profile marks the account as leaving
7. `announced`     - `Climber Deleted` published (the outbox flag), then the job is `done`;
                     a publish the bus refuses stops the job before this step (`Stopped`),
                     so the schedule publishes it later: never lost, at least once

Who resumes an interrupted job: the same function, on a schedule (`resume_unfinished`). A
second DELETE /me while a job runs simply runs the remaining steps again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ConfigDict
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from boulderstat.api_examples import examples
from boulderstat.climbs.repository import COLLECTION as CLIMBS
from boulderstat.clock import Clock, as_utc, utc_now
from boulderstat.community.cards import COMMENTS, LIKES
from boulderstat.community.notifications import Notifier
from boulderstat.community.relations import Relations
from boulderstat.errors import NotFound
from boulderstat.events import EventPublisher
from boulderstat.events.catalog import ClimberDeleted
from boulderstat.media.storage import MediaStorage
from boulderstat.models import Model
from boulderstat.time_budget import TimeBudget

COLLECTION = "account_deletions"
MEDIA = "media"
PROFILES = "profiles"
_ID_BATCH = 500

logger = Logger(child=True)


class Step(StrEnum):
    RELATIONS = "relations"
    REACTIONS = "reactions"
    CLIMBS = "climbs"
    MEDIA = "media"
    NOTIFICATIONS = "notifications"
    PROFILE = "profile"
    ANNOUNCED = "announced"


STEPS = tuple(Step)


class DeletionStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"


class DeletionView(Model):
    model_config = ConfigDict(
        json_schema_extra=examples(
            {"climber_id": "d41fe687-5342-4d79-ad9e-bbc5fbf6515b", "status": "running",
             "steps_done": ["relations"], "requested_at": "2026-11-30T01:00:00Z",
             "finished_at": None}
        )
    )  # fmt: skip

    climber_id: str
    status: DeletionStatus
    steps_done: list[Step]
    requested_at: datetime
    finished_at: datetime | None = None


class OutOfTime(Exception):
    """The job stopped between steps (the invocation's budget ran out, or the bus refused
    `Climber Deleted`); the schedule resumes it."""


class AccountDeletion:
    def __init__(
        self,
        db: Database,
        relations: Relations,
        notifier: Notifier,
        storage: MediaStorage,
        publisher: EventPublisher,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = db
        self._jobs = db[COLLECTION]
        self._relations = relations
        self._notifier = notifier
        self._storage = storage
        self._publisher = publisher
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._jobs.create_index([("status", 1)], name="by_status")

    # -- the job -----------------------------------------------------------------------------
    def request(self, climber_id: str) -> DeletionView:
        """Records the intent (idempotent); a finished job is started over for what is new."""
        now = self._clock()
        try:
            self._jobs.insert_one(
                {
                    "_id": climber_id,
                    "status": str(DeletionStatus.RUNNING),
                    "steps_done": [],
                    "requested_at": now,
                    "finished_at": None,
                    "climbs_removed": 0,
                    "media_removed": 0,
                }
            )
        except DuplicateKeyError:
            job = self._jobs.find_one({"_id": climber_id}) or {}
            if job.get("status") == DeletionStatus.DONE:
                self._jobs.replace_one(
                    {"_id": climber_id},
                    {**job, "status": str(DeletionStatus.RUNNING), "steps_done": [],
                     "requested_at": now, "finished_at": None},
                )  # fmt: skip
        return self.status(climber_id)

    def status(self, climber_id: str) -> DeletionView:
        job = self._jobs.find_one({"_id": climber_id})
        if job is None:
            raise NotFound("No account deletion was requested")
        return DeletionView(
            climber_id=climber_id,
            status=job["status"],
            steps_done=job.get("steps_done") or [],
            requested_at=as_utc(job["requested_at"]),
            finished_at=as_utc(job["finished_at"]) if job.get("finished_at") else None,
        )

    def is_leaving(self, climber_id: str) -> bool:
        return (
            self._jobs.count_documents(
                {"_id": climber_id, "status": str(DeletionStatus.RUNNING)}, limit=1
            )
            > 0
        )

    def run(self, climber_id: str, budget: TimeBudget | None = None) -> DeletionView:
        """Runs the remaining steps in order; stops between steps when `budget` is spent."""
        job = self._jobs.find_one({"_id": climber_id})
        if job is None or job["status"] == DeletionStatus.DONE:
            return self.status(climber_id)
        done = set(job.get("steps_done") or [])
        for step in STEPS:
            if step in done:
                continue
            if budget is not None and budget.spent:
                raise OutOfTime(climber_id)
            counts = self._run_step(step, climber_id, job)
            job = (
                self._jobs.find_one_and_update(
                    {"_id": climber_id},
                    {"$addToSet": {"steps_done": str(step)}, "$inc": counts},
                    return_document=True,
                )
                or job
            )
        finished = self._clock()
        current = self._jobs.find_one({"_id": climber_id}) or job
        self._jobs.replace_one(
            {"_id": climber_id},
            {**current, "status": str(DeletionStatus.DONE), "finished_at": finished},
        )
        return self.status(climber_id)

    def resume_unfinished(self, budget: TimeBudget, *, limit: int = 50) -> int:
        """The schedule's work: every job still running (e.g. its function was killed)."""
        finished = 0
        running = self._jobs.find({"status": str(DeletionStatus.RUNNING)}, {"_id": 1}).limit(limit)
        for job in list(running):
            try:
                self.run(job["_id"], budget)
            except OutOfTime:
                break
            finished += 1
        return finished

    # -- the steps ---------------------------------------------------------------------------
    def _run_step(self, step: Step, climber_id: str, job: dict[str, Any]) -> dict[str, int]:
        db = self._db
        match step:
            case Step.RELATIONS:
                self._relations.forget(climber_id)
            case Step.REACTIONS:
                self._reactions(climber_id)
            case Step.CLIMBS:
                removed = db[CLIMBS].delete_many({"user_id": climber_id}).deleted_count
                return {"climbs_removed": int(removed)}
            case Step.MEDIA:
                removed = 0
                for prefix in (f"uploads/{climber_id}/", f"derived/{climber_id}/"):
                    removed += self._storage.remove(keys=[], prefix=prefix)
                media = db[MEDIA].delete_many({"user_id": climber_id}).deleted_count
                return {"media_removed": int(media)}
            case Step.NOTIFICATIONS:
                self._notifier.forget(climber_id)
            case Step.PROFILE:
                db[PROFILES].delete_one({"_id": climber_id})
            case Step.ANNOUNCED:
                self._announce(climber_id, job)
        return {}

    def _announce(self, climber_id: str, job: dict[str, Any]) -> None:
        """`Climber Deleted`, keyed by the climber: a re-publish after a lost answer is the
        same fact. Refused, the step stays undone and the job stops here for the schedule."""
        try:
            self._publisher.publish(
                ClimberDeleted(
                    user_id=climber_id,
                    occurred_at=self._clock(),
                    climbs_removed=int(job.get("climbs_removed", 0)),
                    media_removed=int(job.get("media_removed", 0)),
                )
            )
        except Exception as error:
            logger.exception("Climber Deleted not published; retried later", user_id=climber_id)
            raise OutOfTime(climber_id) from error

    def _reactions(self, climber_id: str) -> None:
        comments, likes = self._db[COMMENTS], self._db[LIKES]
        # Comments they wrote anywhere, and every comment on their climbs, with the likes on
        # those comments; then likes they gave and likes on their climbs.
        for field in ("author_id", "climb_owner_id"):
            while True:
                ids = [
                    d["_id"]
                    for d in comments.find({field: climber_id}, {"_id": 1}).limit(_ID_BATCH)
                ]
                if not ids:
                    break
                likes.delete_many({"target_id": {"$in": ids}})
                comments.delete_many({"_id": {"$in": ids}})
        likes.delete_many({"user_id": climber_id})
        likes.delete_many({"owner_id": climber_id})
        climb_ids = [d["_id"] for d in self._db[CLIMBS].find({"user_id": climber_id}, {"_id": 1})]
        for start in range(0, len(climb_ids), _ID_BATCH):
            likes.delete_many({"climb_id": {"$in": climb_ids[start : start + _ID_BATCH]}})
