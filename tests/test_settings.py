"""Start-up behaviour of config/settings.py, in a fresh interpreter each time."""

from tests.production import bare_environment, run_python

SHOW_STORAGE = (
    "import django; django.setup(); from django.conf import settings as s; print(s.STORAGES['default']['BACKEND'])"
)


def run_settings(env):
    return run_python(SHOW_STORAGE, bare_environment(**env))


def test_missing_secret_key_is_a_clear_start_up_error():
    result = run_settings({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_needs_no_secret_key_and_uses_local_media():
    result = run_settings({"DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "covers.storage.AtomicFileSystemStorage"  # a FileSystemStorage


def test_a_bucket_switches_media_to_s3_through_storages():
    result = run_settings({"DJANGO_SECRET_KEY": "x" * 50, "AWS_STORAGE_BUCKET_NAME": "covers"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"


def test_an_unknown_currency_is_a_clear_start_up_error():
    result = run_settings({"DJANGO_DEBUG": "true", "BOOKSTORE_CURRENCY": "EURO"})
    assert result.returncode != 0
    assert "BOOKSTORE_CURRENCY='EURO' is not an ISO 4217 currency code" in result.stderr
    assert run_settings({"DJANGO_DEBUG": "true", "BOOKSTORE_CURRENCY": "eur"}).returncode == 0
