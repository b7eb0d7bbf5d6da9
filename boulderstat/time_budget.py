"""How long a piece of work may still run: the one deadline an invocation hands to its domain.

Lambda kills a function at its timeout without running any of our code, which would leave media
`processing` forever. So handlers turn the context's remaining time, minus a margin for the
writes that must follow (renditions, MongoDB, the event), into a TimeBudget, and the domain
gives up cleanly when it runs out. The domain never sees the Lambda context itself.
"""

from __future__ import annotations

import time


class TimeBudget:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    @classmethod
    def before_timeout(cls, remaining_ms: int, *, margin_seconds: float) -> TimeBudget:
        """An invocation's budget: `remaining_ms` (Lambda's context) less a margin."""
        return cls(remaining_ms / 1000 - margin_seconds)

    def left(self) -> float:
        """Seconds left; zero or less once spent."""
        return self._end - time.monotonic()

    @property
    def spent(self) -> bool:
        return self.left() <= 0
