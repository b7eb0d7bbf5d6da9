"""The stage's site, read from the packaged templates: one CloudFront distribution in front of
the web app, the API, /auth and the renditions, with both buckets private (docs/auth.md)."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.deploy.offline_package import ROOT, STAGES, TEST_PARAMS, Packaged

pytestmark = pytest.mark.deploy

# AWS-managed CloudFront policies, by their published ids.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
DOMAINS = {
    "staging": ["staging.boulderstat.com"],
    "prod": ["boulderstat.com", "www.boulderstat.com"],
}


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, packaged: dict[str, Packaged]) -> Packaged:
    return packaged[request.param]


def _config(stage: Packaged) -> dict[str, Any]:
    (distribution,) = stage.of_type("AWS::CloudFront::Distribution").values()
    return dict(distribution["Properties"]["DistributionConfig"])


def _behaviour_for(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The behaviour CloudFront picks for a path: the first matching pattern, else the default."""
    for behaviour in config["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return dict(behaviour)
    return dict(config["DefaultCacheBehavior"])


def _origin(config: dict[str, Any], behaviour: dict[str, Any]) -> dict[str, Any]:
    (origin,) = [o for o in config["Origins"] if o["Id"] == behaviour["TargetOriginId"]]
    return dict(origin)


def _api_paths(stage: Packaged) -> list[str]:
    """Each HTTP API route with its parameters filled in, as a browser would request it."""
    routes = [
        r["Properties"]["RouteKey"] for r in stage.of_type("AWS::ApiGatewayV2::Route").values()
    ]
    assert len(routes) > 10
    return [key.split(" ", 1)[1].replace("{", "x").replace("}", "") for key in routes]


def _function_code(stage: Packaged, behaviour: dict[str, Any]) -> str:
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    logical_id = association["FunctionARN"]["Fn::GetAtt"][0]
    function = stage.resources[logical_id]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and function["AutoPublish"]
    return str(function["FunctionCode"])


def _run_viewer_request(code: str, uris: list[str]) -> list[str]:
    """Runs a CloudFront Function's handler in Node (a real JS engine) on each URI."""
    node = shutil.which("node")
    assert node, "node is installed by the project's setup (npm)"
    script = code + (
        "\nconst uris = JSON.parse(process.argv[1]);"
        "\nconsole.log(JSON.stringify(uris.map(u => handler({request: {uri: u}}).uri)));"
    )
    out = subprocess.run(
        [node, "-e", script, json.dumps(uris)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return list(json.loads(out.stdout))


def test_the_api_and_auth_share_the_site_origin_uncached_with_everything_forwarded(
    stage: Packaged,
) -> None:
    config = _config(stage)
    for path in ["/api" + p for p in _api_paths(stage) if not p.startswith("/auth/")] + [
        p for p in _api_paths(stage) if p.startswith("/auth/")
    ]:
        behaviour = _behaviour_for(config, path)
        assert behaviour["PathPattern"] in ("/api/*", "/auth/*"), path
        origin = _origin(config, behaviour)
        assert origin["DomainName"] == {
            "Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.amazonaws.com"
        }
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert behaviour["CachePolicyId"] == CACHING_DISABLED
        # Cookies, query strings and headers (Authorization, Origin) reach the API; Host not.
        assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
        assert set(behaviour["AllowedMethods"]) == ALL_METHODS
        assert behaviour["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https")
        assert "TrustedKeyGroups" not in behaviour


def test_the_api_prefix_is_removed_and_app_routes_get_index_html(stage: Packaged) -> None:
    config = _config(stage)
    api = _function_code(stage, _behaviour_for(config, "/api/climbs"))
    assert _run_viewer_request(api, ["/api/climbs/x1", "/api/media", "/api"]) == [
        "/climbs/x1",
        "/media",
        "/",
    ]
    assert "FunctionAssociations" not in _behaviour_for(config, "/auth/refresh")  # path kept
    app = _function_code(stage, config["DefaultCacheBehavior"])
    assert _run_viewer_request(app, ["/", "/climbs/123", "/assets/app.3f9a.js", "/icon.png"]) == [
        "/index.html",
        "/index.html",
        "/assets/app.3f9a.js",
        "/icon.png",
    ]


def test_the_app_is_served_from_its_private_bucket_by_default(stage: Packaged) -> None:
    config = _config(stage)
    for path in ("/", "/index.html", "/climbs/123", "/assets/app.js"):
        behaviour = _behaviour_for(config, path)
        assert "PathPattern" not in behaviour, path  # an app route never reaches the API
    origin = _origin(config, config["DefaultCacheBehavior"])
    assert origin["DomainName"] == {"Fn::GetAtt": ["WebAppBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy OAI
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (oac,) = stage.of_type("AWS::CloudFront::OriginAccessControl").values()
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"


def test_renditions_need_the_signed_cookies_and_keep_their_cache_headers(stage: Packaged) -> None:
    config = _config(stage)
    behaviour = _behaviour_for(config, "/derived/u-1/m/etag/320.webp")
    assert behaviour["PathPattern"] == "/derived/*"
    assert behaviour["TrustedKeyGroups"] == [{"Ref": "RenditionsKeyGroup"}]
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD"}
    # CachingOptimized caches by the object's own Cache-Control (immutable, one year) and
    # passes it on to the browser; no query string or cookie is part of the cache key.
    assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED
    assert "OriginRequestPolicyId" not in behaviour
    origin = _origin(config, behaviour)
    assert origin["DomainName"] == {
        "Fn::Sub": f"boulderstat-{stage.stage}-media-${{AWS::AccountId}}.s3.${{AWS::Region}}"
        ".amazonaws.com"
    }
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    (group,) = stage.of_type("AWS::CloudFront::KeyGroup").values()
    assert group["Properties"]["KeyGroupConfig"]["Items"] == [{"Ref": "RenditionsPublicKey"}]


def test_the_signing_key_comes_from_stage_parameters_never_the_repository(
    stage: Packaged,
) -> None:
    (key,) = stage.of_type("AWS::CloudFront::PublicKey").values()
    # The tests package with a test value (--param): the real PEM is set per stage at deploy.
    encoded = key["Properties"]["PublicKeyConfig"]["EncodedKey"]
    assert encoded == TEST_PARAMS[stage.stage]["cloudfrontPublicKey"]
    source = (ROOT / "serverless.yml").read_text()
    assert "BEGIN PUBLIC KEY" not in source and "PRIVATE KEY-----" not in source
    variables = stage.function("auth")["Properties"]["Environment"]["Variables"]
    assert variables["CDN_KEY_PAIR_ID"] == {"Ref": "RenditionsPublicKey"}
    assert variables["CDN_PRIVATE_KEY_PARAMETER"] == (
        f"/boulderstat/{stage.stage}/cloudfront-private-key"
    )


def test_the_site_bucket_is_private_and_readable_only_by_the_distribution(
    stage: Packaged,
) -> None:
    bucket = stage.resources["WebAppBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": f"boulderstat-{stage.stage}-web-${{AWS::AccountId}}"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket and "AccessControl" not in bucket
    (policy,) = [
        p
        for p in stage.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "WebAppBucket"}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    (allowed,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allowed["Action"] == "s3:GetObject"
    assert allowed["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                ":distribution/${SiteDistribution}"
            }
        }
    }
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denied)


def test_each_stage_has_its_domain_and_certificate_and_links_renditions_to_it(
    stage: Packaged,
) -> None:
    config = _config(stage)
    assert config["Aliases"] == DOMAINS[stage.stage]
    certificate = config["ViewerCertificate"]
    assert certificate["SslSupportMethod"] == "sni-only"
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert ":acm:us-east-1:" in certificate["AcmCertificateArn"]["Fn::Sub"]  # CloudFront's region
    site = f"https://{DOMAINS[stage.stage][0]}"
    for name in ("media", "climbs"):
        variables = stage.function(name)["Properties"]["Environment"]["Variables"]
        assert variables["MEDIA_CDN_BASE_URL"] == site
    # The site calls /auth with its own Origin: the origin check must accept it.
    origins = stage.resources["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"]
    assert site in origins
    outputs = stage.template["Outputs"]
    assert {"SiteUrl", "SiteDistributionId", "WebAppBucketName"} <= set(outputs)


def test_a_stage_without_a_domain_uses_the_distribution_domain() -> None:
    """dev sets no domain: the defaults of `params` (read from serverless.yml itself)."""
    import yaml

    params = yaml.safe_load((ROOT / "serverless.yml").read_text())["params"]
    assert "siteAliases" not in params["dev"]
    defaults = params["default"]
    assert defaults["siteAliases"] == []
    assert defaults["siteCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert defaults["siteUrl"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": ["SiteDistribution", "DomainName"]}]]
    }
