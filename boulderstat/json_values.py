"""JSON has one number type: `3` and `3.0` are the same integer (RFC 8259; JSON Schema says an
integer is any number with a zero fractional part). Fields typed `JsonInt` accept both and
still refuse strings and booleans (`"3"`, `true`), which lax pydantic would coerce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def json_int(**constraints: Any) -> Any:
    """An integer field (`ge`, `le`... as for `Field`). The constraints come before the
    validator so pydantic can still publish them as JSON Schema minimum/maximum."""
    return Annotated[int, Field(strict=True, **constraints), BeforeValidator(integral)]


@dataclass(frozen=True)
class DocumentedPattern:
    """Publishes `pattern` in a field's JSON Schema without pydantic enforcing it (a validator
    already does, with a better message), so clients and request generators see the rule."""

    pattern: str

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


# One line of text: no control characters, and something besides whitespace (values are
# stripped). A block of text: control characters other than tab and newlines are refused.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f-\x9f\ufeff][^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"  # may be empty
