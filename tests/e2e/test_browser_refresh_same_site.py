"""The refresh cookie in a real browser: it works from a page on the API's own site, and not
from another site, even one the API's CORS and origin check allow.

This is why each stage serves the web app and the API from one CloudFront origin
(docs/auth.md): `SameSite=Strict` keeps the cookie first-party only. Locally the page at
`http://127.0.0.1:<port>` is the API's own site, and `http://localhost:<port>` (an allowed
origin, served by the same gateway) is another site, exactly like a web app on its own domain
calling the bare `execute-api` URL.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME
from boulderstat.auth.pkce import s256_challenge
from boulderstat.client import LOCAL_REDIRECT_URI, BoulderStatClient
from boulderstat.local.stack import LocalStack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.browser

# What the web app runs: POST to an /auth route on `base`, sending cookies, read the answer.
AUTH_POST = """async ([url, body]) => {
  const response = await fetch(url, {
    method: "POST",
    credentials: "include",
    headers: body ? {"content-type": "application/json"} : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => null);
  return {status: response.status, body: json};
}"""


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context().new_page()
        finally:
            browser.close()


def test_refresh_works_from_the_same_site_and_fails_from_another(
    stack: LocalStack, browser_page: Any
) -> None:
    page = browser_page
    api = stack.api_url  # http://127.0.0.1:<port>
    other_site = api.replace("127.0.0.1", "localhost")
    assert stack.settings is not None and other_site in stack.settings.allowed_origins

    # Sign in as the web app does: hosted UI + PKCE, then the code exchange from the page.
    verifier = secrets.token_urlsafe(48)
    code = BoulderStatClient(api).local_authorization_code(
        f"refresh-{secrets.token_hex(4)}", code_challenge=s256_challenge(verifier)
    )
    page.goto(api + "/")
    exchange = {"code": code, "code_verifier": verifier, "redirect_uri": LOCAL_REDIRECT_URI}
    signed_in = page.evaluate(AUTH_POST, [api + "/auth/token", exchange])
    assert signed_in["status"] == 200, signed_in
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies[REFRESH_COOKIE_NAME]["sameSite"] == "Strict"

    same_site = page.evaluate(AUTH_POST, [api + "/auth/refresh", None])
    assert same_site["status"] == 200, same_site
    assert same_site["body"]["id_token"]

    # The same browser, cookie still stored, on another site that CORS allows.
    page.goto(other_site + "/")
    cross_site = page.evaluate(AUTH_POST, [api + "/auth/refresh", None])
    assert cross_site["status"] == 401, cross_site
    assert "No refresh cookie" in cross_site["body"]["message"]  # the browser did not send it
    assert REFRESH_COOKIE_NAME in {c["name"] for c in page.context.cookies(api + "/auth/")}

    # Back on the API's own site the cookie works again: only the site made the difference.
    page.goto(api + "/")
    again = page.evaluate(AUTH_POST, [api + "/auth/refresh", None])
    assert again["status"] == 200, again
