"""`python -m reliability.moto_measurements`: the figures behind how the local stack persists S3.

Each mode runs in a fresh interpreter (so its memory is its own) with moto's server in a
thread, stores `--gib` GiB of 4 MiB objects through boto3 over HTTP, and reports the process's
RSS and the time taken:

- memory:   moto as shipped (objects under MOTO_S3_DEFAULT_KEY_BUFFER_SIZE, ~5 MiB, in RAM)
- spooled:  MOTO_S3_DEFAULT_KEY_BUFFER_SIZE=1 MiB (bigger objects in anonymous temp files)
- disk:     our ObjectsOnDisk (files in the data folder, written through), then a restart
- recorder: MOTO_ENABLE_RECORDING (every request appended to a file) on a smaller load, its
            file size, a replay into a fresh server, and whether a user keeps its `sub`
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OBJECT_MIB = 4
MIB = 1024 * 1024


def _server(port: int, objects: Any = None) -> Any:
    from boulderstat.local.aws_server import AwsServer

    server = AwsServer(port, objects=objects)
    server.start()
    return server


def _s3(port: int) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _fill(port: int, gib: float, bucket: str = "measure") -> float:
    s3 = _s3(port)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    body = os.urandom(OBJECT_MIB * MIB)
    count = int(gib * 1024 / OBJECT_MIB)
    started = time.monotonic()
    for n in range(count):
        s3.put_object(Bucket=bucket, Key=f"objects/{n:05d}.bin", Body=body)
    return time.monotonic() - started


def _rss_mib() -> float:
    import gc

    import psutil

    gc.collect()
    return psutil.Process().memory_info().rss / MIB


def child(mode: str, gib: float, folder: Path) -> dict[str, Any]:
    from boulderstat.local.stack import free_port

    os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"  # as the local stack does

    port = free_port()
    result: dict[str, Any] = {"mode": mode, "gib": gib}
    if mode == "spooled":
        os.environ["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = str(MIB)
    if mode in ("disk", "restore"):
        from boulderstat.local.objects_on_disk import ObjectsOnDisk

        objects = ObjectsOnDisk.install(folder)
        server = _server(port, objects)
        if mode == "restore":
            from moto.s3.models import s3_backends

            _s3(port).create_bucket(
                Bucket="measure", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
            started = time.monotonic()
            result["objects"] = objects.restore(s3_backends["123456789012"]["aws"], "measure")
            result["seconds"] = time.monotonic() - started
            listed = _s3(port).list_objects_v2(Bucket="measure", MaxKeys=1)
            result["listed"] = listed.get("KeyCount", 0)
        else:
            result["seconds"] = _fill(port, gib)
    elif mode == "recorder":
        os.environ["MOTO_ENABLE_RECORDING"] = "true"
        os.environ["MOTO_RECORDER_FILEPATH"] = str(folder / "recording.jsonl")
        server = _server(port)
        result["seconds"] = _fill(port, gib)
        import boto3

        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="eu-west-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
        user = cognito.admin_create_user(UserPoolId=pool, Username="alice")["User"]
        result["sub_before"] = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        result["recording_mib"] = (folder / "recording.jsonl").stat().st_size / MIB
    else:
        server = _server(port)
        result["seconds"] = _fill(port, gib)
    result["rss_mib"] = _rss_mib()
    server.stop()
    return result


def replay(folder: Path) -> dict[str, Any]:
    """A fresh server replays the recording: how long, and does the user keep its sub?"""
    import boto3
    import requests

    from boulderstat.local.stack import free_port

    os.environ["MOTO_RECORDER_FILEPATH"] = str(folder / "recording.jsonl")
    os.environ["MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY"] = "HASH"
    port = free_port()
    server = _server(port)
    started = time.monotonic()
    requests.post(f"http://127.0.0.1:{port}/moto-api/recorder/replay-recording", timeout=3600)
    seconds = time.monotonic() - started
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    pool = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    user = cognito.admin_get_user(UserPoolId=pool, Username="alice")
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    server.stop()
    return {"mode": "replay", "seconds": seconds, "sub_after": sub, "rss_mib": _rss_mib()}


def _run(mode: str, gib: float, folder: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "reliability.moto_measurements", "--child", mode, str(gib)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MEASURE_FOLDER": str(folder)},
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--recorder-gib", type=float, default=0.25)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        folder = Path(os.environ["MEASURE_FOLDER"])
        mode, gib = args.child[0], float(args.child[1])
        print(json.dumps(replay(folder) if mode == "replay" else child(mode, gib, folder)))
        return 0
    with tempfile.TemporaryDirectory(prefix="moto-measure-") as tmp:
        for mode in ("memory", "spooled", "disk", "restore"):
            print(json.dumps(_run(mode, args.gib, Path(tmp) / "disk")), flush=True)
        recorder = Path(tmp) / "recorder"
        recorder.mkdir()
        print(json.dumps(_run("recorder", args.recorder_gib, recorder)), flush=True)
        print(json.dumps(_run("replay", args.recorder_gib, recorder)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
