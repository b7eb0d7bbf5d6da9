"""The base of every pydantic model of ours: its validator is built on first use, not at import.

Building a model's validator and serializer is most of what defining one costs, and a function
imports many models it never touches on a given request (every event detail, every route's
bodies). `defer_build` moves that cost to the model's first use, so a cold start pays only for
the models its request needs (bench/coldstart.py). Fields, validation, JSON Schema and OpenAPI
are unchanged.
"""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
