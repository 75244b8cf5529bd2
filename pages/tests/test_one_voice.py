"""One voice: the site's name from settings, one vocabulary, correct plurals, a way back from a 403."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import BookFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_name(settings):
    settings.BOOKSTORE_SITE_NAME = "Chapter House"
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chapter House] "
    return settings.BOOKSTORE_SITE_NAME


def test_page_titles_and_the_admin_carry_the_site_name(client, admin_client, site_name):
    page = client.get("/about/").content.decode()
    assert "<title>About · Chapter House</title>" in page
    assert "Bookstore" not in page
    from django.contrib import admin

    admin.site.site_header = site_name  # what config/urls.py does with the setting at start-up
    assert site_name in admin_client.get("/admin/").content.decode()


def test_confirmation_mail_names_the_site_and_never_example_com(client, site_name):
    client.post(
        reverse("account_signup"),
        {
            "username": "carol",
            "email": "carol@example.org",
            "password1": "a-long-reading-list-42",
            "password2": "a-long-reading-list-42",
        },
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "example.com" not in message.subject + message.body
    assert message.subject.startswith("[Chapter House]")
    assert "Hello from Chapter House!" in message.body


def test_account_pages_say_log_in_sign_up_and_log_out(member_client):
    visitor = Client()
    login = visitor.get(reverse("account_login")).content.decode()
    signup = visitor.get(reverse("account_signup")).content.decode()
    logout = member_client.get(reverse("account_logout")).content.decode()
    for page in (login, signup, logout):
        for word in ("Sign In", "Sign in", "Sign Up", "Signup", "Sign Out", "Login", "Logout"):
            assert word not in page, word
    assert "Log in" in login and "Sign up" in signup
    assert "Username or e-mail" in login
    assert "Log out" in logout


def test_delete_page_counts_reviews_in_words(member_client, book):
    page = member_client.get(reverse("book_delete", args=[book.pk])).content.decode()
    assert "This removes the book." in page and "0 review" not in page
    ReviewFactory(book=book)
    book.refresh_review_stats()
    assert (
        "This removes the book and its review."
        in member_client.get(reverse("book_delete", args=[book.pk])).content.decode()
    )


def test_the_403_page_links_back_to_the_book(other_client, book):
    response = other_client.get(reverse("book_update", args=[book.pk]))
    assert response.status_code == 403
    assert f'href="{book.get_absolute_url()}"' in response.content.decode()
    review = ReviewFactory(book=BookFactory())
    response = other_client.get(reverse("review_update", args=[review.pk]))
    assert response.status_code == 403 and review.book.get_absolute_url() in response.content.decode()
