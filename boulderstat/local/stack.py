"""The whole stage on one machine: moto (S3, SQS, EventBridge, Cognito), a MongoDB-protocol
server (nx-27017), the event router and the local HTTP API.

Used by `boulderstat local up`, `make demo` and the tests. With a data folder, MongoDB data,
S3 objects and local users (with their `sub`) survive restarts.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from boulderstat.adapters.aws import aws_client
from boulderstat.local import consumers, provision
from boulderstat.local.cognito_jwt import CognitoJwtVerifier
from boulderstat.local.environments import FunctionEnvironment, LocalFunctions
from boulderstat.local.functions import load_function_configs
from boulderstat.local.gateway import ExtraRoute, LocalHttpApi
from boulderstat.local.hosted_ui import LOCAL_COGNITO_PREFIX
from boulderstat.local.iam import LocalIam, LocalNames
from boulderstat.local.router import EventRouter, Route
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
QUEUE_FUNCTIONS = ("on_object_created", "thumbnail", "web_rendition")


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
        self._moto: Any = None
        self._mongo: subprocess.Popen[bytes] | None = None
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
        for port in (api_port, aws_port) if self._external_mongodb_uri else self._ports:
            _ensure_free(port)
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        # Deterministic pool and client ids: tokens and config stay valid across restarts.
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"
        os.environ["MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY"] = "HASH"
        os.environ.update(self._credentials)
        self._start_moto(aws_port)
        if not self._external_mongodb_uri:
            self._start_mongo(mongo_port)
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
            {**self._credentials, **settings.as_env(), **_POWERTOOLS_LOCAL},
            function_environment=self._function_environment,
            concurrency={name: self.queue_workers for name in QUEUE_FUNCTIONS},
            default_concurrency=self.api_concurrency,
        )
        queues = {"on_object_created": self.queues.uploads, "thumbnail": self.queues.thumbnail}  # type: ignore[union-attr]
        queues["web_rendition"] = self.queues.web_rendition  # type: ignore[union-attr]
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
            self._write_stack_file()
        return self

    def stop(self) -> None:
        """Quiesces first (no new requests, deliveries in flight finish), then saves."""
        if self.api:
            self.api.stop()
        if self._router:
            self._router.stop()
        if self.sweeps:
            self.sweeps.stop()
        if self.functions:
            self.functions.close()
        if self.data_dir and self.settings and self._moto:
            self._save_state()
        if self._mongo:
            self._mongo.terminate()
            try:
                self._mongo.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._mongo.kill()
        if self._moto:
            if self.iam:  # moto's check is process-wide: leave it off for whatever runs next
                self.iam.stop_enforcing()
            self._moto.stop()

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
                "WebRenditionDeadLetterQueue": provision.queue_arn(
                    sqs, self.queues.web_rendition_dlq
                ),
            },
        )
        self.iam = LocalIam.enforce(aws_client("iam", settings), self._iam_template, names)
        self._credentials = {**self._credentials, **self.iam.admin.environment()}
        os.environ.update(self._credentials)
        aws_client.cache_clear()  # clients made so far signed with the old credentials
        self._function_environment = {
            name: {**self._function_environment.get(name, {}), **variables}
            for name, variables in self.iam.function_environment().items()
        }

    def _start_moto(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._moto.start()
        _wait_for_port(port)

    def _start_mongo(self, port: int) -> None:
        db = str(self.data_dir / "mongo.db") if self.data_dir else "memory"
        log_dir = self.data_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        executable = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or "nx-27017"
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
                str(log_dir / f"nx-27017-{port}.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(port)

    def _provision(self, settings: Settings) -> Settings:
        s3, sqs, events = (aws_client(n, settings) for n in ("s3", "sqs", "events"))
        cognito = aws_client("cognito-idp", settings)
        self.queues = provision.create_queues(sqs, f"boulderstat-{self.stage}")
        provision.create_bucket(
            s3, settings.media_bucket, settings.region, settings.allowed_origins
        )
        self._restore_objects(s3, settings.media_bucket)
        provision.route_uploads_to_queue(
            s3, settings.media_bucket, provision.queue_arn(sqs, self.queues.uploads)
        )
        provision.create_bus(
            events,
            settings.event_bus_name,
            provision.queue_arn(sqs, self.queues.thumbnail),
            provision.queue_arn(sqs, self.queues.web_rendition),
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

    # Persistence: moto keeps state in memory only, so the data folder carries it over.
    def _save_state(self) -> None:
        assert self.data_dir is not None and self.settings is not None
        s3 = self.client("s3")
        objects_dir = self.data_dir / "s3"
        shutil.rmtree(objects_dir, ignore_errors=True)
        index: dict[str, str] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.settings.media_bucket):
            for item in page.get("Contents", []):
                target = objects_dir / f"{len(index):08d}"
                target.parent.mkdir(parents=True, exist_ok=True)
                obj = s3.get_object(Bucket=self.settings.media_bucket, Key=item["Key"])
                with target.open("wb") as out:
                    shutil.copyfileobj(obj["Body"], out)
                index[target.name] = json.dumps(
                    {"key": item["Key"], "content_type": obj.get("ContentType")}
                )
        (self.data_dir / "s3-index.json").write_text(json.dumps(index))
        users = {}
        from moto.cognitoidp.models import cognitoidp_backends

        for backend in _all_backends(cognitoidp_backends):
            pool = backend.user_pools.get(self.settings.cognito_user_pool_id)
            if pool:
                users = {name: user.id for name, user in pool.users.items()}
        (self.data_dir / "users.json").write_text(json.dumps(users))

    def _restore_objects(self, s3: Any, bucket: str) -> None:
        if not self.data_dir or not (self.data_dir / "s3-index.json").exists():
            return
        index = json.loads((self.data_dir / "s3-index.json").read_text())
        for name, meta_json in index.items():
            meta = json.loads(meta_json)
            extra = {"ContentType": meta["content_type"]} if meta.get("content_type") else {}
            with (self.data_dir / "s3" / name).open("rb") as body:
                s3.put_object(Bucket=bucket, Key=meta["key"], Body=body, **extra)

    def _restore_users(self, cognito: Any, pool_id: str) -> None:
        """Recreates local users with their old `sub`, so their data stays theirs."""
        if not self.data_dir or not (self.data_dir / "users.json").exists():
            return
        from moto.cognitoidp.models import cognitoidp_backends

        users = json.loads((self.data_dir / "users.json").read_text())
        for username, sub in users.items():
            provision.ensure_user(cognito, pool_id, username)
            for backend in _all_backends(cognitoidp_backends):
                pool = backend.user_pools.get(pool_id)
                if pool and username in pool.users:
                    user = pool.users[username]
                    user.id = sub
                    user.update_attributes([{"Name": "sub", "Value": sub}])


def _all_backends(backends: Any) -> list[Any]:
    return [backend for regions in backends.values() for backend in regions.values()]
