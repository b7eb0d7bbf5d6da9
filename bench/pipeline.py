"""Upload-to-poster and upload-to-web-rendition on the local stack, end to end.

A fresh local stack (moto, nx-27017, our handlers in their own worker processes) takes a 60 s
clip as a multipart upload, exactly as a phone's uploader would. The clock starts when the
server has completed the upload (S3 holds the file) and stops when `Media Processed` (the
poster: the first view) and `Media Web Rendition Ready` arrive on a subscriber queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack

PART_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class EndToEnd:
    upload_s: float  # the multipart upload itself, to moto on localhost
    to_poster_s: float
    to_web_s: float
    web_status: str


def upload_to_views(
    clips: dict[str, tuple[Path, str]], timeout: float = 1800
) -> dict[str, EndToEnd]:
    """One stack for all clips, one clip at a time (the machine has 2 cores)."""
    results: dict[str, EndToEnd] = {}
    # The transcode of a long 4K clip outlives the local default ffmpeg budget (120 s); the
    # web_rendition function's own budget in serverless.yml is 840 s.
    with LocalStack(settings_overrides={"ffmpeg_timeout_seconds": 840.0}) as stack:
        tokens = stack.token("bench-climber")
        api = BoulderStatClient(stack.api_url, id_token=tokens["IdToken"])
        for name, (clip, content_type) in clips.items():
            subscriber = stack.subscriber()
            try:
                started = time.perf_counter()
                grant = api.upload_in_parts(clip, content_type, part_size=PART_SIZE)
                uploaded = time.perf_counter()
                media_id = grant["media_id"]

                def about(detail_type: str, media_id: str = media_id) -> Any:
                    return lambda e: (
                        e["detail-type"].startswith(detail_type)
                        and e["detail"].get("media_id") == media_id
                    )

                subscriber.wait_for(about("Media Processed"), timeout=timeout)
                poster = time.perf_counter()
                web = subscriber.wait_for(about("Media Web Rendition"), timeout=timeout)
                done = time.perf_counter()
            finally:
                subscriber.close()
            results[name] = EndToEnd(
                upload_s=uploaded - started,
                to_poster_s=poster - uploaded,
                to_web_s=done - uploaded,
                web_status=web["detail-type"].removeprefix("Media Web Rendition ").lower(),
            )
    return results
