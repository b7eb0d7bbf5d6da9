"""Downstream consumers (consumers/<name>/) subscribed through the local stack's bus.

How a consumer is registered: put it in `consumers/<name>/` with its own `serverless.yml` whose
functions have `eventBridge` events (pattern + handler). Nothing else: the local stack reads every
such file, and for each function creates what AWS would, on the local bus: a rule with the same
pattern, targeting a queue (with a dead-letter queue) that the event router drains into the
handler, with the same retries as our own functions. Local and AWS subscriptions cannot drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from boulderstat.local import provision

CONSUMERS_DIR = Path(__file__).resolve().parents[2] / "consumers"


@dataclass(frozen=True)
class LocalConsumer:
    name: str  # <consumer>-<function>, e.g. media_stats-media_processed
    handler: str  # dotted module path and attribute, e.g. consumers.media_stats.handler.handler
    pattern: dict[str, Any]


def discover(directory: Path = CONSUMERS_DIR) -> list[LocalConsumer]:
    found = []
    for config in sorted(directory.glob("*/serverless.yml")):
        service = yaml.safe_load(config.read_text())
        for function_name, function in (service.get("functions") or {}).items():
            module, _, attribute = function["handler"].rpartition(".")
            for event in function.get("events") or []:
                if "eventBridge" in event:
                    found.append(
                        LocalConsumer(
                            name=f"{config.parent.name}-{function_name}",
                            handler=f"consumers.{config.parent.name}.{module}.{attribute}",
                            pattern=event["eventBridge"]["pattern"],
                        )
                    )
    return found


def subscribe(sqs: Any, events: Any, bus: str, consumer: LocalConsumer) -> str:
    """The consumer's rule on the bus and its queue; returns the queue the router drains."""
    dlq = provision._queue(sqs, f"{bus}-{consumer.name}-dlq")
    queue = provision._queue(sqs, f"{bus}-{consumer.name}", dlq_arn=provision.queue_arn(sqs, dlq))
    rule = f"{bus}-{consumer.name}"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(consumer.pattern))
    events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[{"Id": consumer.name, "Arn": provision.queue_arn(sqs, queue)}],
    )
    return queue
