"""Settings for the test suite: the real settings with test-only values.

Only what a test run must not share with a developer's machine is changed here: no real
secret, fast password hashing, mail kept in memory. Storage and database come from the
environment exactly as in production (`DATABASE_URL` switches the suite to PostgreSQL).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-a-secret")
os.environ["DJANGO_READ_DOT_ENV"] = "false"
# Nobody's real AWS configuration may leak into the tests.
os.environ["AWS_CONFIG_FILE"] = "/nonexistent/bookstore-tests/aws-config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/bookstore-tests/aws-credentials"
for _name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_CUSTOM_DOMAIN", "REDIS_URL"):
    os.environ.pop(_name, None)

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# Tests see a cover's deletion at once; covers/tests/test_deletes.py turns the worker on.
COVER_DELETES_IN_BACKGROUND = False
# `manage.py test` on a runtime-only install runs the TestCases and skips the pytest modules.
TEST_RUNNER = "config.test_runner.AppTestRunner"
# Tests post many reviews and books as one member; books/tests/test_ratelimits.py turns the
# limits on. Servers the tests start read the production defaults.
BOOKSTORE_REVIEW_RATE = BOOKSTORE_BOOK_RATE = ""
