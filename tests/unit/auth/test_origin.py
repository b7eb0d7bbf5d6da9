"""The origin policy of the /auth routes: exact match against the allowed list, fail closed."""

from __future__ import annotations

import pytest

from boulderstat.auth.errors import CrossSiteRequest
from boulderstat.auth.origin import check_origin

ALLOWED = ("https://boulderstat.com", "http://localhost:5173")


@pytest.mark.parametrize("origin", ALLOWED)
def test_the_web_apps_origins_pass(origin: str) -> None:
    check_origin(origin, ALLOWED)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://boulderstat.com.evil.example",  # prefix match would let this in
        "https://evil.boulderstat.com",  # a sibling host is not our web app
        "http://boulderstat.com",  # scheme matters
        "https://boulderstat.com:8443",  # port matters
        "http://localhost:5174",
        "null",  # sandboxed frames and cross-origin redirects send this
        "x" * 5000,
    ],
)
def test_other_origins_are_refused_with_403(origin: str) -> None:
    with pytest.raises(CrossSiteRequest) as refused:
        check_origin(origin, ALLOWED)
    assert refused.value.status == 403
    assert refused.value.code == "forbidden_origin"


@pytest.mark.parametrize("origin", [None, "", "   "])
def test_a_missing_origin_is_refused_and_says_what_to_send(origin: str | None) -> None:
    with pytest.raises(CrossSiteRequest, match="Origin header is required"):
        check_origin(origin, ALLOWED)


def test_a_wildcard_in_the_settings_never_allows_everyone() -> None:
    with pytest.raises(CrossSiteRequest):
        check_origin("https://evil.example", ("*",))


def test_a_trailing_slash_in_the_settings_is_tolerated() -> None:
    check_origin("https://boulderstat.com", ("https://boulderstat.com/",))
