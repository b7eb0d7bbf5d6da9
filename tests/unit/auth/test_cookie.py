"""The refresh cookie's attributes, its clearing twin, and reading it back from a request."""

from __future__ import annotations

import pytest

from boulderstat.auth.cookie import (
    REFRESH_COOKIE_NAME,
    cleared_refresh_cookie,
    parse_set_cookie,
    refresh_cookie,
    refresh_token_from,
)

THIRTY_DAYS = 30 * 24 * 3600


def test_refresh_cookie_carries_every_protective_attribute() -> None:
    header = str(refresh_cookie("eyJhbGciOiJSU0EtT0FFUCJ9.a-b_c.d~e", THIRTY_DAYS))
    cookie = parse_set_cookie(header)
    assert cookie.name == REFRESH_COOKIE_NAME
    assert cookie.value == "eyJhbGciOiJSU0EtT0FFUCJ9.a-b_c.d~e"
    assert cookie.http_only
    assert cookie.secure
    assert cookie.same_site == "Strict"
    assert cookie.path == "/auth"
    assert cookie.max_age == THIRTY_DAYS
    assert not cookie.clears
    assert "domain" not in cookie.attributes  # host-only: never shared with sibling hosts


def test_cleared_cookie_has_the_same_name_path_and_attributes_with_max_age_zero() -> None:
    set_ = parse_set_cookie(str(refresh_cookie("token", THIRTY_DAYS)))
    cleared = parse_set_cookie(str(cleared_refresh_cookie()))
    assert cleared.name == set_.name
    assert cleared.value == ""
    assert cleared.max_age == 0
    assert cleared.clears
    assert {k: v for k, v in cleared.attributes.items() if k != "max-age"} == {
        k: v for k, v in set_.attributes.items() if k != "max-age"
    }


@pytest.mark.parametrize("value", ["", "a; Domain=evil.example", "a b", "a,b", 'a"b', "tök"])
def test_values_that_could_break_out_of_the_cookie_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        refresh_cookie(value, THIRTY_DAYS)


def test_a_refresh_cookie_must_live_for_a_positive_time() -> None:
    with pytest.raises(ValueError):
        refresh_cookie("token", 0)


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ([f"{REFRESH_COOKIE_NAME}=abc"], "abc"),
        (["theme=dark", f"{REFRESH_COOKIE_NAME}=abc", "x=y"], "abc"),
        ([f"theme=dark; {REFRESH_COOKIE_NAME}=abc"], "abc"),  # one Cookie header, several pairs
        ([f'{REFRESH_COOKIE_NAME}="abc"'], "abc"),
        ([f"{REFRESH_COOKIE_NAME}=a=b="], "a=b="),  # base64 padding survives
        ([f"{REFRESH_COOKIE_NAME}="], None),
        ([f"{REFRESH_COOKIE_NAME}_old=abc", "other=1"], None),
        ([], None),
    ],
)
def test_reading_the_refresh_token_from_request_cookies(
    cookies: list[str], expected: str | None
) -> None:
    assert refresh_token_from(cookies) == expected


def test_only_a_bounded_number_of_cookies_is_read() -> None:
    cookies = [f"c{i}=1" for i in range(1000)] + [f"{REFRESH_COOKIE_NAME}=late"]
    assert refresh_token_from(cookies) is None
