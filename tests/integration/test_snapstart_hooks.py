"""Lambda SnapStart: the hooks close the network clients before the snapshot and the restored
function builds and uses new ones.

The hooks are run the way the runtime runs them: from `snapshot_restore_py`'s registries
(the runtime's library; a dev dependency here). The climbs handler runs in this process (as in
one Lambda environment) against the local stack's MongoDB and EventBridge, so a handler still
holding a closed MongoDB client would fail, and a boto3 client built only after the restore
proves which one was used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import snapshot_restore_py
from pymongo.errors import InvalidOperation

from boulderstat.adapters import connections
from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.mongo import mongo_database
from boulderstat.local.functions import invoke
from boulderstat.local.gateway import GatewayRequest, build_event
from boulderstat.local.routes import HttpRoute
from boulderstat.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


def _climbs(method: str, sub: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Calls the climbs handler in this process with the event API Gateway would send."""
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"host": "localhost", "content-type": "application/json"}
    request = GatewayRequest(method, "/climbs", "", headers, raw)
    route = HttpRoute(method, "/climbs", "climbs", True)
    event = build_event(route, request, {}, {"sub": sub, "token_use": "id"}, source_ip="127.0.0.1")
    response: dict[str, Any] = invoke("climbs", event)
    return response


def _run_registered(registry: list[Any]) -> None:
    for function, args, kwargs in registry:
        function(*args, **kwargs)


def test_our_hooks_are_registered_with_the_runtime_library() -> None:
    assert connections.SNAPSTART_HOOKS_REGISTERED
    before = [entry[0] for entry in snapshot_restore_py.get_before_snapshot()]
    after = [entry[0] for entry in snapshot_restore_py.get_after_restore()]
    assert connections.before_snapshot in before
    assert connections.after_restore in after


def test_restore_hooks_replace_mongodb_and_boto3_clients(settings: Settings) -> None:
    sub = f"snapstart-{uuid.uuid4().hex[:8]}"
    climb = {"title": "Before snapshot", "grade": "V3", "outcome": "send", "attempts": 2}
    climb["climb_date"] = datetime.now(UTC).date().isoformat()
    assert _climbs("POST", sub, climb)["statusCode"] == 201
    handler_settings = get_settings()  # what the handler built its clients with
    old_db = mongo_database(handler_settings)
    old_events = aws_client("events", handler_settings)
    assert old_events.built  # the handler published Climb Created with it

    _run_registered(snapshot_restore_py.get_before_snapshot())

    with pytest.raises(InvalidOperation):  # closed: nothing live goes into the snapshot
        old_db.command("ping")

    _run_registered(snapshot_restore_py.get_after_restore())

    new_events = aws_client("events", handler_settings)
    assert new_events is not old_events
    assert not new_events.built
    climb["title"] = "After restore"
    created = _climbs("POST", sub, climb)
    assert created["statusCode"] == 201, created  # a closed MongoClient could not have saved it
    assert new_events.built  # the restored handler built and used the new boto3 client
    new_db = mongo_database(handler_settings)
    assert new_db.client is not old_db.client
    listed = json.loads(_climbs("GET", sub)["body"])
    assert {c["title"] for c in listed["items"]} == {"Before snapshot", "After restore"}


def test_hooks_run_twice_in_a_row_are_harmless(settings: Settings) -> None:
    connections.before_snapshot()
    connections.before_snapshot()
    connections.after_restore()

    assert mongo_database(settings).command("ping")["ok"] == 1
    assert aws_client("s3", settings).list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_without_the_runtime_library_nothing_is_registered_and_imports_still_work() -> None:
    script = (
        "import sys\n"
        "sys.modules['snapshot_restore_py'] = None  # as on a machine without it\n"
        "from boulderstat.adapters import connections\n"
        "import functions.climbs.handler\n"
        "print(connections.SNAPSTART_HOOKS_REGISTERED)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "true"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "False"
