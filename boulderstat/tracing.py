"""The X-Ray tracer of a function, or a stand-in that does nothing when tracing is off.

Tracing follows Powertools' own rule (off outside Lambda and with POWERTOOLS_TRACE_DISABLED=true),
but when it is off we do not build a Powertools Tracer at all: its constructor loads the X-Ray
SDK (~200 ms of every cold start) even when disabled. `tests/unit/test_cold_imports.py` keeps it
that way.

When tracing is on (every deployed stage), Powertools' default patches every library the X-Ray
SDK supports at init, and patching imports each one: botocore (with urllib3) and pymongo went
into every cold start, used or not (~80 ms of CPU for the climbs handler). Our Tracer patches
`httplib` (stdlib) at init, and the adapters patch botocore and pymongo just before they build
their first client (`trace_calls_of`): the same calls are traced. This module builds no Logger or
Metrics, so the adapters can import it without fixing Powertools' settings early.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools.tracing.tracer import Tracer

F = TypeVar("F", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """Powertools' rule, read from the environment once per container."""
    return not Tracer._is_tracer_disabled()  # pinned Powertools; a static method, no X-Ray


class TracingOff:
    """What a disabled Powertools Tracer does (nothing), without importing the X-Ray SDK."""

    disabled = True

    def capture_lambda_handler(self, handler: F | None = None, **_: Any) -> Any:
        return handler if handler is not None else (lambda function: function)

    def capture_method(self, method: F | None = None, **_: Any) -> Any:
        return method if method is not None else (lambda function: function)

    def put_annotation(self, key: str, value: Any) -> None:
        """Annotations only exist in traces."""

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        """Metadata only exists in traces."""

    def patch(self, modules: Any = None) -> None:
        """Nothing to trace."""


tracer: Any = Tracer(patch_modules=("httplib",)) if tracing_enabled() else TracingOff()


@cache
def trace_calls_of(library: str) -> None:
    """X-Ray subsegments for `library`'s calls (`botocore`, `pymongo`) when tracing is on. Call
    it before the library's first client is built (pymongo's listener is read at creation)."""
    tracer.patch(modules=(library,))
