"""A profile picture goes through the same presigned upload pipeline with its own purpose and
comes out as square crops, shown on the profile and on every feed card of its owner."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from tests.integration.community.conftest import Join, Member
from tests.media_factory import oriented_photo, scene_corners


def _upload(member: Member, path: Path, **extra: Any) -> str:
    data = path.read_bytes()
    grant = member.api.post(
        "/media/uploads", {"content_type": "image/jpeg", "size": len(data), **extra}
    )
    response = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": (path.name, data, "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 204
    deadline = time.monotonic() + 60
    while member.api.get(f"/media/{grant['media_id']}")["status"] != "ready":
        assert time.monotonic() < deadline, "the picture was not processed in time"
        time.sleep(0.3)
    return str(grant["media_id"])


def test_a_sideways_phone_photo_becomes_upright_square_profile_pictures(
    join: Join, tmp_path: Path
) -> None:
    me, fan = join("pictured", default_visibility="public"), join("fan")
    photo = oriented_photo(tmp_path / "me.jpg", 6, size=(1200, 800))  # EXIF 6, with GPS
    media_id = _upload(me, photo, purpose="profile_picture")
    assert me.api.patch("/me", {"picture_media_id": media_id})["picture_media_id"] == media_id
    picture = fan.api.get(f"/climbers/{me.sub}")["picture"]
    assert [(p["name"], p["width"], p["height"]) for p in picture] == [
        ("s64", 64, 64), ("s128", 128, 128), ("s256", 256, 256), ("s512", 512, 512),
    ]  # fmt: skip
    largest = requests.get(picture[-1]["url"], timeout=30)
    with Image.open(io.BytesIO(largest.content)) as square:
        assert square.size == (512, 512)
        assert scene_corners(square) == ("red", "blue", "white", "white")  # upright
        assert not square.getexif() and not {"exif", "xmp", "icc_profile"} & set(square.info)
    climb_id = me.climb()["climb_id"]
    owner = fan.api.get(f"/climbs/{climb_id}/card")["owner"]
    assert [p["name"] for p in owner["picture"]] == ["s64", "s128", "s256", "s512"]


def test_only_ones_own_profile_picture_uploads_can_be_the_picture(
    join: Join, tmp_path: Path
) -> None:
    me, other = join("me"), join("other")
    photo = oriented_photo(tmp_path / "p.jpg", 1, size=(300, 200), gps=False)
    climb_photo = _upload(me, photo)  # an ordinary climb photo
    theirs = _upload(other, photo, purpose="profile_picture")
    for media_id in (climb_photo, theirs, "0" * 32):
        me.api.patch("/me", {"picture_media_id": media_id})
        # Stored, but never shown: it is not the climber's own processed profile picture.
        assert other.api.get(f"/climbers/{me.sub}")["picture"] == []
