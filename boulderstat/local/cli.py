"""`boulderstat` command line: run the local stack and talk to it.

boulderstat local up       run everything in the foreground until Ctrl-C
boulderstat local token U  sign local user U in (created on first use), print a real JWT
boulderstat local events   tail the events published on the local bus
boulderstat local sweep    run the sweeper once now (`local up` also runs it every minute)
boulderstat local redrive  move dead-lettered events back to their queues (after an outage)
boulderstat demo           the main job: the whole product end to end on one machine
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(".boulderstat-local")
DEFAULT_API_PORT = 4000
DEFAULT_AWS_PORT = 4566
DEFAULT_MONGO_PORT = 27018


def _read_stack_env(data_dir: Path) -> dict[str, str]:
    from boulderstat.local.processes import left_by_a_crash

    stack_file = data_dir / "stack.json"
    if not stack_file.exists():
        sys.exit(
            f"No running local stack found ({stack_file} missing): start `boulderstat local up`."
        )
    if left_by_a_crash(data_dir):
        sys.exit(
            f"No running local stack found: {stack_file} was left by a run that ended without "
            "stopping (a crash or kill). Start `boulderstat local up`; it cleans up first."
        )
    return dict(json.loads(stack_file.read_text()))


def _settings_from(env: dict[str, str]) -> Any:
    os.environ.update(env)
    from boulderstat.settings import Settings

    return Settings.from_env(env)


def cmd_up(args: argparse.Namespace) -> int:
    from boulderstat.local.processes import StackAlreadyRunning
    from boulderstat.local.stack import LocalStack
    from boulderstat.local.web import local_pages

    stack = LocalStack(
        args.data_dir,
        api_port=args.port,
        aws_port=args.aws_port,
        mongo_port=args.mongo_port,
        extra_routes=local_pages(),
        queue_workers=args.queue_workers,
    )
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
    except StackAlreadyRunning as error:
        sys.exit(f"could not start the local stack: {error}")
    except OSError as error:
        ports = "--port, --aws-port, --mongo-port"
        sys.exit(f"could not start the local stack: {error} (free the port or pass {ports})")
    try:
        print(f"BoulderStat local stack is up (data in {args.data_dir.resolve()})")
        print(f"  HTTP API       {stack.api_url}")
        print(f"  Upload page    {stack.api_url}/")
        print(
            f"  AWS endpoint   {stack.settings.aws_endpoint_url}  (S3, SQS, EventBridge, Cognito)"
        )
        print(f"  MongoDB        {stack.settings.mongodb_uri}")
        print(f"  Event queues   {stack.queue_workers} concurrent deliveries each")
        if stack.resumed.get("ingest") or stack.resumed.get("processing"):
            print(
                f"Resumed unfinished media from the last run: {stack.resumed['ingest']} to "
                f"ingest, {stack.resumed['processing']} to process"
            )
        print("Environment for a client:")
        for name, value in sorted(stack.environment().items()):
            print(f"  export {name}={value}")
        print("Get a token: boulderstat local token alice    Tail events: boulderstat local events")
        print("Ctrl-C stops everything.", flush=True)
        # Wake up now and then: a signal the kernel hands to another thread only runs its
        # Python handler once the main thread runs again (a bare wait() could sleep forever).
        while not stopping.wait(0.5):
            pass
    finally:
        print("\nstopping: saving state and shutting down...", flush=True)
        stack.stop()
        (args.data_dir / "stack.json").unlink(missing_ok=True)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from boulderstat.adapters.aws import aws_client
    from boulderstat.local import provision

    settings = _settings_from(_read_stack_env(args.data_dir))
    cognito = aws_client("cognito-idp", settings)
    provision.ensure_user(cognito, settings.cognito_user_pool_id, args.username)
    tokens = provision.sign_in(cognito, settings.cognito_client_ids[0], args.username)
    print(json.dumps(tokens, indent=2) if args.json else tokens["IdToken"])
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from boulderstat.adapters.aws import aws_client
    from boulderstat.local.subscriber import Subscriber

    settings = _settings_from(_read_stack_env(args.data_dir))
    subscriber = Subscriber(
        aws_client("sqs", settings), aws_client("events", settings), settings.event_bus_name
    )
    print(f"tailing events on {settings.event_bus_name} (Ctrl-C to stop)", file=sys.stderr)
    try:
        for event in subscriber.stream():
            print(json.dumps(event), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        subscriber.close()
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from boulderstat.local.functions import invoke
    from boulderstat.local.sweeps import PeriodicSweeps

    settings = _settings_from(_read_stack_env(args.data_dir))
    for name in ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_METRICS_DISABLED"):
        os.environ.setdefault(name, "true")
    sweeps = PeriodicSweeps(
        invoke, region=settings.region, rule=f"boulderstat-{settings.stage}-sweeper"
    )
    print(json.dumps(sweeps.run_once()))
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from boulderstat.adapters.aws import aws_client
    from boulderstat.local import provision
    from boulderstat.local.recovery import redrive
    from boulderstat.local.stack import dead_letter_routes

    settings = _settings_from(_read_stack_env(args.data_dir))
    sqs = aws_client("sqs", settings)
    queues = provision.existing_queues(sqs, f"boulderstat-{settings.stage}")
    moved = redrive(sqs, dead_letter_routes(queues))
    for queue, count in moved.items():
        print(f"{queue}: {count} dead-lettered event(s) moved back")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from boulderstat.local.demo import run_demo

    return run_demo(output_dir=args.output)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="boulderstat", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="the local stack").add_subparsers(
        dest="local_command", required=True
    )
    up = local.add_parser("up", help="run the local stack in the foreground")
    up.add_argument("--port", type=int, default=DEFAULT_API_PORT, help="HTTP API port")
    up.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT, help="moto server port")
    up.add_argument("--mongo-port", type=int, default=DEFAULT_MONGO_PORT, help="MongoDB port")
    up.add_argument(
        "--queue-workers",
        type=int,
        default=None,
        help="concurrent deliveries per event queue (default: the number of CPUs)",
    )
    up.set_defaults(func=cmd_up)
    token = local.add_parser("token", help="sign a local user in and print a JWT")
    token.add_argument("username")
    token.add_argument("--json", action="store_true", help="print all tokens as JSON")
    token.set_defaults(func=cmd_token)
    events = local.add_parser("events", help="tail events published on the local bus")
    events.set_defaults(func=cmd_events)
    sweep = local.add_parser("sweep", help="re-drive or fail stuck media, remove orphans, now")
    sweep.set_defaults(func=cmd_sweep)
    redrive = local.add_parser("redrive", help="move dead-lettered events back to their queues")
    redrive.set_defaults(func=cmd_redrive)
    for sub in (up, token, events, sweep, redrive):
        sub.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)

    demo = commands.add_parser("demo", help="run the whole product end to end locally")
    demo.add_argument("--output", type=Path, default=Path("demo-output"))
    demo.set_defaults(func=cmd_demo)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
