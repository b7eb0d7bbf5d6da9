"""`scripts/publish-site.py` against moto's S3 and CloudFront: one command puts a build on the
site with the right headers, removes what the build dropped, and invalidates the HTML."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from types import ModuleType

from boulderstat.local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[3]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("publish_site", ROOT / "scripts/publish-site.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _distribution(stack: LocalStack, bucket: str) -> str:
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "test site",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "web-app",
                    "DomainName": f"{bucket}.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "web-app",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    created = stack.client("cloudfront").create_distribution(DistributionConfig=config)
    return str(created["Distribution"]["Id"])


def test_a_build_is_published_with_its_cache_headers_and_the_html_invalidated(
    stack: LocalStack, tmp_path: Path
) -> None:
    assert stack.settings is not None
    s3 = stack.client("s3")
    bucket = f"site-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": stack.settings.region}
    )
    s3.put_object(Bucket=bucket, Key="assets/app.0ld0ld00.js", Body=b"old build")
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><script src=/assets/app.3f9a1c2b.js>")
    (build / "assets" / "app.3f9a1c2b.js").write_text("console.log('app')")
    (build / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    distribution_id = _distribution(stack, bucket)
    cloudfront = stack.client("cloudfront")

    result = _script().publish(
        build, bucket=bucket, distribution_id=distribution_id, s3=s3, cloudfront=cloudfront
    )

    assert (result["uploaded"], result["removed"]) == (3, 1)
    expected = {
        "index.html": ("text/html", "no-cache"),
        "assets/app.3f9a1c2b.js": ("text/javascript", "public, max-age=31536000, immutable"),
        "favicon.ico": ("image/vnd.microsoft.icon", "public, max-age=3600"),
    }
    listed = s3.list_objects_v2(Bucket=bucket)
    assert sorted(item["Key"] for item in listed["Contents"]) == sorted(expected)
    for key, (content_type, cache_control) in expected.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ContentType"] == content_type, key
        assert head["CacheControl"] == cache_control, key
    invalidation = cloudfront.get_invalidation(
        DistributionId=distribution_id, Id=result["invalidation"]
    )["Invalidation"]
    assert sorted(invalidation["InvalidationBatch"]["Paths"]["Items"]) == ["/", "/index.html"]
