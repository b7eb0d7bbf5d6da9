"""S3 GETs on moto that read only the bytes asked for, and send them as they are read.

moto answers a GET by reading the whole object into memory (`FakeKey.value`), slicing out the
Range, and its server joins the body before the first byte leaves: ingest's 64-byte sniff of a
475 MB upload read 475 MB, and each of ffmpeg's range requests (open-ended, `bytes=N-`, as
ffmpeg sends them) copied the rest of the file first. Real S3 streams from the requested offset.
Here, during a GET of an object, `FakeKey.value` is a view that moto's own range code slices
into a window, and the window is read from a duplicate of the object buffer's file descriptor,
256 KiB at a time, while it is sent: a client that stops reading (ffmpeg seeking elsewhere)
costs only what it read. `served_bytes` counts what left, per object, for tests.

Local only, and tied to moto's internals (FakeKey.value and its buffer, S3Response.key_response):
`tests/integration/local/test_object_reads.py` fails if a moto upgrade moves them.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

CHUNK_BYTES = 256 * 1024

_state = threading.local()  # per request thread: inside a GET; a window is being returned
_served_lock = threading.Lock()
served_bytes: Counter[tuple[str, str]] = Counter()  # (bucket, key) -> bytes sent by GETs
_installed = False


class _ObjectView:
    """What `FakeKey.value` is during a GET: a length, and windows instead of bytes."""

    def __init__(self, key: Any) -> None:
        self._key = key
        self._size = int(key.contentsize)

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __getitem__(self, item: slice) -> ObjectWindow:
        if not isinstance(item, slice):
            raise TypeError("an object view is only sliced")
        start, stop, step = item.indices(self._size)
        if step != 1:
            raise ValueError("an object view is read forwards")
        return ObjectWindow(self._key, start, max(start, stop))


class ObjectWindow:
    """Bytes [start, stop) of one object version, read while they are sent."""

    def __init__(self, key: Any, start: int, stop: int) -> None:
        self.bucket, self.key = str(key.bucket_name), str(key.name)
        self._start, self._stop = start, stop
        with key.lock:  # moto's own lock around the buffer
            # A duplicate descriptor keeps these bytes readable even if the key is replaced or
            # deleted meanwhile (moto writes a new object to a new buffer). fileno() moves a
            # small in-memory buffer to a temporary file first, which changes nothing else.
            self._fd: int | None = os.dup(key._value_buffer.fileno())

    def __len__(self) -> int:
        return self._stop - self._start

    def __bool__(self) -> bool:
        return self._stop > self._start

    def __iter__(self) -> Iterator[bytes]:
        position = self._start
        try:
            while position < self._stop and self._fd is not None:
                chunk = os.pread(self._fd, min(CHUNK_BYTES, self._stop - position), position)
                if not chunk:
                    break
                position += len(chunk)
                with _served_lock:
                    served_bytes[(self.bucket, self.key)] += len(chunk)
                yield chunk
        finally:
            self.close()

    def __bytes__(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        """Called by the WSGI server once the response is sent or the client went away."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        self.close()


def install() -> None:
    """Patches moto's S3 in this process (its backends are process-wide); idempotent."""
    global _installed
    if _installed:
        return
    from moto.s3.models import FakeKey
    from moto.s3.responses import S3Response

    value = FakeKey.value

    def value_or_view(key: Any) -> Any:
        if getattr(_state, "viewing", False):
            return _ObjectView(key)
        return value.fget(key)  # type: ignore[attr-defined]

    FakeKey.value = property(value_or_view, value.fset)  # type: ignore[assignment, method-assign]

    key_response = S3Response.key_response

    def key_response_streamed(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if request.method != "GET":
            return key_response(self, request, full_url, headers)
        _state.viewing = True
        try:
            status, response_headers, content = key_response(self, request, full_url, headers)
        finally:
            _state.viewing = False
        if isinstance(content, _ObjectView):  # the whole object (no Range, or one moto ignored)
            content = content[:]
        _state.window = content if isinstance(content, ObjectWindow) else None
        return status, response_headers, content

    S3Response.key_response = key_response_streamed  # type: ignore[method-assign]
    _installed = True


def take_window() -> ObjectWindow | None:
    """The object window this thread's last request returned, if any (then: stream it)."""
    window = getattr(_state, "window", None)
    _state.window = None
    return window
