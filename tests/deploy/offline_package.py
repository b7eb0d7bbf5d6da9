"""Helpers for the deploy tests: the two scripts they drive, and a view of a packaged stage."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("staging", "prod")
# The tests pass every placeholder parameter explicitly (`--param`), as an operator would before
# filling in serverless.yml: plugins/stage-parameters.js refuses REPLACE_ME values.
SHARED_TEST_PARAMS = {
    "cognitoUserPoolId": "eu-west-1_TestPool01",
    "cognitoDomain": "https://boulderstat-test.auth.eu-west-1.amazoncognito.com",
    "alarmEmail": "alarms@example.com",
    # One line: a --param value cannot hold the PEM's line breaks (not a key: never used).
    "cloudfrontPublicKey": "TEST_PUBLIC_KEY_NOT_A_PEM",
    "siteCertificateId": "00000000-0000-4000-8000-000000000000",
}
TEST_PARAMS = {
    stage: {**SHARED_TEST_PARAMS, "cognitoAppClientId": f"test{stage}appclient0000000"}
    for stage in STAGES
}


def _load(script: str) -> ModuleType:
    path = ROOT / "scripts" / f"{script}.py"
    spec = importlib.util.spec_from_file_location(script.replace("-", "_"), path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_layers = _load("build-layers")
package_offline = _load("package-offline")


@dataclass(frozen=True)
class Packaged:
    stage: str
    directory: Path
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        return self.of_type("AWS::Lambda::Function")

    def function(self, name: str) -> dict[str, Any]:
        """A function by its key in serverless.yml (on_object_created, thumbnail, ...)."""
        wanted = f"boulderstat-{self.stage}-{name}"
        found = [f for f in self.functions.values() if f["Properties"]["FunctionName"] == wanted]
        assert len(found) == 1, f"no function {wanted}"
        return found[0]

    def logical_id(self, resource: dict[str, Any]) -> str:
        return next(k for k, v in self.resources.items() if v is resource)
