"""One log-in policy for /accounts/login/ and /admin/login/ (issue 12, item 2)."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ADDRESS_A = "203.0.113.10"
ADDRESS_B = "198.51.100.20"


class CountingHasher(MD5PasswordHasher):
    """The tests' fast hasher, counting how often a password is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def staff():
    return UserFactory(username="keeper", is_staff=True, is_superuser=True)


def admin_log_in(client, login, password):
    """What a person or a script does at /admin/login/: post there, then post wherever it sends them."""
    response = client.post("/admin/login/?next=/admin/", {"username": login, "password": password})
    if response.status_code == 302 and response.url.startswith(reverse("account_login")):
        response = client.post(response.url, {"login": login, "password": password})
    return response


def is_in_admin(client):
    response = client.get("/admin/")
    return response.status_code == 200 and "Site administration" in response.content.decode()


def test_admin_log_in_works_for_staff(staff):
    client = Client(REMOTE_ADDR=ADDRESS_A)
    admin_log_in(client, "keeper", PASSWORD)
    assert is_in_admin(client)


def test_admin_log_in_is_locked_after_25_wrong_passwords_even_for_the_right_one(staff):
    client = Client(REMOTE_ADDR=ADDRESS_A)
    for attempt in range(25):
        admin_log_in(client, "keeper", f"wrong-{attempt}")
    admin_log_in(client, "keeper", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert not is_in_admin(client)


def test_admin_log_in_answers_locked_after_failures_on_the_member_log_in(staff):
    client = Client(REMOTE_ADDR=ADDRESS_A)
    for attempt in range(5):
        client.post(reverse("account_login"), {"login": "keeper", "password": f"wrong-{attempt}"})
    admin_log_in(client, "keeper", PASSWORD)
    assert not is_in_admin(client)


def test_lockout_from_one_address_does_not_lock_the_member_out_from_another(member):
    attacker = Client(REMOTE_ADDR=ADDRESS_A)
    for attempt in range(12):
        attacker.post(reverse("account_login"), {"login": "alice", "password": f"wrong-{attempt}"})
    attacker.post(reverse("account_login"), {"login": "alice", "password": PASSWORD})
    assert "_auth_user_id" not in attacker.session

    owner = Client(REMOTE_ADDR=ADDRESS_B)
    response = owner.post(reverse("account_login"), {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(member.pk)


def test_forged_forwarded_addresses_from_a_direct_client_do_not_escape_the_per_address_limit(member, settings):
    """Reached without the proxy, a client spraying passwords over many accounts cannot
    name a fresh address per attempt in X-Forwarded-For."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR=ADDRESS_A)
    for attempt in range(11):
        client.post(
            reverse("account_login"),
            {"login": f"member{attempt}", "password": "Summer2026!"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt + 1}",
        )
    client.post(reverse("account_login"), {"login": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "_auth_user_id" not in client.session


def test_forwarded_address_from_the_trusted_proxy_is_the_client(member, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for attempt in range(8):
        proxy.post(
            reverse("account_login"), {"login": "alice", "password": f"wrong-{attempt}"}, HTTP_X_FORWARDED_FOR=ADDRESS_A
        )
    response = proxy.post(
        reverse("account_login"), {"login": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR=ADDRESS_B
    )
    assert response.status_code == 302
    assert proxy.session["_auth_user_id"] == str(member.pk)


@pytest.mark.parametrize("path", ["member", "admin"])
def test_right_and_wrong_passwords_run_the_hasher_equally_often(settings, staff, path):
    """Equal work, so equal timing (bench/login_timing.py prints the medians)."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    staff.set_password(PASSWORD)
    staff.save()
    calls = {}
    for case, login, password in [
        ("right", "keeper", PASSWORD),
        ("wrong", "keeper", "not-the-password"),
        ("wrong e-mail login", "keeper@example.com", "not-the-password"),
        ("unknown member", "nobody", "not-the-password"),
    ]:
        client = Client(REMOTE_ADDR=ADDRESS_A)
        CountingHasher.calls = 0
        if path == "admin":
            admin_log_in(client, login, password)
        else:
            client.post(reverse("account_login"), {"login": login, "password": password})
        calls[case] = CountingHasher.calls
    assert calls == {"right": 1, "wrong": 1, "wrong e-mail login": 1, "unknown member": 1}
