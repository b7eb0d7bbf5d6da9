"""GET /media, GET /media/{mediaId}, DELETE /media/{mediaId}: the caller's own media only."""

# No `from __future__ import annotations`: the resolver reads route annotations (Body, Query)
# from the function it calls, which `tracer.capture_method` wraps, so string annotations would
# be resolved in the tracer's module and the body would be taken for a query parameter.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.events.publisher import EventBridgePublisher
from boulderstat.http_api import (
    COGNITO_SECURITY,
    ETAG_HEADER,
    IfMatchHeader,
    caller_id,
    create_http_app,
    responses,
)
from boulderstat.media.api_models import (
    CLIMB_ID_PATTERN,
    MEDIA_ID_PATTERN,
    MediaPage,
    MediaView,
)
from boulderstat.media.delivery import MediaLinks
from boulderstat.media.library import MediaCursor, MediaLibrary
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.observability import lambda_handler, logger, metrics, tracer
from boulderstat.pagination import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from boulderstat.revisions import IfMatch, etag
from boulderstat.settings import get_settings

_settings = get_settings()
app = create_http_app(max_body_bytes=_settings.max_body_bytes)


@per_container
def library() -> MediaLibrary:
    settings = get_settings()
    storage = MediaStorage(aws_client("s3", settings), settings.media_bucket)
    links = MediaLinks(
        storage,
        expires_in=settings.media_url_expires_seconds,
        cdn_base_url=settings.media_cdn_base_url,
    )
    publisher = EventBridgePublisher(aws_client("events", settings), settings.event_bus_name)
    return MediaLibrary(MediaRepository(mongo_database(settings)), storage, links, publisher)


TAGS = ["media"]
NOT_FOUND = {404: "No such media for the caller."}


@app.get(
    "/media",
    tags=TAGS,
    security=COGNITO_SECURITY,
    summary="List my media, newest first",
    description=(
        "Pages by cursor: pass `next_cursor` back as `cursor` until it is null. "
        "`climb_id` narrows to the media attached to one climb."
    ),
    responses=responses(200, "One page of the caller's media."),
)
@tracer.capture_method
def list_media(
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT,
    climb_id: Annotated[str | None, Query(pattern=CLIMB_ID_PATTERN)] = None,
    cursor: Annotated[MediaCursor | None, Query()] = None,
) -> MediaPage:
    return library().list(caller_id(app), limit=limit, climb_id=climb_id, cursor=cursor or None)


# The path parameter is named as in serverless.yml (`{mediaId}`), which API Gateway routes on.
MediaIdPath = Annotated[
    str, Path(alias="mediaId", pattern=MEDIA_ID_PATTERN, description="The media's id.")
]


@app.get(
    "/media/<mediaId>",
    tags=TAGS,
    security=COGNITO_SECURITY,
    summary="Get one media item, with its URLs once they exist",
    responses=responses(
        200,
        "The media item; `ETag` is its revision.",
        NOT_FOUND,
        model=MediaView,
        headers=ETAG_HEADER,
    ),
)
@tracer.capture_method
def get_media(media_id: MediaIdPath) -> Response[MediaView]:
    view = library().get(caller_id(app), media_id)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=view,
        headers={"ETag": etag(view.revision)},
    )


@app.delete(
    "/media/<mediaId>",
    tags=TAGS,
    security=COGNITO_SECURITY,
    summary="Delete a media item, its original and every rendition",
    description="With `If-Match`, only the revision it names is deleted (412 otherwise).",
    responses=responses(
        204,
        "Deleted: the original, every rendition and the record.",
        NOT_FOUND
        | {
            412: "If-Match names a revision that is no longer current (e.g. processing finished "
            "since you read it). Re-read it (GET) and retry with the new ETag."
        },
    ),
)
@tracer.capture_method
def delete_media(media_id: MediaIdPath, if_match: IfMatchHeader = None) -> Response[None]:
    user_id = caller_id(app)
    removed = library().delete(user_id, media_id, if_match=IfMatch.parse(if_match))
    metrics.add_metric(name="MediaDeleted", unit=MetricUnit.Count, value=1)
    logger.info("media deleted", media_id=media_id, user_id=user_id, objects_removed=removed)
    return Response(status_code=204)


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
