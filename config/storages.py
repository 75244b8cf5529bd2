"""Where user media goes, decided by configuration.

`media_storage(env)` returns the `STORAGES["default"]` entry: S3-compatible object storage
through django-storages when `AWS_STORAGE_BUCKET_NAME` is set, the local filesystem under
MEDIA_ROOT otherwise. Every option is read under django-storages' own setting name. The
tests build their S3 storage with this same function, so they exercise the real settings.
"""

from botocore.config import Config as BotoConfig

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"


def media_storage(env):
    bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        return FILESYSTEM
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Both optional: without them boto3's own chain (an IAM role, ...) is used.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "url_protocol": env.str("AWS_S3_URL_PROTOCOL", default="https:"),
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "location": env.str("AWS_LOCATION", default=""),
            # ACLs are left to the bucket's own policy.
            "default_acl": None,
            # Keys are random and never reused, so saving needs no existence check (HEAD).
            "file_overwrite": True,
            # Files larger than this are spooled to a temporary file, not held in memory.
            "max_memory_size": env.int("AWS_S3_MAX_MEMORY_SIZE", default=2 * 1024 * 1024),
            "object_parameters": {
                "CacheControl": env.str("AWS_S3_CACHE_CONTROL", default=IMMUTABLE_CACHE_CONTROL),
            },
            # A dead endpoint fails in seconds, not minutes.
            "client_config": BotoConfig(
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=10),
                retries={"max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
            ),
        },
    }


def media_origins(storage):
    """Origins the browser loads covers from, for the Content Security Policy's img-src."""
    options = storage.get("OPTIONS", {})
    if "bucket_name" not in options:
        return []
    if options["custom_domain"]:
        return [f"{options['url_protocol']}//{options['custom_domain']}"]
    if options["endpoint_url"]:
        return [options["endpoint_url"].rstrip("/")]
    return ["https://*.amazonaws.com"]
