from __future__ import annotations

from datetime import UTC, date, datetime

import schemathesis
from hypothesis import settings
from hypothesis import strategies as st

from boulderstat.climbs.grades import GradeError, parse_grade
from tests.contract.contract import DOCUMENT, schemathesis_config

schema = schemathesis.openapi.from_path(DOCUMENT, config=schemathesis_config())
schemathesis.openapi.format("cursor", st.just(""))
schemathesis.openapi.format(
    "date",
    st.dates(date(1900, 1, 1), datetime.now(UTC).date()).map(date.isoformat),
)


def _ordered(low, high) -> bool:
    try:
        return not (low is not None and high is not None and low > high)
    except TypeError:
        return True


def _grade(value):
    try:
        return parse_grade(value)
    except GradeError:
        return None


@schema.hook
def filter_case(ctx, case):
    query = case.query or {}
    grades = _grade(query.get("min_grade")), _grade(query.get("max_grade"))
    return _ordered(query.get("from"), query.get("to")) and _ordered(*grades)


@schema.parametrize()
@settings(deadline=None)
def test_api(case, stack, contract_headers):
    case.call_and_validate(base_url=stack.api_url, headers=contract_headers)
