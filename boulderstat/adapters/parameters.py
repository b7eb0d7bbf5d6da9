"""The one way to read a secret from SSM Parameter Store (SecureString, decrypted).

Powertools' SSMProvider caches values for `max_age` seconds, on our boto3 client (timeouts,
local endpoint). Its module loads boto3, so it is imported on first read only.
"""

from __future__ import annotations

from typing import Any

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.settings import Settings


class ParameterUnavailable(RuntimeError):
    """The parameter could not be read (missing, no permission, SSM down): an operator's job."""


@per_container
def _ssm(settings: Settings) -> Any:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=aws_client("ssm", settings))


def secure_parameter(name: str, settings: Settings, *, max_age: int = 300) -> str:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        return str(_ssm(settings).get(name, decrypt=True, max_age=max_age))
    except GetParameterError as error:
        raise ParameterUnavailable(f"cannot read SSM parameter {name}") from error
