"""Logger, Metrics and Tracer for every function, and the one decorator that wires them.

One place instead of the same three lines and three decorators in every handler. The tracer
(and why it is not always a Powertools Tracer) is boulderstat/tracing.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from boulderstat.tracing import tracer

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["http_handler", "lambda_handler", "logger", "metrics", "tracer"]


logger = Logger()
metrics = Metrics()


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
