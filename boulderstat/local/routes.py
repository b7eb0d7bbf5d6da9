"""The HTTP routes, read from serverless.yml so the local gateway and AWS never disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SERVERLESS_YML = Path(__file__).resolve().parents[2] / "serverless.yml"


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function_name: str
    authorized: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", self.path)
        return re.compile(f"^{regex}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method and self.method != "*":
            return None
        found = self.pattern.match(path)
        return found.groupdict() if found else None


class _IgnoreTags(yaml.SafeLoader):
    """CloudFormation short tags (!Ref, !GetAtt...) are irrelevant to routing."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_routes(path: Path = SERVERLESS_YML) -> list[HttpRoute]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_IgnoreTags)
    routes: list[HttpRoute] = []
    for name, function in (document.get("functions") or {}).items():
        for event in function.get("events") or []:
            spec = event.get("httpApi") if isinstance(event, dict) else None
            if spec is None:
                continue
            if isinstance(spec, str):
                method, route_path = spec.split(" ", 1)
                authorized = False
            else:
                method, route_path = spec["method"], spec["path"]
                authorized = bool(spec.get("authorizer"))
            routes.append(HttpRoute(method.upper(), route_path, name, authorized))
    # API Gateway prefers literal segments over parameters: most literal first.
    return sorted(routes, key=lambda r: (r.path.count("{"), -len(r.path)))
