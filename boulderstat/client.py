"""A small Python client for the BoulderStat API: what `make demo`, the tests and a script use.

It holds the caller's tokens and sends the ID token as a Bearer token.
"""

from __future__ import annotations

from typing import Any

import requests


class ApiError(Exception):
    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        try:
            self.body: Any = response.json()
        except ValueError:
            self.body = response.text
        super().__init__(f"{response.request.method} {response.url} -> {self.status}: {self.body}")


class BoulderStatClient:
    def __init__(self, api_url: str, *, id_token: str | None = None, timeout: float = 30.0):
        self.api_url = api_url.rstrip("/")
        self.id_token = id_token
        self.timeout = timeout
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw response, whatever its status (tests assert on 4xx responses)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if self.id_token and "authorization" not in {h.lower() for h in headers}:
            headers["Authorization"] = f"Bearer {self.id_token}"
        return self.session.request(
            method, f"{self.api_url}{path}", headers=headers, timeout=self.timeout, **kwargs
        )

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

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)
