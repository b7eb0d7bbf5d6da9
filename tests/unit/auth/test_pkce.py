from __future__ import annotations

from boulderstat.auth.pkce import (
    VERIFIER_SHAPE,
    new_code_verifier,
    s256_challenge,
    verifier_matches,
)

# RFC 7636, appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_matches_the_rfc_example() -> None:
    assert s256_challenge(RFC_VERIFIER) == RFC_CHALLENGE
    assert verifier_matches(RFC_VERIFIER, RFC_CHALLENGE)


def test_new_verifiers_are_valid_and_distinct() -> None:
    first, second = new_code_verifier(), new_code_verifier()
    assert VERIFIER_SHAPE.match(first) and VERIFIER_SHAPE.match(second)
    assert first != second


def test_a_wrong_or_malformed_verifier_does_not_match() -> None:
    assert not verifier_matches(new_code_verifier(), RFC_CHALLENGE)
    assert not verifier_matches("short", s256_challenge("short"))
