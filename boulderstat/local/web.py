"""Local-only pages served by the local gateway (never deployed).

- `/` the upload page: sign in as a local user, upload from the browser with the presigned
  POST (this proves the bucket's CORS), watch the status and see the rendition.
- `/_local/token` signs a local user in through the local Cognito for that page.
- `/_local/uppy.js` Uppy for that page, bundled from node_modules by `make setup` (no CDN).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from boulderstat.adapters.aws import aws_client
from boulderstat.local import provision
from boulderstat.local.gateway import ExtraRoute, GatewayRequest
from boulderstat.local.hosted_ui import LocalHostedUi
from boulderstat.settings import get_settings

UPPY_BUNDLE = Path(__file__).resolve().parents[2] / "build" / "local" / "uppy.js"
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
Reply = tuple[int, dict[str, str], bytes]


def _json(status: int, payload: object) -> Reply:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


def upload_page(request: GatewayRequest) -> Reply:
    page = resources.files("boulderstat.local").joinpath("static/upload.html").read_bytes()
    return 200, {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}, page


def uppy_bundle(request: GatewayRequest) -> Reply:
    if not UPPY_BUNDLE.exists():
        message = f"{UPPY_BUNDLE} is missing: run `make setup` (it bundles Uppy from npm)"
        return 404, {"content-type": "text/plain; charset=utf-8"}, message.encode()
    headers = {"content-type": "text/javascript; charset=utf-8", "cache-control": "no-store"}
    return 200, headers, UPPY_BUNDLE.read_bytes()


def local_token(request: GatewayRequest) -> Reply:
    if request.method != "POST":
        return _json(405, {"message": 'POST a JSON body {"username": ...}'})
    try:
        username = json.loads(request.body or b"{}").get("username", "")
    except (ValueError, AttributeError):
        return _json(400, {"message": "body must be JSON"})
    if not isinstance(username, str) or not _USERNAME.match(username):
        return _json(400, {"message": "username: 1-64 letters, digits or _.@-"})
    settings = get_settings()
    cognito = aws_client("cognito-idp", settings)
    provision.ensure_user(cognito, settings.cognito_user_pool_id, username)
    tokens = provision.sign_in(cognito, settings.cognito_client_ids[0], username)
    return _json(200, {"username": username, "id_token": tokens["IdToken"]})


def local_pages() -> dict[str, ExtraRoute]:
    # The hosted-UI stand-in (/_local/cognito/oauth2/...): see boulderstat/local/hosted_ui.py.
    return {
        "/": upload_page,
        "/_local/token": local_token,
        "/_local/uppy.js": uppy_bundle,
        **LocalHostedUi().routes(),
    }
