"""Creates a stage's AWS resources on the local stack, mirroring what serverless.yml deploys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from boulderstat.events import MEDIA_SOURCE, MediaProcessed, MediaUploaded

# `Media Processed` of a video whose web rendition is due -> the web_rendition function.
WEB_RENDITION_PENDING_PATTERN = {
    "source": [MEDIA_SOURCE],
    "detail-type": [MediaProcessed.DETAIL_TYPE],
    "detail": {"web_rendition": ["pending"]},
}

LOCAL_PASSWORD = "Local-Climber-1!"  # local-only: every local user signs in with it


@dataclass(frozen=True)
class Queues:
    uploads: str
    uploads_dlq: str
    thumbnail: str
    thumbnail_dlq: str
    notify: str
    notify_dlq: str
    web_rendition: str
    web_rendition_dlq: str


def _queue(sqs: Any, name: str, *, dlq_arn: str | None = None) -> str:
    attributes = {"VisibilityTimeout": "30"}
    if dlq_arn:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}
        )
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def create_queues(sqs: Any, prefix: str) -> Queues:
    uploads_dlq = _queue(sqs, f"{prefix}-uploads-dlq")
    thumbnail_dlq = _queue(sqs, f"{prefix}-thumbnail-dlq")
    notify_dlq = _queue(sqs, f"{prefix}-notify-dlq")
    web_rendition_dlq = _queue(sqs, f"{prefix}-web-rendition-dlq")
    return Queues(
        uploads=_queue(sqs, f"{prefix}-uploads", dlq_arn=queue_arn(sqs, uploads_dlq)),
        uploads_dlq=uploads_dlq,
        thumbnail=_queue(sqs, f"{prefix}-thumbnail", dlq_arn=queue_arn(sqs, thumbnail_dlq)),
        thumbnail_dlq=thumbnail_dlq,
        notify=_queue(sqs, f"{prefix}-notify", dlq_arn=queue_arn(sqs, notify_dlq)),
        notify_dlq=notify_dlq,
        web_rendition=_queue(
            sqs, f"{prefix}-web-rendition", dlq_arn=queue_arn(sqs, web_rendition_dlq)
        ),
        web_rendition_dlq=web_rendition_dlq,
    )


def existing_queues(sqs: Any, prefix: str) -> Queues:
    """The queues `create_queues` made (for a process other than the stack's own)."""

    def url(name: str) -> str:
        return str(sqs.get_queue_url(QueueName=f"{prefix}-{name}")["QueueUrl"])

    return Queues(
        uploads=url("uploads"),
        uploads_dlq=url("uploads-dlq"),
        thumbnail=url("thumbnail"),
        thumbnail_dlq=url("thumbnail-dlq"),
        notify=url("notify"),
        notify_dlq=url("notify-dlq"),
        web_rendition=url("web-rendition"),
        web_rendition_dlq=url("web-rendition-dlq"),
    )


def create_bucket(s3: Any, bucket: str, region: str, allowed_origins: tuple[str, ...]) -> None:
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    # The same CORS rules serverless.yml gives the real bucket: browsers POST uploads, PUT parts
    # of multipart uploads (reading their ETag), GET media.
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": list(allowed_origins),
                    "AllowedMethods": ["POST", "PUT", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )


def route_uploads_to_queue(s3: Any, bucket: str, queue_arn_: str) -> None:
    """S3 ObjectCreated under uploads/ only -> the queue the router hands to on_object_created."""
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn_,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )


def create_bus(
    events: Any, bus: str, thumbnail_queue_arn: str, web_rendition_queue_arn: str
) -> None:
    """The stage bus and the pipeline's rules, with the patterns serverless.yml gives them."""
    events.create_event_bus(Name=bus)
    events.put_rule(
        Name=f"{bus}-media-uploaded",
        EventBusName=bus,
        EventPattern=json.dumps(
            {"source": [MEDIA_SOURCE], "detail-type": [MediaUploaded.DETAIL_TYPE]}
        ),
    )
    events.put_targets(
        Rule=f"{bus}-media-uploaded",
        EventBusName=bus,
        Targets=[{"Id": "thumbnail", "Arn": thumbnail_queue_arn}],
    )
    events.put_rule(
        Name=f"{bus}-web-rendition-pending",
        EventBusName=bus,
        EventPattern=json.dumps(WEB_RENDITION_PENDING_PATTERN),
    )
    events.put_targets(
        Rule=f"{bus}-web-rendition-pending",
        EventBusName=bus,
        Targets=[{"Id": "web-rendition", "Arn": web_rendition_queue_arn}],
    )


def subscribe(events: Any, bus: str, name: str, pattern: dict[str, Any], queue_arn_: str) -> None:
    """A rule on the stage bus delivering matching events to a consumer's queue."""
    events.put_rule(Name=f"{bus}-{name}", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=f"{bus}-{name}", EventBusName=bus, Targets=[{"Id": name, "Arn": queue_arn_}]
    )


def create_user_pool(cognito: Any, name: str) -> tuple[str, str]:
    """A pool and app client shaped like the deployed one. Returns (pool id, client id)."""
    for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]:
        if pool["Name"] == name:
            pool_id = pool["Id"]
            break
    else:
        pool_id = cognito.create_user_pool(
            PoolName=name,
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 8,
                    "RequireUppercase": False,
                    "RequireLowercase": False,
                    "RequireNumbers": False,
                    "RequireSymbols": False,
                }
            },
        )["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    for client in clients["UserPoolClients"]:
        if client["ClientName"] == f"{name}-app":
            return pool_id, client["ClientId"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{name}-app",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=["http://localhost:5173/callback"],
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def ensure_user(cognito: Any, pool_id: str, username: str) -> bool:
    """Creates a local user with the local password; False when it already existed."""
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=username)
        return False
    except cognito.exceptions.UserNotFoundException:
        pass
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@local.boulderstat"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=LOCAL_PASSWORD, Permanent=True
    )
    return True


def sign_in(cognito: Any, client_id: str, username: str) -> dict[str, Any]:
    """Real USER_PASSWORD_AUTH against the local Cognito: returns its AuthenticationResult."""
    response = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": LOCAL_PASSWORD},
    )
    return dict(response["AuthenticationResult"])
