"""Upload-to-poster and upload-to-web-rendition on the local stack, end to end.

A fresh local stack (moto, nx-27017, our handlers in their own worker processes) takes each
clip as a multipart upload, exactly as a phone's uploader would. The on_object_created and
thumbnail environments are started first (`LocalStack.warm_up`, like provisioned
concurrency), so no clip pays a worker's cold start. The clock starts when the server has
completed the upload (S3 holds the file) and stops when `Media Processed` (the poster: the
first view) and `Media Web Rendition Ready` arrive on a subscriber queue. On the way it notes
when `Media Uploaded` (ingest done) arrived and the seconds the thumbnail job logged per step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boulderstat.client import BoulderStatClient
from boulderstat.local.stack import LocalStack

PART_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class EndToEnd:
    upload_s: float  # the multipart upload itself, to moto on localhost
    to_uploaded_s: float  # S3 notification + ingest, until `Media Uploaded` arrived
    to_poster_s: float
    thumbnail_steps: dict[str, float]  # the thumbnail job's own log: seconds since it began
    to_web_s: float | None  # None: not waited for (poster only)
    web_status: str


def _thumbnail_steps(stack: LocalStack, media_id: str) -> dict[str, float]:
    assert stack.functions is not None
    for line in reversed(stack.functions.log_lines("thumbnail")):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("message") == "media processed" and record.get("media_id") == media_id:
            return {k: float(v) for k, v in record["seconds"].items()}
    return {}


def upload_to_views(
    clips: dict[str, tuple[Path, str]],
    timeout: float = 1800,
    *,
    poster_only: Collection[str] = (),
) -> dict[str, EndToEnd]:
    """One stack for all clips, one clip at a time (the machine has 2 cores). For clips named
    in `poster_only` the clock stops at the poster (their transcode then runs unobserved, so
    put them last)."""
    results: dict[str, EndToEnd] = {}
    # The transcode of a long 4K clip outlives the local default ffmpeg budget (120 s); the
    # web_rendition function's own budget in serverless.yml is 840 s.
    with LocalStack(
        settings_overrides={"ffmpeg_timeout_seconds": 840.0},
        function_environment={"thumbnail": {"POWERTOOLS_LOG_LEVEL": "INFO"}},
    ) as stack:
        stack.warm_up()
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

                subscriber.wait_for(about("Media Uploaded"), timeout=timeout)
                ingested = time.perf_counter()
                subscriber.wait_for(about("Media Processed"), timeout=timeout)
                poster = time.perf_counter()
                web, done = None, None
                if name not in poster_only:
                    web = subscriber.wait_for(about("Media Web Rendition"), timeout=timeout)
                    done = time.perf_counter()
            finally:
                subscriber.close()
            results[name] = EndToEnd(
                upload_s=uploaded - started,
                to_uploaded_s=ingested - uploaded,
                to_poster_s=poster - uploaded,
                thumbnail_steps=_thumbnail_steps(stack, media_id),
                to_web_s=None if done is None else done - uploaded,
                web_status="not waited for"
                if web is None
                else web["detail-type"].removeprefix("Media Web Rendition ").lower(),
            )
    return results
