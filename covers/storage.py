"""Where covers are stored: the `STORAGES["default"]` entry built from the environment, and
the one description of it (`MediaStorage`) that the page cache, /readyz, the CSP and the
system checks read. Model-free, so that settings can import it (docs/ARCHITECTURE.md,
"Media storage").
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import environ
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage

S3_BACKEND = "storages.backends.s3.S3Storage"
S3_BACKENDS = (S3_BACKEND, "storages.backends.s3boto3.S3Boto3Storage")
FILESYSTEM: dict[str, Any] = {"BACKEND": "covers.storage.AtomicFileSystemStorage"}
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
ADDRESSING_STYLES = ("auto", "virtual", "path")

# Meaningless without a bucket, where covers.checks reports them (credentials are not listed:
# boto3 shares them with other AWS services).
S3_ONLY_VARIABLES = (
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_S3_ADDRESSING_STYLE",
    "AWS_S3_CUSTOM_DOMAIN",
    "AWS_QUERYSTRING_AUTH",
    "AWS_QUERYSTRING_EXPIRE",
    "AWS_LOCATION",
)


def media_storage(env: environ.Env) -> dict[str, Any]:
    """The `STORAGES["default"]` entry: S3 when AWS_STORAGE_BUCKET_NAME is set, else local disk."""
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        return FILESYSTEM
    custom_domain = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    addressing_style = env.str("AWS_S3_ADDRESSING_STYLE", default="") or None
    signature_version = env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4")
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            # Both optional: without them boto3's own chain (an IAM role, ...) is used.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            # boto3 uses client_config's copy; this one is for covers.checks.
            "addressing_style": addressing_style,
            "signature_version": signature_version,
            "custom_domain": custom_domain,
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),
            # Signed URLs unless a custom (CDN) domain, which django-storages cannot sign.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=custom_domain is None),
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "location": env.str("AWS_LOCATION", default=""),
            # ACLs are left to the bucket's own policy.
            "default_acl": None,
            # Keys are random and never reused, so saving needs no existence check (HEAD).
            "file_overwrite": True,
            # Files read back are spooled to disk above this size.
            "max_memory_size": env.int("AWS_S3_MAX_MEMORY_SIZE", default=2 * 1024 * 1024),
            "object_parameters": {
                "CacheControl": env.str("AWS_S3_CACHE_CONTROL", default=IMMUTABLE_CACHE_CONTROL),
            },
            # One PutObject per cover (far below this); only media_copy's big files go in parts.
            "transfer_config": TransferConfig(
                multipart_threshold=env.int("AWS_S3_MULTIPART_THRESHOLD", default=64 * 1024 * 1024),
                multipart_chunksize=16 * 1024 * 1024,
            ),
            # django-storages ignores addressing_style and signature_version once a client_config
            # is given. Short timeouts and few attempts: a dead endpoint fails in seconds.
            "client_config": BotoConfig(
                # An invalid style would raise while settings load; covers.checks reports it.
                s3={"addressing_style": cast(Any, addressing_style if addressing_style in ADDRESSING_STYLES else None)},
                signature_version=signature_version,
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=2),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=3),
                retries={"total_max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
            ),
        },
    }


class AtomicFileSystemStorage(FileSystemStorage):
    """Local media whose files appear whole or not at all.

    Django's FileSystemStorage writes into the final path, so a full disk leaves a truncated
    file that a row may point at. Here a file is written to a temporary name in the same
    folder, flushed to disk, then linked to its name (never replacing an existing file); on
    any error the temporary file is removed and the error raised, which covers.files turns
    into "Cover storage is unavailable".
    """

    def _save(self, name: str, content: File) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".incomplete-")
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in content.chunks():
                    file.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, self.file_permissions_mode if self.file_permissions_mode is not None else 0o644)
            while True:
                try:
                    os.link(temporary, full_path)  # fails if the name exists: nothing is replaced
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
            _fsync_directory(directory)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        return os.path.relpath(full_path, self.location).replace("\\", "/")


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class MediaStorage:
    """What the rest of the site needs to know about the configured media storage."""

    backend: str
    on_s3: bool
    bucket: str
    # Seconds a cover URL stays valid, or None when URLs never expire (local, public, CDN).
    url_lifetime: int | None
    # Origins the browser loads covers from, for the CSP's img-src.
    origins: tuple[str, ...]
    options: Mapping[str, Any]

    @property
    def upload_origins(self) -> tuple[str, ...]:
        """Where the browser posts direct uploads, for the CSP's connect-src: the bucket's own
        endpoint (a presigned POST never goes through a CDN's custom domain)."""
        if not self.on_s3:
            return ()
        return tuple(_origins({name: value for name, value in self.options.items() if name != "custom_domain"}))

    @property
    def signed(self) -> bool:
        return self.url_lifetime is not None

    @property
    def on_local_disk(self) -> bool:
        from django.core.files.storage import FileSystemStorage
        from django.utils.module_loading import import_string

        try:
            return issubclass(import_string(self.backend), FileSystemStorage)
        except ImportError:
            return False  # Django's own checks report a backend that cannot be imported

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> MediaStorage:
        backend = entry.get("BACKEND", "")
        options = entry.get("OPTIONS", {})
        on_s3 = backend in S3_BACKENDS
        # django-storages signs custom-domain URLs only with CloudFront keys.
        signed = (
            on_s3
            and options.get("querystring_auth", True)
            and (not options.get("custom_domain") or options.get("cloudfront_key_id"))
        )
        return cls(
            backend=backend,
            on_s3=on_s3,
            bucket=options.get("bucket_name") or "" if on_s3 else "",
            url_lifetime=options.get("querystring_expire", 3600) if signed else None,
            origins=tuple(_origins(options)) if on_s3 else (),
            options=options,
        )


def configured_media() -> MediaStorage:
    """The description of `settings.STORAGES["default"]` as it is now (tests override it)."""
    from django.conf import settings

    return MediaStorage.from_entry(settings.STORAGES.get("default", {}))


def _origins(options: Mapping[str, Any]) -> list[str]:
    if options.get("custom_domain"):
        return [f"{options.get('url_protocol', 'https:')}//{options['custom_domain']}"]
    if options.get("endpoint_url"):
        endpoint = urlsplit(options["endpoint_url"])
        if options.get("addressing_style") == "virtual":
            # The bucket becomes part of the host name: https://<bucket>.<endpoint host>
            return [f"{endpoint.scheme}://{options['bucket_name']}.{endpoint.netloc}"]
        return [f"{endpoint.scheme}://{endpoint.netloc}"]
    return ["https://*.amazonaws.com"]
