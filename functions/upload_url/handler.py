"""POST /media/uploads: grants one presigned POST for one file into the caller's upload prefix."""

# No `from __future__ import annotations`: the resolver reads route annotations (Body, Query)
# from the function it calls, which `tracer.capture_method` wraps, so string annotations would
# be resolved in the tracer's module and the body would be taken for a query parameter.
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from boulderstat.adapters.aws import aws_client
from boulderstat.adapters.connections import per_container
from boulderstat.adapters.mongo import mongo_database
from boulderstat.http_api import COGNITO_SECURITY, caller_id, create_http_app, responses
from boulderstat.media.api_models import UploadGrant, UploadRequest
from boulderstat.media.climb_ownership import MongoClimbOwnership
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


@app.post(
    "/media/uploads",
    tags=["media"],
    security=COGNITO_SECURITY,
    summary="Get a presigned POST for one photo or video",
    description=(
        "The server picks the key inside the caller's prefix and pins type and size. "
        "Then POST `upload.fields` plus the file (last) to `upload.url` before `expires_at`."
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


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
