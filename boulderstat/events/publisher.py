"""Publishing event details on the stage's EventBridge bus, with bounded retries."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from boulderstat.events.catalog import EventDetail

_MAX_ENTRIES_PER_CALL = 10  # EventBridge PutEvents limit


class EventPublishError(RuntimeError):
    """Some entries were still rejected after retries: transient, let Lambda retry."""


class EventPublisher(Protocol):
    def publish(self, *details: EventDetail) -> None: ...


class EventBridgePublisher:
    def __init__(self, client: Any, bus_name: str, *, attempts: int = 3) -> None:
        self._client = client
        self._bus_name = bus_name
        self._attempts = attempts

    def publish(self, *details: EventDetail) -> None:
        entries = [self._entry(d) for d in details]
        for start in range(0, len(entries), _MAX_ENTRIES_PER_CALL):
            self._put(entries[start : start + _MAX_ENTRIES_PER_CALL])

    def _entry(self, detail: EventDetail) -> dict[str, Any]:
        return {
            "EventBusName": self._bus_name,
            "Source": detail.SOURCE,
            "DetailType": detail.DETAIL_TYPE,
            "Detail": detail.model_dump_json(),
        }

    def _put(self, entries: Sequence[dict[str, Any]]) -> None:
        pending = list(entries)
        for attempt in range(self._attempts):
            response = self._client.put_events(Entries=pending)
            if not response.get("FailedEntryCount"):
                return
            pending = [
                entry
                for entry, result in zip(pending, response["Entries"], strict=True)
                if result.get("ErrorCode")
            ]
            time.sleep(0.1 * 2**attempt)
        raise EventPublishError(f"EventBridge rejected {len(pending)} event(s) after retries")
