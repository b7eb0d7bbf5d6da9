"""Execution environments: one invocation per worker process, Lambda's timeout and failures,
and each function's own environment variables (and so its own AWS credentials)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from boulderstat.local.environments import FunctionError, FunctionTimeout, LocalFunctions
from boulderstat.local.functions import FunctionConfig

PROBES = "tests/integration/local/probe_functions"
BASE = {"AWS_ACCESS_KEY_ID": "harness-key", "AWS_SECRET_ACCESS_KEY": "harness-secret"}


def _gone(pid: int, within: float = 5.0) -> bool:
    """Killed processes vanish once reaped (by the kernel, for zygote-forked workers)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def _config(name: str, handler: str, timeout: float = 10.0) -> FunctionConfig:
    return FunctionConfig(name, timeout_seconds=timeout, handler=f"{PROBES}.{handler}")


@pytest.fixture
def functions() -> Iterator[LocalFunctions]:
    local = LocalFunctions(
        {
            "reporter": _config("reporter", "report", timeout=7),
            "other": _config("other", "report"),
            "holder": _config("holder", "hold"),
            "slow": _config("slow", "hold", timeout=1),
            "parent": _config("parent", "start_child_and_hang", timeout=1),
            "failing": _config("failing", "fail"),
            "crashing": _config("crashing", "exit_now"),
            "unserializable": _config("unserializable", "not_json"),
        },
        BASE,
        function_environment={"reporter": {"AWS_ACCESS_KEY_ID": "reporter-key", "ONLY": "me"}},
        concurrency={"holder": 3},
        default_concurrency=1,
    )
    yield local
    local.close(wait_seconds=5)


def test_each_function_runs_with_its_own_environment_and_credentials(
    functions: LocalFunctions,
) -> None:
    own = functions.invoke("reporter", {"names": ["ONLY", "AWS_LAMBDA_FUNCTION_NAME"]})
    other = functions.invoke("other", {"names": ["ONLY", "AWS_LAMBDA_FUNCTION_NAME"]})
    assert own["env"] == {"ONLY": "me", "AWS_LAMBDA_FUNCTION_NAME": "reporter"}
    assert own["access_key"] == "reporter-key"  # boto3 in the worker reads the worker's env
    assert other["env"] == {"ONLY": None, "AWS_LAMBDA_FUNCTION_NAME": "other"}
    assert other["access_key"] == "harness-key"
    assert own["pid"] != other["pid"]
    assert 0 < own["remaining_ms"] <= 7000


def test_a_changed_function_environment_replaces_warm_environments(
    functions: LocalFunctions,
) -> None:
    before = functions.invoke("reporter", {})
    assert functions.invoke("reporter", {})["pid"] == before["pid"]  # warm: reused
    functions.set_function_environment({"reporter": {"AWS_ACCESS_KEY_ID": "rotated-key"}})
    after = functions.invoke("reporter", {})
    assert after["access_key"] == "rotated-key"
    assert after["pid"] != before["pid"]
    assert _gone(before["pid"])


def test_concurrent_invocations_never_share_an_environment(functions: LocalFunctions) -> None:
    with ThreadPoolExecutor(max_workers=9) as pool:
        results = list(pool.map(lambda _: functions.invoke("holder", {"seconds": 0.3}), range(9)))
    assert {r["most_active"] for r in results} == {1}  # never two at once in one process
    assert 1 < len({r["pid"] for r in results}) <= 3  # the pool's bound
    assert functions.pools["holder"].started_total <= 3


def test_an_invocation_past_the_timeout_is_killed_and_its_environment_replaced(
    functions: LocalFunctions,
) -> None:
    warm = functions.invoke("slow", {"seconds": 0.01})["pid"]
    started = time.monotonic()
    with pytest.raises(FunctionTimeout, match=r"timed out after 1\.00 s"):
        functions.invoke("slow", {"seconds": 30})
    assert time.monotonic() - started < 5
    assert _gone(warm)
    assert functions.invoke("slow", {"seconds": 0.01})["pid"] != warm


def test_a_killed_environment_takes_the_processes_it_started_along(
    functions: LocalFunctions, tmp_path: Path
) -> None:
    """As Lambda ends a sandbox: no ffmpeg goes on transcoding after its invocation died."""
    pid_file = tmp_path / "child.pid"
    with pytest.raises(FunctionTimeout):
        functions.invoke("parent", {"pid_file": str(pid_file)})

    assert _gone(int(pid_file.read_text()))


def test_a_raised_error_is_reported_like_lambda_and_the_environment_stays_warm(
    functions: LocalFunctions,
) -> None:
    with pytest.raises(FunctionError) as first:
        functions.invoke("failing", {"message": "no such climb"})
    assert (first.value.error_type, first.value.message) == ("ValueError", "no such climb")
    [pid] = functions.pools["failing"].pids()
    with pytest.raises(FunctionError):
        functions.invoke("failing", {})
    assert functions.pools["failing"].pids() == [pid]


def test_a_result_that_is_not_json_is_an_error(functions: LocalFunctions) -> None:
    with pytest.raises(FunctionError) as error:
        functions.invoke("unserializable", {})
    assert error.value.error_type == "TypeError"


def test_an_environment_that_dies_mid_invocation_fails_it_and_is_replaced(
    functions: LocalFunctions,
) -> None:
    with pytest.raises(FunctionError) as error:
        functions.invoke("crashing", {})
    assert error.value.error_type == "Runtime.ExitError"
    assert functions.pools["crashing"].pids() == []


def test_functions_log_lines_are_kept_per_function(functions: LocalFunctions) -> None:
    with pytest.raises(FunctionError):
        functions.invoke("failing", {})
    functions.invoke("reporter", {})
    deadline = time.monotonic() + 5
    while not functions.log_lines("failing") and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = "\n".join(functions.log_lines("failing"))
    assert "[ERROR] ValueError: probe failed" in logged  # as Lambda's runtime logs it
    assert "Traceback" in logged
    assert functions.log_lines("reporter") == []


def test_unknown_functions_in_function_environment_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown functions"):
        LocalFunctions({}, BASE, function_environment={"typo": {"A": "b"}})


def test_a_worker_process_is_named_after_its_function(functions: LocalFunctions) -> None:
    functions.invoke("reporter", {})
    [pid] = functions.pools["reporter"].pids()

    assert psutil.Process(pid).name() == "reporter"
