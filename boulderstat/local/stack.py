"""The whole stage on one machine: moto (S3, SQS, EventBridge, Cognito), a MongoDB-protocol
server (nx-27017), the event router and the local HTTP API.

Used by `boulderstat local up`, `make demo` and the tests. With a data folder, MongoDB data
(SQLite), S3 objects (files, written through before S3 answers) and local users (with their
`sub`, saved whenever one is created) survive a stop, and a crash (SIGKILL) at any moment: the
next start cleans up what the crashed run left (orphaned children, stale PID files) and resumes
every media item that was still in flight (`recovery`). MongoDB is supervised: restarted with
a bounded backoff if it dies.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boulderstat.adapters.aws import aws_client, forget_clients
from boulderstat.adapters.mongo import mongo_database
from boulderstat.community.notifications import EVENT_PATTERN as NOTIFY_PATTERN
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.local import consumers, processes, provision
from boulderstat.local.aws_server import AwsServer
from boulderstat.local.cognito_jwt import CognitoJwtVerifier
from boulderstat.local.environments import FunctionEnvironment, LocalFunctions
from boulderstat.local.functions import load_function_configs
from boulderstat.local.gateway import ExtraRoute, LocalHttpApi
from boulderstat.local.hosted_ui import LOCAL_COGNITO_PREFIX
from boulderstat.local.iam import LocalIam, LocalNames
from boulderstat.local.objects_on_disk import ObjectsOnDisk
from boulderstat.local.recovery import DeadLetterRoute, redrive, resume_unfinished_media
from boulderstat.local.router import MOTO_ACCOUNT_ID, EventRouter, Route
from boulderstat.local.routes import load_routes
from boulderstat.local.subscriber import Subscriber
from boulderstat.local.sweeps import DEFAULT_INTERVAL_SECONDS, PeriodicSweeps
from boulderstat.local.web import local_pages
from boulderstat.settings import Settings

LOCAL_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
_DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}
# What Powertools reads in every function (serverless.yml sets the deployed equivalents).
_POWERTOOLS_LOCAL = {
    "POWERTOOLS_SERVICE_NAME": "boulderstat",
    "POWERTOOLS_METRICS_NAMESPACE": "BoulderStat",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
QUEUE_FUNCTIONS = ("on_object_created", "thumbnail", "notify", "web_rendition")
# Without a data folder, objects above this size spool to temporary files (moto's own setting):
# memory holds at most this much per object, whatever the bucket holds.
IN_MEMORY_OBJECT_BYTES = 1024 * 1024
MONGO_RESTART_DELAYS = (0.5, 1, 2, 4, 8, 15, 30)  # seconds; the last one repeats
MONGO_STABLE_SECONDS = 60.0  # up this long: the next crash starts the backoff over


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_free(port: int) -> None:
    """Fail fast: a busy port would otherwise connect us to someone else's server."""
    with socket.socket() as sock:
        # As the servers do: a port left in TIME_WAIT by our own last run is free to reuse.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(f"port {port} on 127.0.0.1 is already in use") from error


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class LocalStack:
    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        stage: str = "local",
        api_port: int = 0,
        aws_port: int = 0,
        mongo_port: int = 0,
        extra_routes: dict[str, ExtraRoute] | None = None,
        settings_overrides: dict[str, Any] | None = None,
        mongodb_uri: str | None = None,
        sweep_interval: float | None = DEFAULT_INTERVAL_SECONDS,
        function_environment: FunctionEnvironment | None = None,
        credentials: Mapping[str, str] | None = None,
        queue_workers: int | None = None,
        api_concurrency: int | None = None,
        iam_template: Mapping[str, Any] | None = None,
    ) -> None:
        """`function_environment`: extra environment variables per function name, set in that
        function's execution environments only (e.g. its own AWS access keys).
        `credentials`: the AWS_* variables the stack itself (provisioning, router, `client()`)
        and, unless a function's own override them, the functions use.
        `queue_workers`: concurrent deliveries per event queue (default: the CPU count).
        `api_concurrency`: execution environments per HTTP function (default: the CPU count).
        `iam_template`: a packaged CloudFormation template (scripts/package-offline.py); when
        given, moto checks IAM and each function runs with exactly its role's statements from
        it, the stack itself as an admin (boulderstat.local.iam).
        """
        self.data_dir = data_dir
        self.stage = stage
        # Every port is fixed up front: the API's URL is part of the settings (the hosted-UI
        # stand-in's domain, the upload page's origin in the bucket's CORS rules).
        self._ports = (api_port or free_port(), aws_port or free_port(), mongo_port or free_port())
        # Default: the local-only pages, including the hosted-UI stand-in the auth routes use.
        self._extra_routes = local_pages() if extra_routes is None else extra_routes
        self._overrides = settings_overrides or {}
        # A real MongoDB (e.g. Atlas) instead of the bundled MongoDB-protocol server.
        self._external_mongodb_uri = mongodb_uri
        self._function_environment = dict(function_environment or {})
        self._credentials = dict(credentials or _DUMMY_CREDENTIALS)
        cores = os.cpu_count() or 1
        self.queue_workers = queue_workers or cores
        self.api_concurrency = api_concurrency or max(2, cores)
        self.functions: LocalFunctions | None = None
        self._moto: AwsServer | None = None
        self._objects: ObjectsOnDisk | None = None
        self._mongo: subprocess.Popen[bytes] | None = None
        self._mongo_port = self._ports[2]
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.mongo_restarts = 0
        self._restoring_users = False
        self._users_lock = threading.Lock()
        self.cleanup_note: str | None = None  # what a crashed previous run left behind
        self.resumed: dict[str, int] = {}
        self._router: EventRouter | None = None
        self._sweep_interval = sweep_interval  # None: no scheduled sweeps
        self.sweeps: PeriodicSweeps | None = None
        self.api: LocalHttpApi | None = None
        self.settings: Settings | None = None
        self.queues: provision.Queues | None = None
        self._iam_template = iam_template
        self.iam: LocalIam | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalStack:
        """Starts everything; if any part fails, whatever already started is stopped again."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalStack:
        api_port, aws_port, mongo_port = self._ports
        if self.data_dir:  # first: a crashed run's orphans may still hold our ports
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.cleanup_note = processes.take_over(self.data_dir)
            if self.cleanup_note:
                _say(self.cleanup_note)
        for port in (api_port, aws_port) if self._external_mongodb_uri else self._ports:
            _ensure_free(port)
        # Deterministic pool and client ids: tokens and config stay valid across restarts.
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"
        os.environ["MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY"] = "HASH"
        os.environ.update(self._credentials)
        self._start_moto(aws_port)
        if not self._external_mongodb_uri:
            self._start_mongo(mongo_port)
            self._supervisor = threading.Thread(
                target=self._supervise_mongo, name="mongo-supervisor", daemon=True
            )
            self._supervisor.start()
        endpoint = f"http://127.0.0.1:{aws_port}"
        api_url = f"http://127.0.0.1:{api_port}"
        # The upload page is served by the local API itself, so its origin may upload too.
        page_origins = (api_url, f"http://localhost:{api_port}")
        settings = Settings(
            stage=self.stage,
            aws_endpoint_url=endpoint,
            media_bucket=f"boulderstat-{self.stage}-media",
            event_bus_name=f"boulderstat-{self.stage}",
            mongodb_uri=self._external_mongodb_uri
            or f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true",
            mongodb_database=f"boulderstat_{self.stage}",
            allowed_origins=LOCAL_ORIGINS + page_origins,
            cognito_domain=api_url + LOCAL_COGNITO_PREFIX,
        )
        settings = self._provision(settings).with_overrides(**self._overrides)
        self.settings = settings
        self._export(settings)
        if self._iam_template is not None:
            self._enforce_iam(settings)
        # Example downstream consumers (consumers/*/serverless.yml), subscribed through the bus.
        local_consumers = consumers.discover()
        configs = {**load_function_configs(), **{c.name: c.function for c in local_consumers}}
        self.functions = LocalFunctions(
            configs,
            {**self._credentials, **settings.as_env(), **_POWERTOOLS_LOCAL, **self._marker()},
            function_environment=self._function_environment,
            concurrency={name: self.queue_workers for name in QUEUE_FUNCTIONS},
            default_concurrency=self.api_concurrency,
        )
        queues = {
            "on_object_created": self.queues.uploads,  # type: ignore[union-attr]
            "thumbnail": self.queues.thumbnail,  # type: ignore[union-attr]
            "notify": self.queues.notify,  # type: ignore[union-attr]
            "web_rendition": self.queues.web_rendition,  # type: ignore[union-attr]
        }
        sqs, events = aws_client("sqs", settings), aws_client("events", settings)
        for consumer in local_consumers:
            queues[consumer.name] = consumers.subscribe(
                sqs, events, settings.event_bus_name, consumer
            )
        self._router = EventRouter(
            sqs,
            [
                Route(url, name, int(configs[name].timeout_seconds) + 30)
                for name, url in queues.items()
            ],
            self.functions.invoke,
            workers=self.queue_workers,
        )
        self._router.start()
        self.sweeps = PeriodicSweeps(
            self.functions.invoke,
            region=settings.region,
            rule=f"boulderstat-{self.stage}-sweeper",
            interval=self._sweep_interval or DEFAULT_INTERVAL_SECONDS,
        )
        if self._sweep_interval:
            self.sweeps.start()
        verifier = CognitoJwtVerifier(
            issuer=settings.cognito_issuer,
            jwks_url=settings.jwks_url,
            client_ids=settings.cognito_client_ids,
        )
        self.api = LocalHttpApi(
            load_routes(),
            verifier,
            self.functions.invoke,
            allowed_origins=settings.allowed_origins,
            extra_routes=self._extra_routes,
            port=api_port,
        )
        self.api.start()
        if self.data_dir:
            self.resumed = self._resume()
            self._write_stack_file()
        return self

    def stop(self) -> None:
        """Quiesces first (no new requests, deliveries in flight finish), then saves.

        Everything is written through already (objects, users, documents); what is saved here
        is only what a crash would also have kept. Messages still queued are picked up again by
        the next start's resume.
        """
        self._stopping.set()
        started = time.monotonic()
        if self.api:
            self.api.stop()
        if self._router:
            self._router.stop()
        if self.sweeps:
            self.sweeps.stop()
        if self.functions:
            self.functions.close()
        if self.data_dir:
            _say(f"API and workers quiesced in {time.monotonic() - started:.1f} s")
        if self.data_dir and self.settings and self._moto:
            self._save_users()
        if self._supervisor:
            self._supervisor.join(timeout=5)
        if self._mongo:
            self._mongo.terminate()
            try:
                self._mongo.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._mongo.kill()
                self._mongo.wait()
        if self._moto:
            if self.iam:  # moto's check is process-wide: leave it off for whatever runs next
                self.iam.stop_enforcing()
            self._moto.stop()
        if self.data_dir:
            processes.release(self.data_dir)
            _say(f"stopped in {time.monotonic() - started:.1f} s")

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- conveniences for the CLI, demo and tests --------------------------------------------
    @property
    def api_url(self) -> str:
        assert self.api is not None
        return self.api.url

    def client(self, service: str) -> Any:
        assert self.settings is not None
        return aws_client(service, self.settings)

    def token(self, username: str) -> dict[str, Any]:
        """Signs a local user in through the local Cognito (creating it on first use)."""
        assert self.settings is not None
        cognito = self.client("cognito-idp")
        provision.ensure_user(cognito, self.settings.cognito_user_pool_id, username)
        return provision.sign_in(cognito, self.settings.cognito_client_ids[0], username)

    def redrive(self) -> dict[str, int]:
        """Moves every dead-lettered event back to its queue (`boulderstat local redrive`)."""
        assert self.queues is not None
        return redrive(self.client("sqs"), dead_letter_routes(self.queues))

    @property
    def mongo_pid(self) -> int | None:
        return self._mongo.pid if self._mongo else None

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        """Invokes a function as Lambda would: in one of its execution environments."""
        assert self.functions is not None
        return self.functions.invoke(function_name, event)

    def set_function_environment(self, function_environment: FunctionEnvironment) -> None:
        """Replaces the per-function variables; warm execution environments are recycled."""
        self._function_environment = dict(function_environment)
        if self.functions:
            self.functions.set_function_environment(function_environment)

    @contextmanager
    def function_environment_patch(self, function_name: str, **variables: str) -> Iterator[None]:
        """Adds variables to one function's environment for a while (then restores it)."""
        saved = {name: dict(env) for name, env in self._function_environment.items()}
        patched = {**saved, function_name: {**saved.get(function_name, {}), **variables}}
        self.set_function_environment(patched)
        try:
            yield
        finally:
            self.set_function_environment(saved)

    def subscriber(self, **kwargs: Any) -> Subscriber:
        assert self.settings is not None
        return Subscriber(
            self.client("sqs"), self.client("events"), self.settings.event_bus_name, **kwargs
        )

    def environment(self) -> dict[str, str]:
        """What a client process needs to talk to this stack as if it were AWS."""
        assert self.settings is not None
        return {**self._credentials, **self.settings.as_env(), "BOULDERSTAT_API_URL": self.api_url}

    # -- internals ---------------------------------------------------------------------------
    def _marker(self) -> dict[str, str]:
        """Set in every child's environment: a crashed run's orphans are found by it."""
        return processes.marker_for(self.data_dir) if self.data_dir else {}

    def _enforce_iam(self, settings: Settings) -> None:
        """From here on every AWS call is checked: the stack signs as the admin, each function
        as its own IAM user (its keys only in its execution environments)."""
        assert self.queues is not None and self._iam_template is not None
        sqs = aws_client("sqs", settings)
        names = LocalNames(
            region=settings.region,
            bucket=settings.media_bucket,
            event_bus=settings.event_bus_name,
            arns={
                "OnObjectCreatedDeadLetterQueue": provision.queue_arn(sqs, self.queues.uploads_dlq),
                "ThumbnailDeadLetterQueue": provision.queue_arn(sqs, self.queues.thumbnail_dlq),
                "NotifyDeadLetterQueue": provision.queue_arn(sqs, self.queues.notify_dlq),
                "WebRenditionDeadLetterQueue": provision.queue_arn(
                    sqs, self.queues.web_rendition_dlq
                ),
            },
        )
        self.iam = LocalIam.enforce(aws_client("iam", settings), self._iam_template, names)
        self._credentials = {**self._credentials, **self.iam.admin.environment()}
        os.environ.update(self._credentials)
        forget_clients()  # clients made so far signed with the old credentials
        self._function_environment = {
            name: {**self._function_environment.get(name, {}), **variables}
            for name, variables in self.iam.function_environment().items()
        }

    def _start_moto(self, port: int) -> None:
        if self.data_dir:
            self._objects = ObjectsOnDisk.install(self.data_dir / "objects")
        else:
            os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(IN_MEMORY_OBJECT_BYTES))
        self._moto = AwsServer(
            port,
            objects=self._objects,
            on_users_changed=self._save_users if self.data_dir else None,
        )
        self._moto.start()
        _wait_for_port(port)

    def _start_mongo(self, port: int) -> None:
        db = str(self.data_dir / "mongo.db") if self.data_dir else "memory"
        log_dir = self.data_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        executable = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or "nx-27017"
        pid_file = log_dir / f"nx-27017-{port}.pid"
        # nx-27017 refuses to start while its PID file names a process; a killed server leaves it.
        pid_file.unlink(missing_ok=True)
        self._mongo = subprocess.Popen(
            [
                executable,
                "--db",
                db,
                "--host",
                "127.0.0.1",
                "-p",
                str(port),
                "--log-file",
                str(log_dir / f"nx-27017-{port}.log"),
                "--pid-file",
                str(pid_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self._marker()},
        )
        _wait_for_port(port)

    def _supervise_mongo(self) -> None:
        """Restarts a MongoDB server that died, with a bounded backoff, and says so."""
        failures = 0
        up_since = time.monotonic()
        while not self._stopping.wait(0.25):
            assert self._mongo is not None
            code = self._mongo.poll()
            if code is None:
                if time.monotonic() - up_since > MONGO_STABLE_SECONDS:
                    failures = 0
                continue
            delay = MONGO_RESTART_DELAYS[min(failures, len(MONGO_RESTART_DELAYS) - 1)]
            failures += 1
            lost = "" if self.data_dir else " (its in-memory data is lost)"
            _say(
                f"MongoDB server (nx-27017, pid {self._mongo.pid}) exited with code {code}"
                f"{lost}; restarting it in {delay:g} s (restart {failures})"
            )
            if self._stopping.wait(delay):
                return
            try:
                self._start_mongo(self._mongo_port)
            except Exception as error:  # the port is still held, or the binary failed
                _say(f"MongoDB server did not come back: {error}; trying again")
                continue
            self.mongo_restarts += 1
            up_since = time.monotonic()
            _say(f"MongoDB server restarted (pid {self._mongo.pid})")

    def _resume(self) -> dict[str, int]:
        assert self.settings is not None
        settings = self.settings
        try:
            return resume_unfinished_media(
                mongo_database(settings),
                EventBridgePublisher(aws_client("events", settings), settings.event_bus_name),
                self._notify_object_created,
                settings.media_bucket,
            )
        except Exception as error:  # never block a start; the sweeper gets there later
            _say(f"could not resume unfinished media: {error}")
            return {}

    @staticmethod
    def _notify_object_created(bucket_name: str, key_name: str) -> bool:
        """Has moto send S3's ObjectCreated notification for an object that is there."""
        from moto.s3 import notifications
        from moto.s3.models import s3_backends

        bucket = s3_backends[MOTO_ACCOUNT_ID]["aws"].get_bucket(bucket_name)
        key = bucket.keys.get(key_name)
        if key is None:
            return False
        notifications.send_event(
            MOTO_ACCOUNT_ID,
            notifications.S3NotificationEvent.OBJECT_CREATED_POST_EVENT,
            bucket,
            key,
        )
        return True

    def _provision(self, settings: Settings) -> Settings:
        s3, sqs, events = (aws_client(n, settings) for n in ("s3", "sqs", "events"))
        cognito = aws_client("cognito-idp", settings)
        self.queues = provision.create_queues(sqs, f"boulderstat-{self.stage}")
        provision.create_bucket(
            s3, settings.media_bucket, settings.region, settings.allowed_origins
        )
        self._restore_objects(s3, settings.media_bucket)
        if self._objects:
            from moto.s3.models import s3_backends

            self._objects.restore(s3_backends[MOTO_ACCOUNT_ID]["aws"], settings.media_bucket)
            self._objects.remove_unnamed_blobs()
        provision.route_uploads_to_queue(
            s3, settings.media_bucket, provision.queue_arn(sqs, self.queues.uploads)
        )
        provision.create_bus(
            events,
            settings.event_bus_name,
            provision.queue_arn(sqs, self.queues.thumbnail),
            provision.queue_arn(sqs, self.queues.web_rendition),
        )
        provision.subscribe(
            events,
            settings.event_bus_name,
            "notify",
            NOTIFY_PATTERN,
            provision.queue_arn(sqs, self.queues.notify),
        )
        pool_id, client_id = provision.create_user_pool(cognito, f"boulderstat-{self.stage}")
        self._restore_users(cognito, pool_id)
        return settings.with_overrides(
            cognito_user_pool_id=pool_id, cognito_client_ids=(client_id,)
        )

    @staticmethod
    def _export(settings: Settings) -> None:
        """Tests that call a handler in their own process read the settings Lambda would get."""
        os.environ.update(settings.as_env())
        for name, value in _POWERTOOLS_LOCAL.items():
            os.environ.setdefault(name, value)
        from boulderstat.settings import get_settings

        get_settings.cache_clear()

    def _write_stack_file(self) -> None:
        assert self.data_dir is not None
        (self.data_dir / "stack.json").write_text(json.dumps(self.environment(), indent=2))

    # Users: moto keeps them in memory; users.json carries each one's `sub` over restarts.
    def _save_users(self) -> None:
        """Called after every request that creates or deletes a user, and on stop."""
        if not self.data_dir or self._restoring_users or self.settings is None:
            return
        from moto.cognitoidp.models import cognitoidp_backends

        with self._users_lock:
            users: dict[str, str] = {}
            for backend in _all_backends(cognitoidp_backends):
                pool = backend.user_pools.get(self.settings.cognito_user_pool_id)
                if pool:
                    users = {name: user.id for name, user in pool.users.items()}
            _write_atomically(self.data_dir / "users.json", json.dumps(users))

    def _restore_objects(self, s3: Any, bucket: str) -> None:
        """Objects saved by an older version of the stack (copied once into the new layout)."""
        if not self.data_dir or not (self.data_dir / "s3-index.json").exists():
            return
        index = json.loads((self.data_dir / "s3-index.json").read_text())
        for name, meta_json in index.items():
            meta = json.loads(meta_json)
            extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
            with (self.data_dir / "s3" / name).open("rb") as body:
                s3.put_object(Bucket=bucket, Key=meta["key"], Body=body, **extra)
        (self.data_dir / "s3-index.json").unlink()
        shutil.rmtree(self.data_dir / "s3", ignore_errors=True)

    def _restore_users(self, cognito: Any, pool_id: str) -> None:
        """Recreates local users with their old `sub`, so their data stays theirs."""
        if not self.data_dir or not (self.data_dir / "users.json").exists():
            return
        from moto.cognitoidp.models import cognitoidp_backends

        users = json.loads((self.data_dir / "users.json").read_text())
        self._restoring_users = True  # no save while subs are not yet the old ones
        try:
            for username, sub in users.items():
                provision.ensure_user(cognito, pool_id, username)
                for backend in _all_backends(cognitoidp_backends):
                    pool = backend.user_pools.get(pool_id)
                    if pool and username in pool.users:
                        user = pool.users[username]
                        user.id = sub
                        user.update_attributes([{"Name": "sub", "Value": sub}])
        finally:
            self._restoring_users = False


def dead_letter_routes(queues: provision.Queues) -> list[DeadLetterRoute]:
    return [
        DeadLetterRoute(queues.uploads_dlq, queues.uploads),
        DeadLetterRoute(queues.thumbnail_dlq, queues.thumbnail),
        DeadLetterRoute(queues.web_rendition_dlq, queues.web_rendition),
    ]


def _write_atomically(path: Path, text: str) -> None:
    """A crash leaves the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _say(line: str) -> None:
    """Operator-facing lines (`local up` prints them as they happen)."""
    print(f"local stack: {line}", file=sys.stderr, flush=True)


def _all_backends(backends: Any) -> list[Any]:
    return [backend for regions in backends.values() for backend in regions.values()]
