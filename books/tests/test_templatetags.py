import pytest

from books.templatetags.bookstore_ui import COVER_TINTS, cover_tint, stars


@pytest.mark.parametrize(
    ("rating", "shown"),
    [(4, "★★★★☆"), (1, "★☆☆☆☆"), (5, "★★★★★"), ("3.50", "★★★★☆"), ("3.49", "★★★☆☆"), (None, "")],
)
def test_stars_fill_as_many_stars_as_the_rounded_rating(rating, shown):
    assert stars(rating) == shown


def test_stars_never_draw_more_than_five_or_fewer_than_none():
    assert stars(9) == "★★★★★"
    assert stars(-2) == "☆☆☆☆☆"


def test_cover_tint_is_fixed_by_the_title_and_varies_between_titles():
    assert cover_tint("Kindred") == cover_tint("kindred") == cover_tint("Kindred")
    tints = {cover_tint(title) for title in ("Kindred", "Dawn", "Wild Seed", "Beloved", "Piranesi", "Wolf Hall")}
    assert len(tints) > 3 and all(0 <= tint < COVER_TINTS for tint in tints)
