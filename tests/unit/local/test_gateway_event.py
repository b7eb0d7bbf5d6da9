"""The local gateway must hand functions the same event API Gateway HTTP APIs (v2) produce."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from boulderstat.local.gateway import GatewayRequest, build_event
from boulderstat.local.routes import HttpRoute, load_routes


def test_event_parses_as_http_api_v2_with_claims_and_params() -> None:
    route = HttpRoute("GET", "/climbs/{climbId}", "climbs", authorized=True)
    request = GatewayRequest(
        "GET",
        "/climbs/abc",
        "grade=5&tag=a&tag=b",
        {"Host": "localhost", "Cookie": "a=1; b=2", "User-Agent": "pytest"},
        b"",
    )
    params = route.match("GET", "/climbs/abc")
    assert params == {"climbId": "abc"}
    claims = {"sub": "user-1", "cognito:groups": ["x", "y"], "exp": 123}
    event = APIGatewayProxyEventV2(build_event(route, request, params, claims, source_ip="1.2.3.4"))

    assert event.route_key == "GET /climbs/{climbId}"
    assert event.path_parameters == {"climbId": "abc"}
    assert event.query_string_parameters == {"grade": "5", "tag": "a,b"}
    assert event.cookies == ["a=1", "b=2"]
    assert event.request_context.http.method == "GET"
    assert event.request_context.http.source_ip == "1.2.3.4"
    # API Gateway stringifies every claim.
    assert event.request_context.authorizer.jwt_claim == {
        "sub": "user-1",
        "cognito:groups": "[x y]",
        "exp": "123",
    }
    assert event.body is None


def test_binary_bodies_are_base64_encoded() -> None:
    route = HttpRoute("POST", "/x", "f", authorized=False)
    event = build_event(
        route, GatewayRequest("POST", "/x", "", {}, b"\xff\x00"), {}, None, source_ip=""
    )
    assert event["isBase64Encoded"] is True
    assert event["body"] == "/wA="
    assert "authorizer" not in event["requestContext"]


def test_literal_routes_win_over_parameters(tmp_path: Path) -> None:
    yml = tmp_path / "serverless.yml"
    yml.write_text(
        "functions:\n"
        "  climbs:\n"
        "    handler: h\n"
        "    events:\n"
        "      - httpApi: {method: GET, path: '/climbs/{climbId}', authorizer: {name: c}}\n"
        "      - httpApi: {method: GET, path: /climbs/stats, authorizer: {name: c}}\n"
        "      - httpApi: 'POST /auth/token'\n"
        "    role: !GetAtt Role.Arn\n"
    )
    routes = load_routes(yml)
    first = next(r for r in routes if r.match("GET", "/climbs/stats") is not None)
    assert first.path == "/climbs/stats"
    public = next(r for r in routes if r.path == "/auth/token")
    assert public.authorized is False and public.method == "POST"


def test_repository_routes_are_all_authorized_except_auth() -> None:
    for route in load_routes():
        assert route.authorized == (not route.path.startswith("/auth/")), route
