"""events/schemas and events/samples stay true to the pydantic models that define events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from jsonschema import Draft202012Validator, ValidationError
from pydantic import BaseModel

from boulderstat.events.catalog import EventDetail, all_event_models
from boulderstat.events.schemas import SCHEMA_DIR, drifted, schema_file_name, write_schemas
from boulderstat.media.keys import decode_notification_key, parse_original_key, rendition_prefix

SAMPLES = SCHEMA_DIR.parent / "samples"
ENVELOPE_KEYS = {
    "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
}  # fmt: skip
MODELS = all_event_models()
# Field names and values that would mean a secret or a bearer URL leaked into an event.
SECRET_NAME = re.compile(r"url|uri|token|secret|password|signature|credential|policy", re.I)
SECRET_VALUE = re.compile(r"https?://|X-Amz-|AWSAccessKeyId|\beyJ[A-Za-z0-9_-]{10,}")


def _sample(model: type[EventDetail]) -> dict[str, Any]:
    return json.loads((SAMPLES / schema_file_name(model)).read_text())


def _validator(model: type[EventDetail]) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / schema_file_name(model)).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_committed_schemas_match_the_models() -> None:
    assert drifted() == [], "run: .venv/bin/python -m boulderstat.events.schemas"


def test_regenerating_reproduces_the_committed_files(tmp_path: Path) -> None:
    for path in write_schemas(tmp_path):
        assert path.read_text() == (SCHEMA_DIR / path.name).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in SCHEMA_DIR.glob("*.json")
    )


def test_drift_is_detected(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    changed = tmp_path / schema_file_name(MODELS[0])
    changed.write_text(changed.read_text().replace('"string"', '"integer"', 1))
    (tmp_path / "retired-event.json").write_text("{}")
    (tmp_path / schema_file_name(MODELS[1])).unlink()
    assert drifted(tmp_path) == sorted(
        [changed.name, "retired-event.json", schema_file_name(MODELS[1])]
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.DETAIL_TYPE)
def test_each_sample_is_a_full_envelope_valid_against_its_schema(
    model: type[EventDetail],
) -> None:
    sample = _sample(model)
    assert set(sample) == ENVELOPE_KEYS
    assert (sample["source"], sample["detail-type"]) == (model.SOURCE, model.DETAIL_TYPE)
    schema = json.loads((SCHEMA_DIR / schema_file_name(model)).read_text())
    assert schema["x-eventbridge-source"] == model.SOURCE
    assert schema["x-eventbridge-detail-type"] == model.DETAIL_TYPE
    _validator(model).validate(sample["detail"])
    model.model_validate(sample["detail"])  # and the model reads it back


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.DETAIL_TYPE)
def test_a_broken_sample_fails_validation(model: type[EventDetail]) -> None:
    detail = dict(_sample(model)["detail"])
    detail.pop("user_id")
    with pytest.raises(ValidationError):
        _validator(model).validate(detail)
    with pytest.raises(ValidationError):
        _validator(model).validate({**_sample(model)["detail"], "presigned_url": "x"})


def _field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for arg in getattr(info.annotation, "__args__", ()) or (info.annotation,):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _field_names(arg)
    return names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.DETAIL_TYPE)
def test_no_event_model_carries_urls_or_tokens(model: type[EventDetail]) -> None:
    assert not [name for name in _field_names(model) if SECRET_NAME.search(name)]


def _scan(value: Any, path: str = "detail") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_NAME.search(key):
                found.append(f"{path}.{key}")
            found += _scan(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _scan(item, f"{path}[{index}]")
    elif isinstance(value, str) and SECRET_VALUE.search(value):
        found.append(path)
    return found


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.DETAIL_TYPE)
def test_no_sample_carries_urls_or_tokens(model: type[EventDetail]) -> None:
    assert _scan(_sample(model)["detail"]) == []


def test_the_scan_would_notice_a_leak() -> None:
    leaked = {"media_id": "m", "renditions": [{"download": "https://bucket/k?X-Amz-Signature=1"}]}
    assert _scan(leaked) == ["detail.renditions[0].download"]
    assert _scan({"id_token": "x"}) == ["detail.id_token"]


def test_the_s3_sample_is_what_on_object_created_reads() -> None:
    event = S3Event(json.loads((SAMPLES / "s3-object-created.json").read_text()))
    (record,) = list(event.records)
    assert record.event_name == "ObjectCreated:Post"
    s3_object = record.s3.get_object
    assert s3_object.size > 0 and s3_object.etag
    key = decode_notification_key(s3_object.key)
    assert s3_object.key != key  # delivered URL-encoded
    assert parse_original_key(key) is not None


# The layout in boulderstat/media/keys.py, written out independently of the code that builds it.
RENDITION_KEY = re.compile(
    r"derived/(?P<user>[A-Za-z0-9-]+)/(?P<media>[0-9a-f]{32})/(?P<etag>[0-9a-f]{32})/"
    r"(?P<width>\d+)\.(?P<ext>webp|jpg)"
)


def test_the_captured_renditions_follow_the_codes_key_layout() -> None:
    detail = json.loads((SAMPLES / "media-processed.json").read_text())["detail"]
    original = parse_original_key(detail["key"])
    assert original is not None
    assert (original.user_id, original.media_id) == (detail["user_id"], detail["media_id"])
    prefix = rendition_prefix(detail["user_id"], detail["media_id"], detail["etag"])
    webp_widths = []
    for rendition in detail["renditions"]:
        match = RENDITION_KEY.fullmatch(rendition["key"])
        assert match, rendition["key"]
        assert (match["user"], match["media"], match["etag"]) == (
            detail["user_id"], detail["media_id"], detail["etag"],
        )  # fmt: skip
        assert rendition["key"].startswith(prefix)
        assert rendition["width"] == int(match["width"])  # a landscape photo: width is the side
        if match["ext"] == "webp":
            assert (rendition["name"], rendition["format"]) == (f"w{match['width']}", "webp")
            webp_widths.append(rendition["width"])
        else:
            assert (rendition["name"], rendition["format"]) == (f"w{match['width']}-jpeg", "jpeg")
    # One WebP per width the stage renders, plus the JPEG fallback.
    assert sorted(webp_widths) == [320, 960, 1920]  # the stage default (settings.py)
    assert len(detail["renditions"]) == len(webp_widths) + 1


def test_uploaded_and_processed_samples_are_one_object_version() -> None:
    uploaded, processed = (
        json.loads((SAMPLES / f"media-{kind}.json").read_text())["detail"]
        for kind in ("uploaded", "processed")
    )
    for field in ("user_id", "media_id", "key", "etag", "climb_id"):
        assert uploaded[field] == processed[field]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.DETAIL_TYPE)
def test_each_samples_idempotency_key_is_built_from_its_documented_fields(
    model: type[EventDetail],
) -> None:
    detail = _sample(model)["detail"]
    schema = json.loads((SCHEMA_DIR / schema_file_name(model)).read_text())
    parts = [str(detail[name]) for name in schema["x-idempotency-key-fields"]]
    assert detail["idempotency_key"] == ":".join([schema_file_name(model)[:-5], *parts])


def test_the_climb_samples_are_one_climbs_history_in_revision_order() -> None:
    history = [
        json.loads((SAMPLES / f"climb-{kind}.json").read_text())["detail"]
        for kind in ("created", "updated", "deleted")
    ]
    assert len({d["climb_id"] for d in history}) == 1
    assert [d["revision"] for d in history] == [1, 2, 3]
