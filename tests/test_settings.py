"""Start-up behaviour of config/settings.py, in a fresh interpreter each time."""

import os
import subprocess
import sys

from django.conf import settings

SHOW_STORAGE = (
    "import django; django.setup(); from django.conf import settings as s; print(s.STORAGES['default']['BACKEND'])"
)


def run_settings(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_", "DATABASE_URL", "REDIS"))}
    return subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [
            sys.executable,
            "-c",
            SHOW_STORAGE,
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_READ_DOT_ENV": "false", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_missing_secret_key_is_a_clear_start_up_error():
    result = run_settings({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_needs_no_secret_key_and_uses_local_media():
    result = run_settings({"DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_switches_media_to_s3_through_storages():
    result = run_settings({"DJANGO_SECRET_KEY": "x" * 50, "AWS_STORAGE_BUCKET_NAME": "covers"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"
