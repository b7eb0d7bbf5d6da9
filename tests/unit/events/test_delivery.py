"""Reading our event details out of EventBridge events (boulderstat/events/delivery.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from boulderstat.events.catalog import MediaProcessed, MediaUploaded
from boulderstat.events.delivery import event_detail

ROOT = Path(__file__).resolve().parents[3]


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / "samples" / f"{name}.json").read_text())
    return event


def test_the_detail_of_a_captured_event_as_its_model() -> None:
    event = _sample("media-uploaded")

    uploaded = event_detail(event, MediaUploaded)

    assert isinstance(uploaded, MediaUploaded)
    assert uploaded.media_id == event["detail"]["media_id"]
    assert uploaded.key == event["detail"]["key"]
    assert uploaded.user_id == event["detail"]["user_id"]


@pytest.mark.parametrize("missing", ["detail-type", "source", "id", "time", "detail"])
def test_an_event_without_an_eventbridge_field_is_refused(missing: str) -> None:
    event = _sample("media-uploaded")
    del event[missing]

    with pytest.raises(ValidationError):
        event_detail(event, MediaUploaded)


def test_a_detail_that_is_not_the_model_is_refused() -> None:
    event = _sample("media-uploaded")
    wrong = copy.deepcopy(event)
    wrong["detail"]["unexpected"] = 1  # details forbid unknown fields

    with pytest.raises(ValidationError):
        event_detail(wrong, MediaUploaded)
    with pytest.raises(ValidationError):  # another event's detail
        event_detail(event, MediaProcessed)
