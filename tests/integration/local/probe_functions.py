"""Tiny handlers that report on the execution environment they run in (tests only).

Each runs in a worker process of `boulderstat.local.environments`, exactly as a real function's
handler does; they import nothing heavy, so starting one costs ~0.1 s.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from typing import Any

import boto3

_lock = threading.Lock()
_active = 0
_most_active = 0
_invocations = 0


def report(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Who am I: process, variables asked for, the credentials boto3 finds, remaining time."""
    global _invocations
    _invocations += 1
    credentials = boto3.session.Session().get_credentials()
    return {
        "pid": os.getpid(),
        "invocations": _invocations,
        "env": {name: os.environ.get(name) for name in event.get("names", [])},
        "access_key": credentials.access_key if credentials else None,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "request_id": context.aws_request_id,
    }


def hold(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleeps, counting how many invocations this process ever ran at the same time."""
    global _active, _most_active
    with _lock:
        _active += 1
        _most_active = max(_most_active, _active)
    try:
        time.sleep(event.get("seconds", 0.2))
    finally:
        with _lock:
            _active -= 1
    return {"pid": os.getpid(), "most_active": _most_active}


def fail(event: dict[str, Any], context: Any) -> None:
    raise ValueError(event.get("message", "probe failed"))


def exit_now(event: dict[str, Any], context: Any) -> None:
    os._exit(3)  # the process dies mid-invocation (an out-of-memory kill looks like this)


def not_json(event: dict[str, Any], context: Any) -> object:
    return {"value": object()}


def start_child_and_hang(event: dict[str, Any], context: Any) -> None:
    """Starts a child (as a handler starts ffmpeg), writes its pid to `event["pid_file"]`, then
    outlives its timeout."""
    child = subprocess.Popen(["sleep", "60"])
    with open(event["pid_file"], "w") as out:
        out.write(str(child.pid))
    time.sleep(60)
