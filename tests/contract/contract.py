"""What the contract tests share: the document under test and how schemathesis is configured."""

from __future__ import annotations

from pathlib import Path

from schemathesis.config import SchemathesisConfig

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parents[1] / "docs" / "openapi.json"


def schemathesis_config() -> SchemathesisConfig:
    return SchemathesisConfig.from_path(HERE / "schemathesis.toml")
