"""`local up` killed (SIGKILL) mid-pipeline, then started again on the same data folder:
every object, every user with the same `sub`, every document, and every media item in flight
reaches a final state without help. Also: MongoDB dies and comes back on its own; dead-lettered
events are moved back by `local redrive`."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from boulderstat.client import BoulderStatClient
from reliability.stack_process import CLI, StackProcess, api, sub_of, upload_photo
from tests.unit.media.sample_files import photo

FINAL = ("ready", "failed")


@pytest.fixture
def stack_process(tmp_path: Path) -> Iterator[StackProcess]:
    process = StackProcess(tmp_path / "data", queue_workers=2)
    yield process
    process.ensure_stopped()


def _media(session: requests.Session, url: str, media_id: str) -> dict:
    response = session.get(f"{url}/media/{media_id}", timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _wait_final(session: requests.Session, url: str, media_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        media = _media(session, url, media_id)
        if media["status"] in FINAL or time.monotonic() > deadline:
            return media
        time.sleep(0.3)


def _renditions_exist(media: dict) -> bool:
    urls = [r["url"] for r in media["renditions"]]
    return bool(urls) and all(requests.get(u, timeout=30).status_code == 200 for u in urls)


def _sign_in(stack: StackProcess, username: str) -> tuple[requests.Session, str]:
    """Through the hosted-UI stand-in and /auth/token, as the web app does."""
    client_id = stack.environment()["COGNITO_CLIENT_IDS"]
    client = BoulderStatClient.sign_in_local(stack.api_url, username, client_id=client_id)
    assert client.id_token is not None
    return api(client.id_token), sub_of(client.id_token)


def test_mongodb_death_and_a_sigkill_mid_pipeline_lose_nothing(
    stack_process: StackProcess,
) -> None:
    stack = stack_process.start()
    kim, kim_sub = _sign_in(stack, "kim")
    done = upload_photo(kim, stack.api_url, photo("jpeg", (64, 48)))

    # MongoDB dies: the stack restarts it, says so, and the API works again.
    mongo = stack.mongo_process()
    assert mongo is not None
    mongo.kill()
    deadline = time.monotonic() + 30
    while "MongoDB server restarted" not in stack.text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"MongoDB server (nx-27017, pid {mongo.pid}) exited with code -9" in stack.text()
    assert "MongoDB server restarted" in stack.text()
    assert _wait_final(kim, stack.api_url, done)["status"] == "ready"

    # SIGKILL with uploads in flight and a user created just before.
    in_flight = [upload_photo(kim, stack.api_url, photo("jpeg", (80 + n, 60))) for n in range(3)]
    _, lee_sub = _sign_in(stack, "lee")
    stack.sigkill()
    orphan = stack.mongo_process()
    assert orphan is not None  # the crashed run's MongoDB server lives on, holding its port
    refused = subprocess.run(
        [*CLI, "local", "token", "kim", "--data-dir", str(stack.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0 and "ended without stopping" in refused.stderr

    stack.start()
    cleaned = [
        line for line in stack.text().splitlines() if "cleaned up after a crashed run" in line
    ]
    assert len(cleaned) == 1 and f"nx-27017 {orphan.pid}" in cleaned[0], cleaned
    kim, sub_after = _sign_in(stack, "kim")
    assert sub_after == kim_sub
    assert _sign_in(stack, "lee")[1] == lee_sub
    before = _media(kim, stack.api_url, done)
    assert before["status"] == "ready" and _renditions_exist(before)
    for media_id in in_flight:
        media = _wait_final(kim, stack.api_url, media_id)
        assert media["status"] == "ready", media
        assert _renditions_exist(media)
    assert "dead-lettered event(s) moved back" in stack.redrive()
    assert stack.stop() == 0
    assert not (stack.data_dir / "stack.pid").exists()
