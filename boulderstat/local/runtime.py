"""One execution environment: a process that runs one function's handler, one invocation at a
time, and stays warm between invocations (like a Lambda execution environment).

Started by `boulderstat.local.environments` as
`python -m boulderstat.local.runtime <function> <handler>` with exactly that function's
environment variables, so module-level state (Powertools' resolver keeps the current request on
its app object), cached clients and credentials are the function's own and are never shared by
two requests at once.

Protocol: length-prefixed JSON frames; requests on stdin, replies on the ORIGINAL stdout. The
handler's own prints and logs go to stderr, so nothing a handler writes can corrupt a reply.
The process ends when stdin closes (its stack stopped, or died: no orphan keeps running).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time
import traceback
from typing import IO, Any

_HEADER = struct.Struct(">I")


def write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    _send(stream, json.dumps(message).encode())


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None when the other side closed the pipe."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    message: dict[str, Any] = json.loads(data)
    return message


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The shape Lambda reports a function error in."""
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def main(function_name: str, handler_spec: str) -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() and Powertools' stdout logs now go to stderr
    requests = sys.stdin.buffer

    from boulderstat.local.functions import LocalLambdaContext, import_handler

    started = time.monotonic()
    try:
        handler = import_handler(handler_spec)  # the cold start
    except BaseException as error:
        write_frame(replies, {"init_error": _error(error, "Runtime.ImportModuleError")})
        return 1
    write_frame(replies, {"ready": True, "init_ms": round((time.monotonic() - started) * 1000)})

    memory = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"))
    while (request := read_frame(requests)) is not None:
        context = LocalLambdaContext(
            function_name,
            memory_limit_in_mb=memory,
            aws_request_id=request["request_id"],
            deadline=request["deadline"],
        )
        try:
            # Lambda serializes the result too: a result JSON cannot carry fails the same way.
            data = json.dumps({"result": handler(request["event"], context)}).encode()
        except Exception as error:
            reply = _error(error)
            # As Lambda's runtime does: the unhandled error goes to the function's log too.
            print(f"[ERROR] {reply['errorType']}: {reply['errorMessage']}", file=sys.stderr)
            print("".join(reply["stackTrace"]), file=sys.stderr, flush=True)
            data = json.dumps(reply).encode()
        _send(replies, data)
    # Like an environment Lambda reclaims: no graceful interpreter shutdown (pymongo's monitor
    # threads alone would hold it up for seconds).
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
