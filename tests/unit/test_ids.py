"""The one id generator: its format, its order and its uniqueness, checked against the standard
library's UUID parser and literal times (never against the generator's own arithmetic)."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

from boulderstat.ids import ID_PATTERN, is_id, new_id

NEW_YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)
NEW_YEAR_2026_MS = 1_767_225_600_000  # `date -u -d 2026-01-01 +%s` x 1000


def test_an_id_is_a_uuid7_in_32_lowercase_hex_characters() -> None:
    made = new_id()
    assert re.fullmatch(r"[0-9a-f]{32}", made) and re.fullmatch(ID_PATTERN, made)
    parsed = uuid.UUID(hex=made)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert parsed.hex == made


def test_its_first_48_bits_are_the_unix_milliseconds_of_its_creation() -> None:
    ms = uuid.UUID(hex=new_id(NEW_YEAR_2026 + timedelta(days=3, milliseconds=7))).int >> 80
    assert ms == NEW_YEAR_2026_MS + 3 * 86_400_000 + 7
    assert uuid.UUID(hex=new_id()).int >> 80 > NEW_YEAR_2026_MS


def test_ids_sort_in_creation_order_even_within_one_millisecond() -> None:
    standing = NEW_YEAR_2026 + timedelta(days=10)  # a clock that stands still, as in tests
    same_millisecond = [new_id(standing) for _ in range(1000)]
    assert same_millisecond == sorted(same_millisecond)
    assert len(set(same_millisecond)) == 1000
    assert new_id(standing + timedelta(milliseconds=1)) > same_millisecond[-1]
    assert new_id(standing - timedelta(milliseconds=1)) < same_millisecond[0]
    assert new_id() > same_millisecond[-1]  # now is later than 2026-01-11


def test_ids_are_unique_across_threads() -> None:
    made: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(8)

    def run(mine: list[str]) -> None:
        start.wait()
        mine.extend(new_id() for _ in range(5000))

    threads = [threading.Thread(target=run, args=(mine,)) for mine in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [i for mine in made for i in mine]
    assert len(every) == 40_000 and len(set(every)) == 40_000
    assert all(mine == sorted(mine) for mine in made)  # each thread sees them increase


def _ids_in_a_process(count: int) -> list[str]:
    return [new_id(NEW_YEAR_2026) for _ in range(count)]


def test_ids_are_unique_across_processes_in_the_same_millisecond() -> None:
    new_id(NEW_YEAR_2026)  # forked children start where this process stands
    with ProcessPoolExecutor(max_workers=2) as pool:
        batches = list(pool.map(_ids_in_a_process, [20_000, 20_000]))
    every = [i for batch in batches for i in batch]
    assert len(set(every)) == 40_000


def test_is_id_accepts_only_the_format() -> None:
    assert is_id(new_id())
    assert is_id("019ab8c3d2e07f1a9b2c3d4e5f607182")
    for bad in ("019AB8C3D2E07F1A9B2C3D4E5F607182", "019ab8c3", "019ab8c3d2e07f1a9b2c3d4e5f60718z"):
        assert not is_id(bad)
    assert not is_id(str(uuid.uuid4()))  # dashed form
