"""The refresh-token cookie: how we set it, clear it, read it back and (for clients) parse it.

`HttpOnly` keeps it away from scripts (an XSS cannot steal a 30-day credential), `Secure` keeps
it off plain HTTP, `SameSite=Strict` keeps other sites from making the browser send it, and
`Path=/auth` means it only travels to the three routes that need it, never to the data API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

REFRESH_COOKIE_NAME = "boulderstat_refresh"
REFRESH_COOKIE_PATH = "/auth"

# Cognito refresh tokens are JWE compact serialisations (base64url and dots); the local stack's
# are UUIDs. Anything else cannot be one of ours, so it is never sent on to Cognito.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9._~+/=-]{1,8192}$")
_MAX_COOKIES = 64  # a Cookie header is small; never walk an unbounded list


def is_token_shaped(value: str) -> bool:
    return bool(_TOKEN_SHAPE.match(value))


def refresh_cookie(refresh_token: str, max_age_seconds: int) -> Cookie:
    """The Set-Cookie that carries a refresh token."""
    if not is_token_shaped(refresh_token):
        # Never reflect a value that could smuggle cookie attributes (or the token) anywhere.
        raise ValueError("refresh token has characters a cookie value cannot carry")
    if max_age_seconds <= 0:
        raise ValueError("a refresh cookie needs a positive Max-Age")
    return _cookie(refresh_token, max_age_seconds)


def cleared_refresh_cookie() -> Cookie:
    """Same name, path and attributes with Max-Age=0: the browser deletes its copy."""
    return _cookie("", 0)


def _cookie(value: str, max_age: int) -> Cookie:
    return Cookie(
        name=REFRESH_COOKIE_NAME,
        value=value,
        path=REFRESH_COOKIE_PATH,
        secure=True,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.STRICT_MODE,
    )


def refresh_token_from(cookies: Iterable[str]) -> str | None:
    """The refresh token from the request's cookies (API Gateway v2 `cookies`: `name=value`)."""
    for index, cookie in enumerate(cookies):
        if index >= _MAX_COOKIES:
            break
        # A browser may also pack several pairs into one entry ("a=1; b=2").
        for pair in cookie.split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep and name.strip() == REFRESH_COOKIE_NAME:
                value = value.strip().strip('"')
                return value or None
    return None


@dataclass(frozen=True)
class SetCookie:
    """One parsed Set-Cookie header: what clients and tests check the attributes against."""

    name: str
    value: str = field(repr=False)
    attributes: dict[str, str]  # lower-cased names; flags (HttpOnly, Secure) map to ""

    @property
    def max_age(self) -> int | None:
        raw = self.attributes.get("max-age")
        return int(raw) if raw is not None and raw.lstrip("-").isdigit() else None

    @property
    def path(self) -> str | None:
        return self.attributes.get("path")

    @property
    def http_only(self) -> bool:
        return "httponly" in self.attributes

    @property
    def secure(self) -> bool:
        return "secure" in self.attributes

    @property
    def same_site(self) -> str | None:
        return self.attributes.get("samesite")

    @property
    def clears(self) -> bool:
        """True when this header deletes the cookie rather than setting it."""
        return self.max_age is not None and self.max_age <= 0


def parse_set_cookie(header: str) -> SetCookie:
    first, *rest = header.split(";")
    name, _, value = first.strip().partition("=")
    attributes: dict[str, str] = {}
    for part in rest[:32]:
        key, _, attribute = part.strip().partition("=")
        if key:
            attributes[key.strip().lower()] = attribute.strip()
    return SetCookie(name=name.strip(), value=value.strip(), attributes=attributes)
