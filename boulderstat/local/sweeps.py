"""The sweeper's schedule on the local stack: what the EventBridge rate rule does in AWS.

A thread invokes `functions/sweeper` (then `functions/outbox`) with a `Scheduled Event`
every `interval` seconds, the same handler and event shape Lambda gets; `boulderstat local
sweep` runs one media sweep on demand. `paused()` holds the schedule (after the run in flight)
while a test sets up a state the sweeper would also act on.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from boulderstat.local.router import MOTO_ACCOUNT_ID

logger = Logger(service="local-sweeps")

FUNCTION = "sweeper"
OUTBOX = "outbox"
DEFAULT_INTERVAL_SECONDS = 60.0


def scheduled_event(region: str, rule: str) -> dict[str, Any]:
    """An EventBridge `Scheduled Event`, as a rate rule delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": MOTO_ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{MOTO_ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class PeriodicSweeps:
    def __init__(
        self,
        invoke: Callable[[str, dict[str, Any]], Any],
        *,
        region: str,
        rule: str,
        interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self._invoke = invoke
        self._region = region
        self._rule = rule
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = threading.Lock()  # held by each scheduled run, and by `paused()`

    def run_once(self) -> Any:
        return self._invoke(FUNCTION, scheduled_event(self._region, self._rule))

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No scheduled run starts inside this block (one in flight finishes first)."""
        with self._running:
            yield

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-sweeps", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            with self._running:
                self._run_scheduled()

    def _run_scheduled(self) -> None:
        try:
            self.run_once()
        except Exception:  # as on AWS: the next scheduled run tries again
            logger.exception("local sweep failed; the next one retries")
        try:  # the outbox's own rate rule in AWS (boulderstat/events/outbox.py)
            rule = f"{self._rule.removesuffix('-sweeper')}-outbox"
            self._invoke(OUTBOX, scheduled_event(self._region, rule))
        except Exception:
            logger.exception("local outbox sweep failed; the next one retries")
