"""The local upload page in headless Chromium: sign in, upload straight to S3 with the presigned
POST (cross-origin, so the bucket's CORS rules are exercised), and see the processed rendition."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
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


MiB = 1024 * 1024


@pytest.fixture(scope="session")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ~70 MB MP4 in a second: 1 s of lossless noise, stream-copied five times."""
    folder = tmp_path_factory.mktemp("big-video")
    segment, clip = folder / "segment.mp4", folder / "climb.mp4"
    noise = "testsrc2=s=640x360:r=30,noise=alls=80:allf=t"
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "30"]
    run = ["ffmpeg", "-v", "error", "-y"]
    subprocess.run([*run, "-f", "lavfi", "-i", noise, "-t", "1", *encode, str(segment)], check=True)
    subprocess.run(
        [*run, "-stream_loop", "4", "-i", str(segment), "-c", "copy", str(clip)], check=True
    )
    assert clip.stat().st_size >= 60 * MiB
    return clip


def test_uppy_resumes_a_big_upload_after_the_network_drops(
    stack: LocalStack, page: object, big_video: Path
) -> None:
    """Uppy (@uppy/aws-s3) uploads in parts; offline mid-way; back online, it sends only the
    parts S3 does not have yet (counted from the browser's own requests and from S3's list)."""
    from playwright.sync_api import Page, Response, expect

    assert isinstance(page, Page) and stack.settings is not None
    username = f"uppy-{uuid.uuid4().hex[:8]}"
    sub = jwt.decode(stack.token(username)["IdToken"], options={"verify_signature": False})["sub"]
    part_count = -(-big_video.stat().st_size // (8 * MiB))  # the page's PART_SIZE
    s3_endpoint = stack.settings.aws_endpoint_url or ""

    def part_number(url: str) -> int | None:
        number = parse_qs(urlsplit(url).query).get("partNumber")
        return int(number[0]) if url.startswith(s3_endpoint) and number else None

    sent: list[tuple[int, bool, str]] = []  # (part number, succeeded, phase it ended in)
    started: list[tuple[int, str]] = []  # (part number, phase it started in)
    phase = ["before"]

    def on_request(request: object) -> None:
        number = part_number(request.url)  # type: ignore[attr-defined]
        if number is not None and request.method == "PUT":  # type: ignore[attr-defined]
            started.append((number, phase[0]))

    def on_response(response: Response) -> None:
        number = part_number(response.url)
        if number is not None and response.request.method == "PUT":
            sent.append((number, response.status == 200, phase[0]))

    def on_failed(request: object) -> None:
        number = part_number(request.url)  # type: ignore[attr-defined]
        if number is not None and request.method == "PUT":  # type: ignore[attr-defined]
            sent.append((number, False, phase[0]))

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.goto(stack.api_url + "/")
    # Slow the uplink (to ~15 MB/s) so the cut lands while parts are in flight.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions = {"offline": False, "latency": 0, "downloadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", {**conditions, "uploadThroughput": 15 * MiB})
    page.fill("#username", username)
    page.click("#signin")
    expect(page.locator("#who")).to_contain_text(f"signed in as {username}")
    page.set_input_files("#file", str(big_video))
    page.click("#upload")

    deadline = time.monotonic() + 60
    while not any(ok for _, ok, _ in sent):
        assert time.monotonic() < deadline, "no part arrived"
        page.wait_for_timeout(20)
    page.context.set_offline(True)
    phase[0] = "offline"
    expect(page.locator("#network")).to_have_text("offline: waiting to resume")
    page.wait_for_timeout(1500)
    s3 = stack.client("s3")
    (upload,) = s3.list_multipart_uploads(
        Bucket=stack.settings.media_bucket, Prefix=f"uploads/{sub}/"
    )["Uploads"]
    held = {  # what S3 has when the network comes back
        part["PartNumber"]
        for part in s3.list_parts(
            Bucket=stack.settings.media_bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        ).get("Parts", [])
    }
    phase[0] = "after"
    page.context.set_offline(False)

    expect(page.locator("#status")).to_have_text("ready", timeout=120_000)
    page.wait_for_function("document.querySelector('#rendition').naturalWidth > 0")
    assert (
        page.locator("#rendition")
        .get_attribute("alt", timeout=1000)
        .startswith("rendition poster-")
    )

    succeeded = [number for number, ok, _ in sent if ok]
    assert sorted(succeeded) == list(range(1, part_count + 1)), sent  # each part arrived once
    assert 0 < len(held) < part_count, held  # the cut came mid-way
    # Back online, only parts S3 did not hold were sent (counted from the browser's requests).
    resent = {number for number, when in started if when == "after"}
    assert resent and not resent & held, (held, started)
