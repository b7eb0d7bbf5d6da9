"""Local-only pages served by the local gateway (never deployed)."""

from __future__ import annotations

from boulderstat.local.gateway import ExtraRoute


def local_pages() -> dict[str, ExtraRoute]:
    return {}
