"""Behind CloudFront, sign-in and refresh also hand the browser the signed cookies for
/derived/, signed with the private key the auth function reads from SSM (moto here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from boulderstat.local.stack import LocalStack
from tests.integration.auth.web_app import SignedIn, auth_post, set_cookies
from tests.unit.media.test_viewer_cookies import _from_cloudfront_b64

KEY_ID = "K3AB12CD34EF56"
PARAMETER = "/boulderstat/local/cloudfront-private-key"
VIEWER = {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}


@pytest.fixture
def behind_cloudfront(stack: LocalStack) -> Iterator[rsa.RSAPrivateKey]:
    """The auth function configured as serverless.yml configures it behind CloudFront."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    stack.client("ssm").put_parameter(
        Name=PARAMETER, Value=pem, Type="SecureString", Overwrite=True
    )
    patch = {"CDN_KEY_PAIR_ID": KEY_ID, "CDN_PRIVATE_KEY_PARAMETER": PARAMETER}
    with stack.function_environment_patch("auth", **patch):
        yield key


def test_sign_in_refresh_and_logout_manage_the_rendition_cookies(
    stack: LocalStack,
    behind_cloudfront: rsa.RSAPrivateKey,
    sign_in: Callable[..., SignedIn],
) -> None:
    signed_in = sign_in("viewer")
    issued = {c.name: c for c in set_cookies(signed_in.response) if c.name in VIEWER}
    assert set(issued) == VIEWER
    assert issued["CloudFront-Key-Pair-Id"].value == KEY_ID
    for cookie in issued.values():
        assert cookie.attributes["path"] == "/derived/"
        assert {"secure", "httponly"} <= set(cookie.attributes)
        assert cookie.attributes["samesite"].lower() == "strict"
    behind_cloudfront.public_key().verify(
        _from_cloudfront_b64(issued["CloudFront-Signature"].value),
        _from_cloudfront_b64(issued["CloudFront-Policy"].value),
        padding.PKCS1v15(),
        hashes.SHA1(),
    )

    refreshed = auth_post(stack, "/auth/refresh", refresh_token=signed_in.refresh_token)
    assert refreshed.status_code == 200
    assert {c.name for c in set_cookies(refreshed)} >= VIEWER

    logout = auth_post(stack, "/auth/logout", refresh_token=signed_in.refresh_token)
    cleared = {c.name: c for c in set_cookies(logout) if c.name in VIEWER}
    assert set(cleared) == VIEWER and all(c.max_age == 0 for c in cleared.values())
