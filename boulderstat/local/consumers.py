"""Downstream consumers (consumers/<name>/) subscribed through the local stack's bus.

How a consumer is registered: put it in `consumers/<name>/` with its own `serverless.yml` whose
functions have `eventBridge` events (pattern + handler). Nothing else: the local stack reads every
such file, and for each function creates what AWS would, on the local bus: a rule with the same
pattern, targeting a queue (with a dead-letter queue) that the event router drains into the
handler, run in its own execution environments like our functions, with the same retries and
the timeout/memory its serverless.yml declares. Local and AWS subscriptions cannot drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from boulderstat.local import provision
from boulderstat.local.functions import FunctionConfig

CONSUMERS_DIR = Path(__file__).resolve().parents[2] / "consumers"


@dataclass(frozen=True)
class LocalConsumer:
    function: FunctionConfig  # name <consumer>-<function>, e.g. media_stats-media_processed
    pattern: dict[str, Any]

    @property
    def name(self) -> str:
        return self.function.name


def discover(directory: Path = CONSUMERS_DIR) -> list[LocalConsumer]:
    found = []
    for config in sorted(directory.glob("*/serverless.yml")):
        # Plain YAML is enough: consumers write no CloudFormation short tags.
        service = yaml.safe_load(config.read_text())
        provider = service.get("provider") or {}
        for function_name, function in (service.get("functions") or {}).items():
            timeout = function.get("timeout", provider.get("timeout", 6))
            memory = function.get("memorySize", provider.get("memorySize", 1024))
            for event in function.get("events") or []:
                if "eventBridge" in event:
                    found.append(
                        LocalConsumer(
                            FunctionConfig(
                                name=f"{config.parent.name}-{function_name}",
                                timeout_seconds=float(timeout),
                                memory_mb=int(memory),
                                # serverless.yml's path form, from the repository root
                                handler=f"consumers/{config.parent.name}/{function['handler']}",
                            ),
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
