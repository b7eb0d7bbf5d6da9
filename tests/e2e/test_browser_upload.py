"""The local upload page in headless Chromium: sign in, upload straight to S3 with the presigned
POST (cross-origin, so the bucket's CORS rules are exercised), and see the processed rendition."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from boulderstat.local.stack import LocalStack
from tests import media_factory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_browser_upload_shows_the_processed_rendition(
    stack: LocalStack, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    photo = media_factory.oriented_photo(tmp_path / "send.jpg", 6, size=(600, 800))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(stack.api_url + "/")
    page.fill("#username", "browser-climber")
    page.click("#signin")
    expect(page.locator("#who")).to_contain_text("signed in as browser-climber")
    page.set_input_files("#file", str(photo))
    page.click("#upload")

    expect(page.locator("#status")).to_have_text("ready", timeout=90_000)
    rendition = page.locator("#rendition")
    expect(rendition).to_be_visible()
    page.wait_for_function("document.querySelector('#rendition').naturalWidth > 0")
    natural = rendition.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] < natural[1], natural  # portrait, as the climber held the phone
    # ... and upright, not upside down or mirrored: the pixels the browser shows have the
    # scene's red block top-left and blue block top-right (a 180-degree turn is portrait too).
    shown = Image.open(io.BytesIO(rendition.screenshot()))
    assert media_factory.scene_corners(shown) == media_factory.UPRIGHT
    assert not [line for line in console if "CORS" in line], console


def test_bucket_cors_allows_the_app_and_refuses_other_origins(stack: LocalStack) -> None:
    assert stack.settings is not None
    url = f"{stack.settings.aws_endpoint_url}/{stack.settings.media_bucket}"
    allowed = requests.options(
        url,
        headers={"Origin": stack.api_url, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert allowed.status_code == 200
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = requests.options(
        url,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert refused.status_code == 403
