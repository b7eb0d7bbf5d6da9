"""Upload grants into the caller's upload prefix: POST /media/uploads grants a presigned POST or,
for big files, a resumable multipart upload, which the routes under /media/uploads/{mediaId}
sign part by part, list (resume), complete (after checking the parts) and abort."""

# No `from __future__ import annotations`: the resolver reads route annotations (Body, Query)
# from the function it calls, which `tracer.capture_method` wraps, so string annotations would
# be resolved in the tracer's module and the body would be taken for a query parameter.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.http_api import COGNITO_SECURITY, caller_id, create_http_app, responses
from boulderstat.media.api_models import (
    MEDIA_ID_PATTERN,
    CompletedUpload,
    CompleteUploadRequest,
    PartUrl,
    UploadGrant,
    UploadParts,
    UploadRequest,
)
from boulderstat.media.climb_ownership import MongoClimbOwnership
from boulderstat.media.multipart import S3_MAX_PARTS, MultipartUploads
from boulderstat.media.repository import MediaRepository
from boulderstat.media.storage import MediaStorage
from boulderstat.media.uploads import UploadService
from boulderstat.observability import lambda_handler, logger, metrics, tracer
from boulderstat.settings import get_settings

app = create_http_app(max_body_bytes=get_settings().max_body_bytes)


@per_container
def uploads() -> UploadService:
    settings = get_settings()
    db = mongo_database(settings)
    repository = MediaRepository(db)
    repository.ensure_indexes()
    storage = MediaStorage(aws_client("s3", settings), settings.media_bucket)
    return UploadService(repository, storage, MongoClimbOwnership(db), settings)


@per_container
def multipart_uploads() -> MultipartUploads:
    settings = get_settings()
    storage = MediaStorage(aws_client("s3", settings), settings.media_bucket)
    return MultipartUploads(MediaRepository(mongo_database(settings)), storage, settings)


@app.post(
    "/media/uploads",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="Get a presigned POST, or a resumable multipart upload, for one photo or video",
    description=(
        "The server picks the key inside the caller's prefix and pins type and size. Small "
        "files: POST `upload.fields` plus the file (last) to `upload.url` before `expires_at`. "
        "Files above the multipart threshold, or any request naming `part_size`: `multipart` "
        "(see docs/uploads.md)."
    ),
    responses=responses(
        201,
        "The upload grant.",
        {
            404: "`climb_id` is not one of the caller's climbs.",
            413: "The declared size is above the limit of its kind (photo or video), "
            "or the body is larger than the limit.",
            415: "The declared `content_type` is not accepted, or the body is not JSON.",
        },
    ),
)
@tracer.capture_method
def create_upload(request: Annotated[UploadRequest, Body()]) -> Response[UploadGrant]:
    user_id = caller_id(app)
    grant = uploads().create_upload(user_id, request)
    metrics.add_metric(name="UploadGranted", unit=MetricUnit.Count, value=1)
    logger.info("upload granted", media_id=grant.media_id, user_id=user_id, kind=grant.kind)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=grant.model_dump(mode="json"),
    )


# Path parameters are named as in serverless.yml (`{mediaId}`), which API Gateway routes on.
MediaIdPath = Annotated[
    str, Path(alias="mediaId", pattern=MEDIA_ID_PATTERN, description="The media's id.")
]
PartNumberPath = Annotated[int, Path(alias="partNumber", ge=1, le=S3_MAX_PARTS)]


@app.post(
    "/media/uploads/<mediaId>/parts/<partNumber>",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="Sign one part of a multipart upload",
    description="A PUT URL for exactly this part number and its length, valid for minutes.",
    responses=responses(
        200,
        "The part's URL.",
        {
            404: "No multipart upload with this media id for the caller.",
            409: "The upload is complete or its grant expired.",
            422: "The part number is outside 1..part_count.",
        },
    ),
)
@tracer.capture_method
def sign_part(media_id: MediaIdPath, part_number: PartNumberPath) -> PartUrl:
    return multipart_uploads().sign_part(caller_id(app), media_id, part_number)


@app.get(
    "/media/uploads/<mediaId>/parts",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="List the parts S3 holds (resume)",
    responses=responses(
        200,
        "The parts uploaded so far.",
        {
            404: "No multipart upload with this media id for the caller.",
            409: "The upload is complete, was aborted or expired.",
        },
    ),
)
@tracer.capture_method
def list_parts(media_id: MediaIdPath) -> UploadParts:
    return multipart_uploads().list_parts(caller_id(app), media_id)


@app.post(
    "/media/uploads/<mediaId>/complete",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="Complete a multipart upload after checking its parts",
    responses=responses(
        200,
        "The file is assembled; ingest checks it next.",
        {
            404: "No multipart upload with this media id and upload id for the caller.",
            409: "The parts differ from what S3 holds, or the upload is no longer open.",
            413: "The parts hold more bytes than declared or allowed.",
            422: "Parts are missing, extra or not their planned size.",
        },
    ),
)
@tracer.capture_method
def complete_upload(
    media_id: MediaIdPath, request: Annotated[CompleteUploadRequest, Body()]
) -> CompletedUpload:
    user_id = caller_id(app)
    completed = multipart_uploads().complete(user_id, media_id, request)
    metrics.add_metric(name="MultipartUploadCompleted", unit=MetricUnit.Count, value=1)
    logger.info("multipart upload completed", media_id=media_id, user_id=user_id)
    return completed


@app.delete(
    "/media/uploads/<mediaId>",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="Abort a multipart upload",
    responses=responses(
        204,
        "Aborted: S3 dropped the parts and the pending media is gone.",
        {
            404: "No multipart upload with this media id for the caller.",
            409: "The upload is complete: delete the media instead.",
        },
    ),
)
@tracer.capture_method
def abort_upload(media_id: MediaIdPath) -> Response[None]:
    user_id = caller_id(app)
    multipart_uploads().abort(user_id, media_id)
    logger.info("multipart upload aborted", media_id=media_id, user_id=user_id)
    return Response(status_code=204)


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
