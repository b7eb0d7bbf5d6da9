"""Schemathesis, a tool we did not write, checks that the running API answers what
docs/openapi.json says: every operation, positive and negative data, all checks but the one
tests/contract/schemathesis.toml explains, a real token for a test climber, bounded examples.

A few rules JSON Schema cannot state are taught to the generator here, never loosened in a
check (docs/api.md): a cursor must come from `next_cursor` (so the only cursor a client can
make up is the empty one, the first page), climb dates run from 1900-01-01 to today, and
`from` <= `to`, `min_grade` <= `max_grade`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import schemathesis
from hypothesis import settings
from hypothesis import strategies as st

from boulderstat.climbs.grades import GradeError, parse_grade
from boulderstat.local.stack import LocalStack
from tests.contract.contract import DOCUMENT, schemathesis_config

schema = schemathesis.openapi.from_path(DOCUMENT, config=schemathesis_config())
schemathesis.openapi.format("cursor", st.just(""))
schemathesis.openapi.format(
    "date", st.dates(date(1900, 1, 1), datetime.now(UTC).date()).map(date.isoformat)
)


def _ordered(low: Any, high: Any) -> bool:
    try:
        return not (low is not None and high is not None and low > high)
    except TypeError:  # a negative case mixing types: nothing to order
        return True


def _grade(value: Any) -> int | None:
    try:
        return parse_grade(value)
    except GradeError:
        return None


@schema.hook
def filter_case(ctx: Any, case: schemathesis.Case) -> bool:
    query = case.query or {}
    grades = _grade(query.get("min_grade")), _grade(query.get("max_grade"))
    return _ordered(query.get("from"), query.get("to")) and _ordered(*grades)


@schema.parametrize()
@settings(deadline=None, derandomize=True)  # the same cases on every run: no flaky make test
def test_the_api_answers_what_the_document_says(
    case: schemathesis.Case, stack: LocalStack, contract_headers: dict[str, str]
) -> None:
    case.call_and_validate(base_url=stack.api_url, headers=contract_headers)
