"""A local stand-in for API Gateway HTTP APIs (payload format 2.0) with a JWT authorizer.

It verifies Cognito tokens with the pool's JWKS, builds the same event AWS would give the
function, and writes the function's response back. Extra local-only pages (the upload page,
the hosted-UI stand-in) plug in through `extra_routes`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from aws_lambda_powertools import Logger

from boulderstat.local.cognito_jwt import CognitoJwtVerifier, TokenRejected
from boulderstat.local.routes import HttpRoute

logger = Logger(service="local-gateway")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit

ExtraRoute = Callable[["GatewayRequest"], tuple[int, dict[str, str], bytes]]


class GatewayRequest:
    def __init__(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body


def _flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway passes every claim as a string; lists become `[a b]`."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            flat[name] = str(value)
    return flat


def build_event(
    route: HttpRoute,
    request: GatewayRequest,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
    *,
    source_ip: str,
) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request.headers.items()}
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    try:
        body: str | None = request.body.decode() if request.body else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(request.body).decode(), True
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": _flatten_claims(claims), "scopes": None}
        }
    return event


class LocalHttpApi:
    def __init__(
        self,
        routes: list[HttpRoute],
        verifier: CognitoJwtVerifier,
        invoke: Callable[[str, dict[str, Any]], Any],
        *,
        allowed_origins: tuple[str, ...],
        extra_routes: dict[str, ExtraRoute] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.routes = routes
        self.verifier = verifier
        self.invoke = invoke
        self.allowed_origins = allowed_origins
        self.extra_routes = dict(extra_routes or {})
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits forever for a loop that never ran
            self._server.shutdown()
        self._server.server_close()

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        if not origin or origin not in self.allowed_origins:
            return {}
        return {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "access-control-allow-headers": "authorization,content-type",
            "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
            "access-control-max-age": "600",
            "vary": "origin",
        }

    def handle(
        self, request: GatewayRequest, source_ip: str
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        origin = request.headers.get("origin")
        if request.method == "OPTIONS":
            return 204, self.cors_headers(origin), b"", []
        extra = self.extra_routes.get(request.path)
        if extra is not None:
            status, headers, body = extra(request)
            return status, headers, body, []
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return (*_json(413, {"message": "Request Entity Too Large"}), [])
        for route in self.routes:
            params = route.match(request.method, request.path)
            if params is None:
                continue
            # Routed on the raw path, so `%2F` stays inside one segment; each path parameter is
            # then percent-decoded exactly once, as API Gateway hands them to the function.
            params = {name: unquote(value) for name, value in params.items()}
            claims = None
            if route.authorized:
                try:
                    claims = self._authorize(request.headers.get("authorization"))
                except TokenRejected as error:
                    status, headers, body = _json(
                        401, {"message": "Unauthorized", "reason": str(error)}
                    )
                    headers["www-authenticate"] = 'Bearer error="invalid_token"'
                    return status, headers | self.cors_headers(origin), body, []
            event = build_event(route, request, params, claims, source_ip=source_ip)
            started = time.monotonic()
            try:
                response = self.invoke(route.function_name, event)
            except Exception:
                logger.exception("function crashed", route=route.route_key)
                status, headers, body = _json(500, {"message": "Internal Server Error"})
                return status, headers | self.cors_headers(origin), body, []
            logger.debug(
                "invoked", route=route.route_key, ms=round((time.monotonic() - started) * 1000)
            )
            return self._response(response, origin)
        status, headers, body = _json(404, {"message": "Not Found"})
        return status, headers | self.cors_headers(origin), body, []

    def _authorize(self, header: str | None) -> dict[str, Any]:
        if not header:
            raise TokenRejected("missing Authorization header")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise TokenRejected("Authorization header must be 'Bearer <token>'")
        return self.verifier.verify(token.strip())

    def _response(
        self, response: Any, origin: str | None
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        if not isinstance(response, dict) or "statusCode" not in response:
            # HTTP APIs treat a bare value as a 200 JSON body.
            return *_json(200, response), []
        headers = {k.lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(str(v) for v in values)
        body = response.get("body") or ""
        raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
        headers = headers | self.cors_headers(origin)
        return int(response["statusCode"]), headers, raw, list(response.get("cookies") or [])


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


def _make_handler(api: LocalHttpApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm on, a keep-alive client
        # waits ~40 ms (delayed ACK) for every body after the first request.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                self._write(
                    413,
                    {"content-type": "application/json"},
                    b'{"message":"Request Entity Too Large"}',
                    [],
                )
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            request = GatewayRequest(self.command, url.path, url.query, headers, body)
            self._write(*api.handle(request, self.client_address[0]))

        def _write(
            self, status: int, headers: dict[str, str], body: bytes, cookies: list[str]
        ) -> None:
            if status in (204, 304) or status < 200:
                # No body on these, ever: a stray one would be read as the next response.
                body = b""
            self.send_response(status)  # the standard phrase, or none for unusual codes
            for name, value in headers.items():
                if name != "content-length":
                    self.send_header(name, value)
            for cookie in cookies:
                self.send_header("set-cookie", cookie)
            if status not in (204, 304):
                self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY...) gets API Gateway's 404 JSON, not a 501 page.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: our logger speaks
            return

    return Handler
