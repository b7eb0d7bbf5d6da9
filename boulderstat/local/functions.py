"""The functions serverless.yml declares, the handlers Lambda runs, and a Lambda-like context.

`load_function_configs` reads each function's timeout and memory from serverless.yml (so the
local stack kills a slow invocation when Lambda would). `invoke` calls a handler in THIS process:
for tests that drive one handler directly. The local stack itself never does that: it runs every
invocation in a worker process (`boulderstat.local.environments`), one at a time, like Lambda.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

Handler = Callable[[dict[str, Any], Any], Any]

SERVERLESS_YML = Path(__file__).resolve().parents[2] / "serverless.yml"


@dataclass(frozen=True)
class FunctionConfig:
    """What Lambda knows about a function before it runs it."""

    name: str
    timeout_seconds: float = 6.0  # Lambda's default
    memory_mb: int = 1024
    handler: str = ""  # serverless.yml's form: functions/<name>/handler.handler

    @property
    def handler_spec(self) -> str:
        return self.handler or f"functions/{self.name}/handler.handler"


@dataclass
class LocalLambdaContext:
    """The attributes Powertools and our handlers read from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 300.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    # Wall-clock deadline (epoch seconds): the parent that enforces it lives in another process.
    deadline: float = 0.0

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = time.time() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


class _IgnoreTags(yaml.SafeLoader):
    """CloudFormation short tags (!Ref, !GetAtt...) do not matter for timeouts and memory."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    """`${param:name}` from the default params, as a stage without overrides would get it."""
    if isinstance(value, str) and value.startswith("${param:") and value.endswith("}"):
        return params.get(value[len("${param:") : -1])
    return value


@cache
def load_function_configs(path: Path = SERVERLESS_YML) -> dict[str, FunctionConfig]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_IgnoreTags)
    params = (document.get("params") or {}).get("default") or {}
    provider = document.get("provider") or {}
    default_timeout = float(_resolve(provider.get("timeout"), params) or 6)
    default_memory = int(_resolve(provider.get("memorySize"), params) or 1024)
    configs = {}
    for name, function in (document.get("functions") or {}).items():
        timeout = _resolve(function.get("timeout"), params)
        memory = _resolve(function.get("memorySize"), params)
        configs[name] = FunctionConfig(
            name,
            timeout_seconds=float(timeout) if timeout else default_timeout,
            memory_mb=int(memory) if memory else default_memory,
            handler=function.get("handler") or "",
        )
    return configs


def import_handler(spec: str) -> Handler:
    """A handler named as serverless.yml names it: `path/to/module.function`."""
    module_path, _, attribute = spec.rpartition(".")
    module = importlib.import_module(module_path.replace("/", "."))
    handler: Handler = getattr(module, attribute)
    return handler


@cache
def load_handler(function_name: str) -> Handler:
    """`functions/<name>/handler.py:handler`, exactly the module path serverless.yml names."""
    return import_handler(f"functions/{function_name}/handler.handler")


def invoke(function_name: str, event: dict[str, Any]) -> Any:
    """Runs a handler in the calling process (tests of one handler; not the local stack)."""
    return load_handler(function_name)(event, LocalLambdaContext(function_name))
