"""Least privilege, enforced locally: each function calls moto with exactly its own role's rights.

Why: nothing local checked IAM, so a permission the code needs and the role lacks (the thumbnail
role's missing s3:DeleteObject on derived/) only showed on AWS. moto checks IAM once
`INITIAL_NO_AUTH_ACTION_COUNT` is reached (here: switched on after provisioning through
`/moto-api/reset-auth`): every request must then be signed by an IAM user's key and is checked
against that user's policies.

How:
1. `role_statements(template)`: each function's role statements, read from a PACKAGED template
   (`scripts/package-offline.py`), never copied by hand.
2. `resolve(...)`: the template's intrinsics (Fn::Sub, Fn::GetAtt, Ref) become the local
   stack's names and ARNs (bucket, bus, queues; account 123456789012).
3. `for_moto(...)`: statements are adapted to what moto can check (see COVERAGE): moto passes
   the resource `*` for services whose resources it does not model, so a statement scoped to an
   ARN would deny everything there; those statements get `Resource: *`.
4. `IamUsers`: one IAM user per function with exactly those statements, and an admin user for
   the harness (provisioning, router, tests). A function's keys go into its execution
   environment only (`LocalStack(function_environment=...)`).

What moto 5.2.5 checks (measured, tests/integration/iam prove the S3, SQS and EventBridge
parts) is in COVERAGE; docs/deploy.md repeats it. Its gaps that our calls hit are closed here,
in the local stack only (`install_moto_checks`):
- presigned requests (POST policy uploads, query-string GETs) crash moto's check with a 500
  (it reads an Authorization header they do not have); they are now checked as S3 does: the
  signer's key and signature, expiry, and the signer's right to the action on bucket/key.
  CORS preflights (never signed) are answered without a check, as S3 does.
- `DeleteObjects` is checked by moto against the bucket's ARN (a role allowed to delete under a
  prefix could not batch-delete at all); each key is now checked against the signer's policy.
- `events:PutEvents` is checked by moto with resource `*` and no condition keys; it is now
  checked per entry against the bus ARN with `events:source` and `events:detail-type`, so a
  function cannot publish an event type its role does not name. moto's evaluation answers
  DENIED for an Allow statement whose condition does not match (IAM: the statement does not
  apply), so a role with one PutEvents statement per source (functions/outbox) is evaluated
  statement by statement here.
- moto re-signs a body-less REST GET with its parsed parameters as the payload, so signed GETs
  such as CloudFront's GetInvalidation fail with SignatureDoesNotMatch; it now signs what was
  sent.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3

Statement = dict[str, Any]
logger = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"  # moto's default account
PARTITION = "aws"

# What moto 5.2.5 checks when IAM is enforced, by service (measured on 2026-11-30).
COVERAGE: Mapping[str, str] = {
    "s3": "action and resource (bucket, bucket/key); DeleteObjects per key; presigned POST/GET "
    "via install_moto_checks",
    "sqs": "action and queue ARN",
    "events": "action only in moto; PutEvents per entry: bus ARN, events:source and "
    "events:detail-type via install_moto_checks",
    "ssm": "action only (resource is not matched)",
    "kms": "action only",
    "cognito-idp": "action only; InitiateAuth, SignUp, GetUser and a few more are public",
    "iam": "action and resource",
    "sts": "action and resource; GetCallerIdentity always allowed",
}
# Services where moto matches the statement's Resource against the request's resource.
RESOURCE_CHECKED = frozenset({"s3", "sqs", "iam", "sts", "events"})
# Never checked locally: X-Ray and CloudWatch Logs are not called by our code locally
# (tracing is off, logs go to stdout); conditions other than PutEvents' are ignored by moto.


def role_statements(template: Mapping[str, Any]) -> dict[str, list[Statement]]:
    """Function name (its serverless.yml key) -> its role's policy statements, as packaged."""
    resources = template["Resources"]
    found: dict[str, list[Statement]] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        # FunctionName is `<service>-<stage>-<function key>`; keys use underscores, not dashes.
        name = properties["FunctionName"].split("-", 2)[2]
        role_ref = properties["Role"]
        if set(role_ref) != {"Fn::GetAtt"}:
            raise ValueError(f"{name}: its role is not defined in this template: {role_ref}")
        role = resources[role_ref["Fn::GetAtt"][0]]
        found[name] = [
            copy.deepcopy(statement)
            for policy in role["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
        ]
    return found


@dataclass(frozen=True)
class LocalNames:
    """Where the template's named resources live on the local stack."""

    region: str
    bucket: str
    event_bus: str
    # Logical id in the template -> the local resource's ARN (queues, ...).
    arns: Mapping[str, str] = field(default_factory=dict)
    account_id: str = ACCOUNT_ID

    def event_bus_arn(self, name: str | None = None) -> str:
        name = name or self.event_bus
        if name.startswith("arn:"):
            return name
        return f"arn:{PARTITION}:events:{self.region}:{self.account_id}:event-bus/{name}"


def _substitute(text: str, names: LocalNames) -> str:
    pseudo = {
        "AWS::Partition": PARTITION,
        "AWS::Region": names.region,
        "AWS::AccountId": names.account_id,
        "AWS::URLSuffix": "amazonaws.com",
    }

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in pseudo:
            raise ValueError(f"cannot resolve ${{{key}}} locally")
        return pseudo[key]

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _physical_names(template: Mapping[str, Any], names: LocalNames) -> dict[str, str]:
    """Deployed physical name -> local name, for the resources whose names appear in ARNs."""
    resources = template["Resources"]
    mapping: dict[str, str] = {}
    bucket = resources.get("MediaBucket", {}).get("Properties", {}).get("BucketName")
    if bucket is not None:
        mapping[str(resolve(bucket, template, names, translate=False))] = names.bucket
    bus = resources.get("EventBus", {}).get("Properties", {}).get("Name")
    if bus is not None:
        mapping[str(bus)] = names.event_bus
    return mapping


def resolve(
    value: Any, template: Mapping[str, Any], names: LocalNames, *, translate: bool = True
) -> Any:
    """A template value with its intrinsics resolved to the local stack's names and ARNs."""
    if isinstance(value, list):
        return [resolve(v, template, names, translate=translate) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = _substitute(value["Fn::Sub"], names)
        if translate:
            # Longest first: the bucket's name contains the bus's (`boulderstat-<stage>`).
            for deployed, local in sorted(
                _physical_names(template, names).items(), key=lambda item: -len(item[0])
            ):
                text = text.replace(deployed, local)
        return text
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} locally")
        return _arn_of(logical_id, template, names)
    if set(value) == {"Ref"}:
        return _arn_of(value["Ref"], template, names)
    return {k: resolve(v, template, names, translate=translate) for k, v in value.items()}


def _arn_of(logical_id: str, template: Mapping[str, Any], names: LocalNames) -> str:
    if logical_id in names.arns:
        return names.arns[logical_id]
    resource = template["Resources"][logical_id]
    if resource["Type"] == "AWS::Events::EventBus":
        return names.event_bus_arn()
    if resource["Type"] == "AWS::Logs::LogGroup":
        # Never called locally (logs go to stdout); resolved so the statement stays whole.
        group = resource["Properties"]["LogGroupName"]
        return f"arn:{PARTITION}:logs:{names.region}:{names.account_id}:log-group:{group}:*"
    raise ValueError(f"no local ARN for {logical_id} ({resource['Type']})")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def for_moto(statements: Iterable[Statement]) -> list[Statement]:
    """Statements as moto can check them: `Resource: *` where moto does not match resources."""
    adapted = []
    for statement in statements:
        services = {action.split(":", 1)[0] for action in _as_list(statement["Action"])}
        statement = copy.deepcopy(statement)
        if not services <= RESOURCE_CHECKED:
            statement["Resource"] = "*"
            # moto ignores these conditions (kms:ViaService, ...), say so by leaving them out.
            statement.pop("Condition", None)
        adapted.append(statement)
    return adapted


def local_policies(template: Mapping[str, Any], names: LocalNames) -> dict[str, list[Statement]]:
    """Function name -> the statements its local IAM user gets."""
    return {
        name: for_moto(resolve(statements, template, names))
        for name, statements in role_statements(template).items()
    }


# ----------------------------------------------------------------------------- users


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str

    def environment(self) -> dict[str, str]:
        """The variables a process signs its AWS calls with (no session token: a user key)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": "",
        }


ADMIN_USER = "local-harness-admin"
POLICY_NAME = "function-role"


def _document(statements: list[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class IamUsers:
    """The IAM users of the local stack: an admin for the harness, one user per function."""

    def __init__(self, iam: Any, prefix: str = "local") -> None:
        self._iam = iam
        self._prefix = prefix
        self.functions: dict[str, Keys] = {}
        self.policies: dict[str, list[Statement]] = {}

    def use_client(self, iam: Any) -> None:
        self._iam = iam

    def user_name(self, function: str) -> str:
        return f"{self._prefix}-{function.replace('_', '-')}"

    def _create(self, user: str, statements: list[Statement]) -> Keys:
        self._iam.create_user(UserName=user)
        self._iam.put_user_policy(
            UserName=user, PolicyName=POLICY_NAME, PolicyDocument=_document(statements)
        )
        key = self._iam.create_access_key(UserName=user)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    def create_admin(self) -> Keys:
        return self._create(ADMIN_USER, [{"Effect": "Allow", "Action": "*", "Resource": "*"}])

    def create_functions(self, policies: Mapping[str, list[Statement]]) -> dict[str, Keys]:
        for function, statements in policies.items():
            self.functions[function] = self._create(self.user_name(function), statements)
            self.policies[function] = statements
        return dict(self.functions)

    def set_policy(self, function: str, statements: list[Statement]) -> None:
        """Replaces a function's statements (the user and its keys stay)."""
        self._iam.put_user_policy(
            UserName=self.user_name(function),
            PolicyName=POLICY_NAME,
            PolicyDocument=_document(statements),
        )

    def restore(self, function: str) -> None:
        self.set_policy(function, self.policies[function])

    def function_environment(self) -> dict[str, dict[str, str]]:
        return {name: keys.environment() for name, keys in self.functions.items()}


def set_enforcement(endpoint: str, enforced: bool) -> None:
    """Switches moto's IAM check on (every later request is checked) or off."""
    import requests

    count = "0" if enforced else "inf"
    response = requests.post(f"{endpoint}/moto-api/reset-auth", data=count.encode(), timeout=10)
    response.raise_for_status()


@dataclass
class LocalIam:
    """IAM as the local stack enforces it: the template it came from, the users, their keys."""

    endpoint: str
    template: Mapping[str, Any]
    names: LocalNames
    users: IamUsers
    admin: Keys

    @classmethod
    def enforce(cls, iam: Any, template: Mapping[str, Any], names: LocalNames) -> LocalIam:
        """Creates the users (while moto still lets anyone in), then switches the check on."""
        install_moto_checks()
        users = IamUsers(iam)
        admin = users.create_admin()
        users.create_functions(local_policies(template, names))
        endpoint = iam.meta.endpoint_url
        set_enforcement(endpoint, True)
        # From now on even IAM calls are checked: later policy changes sign as the admin.
        users.use_client(
            boto3.client(
                "iam",
                endpoint_url=endpoint,
                region_name=iam.meta.region_name,
                aws_access_key_id=admin.access_key_id,
                aws_secret_access_key=admin.secret_access_key,
            )
        )
        return cls(endpoint, template, names, users, admin)

    def function_environment(self) -> dict[str, dict[str, str]]:
        return self.users.function_environment()

    def keys(self, function: str) -> Keys:
        return self.users.functions[function]

    def policies(self, template: Mapping[str, Any] | None = None) -> dict[str, list[Statement]]:
        """The local statements of each function, from this or another (modified) template."""
        return local_policies(self.template if template is None else template, self.names)

    def apply(self, template: Mapping[str, Any], function: str) -> None:
        """Gives `function` the role it has in `template` (e.g. a copy missing a statement)."""
        self.users.set_policy(function, self.policies(template)[function])

    def restore(self, function: str) -> None:
        self.users.restore(function)

    def stop_enforcing(self) -> None:
        set_enforcement(self.endpoint, False)


# ----------------------------------------------------------------------------- moto checks

_installed = False
_install_lock = threading.Lock()
_SUPPORTED_MOTO = "5.2.5"


def install_moto_checks() -> None:
    """Adds the presigned-request and PutEvents checks to moto running in THIS process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import moto
        from moto.core.authorization import ActionAuthenticatorMixin
        from moto.iam.access_control import IAMRequestBase, PermissionResult
        from moto.s3.models import FakeBucket
        from moto.s3.responses import S3Response

        if moto.__version__ != _SUPPORTED_MOTO:
            raise RuntimeError(
                f"boulderstat.local.iam patches moto {_SUPPORTED_MOTO} internals; found "
                f"{moto.__version__}: re-check them (see the module docstring)"
            )
        original_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action
        original_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

        def s3_action(
            self: Any, bucket_name: str | None = None, key_name: str | None = None
        ) -> None:
            _delete_objects_signer.key = None
            if _enforcing() and self.method == "OPTIONS":
                return  # CORS preflights are never signed; S3 answers them from the CORS rules
            if _enforcing() and "Authorization" not in self.headers:
                presigned = _presigned(self, bucket_name, key_name)
                if presigned is not None:
                    _check_presigned(self, *presigned)
                    return
            if _enforcing() and _is_delete_objects(self, key_name):
                _delete_objects_signer.key = _signed_s3_request(self).access_key
                return  # each key is checked by FakeBucket.get_permission below
            original_s3(self, bucket_name=bucket_name, key_name=key_name)

        original_permission = FakeBucket.get_permission

        def bucket_permission(self: Any, action: str, resource: str) -> Any:
            result = original_permission(self, action, resource)
            signer = getattr(_delete_objects_signer, "key", None)
            if signer is not None and not _permitted(signer, action, resource, {}):
                return PermissionResult.DENIED
            return result

        def normal_action(self: Any, resource: str = "*") -> None:
            if _enforcing() and self.headers.get("X-Amz-Target") == "AWSEvents.PutEvents":
                _check_put_events(self)
                return
            original_normal(self, resource)

        ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = s3_action  # type: ignore[method-assign]
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = normal_action  # type: ignore[method-assign]
        FakeBucket.get_permission = bucket_permission  # type: ignore[method-assign]
        original_delete_keys = S3Response._bucket_response_delete_keys

        def delete_keys(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original_delete_keys(self, *args, **kwargs)
            finally:  # a keep-alive connection's next request must not inherit the signer
                _delete_objects_signer.key = None

        S3Response._bucket_response_delete_keys = delete_keys  # type: ignore[method-assign]

        original_request = IAMRequestBase._create_aws_request

        def aws_request(self: Any) -> Any:
            # moto re-signs a body-less GET with its PARSED parameters as the payload, so every
            # signed REST GET (CloudFront's GetInvalidation, ...) fails: sign what was sent.
            if self._method in ("GET", "HEAD", "DELETE") and not self._body:
                parsed, self._data = self._data, {}
                try:
                    return original_request(self)
                finally:
                    self._data = parsed
            return original_request(self)

        IAMRequestBase._create_aws_request = aws_request  # type: ignore[method-assign]
        _installed = True


# DeleteObjects: moto checks s3:DeleteObject against the BUCKET's ARN for the identity, then
# each key against the bucket policy only, so a role allowed to delete under a prefix cannot
# batch-delete there at all. S3 checks each key against the identity: so do we, per thread
# (moto's server handles each request in its own thread).
_delete_objects_signer = threading.local()


def _is_delete_objects(response: Any, key_name: str | None) -> bool:
    return bool(
        key_name is None
        and response.method == "POST"
        and response.data.get("Action") == "DeleteObject"
        and response.is_delete_keys()
    )


@dataclass(frozen=True)
class _SignedRequest:
    access_key: Any


def _signed_s3_request(response: Any) -> _SignedRequest:
    """moto's own signature check of a signed S3 request; returns who signed it."""
    from moto.iam.access_control import S3IAMRequest

    query = urlsplit(response.uri).query
    request = S3IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=response.raw_path + (f"?{query}" if query else ""),
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response._get_action(),
    )
    request.check_signature()
    return _SignedRequest(request._access_key)


def _enforcing() -> bool:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    return bool(ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT)


def _first(values: Mapping[str, Any], *names: str) -> str | None:
    lowered = {k.lower(): v for k, v in values.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value:
            return str(value[0] if isinstance(value, list) else value)
    return None


def _presigned(
    response: Any, bucket: str | None, key: str | None
) -> tuple[str, str, str, str] | None:
    """(action, resource, access key id, kind) of a presigned request, None if it is not one."""
    query = response.querystring
    credential = _first(query, "X-Amz-Credential")
    if credential is None or bucket is None:
        return None
    method = response.method
    if method == "POST" and _first(query, "policy"):
        key = _first(query, "key")
        action, kind = "s3:PutObject", "post-policy"
    else:
        action = {
            "GET": "s3:GetObject",
            "HEAD": "s3:GetObject",
            "PUT": "s3:PutObject",
            "DELETE": "s3:DeleteObject",
        }.get(method, "s3:" + str(response.data.get("Action", "Unknown")))
        kind = "query"
    resource = f"arn:{PARTITION}:s3:::{bucket}" + (f"/{key}" if key else "")
    return action, resource, credential, kind


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _user_key(access_key_id: str) -> Any:
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
    from moto.s3.exceptions import S3InvalidAccessKeyIdError

    try:
        return create_access_key(ACCOUNT_ID, PARTITION, access_key_id, headers={})
    except CreateAccessKeyFailure as error:
        raise S3InvalidAccessKeyIdError() from error


def _permitted(access_key: Any, action: str, resource: str, context: Mapping[str, str]) -> bool:
    """moto's own policy evaluation (IAMPolicy), with condition values it is not given."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    permitted = False
    for policy in access_key.collect_policies():
        document = IAMPolicy(policy)._policy_json  # any of moto's forms, as a dict
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            single = json.dumps({**document, "Statement": [statement]})
            result = IAMPolicy(single).is_action_permitted(
                action, resource, incoming_condition_values=dict(context) or None
            )
            if result == PermissionResult.DENIED and statement.get("Effect") == "Allow":
                continue  # its condition did not match: this Allow does not apply
            if result == PermissionResult.DENIED:
                return False
            permitted = permitted or result == PermissionResult.PERMITTED
    return permitted


def _check_presigned(response: Any, action: str, resource: str, credential: str, kind: str) -> None:
    """Refuses a presigned request as S3 would, and logs why (moto's error says only 403)."""
    from moto.s3.exceptions import S3AccessDeniedError, S3SignatureDoesNotMatchError

    reason = _presigned_refusal(response, action, resource, credential, kind)
    if reason is None:
        return
    logger.warning("presigned %s %s %s refused: %s", kind, action, resource, reason)
    if reason == "signature does not match":
        raise S3SignatureDoesNotMatchError()
    raise S3AccessDeniedError()


def _presigned_refusal(
    response: Any, action: str, resource: str, credential: str, kind: str
) -> str | None:
    access_key_id, date, region, service, _ = credential.split("/")
    access_key = _user_key(access_key_id)
    secret = access_key.create_credentials().secret_key
    query = response.querystring
    now = datetime.now(UTC)
    if kind == "post-policy":
        policy = _first(query, "policy") or ""
        expected = hmac.new(
            _signing_key(secret, date, region, service), policy.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, _first(query, "X-Amz-Signature") or ""):
            return "signature does not match"
        expires = json.loads(base64.b64decode(policy))["expiration"]
        if datetime.fromisoformat(expires.replace("Z", "+00:00")) < now:
            return f"policy expired at {expires}"
    else:
        if not _query_signature_matches(response, secret, region, service):
            return "signature does not match"
        signed_at = datetime.strptime(_first(query, "X-Amz-Date") or "", "%Y%m%dT%H%M%SZ")
        lifetime = timedelta(seconds=int(_first(query, "X-Amz-Expires") or "0"))
        if signed_at.replace(tzinfo=UTC) + lifetime < now:
            return f"expired (signed {signed_at.isoformat()}Z for {lifetime})"
    if not _permitted(access_key, action, resource, {}):
        return f"{access_key.arn} may not {action}"
    return None


def _query_signature_matches(response: Any, secret: str, region: str, service: str) -> bool:
    """Recomputes a presigned URL's SigV4 query signature with botocore, as S3 would."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = urlsplit(response.uri)
    pairs = parse_qsl(url.query, keep_blank_values=True)
    params = dict(pairs)
    signature = params.pop("X-Amz-Signature", "")
    access_key_id = params["X-Amz-Credential"].split("/")[0]
    unsigned = {k: v for k, v in params.items() if not k.startswith("X-Amz-")}
    # Every header the URL was signed with (e.g. a part PUT's Content-Length), as sent.
    sent = {name.lower(): value for name, value in response.headers.items()}
    signed = params.get("X-Amz-SignedHeaders", "host").split(";")
    request = AWSRequest(
        method=response.method,
        url=f"http://{response.headers['Host']}{url.path}"
        + (f"?{urlencode(unsigned)}" if unsigned else ""),
        headers={name: sent.get(name, "") for name in signed},
    )
    request.context["timestamp"] = params["X-Amz-Date"]
    auth = S3SigV4QueryAuth(
        Credentials(access_key_id, secret), service, region, expires=int(params["X-Amz-Expires"])
    )
    # add_auth() would sign at the current time; sign at the URL's own time instead.
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    recomputed = auth.signature(auth.string_to_sign(request, canonical), request)
    return hmac.compare_digest(recomputed, signature)


def _check_put_events(response: Any) -> None:
    """moto's signature check, then each entry: bus ARN + events:source + events:detail-type."""
    from moto.core.exceptions import JsonRESTError
    from moto.iam.access_control import IAMRequest

    request = IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=response.raw_path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=response._get_action(),
    )
    request.check_signature()
    region = request._region
    for entry in json.loads(response.body or "{}").get("Entries", []):
        bus = entry.get("EventBusName") or "default"
        arn = (
            bus
            if bus.startswith("arn:")
            else f"arn:{PARTITION}:events:{region}:{response.current_account}:event-bus/{bus}"
        )
        context = {
            "events:source": entry.get("Source", ""),
            "events:detail-type": entry.get("DetailType", ""),
        }
        if not _permitted(request._access_key, "events:PutEvents", arn, context):
            # EventBridge speaks JSON: the error boto3 shows is AccessDeniedException.
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: {request._access_key.arn} is not authorized to perform: "
                f"events:PutEvents on resource: {arn} (source {entry.get('Source')!r}, "
                f"detail-type {entry.get('DetailType')!r})",
            )
