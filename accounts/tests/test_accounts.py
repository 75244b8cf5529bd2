import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

User = get_user_model()
SIGN_UP = {
    "username": "reader",
    "email": "reader@example.com",
    "password1": "a-long-passphrase-9",
    "password2": "a-long-passphrase-9",
}


def test_custom_user_model_is_in_use():
    assert User._meta.label == "accounts.CustomUser"


def test_sign_up_creates_a_member_and_logs_them_in(client):
    response = client.post(
        reverse("account_signup"),
        SIGN_UP,
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(username="reader")
    assert response.context["user"] == user
    assert "Signed in as" in response.content.decode()


def test_sign_up_survives_a_mail_server_that_does_not_answer(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    response = client.post(
        reverse("account_signup"),
        SIGN_UP,
    )
    assert response.status_code == 302
    assert User.objects.filter(username="reader").exists()


@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
def test_log_in_with_username_or_email(client, member, login):
    response = client.post(reverse("account_login"), {"login": login, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_authenticate_with_username_and_password(member):
    assert authenticate(username="alice", password="correct-horse-battery") == member
    assert authenticate(username="alice", password="wrong") is None


def test_log_in_returns_to_next(client, member):
    response = client.post(
        f"{reverse('account_login')}?next=/books/create/", {"login": "alice", "password": "correct-horse-battery"}
    )
    assert response.url == "/books/create/"


def test_wrong_password_is_refused_with_a_message(client, member):
    response = client.post(reverse("account_login"), {"login": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_in_failures_are_rate_limited(client, member):
    for _ in range(10):
        client.post(reverse("account_login"), {"login": "alice", "password": "nope"})
    response = client.post(reverse("account_login"), {"login": "alice", "password": "correct-horse-battery"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_log_out(member_client):
    response = member_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in member_client.session


def test_password_reset_sends_a_mail(client, member):
    response = client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "alice" in mail.outbox[0].body or "password" in mail.outbox[0].subject.lower()


def test_password_change(member_client, member):
    response = member_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "correct-horse-battery",
            "password1": "another-long-pass-7",
            "password2": "another-long-pass-7",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("another-long-pass-7")


def test_navigation_shows_sign_in_or_the_member(client, member):
    content = client.get("/").content.decode()
    assert "Log in" in content and "Sign up" in content
    client.force_login(member)
    content = client.get("/").content.decode()
    assert "alice" in content and "Log out" in content


def test_a_members_request_loads_them_whole_with_one_query(client, django_assert_num_queries):
    """The precompiled lookup (accounts.backends.get_user) builds the member the ORM would."""
    member = User.objects.create_user("ada", "ada@example.com", "a-long-passphrase-9", first_name="Ada", last_name="L")
    expected = User.objects.get(pk=member.pk)
    backend = auth_backend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(str(member.pk))  # as the session stores it
        # Every field came with that one query: reading them loads nothing more.
        values = {field.attname: getattr(loaded, field.attname) for field in User._meta.concrete_fields}
    assert values == {field.attname: getattr(expected, field.attname) for field in User._meta.concrete_fields}
    assert loaded == expected and not loaded._state.adding and loaded._state.db == "default"
    # The session still verifies against the loaded password hash: the member's pages load.
    client.force_login(member)
    assert client.get(reverse("book_create")).status_code == 200


def test_a_deactivated_or_deleted_member_or_a_forged_id_is_nobody_at_their_next_request(client):
    member = User.objects.create_user("ada", "ada@example.com", "a-long-passphrase-9")
    backend = auth_backend()
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(member.pk + 1000) is None
    client.force_login(member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert backend.get_user(member.pk) is None
    response = client.get(reverse("book_create"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_members_request_sends_no_health_check_and_outlives_a_dropped_connection(client, settings, monkeypatch):
    """The member read stands in for the kept connection's `SELECT 1` (accounts.db): one
    round trip fewer per signed-in request, and a connection the database dropped is
    replaced without an error for the member."""
    from django.db import close_old_connections, connections

    from tests.outage import drop_from_the_server

    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("a server-side disconnect needs PostgreSQL")
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60  # kept between requests, as in production
    # Production reads the session from Redis (cached_db), so the member read is the request's
    # first statement; the test settings keep sessions in the database, which would come first.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    member = User.objects.create_user("ada", "ada@example.com", "a-long-passphrase-9")
    client.force_login(member)
    checks = []
    is_usable = type(connection).is_usable
    monkeypatch.setattr(type(connection), "is_usable", lambda self: checks.append(1) or is_usable(self))
    url = reverse("book_create")  # a page no cache answers: the member read comes first
    close_old_connections()  # what the handler does between requests (the test client does not)
    assert client.get(url).status_code == 200
    assert checks == []
    dropped = drop_from_the_server(connection)
    close_old_connections()
    again = client.get(url)
    assert again.status_code == 200 and 'name="title"' in again.content.decode()
    assert connection.connection.info.backend_pid != dropped
    assert checks == []


def auth_backend():
    from accounts.backends import AuthenticationBackend

    return AuthenticationBackend()
