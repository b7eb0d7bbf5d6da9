"""Client file names are display text only: never part of a key, a path or a header."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_CHARS = 120
_WHITESPACE = re.compile(r"\s+")


def display_filename(raw: str | None) -> str | None:
    """The last path segment, NFC-normalized, without control/format characters, bounded."""
    if raw is None:
        return None
    name = unicodedata.normalize("NFC", raw)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = _WHITESPACE.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS].rstrip()
    return name or None
