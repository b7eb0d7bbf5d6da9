"""CloudFront signed cookies, checked with tools we did not write: botocore's CloudFrontSigner
(signing with `cryptography`) must produce the same policy and signature CloudFront verifies."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import cache
from urllib.parse import parse_qs, urlsplit

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from boulderstat.media.viewer_cookies import ViewerCookies, cleared_viewer_cookies

KEY_ID = "K2JCJMDEHXQW5F"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@cache
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pkcs1_pem() -> str:
    return (
        private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _from_cloudfront_b64(value: str) -> bytes:
    return base64.b64decode(value.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_cookies_carry_the_policy_and_signature_botocore_would_put_in_a_url() -> None:
    cookies = {c.name: c for c in ViewerCookies(KEY_ID, pkcs1_pem()).issue(NOW, 3600)}

    policy = _from_cloudfront_b64(cookies["CloudFront-Policy"].value)
    assert json.loads(policy) == {
        "Statement": [
            {
                "Resource": "https://*/derived/*",
                "Condition": {"DateLessThan": {"AWS:EpochTime": 1_796_043_600}},  # 13:00 UTC
            }
        ]
    }

    def sign_with_cryptography(message: bytes) -> bytes:
        return private_key().sign(message, padding.PKCS1v15(), hashes.SHA1())

    url = CloudFrontSigner(KEY_ID, sign_with_cryptography).generate_presigned_url(
        "https://site.example/derived/u/m/e/320.webp", policy=policy.decode()
    )
    query = parse_qs(urlsplit(url).query)
    assert query["Policy"] == [cookies["CloudFront-Policy"].value]
    assert query["Signature"] == [cookies["CloudFront-Signature"].value]
    assert query["Key-Pair-Id"] == [cookies["CloudFront-Key-Pair-Id"].value] == [KEY_ID]
    # And the public half verifies it (raises if not).
    private_key().public_key().verify(
        _from_cloudfront_b64(cookies["CloudFront-Signature"].value),
        policy,
        padding.PKCS1v15(),
        hashes.SHA1(),
    )


def test_cookies_are_first_party_scoped_to_derived_and_cleared_on_sign_out() -> None:
    for cookie in ViewerCookies(KEY_ID, pkcs1_pem()).issue(NOW, 3600):
        header = str(cookie)
        assert "Path=/derived/" in header and "Max-Age=3600" in header
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header
    cleared = [str(c) for c in cleared_viewer_cookies()]
    assert sorted(h.split("=", 1)[0] for h in cleared) == [
        "CloudFront-Key-Pair-Id",
        "CloudFront-Policy",
        "CloudFront-Signature",
    ]
    assert all("Max-Age=0" in h and "Path=/derived/" in h for h in cleared)
