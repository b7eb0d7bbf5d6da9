"""Execution environments for the local stack's functions: Lambda's concurrency model, locally.

Each function has a bounded pool of worker processes (`boulderstat.local.runtime`), started on
first need and kept warm. An invocation takes an idle environment (or starts one while the pool
is below its size, or waits for one), runs in it ALONE, and gives it back. So two requests of
one function never share a process: Powertools' resolver, cached clients and any module state
are per environment, as on Lambda. Workers are started with fork+exec (`subprocess`), never a
bare fork of this threaded process.

Failures are Lambda's: a handler that raises is a `FunctionError` (the environment stays
warm); an invocation that outlives the function's timeout from serverless.yml has its
environment killed and replaced and fails with `FunctionTimeout`; an environment that dies
mid-invocation fails it with `FunctionError("Runtime.ExitError")`.

Each function's environment = the stack's base environment + `function_environment[name]`
(e.g. that function's own AWS access keys), so every client a handler builds from its
environment runs as that function.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import psutil
from aws_lambda_powertools import Logger

from boulderstat.local.functions import FunctionConfig

logger = Logger(service="local-functions")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INIT_TIMEOUT_SECONDS = 60.0  # Lambda allows 10 s; a shared 2-core machine needs more headroom
KILL_GRACE_SECONDS = 0.5  # past the timeout, before the environment is killed
_HEADER_BYTES = 4

FunctionEnvironment = Mapping[str, Mapping[str, str]]
LogSink = Callable[[str, str], None]  # (function name, one line the function logged)


class FunctionError(Exception):
    """An invocation failed the way Lambda reports it: errorType + errorMessage."""

    def __init__(self, function_name: str, error_type: str, message: str) -> None:
        super().__init__(f"{function_name}: {error_type}: {message}")
        self.function_name = function_name
        self.error_type = error_type
        self.message = message


class FunctionTimeout(FunctionError):
    """The invocation ran past the function's timeout; its environment was killed."""


class Zygote:
    """The process every worker is forked from (see `boulderstat.local.runtime`)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "boulderstat.local.runtime", "--zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=PROJECT_ROOT,
        )
        theirs.close()
        self._lock = threading.Lock()

    def fork(
        self, name: str, handler: str, env: dict[str, str], channel_fd: int, log_fd: int
    ) -> int:
        spawn = {"name": name, "handler": handler, "env": env, "cwd": str(PROJECT_ROOT)}
        with self._lock:
            socket.send_fds(self._control, [json.dumps(spawn).encode()], [channel_fd, log_fd])
            self._control.settimeout(INIT_TIMEOUT_SECONDS)
            reply = self._control.recv(4096)
        if not reply:
            raise OSError("the zygote exited")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        self._control.close()  # it exits when its control socket closes
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _Environment:
    """One warm worker process of one function (forked by the zygote, or started directly)."""

    def __init__(
        self,
        config: FunctionConfig,
        env: dict[str, str],
        generation: int,
        logs: LogSink,
        zygote: Zygote | None,
    ) -> None:
        self.config = config
        self.generation = generation
        self._killed = False
        self._process: subprocess.Popen[bytes] | None = None
        if zygote is not None:
            ours, theirs = socket.socketpair()
            log_read, log_write = os.pipe()
            try:
                self.pid = zygote.fork(
                    config.name, config.handler_spec, env, theirs.fileno(), log_write
                )
            finally:
                theirs.close()
                os.close(log_write)
            self._channel: socket.socket | None = ours
            self._read_fd = self._write_fd = ours.fileno()
            log_stream: IO[bytes] = os.fdopen(log_read, "rb")
        else:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "boulderstat.local.runtime",
                    config.name,
                    config.handler_spec,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=PROJECT_ROOT,
                process_group=0,  # ended with what it started (see kill)
            )
            assert self._process.stdin and self._process.stdout and self._process.stderr
            self.pid = self._process.pid
            self._channel = None
            self._read_fd = self._process.stdout.fileno()
            self._write_fd = self._process.stdin.fileno()
            log_stream = self._process.stderr
        threading.Thread(
            target=self._forward_logs,
            args=(log_stream, logs),
            name=f"logs-{config.name}",
            daemon=True,
        ).start()
        try:
            ready = self._read(time.monotonic() + INIT_TIMEOUT_SECONDS)
        except BaseException:
            self.kill()
            raise
        if "init_error" in ready:
            self.kill()
            error = ready["init_error"]
            raise FunctionError(config.name, error["errorType"], error["errorMessage"])

    def _forward_logs(self, stream: IO[bytes], logs: LogSink) -> None:
        """What the function writes to stdout/stderr, line by line (Lambda: CloudWatch Logs)."""
        with stream:
            for raw in stream:
                logs(self.config.name, raw.decode(errors="replace").rstrip("\n"))

    def invoke(self, event: dict[str, Any]) -> Any:
        started = time.time()
        request = {
            "request_id": str(uuid.uuid4()),
            "deadline": started + self.config.timeout_seconds,
            "event": event,
        }
        data = json.dumps(request).encode()
        frame = len(data).to_bytes(_HEADER_BYTES, "big") + data
        try:
            view = memoryview(frame)
            while view:
                view = view[os.write(self._write_fd, view) :]
        except OSError as error:
            raise self._exited() from error
        deadline = time.monotonic() + self.config.timeout_seconds + KILL_GRACE_SECONDS
        reply = self._read(deadline)
        if "result" in reply:
            return reply["result"]
        raise FunctionError(self.config.name, reply["errorType"], reply["errorMessage"])

    def _read(self, deadline: float) -> dict[str, Any]:
        header = self._read_exactly(_HEADER_BYTES, deadline)
        message: dict[str, Any] = json.loads(
            self._read_exactly(int.from_bytes(header, "big"), deadline)
        )
        return message

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._read_fd], [], [], wait)[0]:
                self.kill()
                seconds = self.config.timeout_seconds
                raise FunctionTimeout(
                    self.config.name, "Sandbox.Timedout", f"Task timed out after {seconds:.2f} s"
                )
            try:
                chunk = os.read(self._read_fd, min(remaining, 1 << 20))
            except OSError:
                chunk = b""
            if not chunk:
                raise self._exited()
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _exited(self) -> FunctionError:
        self.kill()
        return FunctionError(
            self.config.name, "Runtime.ExitError", "the execution environment exited"
        )

    def alive(self) -> bool:
        if self._killed:
            return False
        if self._process is not None:
            return self._process.poll() is None
        try:
            return psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def close(self) -> None:
        """Ends a warm, idle environment: it exits when its channel closes."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            return
        assert self._process is not None
        try:
            if self._process.stdin:
                self._process.stdin.close()
            self._process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        self._killed = True
        if self._process is not None:
            if self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            self._close_pipes()
            return
        try:  # the worker and what it started (its own process group, see runtime)
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:  # not yet its own group, or gone
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _close_pipes(self) -> None:
        assert self._process is not None
        for pipe in (self._process.stdin, self._process.stdout):  # stderr: its reader closes it
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass


class FunctionPool:
    """At most `size` environments of one function; one invocation per environment."""

    def __init__(
        self,
        config: FunctionConfig,
        environment: dict[str, str],
        size: int,
        logs: LogSink,
        zygote: Callable[[], Zygote | None] = lambda: None,
    ) -> None:
        if size < 1:
            raise ValueError("a function needs at least one execution environment")
        self.config = config
        self.size = size
        self._environment = environment
        self._logs = logs
        self._zygote = zygote
        self._generation = 0
        self._idle: list[_Environment] = []
        self._busy: set[_Environment] = set()
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()
        self.started_total = 0  # environments ever started (cold starts)

    def invoke(self, event: dict[str, Any]) -> Any:
        environment = self._acquire()
        healthy = False
        try:
            result = environment.invoke(event)
            healthy = True
            return result
        except FunctionTimeout:
            raise
        except FunctionError:
            healthy = environment.alive()
            raise
        finally:
            self._release(environment, healthy)

    def prestart(self, count: int) -> int:
        """Starts up to `count` environments and leaves them idle (Lambda's provisioned
        concurrency): the next invocations skip the cold start. Returns how many started."""
        started = 0
        for _ in range(count):
            with self._changed:
                if self._closed or len(self._idle) + len(self._busy) + self._starting >= self.size:
                    break
                self._starting += 1
                environment, generation = dict(self._environment), self._generation
            try:
                warm = _Environment(
                    self.config, environment, generation, self._logs, self._zygote()
                )
            finally:
                with self._changed:
                    self._starting -= 1
                    self._changed.notify()
            with self._changed:
                self.started_total += 1
                self._idle.append(warm)
                self._changed.notify()
            started += 1
        return started

    def set_environment(self, environment: dict[str, str]) -> None:
        """New invocations run with `environment`; warm environments are replaced."""
        with self._changed:
            if environment == self._environment:
                return
            self._environment = environment
            self._generation += 1
            stale, self._idle = self._idle, []
        for environment_ in stale:
            environment_.close()

    def counts(self) -> dict[str, int]:
        with self._changed:
            return {"idle": len(self._idle), "busy": len(self._busy), "size": self.size}

    def pids(self) -> list[int]:
        with self._changed:
            return [e.pid for e in (*self._idle, *self._busy)]

    def close(self, wait_seconds: float = 30.0) -> None:
        """Lets running invocations finish (up to `wait_seconds`), then ends every environment."""
        deadline = time.monotonic() + wait_seconds
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            while (self._busy or self._starting) and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            idle, self._idle = self._idle, []
            busy = list(self._busy)
        for environment in idle:
            environment.close()
        for environment in busy:
            environment.kill()

    def _acquire(self) -> _Environment:
        with self._changed:
            while True:
                if self._closed:
                    raise FunctionError(self.config.name, "Local.Stopping", "the stack is stopping")
                while self._idle:
                    candidate = self._idle.pop()  # the most recently used: it is the warmest
                    if candidate.generation == self._generation and candidate.alive():
                        self._busy.add(candidate)
                        return candidate
                    threading.Thread(target=candidate.close, daemon=True).start()
                if len(self._busy) + self._starting < self.size:
                    self._starting += 1
                    environment, generation = dict(self._environment), self._generation
                    break
                self._changed.wait()
        try:
            started = _Environment(self.config, environment, generation, self._logs, self._zygote())
        except BaseException:
            with self._changed:
                self._starting -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._starting -= 1
            self.started_total += 1
            self._busy.add(started)
        return started

    def _release(self, environment: _Environment, healthy: bool) -> None:
        with self._changed:
            self._busy.discard(environment)
            keep = healthy and not self._closed and environment.generation == self._generation
            if keep:
                self._idle.append(environment)
            self._changed.notify()
        if not keep:
            if healthy:
                environment.close()
            else:
                environment.kill()


class LocalFunctions:
    """Every function of the stage, each with its own pool; what the gateway and router call."""

    def __init__(
        self,
        configs: Mapping[str, FunctionConfig],
        base_environment: Mapping[str, str],
        *,
        function_environment: FunctionEnvironment | None = None,
        concurrency: Mapping[str, int] | None = None,
        default_concurrency: int = 2,
        keep_log_lines: int = 5000,
        fork_from_zygote: bool = True,
    ) -> None:
        self._configs = dict(configs)
        self.logs: deque[tuple[str, str]] = deque(maxlen=keep_log_lines)
        self._fork_from_zygote = fork_from_zygote
        self._zygote: Zygote | None = None
        self._zygote_lock = threading.Lock()
        self._base = dict(base_environment)
        self._function_environment = {k: dict(v) for k, v in (function_environment or {}).items()}
        unknown = set(self._function_environment) - set(self._configs)
        if unknown:
            raise ValueError(f"function_environment names unknown functions: {sorted(unknown)}")
        self.pools = {
            name: FunctionPool(
                config,
                self.environment_of(name),
                (concurrency or {}).get(name, default_concurrency),
                self._log,
                self._get_zygote,
            )
            for name, config in self._configs.items()
        }

    def _get_zygote(self) -> Zygote | None:
        """Started on first need; None when workers start as fresh interpreters instead."""
        if not self._fork_from_zygote:
            return None
        with self._zygote_lock:
            if self._zygote is None or self._zygote.process.poll() is not None:
                path = os.pathsep.join(
                    p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p
                )
                self._zygote = Zygote({**os.environ, **self._base, "PYTHONPATH": path})
            return self._zygote

    def environment_of(self, name: str) -> dict[str, str]:
        config = self._configs[name]
        path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
        return {
            **os.environ,
            **self._base,
            "PYTHONPATH": path,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            **self._function_environment.get(name, {}),
        }

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        return self.pools[function_name].invoke(event)

    def log_lines(self, function_name: str | None = None) -> list[str]:
        """The most recent lines the functions logged (oldest first), like a log group."""
        return [line for name, line in list(self.logs) if function_name in (None, name)]

    def _log(self, function_name: str, line: str) -> None:
        self.logs.append((function_name, line))
        # This process's stderr as it is now (a test's capture, or the terminal); a capture
        # closed meanwhile is skipped.
        with contextlib.suppress(ValueError, OSError):
            print(line, file=sys.stderr, flush=True)

    def set_function_environment(self, function_environment: FunctionEnvironment) -> None:
        """Per-function extra variables from now on (warm environments are replaced)."""
        unknown = set(function_environment) - set(self._configs)
        if unknown:
            raise ValueError(f"function_environment names unknown functions: {sorted(unknown)}")
        self._function_environment = {k: dict(v) for k, v in function_environment.items()}
        for name, pool in self.pools.items():
            pool.set_environment(self.environment_of(name))

    def pids(self) -> list[int]:
        return [pid for pool in self.pools.values() for pid in pool.pids()]

    def prestart(self, names: Sequence[str]) -> None:
        """Fills the pools of `names` with warm environments, all at once; returns when done."""
        threads = [
            threading.Thread(target=self.pools[name].prestart, args=(self.pools[name].size,))
            for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def close(self, wait_seconds: float = 30.0) -> None:
        threads = [
            threading.Thread(target=pool.close, args=(wait_seconds,), daemon=True)
            for pool in self.pools.values()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self._zygote_lock:
            if self._zygote is not None:
                self._zygote.close()
                self._zygote = None
