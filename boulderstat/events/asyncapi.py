"""Writes docs/asyncapi.yaml (AsyncAPI 3.1) from the same event models as events/schemas.

    python -m boulderstat.events.asyncapi           # regenerate
    python -m boulderstat.events.asyncapi --check   # exit 1 if the file drifted from the models

One channel: the stage's EventBridge bus. Each message is the envelope a rule target receives,
its `detail` is the model's JSON Schema (the generator of events/schemas builds both), and its
example is the captured sample from events/samples. The delivery contract is docs/events.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml

from boulderstat.events.catalog import EventDetail, all_event_models
from boulderstat.events.schemas import SCHEMA_DIR, detail_schema, schema_file_name

ROOT = SCHEMA_DIR.parents[1]
ASYNCAPI_FILE = ROOT / "docs" / "asyncapi.yaml"
SAMPLE_DIR = SCHEMA_DIR.parent / "samples"
STAGES = ("dev", "staging", "prod")
REF = "#/components/schemas/{model}"


def _envelope(model: type[EventDetail]) -> dict[str, Any]:
    """The EventBridge event around a detail, as a rule target (Lambda, SQS) receives it."""
    return {
        "type": "object",
        "required": [
            "version", "id", "detail-type", "source", "account", "time", "region", "resources",
            "detail",
        ],
        "properties": {
            "version": {"type": "string", "const": "0"},
            "id": {
                "type": "string",
                "description": "EventBridge's id: new on every publish, so NOT a dedupe key.",
            },
            "detail-type": {"type": "string", "const": model.DETAIL_TYPE},
            "source": {"type": "string", "const": model.SOURCE},
            "account": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "detail": {"$ref": REF.format(model=model.__name__)},
        },
    }  # fmt: skip


def _message(model: type[EventDetail]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": model.DETAIL_TYPE,
        "title": model.DETAIL_TYPE,
        "summary": (model.__doc__ or model.DETAIL_TYPE).strip().splitlines()[0],
        "contentType": "application/json",
        "payload": _envelope(model),
        "x-eventbridge-source": model.SOURCE,
        "x-eventbridge-detail-type": model.DETAIL_TYPE,
        "x-idempotency-key-fields": list(model.KEY_FIELDS),
    }
    sample = SAMPLE_DIR / schema_file_name(model)
    if sample.exists():
        message["examples"] = [
            {"name": "captured", "summary": "Captured from a local pipeline run",
             "payload": json.loads(sample.read_text())},
        ]  # fmt: skip
    return message


def document() -> dict[str, Any]:
    models = all_event_models()
    schemas: dict[str, Any] = {}
    for model in models:
        schema = detail_schema(model, ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    messages = {m.__name__: _message(m) for m in models}
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "BoulderStat events",
            "version": "1",
            "description": (
                "What BoulderStat publishes on each stage's EventBridge bus. Delivery is at least "
                "once and unordered: dedupe on `detail.idempotency_key`, order a climb's events "
                "by `detail.revision`. The contract and an example consumer: docs/events.md. "
                "JSON Schemas of each detail: events/schemas (generated from the same models)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            stage: {
                "host": "events.{region}.amazonaws.com",
                "protocol": "https",
                "title": f"The {stage} stage's bus",
                "description": (
                    f"EventBridge bus `boulderstat-{stage}`; subscribe with a rule on it "
                    "(another account: the stage's eventBusConsumerAccounts parameter)."
                ),
                "variables": {"region": {"default": "eu-west-1"}},
            }
            for stage in STAGES
        },
        "channels": {
            "stageBus": {
                "address": "boulderstat-{stage}",
                "title": "The stage's event bus",
                "parameters": {"stage": {"enum": list(STAGES), "default": "dev"}},
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            }
        },
        "operations": {
            f"receive{name}": {
                "action": "receive",
                "title": f"Receive {message['name']}",
                "summary": (
                    f"A rule on source `{message['x-eventbridge-source']}`, detail-type "
                    f"`{message['name']}`."
                ),
                "channel": {"$ref": "#/channels/stageBus"},
                "messages": [{"$ref": f"#/channels/stageBus/messages/{name}"}],
            }
            for name, message in messages.items()
        },
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered() -> str:
    header = "# Generated by `python -m boulderstat.events.asyncapi`: do not edit by hand.\n"
    return header + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    args = parser.parse_args(argv)
    expected = rendered()
    if args.check:
        current = ASYNCAPI_FILE.read_text() if ASYNCAPI_FILE.exists() else ""
        if current != expected:
            print("docs/asyncapi.yaml is out of date; run python -m boulderstat.events.asyncapi")
            return 1
        return 0
    ASYNCAPI_FILE.write_text(expected)
    print(f"wrote {ASYNCAPI_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
