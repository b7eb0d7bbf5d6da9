"""A downstream consumer stand-in: an EventBridge rule that copies our events into a queue."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from boulderstat.local.provision import queue_arn
from boulderstat.local.router import complete_eventbridge_envelope

Event = dict[str, Any]


class Subscriber:
    """Receives every `boulderstat.*` event on the bus (optionally narrowed by a detail filter)."""

    def __init__(
        self,
        sqs: Any,
        events: Any,
        bus: str,
        *,
        name: str | None = None,
        detail: Event | None = None,
    ) -> None:
        self._sqs = sqs
        self._events = events
        self._bus = bus
        self.name = name or f"subscriber-{uuid.uuid4().hex[:8]}"
        self.queue_url = sqs.create_queue(QueueName=f"{bus}-{self.name}")["QueueUrl"]
        pattern: Event = {"source": [{"prefix": "boulderstat."}]}
        if detail:
            pattern["detail"] = detail
        self._rule = f"{bus}-{self.name}"
        events.put_rule(Name=self._rule, EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=self._rule,
            EventBusName=bus,
            Targets=[{"Id": "subscriber", "Arn": queue_arn(sqs, self.queue_url)}],
        )
        self.received: list[Event] = []

    def poll(self, wait_seconds: int = 1) -> list[Event]:
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        batch = [complete_eventbridge_envelope(json.loads(m["Body"])) for m in messages]
        if messages:  # one request for the whole batch: moto shares the cores with the stack
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )
        self.received.extend(batch)
        return batch

    def stream(self) -> Iterator[Event]:
        while True:
            yield from self.poll()

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 30.0) -> Event:
        """The first received event matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.received[seen:]:
                if predicate(event):
                    return event
            seen = len(self.received)
            if time.monotonic() > deadline:
                kinds = [e.get("detail-type") for e in self.received]
                raise TimeoutError(f"no matching event within {timeout}s; received {kinds}")
            self.poll()

    def close(self) -> None:
        self._events.remove_targets(Rule=self._rule, EventBusName=self._bus, Ids=["subscriber"])
        self._events.delete_rule(Name=self._rule, EventBusName=self._bus)
        self._sqs.delete_queue(QueueUrl=self.queue_url)
