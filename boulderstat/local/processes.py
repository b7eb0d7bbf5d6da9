"""Which processes belong to a stack's data folder, and cleaning up after a crashed run.

`<data folder>/stack.pid` names the `local up` process that owns the folder (pid and start
time, so a recycled pid is not mistaken for it). Every child the stack starts (nx-27017, the
functions' workers) carries `BOULDERSTAT_LOCAL_STACK=<data folder>` in its environment. On
start, a live owner means the folder is in use: refuse. A dead one (SIGKILL, power loss) leaves
children that may still hold ports and files: they are stopped, stale PID files removed, and
one line says what was cleaned.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import psutil

MARKER = "BOULDERSTAT_LOCAL_STACK"
PID_FILE = "stack.pid"


class StackAlreadyRunning(RuntimeError):
    pass


def marker_for(data_dir: Path) -> dict[str, str]:
    return {MARKER: str(data_dir.resolve())}


def _owner(data_dir: Path) -> psutil.Process | None:
    try:
        recorded = json.loads((data_dir / PID_FILE).read_text())
        process = psutil.Process(int(recorded["pid"]))
        if abs(process.create_time() - float(recorded["started"])) > 1:
            return None  # the pid was reused by an unrelated process
        return process if process.status() != psutil.STATUS_ZOMBIE else None
    except (FileNotFoundError, ValueError, KeyError, psutil.Error):
        return None


def orphans(data_dir: Path) -> list[psutil.Process]:
    """Processes still marked as children of this data folder (other than this process)."""
    wanted = str(data_dir.resolve())
    found = []
    for process in psutil.process_iter(["pid", "name"]):
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(MARKER) == wanted:
                found.append(process)
        except psutil.Error:  # gone meanwhile, or not ours to read
            continue
    return found


def take_over(data_dir: Path) -> str | None:
    """Makes this process the folder's owner; returns a line about what a crash left, if any."""
    owner = _owner(data_dir)
    if owner is not None and owner.pid != os.getpid():
        raise StackAlreadyRunning(
            f"a local stack (pid {owner.pid}) is already running with {data_dir}; "
            "stop it first, or pass another --data-dir"
        )
    stale_pid_file = (data_dir / PID_FILE).exists()
    left_over = orphans(data_dir)
    for process in left_over:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(left_over, timeout=3)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=3)
    removed = [p for p in data_dir.glob("nx-27017-*.pid")]
    for path in removed:
        path.unlink(missing_ok=True)
    (data_dir / "stack.json").unlink(missing_ok=True)
    me = psutil.Process()
    (data_dir / PID_FILE).write_text(json.dumps({"pid": me.pid, "started": me.create_time()}))
    if not (stale_pid_file or left_over):
        return None
    names = ", ".join(f"{p.info.get('name') or 'process'} {p.pid}" for p in left_over)
    return (
        f"cleaned up after a crashed run in {data_dir}: "
        + (f"stopped {len(left_over)} orphaned process(es) ({names})" if left_over else "")
        + ("; " if left_over and stale_pid_file else "")
        + ("removed its stale PID file" if stale_pid_file else "")
    )


def release(data_dir: Path) -> None:
    owner = _owner(data_dir)
    if owner is None or owner.pid == os.getpid():
        (data_dir / PID_FILE).unlink(missing_ok=True)


def left_by_a_crash(data_dir: Path) -> bool:
    """True when the folder's PID file names a stack that is no longer running."""
    return (data_dir / PID_FILE).exists() and _owner(data_dir) is None


def running_owner(data_dir: Path) -> int | None:
    """The pid of the live stack using `data_dir`, or None (never started, or crashed)."""
    owner = _owner(data_dir)
    return owner.pid if owner is not None else None
