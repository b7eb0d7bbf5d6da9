"""Bodies of the /auth routes and of Cognito's token responses.

Token fields are `repr=False`: a model that ends up in a log line or a traceback shows no token.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from boulderstat import api_examples as ex
from boulderstat.api_examples import examples
from boulderstat.auth.pkce import VERIFIER_SHAPE
from boulderstat.models import Model


class CodeExchange(Model):
    """POST /auth/token: what the web app got back from the hosted UI, plus its PKCE verifier."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(ex.CODE_EXCHANGE))

    code: str = Field(min_length=1, max_length=2048, pattern=r"^[A-Za-z0-9._~+/=-]+$", repr=False)
    # `\x85` spelled out: pydantic's regex counts it as whitespace, JSON Schema's (ECMA) does not.
    redirect_uri: str = Field(min_length=1, max_length=2048, pattern=r"^https?://[^\s\x85]+$")
    code_verifier: str = Field(pattern=VERIFIER_SHAPE.pattern, repr=False)


class SessionTokens(Model):
    """The body of /auth/token and /auth/refresh. The refresh token is only ever a cookie."""

    model_config = ConfigDict(json_schema_extra=examples(ex.SESSION_TOKENS))

    id_token: str = Field(repr=False)
    access_token: str = Field(repr=False)
    expires_in: int
    token_type: str = "Bearer"


class CognitoTokens(Model):
    """Cognito's /oauth2/token answer (authorization_code or refresh_token grant)."""

    model_config = ConfigDict(extra="ignore")

    id_token: str = Field(min_length=1, repr=False)
    access_token: str = Field(min_length=1, repr=False)
    # Present for the code grant; for a refresh only when refresh-token rotation is on.
    refresh_token: str | None = Field(default=None, repr=False)
    expires_in: int = Field(ge=0)
    token_type: str = "Bearer"

    def for_the_browser(self) -> SessionTokens:
        return SessionTokens(
            id_token=self.id_token,
            access_token=self.access_token,
            expires_in=self.expires_in,
            token_type=self.token_type,
        )
