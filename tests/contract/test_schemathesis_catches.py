"""The schemathesis run can fail: a route that answers a status the document does not list is
reported (here a deliberately broken copy of docs/openapi.json without GET /climbs/{id}'s 404)."""

from __future__ import annotations

import copy
import json

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from boulderstat.local.stack import LocalStack
from tests.contract.contract import DOCUMENT, schemathesis_config

UNKNOWN_CLIMB = {"climbId": "0" * 32}


def _case(document: dict, path: str, method: str, **parts: object) -> schemathesis.Case:
    schema = schemathesis.openapi.from_dict(document, config=schemathesis_config())
    return schema[path][method].Case(**parts)


def test_an_undocumented_status_fails_the_check(
    stack: LocalStack, contract_headers: dict[str, str]
) -> None:
    document = json.loads(DOCUMENT.read_text())
    broken = copy.deepcopy(document)
    del broken["paths"]["/climbs/{climbId}"]["get"]["responses"]["404"]

    case = _case(broken, "/climbs/{climbId}", "GET", path_parameters=UNKNOWN_CLIMB)
    with pytest.raises(FailureGroup) as raised:
        case.call_and_validate(base_url=stack.api_url, headers=contract_headers)
    assert "Undocumented status code" in str(raised.value.exceptions)
    assert "404" in str(raised.value.exceptions)

    # The same request against the real document passes: the failure was the missing 404.
    case = _case(document, "/climbs/{climbId}", "GET", path_parameters=UNKNOWN_CLIMB)
    assert (
        case.call_and_validate(base_url=stack.api_url, headers=contract_headers).status_code == 404
    )


def test_a_body_that_breaks_its_documented_schema_fails_the_check(
    stack: LocalStack, contract_headers: dict[str, str]
) -> None:
    """A document promising a field the API never sends (`ApiError.hint`, required)."""
    broken = json.loads(DOCUMENT.read_text())
    api_error = broken["components"]["schemas"]["ApiError"]
    api_error["properties"]["hint"] = {"type": "string"}
    api_error["required"].append("hint")

    case = _case(broken, "/climbs/{climbId}", "GET", path_parameters=UNKNOWN_CLIMB)
    with pytest.raises(FailureGroup) as raised:
        case.call_and_validate(base_url=stack.api_url, headers=contract_headers)
    assert '"hint" is a required property' in str(raised.value.exceptions)
