import pytest
from pydantic import ValidationError

from boulderstat.errors import UnsupportedMediaType
from boulderstat.media.api_models import UploadRequest
from boulderstat.media.filenames import display_filename
from boulderstat.media.kinds import ALLOWED_MEDIA_TYPES, max_bytes_for, media_type_for
from boulderstat.settings import Settings


def test_every_allowed_type_has_a_kind_and_a_server_side_extension() -> None:
    photos = {t for t, m in ALLOWED_MEDIA_TYPES.items() if m.kind == "photo"}
    videos = {t for t, m in ALLOWED_MEDIA_TYPES.items() if m.kind == "video"}
    assert photos == {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
        "image/gif",
    }
    assert videos == {"video/mp4", "video/quicktime", "video/webm"}
    assert media_type_for(" Image/JPEG ").extension == "jpg"
    assert media_type_for("video/quicktime").extension == "mov"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "image/svg+xml", "image/jpeg; charset=binary", "video/x-msvideo", "", "*/*"],
)
def test_other_types_are_unsupported_with_the_allowed_list(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        media_type_for(content_type)
    assert raised.value.status == 415
    assert "image/jpeg" in raised.value.reason


def test_caps_come_from_settings_per_kind() -> None:
    settings = Settings(max_photo_bytes=10, max_video_bytes=20)
    assert max_bytes_for("photo", settings) == 10
    assert max_bytes_for("video", settings) == 20


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "image/jpeg", "size": 0},
        {"content_type": "image/jpeg", "size": -1},
        {"content_type": "image/jpeg", "size": "100"},
        {"content_type": "image/jpeg", "size": 1.5},
        {"content_type": "image/jpeg", "size": True},
        {"content_type": "image/jpeg"},
        {"size": 100},
        {"content_type": "image/jpeg", "size": 1, "key": "uploads/bob/x.jpg"},
        {"content_type": "image/jpeg", "size": 1, "climb_id": "../x"},
        {"content_type": "image/jpeg", "size": 1, "filename": "x" * 1025},
        {"content_type": "x" * 101, "size": 1},
    ],
)
def test_malformed_requests_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        UploadRequest.model_validate_json(__import__("json").dumps(body))


def test_filename_is_display_text_only() -> None:
    request = UploadRequest.model_validate(
        {"content_type": "image/jpeg", "size": 5, "filename": "C:\\Users\\me\\..\\IMG 1.jpg"}
    )
    assert request.filename == "IMG 1.jpg"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("a\x00b\r\nc\u202ed.jpg", "a b c d.jpg"),  # controls and bidi overrides become spaces
        ("  spaced   out .png ", "spaced out .png"),
        ("...hidden", "hidden"),
        ("Cafe\u0301.jpg", "Café.jpg"),  # NFC
        ("/", None),
        ("", None),
        (None, None),
    ],
)
def test_display_filenames(raw: str | None, shown: str | None) -> None:
    assert display_filename(raw) == shown


def test_long_filenames_keep_their_extension_within_the_bound() -> None:
    shown = display_filename("a" * 500 + ".jpeg")
    assert shown is not None
    assert len(shown) == 120  # the documented display bound
    assert shown.endswith(".jpeg")
    assert len(display_filename("b" * 500) or "") == 120
