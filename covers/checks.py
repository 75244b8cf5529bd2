"""System checks: a broken media storage configuration is a clear message at start-up.

Most of these mistakes fail silently otherwise: covers land on one server's disk, URLs stop
being signed, or every upload fails with an error from botocore that names no setting.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from .storage import ADDRESSING_STYLES, S3_ONLY_VARIABLES, configured_media

# The longest a SigV4 presigned URL may live (7 days).
MAX_QUERYSTRING_EXPIRE = 7 * 24 * 3600


def check_storage_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    media = configured_media()
    options = media.options
    errors: list[CheckMessage] = []
    if hasattr(settings, "DEFAULT_FILE_STORAGE"):
        errors.append(
            Error(
                "DEFAULT_FILE_STORAGE is set, but Django 5 ignores it: media would go to the local disk.",
                hint='Configure media through STORAGES["default"] (covers/storage.py reads AWS_* variables).',
                id="covers.E004",
            )
        )
    if not media.on_s3:
        stray = sorted(name for name in S3_ONLY_VARIABLES if os.environ.get(name))
        if stray:
            errors.append(
                Error(
                    f"{', '.join(stray)} {'is' if len(stray) == 1 else 'are'} set but AWS_STORAGE_BUCKET_NAME is "
                    "not: covers would be stored on this server's local disk, not in object storage.",
                    hint="Set AWS_STORAGE_BUCKET_NAME to the bucket's name, or unset these variables.",
                    id="covers.E002",
                )
            )
        return errors

    if options.get("custom_domain") and options.get("querystring_auth") and not options.get("cloudfront_key_id"):
        errors.append(
            Error(
                "AWS_S3_CUSTOM_DOMAIN is set together with AWS_QUERYSTRING_AUTH: URLs on a custom domain "
                "cannot be signed, so covers would be served unsigned while you expect signed URLs.",
                hint="For public or CDN URLs set AWS_QUERYSTRING_AUTH=false; for signed URLs of a private "
                "bucket unset AWS_S3_CUSTOM_DOMAIN.",
                id="covers.E001",
            )
        )
    style = options.get("addressing_style")
    if style is not None and style not in ADDRESSING_STYLES:
        errors.append(
            Error(
                f"AWS_S3_ADDRESSING_STYLE is {style!r}, which boto3 does not know.",
                hint="Use 'path' (MinIO and most self-hosted servers), 'virtual' or 'auto' (AWS), or leave it unset.",
                id="covers.E003",
            )
        )
    expire = options.get("querystring_expire")
    if options.get("querystring_auth") and expire is not None and not 0 < expire <= MAX_QUERYSTRING_EXPIRE:
        errors.append(
            Error(
                f"AWS_QUERYSTRING_EXPIRE is {expire}: signed URLs must expire after 1 to "
                f"{MAX_QUERYSTRING_EXPIRE} seconds (7 days).",
                hint="The default, 3600 (one hour), suits pages that are rendered on each visit.",
                id="covers.E005",
            )
        )
    endpoint = options.get("endpoint_url")
    if endpoint and (urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc):
        errors.append(
            Error(
                f"AWS_S3_ENDPOINT_URL {endpoint!r} is not a URL.",
                hint="Give the scheme and host, e.g. https://<account>.r2.cloudflarestorage.com or http://minio:9000.",
                id="covers.E006",
            )
        )
    return errors


def check_media_on_shared_storage(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off, covers on local disk exist on one server only (check --deploy)."""
    if settings.DEBUG or not configured_media().on_local_disk:
        return []
    return [
        Warning(
            "Covers are stored on this server's local disk (MEDIA_ROOT). A second app server, or a "
            "new container, would not see them, and they are lost with the disk.",
            hint="Set AWS_STORAGE_BUCKET_NAME (and AWS_S3_ENDPOINT_URL for MinIO or R2) to keep media "
            "in object storage; see the README's Media storage section.",
            id="covers.W001",
        )
    ]
