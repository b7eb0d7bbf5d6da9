"""The scenarios of `make reliability`, each on a fresh `local up` process and data folder."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boulderstat.adapters.aws import aws_client
from boulderstat.local.subscriber import Subscriber
from boulderstat.settings import Settings
from reliability.cpu import CpuMeter, summary
from reliability.stack_process import StackProcess
from reliability.workload import (
    Climber,
    Item,
    Tally,
    check_items,
    climb_clients,
    count_duplicates,
    make_items,
    run_burst,
    sign_in,
    undecodable_jpeg,
    watch_until_final,
)


@dataclass
class Result:
    name: str
    load: str
    faults: str
    tally: Tally
    burst: bool = True


class EventLog:
    """Every event on the stack's bus, collected in the background (a downstream consumer)."""

    def __init__(self, stack: StackProcess) -> None:
        env = stack.environment()
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        settings = Settings.from_env(env)
        self._subscriber = Subscriber(
            aws_client("sqs", settings), aws_client("events", settings), settings.event_bus_name
        )
        self._events = aws_client("events", settings)
        self._bus = settings.event_bus_name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        self.on_event: Callable[[dict[str, Any]], None] | None = None

    @property
    def received(self) -> list[dict[str, Any]]:
        return self._subscriber.received

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                for event in self._subscriber.poll(wait_seconds=1):
                    if self.on_event:
                        self.on_event(event)
            except Exception:  # the stack is restarting
                time.sleep(0.5)

    def republish(self, event: dict[str, Any]) -> None:
        self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                }
            ]
        )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def fresh_stack(root: Path, name: str, **kwargs: Any) -> Iterator[StackProcess]:
    stack = StackProcess(root / name / "data", **kwargs)
    try:
        yield stack.start()
    finally:
        if stack.proc and stack.proc.poll() is None:
            stack.stop()
        stack.ensure_stopped()


def _climbers(stack: StackProcess, count: int) -> list[Climber]:
    return [sign_in(stack, f"climber-{n}-{uuid.uuid4().hex[:6]}") for n in range(count)]


def _finish(
    stack: StackProcess,
    items: list[Item],
    log: EventLog | None,
    started: float,
    budget: float,
    meter: CpuMeter | None = None,
) -> Tally:
    watch_until_final(stack, items, time.monotonic() + budget)
    cpu = meter.stop() if meter is not None else None
    tally = Tally()
    check_items(stack, items, tally)
    finals = [i.final_at for i in items if i.final_at]
    tally.seconds = (max(finals) if finals else time.monotonic()) - started
    if log is not None:
        time.sleep(2)  # the last events reach the subscriber
        duplicated, wrong = count_duplicates(log.received, items)
        tally.duplicated += duplicated
        tally.wrong_identity += wrong
    if cpu is not None:
        tally.notes.append(summary(cpu, tally.items, os.cpu_count() or 1))
    return tally


def burst(root: Path, queue_workers: int | None, media: int = 100) -> Result:
    """Burst of photos from 10 climbers, 20 uploads at a time, until all are final."""
    with fresh_stack(
        root, f"burst-{queue_workers or 'default'}", queue_workers=queue_workers
    ) as stack:
        climbers = _climbers(stack, 10)
        log = EventLog(stack)
        items = make_items(climbers, media)
        assert stack.proc is not None
        meter = CpuMeter(stack.proc.pid).start()
        started = time.monotonic()
        run_burst(stack, items, 20)
        tally = _finish(stack, items, log, started, budget=300, meter=meter)
        log.close()
        workers = queue_workers or os.cpu_count()
        return Result(
            f"burst, {workers} worker(s) per queue",
            f"{media} photos (1600x1200 JPEG) from 10 climbers, 20 uploads at a time",
            "none",
            tally,
        )


def climbs(root: Path, clients: int = 20, seconds: float = 60) -> Result:
    with fresh_stack(root, "climbs") as stack:
        tally = climb_clients(stack, clients, seconds)
        return Result(
            "climb clients",
            f"{clients} climbers at once, every climb route in a loop for {seconds:g} s",
            "none",
            tally,
            burst=False,
        )


def mongo_outage(root: Path, media: int = 40, outage: float = 125) -> Result:
    """MongoDB killed mid-burst and killed again each time it comes back, for `outage` s."""
    with fresh_stack(root, "mongo-outage") as stack:
        climbers = _climbers(stack, 5)
        items = make_items(climbers, media)
        started = time.monotonic()
        kills = 0

        def outage_mid_burst(items: list[Item]) -> None:
            nonlocal kills
            while sum(1 for i in items if i.accepted_at) < media // 4:
                time.sleep(0.1)
            end = time.monotonic() + outage
            while time.monotonic() < end:
                process = stack.mongo_process()
                if process is not None:
                    process.kill()
                    kills += 1
                time.sleep(0.2)

        run_burst(stack, items, 10, budget=outage + 240, during=outage_mid_burst)
        while stack.mongo_process() is None:
            time.sleep(0.2)
        time.sleep(2)
        moved = stack.redrive()
        tally = _finish(stack, items, None, started, budget=240)
        moved_lines = "; ".join(line for line in moved.splitlines() if line.strip())
        tally.notes.insert(0, f"MongoDB killed {kills} times; redrive: {moved_lines}")
        return Result(
            "MongoDB outage",
            f"{media} photos from 5 climbers, 10 at a time",
            f"nx-27017 SIGKILLed, and again each time the supervisor brought it back, for "
            f"{outage:g} s mid-burst; then `local redrive`",
            tally,
        )


def stack_killed(root: Path, sig: int, media: int = 40) -> Result:
    """The stack itself stopped mid-burst (SIGKILL: a crash; SIGTERM: a clean stop), restarted."""
    name = "SIGKILL" if sig == signal.SIGKILL else "SIGTERM"
    with fresh_stack(root, f"stack-{name.lower()}") as stack:
        climbers = _climbers(stack, 5)
        subs_before = {c.username: c.sub for c in climbers}
        items = make_items(climbers, media)
        started = time.monotonic()
        down_for = 0.0

        def stop_and_restart(items: list[Item]) -> None:
            nonlocal down_for
            while sum(1 for i in items if i.accepted_at) < media // 2:
                time.sleep(0.05)
            went_down = time.monotonic()
            if sig == signal.SIGKILL:
                stack.sigkill()
            else:
                stack.stop(signal.SIGTERM)
            stack.start()
            down_for = time.monotonic() - went_down

        run_burst(stack, items, 10, budget=300, during=stop_and_restart)
        tally = _finish(stack, items, None, started, budget=240)
        for climber in climbers:
            again = sign_in(stack, climber.username)
            if again.sub != subs_before[climber.username]:
                tally.wrong_identity += 1
                tally.notes.append(f"{climber.username} came back with another sub")
        tally.notes.insert(0, f"down and back up in {down_for:.1f} s")
        return Result(
            f"stack {name} mid-burst",
            f"{media} photos from 5 climbers, 10 at a time",
            f"`local up` {name} after half the uploads, then started again on its data folder",
            tally,
        )


def duplicates(root: Path, media: int = 20, copies: int = 3) -> Result:
    """Every Media Uploaded re-published `copies` times the moment it appears."""
    with fresh_stack(root, "duplicates") as stack:
        climbers = _climbers(stack, 5)
        log = EventLog(stack)
        republished = 0
        seen: set[str] = set()  # our own copies come back through the bus too: copy once

        def duplicate(event: dict[str, Any]) -> None:
            nonlocal republished
            media_id = event.get("detail", {}).get("media_id")
            if event.get("detail-type") == "Media Uploaded" and media_id not in seen:
                seen.add(media_id)
                for _ in range(copies):
                    log.republish(event)
                    republished += 1

        log.on_event = duplicate
        items = make_items(climbers, media)
        started = time.monotonic()
        run_burst(stack, items, 10)
        tally = _finish(stack, items, log, started, budget=240)
        log.close()
        tally.notes.insert(0, f"{republished} duplicate Media Uploaded events published")
        if tally.failed:
            tally.notes.append(f"{tally.failed} good photos failed")
            tally.stuck += tally.failed  # a good photo that failed did not reach its state
        return Result(
            "duplicate deliveries",
            f"{media} photos from 5 climbers, 10 at a time",
            f"each Media Uploaded re-published {copies}x concurrently (distinct event ids)",
            tally,
        )


def undecodable(root: Path, media: int = 20) -> Result:
    with fresh_stack(root, "undecodable") as stack:
        climbers = _climbers(stack, 5)
        log = EventLog(stack)
        items = make_items(climbers, media, data=undecodable_jpeg)
        started = time.monotonic()
        run_burst(stack, items, 10)
        tally = _finish(stack, items, log, started, budget=180)
        log.close()
        failed_events = sum(
            1 for e in log.received if e.get("detail-type") == "Media Processing Failed"
        )
        tally.notes.insert(
            0, f"{tally.failed} failed with a reason, {failed_events} failure events"
        )
        if tally.failed != tally.items:
            tally.stuck += tally.items - tally.failed
        return Result(
            "undecodable files",
            f"{media} files with JPEG magic bytes and noise after them, 10 at a time",
            "every file is corrupt",
            tally,
        )
