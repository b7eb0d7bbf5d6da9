"""The failure types the pipeline tells apart from bugs: the file's fault, or its source's."""

from __future__ import annotations


class UnprocessableMedia(Exception):
    """This file can never be processed, so retrying is pointless: mark the upload as failed.

    `reason` is written for the climber who uploaded the file. `code` is stable for metrics and
    API clients. `detail` carries tool output (ffmpeg's stderr) for logs, never for the climber.
    """

    def __init__(self, reason: str, *, code: str = "unprocessable", detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return self.reason


class SourceUnavailable(Exception):
    """The original could not be read over the network (refused, 4xx/5xx, connection lost).

    Not the file's fault, so never a reason to fail the upload: the caller checks whether the
    original was replaced or removed meanwhile (then there is nothing to do) or retries.
    `detail` is the tool's output, for logs.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
