"""Example bodies of the HTTP API, one per model, published in docs/openapi.json.

Plain literals on purpose: they show a front-end developer real-looking values, and
tests/contract/test_openapi_document.py validates each against its schema, so an example that
drifts from its model fails a test instead of misleading a reader.
"""

from __future__ import annotations

from typing import Any

CLIMB_ID = "019ab8c3d2e07f1a9b2c3d4e5f607182"
MEDIA_ID = "019ab8c4a1f27b3c8d9e0f1a2b3c4d5e"
USER_ID = "5f1c3a9e-2b7d-4c1e-9a3f-7d2e8b6c4a10"
WHEN = "2026-11-20T18:04:11.512000Z"

LOCATION: dict[str, Any] = {"kind": "gym", "name": "Boulderwelt", "area": "Cave"}
NEW_CLIMB: dict[str, Any] = {
    "title": "Pinch roof",
    "grade": "V5",
    "outcome": "send",
    "attempts": 3,
    "climb_date": "2026-11-20",
    "angle": "roof",
    "holds": ["pinch", "sloper"],
    "styles": ["compression", "heel_hook"],
    "description": "Heel hook at the lip, then a big move to the jug.",
    "location": LOCATION,
    "tags": ["comp set"],
    "media_ids": [MEDIA_ID],
    "visibility": "followers",
}
CLIMB_CHANGES: dict[str, Any] = {"outcome": "flash", "attempts": 1}
CLIMB: dict[str, Any] = NEW_CLIMB | {
    "grade": 5,
    "climb_id": CLIMB_ID,
    "revision": 1,
    "created_at": WHEN,
    "updated_at": WHEN,
    "grade_label": "V5",
}
CLIMB_PAGE: dict[str, Any] = {
    "items": [CLIMB],
    "next_cursor": "eyJ2IjoxLCJsIjoiY2xpbWJzIiwiayI6WyIyMDI2LTExLTIwIiwiMDE5YWI4YzNkMmUwN2Yx"
    "YTliMmMzZDRlNWY2MDcxODIiXX0",
}
CLIMB_SUMMARY: dict[str, Any] = {
    "climb_id": CLIMB_ID,
    "title": "Pinch roof",
    "grade": 5,
    "outcome": "send",
    "climb_date": "2026-11-20",
    "grade_label": "V5",
}
GRADE_SENDS: dict[str, Any] = {"grade": 5, "sends": 2, "grade_label": "V5"}
OUTCOME_COUNTS: dict[str, Any] = {"flash": 1, "send": 2, "project": 1}
DATE_RANGE: dict[str, Any] = {"from": "2026-11-01", "to": "2026-11-30"}
WEEK: dict[str, Any] = {
    "start": "2026-11-16",
    "end": "2026-11-22",
    "climbs": 1,
    "items": [CLIMB_SUMMARY],
}
CLIMB_STATS: dict[str, Any] = {
    "climbs": 4,
    "hiscore": CLIMB_SUMMARY,
    "pyramid": [{"grade": 3, "sends": 1, "grade_label": "V3"}, GRADE_SENDS],
    "outcomes": OUTCOME_COUNTS,
    "sessions": 3,
    "period": DATE_RANGE,
    "this_week": WEEK,
}

UPLOAD_REQUEST: dict[str, Any] = {
    "content_type": "image/jpeg",
    "size": 3_481_202,
    "filename": "pinch-roof.jpg",
    "climb_id": CLIMB_ID,
}
PRESIGNED_POST: dict[str, Any] = {
    "url": "https://boulderstat-staging-media-123456789012.s3.amazonaws.com/",
    "fields": {
        "Content-Type": "image/jpeg",
        "key": f"uploads/{USER_ID}/{MEDIA_ID}.jpg",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "ASIA.../20261120/eu-west-1/s3/aws4_request",
        "x-amz-date": "20261120T180411Z",
        "policy": "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjBUMTg6MTk6MTFaIn0=",
        "x-amz-signature": "5d2f0c...",
    },
}
UPLOAD_GRANT: dict[str, Any] = {
    "media_id": MEDIA_ID,
    "kind": "photo",
    "content_type": "image/jpeg",
    "key": f"uploads/{USER_ID}/{MEDIA_ID}.jpg",
    "max_bytes": 3_481_202,
    "expires_at": "2026-11-20T18:19:11Z",
    "upload": PRESIGNED_POST,
}
UPLOAD_ID = "2~Zb8Yx0Pq3tK9mR4sW1vN7cL5hJ2gF6dE"
MULTIPART_ETAG = "5d41402abc4b2a76b9719d911017c592-23"
MULTIPART_GRANT: dict[str, Any] = {
    "upload_id": UPLOAD_ID,
    "part_size": 8_388_608,
    "part_count": 23,
}
PART_URL: dict[str, Any] = {
    "part_number": 3,
    "size": 8_388_608,
    "url": f"https://boulderstat-staging-media-123456789012.s3.amazonaws.com/uploads/{USER_ID}/"
    f"{MEDIA_ID}.mov?uploadId={UPLOAD_ID}&partNumber=3&X-Amz-Expires=300&X-Amz-Signature=...",
    "expires_at": "2026-11-20T18:09:11Z",
}
UPLOADED_PART: dict[str, Any] = {
    "part_number": 1,
    "size": 8_388_608,
    "etag": "9b2cf535f27731c974343645a3985328",
}
UPLOAD_PARTS: dict[str, Any] = {
    "media_id": MEDIA_ID,
    "upload_id": UPLOAD_ID,
    "part_size": 8_388_608,
    "part_count": 23,
    "parts": [UPLOADED_PART],
}
PART_REFERENCE: dict[str, Any] = {"part_number": 1, "etag": "9b2cf535f27731c974343645a3985328"}
COMPLETE_UPLOAD: dict[str, Any] = {"upload_id": UPLOAD_ID, "parts": [PART_REFERENCE]}
COMPLETED_UPLOAD: dict[str, Any] = {
    "media_id": MEDIA_ID,
    "key": f"uploads/{USER_ID}/{MEDIA_ID}.mov",
    "size": 190_012_345,
    "etag": MULTIPART_ETAG,
}
WEB_RENDITION: dict[str, Any] = {"status": "pending", "reason": None}
FAILURE: dict[str, Any] = {"phase": "ingest", "reason": "The file is not a JPEG image"}
ORIGINAL: dict[str, Any] = {
    "url": f"https://boulderstat-staging-media-123456789012.s3.amazonaws.com/uploads/{USER_ID}/"
    f"{MEDIA_ID}.jpg?X-Amz-Expires=900&X-Amz-Signature=...",
    "content_type": "image/jpeg",
    "size": 3_481_202,
}
RENDITION: dict[str, Any] = {
    "name": "w960",
    "url": f"https://boulderstat-staging-media-123456789012.s3.amazonaws.com/derived/{USER_ID}/"
    f"{MEDIA_ID}/960.webp?X-Amz-Expires=900&X-Amz-Signature=...",
    "width": 960,
    "height": 1280,
    "bytes": 148_233,
    "format": "webp",
}
MEDIA_VIEW: dict[str, Any] = {
    "media_id": MEDIA_ID,
    "revision": 4,
    "status": "ready",
    "kind": "photo",
    "content_type": "image/jpeg",
    "filename": "pinch-roof.jpg",
    "climb_id": CLIMB_ID,
    "declared_size": 3_481_202,
    "size": 3_481_202,
    "format": "JPEG",
    "created_at": WHEN,
    "updated_at": "2026-11-20T18:04:15.020000Z",
    "uploaded_at": "2026-11-20T18:04:13.101000Z",
    "processed_at": "2026-11-20T18:04:15.020000Z",
    "metadata": {"width": 3024, "height": 4032},
    "placeholder": "data:image/webp;base64,UklGRh4AAABXRUJQVlA4...",
    "failure": None,
    "original": ORIGINAL,
    "renditions": [RENDITION],
    "urls_expire_at": "2026-11-20T18:19:15Z",
}
MEDIA_PAGE: dict[str, Any] = {"items": [MEDIA_VIEW], "next_cursor": None}

CODE_EXCHANGE: dict[str, Any] = {
    "code": "3f1e7c1a-54b4-4c8e-8a44-7f0b2d1c9e55",
    "redirect_uri": "https://staging.boulderstat.com/auth/callback",
    "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
}
SESSION_TOKENS: dict[str, Any] = {
    "id_token": "eyJraWQiOiJ...ID-token...",
    "access_token": "eyJraWQiOiJ...access-token...",
    "expires_in": 3600,
    "token_type": "Bearer",
}

OTHER_ID = "9b2d7e41-6c3a-4f8e-b1d5-2a7c9e0f3b64"
RENDITION_LINK: dict[str, Any] = {
    "name": "w320",
    "url": f"https://media.staging.boulderstat.com/derived/{OTHER_ID}/{MEDIA_ID}/320.webp",
    "width": 320,
    "height": 427,
    "format": "webp",
}
OWNER_CARD: dict[str, Any] = {
    "climber_id": OTHER_ID,
    "display_name": "Lena",
    "picture": [RENDITION_LINK],
}
MEDIA_CARD: dict[str, Any] = {
    "media_id": MEDIA_ID,
    "kind": "photo",
    "width": 3024,
    "height": 4032,
    "placeholder": "data:image/webp;base64,UklGRh4AAABXRUJQVlA4...",
    "renditions": [RENDITION_LINK],
}
FEED_CARD: dict[str, Any] = {
    "climb_id": CLIMB_ID,
    "owner": OWNER_CARD,
    "title": "Pinch roof",
    "grade": 5,
    "outcome": "send",
    "attempts": 3,
    "climb_date": "2026-11-20",
    "angle": "roof",
    "location": LOCATION,
    "description": "Heel hook at the lip, then a big move to the jug.",
    "visibility": "public",
    "media": [MEDIA_CARD],
    "like_count": 4,
    "liked": True,
    "comment_count": 1,
    "created_at": WHEN,
    "grade_label": "V5",
}
FEED_PAGE: dict[str, Any] = {
    "items": [FEED_CARD],
    # A cursor names its list (here GET /feed): boulderstat/climbs/cursor.py.
    "next_cursor": "eyJ2IjoxLCJsIjoiZmVlZCIsImsiOlsiMjAyNi0xMS0yMCIsIjAxOWFiOGMzZDJlMDdmMWE5YjJj"
    "M2Q0ZTVmNjA3MTgyIl19",
}
PAGE_QUERY: dict[str, Any] = {"limit": 20}
PROFILE: dict[str, Any] = {
    "climber_id": USER_ID,
    "display_name": "Sam",
    "bio": "Slab enjoyer. Crimps on Tuesdays.",
    "home_gym": "Boulderwelt",
    "private": False,
    "default_visibility": "followers",
    "picture_media_id": None,
    "created_at": WHEN,
    "updated_at": WHEN,
}
PROFILE_CHANGES: dict[str, Any] = {"display_name": "Sam K.", "private": True}
RELATIONSHIP: dict[str, Any] = {"you_follow": "active", "follows_you": "pending", "friends": False}
PUBLIC_STATS: dict[str, Any] = {
    "climbs": 4,
    "hardest_send": CLIMB_SUMMARY,
    "sends_this_week": 1,
    "pyramid": [GRADE_SENDS],
}
CLIMBER_PROFILE: dict[str, Any] = {
    "climber_id": OTHER_ID,
    "display_name": "Lena",
    "bio": "",
    "home_gym": "Boulderwelt",
    "private": False,
    "picture": [RENDITION_LINK],
    "followers": 12,
    "following": 9,
    "relationship": RELATIONSHIP,
    "stats": PUBLIC_STATS,
}
CLIMBER_LIST: dict[str, Any] = {"items": [OWNER_CARD]}
FOLLOW_VIEW: dict[str, Any] = {"climber_id": OTHER_ID, "status": "active"}


def examples(*values: dict[str, Any]) -> dict[str, Any]:
    """`json_schema_extra` for a model: its examples in the OpenAPI component schema."""
    return {"examples": list(values)}
