"""Delivers queued S3 and EventBridge events to handlers, with Lambda's retry semantics.

S3 notifications and EventBridge rules target SQS queues on the local stack; the router polls
them and hands each message body (the unchanged S3 / EventBridge event) to the same handler
Lambda would run. A handler that raises leaves the message for a retry; after the queue's
maxReceiveCount it lands in the dead-letter queue, like Lambda's on-failure destination.
"""

from __future__ import annotations

import json
import threading
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


class EventRouter:
    def __init__(
        self, sqs: Any, routes: list[Route], invoke: Callable[[str, dict[str, Any]], Any]
    ) -> None:
        self._sqs = sqs
        self._routes = routes
        self._invoke = invoke
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for route in self._routes:
            thread = threading.Thread(
                target=self._poll, args=(route,), name=f"router-{route.function_name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _poll(self, route: Route) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=route.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                ).get("Messages", [])
            except Exception:  # the stack is shutting down or moto hiccuped: try again
                if self._stop.wait(0.5):
                    return
                continue
            for message in messages:
                self._deliver(route, message)

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
        except Exception:
            logger.exception(
                "handler failed; the event will be retried", function=route.function_name
            )
            # Make it visible again soon rather than after the full visibility timeout.
            self._sqs.change_message_visibility(
                QueueUrl=route.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=2,
            )
            return
        self._sqs.delete_message(QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"])
