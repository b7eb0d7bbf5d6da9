#!/usr/bin/env python3
"""Publishes a front-end build to a stage's site, in one command.

    .venv/bin/python scripts/publish-site.py --stage staging path/to/dist

Reads the stage stack's outputs (WebAppBucketName, SiteDistributionId, SiteUrl), uploads every
file of the build to the site's private bucket with its Content-Type and a Cache-Control that
fits it, removes files the new build no longer has, and invalidates the HTML in CloudFront so
browsers pick the new build up at once:

- `assets/**` (the bundler's content-hashed files): `public, max-age=31536000, immutable`
- `*.html`: `no-cache` (always revalidated: it names the current hashed assets)
- anything else (favicon, robots.txt, manifest): `public, max-age=3600`

Uploads go first and removals last, so a browser holding the old index.html still finds the old
assets while the new build lands. `--bucket` and `--distribution-id` skip the stack lookup.
Needs AWS credentials that may write the bucket and create invalidations (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=3600"
_MAX_FILES = 10_000  # a front-end build is hundreds of files; more is a wrong folder


def cache_control(key: str) -> str:
    if key.startswith("assets/"):
        return IMMUTABLE
    if key.endswith(".html"):
        return REVALIDATE
    return SHORT


def content_type(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def build_files(build_dir: Path) -> dict[str, Path]:
    if not (build_dir / "index.html").is_file():
        raise SystemExit(f"{build_dir} has no index.html: is it the front end's build folder?")
    files = {
        path.relative_to(build_dir).as_posix(): path
        for path in sorted(build_dir.rglob("*"))
        if path.is_file()
    }
    if len(files) > _MAX_FILES:
        raise SystemExit(f"{build_dir} holds {len(files)} files: is it the build folder?")
    return files


def stack_outputs(cloudformation: Any, stage: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=f"boulderstat-{stage}")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def publish(
    build_dir: Path, *, bucket: str, distribution_id: str, s3: Any, cloudfront: Any
) -> dict[str, Any]:
    """Uploads the build, removes what it no longer has, invalidates the HTML."""
    files = build_files(build_dir)
    for key, path in files.items():
        s3.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={"ContentType": content_type(key), "CacheControl": cache_control(key)},
        )
    stale: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        stale.extend(item["Key"] for item in page.get("Contents", []) if item["Key"] not in files)
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    html = sorted(f"/{key}" for key in files if key.endswith(".html"))
    paths = ["/", *html] if "/index.html" in html else html
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"publish-site-{time.time_ns()}",
        },
    )
    return {
        "uploaded": len(files),
        "removed": len(stale),
        "invalidation": invalidation["Invalidation"]["Id"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir", type=Path, help="the front end's build folder (index.html)")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--bucket", help="skip the stack lookup: the site bucket")
    parser.add_argument("--distribution-id", help="skip the stack lookup: the distribution")
    args = parser.parse_args(argv)

    import boto3

    session = boto3.session.Session(region_name=args.region)
    bucket, distribution_id, url = args.bucket, args.distribution_id, None
    if not (bucket and distribution_id):
        outputs = stack_outputs(session.client("cloudformation"), args.stage)
        bucket = bucket or outputs["WebAppBucketName"]
        distribution_id = distribution_id or outputs["SiteDistributionId"]
        url = outputs.get("SiteUrl")
    result = publish(
        args.build_dir,
        bucket=bucket,
        distribution_id=distribution_id,
        s3=session.client("s3"),
        cloudfront=session.client("cloudfront"),
    )
    print(f"published {result} to {url or bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
