import pytest

from books.templatetags.bookstore_ui import stars


@pytest.mark.parametrize(
    ("rating", "shown"),
    [(4, "★★★★☆"), (1, "★☆☆☆☆"), (5, "★★★★★"), ("3.50", "★★★★☆"), ("3.49", "★★★☆☆"), (None, "")],
)
def test_stars_fill_as_many_stars_as_the_rounded_rating(rating, shown):
    assert stars(rating) == shown


def test_stars_never_draw_more_than_five_or_fewer_than_none():
    assert stars(9) == "★★★★★"
    assert stars(-2) == "☆☆☆☆☆"
