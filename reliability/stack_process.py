"""`boulderstat local up` as a separate process: started, signed into, killed, restarted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import psutil
import requests

from boulderstat.local.stack import free_port

CLI = [sys.executable, "-m", "boulderstat.local.cli"]
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class StackProcess:
    """One data folder, fixed ports across restarts (as a developer's `local up` has)."""

    def __init__(self, data_dir: Path, *, queue_workers: int | None = None) -> None:
        self.data_dir = data_dir
        self.ports = (free_port(), free_port(), free_port())
        self.api_url = f"http://127.0.0.1:{self.ports[0]}"
        self.queue_workers = queue_workers
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._reader: threading.Thread | None = None
        self._up = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 120.0) -> StackProcess:
        api, aws, mongo = self.ports
        args = ["local", "up", "--data-dir", str(self.data_dir), "--port", str(api)]
        args += ["--aws-port", str(aws), "--mongo-port", str(mongo)]
        if self.queue_workers:
            args += ["--queue-workers", str(self.queue_workers)]
        self._up.clear()
        self.proc = subprocess.Popen(
            [*CLI, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        # Read everything it prints, always: a full pipe would block the stack.
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._up.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("local up did not come up:\n" + self.text())
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line)
            if "Ctrl-C stops everything" in line:
                self._up.set()

    def text(self) -> str:
        return "".join(self.output)

    def sigkill(self) -> None:
        """A crash: the stack gets no chance to do anything (its children live on)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 180.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            self.proc.kill()
            raise RuntimeError(
                f"local up did not stop in {timeout:g} s:\n{self.text()[-4000:]}"
            ) from error
        if self._reader:
            self._reader.join(timeout=10)
        return code

    def ensure_stopped(self) -> None:
        """For test teardown: stop it and every process it left (never others)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        from boulderstat.local.processes import orphans

        for process in orphans(self.data_dir):
            with contextlib.suppress(psutil.Error):
                process.kill()

    # -- talking to it -----------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        return dict(json.loads((self.data_dir / "stack.json").read_text()))

    def token(self, username: str) -> str:
        result = subprocess.run(
            [*CLI, "local", "token", username, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=PROJECT_ROOT,
        )
        return result.stdout.strip()

    def redrive(self) -> str:
        result = subprocess.run(
            [*CLI, "local", "redrive", "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=PROJECT_ROOT,
        )
        return result.stdout

    def mongo_process(self) -> psutil.Process | None:
        from boulderstat.local.processes import orphans

        for process in orphans(self.data_dir):
            try:
                if "nx-27017" in " ".join(process.cmdline()):
                    return process
            except psutil.Error:
                continue
        return None


def sub_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def api(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def upload_photo(session: requests.Session, api_url: str, data: bytes) -> str:
    """Grant + presigned POST, as the app does; returns the media id."""
    grant = session.post(
        f"{api_url}/media/uploads",
        json={"content_type": "image/jpeg", "size": len(data)},
        timeout=60,
    )
    grant.raise_for_status()
    body: dict[str, Any] = grant.json()
    post_upload(body, data)
    return str(body["media_id"])


def post_upload(grant: dict[str, Any], data: bytes, content_type: str = "image/jpeg") -> None:
    fields = dict(grant["upload"]["fields"])
    response = requests.post(
        grant["upload"]["url"],
        data=fields,
        files={"file": ("photo.jpg", data, content_type)},
        timeout=60,
    )
    if response.status_code != 204:
        raise RuntimeError(f"upload refused: {response.status_code} {response.text[:200]}")
