"""Writes events/schemas/<detail-type-kebab>.json from the event detail models.

    python -m boulderstat.events.schemas           # regenerate
    python -m boulderstat.events.schemas --check   # exit 1 if the files drifted from the models

Each schema describes the `detail` of one event (what `model_dump_json` publishes) and names the
EventBridge `source` and `detail-type` it travels under.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from boulderstat.events.catalog import EventDetail, all_event_models, kebab

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "events" / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(model: type[EventDetail]) -> str:
    return f"{kebab(model.DETAIL_TYPE)}.json"


def detail_schema(
    model: type[EventDetail], *, ref_template: str = "#/$defs/{model}"
) -> dict[str, Any]:
    """The JSON Schema of what `model_dump_json` publishes: the one source for events/schemas
    and docs/asyncapi.yaml."""
    schema = model.model_json_schema(mode="serialization", ref_template=ref_template)
    return {"x-idempotency-key-fields": list(model.KEY_FIELDS), **schema}


def event_schema(model: type[EventDetail]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": f"urn:boulderstat:events:{kebab(model.DETAIL_TYPE)}",
        "x-eventbridge-source": model.SOURCE,
        "x-eventbridge-detail-type": model.DETAIL_TYPE,
        **detail_schema(model),
    }


def rendered(model: type[EventDetail]) -> str:
    return json.dumps(event_schema(model), indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for model in all_event_models():
        path = directory / schema_file_name(model)
        path.write_text(rendered(model))
        written.append(path)
    return written


def stale_files(expected: dict[str, str], directory: Path, pattern: str) -> list[str]:
    """Generated files that are missing, differ from `expected`, or no longer have a source."""
    problems = [
        name
        for name, text in expected.items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]
    problems += [p.name for p in directory.glob(pattern) if p.name not in expected]
    return sorted(problems)


def drifted(directory: Path = SCHEMA_DIR) -> list[str]:
    """Schema files that are missing, stale, or no longer backed by a model."""
    expected = {schema_file_name(m): rendered(m) for m in all_event_models()}
    return stale_files(expected, directory, "*.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    args = parser.parse_args(argv)
    if args.check:
        problems = drifted()
        for name in problems:
            print(f"events/schemas/{name} is out of date; run python -m boulderstat.events.schemas")
        return 1 if problems else 0
    for path in write_schemas():
        print(f"wrote {path.relative_to(SCHEMA_DIR.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
