"""Loads the same handler modules Lambda runs and calls them with a Lambda-like context."""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


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
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@cache
def load_handler(function_name: str) -> Handler:
    """`functions/<name>/handler.py:handler`, exactly the module path serverless.yml names; a
    dotted path (`consumers.<name>.handler.handler`) names a downstream consumer's handler."""
    if "." in function_name:
        module_path, _, attribute = function_name.rpartition(".")
        return getattr(importlib.import_module(module_path), attribute)  # type: ignore[no-any-return]
    module = importlib.import_module(f"functions.{function_name}.handler")
    return module.handler


def invoke(function_name: str, event: dict[str, Any]) -> Any:
    return load_handler(function_name)(event, LocalLambdaContext(function_name))
