"""No token, code or verifier ever reaches a log line or the console.

Every sign-in path runs once (exchange, refresh, refused refresh, cross-site, replayed code,
logout, refresh after logout, Cognito down) with our loggers at DEBUG (the auth function's in its
own execution environments); then every captured log record (message, extra fields, exception
text), every line the functions logged and everything written to stdout/stderr is searched for
each secret the flow handled.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterator

import pytest

from boulderstat.auth.pkce import new_code_verifier
from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack, free_port
from tests.integration.auth.web_app import SignedIn, auth_post, exchange_body, set_cookies


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.function_lines_before = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.getMessage()} {record.__dict__!r}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


def _our_loggers() -> list[logging.Logger]:
    """Powertools loggers (the functions', the domain's, the gateway's) and our packages'."""
    found = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
        and (
            getattr(logger, "powertools_handler", None) is not None
            or logger.name.startswith(("boulderstat", "functions"))
        )
    ]
    return found


@pytest.fixture
def captured_logs(stack: LocalStack) -> Iterator[_Everything]:
    importlib.import_module("functions.auth.handler")  # its loggers exist before we hook in
    handler = _Everything()
    loggers = _our_loggers()
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)  # anything else at its own level (warnings)
    assert stack.functions is not None
    handler.function_lines_before = len(stack.functions.log_lines())
    with stack.function_environment_patch("auth", POWERTOOLS_LOG_LEVEL="DEBUG"):
        yield handler
    logging.getLogger().removeHandler(handler)
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_no_secret_of_any_sign_in_path_is_logged(
    stack: LocalStack,
    sign_in: Callable[..., SignedIn],
    captured_logs: _Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    session = sign_in("hygiene")
    secrets = [
        session.code,
        session.verifier,
        session.refresh_token,
        session.body["id_token"],
        session.body["access_token"],
    ]
    refreshed = auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token).json()
    secrets += [refreshed["id_token"], refreshed["access_token"]]
    auth_post(stack, "/auth/refresh", origin="https://evil.example", refresh_token="x" * 40)
    auth_post(stack, "/auth/refresh", refresh_token="never-issued-refresh-token-0001")
    replay = auth_post(
        stack, "/auth/token", json=exchange_body(session.code, session.verifier)
    ).json()
    assert replay["error"] == "invalid_grant"
    unused_verifier = new_code_verifier()
    secrets.append(unused_verifier)
    auth_post(stack, "/auth/token", json=exchange_body("made-up-code-1234", unused_verifier))
    assert auth_post(stack, "/auth/logout", refresh_token=session.refresh_token).status_code == 204
    after = auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token)
    assert set_cookies(after)[0].clears

    client = BoulderStatClient.sign_in_local(stack.api_url, "hygiene-client")
    assert client.id_token is not None and client.access_token is not None
    secrets += [client.id_token, client.access_token]
    client.refresh()
    secrets += [client.id_token, client.access_token]
    client.sign_out()

    # Cognito down: warnings are logged, tokens not.
    with stack.function_environment_patch(
        "auth", POWERTOOLS_LOG_LEVEL="DEBUG", COGNITO_DOMAIN=f"http://127.0.0.1:{free_port()}"
    ):
        down = auth_post(stack, "/auth/refresh", refresh_token=session.refresh_token)
        assert down.status_code == 503

    assert stack.functions is not None
    # A worker's log lines reach the stack asynchronously (like CloudWatch): wait for the last.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        "Cognito unreachable" in line for line in stack.functions.log_lines("auth")
    ):
        time.sleep(0.05)
    console = capfd.readouterr()
    function_lines = stack.functions.log_lines()[captured_logs.function_lines_before :]
    logged = "\n".join(captured_logs.lines + function_lines)
    # The capture is live: the refused refreshes above were logged (without their tokens).
    assert "refresh refused by Cognito" in logged
    assert "Cognito unreachable" in logged
    assert "never-issued-refresh-token-0001" not in logged
    for secret in secrets:
        assert len(secret) >= 20
        assert secret not in logged
        assert secret not in console.out
        assert secret not in console.err
