"""Delivers queued S3 and EventBridge events to handlers, with Lambda's retry semantics.

S3 notifications and EventBridge rules target SQS queues on the local stack; the router polls
them with `workers` concurrent deliveries per queue and hands each message body (the unchanged
S3 / EventBridge event) to the same handler Lambda would run, each delivery in its own execution
environment (`boulderstat.local.environments`). A handler that raises leaves the message for a
retry; after the queue's maxReceiveCount it lands in the dead-letter queue, like Lambda's
on-failure destination.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(service="local-router")

MOTO_ACCOUNT_ID = "123456789012"


def complete_eventbridge_envelope(event: dict[str, Any]) -> dict[str, Any]:
    """moto's SQS target template drops `account`, which every real EventBridge event has."""
    if "detail-type" in event:
        event.setdefault("account", MOTO_ACCOUNT_ID)
    return event


@dataclass(frozen=True)
class Route:
    queue_url: str
    function_name: str
    # Seconds a received message stays invisible: the function's timeout plus a margin, so a
    # slow invocation is never delivered a second time while it still runs (AWS advises the
    # queue's visibility timeout be well above the function's timeout).
    visibility_timeout: int = 330


RETRY_DELAY_SECONDS = 2  # a failed delivery is visible again this soon (not after the timeout)
# How long a receive waits on an empty queue. Each wait is one request to moto, which shares the
# cores with the functions: at 1 s, the pollers of the queues a burst leaves empty cost ten
# requests a second on two cores. Stopping does not wait for them (see `stop`).
LONG_POLL_SECONDS = 10


class EventRouter:
    """`workers` concurrent deliveries per queue, each in its own execution environment."""

    def __init__(
        self,
        sqs: Any,
        routes: list[Route],
        invoke: Callable[[str, dict[str, Any]], Any],
        *,
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError("each queue needs at least one worker")
        self._sqs = sqs
        self._routes = routes
        self._invoke = invoke
        self.workers = workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._in_flight = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        for route in self._routes:
            for index in range(self.workers):
                thread = threading.Thread(
                    target=self._poll,
                    args=(route,),
                    name=f"router-{route.function_name}-{index}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def stop(self, wait_seconds: float = 30.0) -> None:
        """Stops delivering, then waits (bounded) for the deliveries in flight to finish.

        A poller still waiting on a queue is not waited for: a message it receives from now on
        is not delivered, which is the same as a message still queued (moto's queues end with
        the stack; the next start resumes unfinished media from MongoDB).
        """
        deadline = time.monotonic() + wait_seconds
        with self._idle:
            self._stop.set()
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(max(0.0, deadline - time.monotonic()))

    def in_flight(self) -> int:
        with self._idle:
            return self._in_flight

    def _poll(self, route: Route) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=route.queue_url,
                    MaxNumberOfMessages=1,
                    WaitTimeSeconds=LONG_POLL_SECONDS,
                    VisibilityTimeout=route.visibility_timeout,
                ).get("Messages", [])
            except Exception:  # the stack is shutting down or moto hiccuped: try again
                if self._stop.wait(0.5):
                    return
                continue
            for message in messages:
                with self._idle:
                    if self._stop.is_set():
                        return
                    self._in_flight += 1
                try:
                    self._deliver(route, message)
                except Exception:  # never let one message end this worker
                    logger.exception("delivery failed", function=route.function_name)
                finally:
                    with self._idle:
                        self._in_flight -= 1
                        self._idle.notify_all()

    def _deliver(self, route: Route, message: dict[str, Any]) -> None:
        event = json.loads(message["Body"])
        if event.get("Event") == "s3:TestEvent":  # S3 sends one when notifications are set up
            self._sqs.delete_message(
                QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            return
        complete_eventbridge_envelope(event)
        try:
            self._invoke(route.function_name, event)
        except Exception as error:
            logger.warning(
                "invocation failed; the event will be retried",
                function=route.function_name,
                error=str(error),
            )
            # Make it visible again soon rather than after the full visibility timeout.
            self._sqs.change_message_visibility(
                QueueUrl=route.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=RETRY_DELAY_SECONDS,
            )
            return
        self._sqs.delete_message(QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"])
