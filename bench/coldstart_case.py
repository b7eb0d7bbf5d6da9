"""One cold start per process: `python coldstart_case.py MODULE EVENT_JSON OUT_JSON [snapstart]`.

Imports MODULE (a handler module, or coldstart_reference), then calls its `handler` once
with the event, and writes the two times to OUT_JSON (the handlers log to stdout). Nothing but
the standard library is imported before the clock starts, so the import time is the module's
own; interpreter start-up is the same for every case and is left out. Run by bench.coldstart.

`snapstart`: what a request pays on a SnapStart restore. The import ran in the init phase that
the snapshot holds, so it is not counted (import_ms is 0); then the SnapStart hooks run as Lambda
runs them (before the snapshot, untimed; after the restore, timed) and the first call is timed.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import uuid
from pathlib import Path


class _Context:
    """The attributes Powertools reads from a Lambda context."""

    function_name = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:bench"
    aws_request_id = str(uuid.uuid4())
    function_version = "$LATEST"
    log_group_name = "bench"
    log_stream_name = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def main() -> None:
    module_name, event_path, out_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    event = json.loads(event_path.read_text())
    snapstart = sys.argv[4:] == ["snapstart"]
    started, cpu_started = time.perf_counter(), time.process_time()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    if snapstart:
        from boulderstat.adapters import connections

        connections.before_snapshot()
        started = imported = time.perf_counter()
        cpu_started = time.process_time()
        connections.after_restore()
    response = module.handler(event, _Context())
    invoked, cpu_done = time.perf_counter(), time.process_time()
    status = response.get("statusCode") if isinstance(response, dict) else None
    result = {
        "import_ms": (imported - started) * 1000,
        "invoke_ms": (invoked - imported) * 1000,
        # This process's CPU time for both: what a busy machine inflates least.
        "cpu_ms": (cpu_done - cpu_started) * 1000,
        "status": status,
        "xray_imported": "aws_xray_sdk" in sys.modules,
        "boto3_imported": "boto3" in sys.modules,
        "pymongo_imported": "pymongo" in sys.modules,
        "pil_imported": "PIL.Image" in sys.modules,
    }
    out_path.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
