"""The floor under a cold start: the reference plus only what a MongoDB-backed API function
cannot avoid, chosen by BENCH_FLOOR (comma-separated):

- `pymongo`: import pymongo, and on the first call build a client and run one query, the
  same round trip a handler's first request makes (MONGODB_URI, MONGODB_DATABASE);
- `pydantic`: import pydantic and define one model (its first model loads pydantic's schema
  machinery; every request body and response is a model);
- `validation`: the resolver with `enable_validation=True` (Powertools' OpenAPI validation,
  which our API uses to validate requests against the pydantic models).

bench.coldstart prints it next to the handlers so the gap that our code can close is visible.
"""

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

PARTS = set(os.environ.get("BENCH_FLOOR", "").split(","))
if "pydantic" in PARTS:
    import pydantic

    class Reply(pydantic.BaseModel):
        ok: bool


if "pymongo" in PARTS:
    import pymongo

app = APIGatewayHttpResolver(enable_validation="validation" in PARTS)


@app.get("/ping")
def ping() -> dict[str, bool]:
    if "pymongo" in PARTS:
        client: Any = pymongo.MongoClient(os.environ["MONGODB_URI"], tz_aware=True)
        client[os.environ["MONGODB_DATABASE"]]["climbs"].find_one({"user_id": "bench-climber"})
    return {"ok": True}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
