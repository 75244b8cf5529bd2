from django.views.defaults import server_error


def test_server_error_page_is_the_sites_own_page(rf):
    """Django renders 500.html with an empty context: the site frame must not need a request."""
    response = server_error(rf.get("/books/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert 'href="/books/"' in html
