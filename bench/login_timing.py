"""How long a log-in answer takes for a right password, a wrong one and an unknown member.

Runs the real log-in views (allauth's, and the admin's, which sends visitors there) with
Django's production password hasher (PBKDF2) on a throw-away SQLite database, and prints
the median of each case. The tests check the cause (one hash per attempt,
accounts/tests/test_login_policy.py); this prints the effect. Asserts nothing.
Run with `make bench-login`.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

ROUNDS = 15
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (a throw-away member in memory)
CASES = [
    ("right password", "keeper", PASSWORD),
    ("wrong password", "keeper", "not-it"),
    ("unknown member", "nobody", "not-it"),
]


def attempt(path, login, password):
    cache.clear()  # the rate limit would lock the later rounds out
    client = Client(REMOTE_ADDR="203.0.113.1")
    started = time.perf_counter()
    if path == "admin":
        response = client.post("/admin/login/?next=/admin/", {"username": login, "password": password})
        if response.status_code == 302 and response.url.startswith("/accounts/login/"):
            client.post(response.url, {"login": login, "password": password})
    else:
        client.post("/accounts/login/", {"login": login, "password": password})
    return (time.perf_counter() - started) * 1000


def main():
    logging.disable(logging.CRITICAL)
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from accounts.models import CustomUser

    CustomUser.objects.create_user("keeper", "keeper@example.com", PASSWORD, is_staff=True, is_superuser=True)
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    print(f"Log-in answer times, median of {ROUNDS} ({hasher}; ms)")
    for path in ("member", "admin"):
        times = {name: [] for name, _login, _password in CASES}
        for _ in range(ROUNDS):
            for name, login, password in CASES:
                times[name].append(attempt(path, login, password))
        figures = ", ".join(f"{name} {statistics.median(values):.0f}" for name, values in times.items())
        print(f"  {path + ' log-in':13} {figures}")


if __name__ == "__main__":
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        main()
