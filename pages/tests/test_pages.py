import pytest
from django.urls import reverse

from tests.factories import BookFactory

pytestmark = pytest.mark.django_db


def test_home_shows_the_newest_books_first(client):
    BookFactory(title="Older book")
    BookFactory(title="Newest book")
    response = client.get(reverse("home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Newest book") < content.index("Older book")


def test_home_without_books_invites_the_first_one(client):
    assert "No books yet" in client.get(reverse("home")).content.decode()


def test_about_page(client):
    response = client.get(reverse("about"))
    assert response.status_code == 200
    assert "About Bookstore" in response.content.decode()


def test_unknown_page_is_a_readable_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_pages_load_bootstrap_from_our_own_static_files(client):
    content = client.get(reverse("home")).content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in content
    assert "cdn" not in content.lower()


def test_server_error_page_renders_without_a_request_context():
    from django.template.loader import get_template

    assert "Something went wrong" in get_template("500.html").render({})
