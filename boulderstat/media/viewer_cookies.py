"""CloudFront signed cookies: who may view renditions under the stage site's `/derived/`.

The stage's distribution serves `derived/` from the private media bucket (origin access control)
and only to viewers with a valid CloudFront signature (the key group of the stage's public key).
We sign cookies, not URLs:

- rendition URLs stay stable (`/derived/{sub}/{media}/{etag}/320.webp`), so the immutable
  Cache-Control they are stored with works in the browser's cache too; a signed URL changes
  with every signature, so each API response would download every image again;
- one signature per sign-in or refresh instead of one per rendition in every list and feed
  response (RSA signing costs milliseconds each);
- the cookies are first-party on the site that serves the app, the API and the renditions, and,
  like the refresh cookie, `HttpOnly; Secure; SameSite=Strict`, scoped to `/derived/`.

What a signed-in climber may view is decided by the API, which hands out keys only for media
the caller may see (own media, feed cards); the cookie proves a live session on this site, so
a key copied out of the app is useless to anyone not signed in. The cookies live as long as the
ID token (`viewer_cookie_seconds`), and every refresh renews them.

The private key is an SSM SecureString (PKCS#1 PEM) read at run time with the function's role;
its public half is a stage parameter (`cloudfrontPublicKey`): neither is in the repository.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import rsa
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

VIEWER_COOKIE_PATH = "/derived/"
POLICY_COOKIE = "CloudFront-Policy"
SIGNATURE_COOKIE = "CloudFront-Signature"
KEY_PAIR_COOKIE = "CloudFront-Key-Pair-Id"
# Any host: the cookies are host-only, so they only ever reach the site that set them (its
# CloudFront domain or its custom domain), and the policy need not name it.
RESOURCE = "https://*/derived/*"


def cloudfront_b64(data: bytes) -> str:
    """CloudFront's URL-safe base64: `+` -> `-`, `=` -> `_`, `/` -> `~`."""
    encoded = base64.b64encode(data).decode()
    return encoded.replace("+", "-").replace("=", "_").replace("/", "~")


def viewer_policy(resource: str, expires_epoch: int) -> bytes:
    """A custom policy (wildcard resource) that only limits the time, as compact JSON."""
    condition = {"DateLessThan": {"AWS:EpochTime": expires_epoch}}
    statement = {"Resource": resource, "Condition": condition}
    return json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()


@dataclass(frozen=True)
class ViewerCookies:
    key_pair_id: str  # the CloudFront public key's id (in the stage's key group)
    private_key_pem: str = field(repr=False)

    def issue(self, now: datetime, lifetime_seconds: int) -> list[Cookie]:
        """The three cookies CloudFront checks, valid for `lifetime_seconds` from `now`."""
        expires = int(now.timestamp()) + lifetime_seconds
        policy = viewer_policy(RESOURCE, expires)
        signature = rsa.sign(policy, _private_key(self.private_key_pem), "SHA-1")
        values = {
            POLICY_COOKIE: cloudfront_b64(policy),
            SIGNATURE_COOKIE: cloudfront_b64(signature),
            KEY_PAIR_COOKIE: self.key_pair_id,
        }
        return [_cookie(name, value, lifetime_seconds) for name, value in values.items()]


def cleared_viewer_cookies() -> list[Cookie]:
    return [_cookie(name, "", 0) for name in (POLICY_COOKIE, SIGNATURE_COOKIE, KEY_PAIR_COOKIE)]


def _cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        name=name,
        value=value,
        path=VIEWER_COOKIE_PATH,
        secure=True,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.STRICT_MODE,
    )


@cache
def _private_key(pem: str) -> rsa.PrivateKey:
    return rsa.PrivateKey.load_pkcs1(pem.encode())
