"""Errors the domain raises; the HTTP layer turns each into a precise status with a reason."""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidRequest(DomainError):
    status = 400
    code = "invalid_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class NotFound(DomainError):
    """Also what another user's data looks like: never reveal that it exists."""

    status = 404
    code = "not_found"


class ValidationFailed(DomainError):
    """Well-formed input that breaks a rule needing stored state or the clock (e.g. a patch that
    makes a flash take 3 attempts, a date in the future): the same 422 as schema validation."""

    status = 422
    code = "validation_error"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PreconditionFailed(DomainError):
    """`If-Match` named a revision that is no longer current: re-read, re-apply, retry."""

    status = 412
    code = "precondition_failed"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"


class UnknownQueryParameter(InvalidRequest):
    """A misspelt filter (`min_grad=V5`) must not silently return everything."""

    code = "unknown_query_parameter"


class InvalidCursor(InvalidRequest):
    """A cursor this API did not issue (or from an older, incompatible version)."""

    code = "invalid_cursor"


class MalformedBody(InvalidRequest):
    """A body that is not UTF-8 JSON at all (as opposed to JSON that breaks the schema: 422)."""

    code = "malformed_body"
