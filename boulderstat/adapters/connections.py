"""Network clients live as long as the container, and are dropped when it is snapshotted.

Every long-lived object that holds a network client (boto3 clients, the MongoDB client, the
services built on them) is made by a function decorated with `per_container`: built on first
use, kept for the container's life, forgotten by `drop_connections()`. Lambda SnapStart freezes
a container after its init phase and restores copies of it later, possibly many at once: open
sockets in the snapshot are dead, and credentials resolved before it may have expired. So the
SnapStart hooks (`before_snapshot`, `after_restore`, registered when the runtime provides
`snapshot_restore_py`, python3.12+) close the MongoDB clients and drop everything built on
them; the next request builds fresh clients.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_caches: list[Any] = []
_closers: list[Callable[[], None]] = []


def per_container(function: F) -> F:
    """`functools.cache`, but forgotten by `drop_connections()` (see the module docstring)."""
    cached = cache(function)
    _caches.append(cached)
    return cached  # type: ignore[return-value]


def on_drop(close: Callable[[], None]) -> None:
    """Registers what must be closed when connections are dropped (before the caches are)."""
    _closers.append(close)


def drop_connections() -> None:
    """Closes every client and forgets every object built on one; the next use rebuilds them."""
    for close in _closers:
        close()
    for cached in _caches:
        cached.cache_clear()


def before_snapshot() -> None:
    """No socket or pooled connection may be frozen into the snapshot."""
    drop_connections()


def after_restore() -> None:
    """A restored copy must not share (or reuse) connections and credentials with the others."""
    drop_connections()


def register_snapstart_hooks() -> bool:
    """Registers the hooks with the Lambda runtime's SnapStart library; False where it is absent
    (locally, or a runtime without it), which changes nothing else."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


SNAPSTART_HOOKS_REGISTERED = register_snapstart_hooks()
