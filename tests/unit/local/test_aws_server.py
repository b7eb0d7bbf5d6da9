"""The local moto server's caches of moto's per-request work answer exactly as moto did.

Tied to moto's internals on purpose: if an upgrade moves `method_names_from_class` or the
event template's JSONPath parse, these fail and say which cache no longer applies.
"""

from __future__ import annotations

import inspect

import jsonpath_ng.ext
from moto.core import responses
from moto.events.utils import EventTemplateParser
from moto.s3.responses import S3Response
from moto.sqs.responses import SQSResponse

from boulderstat.local.aws_server import spare_moto_repeated_work


def test_action_lookup_is_cached_and_lists_the_same_methods() -> None:
    spare_moto_repeated_work()
    expected = [name for name, _ in inspect.getmembers(SQSResponse, inspect.isfunction)]

    assert responses.method_names_from_class(SQSResponse) == expected
    assert "receive_message" in responses.method_names_from_class(SQSResponse)
    assert responses.method_names_from_class(S3Response) != expected
    hits = responses.method_names_from_class.cache_info().hits  # type: ignore[attr-defined]
    responses.method_names_from_class(SQSResponse)
    assert responses.method_names_from_class.cache_info().hits == hits + 1  # type: ignore[attr-defined]


def test_event_templates_use_the_cached_parser_and_keep_their_output() -> None:
    spare_moto_repeated_work()
    event = {
        "version": "0",
        "id": "e-1",
        "detail-type": "Media Processed",
        "source": "boulderstat.media",
        "account": "123456789012",
        "time": 1765144800.5,  # moto holds the put time as epoch seconds here
        "region": "eu-west-1",
        "resources": [],
        "detail": {"media_id": "m1", "user_id": "u1"},
        "ingestion-time": 0,
    }
    before = jsonpath_ng.ext.parse.cache_info()  # type: ignore[attr-defined]

    twice = [EventTemplateParser.parse("", {}, event) for _ in range(2)]

    after = jsonpath_ng.ext.parse.cache_info()  # type: ignore[attr-defined]
    assert after.hits >= before.hits + 8  # the second event parsed no path again
    assert (
        twice[0]
        == twice[1]
        == {
            "id": "e-1",
            "time": 1765144800.5,
            "version": "0",
            "detail-type": "Media Processed",
            "source": "boulderstat.media",
            "region": "eu-west-1",
            "resources": [],
            "detail": {"media_id": "m1", "user_id": "u1"},
        }
    )
