"""Execution environments' processes: one function's handler, one invocation at a time.

A worker runs one function's handler and stays warm between invocations (like a Lambda
execution environment), with exactly that function's environment variables, so module-level
state (Powertools' resolver keeps the current request on its app object), cached clients and
credentials are the function's own and never shared by two requests at once.

Workers are forked from a zygote: `python -m boulderstat.local.runtime --zygote <control fd>`
imports the heavy libraries every handler needs (boto3, pymongo, pydantic, Powertools, Pillow)
once, single-threaded and before anything reads configuration, then forks a worker per request
from the stack. The worker replaces its whole environment with the function's before it imports
the handler, so a cold start costs the handler's own imports only (a fresh interpreter paid ~1 s
of CPU, and >10 s wall on a loaded machine). `python -m boulderstat.local.runtime <function>
<handler>` runs one worker directly, without a zygote.

Protocol: length-prefixed JSON frames on the worker's channel (a socket from the zygote, or
stdin/stdout). The handler's prints and logs go to stderr (its log pipe), so nothing a handler
writes can corrupt a reply. A worker ends when its channel closes: its stack stopped, or died.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
from typing import IO, Any

_HEADER = struct.Struct(">I")
_PR_SET_NAME = 15  # prctl(2)

# Imported once in the zygote. Nothing here may read configuration at import time (the zygote
# has the stack's environment, not a function's); handler modules are never preloaded.
PRELOAD = (
    "boto3",
    "botocore.session",
    "botocore.config",
    "pymongo",
    "pydantic",
    "aws_lambda_powertools",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.utilities.typing",
    "PIL.Image",
    "boulderstat.local.functions",
)


def write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    _send(stream, json.dumps(message).encode())


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None when the other side closed the channel."""
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


def serve(function_name: str, handler_spec: str, requests: IO[bytes], replies: IO[bytes]) -> None:
    """Loads the handler (the cold start), then runs invocations until the channel closes."""
    from boulderstat.local.functions import LocalLambdaContext, import_handler

    started = time.monotonic()
    try:
        handler = import_handler(handler_spec)
    except BaseException as error:
        write_frame(replies, {"init_error": _error(error, "Runtime.ImportModuleError")})
        return
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


def _exit_now() -> None:
    """Like an environment Lambda reclaims: no graceful interpreter shutdown (pymongo's monitor
    threads alone would hold it up for seconds)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


def run_direct(function_name: str, handler_spec: str) -> None:
    _name_process(function_name)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() and Powertools' stdout logs now go to stderr
    serve(function_name, handler_spec, sys.stdin.buffer, replies)
    _exit_now()


def zygote(control_fd: int) -> None:
    """Preloads, then forks one worker per spawn request (see the module docstring)."""
    for module in PRELOAD:
        # A library this machine lacks: the handlers importing it will say so.
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            raw, fds, _, _ = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            break
        if not raw:
            break  # the stack is gone
        spawn = json.loads(raw)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            control.close()
            _become_worker(spawn, fds[0], fds[1])
        for fd in fds:
            os.close(fd)
        control.sendall(json.dumps({"pid": pid}).encode())
    os._exit(0)


def _name_process(function_name: str) -> None:
    """The worker's process name (`ps`, `top`, `make reliability`'s CPU accounting) is its
    function's, not `python` (Linux only; 15 characters is the kernel's limit)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, function_name.encode()[:15], 0, 0, 0)


def _become_worker(spawn: dict[str, Any], channel_fd: int, log_fd: int) -> None:
    try:
        # Its own process group: ending the environment ends the ffmpeg it started too, as
        # Lambda's sandbox does (a killed worker left a 4K transcode running for minutes).
        os.setpgid(0, 0)
        _name_process(spawn["name"])
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # handlers wait for ffmpeg
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.environ.clear()
        os.environ.update(spawn["env"])
        os.chdir(spawn["cwd"])
        channel = socket.socket(fileno=channel_fd)
        serve(
            spawn["name"],
            spawn["handler"],
            channel.makefile("rb"),
            channel.makefile("wb"),
        )
    except BaseException:
        traceback.print_exc()
    finally:
        _exit_now()


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
    else:
        run_direct(sys.argv[1], sys.argv[2])
