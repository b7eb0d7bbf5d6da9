"""Logger, Metrics and Tracer for every function, and the one decorator that wires them.

One place instead of the same three lines and three decorators in every handler. Tracing follows
Powertools' own rule (off outside Lambda and with POWERTOOLS_TRACE_DISABLED=true), but when it is
off we do not build a Powertools Tracer at all: its constructor loads the X-Ray SDK (~200 ms of
every cold start) even when disabled. `tests/unit/test_cold_imports.py` keeps it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
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


logger = Logger()
metrics = Metrics()
tracer: Any = Tracer() if tracing_enabled() else TracingOff()


def lambda_handler(
    handler: F | None = None,
    *,
    correlation_id_path: str | None = None,
    log_event: bool = False,
    capture_response: bool | None = None,
) -> Any:
    """Logs with the Lambda context (and the request id as correlation id), traces when tracing
    is on, flushes metrics. `capture_response=False` keeps tokens or URLs out of traces."""
    if handler is None:
        return partial(
            lambda_handler,
            correlation_id_path=correlation_id_path,
            log_event=log_event,
            capture_response=capture_response,
        )
    wrapped = metrics.log_metrics(handler)
    wrapped = tracer.capture_lambda_handler(wrapped, capture_response=capture_response)
    # clear_state: keys a handler appends are that event's only (a warm container is reused).
    return logger.inject_lambda_context(
        wrapped, correlation_id_path=correlation_id_path, log_event=log_event, clear_state=True
    )


def http_handler(app: Any) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """An HTTP function's Lambda entry point: its resolver (`http_api.create_http_app`) behind
    this wiring, with API Gateway's request id as the correlation id."""

    @lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
