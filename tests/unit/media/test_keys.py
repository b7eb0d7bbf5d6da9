import pytest

from boulderstat.ids import is_id
from boulderstat.media.keys import (
    OriginalKey,
    decode_notification_key,
    derived_prefix,
    original_key,
    parse_original_key,
)

SUB = "3f1c2b6e-8a1d-4c55-9d0e-2b7f6a1c9e10"
MEDIA_ID = "019ab3c4d5e6f7a8b9c0d1e2f3a4b5c6"


def test_original_keys_round_trip() -> None:
    key = original_key(SUB, MEDIA_ID, "jpg")
    assert key == f"uploads/{SUB}/{MEDIA_ID}.jpg"
    assert parse_original_key(key) == OriginalKey(SUB, MEDIA_ID, "jpg")
    assert derived_prefix(SUB, MEDIA_ID) == f"derived/{SUB}/{MEDIA_ID}/"


@pytest.mark.parametrize(
    "key",
    [
        "uploads/u1/a b+c ü.jpg",
        f"uploads/{SUB}/{MEDIA_ID}.exe",
        f"uploads/{SUB}/{MEDIA_ID}.JPG",
        f"uploads/{SUB}/{MEDIA_ID}.jpg\n",
        f"uploads/{SUB}/{MEDIA_ID}",
        f"uploads/{SUB}/../{MEDIA_ID}.jpg",
        f"uploads/{SUB}/x/{MEDIA_ID}.jpg",
        f"uploads//{MEDIA_ID}.jpg",
        f"derived/{SUB}/{MEDIA_ID}.jpg",
        f"/uploads/{SUB}/{MEDIA_ID}.jpg",
        f"uploads/{SUB}/{MEDIA_ID.upper()}.jpg",
        f"uploads/{SUB}/{MEDIA_ID}0.jpg",
        f"uploads/{'a' * 65}/{MEDIA_ID}.jpg",  # longer than any user id (boulderstat.ids)
        f"uploads/{SUB}/{MEDIA_ID}.jpg" + " " * 2000,
    ],
)
def test_keys_outside_the_layout_are_not_ours(key: str) -> None:
    assert parse_original_key(key) is None


def test_building_a_key_refuses_anything_outside_the_layout() -> None:
    with pytest.raises(ValueError):
        original_key("../bob", MEDIA_ID, "jpg")


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("uploads/u1/a+b%2Bc+%C3%BC.jpg", "uploads/u1/a b+c ü.jpg"),  # AWS
        ("uploads%2Fu1%2Fa+b%2Bc+%C3%BC.jpg", "uploads/u1/a b+c ü.jpg"),  # moto
        (f"uploads%2F{SUB}%2F{MEDIA_ID}.jpg", f"uploads/{SUB}/{MEDIA_ID}.jpg"),
        ("uploads/u1/100%25.jpg", "uploads/u1/100%.jpg"),
    ],
)
def test_notification_keys_are_url_decoded(raw: str, decoded: str) -> None:
    assert decode_notification_key(raw) == decoded


def test_a_media_id_that_could_leave_its_key_is_refused() -> None:
    assert is_id(MEDIA_ID)
    assert not is_id(MEDIA_ID + "\n")
    assert not is_id("../" + MEDIA_ID[3:])
