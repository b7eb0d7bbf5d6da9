"""moto's S3 objects as files in the data folder, written through before S3 answers.

moto keeps every object in memory (or in anonymous temporary files above
MOTO_S3_DEFAULT_KEY_BUFFER_SIZE) and forgets all of them when its process dies. Here each object's
bytes live in a file under `<folder>/blobs/`, and a small JSON record per key under
`<folder>/keys/` names the blob and the facts S3 reports (ETag, Content-Type, Cache-Control,
Last-Modified). A request that changes objects writes its records before the response leaves
(see `AwsServer`), so whatever S3 acknowledged survives a SIGKILL, and the stack's memory does
not grow with the bytes stored. On start, the records bring the objects back without copying a
byte. Blobs no record names (replaced or deleted objects, a crash mid-write) are removed then.

Local only, and tied to moto's internals (FakeKey's value buffer, S3Backend.put_object /
delete_object): `tests/integration/local/test_persistence.py` fails if a moto upgrade moves them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

_state = threading.local()  # per request thread: the keys it changed, blobs it replaced


def _in_request() -> bool:
    return getattr(_state, "changed", None) is not None


class ObjectsOnDisk:
    """Installed once per process (moto's backends are process-wide)."""

    _installed: ObjectsOnDisk | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.blobs = folder / "blobs"
        self.keys = folder / "keys"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.keys.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._orphaned: set[Path] = set()
        self._bypass = threading.local()

    # -- installation ------------------------------------------------------------------------
    @classmethod
    def install(cls, folder: Path) -> ObjectsOnDisk:
        if cls._installed is not None:
            if cls._installed.folder.resolve() == folder.resolve():
                return cls._installed
            raise RuntimeError(
                f"S3 objects of this process already live in {cls._installed.folder}; "
                "run one stack with a data folder per process"
            )
        store = cls(folder)
        store._patch_moto()
        cls._installed = store
        return store

    def _patch_moto(self) -> None:
        import tempfile as real_tempfile

        from moto.s3 import models

        store = self

        class _TempfileForKeys:
            """What moto's S3 module sees as `tempfile`: object buffers become our files."""

            def __getattr__(self, name: str) -> Any:
                return getattr(real_tempfile, name)

            @staticmethod
            def SpooledTemporaryFile(max_size: int = 0, *args: Any, **kwargs: Any) -> IO[bytes]:
                if getattr(store._bypass, "on", False):
                    return real_tempfile.SpooledTemporaryFile(max_size, *args, **kwargs)
                return store._new_blob()

        models.tempfile = _TempfileForKeys()  # type: ignore[assignment]

        # S3 notifications leave only once the request's objects are recorded.
        from moto.s3 import notifications

        send_event = notifications.send_event

        def send_event_after_recording(*args: Any, **kwargs: Any) -> None:
            if _in_request():
                _state.notifications.append((args, kwargs))
            else:
                send_event(*args, **kwargs)

        notifications.send_event = send_event_after_recording  # type: ignore[assignment]
        self._send_event = send_event

        backend_class = models.S3Backend
        put_object = backend_class.put_object
        delete_object = backend_class.delete_object

        def put_object_on_disk(backend: Any, bucket_name: str, key_name: str, *a: Any, **k: Any):  # type: ignore[no-untyped-def]
            key = put_object(backend, bucket_name, key_name, *a, **k)
            store._changed(backend, bucket_name, key_name)
            return key

        def delete_object_on_disk(backend: Any, bucket_name: str, key_name: str, *a: Any, **k: Any):  # type: ignore[no-untyped-def]
            result = delete_object(backend, bucket_name, key_name, *a, **k)
            store._changed(backend, bucket_name, key_name)
            return result

        backend_class.put_object = put_object_on_disk  # type: ignore[method-assign]
        backend_class.delete_object = delete_object_on_disk  # type: ignore[method-assign]

    # -- blobs -------------------------------------------------------------------------------
    def _new_blob(self) -> IO[bytes]:
        return _Blob(self, self.blobs / uuid.uuid4().hex)

    def _blob_closed(self, path: Path) -> None:
        """A replaced or deleted object's bytes: removed once no record can name them."""
        if _in_request():
            _state.orphaned.add(path)  # after this request's records are written
        else:
            with self._lock:
                self._orphaned.add(path)

    # -- write-through -----------------------------------------------------------------------
    def _changed(self, backend: Any, bucket_name: str, key_name: str) -> None:
        if _in_request():
            # Recorded when the request ends: moto sets Content-Type etc. after put_object.
            _state.changed[(bucket_name, key_name)] = backend
        else:
            self._record(backend, bucket_name, key_name)

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """One S3 request: records what it changed and only then lets its notifications go."""
        _state.changed, _state.orphaned, _state.notifications = {}, set(), []
        try:
            yield
        finally:
            changed, orphaned, pending = _state.changed, _state.orphaned, _state.notifications
            _state.changed = _state.orphaned = _state.notifications = None
            for (bucket_name, key_name), backend in changed.items():
                self._record(backend, bucket_name, key_name)
            for path in orphaned:
                path.unlink(missing_ok=True)
            self._drop_orphaned()
            for args, kwargs in pending:
                self._send_event(*args, **kwargs)

    def _record_path(self, bucket_name: str, key_name: str) -> Path:
        digest = hashlib.sha256(f"{bucket_name}\0{key_name}".encode()).hexdigest()
        return self.keys / f"{digest}.json"

    def _record(self, backend: Any, bucket_name: str, key_name: str) -> None:
        path = self._record_path(bucket_name, key_name)
        try:
            key = backend.get_bucket(bucket_name).keys.get(key_name)
        except Exception:  # the bucket is gone
            key = None
        buffer = getattr(key, "_value_buffer", None)
        if key is None or not isinstance(buffer, _Blob):
            path.unlink(missing_ok=True)
            return
        record = {
            "bucket": bucket_name,
            "key": key_name,
            "blob": buffer.path.name,
            "size": key.contentsize,
            "etag": key.etag.strip('"'),
            "last_modified": key.last_modified.isoformat(),
            "metadata": dict(key.metadata),
        }
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(record))
        os.replace(temporary, path)  # atomic: a crash leaves the old record or the new one

    def _drop_orphaned(self) -> None:
        with self._lock:
            orphaned, self._orphaned = self._orphaned, set()
        for path in orphaned:
            path.unlink(missing_ok=True)

    # -- restore -----------------------------------------------------------------------------
    def restore(self, backend: Any, bucket_name: str) -> int:
        """Puts the recorded objects of `bucket_name` back into moto; returns how many."""
        from moto.s3.models import FakeKey

        bucket = backend.get_bucket(bucket_name)
        named: set[str] = set()
        count = 0
        for record_path in self.keys.glob("*.json"):
            record = json.loads(record_path.read_text())
            named.add(record["blob"])
            if record["bucket"] != bucket_name:
                continue
            blob = self.blobs / record["blob"]
            if not blob.exists():
                record_path.unlink()
                continue
            self._bypass.on = True
            try:
                key = FakeKey(
                    name=record["key"],
                    value=b"",
                    account_id=backend.account_id,
                    region_name=backend.region_name,
                    bucket_name=bucket_name,
                    etag=record["etag"],
                )
            finally:
                self._bypass.on = False
            key._value_buffer.close()
            key._value_buffer = _Blob(self, blob, mode="r+b")
            key.contentsize = record["size"]
            key.last_modified = datetime.fromisoformat(record["last_modified"])
            key.set_metadata(dict(record["metadata"]))
            bucket.keys.setlist(record["key"], [key])
            count += 1
        return count

    def remove_unnamed_blobs(self) -> int:
        named = {json.loads(p.read_text())["blob"] for p in self.keys.glob("*.json")}
        removed = 0
        for blob in self.blobs.iterdir():
            if blob.name not in named:
                blob.unlink(missing_ok=True)
                removed += 1
        for leftover in self.keys.glob("*.tmp"):
            leftover.unlink(missing_ok=True)
        return removed


class _Blob:
    """A FakeKey's value buffer that is a plain file (moto only seeks, reads, writes, closes)."""

    def __init__(self, store: ObjectsOnDisk, path: Path, mode: str = "w+b") -> None:
        self._store = store
        self.path = path
        self._file = path.open(mode)
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()
            self._store._blob_closed(self.path)
