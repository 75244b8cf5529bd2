"""Mail links, keys in logs, look-alike usernames and address enumeration (issue 12, item 6)."""

import logging
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import CustomUser
from config.logging import JsonFormatter, RequestIdFilter
from tests.production import example_environment
from tests.servers import manage

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"https?://\S+/password/reset/key/\S+/")


@pytest.fixture
def rendered_logs():
    """Every record any logger writes, as the production JSON handler would print it."""
    lines = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Capture(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def request_reset(client, **headers):
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"}, **headers)
    assert len(mail.outbox) == 1
    return RESET_LINK.search(mail.outbox[0].body).group(0)


def test_reset_link_uses_the_configured_domain_not_the_host_header(client, member, settings):
    settings.BOOKSTORE_SITE_DOMAIN = "books.example.com"
    settings.ALLOWED_HOSTS = ["books.example.com"]
    link = request_reset(client, HTTP_HOST="books.example.com:31337")
    assert link.startswith("https://books.example.com/accounts/password/reset/key/")


def test_password_reset_never_logs_the_key(client, member, rendered_logs):
    link = request_reset(client)
    path = link.split("://", 1)[1].split("/", 1)[1]
    key = path.rstrip("/").rsplit("/", 1)[-1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"password1": "a-new-long-passphrase-7", "password2": "a-new-long-passphrase-7"})
    assert CustomUser.objects.get(pk=member.pk).check_password("a-new-long-passphrase-7")
    assert rendered_logs, "the requests were logged"
    secret = key.split("-", 1)[1]  # <uid>-<token>
    assert not any(secret in line for line in rendered_logs)


def test_check_deploy_refuses_the_console_mail_backend_in_production():
    result = manage(example_environment(EMAIL_URL=None), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "bookstore.E001" in result.stderr


def test_check_deploy_wants_the_site_domain_and_mandatory_verification():
    env = example_environment(BOOKSTORE_SITE_DOMAIN=None, ACCOUNT_EMAIL_VERIFICATION=None)
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert "bookstore.W001" in result.stderr and "bookstore.W002" in result.stderr


def sign_up(client, username, email="new@example.com"):
    return client.post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )


@pytest.mark.parametrize(
    "look_alike",
    ["ａｌｉｃｅ", "аlice", "ALICE", "Аlice"],
    ids=["full-width", "cyrillic-a", "upper-case", "cyrillic-capital-a"],
)
def test_a_look_alike_of_an_existing_username_cannot_sign_up(client, member, look_alike):
    response = sign_up(client, look_alike)
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert CustomUser.objects.count() == 1


def test_a_full_width_username_is_stored_normalised(client):
    sign_up(client, "ｒｅａｄｅｒ")
    assert CustomUser.objects.get().username == "reader"


def test_two_look_alike_usernames_cannot_both_be_saved(member):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomUser.objects.create_user(username="аlice", email="x@example.com", password="x-long-passphrase-1")


def test_sign_up_with_a_registered_address_looks_like_any_other(client, member, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # the production value
    taken = sign_up(client, "newcomer", email="alice@example.com")
    client.logout()
    free = sign_up(client, "another", email="free@example.com")
    assert (taken.status_code, taken.get("Location")) == (free.status_code, free.get("Location"))
    assert not CustomUser.objects.filter(username="newcomer").exists()
    assert {message.to[0] for message in mail.outbox} == {"alice@example.com", "free@example.com"}


def test_production_example_makes_address_verification_mandatory():
    from tests.production import settings_under

    assert settings_under(example_environment(), "ACCOUNT_EMAIL_VERIFICATION") == {
        "ACCOUNT_EMAIL_VERIFICATION": "mandatory"
    }


def test_a_member_cannot_attach_another_members_unverified_address(client, other_member):
    EmailAddress.objects.create(user=other_member, email="carol@example.com", verified=False, primary=False)
    client.force_login(other_member)
    client.logout()
    from tests.factories import UserFactory

    mallory = UserFactory(username="mallory")
    client.force_login(mallory)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "carol@example.com"}, follow=True)
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(user=mallory, email="carol@example.com").exists()
    assert "Confirmation email sent to carol@example.com" in response.content.decode()


def test_migrate_puts_the_configured_name_and_domain_on_the_site_record(settings):
    from django.contrib.sites.models import Site

    from accounts.apps import sync_site

    settings.BOOKSTORE_SITE_DOMAIN = "books.example.com"
    settings.BOOKSTORE_SITE_NAME = "Chapter House"
    sync_site()
    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("books.example.com", "Chapter House")


def test_admin_cannot_add_a_look_alike_of_an_existing_member(member):
    from accounts.forms import CustomUserCreationForm

    form = CustomUserCreationForm(
        data={
            "username": "аlice",
            "email": "x@example.com",
            "password1": "x-long-pass-91",
            "password2": "x-long-pass-91",
        }
    )
    assert not form.is_valid()
    assert "looks too much like" in str(form.errors["username"])
