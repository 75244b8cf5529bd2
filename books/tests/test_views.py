import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from books.models import Book, Review
from tests.factories import BookFactory, ReviewFactory, UserFactory, cover_upload

pytestmark = pytest.mark.django_db

VALID_BOOK = {"title": "Changed title", "author": "Changed author", "price": "7.25"}
VALID_REVIEW = {"review": "A wonderful read.", "rating": "5"}


def snapshot():
    """Everything a refused request must leave untouched."""
    return (
        list(Book.objects.order_by("pk").values_list("pk", "title", "author", "price", "cover", "creator_id")),
        list(Review.objects.order_by("pk").values_list("pk", "book_id", "review", "rating", "author_id")),
    )


# --- The authorization matrix ------------------------------------------------------
# Every book and review URL × {anonymous, creator, another member} × {GET, POST}:
# (url name, who, method) -> expected status, and whether the database may change.
LOGIN = "login"
MATRIX = [
    ("book_list", "anonymous", "get", 200, False),
    ("book_list", "creator", "get", 200, False),
    ("book_list", "other", "get", 200, False),
    ("book_list", "anonymous", "post", 405, False),
    ("book_list", "creator", "post", 405, False),
    ("book_list", "other", "post", 405, False),
    ("book_detail", "anonymous", "get", 200, False),
    ("book_detail", "creator", "get", 200, False),
    ("book_detail", "other", "get", 200, False),
    ("book_detail", "anonymous", "post", 405, False),
    ("book_detail", "creator", "post", 405, False),
    ("book_detail", "other", "post", 405, False),
    ("book_create", "anonymous", "get", LOGIN, False),
    ("book_create", "creator", "get", 200, False),
    ("book_create", "other", "get", 200, False),
    ("book_create", "anonymous", "post", LOGIN, False),
    ("book_create", "creator", "post", 302, True),
    ("book_create", "other", "post", 302, True),
    ("book_update", "anonymous", "get", LOGIN, False),
    ("book_update", "creator", "get", 200, False),
    ("book_update", "other", "get", 403, False),
    ("book_update", "anonymous", "post", LOGIN, False),
    ("book_update", "creator", "post", 302, True),
    ("book_update", "other", "post", 403, False),
    ("book_delete", "anonymous", "get", LOGIN, False),
    ("book_delete", "creator", "get", 200, False),
    ("book_delete", "other", "get", 403, False),
    ("book_delete", "anonymous", "post", LOGIN, False),
    ("book_delete", "creator", "post", 302, True),
    ("book_delete", "other", "post", 403, False),
    ("review_create", "anonymous", "get", LOGIN, False),
    ("review_create", "creator", "get", 302, False),
    ("review_create", "other", "get", 302, False),
    ("review_create", "anonymous", "post", LOGIN, False),
    ("review_create", "creator", "post", 302, True),
    ("review_create", "other", "post", 302, True),
]


@pytest.mark.parametrize(("name", "who", "method", "expected", "may_change"), MATRIX)
def test_authorization_matrix(client, book, member, other_member, name, who, method, expected, may_change):
    ReviewFactory(book=book)
    if who == "creator":
        client.force_login(member)
    elif who == "other":
        client.force_login(other_member)
    takes_pk = name not in ("book_list", "book_create")
    url = reverse(name, args=[book.pk]) if takes_pk else reverse(name)
    data = VALID_REVIEW if name == "review_create" else VALID_BOOK
    before = snapshot()

    response = getattr(client, method)(url, data) if method == "post" else client.get(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login") + "?next=")
    else:
        assert response.status_code == expected
    if expected == 403:
        assert b"only the member who added this book" in response.content.lower()
    if not may_change:
        assert snapshot() == before


# The review URLs × {anonymous, the review's author, another member, staff} × {GET, POST}.
# Staff are not authors here: they remove a review through the admin (tested below).
REVIEW_MATRIX = [
    ("review_update", "anonymous", "get", LOGIN, False),
    ("review_update", "author", "get", 200, False),
    ("review_update", "other", "get", 403, False),
    ("review_update", "staff", "get", 403, False),
    ("review_update", "anonymous", "post", LOGIN, False),
    ("review_update", "author", "post", 302, True),
    ("review_update", "other", "post", 403, False),
    ("review_update", "staff", "post", 403, False),
    ("review_delete", "anonymous", "get", LOGIN, False),
    ("review_delete", "author", "get", 200, False),
    ("review_delete", "other", "get", 403, False),
    ("review_delete", "staff", "get", 403, False),
    ("review_delete", "anonymous", "post", LOGIN, False),
    ("review_delete", "author", "post", 302, True),
    ("review_delete", "other", "post", 403, False),
    ("review_delete", "staff", "post", 403, False),
    ("member_detail", "anonymous", "get", 200, False),
    ("member_detail", "author", "get", 200, False),
    ("member_detail", "other", "get", 200, False),
    ("member_detail", "staff", "get", 200, False),
    ("member_detail", "anonymous", "post", 405, False),
    ("member_detail", "author", "post", 405, False),
    ("member_detail", "other", "post", 405, False),
    ("member_detail", "staff", "post", 405, False),
]


@pytest.mark.parametrize(("name", "who", "method", "expected", "may_change"), REVIEW_MATRIX)
def test_review_authorization_matrix(client, book, other_member, member, name, who, method, expected, may_change):
    review = ReviewFactory(book=book, author=other_member, review="Mine.", rating=2)
    users = {"author": other_member, "other": member, "staff": UserFactory(username="staff", is_staff=True)}
    if who in users:
        client.force_login(users[who])
    url = reverse(name, args=[other_member.username if name == "member_detail" else review.pk])
    before = snapshot()

    data = {"review": "Changed.", "rating": "4"}
    response = client.post(url, data) if method == "post" else client.get(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url == f"{reverse('account_login')}?next={url}"
    else:
        assert response.status_code == expected
    if expected == 403:
        assert "Only the member who wrote this review can change or delete it." in response.content.decode()
    if not may_change:
        assert snapshot() == before
    elif name == "review_update":
        review.refresh_from_db()
        assert (review.review, review.rating) == ("Changed.", 4)
    else:
        assert not Review.objects.filter(pk=review.pk).exists()


@pytest.mark.parametrize("path", ["/reviews/abc/update/", "/reviews/999999/update/", "/reviews/999999/delete/"])
def test_unknown_or_malformed_review_is_404(member_client, path):
    assert member_client.get(path).status_code == 404


def test_unknown_member_is_404(client):
    assert client.get(reverse("member_detail", args=["nobody"])).status_code == 404


# --- Anonymous visitors ------------------------------------------------------------------
def test_anonymous_is_sent_to_log_in_and_back_to_the_form(client):
    response = client.get(reverse("book_create"))
    assert response.url == f"{reverse('account_login')}?next=/books/create/"


def test_anonymous_review_post_comes_back_to_the_book_after_log_in(client, book):
    response = client.post(reverse("review_create", args=[book.pk]), VALID_REVIEW)
    assert response.url == f"{reverse('account_login')}?next=/books/{book.pk}/"
    assert Review.objects.count() == 0


def test_visitor_sees_the_review_form_with_its_submit_button_and_no_csrf_token(client, book):
    html = client.get(book.get_absolute_url()).content.decode()
    assert "Leave a Review" in html and ">Submit Review</button>" in html
    assert 'name="review"' in html and "data-signed-out" in html
    assert "csrfmiddlewaretoken" not in html  # so the visitor's page stays cacheable


def test_visitors_tokenless_review_post_goes_to_log_in_not_to_a_csrf_failure(book):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("review_create", args=[book.pk]), VALID_REVIEW)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/books/{book.pk}/"
    assert not Review.objects.exists()
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # nothing stored for the visitor


def test_members_review_post_without_a_csrf_token_is_refused(book, other_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    response = client.post(reverse("review_create", args=[book.pk]), VALID_REVIEW)
    assert response.status_code == 403
    assert not Review.objects.exists()


# --- Create ---------------------------------------------------------------------------------
def test_member_creates_a_book_and_becomes_its_creator(member_client, member, other_member):
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "creator": other_member.pk}, follow=True)
    book = Book.objects.get()
    assert book.creator == member  # never a form field
    assert response.redirect_chain[-1][0] == book.get_absolute_url()
    assert "was added" in response.content.decode()


def test_member_creates_a_book_with_a_cover(member_client, settings):
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": cover_upload()})
    assert response.status_code == 302
    book = Book.objects.get()
    assert book.cover.name.startswith("covers/")
    assert book.cover_thumbnail.name.startswith("covers/")
    assert (settings.MEDIA_ROOT / book.cover.name).is_file()
    assert (settings.MEDIA_ROOT / book.cover_thumbnail.name).is_file()


def test_create_form_shows_the_cover_field(member_client):
    response = member_client.get(reverse("book_create"))
    assert response.templates[0].name == "books/book_form.html"
    assert b'name="cover"' in response.content
    assert b'enctype="multipart/form-data"' in response.content


# --- Bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "-1.00", "greater than or equal to 0"),
        ("price", "ten", "Enter a number"),
        ("title", "x" * 300, "at most 200 characters"),
        ("title", "", "This field is required"),
        ("author", "", "This field is required"),
    ],
)
def test_bad_book_input_re_renders_the_form_with_the_error_beside_the_field(member_client, field, value, message):
    data = {**VALID_BOOK, field: value}
    response = member_client.post(reverse("book_create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    # crispy renders the message in the field's own feedback element
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert Book.objects.count() == 0


def test_a_file_that_is_not_an_image_is_refused_beside_the_cover_field(member_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("cover.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": upload})
    assert response.status_code == 200
    assert "cover" in response.context["form"].errors
    assert response.context["form"]["title"].value() == VALID_BOOK["title"]
    assert Book.objects.count() == 0
    stored = list(settings.MEDIA_ROOT.rglob("*.*")) if settings.MEDIA_ROOT.exists() else []
    assert stored == []


@pytest.mark.parametrize("path", ["/books/not-a-uuid/", "/books/123/update/", "/books/zzz/delete/", "/books/1/review/"])
def test_malformed_uuid_is_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("name", ["book_detail", "book_update", "book_delete", "review_create"])
def test_unknown_uuid_is_404(member_client, name):
    response = member_client.get(reverse(name, args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_review_without_text_is_an_error_and_nothing_is_saved(member_client, book):
    response = member_client.post(reverse("review_create", args=[book.pk]), {"review": "", "rating": "3"})
    assert response.status_code == 200
    assert "review" in response.context["review_form"].errors
    assert b"Leave a Review" in response.content
    assert Review.objects.count() == 0


@pytest.mark.parametrize("rating", ["0", "6", "abc"])
def test_review_with_a_rating_out_of_range_is_an_error(member_client, book, rating):
    response = member_client.post(reverse("review_create", args=[book.pk]), {"review": "ok", "rating": rating})
    assert "rating" in response.context["review_form"].errors
    assert Review.objects.count() == 0


# --- Detail -----------------------------------------------------------------------------------
def test_detail_shows_the_book_its_reviews_newest_first_and_the_review_form(client, book):
    ReviewFactory(book=book, review="First thoughts", rating=3)
    ReviewFactory(book=book, review="Second thoughts", rating=5)
    response = client.get(book.get_absolute_url())
    content = response.content.decode()
    assert response.templates[0].name == "books/book_detail.html"
    assert book.title in content and book.author in content and "12.50" in content
    assert 'Added by <a href="/members/alice/">alice</a>' in content
    assert content.index("Second thoughts") < content.index("First thoughts")
    assert "Leave a Review" in content
    assert "4.0" in content  # the average of 3 and 5


def test_detail_shows_edit_and_delete_only_to_the_creator(client, book, other_member, member):
    edit_url = reverse("book_update", args=[book.pk])
    assert edit_url not in client.get(book.get_absolute_url()).content.decode()
    client.force_login(other_member)
    assert edit_url not in client.get(book.get_absolute_url()).content.decode()
    client.force_login(member)
    content = client.get(book.get_absolute_url()).content.decode()
    assert edit_url in content
    assert reverse("book_delete", args=[book.pk]) in content
    assert "Submit Review" in content


# --- Text limits ------------------------------------------------------------------------------
def test_an_oversize_description_is_refused_with_a_message_and_nothing_changes(member_client, book):
    before = snapshot(), Book.objects.get().description
    huge = "x" * 1_900_000  # what an attacker sent: 1.9 MB, within the request size cap
    response = member_client.post(reverse("book_update", args=[book.pk]), {**VALID_BOOK, "description": huge})
    assert response.status_code == 200
    assert "A description may be at most 10000 characters long; this one has 1900000." in response.content.decode()
    assert (snapshot(), Book.objects.get().description) == before


def test_an_oversize_description_adds_no_book(member_client):
    response = member_client.post(reverse("book_create"), {**VALID_BOOK, "description": "x" * 10_001})
    assert "A description may be at most 10000 characters long" in response.content.decode()
    assert not Book.objects.exists()


def test_a_description_of_exactly_the_limit_is_saved(member_client):
    member_client.post(reverse("book_create"), {**VALID_BOOK, "description": "x" * 10_000})
    assert len(Book.objects.get().description) == 10_000


def test_an_oversize_review_is_refused_with_a_message(member_client, book):
    response = member_client.post(reverse("review_create", args=[book.pk]), {"review": "x" * 5_001})
    assert "A review may be at most 5000 characters long; this one has 5001." in response.content.decode()
    assert not Review.objects.exists()


# --- Update ------------------------------------------------------------------------------------
def test_update_keeps_the_current_cover_when_no_new_file_is_chosen(member_client, member):
    member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": cover_upload()})
    book = Book.objects.get()
    cover, thumbnail = book.cover.name, book.cover_thumbnail.name
    response = member_client.post(reverse("book_update", args=[book.pk]), {**VALID_BOOK, "title": "New"})
    assert response.status_code == 302
    book.refresh_from_db()
    assert (book.title, book.cover.name, book.cover_thumbnail.name) == ("New", cover, thumbnail)


def test_update_replaces_the_cover_and_removes_the_old_files(
    member_client, settings, django_capture_on_commit_callbacks
):
    member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": cover_upload()})
    book = Book.objects.get()
    old = [settings.MEDIA_ROOT / book.cover.name, settings.MEDIA_ROOT / book.cover_thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(
            reverse("book_update", args=[book.pk]),
            {**VALID_BOOK, "cover": cover_upload("new.png", "PNG", "image/png", mode="RGBA", color=(0, 0, 0, 90))},
        )
    book.refresh_from_db()
    assert book.cover.name.endswith(".png")
    assert (settings.MEDIA_ROOT / book.cover.name).is_file()
    assert not any(path.exists() for path in old)


def test_creator_can_remove_the_cover(member_client, settings, django_capture_on_commit_callbacks):
    member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": cover_upload()})
    book = Book.objects.get()
    old = settings.MEDIA_ROOT / book.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(reverse("book_update", args=[book.pk]), {**VALID_BOOK, "cover-clear": "on"})
    book.refresh_from_db()
    assert not book.cover and not book.cover_thumbnail
    assert not old.exists()


# --- Delete -------------------------------------------------------------------------------------
def test_delete_asks_for_confirmation_then_removes_book_reviews_and_files(
    member_client, settings, django_capture_on_commit_callbacks
):
    member_client.post(reverse("book_create"), {**VALID_BOOK, "cover": cover_upload()})
    book = Book.objects.get()
    ReviewFactory.create_batch(2, book=book)
    files = [settings.MEDIA_ROOT / book.cover.name, settings.MEDIA_ROOT / book.cover_thumbnail.name]
    url = reverse("book_delete", args=[book.pk])

    confirmation = member_client.get(url)
    assert confirmation.templates[0].name == "books/book_confirm_delete.html"
    assert Book.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("book_list")
    assert "was deleted" in response.content.decode()
    assert not Book.objects.exists() and not Review.objects.exists()
    assert not any(path.exists() for path in files)


# --- Reviews ------------------------------------------------------------------------------------
def test_member_posts_a_review_with_a_rating(other_client, other_member, book):
    response = other_client.post(reverse("review_create", args=[book.pk]), VALID_REVIEW, follow=True)
    review = Review.objects.last()
    assert (review.author, review.book, review.rating) == (other_member, book, 5)
    assert "A wonderful read." in response.content.decode()
    assert response.redirect_chain == [(book.get_absolute_url(), 302)]
    book.refresh_from_db()
    assert (book.review_count, book.rating_average) == (1, Decimal("5.00"))


def test_posted_review_answers_302_to_exactly_the_book_with_a_link_to_the_review(other_client, book):
    response = other_client.post(reverse("review_create", args=[book.pk]), VALID_REVIEW)
    assert (response.status_code, response["Location"]) == (302, book.get_absolute_url())
    page = other_client.get(response["Location"]).content.decode()
    review = Review.objects.get()
    assert f'your review was posted. <a href="#review-{review.pk}">Read it</a>' in page
    assert f'id="review-{review.pk}"' in page


def test_review_rating_is_optional(member_client, book):
    member_client.post(reverse("review_create", args=[book.pk]), {"review": "No stars from me."})
    assert Review.objects.get().rating is None


def test_list_shows_books_to_everyone(client):
    BookFactory(title="Piranesi")
    response = client.get(reverse("book_list"))
    assert response.templates[0].name == "books/book_list.html"
    assert "Piranesi" in response.content.decode()


# --- Owning a review ------------------------------------------------------------------------
def test_author_edits_a_review_and_the_book_shows_the_new_text_and_rating(other_client, book, other_member):
    review = ReviewFactory(book=book, author=other_member, review="Too slow.", rating=2)
    edit_page = other_client.get(reverse("review_update", args=[review.pk])).content.decode()
    assert "Too slow." in edit_page and "Save review" in edit_page

    response = other_client.post(
        reverse("review_update", args=[review.pk]), {"review": "It grew on me.", "rating": "5"}
    )

    assert response["Location"] == f"{book.get_absolute_url()}#review-{review.pk}"
    page = other_client.get(book.get_absolute_url()).content.decode()
    assert "It grew on me." in page and "Too slow." not in page and "Your review was updated." in page
    book.refresh_from_db()
    assert (book.rating_count, book.rating_average, book.rating_5_count, book.rating_2_count) == (
        1,
        Decimal("5.00"),
        1,
        0,
    )


def test_refused_edit_keeps_the_review_and_lands_on_the_field(other_client, book, other_member):
    review = ReviewFactory(book=book, author=other_member, review="Keep me.", rating=2)
    response = other_client.post(reverse("review_update", args=[review.pk]), {"review": "", "rating": "3"})
    assert response.status_code == 200
    assert 'aria-invalid="true" aria-describedby="id_review_error" autofocus' in response.content.decode()
    review.refresh_from_db()
    assert (review.review, review.rating) == ("Keep me.", 2)


def test_author_deletes_a_review_after_confirming_and_the_counts_follow(other_client, book, other_member):
    review = ReviewFactory(book=book, author=other_member, review="Regrettable.", rating=1)
    ReviewFactory(book=book, rating=5)
    confirmation = other_client.get(reverse("review_delete", args=[review.pk])).content.decode()
    assert "Delete your review of" in confirmation and "Regrettable." in confirmation
    assert Review.objects.filter(pk=review.pk).exists()

    response = other_client.post(reverse("review_delete", args=[review.pk]), follow=True)

    assert response.redirect_chain == [(book.get_absolute_url(), 302)]
    assert "Your review was deleted." in response.content.decode()
    assert "Regrettable." not in response.content.decode()
    book.refresh_from_db()
    assert (book.review_count, book.rating_count, book.rating_average, book.rating_1_count) == (
        1,
        1,
        Decimal("5.00"),
        0,
    )


def test_only_the_author_sees_edit_and_delete_links_on_their_review(client, book, member, other_member):
    review = ReviewFactory(book=book, author=other_member)
    edit = reverse("review_update", args=[review.pk])
    assert edit not in client.get(book.get_absolute_url()).content.decode()
    client.force_login(member)
    assert edit not in client.get(book.get_absolute_url()).content.decode()
    client.force_login(other_member)
    page = client.get(book.get_absolute_url()).content.decode()
    assert edit in page and reverse("review_delete", args=[review.pk]) in page


def test_staff_remove_a_review_in_the_admin_and_the_book_page_follows(client, book, other_member):
    ReviewFactory(book=book, author=other_member, review="Spam spam spam.", rating=1)
    keep = ReviewFactory(book=book, review="A fair review.", rating=4)
    spam = Review.objects.get(review="Spam spam spam.")
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))

    response = client.post(f"/admin/books/review/{spam.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(Review.objects.all()) == [keep]
    page = Client().get(book.get_absolute_url()).content.decode()
    assert "Spam spam spam." not in page and "A fair review." in page
    book.refresh_from_db()
    assert (book.review_count, book.rating_count, book.rating_average) == (1, 1, Decimal("4.00"))


# --- The reviews of a book: pages, sorts, distribution ------------------------------------------
def test_reviews_come_twenty_a_page_and_links_keep_the_sort(client, book):
    for n in range(45):
        ReviewFactory(book=book, review=f"Review number {n:02}.", rating=1 + n % 5)
    first = client.get(book.get_absolute_url(), {"sort": "oldest"}).content.decode()
    assert first.count('class="review border-bottom') == 20
    assert "Review number 00." in first and "Review number 20." not in first
    assert 'href="?sort=oldest&amp;page=2#reviews"' in first

    last = client.get(book.get_absolute_url(), {"sort": "oldest", "page": 3}).content.decode()
    assert last.count('class="review border-bottom') == 5
    assert "Review number 44." in last


@pytest.mark.parametrize("page", ["junk", "0", "-1", "999", "1.5"])
def test_a_junk_review_page_number_is_forgiven(client, book, page):
    ReviewFactory.create_batch(25, book=book)
    response = client.get(book.get_absolute_url(), {"page": page, "sort": "nonsense"})
    assert response.status_code == 200
    assert response.context["review_page"].number in (1, 2)
    assert response.context["review_sort"] == "newest"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["unrated", "five", "one", "three"]),
        ("oldest", ["three", "one", "five", "unrated"]),
        ("highest", ["five", "three", "one", "unrated"]),
        ("lowest", ["one", "three", "five", "unrated"]),
    ],
)
def test_reviews_sort_by_time_or_rating_with_unrated_last(client, book, sort, expected):
    for text, rating in (("three", 3), ("one", 1), ("five", 5), ("unrated", None)):
        ReviewFactory(book=book, review=text, rating=rating)
    reviews = client.get(book.get_absolute_url(), {"sort": sort}).context["reviews"]
    assert [review.review for review in reviews] == expected


def test_distribution_reads_as_numbers_with_the_bars_hidden_from_screen_readers(client, book):
    for rating in (5, 5, 5, 4, 1):
        ReviewFactory(book=book, rating=rating)
    page = client.get(book.get_absolute_url()).content.decode()
    assert "Ratings: 5 members, each counted once" in page
    for text in ("5 stars: 3 (60%)", "4 stars: 1 (20%)", "3 stars: 0 (0%)", "2 stars: 0 (0%)", "1 star: 1 (20%)"):
        assert f'<span class="rating-bar-label">{text}</span>' in page
    assert '<progress class="rating-bar" max="100" value="60" aria-hidden="true"></progress>' in page


def test_write_a_review_link_leads_to_the_form(client, book):
    page = client.get(book.get_absolute_url()).content.decode()
    assert page.index('href="#leave-review">Write a review</a>') < page.index('id="leave-review"')


def test_refused_review_puts_focus_on_the_field_with_the_error(member_client, book):
    page = member_client.post(reverse("review_create", args=[book.pk]), {"review": "", "rating": "4"}).content.decode()
    assert 'aria-invalid="true" aria-describedby="id_review_error" autofocus' in page
    assert page.count("autofocus") == 1


# --- Member pages ---------------------------------------------------------------------------------
def test_member_page_lists_their_books_and_reviews_and_names_link_there(client, book, member, other_member):
    ReviewFactory(book=book, author=other_member, review="Bob takes it slowly.", rating=3)
    BookFactory(title="Not Alice's", creator=other_member)
    page = client.get(reverse("member_detail", args=["alice"])).content.decode()
    assert book.title in page and "Not Alice's" not in page
    assert "1 book added" in page and "0 reviews written" in page

    bob = client.get(reverse("member_detail", args=["bob"])).content.decode()
    assert "Bob takes it slowly." in bob and f'href="{book.get_absolute_url()}"' in bob
    detail = client.get(book.get_absolute_url()).content.decode()
    assert '<a href="/members/bob/">bob</a>' in detail


def test_member_page_pages_their_reviews_twenty_at_a_time(client, other_member):
    book = BookFactory()
    for n in range(25):
        ReviewFactory(book=book, author=other_member, review=f"Note {n:02}.")
    first = client.get(reverse("member_detail", args=["bob"])).content.decode()
    assert "Note 24." in first and "Note 04." not in first
    assert 'href="?books_page=1&amp;reviews_page=2#reviews"' in first
    second = client.get(reverse("member_detail", args=["bob"]), {"reviews_page": "2"}).content.decode()
    assert "Note 04." in second and "Note 24." not in second
    assert client.get(reverse("member_detail", args=["bob"]), {"reviews_page": "junk"}).status_code == 200


def test_signed_in_member_has_an_account_menu(member_client):
    page = member_client.get(reverse("book_list")).content.decode()
    for name in ("account_email", "account_change_password", "account_logout"):
        assert f'href="{reverse(name)}"' in page or f'action="{reverse(name)}"' in page
    assert 'href="/members/alice/">Your page</a>' in page
    assert 'data-bs-toggle="dropdown"' in page


# --- The look -------------------------------------------------------------------------------------
def test_a_book_without_a_cover_gets_a_designed_cover_with_its_title_and_author(client, book):
    detail = client.get(book.get_absolute_url()).content.decode()
    assert f'role="img" aria-label="No cover: {book.title} by {book.author}"' in detail
    assert f'<span class="cover-art-title">{book.title}</span>' in detail
    listing = client.get(reverse("book_list")).content.decode()
    assert 'class="cover cover-art cover-tint-' in listing and 'aria-hidden="true"' in listing


def test_every_page_loads_the_site_css_the_title_face_and_the_sort_script(client, book):
    page = client.get(reverse("book_list")).content.decode()
    for asset in ("css/site.css", "fonts/literata-600.woff2", "js/sort-on-change.js", "img/logo.svg"):
        assert f"/static/{asset}" in page
    assert "data-sort-on-change" in page and ">Sort</button>" in page  # the button is the fallback without scripts
