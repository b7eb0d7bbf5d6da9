"""The EventBridge event around one of our details, as the functions it triggers receive it.

Powertools' `parse(event, model, envelope=EventBridgeEnvelope)` does the same, but importing
its envelopes loads every envelope and every AWS event model Powertools has (~40 ms of CPU on
each cold start of a function that needs one of them; bench/coldstart.py). This is that
envelope's model and its two steps: check the event, then validate its detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import Field

from boulderstat.events.catalog import EventDetail
from boulderstat.models import Model

D = TypeVar("D", bound=EventDetail)


class EventBridgeEvent(Model):
    """An EventBridge event: the fields of Powertools' `EventBridgeModel`."""

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]
    replay_name: str | None = Field(None, alias="replay-name")


def event_detail(event: Mapping[str, Any], model: type[D]) -> D:
    """The event's detail as `model`; pydantic's ValidationError if the event or detail is not
    what it must be (the function fails, and Lambda's retries and on-failure destination act)."""
    return model.model_validate(EventBridgeEvent.model_validate(event).detail)
