"""The media bucket, as the media domain needs it: grants, checks of what arrived, removal.

The bucket stays private: climbers write only through presigned POSTs pinned to one key, or
presigned part PUTs pinned to one key, upload id, part number and length; they read only
through `delivery.MediaLinks`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

_MAX_LIST_PAGES = 20  # 20,000 objects: far more than one media item ever has
_DELETE_BATCH = 1000  # DeleteObjects limit
_DOWNLOAD_CHUNK = 1024 * 1024
_SINGLE_PUT_BYTES = 8 * 1024 * 1024  # boto3's default multipart threshold


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str
    content_type: str | None


@dataclass(frozen=True)
class StoredPart:
    part_number: int
    size: int
    etag: str


@dataclass(frozen=True)
class ListedObject:
    key: str
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class ListedPage:
    objects: list[ListedObject]
    more: bool  # keys after the last one remain


@dataclass(frozen=True)
class ReadGrant:
    """A presigned GET of one object version, for a reader that fetches ranges itself (ffmpeg).

    Every request must send `headers`: `If-Match` makes S3 answer 412 once the object was
    replaced, so a reader never mixes the bytes of two versions.
    """

    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


_LIST_PARTS_PAGE = 1000  # S3's ListParts page size


class MediaStorage:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedPost:
        """A POST grant pinned to one key, one Content-Type and 1..max_bytes bytes."""
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]))

    # -- multipart uploads (resumable) -------------------------------------------------------
    def create_multipart_upload(self, key: str, *, content_type: str) -> str:
        """Starts a multipart upload at `key`; the Content-Type is fixed here, not by parts."""
        response = self._s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type
        )
        return str(response["UploadId"])

    def presigned_upload_part(
        self, key: str, *, upload_id: str, part_number: int, size: int, expires_in: int
    ) -> str:
        """A PUT URL for one part number only, signed with its exact Content-Length."""
        return str(
            self._s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": part_number,
                    "ContentLength": size,
                },
                ExpiresIn=expires_in,
            )
        )

    def list_parts(self, key: str, *, upload_id: str, max_parts: int) -> list[StoredPart] | None:
        """The parts S3 holds (at most `max_parts` + one page); None when no such upload."""
        parts: list[StoredPart] = []
        marker = 0
        for _ in range(max_parts // _LIST_PARTS_PAGE + 2):
            try:
                response = self._s3.list_parts(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumberMarker=marker,
                    MaxParts=_LIST_PARTS_PAGE,
                )
            except ClientError as error:
                if _code(error) == "NoSuchUpload" or _status(error) == 404:
                    return None
                raise
            parts.extend(
                StoredPart(
                    part_number=int(p["PartNumber"]),
                    size=int(p["Size"]),
                    etag=str(p["ETag"]).strip('"'),
                )
                for p in response.get("Parts", [])
            )
            if not response.get("IsTruncated") or len(parts) > max_parts:
                break
            marker = int(response["NextPartNumberMarker"])
        return parts

    def complete_multipart_upload(
        self, key: str, *, upload_id: str, parts: list[StoredPart]
    ) -> str | None:
        """Assembles the parts; the new object's ETag, or None when no such upload."""
        try:
            response = self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.part_number, "ETag": f'"{p.etag}"'} for p in parts]
                },
            )
        except ClientError as error:
            if _code(error) == "NoSuchUpload":
                return None
            raise
        return str(response["ETag"]).strip('"')

    def abort_multipart_upload(self, key: str, *, upload_id: str) -> bool:
        """Drops the upload and every part; False when it was already gone."""
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if _code(error) == "NoSuchUpload" or _status(error) == 404:
                return False
            raise
        return True

    def presigned_get(self, key: str, *, expires_in: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        )

    def read_grant(self, key: str, *, etag: str, expires_in: int) -> ReadGrant:
        """Ranged reads of exactly that version, signed with this function's own credentials
        (so its role's GetObject on uploads/ is all it needs); nothing is read here."""
        return ReadGrant(
            url=self.presigned_get(key, expires_in=expires_in), headers={"If-Match": f'"{etag}"'}
        )

    def download(self, key: str, *, etag: str, destination: Path) -> bool:
        """Streams exactly that version to disk (never whole into memory); False if it is gone."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')
        except ClientError as error:
            if _status(error) in (404, 412):
                return False
            raise
        with response["Body"] as body, destination.open("wb") as out:
            shutil.copyfileobj(body, out, length=_DOWNLOAD_CHUNK)
        return True

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str) -> None:
        """One PutObject below boto3's multipart threshold, streamed from the file (a photo's
        renditions are a few hundred KB: boto3's transfer manager would start a thread pool per
        file for them); the transfer manager's multipart upload above it (a web video)."""
        if path.stat().st_size < _SINGLE_PUT_BYTES:
            with path.open("rb") as body:
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    CacheControl=cache_control,
                )
            return
        self._s3.upload_file(
            str(path),
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type, "CacheControl": cache_control},
        )

    def head(self, key: str) -> StoredObject | None:
        """The object now at `key`, or None when there is none."""
        try:
            response = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise
        return StoredObject(
            key=key,
            size=int(response["ContentLength"]),
            etag=str(response["ETag"]).strip('"'),
            content_type=response.get("ContentType"),
        )

    def read_prefix(self, key: str, *, etag: str, length: int) -> bytes | None:
        """The first `length` bytes of exactly that version; None if it was replaced or removed."""
        try:
            response = self._s3.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}", IfMatch=f'"{etag}"'
            )
        except ClientError as error:
            if _status(error) in (404, 412):
                return None
            raise
        with response["Body"] as body:
            return bytes(body.read(length))

    def list_page(self, prefix: str, *, start_after: str, max_keys: int = 1000) -> ListedPage:
        """One page of keys under `prefix` after `start_after`, in key order (a resumable scan)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if start_after:
            params["StartAfter"] = start_after
        response = self._s3.list_objects_v2(**params)
        objects = [
            ListedObject(
                key=item["Key"],
                etag=str(item["ETag"]).strip('"'),
                last_modified=item["LastModified"],
            )
            for item in response.get("Contents", [])
        ]
        return ListedPage(objects=objects, more=bool(response.get("IsTruncated")))

    def delete_if_current(self, key: str, *, etag: str) -> bool:
        """Removes the object only while it is still that version (a newer upload stays)."""
        current = self.head(key)
        if current is None or current.etag != etag:
            return False
        self._s3.delete_object(Bucket=self.bucket, Key=key)
        return True

    def remove(self, *, keys: list[str], prefix: str) -> int:
        """Removes `keys` (those present) and everything under `prefix`; returns the count."""
        found = [key for key in keys if self.head(key) is not None]
        paginator = self._s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"MaxItems": 1000 * _MAX_LIST_PAGES}
        )
        for page in pages:
            found.extend(item["Key"] for item in page.get("Contents", []))
        for start in range(0, len(found), _DELETE_BATCH):
            batch = found[start : start + _DELETE_BATCH]
            response = self._s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            if response.get("Errors"):
                failed = [e.get("Key") for e in response["Errors"]]
                raise RuntimeError(f"S3 refused to delete {len(failed)} object(s): {failed[:5]}")
        return len(found)
