"""Runs bench.cases in fresh processes and reads each one's peak RSS from the kernel.

Linux carries a process's RSS high-water mark across fork and exec, so a child can never
report less than its parent had when it forked. The launcher therefore stays small: media are
generated in a separate process, and every measurement runs before any in-process analysis.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# ru_maxrss is in KiB on Linux and in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def mib(maxrss: int) -> float:
    return maxrss * _RSS_UNIT / (1024 * 1024)


def launcher_rss_mib() -> float:
    """The floor under every child's reported peak (see the module docstring)."""
    return mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


@dataclass(frozen=True)
class Sample:
    """One run. `peak_rss_mib` is the case process's (wait4), `tools_` its ffmpeg children's."""

    ms: float
    cpu_ms: float
    peak_rss_mib: float
    tools_peak_rss_mib: float
    extra: dict[str, Any]


@dataclass(frozen=True)
class Measurement:
    """Medians over fresh-process runs; `extra` is the last run's case-specific output."""

    ms: float
    cpu_ms: float
    peak_rss_mib: float
    tools_peak_rss_mib: float
    runs: int
    extra: dict[str, Any]
    out_dir: Path


def run_once(case: str, src: Path, out_dir: Path) -> Sample:
    """One fresh interpreter; os.wait4 returns the rusage of exactly that child."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.cases", case, str(src), str(out_dir)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            message = stderr.read().decode(errors="replace")
            raise RuntimeError(f"case {case} failed:\n{message}")
    result = json.loads(output)
    # wait4's figure also covers the child's own children (ffmpeg): keep the Python one apart.
    tools_maxrss = result.pop("tools_maxrss")
    own_maxrss = result.pop("self_maxrss") if tools_maxrss else usage.ru_maxrss
    return Sample(
        ms=result.pop("ms"),
        cpu_ms=result.pop("cpu_ms"),
        peak_rss_mib=mib(own_maxrss),
        tools_peak_rss_mib=mib(tools_maxrss),
        extra=result,
    )


def measure(cases: Sequence[str], src: Path, scratch: Path, *, runs: int) -> dict[str, Measurement]:
    """Runs the cases in turn, `runs` rounds, so a busy spell on the machine hits all alike."""
    samples: dict[str, list[Sample]] = {case: [] for case in cases}
    for _ in range(runs):
        for case in cases:
            samples[case].append(run_once(case, src, scratch / case))
    return {
        case: Measurement(
            ms=statistics.median(s.ms for s in runs_of_case),
            cpu_ms=statistics.median(s.cpu_ms for s in runs_of_case),
            peak_rss_mib=statistics.median(s.peak_rss_mib for s in runs_of_case),
            tools_peak_rss_mib=statistics.median(s.tools_peak_rss_mib for s in runs_of_case),
            runs=runs,
            extra=runs_of_case[-1].extra,
            out_dir=scratch / case,
        )
        for case, runs_of_case in samples.items()
    }
