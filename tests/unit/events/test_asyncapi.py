"""docs/asyncapi.yaml: generated from the event models, agreeing with events/schemas and the
captured samples, and valid for the AsyncAPI Initiative's own parser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from boulderstat.events import asyncapi
from boulderstat.events.catalog import all_event_models
from boulderstat.events.schemas import SCHEMA_DIR, schema_file_name

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / "scripts" / "validate-asyncapi.mjs"
COMMITTED = yaml.safe_load(asyncapi.ASYNCAPI_FILE.read_text())


def test_committed_document_matches_the_models() -> None:
    assert asyncapi.main(["--check"]) == 0, "run: .venv/bin/python -m boulderstat.events.asyncapi"


def test_drift_is_detected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(asyncapi.rendered().replace("idempotency_key", "dedupe_key", 1))
    monkeypatch.setattr(asyncapi, "ASYNCAPI_FILE", stale)
    assert asyncapi.main(["--check"]) == 1


def _payload_validator(message: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/messages/{message}/payload", **COMMITTED}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("model", all_event_models(), ids=lambda m: m.DETAIL_TYPE)
def test_every_event_is_a_message_whose_detail_is_its_json_schema(model: Any) -> None:
    message = COMMITTED["components"]["messages"][model.__name__]
    assert message["name"] == model.DETAIL_TYPE
    properties = message["payload"]["properties"]
    assert properties["source"]["const"] == model.SOURCE
    assert properties["detail-type"]["const"] == model.DETAIL_TYPE
    detail = COMMITTED["components"]["schemas"][model.__name__]
    published = json.loads((SCHEMA_DIR / schema_file_name(model)).read_text())
    assert set(detail["properties"]) == set(published["properties"])
    assert detail["required"] == published["required"]
    assert detail["x-idempotency-key-fields"] == published["x-idempotency-key-fields"]
    # The captured sample is the message's example, and the message's schema accepts it.
    (example,) = message["examples"]
    sample = json.loads((SCHEMA_DIR.parent / "samples" / schema_file_name(model)).read_text())
    assert example["payload"] == sample
    _payload_validator(model.__name__).validate(sample)
    wrong = {**sample, "detail": {**sample["detail"], "user_id": 42}}
    assert not _payload_validator(model.__name__).is_valid(wrong)


def _parse(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is installed by `make setup`"
    return subprocess.run(
        [node, str(VALIDATOR), *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_asyncapi_parser_accepts_the_document_and_rejects_a_broken_one(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    document = yaml.safe_load(asyncapi.rendered())
    document["operations"]["receiveClimbCreated"]["action"] = "listen"
    broken.write_text(yaml.safe_dump(document))
    result = _parse(asyncapi.ASYNCAPI_FILE, broken)  # one node start for both: it is slow
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = [
        line
        for line in result.stdout.splitlines()
        if ": valid AsyncAPI" in line or ": INVALID" in line
    ]
    messages = len(all_event_models())
    assert verdicts[0] == f"{asyncapi.ASYNCAPI_FILE}: valid AsyncAPI 3.1.0, {messages} messages"
    assert verdicts[1].startswith(f"{broken}: INVALID")
    assert f"{broken}: error" in result.stdout and "action" in result.stdout
