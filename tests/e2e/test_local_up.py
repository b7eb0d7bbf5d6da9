"""`boulderstat local up` as a person runs it: a real process, fixed ports, Ctrl-C, restart.

Data written before a restart (climbs in MongoDB, the user's `sub`) is there after it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from boulderstat.local.stack import free_port

CLI = [sys.executable, "-m", "boulderstat.local.cli"]


class UpProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = [free_port(), free_port(), free_port()]
        self.api_url = f"http://127.0.0.1:{self.ports[0]}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        api, aws, mongo = self.ports
        args = ["--data-dir", str(self.data_dir), "--port", str(api)]
        args += ["--aws-port", str(aws), "--mongo-port", str(mongo)]
        self.proc = subprocess.Popen(
            [*CLI, "local", "up", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                self.banner = "".join(lines)
                return
        raise AssertionError("local up did not come up:\n" + "".join(lines))

    def interrupt(self) -> str:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, out
        return out

    def token(self, username: str) -> str:
        result = subprocess.run(
            [*CLI, "local", "token", username, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.strip()


@pytest.fixture
def up(tmp_path: Path) -> Iterator[UpProcess]:
    process = UpProcess(tmp_path / "local-data")
    yield process
    if process.proc and process.proc.poll() is None:
        process.proc.kill()


def _climb(title: str, grade: str, day: str) -> dict[str, object]:
    return {
        "title": title,
        "grade": grade,
        "outcome": "send",
        "attempts": 2,
        "climb_date": day,
        "angle": "overhang",
        "location": {"kind": "gym", "name": "Local Gym"},
    }


def test_up_token_curl_ctrl_c_and_restart_keeps_data(up: UpProcess) -> None:
    up.start()
    assert up.api_url in up.banner and "export AWS_ENDPOINT_URL=" in up.banner
    token = up.token("alice")
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        f"{up.api_url}/climbs",
        json=_climb("Crimp line", "V4", "2026-11-01"),
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    requests.post(
        f"{up.api_url}/climbs", json=_climb("Roof", "7A", "2026-11-02"), headers=headers, timeout=30
    ).raise_for_status()
    assert requests.get(f"{up.api_url}/climbs", timeout=30).status_code == 401

    output = up.interrupt()
    assert "stopping" in output
    assert not (up.data_dir / "stack.json").exists()
    for port in up.ports:  # every child (moto, nx-27017, the API) is gone with it
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, port

    up.start()
    token_after = up.token("alice")
    listed = requests.get(
        f"{up.api_url}/climbs", headers={"Authorization": f"Bearer {token_after}"}, timeout=30
    )
    assert listed.status_code == 200, listed.text
    titles = [item["title"] for item in listed.json()["items"]]
    assert titles == ["Roof", "Crimp line"]  # newest first, and still alice's after a restart
    # A different user sees none of it.
    other = up.token("bob")
    assert (
        requests.get(
            f"{up.api_url}/climbs", headers={"Authorization": f"Bearer {other}"}, timeout=30
        ).json()["items"]
        == []
    )
    up.interrupt()


def test_local_events_tails_what_consumers_see(up: UpProcess) -> None:
    up.start()
    token = up.token("carol")
    tail = subprocess.Popen(
        [*CLI, "local", "events", "--data-dir", str(up.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert tail.stderr is not None and tail.stdout is not None
        assert "tailing events" in tail.stderr.readline()  # subscribed before the climb is logged
        requests.post(
            f"{up.api_url}/climbs",
            json=_climb("Tailed", "V2", "2026-11-03"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).raise_for_status()
        event = json.loads(tail.stdout.readline())
        assert event["detail-type"] == "Climb Created"
        assert event["source"] == "boulderstat.climbs"
    finally:
        tail.send_signal(signal.SIGINT)
        tail.wait(timeout=30)
    up.interrupt()


def test_a_busy_port_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["--data-dir", str(tmp_path), "--aws-port", str(port), "--port", str(free_port())]
        result = subprocess.run(
            [*CLI, "local", "up", *args], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
