"""A small Python client for the BoulderStat API: what `make demo`, the tests and a script use.

It holds the caller's tokens and sends the ID token as a Bearer token. Signed in through
`/auth/token` (e.g. `BoulderStatClient.sign_in_local(api_url, "alice")`), it also holds the
refresh cookie and does what the web app does: on a 401 it refreshes once through
`/auth/refresh` and retries the request once; if that does not help, `SignInRequired`.

The refresh cookie is `Secure`, and requests' cookie jar (rightly) never sends a Secure cookie
over plain http://, which is what the local stack speaks. So the client keeps that one cookie
itself, deliberately: it takes it from the Set-Cookie of /auth responses, sends it only to
`{api_url}/auth/refresh` and `/auth/logout` (its `Path=/auth`), drops it when the server clears
it, and keeps it out of the session's jar. Against https:// it behaves the same.
"""

from __future__ import annotations

import secrets
from http.cookiejar import Cookie, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from boulderstat.auth.cookie import REFRESH_COOKIE_NAME, parse_set_cookie
from boulderstat.auth.pkce import new_code_verifier, s256_challenge

LOCAL_COGNITO_PATH = "/_local/cognito/oauth2"  # the local stack's hosted-UI stand-in
LOCAL_WEB_ORIGIN = "http://localhost:5173"  # the local web app (LOCAL_ORIGINS in local.stack)
LOCAL_REDIRECT_URI = f"{LOCAL_WEB_ORIGIN}/callback"  # the local app client's callback URL


class ApiError(Exception):
    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        try:
            self.body: Any = response.json()
        except ValueError:
            self.body = response.text
        super().__init__(f"{response.request.method} {response.url} -> {self.status}: {self.body}")


class SignInRequired(ApiError):
    """The session is over: the refresh was refused, or the retried request was still 401."""


class _KeepRefreshCookieOut(DefaultCookiePolicy):
    """The session jar never stores the refresh cookie: the client handles that one itself."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return cookie.name != REFRESH_COOKIE_NAME and super().set_ok(cookie, request)


class BoulderStatClient:
    def __init__(
        self,
        api_url: str,
        *,
        id_token: str | None = None,
        access_token: str | None = None,
        origin: str | None = None,
        timeout: float = 30.0,
    ):
        self.api_url = api_url.rstrip("/")
        self.id_token = id_token
        self.access_token = access_token
        # /auth routes require an Origin naming the web app; a browser sends it, we set it.
        self.origin = origin
        self.timeout = timeout
        self.session = requests.Session()
        self.session.cookies.set_policy(_KeepRefreshCookieOut())
        self._refresh_token: str | None = None

    # -- the API -----------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw response, whatever its status (tests assert on 4xx responses).

        With a refresh cookie, a 401 is answered by one refresh and one retry; a refused
        refresh or a second 401 raises SignInRequired instead of returning (any other refresh
        failure, e.g. 503, raises ApiError). A streamed body (`data=<file>`) is not replayed.
        """
        explicit_auth = "authorization" in {h.lower() for h in kwargs.get("headers") or {}}
        response = self._send(method, path, **kwargs)
        if (
            response.status_code != 401
            or explicit_auth
            or self._refresh_token is None
            or path.startswith("/auth/")
        ):
            return response
        self.refresh()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            raise SignInRequired(response)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a successful response; ApiError otherwise."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response)
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    # -- uploads ----------------------------------------------------------------------------
    def upload_in_parts(
        self,
        path: Path,
        content_type: str,
        *,
        part_size: int | None = None,
        climb_id: str | None = None,
        grant: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A resumable multipart upload of `path` (docs/uploads.md); returns the grant.

        Pass an earlier `grant` to resume it: only the parts S3 does not hold yet are sent.
        """
        if grant is None:
            body: dict[str, Any] = {
                "content_type": content_type,
                "size": path.stat().st_size,
                "filename": path.name,
            }
            if part_size is not None:
                body["part_size"] = part_size
            if climb_id is not None:
                body["climb_id"] = climb_id
            grant = dict(self.post("/media/uploads", json=body))
        layout, base = grant["multipart"], f"/media/uploads/{grant['media_id']}"
        held = {p["part_number"] for p in self.get(f"{base}/parts")["parts"]}
        with path.open("rb") as file:
            for number in range(1, layout["part_count"] + 1):
                if number in held:
                    continue
                file.seek((number - 1) * layout["part_size"])
                data = file.read(layout["part_size"])
                url = self.post(f"{base}/parts/{number}")["url"]
                self.session.put(url, data=data, timeout=self.timeout).raise_for_status()
        self.post(f"{base}/complete", json={"upload_id": layout["upload_id"]})
        return grant

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.id_token and "authorization" not in {h.lower() for h in headers}:
            headers["Authorization"] = f"Bearer {self.id_token}"
        return self.session.request(
            method, f"{self.api_url}{path}", headers=headers, timeout=self.timeout, **kwargs
        )

    # -- sign-in sessions --------------------------------------------------------------------
    @property
    def has_session(self) -> bool:
        """True while the client holds a refresh cookie (it can refresh its tokens)."""
        return self._refresh_token is not None

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> None:
        """POST /auth/token: keeps the tokens and the refresh cookie. ApiError if refused."""
        response = self._auth_call(
            "/auth/token",
            json={"code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier},
        )
        if response.status_code != 200:
            raise ApiError(response)
        self._keep_tokens(response.json())

    def refresh(self) -> None:
        """POST /auth/refresh: fresh ID/access tokens. SignInRequired when the session is over."""
        response = self._auth_call("/auth/refresh")
        if response.status_code == 401:
            raise SignInRequired(response)
        if response.status_code != 200:
            raise ApiError(response)
        self._keep_tokens(response.json())

    def sign_out(self) -> None:
        """POST /auth/logout: the refresh token is revoked and every token dropped here."""
        response = self._auth_call("/auth/logout")
        if response.status_code >= 400:
            raise ApiError(response)
        self.id_token = self.access_token = self._refresh_token = None

    def _auth_call(self, path: str, **kwargs: Any) -> requests.Response:
        headers: dict[str, str] = {}  # public routes: no bearer token, only Origin and cookie
        if self.origin:
            headers["Origin"] = self.origin
        if self._refresh_token and path in ("/auth/refresh", "/auth/logout"):
            headers["Cookie"] = f"{REFRESH_COOKIE_NAME}={self._refresh_token}"
        response = self.session.post(
            f"{self.api_url}{path}", headers=headers, timeout=self.timeout, **kwargs
        )
        for header in response.raw.headers.getlist("set-cookie"):
            cookie = parse_set_cookie(header)
            if cookie.name == REFRESH_COOKIE_NAME:
                self._refresh_token = None if cookie.clears else cookie.value
        return response

    def _keep_tokens(self, body: dict[str, Any]) -> None:
        self.id_token = body["id_token"]
        self.access_token = body["access_token"]

    # -- the local stack's hosted-UI stand-in ------------------------------------------------
    @classmethod
    def sign_in_local(
        cls,
        api_url: str,
        username: str,
        *,
        client_id: str | None = None,
        origin: str = LOCAL_WEB_ORIGIN,
        redirect_uri: str = LOCAL_REDIRECT_URI,
        timeout: float = 30.0,
    ) -> BoulderStatClient:
        """Signs a local user in the way the web app does: hosted UI + PKCE, then /auth/token.

        LOCAL STACK ONLY. `client_id` defaults to the local app client in this process's
        settings (the local stack exports them).
        """
        client = cls(api_url, origin=origin, timeout=timeout)
        verifier = new_code_verifier()
        code = client.local_authorization_code(
            username,
            code_challenge=s256_challenge(verifier),
            client_id=client_id,
            redirect_uri=redirect_uri,
        )
        client.exchange_code(code, redirect_uri, verifier)
        return client

    def local_authorization_code(
        self,
        username: str,
        *,
        code_challenge: str,
        client_id: str | None = None,
        redirect_uri: str = LOCAL_REDIRECT_URI,
    ) -> str:
        """Drives the local hosted-UI form like a browser and returns the authorization code."""
        if client_id is None:
            from boulderstat.settings import get_settings

            client_id = get_settings().cognito_client_ids[0]
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "state": state,
            "scope": "openid email profile",
        }
        authorize = f"{self.api_url}{LOCAL_COGNITO_PATH}/authorize"
        form = self.session.get(f"{authorize}?{urlencode(params)}", timeout=self.timeout)
        if form.status_code != 200:
            raise ApiError(form)
        signed_in = self.session.post(
            authorize,
            data={**params, "username": username},
            allow_redirects=False,
            timeout=self.timeout,
        )
        if signed_in.status_code != 302:
            raise ApiError(signed_in)
        query = parse_qs(urlsplit(signed_in.headers["location"]).query)
        if query.get("state") != [state]:
            raise ValueError("the hosted UI returned another sign-in's state")
        return query["code"][0]
