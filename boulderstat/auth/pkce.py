"""PKCE (RFC 7636, S256): binds an authorization code to the client that asked for it.

A stolen code is useless without the verifier, which never leaves the client until the exchange.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

VERIFIER_SHAPE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def new_code_verifier() -> str:
    """64 random bytes, base64url: 86 characters, inside RFC 7636's 43..128."""
    return secrets.token_urlsafe(64)


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    if not VERIFIER_SHAPE.match(verifier):
        return False
    return hmac.compare_digest(s256_challenge(verifier), challenge)
