"""Which origins may use the /auth routes (the refresh cookie must only work for our web app).

Policy: the `Origin` header is REQUIRED and must equal one of `settings.allowed_origins`
exactly. Browsers send `Origin` on every POST (same-origin and cross-origin), so a missing
header means a non-browser client, which must then name an allowed origin itself (our Python
client does). Refusing the missing header (fail closed) means no browser quirk or privacy
extension that drops `Origin` can ever turn into a cookie-carrying cross-site request.
`Origin: null` (sandboxed frames, cross-origin redirects) and wildcards never match.
"""

from __future__ import annotations

from collections.abc import Iterable

from boulderstat.auth.errors import CrossSiteRequest

_MAX_ORIGIN_CHARS = 2048


def check_origin(origin: str | None, allowed_origins: Iterable[str]) -> None:
    """Raises CrossSiteRequest unless `origin` is exactly one of the allowed origins."""
    if origin is None or not origin.strip():
        raise CrossSiteRequest(
            "An Origin header is required on /auth routes (browsers send it; other clients "
            "must set it to the web app's origin)"
        )
    origin = origin.strip()
    allowed = {a.strip().rstrip("/") for a in allowed_origins if a.strip() not in ("", "*")}
    if len(origin) > _MAX_ORIGIN_CHARS or origin not in allowed:
        raise CrossSiteRequest("Requests from this origin may not use sign-in sessions")
