"""Cold starts: `python -m bench.coldstart [--runs N]` prints a Markdown table. Asserts nothing.

Each case is one fresh Python process (bench/coldstart_case.py) that imports a handler module and
calls it once with a realistic event against the local stack (moto + nx-27017, started here),
so the first invocation pays what Lambda's does: building clients, the first MongoDB round
trip. Every handler is compared with a minimal Powertools HTTP resolver (coldstart_reference)
measured in the same run, so a busy or fast machine shifts both. Cases run interleaved, N rounds;
min and median are printed. Tracing is off as outside Lambda (POWERTOOLS_TRACE_DISABLED), except
in the "tracing on" row, which fakes the Lambda environment so Powertools loads the X-Ray SDK.

Every case process sees what a Lambda function sees, not the dev virtualenv: `python -S` with
the packaged function code and the runtime dependencies only (bench.lambda_package). The floor
rows (coldstart_floor) add to the reference only what a MongoDB-backed API function cannot
avoid; the SnapStart row is a request's cost after a restore (the hooks, then the first call).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import lambda_package
from bench.measure import ROOT

USER = "bench-climber"


@dataclass(frozen=True)
class Case:
    label: str
    module: str
    event: dict[str, Any]
    env: dict[str, str]
    goal: float | None  # the total's ratio to the reference we aim for
    sources_only: bool = False  # no bytecode for the function code and the layer
    snapstart: bool = False  # the import is in the snapshot: time the restore and first call


def _http_event(
    method: str, path: str, *, body: Any = None, origin: str | None = None
) -> dict[str, Any]:
    from boulderstat.local.gateway import GatewayRequest, build_event
    from boulderstat.local.routes import HttpRoute

    headers = {"host": "localhost", "content-type": "application/json"}
    if origin:
        headers["origin"] = origin
    raw = json.dumps(body).encode() if body is not None else b""
    authorized = not path.startswith(("/auth", "/ping"))
    route = HttpRoute(method, path, "bench", authorized)
    request = GatewayRequest(method, path, "", headers, raw)
    claims = {"sub": USER, "token_use": "id"} if authorized else None
    return build_event(route, request, {}, claims, source_ip="127.0.0.1")


def _cases(settings: Any, task_root: Path) -> list[Case]:
    bucket = settings.media_bucket
    unknown_key = f"uploads/{USER}/{uuid.uuid4().hex}.jpg"
    s3_event = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": settings.region,
                "eventTime": "2026-11-30T00:00:00.000Z",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": unknown_key, "size": 866, "eTag": "0" * 32},
                },
            }
        ]
    }
    uploaded = json.loads((ROOT / "events/samples/media-uploaded.json").read_text())
    uploaded["detail"].update(bucket=bucket, user_id=USER, media_id=uuid.uuid4().hex)
    uploaded["detail"]["key"] = f"uploads/{USER}/{uploaded['detail']['media_id']}.jpg"
    photo = {"content_type": "image/jpeg", "size": 123_456, "filename": "send.jpg"}
    lambda_env = {
        "LAMBDA_TASK_ROOT": str(task_root),
        "POWERTOOLS_TRACE_DISABLED": "false",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
        "Sampled=1",
    }
    # Lambda's /opt and /var/task are read-only: without bytecode in the package, every module
    # is compiled from source on each cold start. Sources-only trees do the same here.
    no_bytecode = {"PYTHONDONTWRITEBYTECODE": "1"}
    floor = "pydantic,pymongo"
    origin = settings.allowed_origins[0]
    return [
        Case(
            "reference: minimal Powertools resolver",
            "coldstart_reference",
            _http_event("GET", "/ping"),
            {},
            goal=None,
        ),
        Case(
            "floor: reference + pydantic + pymongo + 1 query",
            "coldstart_floor",
            _http_event("GET", "/ping"),
            {"BENCH_FLOOR": floor},
            goal=None,
        ),
        Case(
            "floor, with Powertools validation on",
            "coldstart_floor",
            _http_event("GET", "/ping"),
            {"BENCH_FLOOR": f"{floor},validation"},
            goal=None,
        ),
        Case(
            "climbs: GET /climbs",
            "functions.climbs.handler",
            _http_event("GET", "/climbs"),
            {},
            goal=1.5,
        ),
        Case(
            "media: GET /media",
            "functions.media.handler",
            _http_event("GET", "/media"),
            {},
            goal=1.5,
        ),
        Case(
            "climbers: GET /me",
            "functions.climbers.handler",
            _http_event("GET", "/me"),
            {},
            goal=1.5,
        ),
        Case(
            "feed: GET /feed",
            "functions.feed.handler",
            _http_event("GET", "/feed"),
            {},
            goal=1.5,
        ),
        Case(
            "upload_url: POST /media/uploads",
            "functions.upload_url.handler",
            _http_event("POST", "/media/uploads", body=photo),
            {},
            goal=1.5,
        ),
        Case(
            "auth: POST /auth/refresh (no cookie: 401)",
            "functions.auth.handler",
            _http_event("POST", "/auth/refresh", origin=origin),
            {},
            goal=1.5,
        ),
        Case(
            "on_object_created: unknown upload",
            "functions.on_object_created.handler",
            s3_event,
            {},
            goal=2.5,
        ),
        Case(
            "thumbnail: Media Uploaded, unknown media",
            "functions.thumbnail.handler",
            uploaded,
            {},
            goal=2.5,
        ),
        Case(
            "climbs, no .pyc (code and layer as shipped today)",
            "functions.climbs.handler",
            _http_event("GET", "/climbs"),
            no_bytecode,
            goal=None,
            sources_only=True,
        ),
        Case(
            "climbs, SnapStart: restore hooks + first call",
            "functions.climbs.handler",
            _http_event("GET", "/climbs"),
            {},
            goal=None,
            snapstart=True,
        ),
        Case(
            "upload_url, SnapStart: restore hooks + first call",
            "functions.upload_url.handler",
            _http_event("POST", "/media/uploads", body=photo),
            {},
            goal=None,
            snapstart=True,
        ),
        Case(
            "climbs, tracing on (X-Ray SDK loaded)",
            "functions.climbs.handler",
            _http_event("GET", "/climbs"),
            lambda_env,
            goal=None,
        ),
    ]


def _run(
    case: Case, env: dict[str, str], paths: list[Path], folder: Path, index: int
) -> dict[str, Any]:
    event_path = folder / f"event-{index}.json"
    out_path = folder / f"out-{index}.json"
    event_path.write_text(json.dumps(case.event))
    runner = [sys.executable, "-S", str(paths[1] / "coldstart_case.py"), case.module]
    subprocess.run(
        [*runner, str(event_path), str(out_path), *(["snapstart"] if case.snapstart else [])],
        cwd=folder,
        env={**env, **case.env, "PYTHONPATH": os.pathsep.join(map(str, paths))},
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict[str, Any] = json.loads(out_path.read_text())
    out_path.unlink()
    return result


def _row(*cells: object) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per case")
    args = parser.parse_args()

    from boulderstat.local.stack import LocalStack

    print("(starting the local stack for cold starts ...)", file=sys.stderr)
    with LocalStack() as stack, tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        assert stack.settings is not None
        env = {
            **os.environ,
            **stack.environment(),
            "POWERTOOLS_SERVICE_NAME": "boulderstat",
            "POWERTOOLS_METRICS_NAMESPACE": "BoulderStat/bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        for name in ("LAMBDA_TASK_ROOT", "PYTHONHOME", "VIRTUAL_ENV"):
            env.pop(name, None)
        compiled, sources = lambda_package.search_paths(Path(folder))
        cases = _cases(stack.settings, compiled[0])
        results: dict[str, list[dict[str, Any]]] = {case.label: [] for case in cases}
        for _ in range(args.runs):
            for index, case in enumerate(cases):
                paths = sources if case.sources_only else compiled
                results[case.label].append(_run(case, env, paths, Path(folder), index))

    def ms(label: str, key: str, pick: Any) -> float:
        runs = results[label]
        if key == "total_ms":
            return float(pick([r["import_ms"] + r["invoke_ms"] for r in runs]))
        return float(pick([r[key] for r in runs]))

    reference = cases[0].label
    print(f"\n### Cold start: import + first invocation, fresh process ({args.runs} runs)\n")
    print("Times in ms as min / median; ratios of the medians to the reference's.\n")
    _row("case", "import", "first call", "total", "import ratio", "total ratio", "CPU total",
         "CPU ratio", "goal", "loaded", "status")  # fmt: skip
    _row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---", "---")
    for case in cases:
        label = case.label
        cells = []
        for key in ("import_ms", "invoke_ms", "total_ms"):
            cells.append(f"{ms(label, key, min):.0f} / {ms(label, key, statistics.median):.0f}")
        ratios = [
            f"{ms(label, key, statistics.median) / ms(reference, key, statistics.median):.2f}x"
            for key in ("import_ms", "total_ms")
        ]
        cpu = ms(label, "cpu_ms", statistics.median)
        ratios += [f"{cpu:.0f}", f"{cpu / ms(reference, 'cpu_ms', statistics.median):.2f}x"]
        last = results[label][-1]
        loaded = [
            name
            for name, key in (
                ("X-Ray", "xray_imported"),
                ("boto3", "boto3_imported"),
                ("pymongo", "pymongo_imported"),
                ("Pillow", "pil_imported"),
            )
            if last[key]
        ]
        total_ratio = ms(label, "total_ms", statistics.median) / ms(
            reference, "total_ms", statistics.median
        )
        goal = "-" if case.goal is None else (
            f"≤ {case.goal}x: " + ("met" if total_ratio <= case.goal else "not met")
        )  # fmt: skip
        _row(label, *cells, *ratios, goal, ", ".join(loaded) or "-", last["status"] or "-")
    print(
        "\n- goal: API handlers ≤ 1.5x the reference, thumbnail ≤ 2.5x. `loaded`: heavy "
        "libraries in sys.modules after the first call. CPU: the case process's own CPU time "
        "for import + first call (median), which a busy machine inflates least. Every case runs "
        "on the packaged code and the runtime dependencies only (`python -S`), with bytecode "
        "unless it says not."
    )


if __name__ == "__main__":
    main()
