"""Document revisions as HTTP entity tags: `ETag` on responses, `If-Match` on changes.

Every stored climb and media document carries a `revision` that each write bumps (the
compare-and-set guard of its repository). The ETag is that number as a strong entity tag, so a
client that sends it back in `If-Match` changes exactly the version it saw, or gets 412.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STRONG_TAG = re.compile(r'\s*"(\d{1,18})"\s*')


def etag(revision: int) -> str:
    return f'"{revision}"'


@dataclass(frozen=True)
class IfMatch:
    """A parsed `If-Match`: `*` (any current version) or the revisions the client accepts.

    Comparison is strong (RFC 9110 13.1.1): weak tags (`W/"3"`) and anything that is not one
    of our tags match nothing, so a malformed header fails safe with 412 instead of writing.
    """

    any_revision: bool
    revisions: frozenset[int]

    @classmethod
    def parse(cls, header: str | None) -> IfMatch | None:
        """None when there is no header: the change is unconditional, as before ETags."""
        if header is None:
            return None
        if header.strip() == "*":
            return cls(any_revision=True, revisions=frozenset())
        found = set()
        for part in header.split(","):
            match = _STRONG_TAG.fullmatch(part)
            if match:
                found.add(int(match.group(1)))
        return cls(any_revision=False, revisions=frozenset(found))

    def allows(self, revision: int) -> bool:
        return self.any_revision or revision in self.revisions
