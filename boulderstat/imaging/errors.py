"""The one failure type the pipeline needs to tell apart from bugs and outages."""

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
