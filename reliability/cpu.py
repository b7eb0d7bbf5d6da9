"""Where a burst's CPU goes: CPU seconds of each part of the stack, and of the client, per item.

On one machine every part shares the cores: the functions' workers (named after their function,
see `boulderstat.local.runtime`), the stack process (moto, the local API gateway, the event
router), nx-27017, and this client. Their CPU per item bounds the throughput any number of
workers can reach: cores / (CPU seconds per item).
"""

from __future__ import annotations

import os
import threading
from collections import Counter

import psutil

STACK = "stack process (moto, API, router)"
CLIENT = "client (uploads, polling)"


class CpuMeter:
    """Samples the CPU times of the stack's process tree and of this process while running."""

    def __init__(self, stack_pid: int, interval: float = 0.5) -> None:
        self._stack_pid = stack_pid
        self._interval = interval
        self._seen: dict[int, float] = {}
        self.seconds: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)

    def start(self) -> CpuMeter:
        self._sample()  # what ran before the start is not counted
        self.seconds.clear()
        self._thread.start()
        return self

    def stop(self) -> Counter[str]:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()
        return self.seconds

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _sample(self) -> None:
        try:
            stack = psutil.Process(self._stack_pid)
            processes = [psutil.Process(os.getpid()), stack, *stack.children(recursive=True)]
        except psutil.Error:  # the stack is restarting
            return
        for process in processes:
            try:
                times = process.cpu_times()
                label = self._label(process)
            except psutil.Error:
                continue
            total = times.user + times.system
            self.seconds[label] += total - self._seen.get(process.pid, 0.0)
            self._seen[process.pid] = total

    def _label(self, process: psutil.Process) -> str:
        if process.pid == os.getpid():
            return CLIENT
        if process.pid == self._stack_pid:
            return STACK
        name = process.name()
        return "workers' zygote" if name.startswith("python") else name


def summary(seconds: Counter[str], items: int, cores: int) -> str:
    """One line: CPU seconds per item by part, their total, and the throughput it allows."""
    if not items or not seconds:
        return "no CPU figures"
    per_item = {label: s / items for label, s in seconds.items()}
    total = sum(per_item.values())
    shown = [(label, v) for label, v in sorted(per_item.items(), key=lambda kv: -kv[1])]
    major = [f"{label} {v:.3f}" for label, v in shown if v >= 0.005]
    minor = sum(v for _, v in shown if v < 0.005)
    if minor:
        major.append(f"other {minor:.3f}")
    return (
        f"CPU per media (core-seconds): {', '.join(major)}; total {total:.3f}, so "
        f"{cores} cores allow at most {cores / total:.1f} media/s"
    )
