from datetime import UTC, datetime, timedelta

from boulderstat.media.delivery import MediaLinks
from boulderstat.media.storage import MediaStorage
from tests.unit.media.test_upload_policy import _s3


def test_cdn_urls_for_renditions_when_a_cdn_is_configured_originals_stay_presigned() -> None:
    links = MediaLinks(
        MediaStorage(_s3(), "media-bucket"), expires_in=60, cdn_base_url="https://cdn.example/"
    )
    assert links.url_for("derived/u-1/m/w 320+.webp") == (
        "https://cdn.example/derived/u-1/m/w%20320%2B.webp"
    )
    original = links.url_for("uploads/u-1/m.jpg")
    assert original.startswith("https://s3.eu-west-1.amazonaws.com/media-bucket/uploads/u-1/m.jpg?")
    assert "X-Amz-Signature=" in original
    now = datetime.now(UTC)
    assert links.expires_at(now) == now + timedelta(seconds=60)


def test_presigned_urls_otherwise() -> None:
    links = MediaLinks(MediaStorage(_s3(), "media-bucket"), expires_in=60)
    url = links.url_for("derived/u-1/m/w320.webp")
    assert url.startswith(
        "https://s3.eu-west-1.amazonaws.com/media-bucket/derived/u-1/m/w320.webp?"
    )
    assert "X-Amz-Signature=" in url
    now = datetime.now(UTC)
    assert links.expires_at(now) == now + timedelta(seconds=60)
