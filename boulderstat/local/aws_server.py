"""moto's server (S3, SQS, EventBridge, Cognito) in a thread, with what the local stack adds:

- with a data folder, S3 objects live on disk and each write is recorded before S3 answers
  (`ObjectsOnDisk`), and S3's notifications go out only after that, so an event never names an
  object a crash could lose;
- an S3 GET reads only the bytes it returns and sends them as it reads them
  (`object_reads`), as S3 does, so a ranged read of a large object costs its range;
- Cognito users are saved whenever a request creates or deletes one (`on_users_changed`), so a
  user comes back with the same `sub` after a crash.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from boulderstat.local import object_reads
from boulderstat.local.objects_on_disk import ObjectsOnDisk

# Cognito operations after which the saved users must be written again.
_USER_CHANGES = (
    "AdminCreateUser",
    "SignUp",
    "AdminDeleteUser",
    "DeleteUser",
    "AdminUpdateUserAttributes",
)

Environ = dict[str, Any]
SEND_BUFFER_BYTES = 128 * 1024


def spare_moto_repeated_work() -> None:
    """moto re-derives two things that never change on every request; derived once here.

    - every request lists its response class's methods (`inspect.getmembers`) to find the
      action's handler;
    - every event put on a bus builds a JSONPath parser (ply tables) for each of the 8 paths
      of each target's input template.
    Both are pure functions of their argument, so caching them changes no answer. They were
    about a tenth of the stack process's CPU in a burst of photos (py-spy), CPU that the
    functions' workers on the same cores need. Local only, tied to moto's internals:
    `tests/unit/local/test_aws_server.py` fails if a moto upgrade moves them.
    """
    import jsonpath_ng.ext
    from moto.core import responses

    if not hasattr(responses.method_names_from_class, "cache_info"):
        responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


class AwsServer:
    def __init__(
        self,
        port: int,
        *,
        objects: ObjectsOnDisk | None = None,
        on_users_changed: Callable[[], None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise
        object_reads.install()
        spare_moto_repeated_work()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._objects = objects
        self._on_users_changed = on_users_changed
        self._users_lock = threading.Lock()

        class Handler(MotoRequestHandler):  # type: ignore[misc, valid-type]
            def setup(self) -> None:
                super().setup()
                # A small send buffer: a client that stops reading a response (ffmpeg seeking
                # elsewhere) leaves little sent for nothing, and `served_bytes` stays near what
                # it read. Loopback's autotuned buffers would otherwise take megabytes.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)

        self._server = make_server(host, port, self._app, threaded=True, request_handler=Handler)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aws-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def _app(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers, exc_info]
            return lambda data: None  # moto's app never uses write()

        if self._objects is not None:
            with self._objects.request():
                body = self._answer(environ, capture)
        else:
            body = self._answer(environ, capture)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if self._on_users_changed and target.rpartition(".")[2] in _USER_CHANGES:
            with self._users_lock:
                self._on_users_changed()
        status, headers, exc_info = answer
        start_response(status, headers, exc_info)
        return body

    def _answer(self, environ: Environ, capture: Callable[..., Any]) -> Iterable[bytes]:
        response = self._moto(environ, capture)
        if object_reads.take_window() is not None:
            return response  # object bytes: read from their file while they are sent
        return [b"".join(response)]
