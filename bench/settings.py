"""Settings for `make bench` only: the real settings plus two bare baseline pages.

The bare Django view and bare template URLs exist only here (bench/urls.py), never in the
production URLs. Values still come from the environment, as in production; bench/run.py
sets them (DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, ...).
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
# No collectstatic before a run: plain static URLs cost the same to build as hashed ones.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Plain HTTP on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Benchmarks post many books and reviews as one member.
BOOKSTORE_REVIEW_RATE = BOOKSTORE_BOOK_RATE = ""
