"""SignInSessions against Cognito misbehaving: down, silent, refusing, redirecting, garbling.

The happy paths run against the local Cognito in tests/integration/auth. Here an HTTP server
plays a Cognito token endpoint with one scripted answer (what an outage or a misconfigured app
client looks like), and records what we sent it.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME, parse_set_cookie
from boulderstat.auth.errors import AuthorizationCodeRejected, SessionExpired, SignInFailed
from boulderstat.auth.models import CodeExchange
from boulderstat.auth.pkce import new_code_verifier
from boulderstat.auth.sessions import SignInSessions, sign_in_sessions
from boulderstat.auth.token_endpoint import CognitoOAuthEndpoints
from boulderstat.errors import InvalidRequest, ServiceUnavailable
from boulderstat.settings import Settings

REFRESH = "refresh-3b1e7a"
COOKIES = [f"{REFRESH_COOKIE_NAME}={REFRESH}"]
TOKENS = {"id_token": "id-9f2", "access_token": "access-51c", "expires_in": 3600}


@dataclass
class ScriptedCognito:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    received: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    url: str = ""

    def answer(self, status: int, payload: Any, **headers: str) -> None:
        self.status = status
        self.body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.headers = {"content-type": "application/json", **headers}


@pytest.fixture(scope="module")
def _server() -> Iterator[ScriptedCognito]:
    scripted = ScriptedCognito()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            scripted.received.append((self.path, dict(self.headers.items()), form))
            self.send_response(scripted.status)
            for name, value in scripted.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(scripted.body)))
            self.end_headers()
            self.wfile.write(scripted.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scripted.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield scripted
    server.shutdown()
    server.server_close()


@pytest.fixture
def cognito(_server: ScriptedCognito) -> ScriptedCognito:
    _server.answer(200, {})
    _server.received.clear()
    return _server


def _sessions(domain: str, *, secret: str | None = None, timeout: float = 5.0) -> SignInSessions:
    endpoints = CognitoOAuthEndpoints(
        domain, "app-client-1", client_secret=lambda: secret, timeout_seconds=timeout
    )
    return SignInSessions(endpoints, refresh_max_age_seconds=86400)


def _exchange() -> CodeExchange:
    return CodeExchange(
        code="code-77a",
        redirect_uri="https://boulderstat.com/callback",
        code_verifier=new_code_verifier(),
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- Cognito down --------------------------------------------------------------------------
def test_unreachable_cognito_is_503_for_every_step() -> None:
    sessions = _sessions(f"http://127.0.0.1:{_closed_port()}")
    for step in (
        lambda: sessions.start(_exchange()),
        lambda: sessions.refresh(COOKIES),
        lambda: sessions.end(COOKIES),  # logout keeps the cookie: a retry can still revoke
    ):
        with pytest.raises(ServiceUnavailable, match="unavailable; retry"):
            step()


def test_the_settings_domain_is_what_gets_called_and_a_closed_port_is_503() -> None:
    settings = Settings(
        cognito_domain=f"http://127.0.0.1:{_closed_port()}", cognito_client_ids=("c",)
    )
    with pytest.raises(ServiceUnavailable):
        sign_in_sessions(settings).refresh(COOKIES)


def test_a_cognito_that_never_answers_times_out_to_503() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        sessions = _sessions(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.2)
        with pytest.raises(ServiceUnavailable):
            sessions.refresh(COOKIES)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_cognito_errors_and_throttling_are_503(cognito: ScriptedCognito, status: int) -> None:
    cognito.answer(status, b"<html>oops</html>", **{"content-type": "text/html"})
    with pytest.raises(ServiceUnavailable):
        _sessions(cognito.url).start(_exchange())


# -- Cognito refusing ----------------------------------------------------------------------
def test_invalid_grant_means_a_bad_code_on_exchange_and_an_ended_session_on_refresh(
    cognito: ScriptedCognito,
) -> None:
    cognito.answer(400, {"error": "invalid_grant"})
    sessions = _sessions(cognito.url)
    with pytest.raises(AuthorizationCodeRejected) as bad_code:
        sessions.start(_exchange())
    assert (bad_code.value.status, bad_code.value.code) == (400, "invalid_grant")
    with pytest.raises(SessionExpired) as ended:
        sessions.refresh(COOKIES)
    assert ended.value.status == 401
    assert parse_set_cookie(str(sessions.end(COOKIES))).clears  # nothing left to revoke


def test_invalid_request_is_400(cognito: ScriptedCognito) -> None:
    cognito.answer(400, {"error": "invalid_request"})
    sessions = _sessions(cognito.url)
    for step in (lambda: sessions.start(_exchange()), lambda: sessions.refresh(COOKIES)):
        with pytest.raises(InvalidRequest) as error:
            step()
        assert error.value.status == 400


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (400, {"error": "invalid_client"}),
        (401, {"error": "invalid_client"}),
        (400, {"error": "unauthorized_client"}),
        (400, {"error": "unsupported_grant_type"}),
        (404, b"no such path"),  # a wrong COGNITO_DOMAIN path
        (400, {"error": "<script>alert(1)</script>"}),  # never echoed
    ],
)
def test_cognito_refusing_our_app_client_is_502_on_every_step(
    cognito: ScriptedCognito, status: int, payload: Any
) -> None:
    cognito.answer(status, payload)
    sessions = _sessions(cognito.url)
    for step in (
        lambda: sessions.start(_exchange()),
        lambda: sessions.refresh(COOKIES),
        lambda: sessions.end(COOKIES),
    ):
        with pytest.raises(SignInFailed) as error:
            step()
        assert error.value.status == 502
        assert "script" not in error.value.reason


def test_a_redirect_is_never_followed(cognito: ScriptedCognito) -> None:
    cognito.answer(307, b"", location=f"{cognito.url}/elsewhere")
    with pytest.raises(SignInFailed):
        _sessions(cognito.url).start(_exchange())
    assert [path for path, _, _ in cognito.received] == ["/oauth2/token"]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        {"id_token": "SECRET-ID-TOKEN", "access_token": 5, "expires_in": 3600},
        {"id_token": "SECRET-ID-TOKEN", "expires_in": 3600},
        ["SECRET-ID-TOKEN"],
    ],
)
def test_a_garbled_success_is_502_and_quotes_nothing(
    cognito: ScriptedCognito, payload: Any
) -> None:
    cognito.answer(200, payload)
    with pytest.raises(SignInFailed) as error:
        _sessions(cognito.url).start(_exchange())
    # pydantic's message would quote the token: it is neither the reason nor a visible cause.
    assert "SECRET" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


# -- what we send, what we give back -------------------------------------------------------
def test_the_exchange_sends_the_grant_with_basic_client_authentication(
    cognito: ScriptedCognito,
) -> None:
    cognito.answer(200, {**TOKENS, "refresh_token": REFRESH, "token_type": "Bearer"})
    exchange = _exchange()
    out = _sessions(cognito.url, secret="s3cret").start(exchange)

    path, headers, form = cognito.received[0]
    assert path == "/oauth2/token"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"app-client-1:s3cret").decode()
    assert form == {
        "client_id": ["app-client-1"],
        "grant_type": ["authorization_code"],
        "code": [exchange.code],
        "redirect_uri": [exchange.redirect_uri],
        "code_verifier": [exchange.code_verifier],
    }
    assert out.tokens.model_dump() == {**TOKENS, "token_type": "Bearer"}
    assert out.cookie is not None
    cookie = parse_set_cookie(str(out.cookie))
    assert (cookie.value, cookie.max_age) == (REFRESH, 86400)


def test_a_public_client_sends_no_authorization_header(cognito: ScriptedCognito) -> None:
    cognito.answer(200, TOKENS)
    _sessions(cognito.url).refresh(COOKIES)
    _, headers, form = cognito.received[0]
    assert "Authorization" not in headers
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == [REFRESH]


def test_a_refresh_keeps_the_cookie_unless_cognito_rotates_the_refresh_token(
    cognito: ScriptedCognito,
) -> None:
    cognito.answer(200, TOKENS)
    assert _sessions(cognito.url).refresh(COOKIES).cookie is None
    cognito.answer(200, {**TOKENS, "refresh_token": "rotated-1"})
    rotated = _sessions(cognito.url).refresh(COOKIES).cookie
    assert rotated is not None and parse_set_cookie(str(rotated)).value == "rotated-1"


def test_logout_revokes_the_cookies_token(cognito: ScriptedCognito) -> None:
    cognito.answer(200, b"")
    cleared = _sessions(cognito.url).end(COOKIES)
    path, _, form = cognito.received[0]
    assert path == "/oauth2/revoke"
    assert form == {"client_id": ["app-client-1"], "token": [REFRESH]}
    assert parse_set_cookie(str(cleared)).clears


@pytest.mark.parametrize("cookies", [[], ["theme=dark"], [f"{REFRESH_COOKIE_NAME}=a b!"]])
def test_no_or_malformed_cookie_ends_without_asking_cognito(
    cognito: ScriptedCognito, cookies: list[str]
) -> None:
    sessions = _sessions(cognito.url)
    with pytest.raises(SessionExpired, match="sign in again"):
        sessions.refresh(cookies)
    assert parse_set_cookie(str(sessions.end(cookies))).clears
    assert cognito.received == []


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(cognito_domain="https://x.auth.eu-west-1.amazoncognito.com"),  # no client id
        Settings(
            cognito_domain="http://x.auth.eu-west-1.amazoncognito.com", cognito_client_ids=("c",)
        ),
        Settings(cognito_domain="file:///etc/passwd", cognito_client_ids=("c",)),
    ],
)
def test_an_unconfigured_stage_says_so_with_503(settings: Settings) -> None:
    with pytest.raises(ServiceUnavailable, match="not configured"):
        sign_in_sessions(settings)
