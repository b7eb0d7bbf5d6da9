from boulderstat.settings import Settings


def test_settings_round_trip_through_the_environment() -> None:
    settings = Settings(
        stage="staging",
        cognito_client_ids=("a", "b"),
        rendition_widths=(320, 960),
        max_video_seconds=12.5,
        mongodb_uri="mongodb://x",
    )
    assert Settings.from_env(settings.as_env()) == settings


def test_widths_are_sorted_and_lists_trimmed() -> None:
    settings = Settings.from_env({"RENDITION_WIDTHS": "1920, 320,960", "ALLOWED_ORIGINS": "a, b,"})
    assert settings.rendition_widths == (320, 960, 1920)
    assert settings.allowed_origins == ("a", "b")


def test_local_endpoint_serves_jwks_but_issuer_stays_aws() -> None:
    settings = Settings(
        region="eu-west-1",
        cognito_user_pool_id="eu-west-1_abc",
        aws_endpoint_url="http://127.0.0.1:1",
    )
    assert settings.cognito_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert settings.jwks_url == "http://127.0.0.1:1/eu-west-1_abc/.well-known/jwks.json"
    assert Settings(cognito_user_pool_id="p").jwks_url.startswith("https://cognito-idp.")
