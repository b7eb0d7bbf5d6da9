"""Likes and comments: /climbs/{climbId}/like, /climbs/{climbId}/comments[/{commentId}[/like]].
Thin: the climb's visibility, blocks and who may delete what are `Likes`/`Comments` rules."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from boulderstat.community.api import (
    KEPT_CHANGING,
    NOT_FOUND,
    ClimbIdPath,
    CommentIdPath,
    CommentsQuery,
)
from boulderstat.community.comments import CommentPage, CommentView, NewComment
from boulderstat.community.likes import LikeState
from boulderstat.community.wiring import community
from boulderstat.http_api import (
    COGNITO_SECURITY,
    caller_id,
    create_http_app,
    responses,
)
from boulderstat.observability import http_handler
from boulderstat.settings import get_settings

app = create_http_app(
    max_body_bytes=get_settings().max_body_bytes, tags=["reactions"], security=COGNITO_SECURITY
)


@app.put(
    "/climbs/<climbId>/like",
    summary="Like a climb (idempotent)",
    responses=responses(200, "Liked, with the like count.", NOT_FOUND | KEPT_CHANGING),
)
def like_climb(climb_id: ClimbIdPath) -> LikeState:
    return community().likes.like_climb(caller_id(app), climb_id)


@app.delete(
    "/climbs/<climbId>/like",
    summary="Take a like back (idempotent)",
    responses=responses(200, "Not liked, with the like count.", NOT_FOUND | KEPT_CHANGING),
)
def unlike_climb(climb_id: ClimbIdPath) -> LikeState:
    return community().likes.unlike_climb(caller_id(app), climb_id)


@app.get(
    "/climbs/<climbId>/comments",
    summary="Comments on a climb, oldest first",
    responses=responses(200, "One page of comments.", NOT_FOUND),
)
def list_comments(climb_id: ClimbIdPath, page: Annotated[CommentsQuery, Query()]) -> CommentPage:
    return community().comments.page(caller_id(app), climb_id, after=page.after, limit=page.limit)


@app.post(
    "/climbs/<climbId>/comments",
    status_code=201,
    summary="Comment on a climb",
    responses=responses(201, "The comment.", NOT_FOUND | KEPT_CHANGING),
)
def post_comment(climb_id: ClimbIdPath, comment: NewComment) -> CommentView:
    return community().comments.post(caller_id(app), climb_id, comment)


@app.delete(
    "/climbs/<climbId>/comments/<commentId>",
    summary="Delete a comment (its author or the climb's owner)",
    responses=responses(204, "Deleted.", NOT_FOUND | KEPT_CHANGING),
)
def delete_comment(climb_id: ClimbIdPath, comment_id: CommentIdPath) -> Response[None]:
    community().comments.delete(caller_id(app), climb_id, comment_id)
    return Response(status_code=204)


@app.put(
    "/climbs/<climbId>/comments/<commentId>/like",
    summary="Like a comment (idempotent)",
    responses=responses(200, "Liked, with the like count.", NOT_FOUND | KEPT_CHANGING),
)
def like_comment(climb_id: ClimbIdPath, comment_id: CommentIdPath) -> LikeState:
    return community().likes.like_comment(caller_id(app), climb_id, comment_id)


@app.delete(
    "/climbs/<climbId>/comments/<commentId>/like",
    summary="Take a like on a comment back (idempotent)",
    responses=responses(200, "Not liked, with the like count.", NOT_FOUND | KEPT_CHANGING),
)
def unlike_comment(climb_id: ClimbIdPath, comment_id: CommentIdPath) -> LikeState:
    return community().likes.unlike_comment(caller_id(app), climb_id, comment_id)


handler = http_handler(app)
