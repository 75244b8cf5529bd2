"""covers.checks: a broken storage configuration is reported at start-up, in plain words.

The storage is built from environment variables exactly as config/settings.py does, and
the checks are run through Django's registry, as `manage.py check` runs them.
"""

import pytest
from django.core.checks import Tags, run_checks

from covers.storage import FILESYSTEM, S3_ONLY_VARIABLES
from tests.fixtures_s3 import s3_environment, storage_from_environment

ENDPOINT = "http://127.0.0.1:9000"


def storage_check_ids(deploy=False):
    return sorted(message.id for message in run_checks(tags=[Tags.files], include_deployment_checks=deploy))


@pytest.fixture
def s3_from(settings):
    def configure(**environment):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": storage_from_environment(s3_environment(ENDPOINT, "covers-bucket", **environment)),
        }

    return configure


@pytest.fixture(autouse=True)
def _no_storage_environment(monkeypatch):
    for name in S3_ONLY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_a_correct_s3_configuration_passes(s3_from):
    s3_from()

    assert storage_check_ids(deploy=True) == []


def test_custom_domain_with_signed_urls_is_an_error(s3_from):
    s3_from(AWS_S3_CUSTOM_DOMAIN="cdn.example.com", AWS_QUERYSTRING_AUTH="true")

    assert storage_check_ids() == ["covers.E001"]


def test_custom_domain_alone_means_unsigned_urls_and_passes(s3_from, settings):
    s3_from(AWS_S3_CUSTOM_DOMAIN="cdn.example.com")

    assert settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] is False
    assert storage_check_ids() == []


@pytest.mark.parametrize("name", ["AWS_S3_ENDPOINT_URL", "AWS_S3_CUSTOM_DOMAIN", "AWS_LOCATION"])
def test_storage_variables_without_a_bucket_are_an_error(settings, monkeypatch, name):
    settings.STORAGES = {**settings.STORAGES, "default": FILESYSTEM}
    monkeypatch.setenv(name, "https://minio.example.com" if name == "AWS_S3_ENDPOINT_URL" else "media")

    messages = run_checks(tags=[Tags.files])

    assert [message.id for message in messages] == ["covers.E002"]
    assert name in messages[0].msg and "AWS_STORAGE_BUCKET_NAME" in messages[0].msg


def test_local_storage_without_storage_variables_passes(settings):
    settings.STORAGES = {**settings.STORAGES, "default": FILESYSTEM}

    assert storage_check_ids() == []


def test_unknown_addressing_style_is_an_error_not_a_crash(s3_from):
    s3_from(AWS_S3_ADDRESSING_STYLE="vhost")

    messages = run_checks(tags=[Tags.files])

    assert [message.id for message in messages] == ["covers.E003"]
    assert "'vhost'" in messages[0].msg


@pytest.mark.parametrize("style", ["auto", "virtual", "path"])
def test_known_addressing_styles_pass(s3_from, style):
    s3_from(AWS_S3_ADDRESSING_STYLE=style)

    assert storage_check_ids() == []


@pytest.mark.parametrize("expire", ["0", "604801"])
def test_signed_url_expiry_outside_what_sigv4_allows_is_an_error(s3_from, expire):
    s3_from(AWS_QUERYSTRING_EXPIRE=expire)

    assert storage_check_ids() == ["covers.E005"]


def test_endpoint_without_a_scheme_is_an_error(s3_from):
    s3_from(AWS_S3_ENDPOINT_URL="minio.example.com:9000")

    assert storage_check_ids() == ["covers.E006"]


def test_removed_default_file_storage_setting_is_an_error(s3_from, settings):
    s3_from()
    settings.DEFAULT_FILE_STORAGE = "storages.backends.s3.S3Storage"

    assert storage_check_ids() == ["covers.E004"]


def test_deploy_check_warns_when_production_media_is_on_local_disk(settings):
    settings.DEBUG = False
    settings.STORAGES = {**settings.STORAGES, "default": FILESYSTEM}

    assert storage_check_ids(deploy=True) == ["covers.W001"]
    # Only `check --deploy` says it: a plain `check` (and so runserver) stays quiet.
    assert storage_check_ids(deploy=False) == []


def test_deploy_check_is_quiet_on_a_developers_machine(settings):
    settings.DEBUG = True
    settings.STORAGES = {**settings.STORAGES, "default": FILESYSTEM}

    assert storage_check_ids(deploy=True) == []


def test_deploy_check_is_quiet_when_media_is_in_a_bucket(settings, s3_from):
    settings.DEBUG = False
    s3_from()

    assert storage_check_ids(deploy=True) == []
