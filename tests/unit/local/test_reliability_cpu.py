"""`make reliability`'s CPU line: CPU seconds per media by part, and the bound they set."""

from __future__ import annotations

from collections import Counter

from reliability.cpu import summary


def test_summary_orders_parts_folds_small_ones_and_states_the_bound() -> None:
    seconds = Counter(
        {"thumbnail": 20.0, "stack process (moto, API, router)": 8.0, "sweeper": 0.2, "auth": 0.1}
    )

    line = summary(seconds, items=100, cores=2)

    assert line == (
        "CPU per media (core-seconds): thumbnail 0.200, stack process (moto, API, router) "
        "0.080, other 0.003; total 0.283, so 2 cores allow at most 7.1 media/s"
    )


def test_summary_without_items_says_so() -> None:
    assert summary(Counter({"thumbnail": 1.0}), items=0, cores=2) == "no CPU figures"
