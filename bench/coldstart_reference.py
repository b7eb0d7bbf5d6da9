"""The baseline for cold starts: a minimal Powertools HTTP resolver with one route.

What the smallest Powertools HTTP API function costs to import and answer once; bench.coldstart
prints every handler's times as a ratio of this one's, measured in the same run.
"""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
