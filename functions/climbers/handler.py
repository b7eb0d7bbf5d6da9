"""Profiles, search, follows and blocks: /me, /me/followers, /me/following, /me/blocked and
/climbers/... Thin: validation by Powertools and pydantic, the rules in `Climbers`."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from boulderstat.community.api import KEPT_CHANGING, NOT_FOUND, NOT_YOURSELF, ClimberIdPath
from boulderstat.community.climbers import ClimberList, ClimberProfile, FollowView
from boulderstat.community.profiles import Profile, ProfileChanges
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
    max_body_bytes=get_settings().max_body_bytes, tags=["community"], security=COGNITO_SECURITY
)
Limit = Annotated[int, Query(ge=1, le=100, description="At most this many.")]


@app.get(
    "/me",
    summary="My profile",
    responses=responses(200, "My profile (created on first use)."),
)
def get_me() -> Profile:
    return community().climbers.me(caller_id(app))


@app.patch(
    "/me",
    summary="Change my profile",
    responses=responses(200, "My profile after the change."),
)
def patch_me(changes: ProfileChanges) -> Profile:
    return community().climbers.change_me(caller_id(app), changes)


@app.get(
    "/climbers",
    summary="Find climbers by display name prefix (case-insensitive)",
    responses=responses(200, "Climbers whose display name starts with `q`."),
)
def search_climbers(
    q: Annotated[str, Query(min_length=1, max_length=50, description="Name prefix.")],
    limit: Limit = 20,
) -> ClimberList:
    return community().climbers.search(caller_id(app), q, limit=limit)


@app.get(
    "/climbers/<climberId>",
    summary="A climber's profile, our relationship and the stats I may see",
    responses=responses(200, "The climber's profile.", NOT_FOUND),
)
def get_climber(climber_id: ClimberIdPath) -> ClimberProfile:
    return community().climbers.profile(caller_id(app), climber_id)


@app.put(
    "/climbers/<climberId>/follow",
    summary="Follow (a private account: ask to follow)",
    responses=responses(
        200, "The follow, active or pending.", NOT_FOUND | NOT_YOURSELF | KEPT_CHANGING
    ),
)
def follow(climber_id: ClimberIdPath) -> FollowView:
    return community().climbers.follow(caller_id(app), climber_id)


@app.delete(
    "/climbers/<climberId>/follow",
    summary="Unfollow (or withdraw a request)",
    responses=responses(204, "Done (also when there was nothing to do).", KEPT_CHANGING),
)
def unfollow(climber_id: ClimberIdPath) -> Response[None]:
    community().climbers.unfollow(caller_id(app), climber_id)
    return Response(status_code=204)


@app.put(
    "/climbers/<climberId>/block",
    summary="Block: removes follows both ways; they see nothing of mine",
    responses=responses(
        204, "Blocked (also when already blocked).", NOT_FOUND | NOT_YOURSELF | KEPT_CHANGING
    ),
)
def block(climber_id: ClimberIdPath) -> Response[None]:
    community().climbers.block(caller_id(app), climber_id)
    return Response(status_code=204)


@app.delete(
    "/climbers/<climberId>/block",
    summary="Unblock",
    responses=responses(204, "Done (also when there was nothing to do)."),
)
def unblock(climber_id: ClimberIdPath) -> Response[None]:
    community().climbers.unblock(caller_id(app), climber_id)
    return Response(status_code=204)


@app.get(
    "/me/followers",
    summary="My followers, or (pending=true) my follow requests",
    responses=responses(200, "My followers or requests, newest first."),
)
def my_followers(
    pending: Annotated[bool, Query(description="Requests waiting for approval.")] = False,
    limit: Limit = 50,
) -> list[FollowView]:
    return community().climbers.followers(caller_id(app), pending=pending, limit=limit)


@app.put(
    "/me/followers/<climberId>",
    summary="Approve a follow request",
    responses=responses(
        200, "The follow, now active.", {404: "No pending request from them."} | KEPT_CHANGING
    ),
)
def approve_follower(climber_id: ClimberIdPath) -> FollowView:
    return community().climbers.approve(caller_id(app), climber_id)


@app.delete(
    "/me/followers/<climberId>",
    summary="Remove a follower (or refuse a request)",
    responses=responses(204, "Done (also when there was nothing to do).", KEPT_CHANGING),
)
def remove_follower(climber_id: ClimberIdPath) -> Response[None]:
    community().climbers.remove_follower(caller_id(app), climber_id)
    return Response(status_code=204)


@app.get(
    "/me/following",
    summary="Whom I follow (and pending requests)",
    responses=responses(200, "Whom I follow."),
)
def my_following(limit: Limit = 50) -> list[FollowView]:
    return community().climbers.following(caller_id(app), limit=limit)


@app.get(
    "/me/blocked",
    summary="Climbers I blocked",
    responses=responses(200, "Climbers I blocked."),
)
def my_blocked(limit: Limit = 50) -> ClimberList:
    return community().climbers.blocked(caller_id(app), limit=limit)


handler = http_handler(app)
