"""The JSON API under /api/v1/ (django-ninja): the site's catalogue, its rules and its services.

Every write goes through what the site's views use: `BookForm`/`ReviewForm` for validation
(the same messages), `books.services` for books, `is_editable_by` for ownership.
"""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.forms import BaseForm
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from ninja import File, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from pydantic import Field

from books import cache, ratelimits
from books.filters import BookFilters as SiteBookFilters
from books.forms import BookForm, ReviewForm
from books.models import Book, BookQuerySet, Review
from books.services import book_delete, book_save, review_add, review_delete, review_edit
from books.views import OwnerRequiredMixin, ReviewUpdateView
from covers.files import CoverStorageError

from . import auth, cursors, schemas
from . import cache as api_cache
from .ratelimit import RateLimited

api = NinjaAPI(
    title="Bookstore API",
    version="1",
    urls_namespace="api-v1",
    docs_url=None,  # served at /api/docs/ (api/urls.py)
    description="Books, reviews and members. Reads need no credentials; writes need a personal "
    "access token (`Authorization: Bearer bk_…`) or the site's session with its CSRF token.",
)

BOOK_NOT_OWNER = str(OwnerRequiredMixin.not_owner_message)  # the API answers in English
REVIEW_NOT_OWNER = str(ReviewUpdateView.not_owner_message)
MAX_PAGE = 100
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
BOOK_FIELDS = ["title", "author", "price", "description"]  # BookForm's, less the cover

COMMON = {400: schemas.Error, 401: schemas.Error, 429: schemas.Error}
READ_ERRORS = {404: schemas.Error, 422: schemas.Error, **COMMON}
WRITE_ERRORS = {
    403: schemas.Error,
    404: schemas.Error,
    422: schemas.Error,
    503: schemas.Error,
    **COMMON,
}


# --- errors: always {"detail": …, "errors": {field: [messages]}} ----------------------------------


def error(request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(item.get("loc", ("",))[0] == "path" for item in exc.errors):
        return error(request, 404, "Not Found")  # a malformed id is an unknown id
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload", "query", "form", "file")]
        fields.setdefault(".".join(loc) or "__all__", []).append(str(item.get("msg", "Invalid value.")))
    return error(request, 422, "Invalid input.", fields)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error(request, 429, "Too many requests: try again later.")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ratelimits.TooManyWrites)
def too_many_writes(request: HttpRequest, exc: ratelimits.TooManyWrites) -> HttpResponse:
    """The site's per-member limits on new books and reviews hold through the API too."""
    noun = ratelimits.NOUNS[exc.action]
    with translation.override("en"):  # the API's messages are English
        wait = ratelimits.in_words(exc.retry_after)
    response = error(request, 429, f"Too many new {noun}: try again in {wait}.")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = str(exc.message) if getattr(exc, "message", None) else "Sign in or send a personal access token."
    response = error(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, str(exc.message))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "Not Found")


@api.exception_handler(MultiPartParserError)
def malformed_body(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error(request, 400, "The request body could not be parsed.")


@api.exception_handler(cursors.BadCursor)
def bad_cursor(request: HttpRequest, exc: cursors.BadCursor) -> HttpResponse:
    return error(request, 400, str(exc))


@api.exception_handler(CoverStorageError)
def storage_down(request: HttpRequest, exc: CoverStorageError) -> HttpResponse:
    response = error(request, 503, str(exc), {"cover": [str(exc)]})
    response["Retry-After"] = "30"
    return response


class FormInvalid(Exception):
    def __init__(self, form: BaseForm) -> None:
        super().__init__("Invalid input.")
        self.errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}


@api.exception_handler(FormInvalid)
def form_invalid(request: HttpRequest, exc: FormInvalid) -> HttpResponse:
    return error(request, 422, "Invalid input.", exc.errors)


# --- what the answers hold ------------------------------------------------------------------------


def caller(request: HttpRequest) -> auth.Caller:
    return request.auth  # type: ignore[attr-defined]  # set by every auth in auth.py


def _url(field: Any) -> str | None:
    return field.url if field else None


@functools.cache
def _book_url() -> str:
    return reverse("book_detail", args=[PLACEHOLDER])


def card_from_values(row: dict[str, Any]) -> dict[str, Any]:
    """A card from a `.values()` row: lists build no model instances (their signals and URL
    reversing were two thirds of the time of a page of 24)."""
    thumbnail = row["cover_thumbnail"]
    return {
        "id": row["id"],
        "title": row["title"],
        "author": row["author"],
        "price": str(row["price"]),
        "rating_average": None if row["rating_average"] is None else str(row["rating_average"]),
        "rating_count": row["rating_count"],
        "review_count": row["review_count"],
        "thumbnail_url": _thumbnail_storage().url(thumbnail) if thumbnail else None,
        "created_at": row["created_at"],
        "url": _book_url().replace(PLACEHOLDER, str(row["id"])),
    }


def _thumbnail_storage() -> Any:
    return Book._meta.get_field("cover_thumbnail").storage


def book_card(book: Book) -> dict[str, Any]:
    return {
        "id": book.id,
        "title": book.title,
        "author": book.author,
        "price": str(book.price),
        "rating_average": None if book.rating_average is None else str(book.rating_average),
        "rating_count": book.rating_count,
        "review_count": book.review_count,
        "thumbnail_url": _url(book.cover_thumbnail),
        "created_at": book.created_at,
        "url": book.get_absolute_url(),
    }


def book_detail(book: Book, request: HttpRequest) -> dict[str, Any]:
    return {
        **book_card(book),
        "description": book.description,
        "cover_url": _url(book.cover),
        "creator": book.creator.get_username(),
        "updated_at": book.updated_at,
        "rating_distribution": {str(bar["stars"]): bar["count"] for bar in book.rating_distribution()},
        "editable": book.is_editable_by(caller(request).user),
    }


def review_out(review: Review, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": review.pk,
        "book": review.book_id,
        "book_title": review.book.title,
        "author": review.author.get_username(),
        "review": review.review,
        "rating": review.rating,
        "created_at": review.created_at,
        "editable": review.is_editable_by(caller(request).user),
    }


def member_out(member: Any) -> dict[str, Any]:
    return {
        "username": member.get_username(),
        "date_joined": member.date_joined,
        # The same cached counts as the member's page.
        "book_count": cache.cached_count(Book.objects.filter(creator=member), f"member-books:{member.pk}"),
        "review_count": cache.cached_count(member.reviews.all(), f"member-reviews:{member.pk}"),
        "url": f"/members/{member.get_username()}/",
    }


# --- books ----------------------------------------------------------------------------------------


class BookFilters(Schema):
    q: str = Field(
        default="",
        max_length=1000,
        description="The site's search: every word, in any order, in title, author, ISBN, publisher or subjects.",
    )
    sort: str = Field(default="newest", description="newest, title, price or rating; anything else is newest.")
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")
    limit: int = Field(default=24, ge=1, le=MAX_PAGE)
    # The site's filters, read as its list page reads them (books.filters): a malformed value is
    # left out, never an error, so a link copied from the site gives the same books.
    subject: str = Field(default="", max_length=100, description="A subject's slug, as in /subjects/<slug>/.")
    language: str = Field(default="", max_length=20, description="ISO 639 code, e.g. en.")
    year_min: str = Field(default="", max_length=20, description="Published in or after this year.")
    year_max: str = Field(default="", max_length=20, description="Published in or before this year.")
    price_min: str = Field(default="", max_length=20, description="At least this price.")
    price_max: str = Field(default="", max_length=20, description="At most this price.")
    rating: str = Field(default="", max_length=20, description="Average rating of at least this many stars (1-5).")

    def site_filters(self) -> SiteBookFilters:
        names = ("subject", "language", "year_min", "year_max", "price_min", "price_max", "rating")
        query = QueryDict(mutable=True)
        for name in names:
            if value := getattr(self, name):
                query[name] = value
        return SiteBookFilters.from_query(query)


@api.get("/books", response={200: schemas.BookPage, **READ_ERRORS}, auth=auth.READ, tags=["books"])
def list_books(request: HttpRequest, filters: Query[BookFilters]) -> HttpResponse:
    """The catalogue, with the site's search and sorts, a page at a time."""
    # The same for every caller: cached like the site's list pages (api/cache.py).
    site_filters = filters.site_filters()
    params = api_cache.list_params(filters.q, filters.sort, filters.cursor, filters.limit, site_filters)
    query, sort, cursor, limit, _chosen = params
    key = api_cache.list_key(params) if api_cache.timeout() else None
    if key is not None and (body := cache.page_cache().get(key)) is not None:
        return api_cache.json_response(body, hit=True)
    rows, next_cursor = cursors.page(
        site_filters.apply(Book.objects.search(query)).values(*BookQuerySet.CARD_FIELDS),
        cursors.BOOK_SORTS[sort],
        cursor or None,
        limit,
        scope=f"books:{sort}",
    )
    page = schemas.BookPage.model_validate(
        {"items": [card_from_values(row) for row in rows], "next_cursor": next_cursor}
    )
    body = page.model_dump_json().encode()
    if key is not None and api_cache.may_store_list(params):
        cache.page_cache().set(key, body, timeout=api_cache.timeout())
    return api_cache.json_response(body)


@api.post("/books", response={201: schemas.BookDetail, **WRITE_ERRORS}, auth=auth.WRITE, tags=["books"])
def create_book(request: HttpRequest, payload: schemas.BookIn) -> Status[dict[str, Any]]:
    """Add a book; its creator is the caller."""
    form = BookForm(data=_form_data(payload.dict()), instance=Book())
    with ratelimits.counted(request, "book"):
        book = _save_book(form, creator=caller(request).user)
    return Status(201, book_detail(book, request))


@api.get("/books/{book_id}", response={200: schemas.BookDetail, **READ_ERRORS}, auth=auth.READ, tags=["books"])
def get_book(request: HttpRequest, book_id: UUID) -> dict[str, Any]:
    return book_detail(get_object_or_404(Book.objects.select_related("creator"), pk=book_id), request)


@api.patch("/books/{book_id}", response={200: schemas.BookDetail, **WRITE_ERRORS}, auth=auth.WRITE, tags=["books"])
def update_book(request: HttpRequest, book_id: UUID, payload: schemas.BookPatch) -> dict[str, Any]:
    """Change the given fields of a book; only its creator may."""
    book = _own_book(request, book_id)
    data = {**model_to_dict(book, fields=BOOK_FIELDS), **payload.dict(exclude_unset=True)}
    book = _save_book(BookForm(data=_form_data(data), instance=book))
    return book_detail(book, request)


@api.delete("/books/{book_id}", response={204: None, **WRITE_ERRORS}, auth=auth.WRITE, tags=["books"])
def delete_book(request: HttpRequest, book_id: UUID) -> Status[None]:
    """Delete a book with its reviews and cover; only its creator may."""
    if not book_delete(book=_own_book(request, book_id)):
        raise Http404("This book was deleted meanwhile.")
    return Status(204, None)


@api.post(
    "/books/{book_id}/cover", response={200: schemas.BookDetail, **WRITE_ERRORS}, auth=auth.WRITE, tags=["covers"]
)
def upload_cover(request: HttpRequest, book_id: UUID, cover: File[UploadedFile]) -> dict[str, Any]:
    """Replace the cover with an uploaded JPEG, PNG or WebP (multipart field `cover`)."""
    return book_detail(save_cover(request, _own_book(request, book_id), cover), request)


@api.delete(
    "/books/{book_id}/cover", response={200: schemas.BookDetail, **WRITE_ERRORS}, auth=auth.WRITE, tags=["covers"]
)
def remove_cover(request: HttpRequest, book_id: UUID) -> dict[str, Any]:
    book = _own_book(request, book_id)
    data = model_to_dict(book, fields=BOOK_FIELDS)
    book = _save_book(BookForm(data={**_form_data(data), "cover-clear": "on"}, instance=book))
    return book_detail(book, request)


def save_cover(request: HttpRequest, book: Book, upload: Any) -> Book:
    """Run an uploaded file through the site's form (the cover pipeline) and book_save."""
    data = model_to_dict(book, fields=BOOK_FIELDS)
    return _save_book(BookForm(data=_form_data(data), files={"cover": upload}, instance=book))


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    return {name: ("" if value is None else str(value)) if name == "price" else value for name, value in data.items()}


def _own_book(request: HttpRequest, book_id: UUID) -> Book:
    book = get_object_or_404(Book.objects.select_related("creator"), pk=book_id)
    if not book.is_editable_by(caller(request).user):
        raise HttpError(403, BOOK_NOT_OWNER)
    return book


def _save_book(form: BookForm, creator: Any = None) -> Book:
    if not form.is_valid():
        raise FormInvalid(form)
    try:
        return book_save(
            book=form.save(commit=False), creator=creator, cover=form.new_cover, remove_cover=form.clears_cover
        )
    except Book.DoesNotExist as exc:
        raise Http404("This book was deleted meanwhile.") from exc


# --- reviews --------------------------------------------------------------------------------------


class ReviewFilters(Schema):
    sort: str = Field(default="newest", description="newest, oldest, highest or lowest.")
    cursor: str | None = None
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)


def _review_page(request: HttpRequest, reviews: Any, filters: ReviewFilters, scope: str) -> dict[str, Any]:
    sort = filters.sort if filters.sort in cursors.REVIEW_SORTS else "newest"
    rows, next_cursor = cursors.page(
        reviews.select_related("author", "book").only(
            "id", "review", "rating", "created_at", "author__id", "author__username", "book__id", "book__title"
        ),
        cursors.REVIEW_SORTS[sort],
        filters.cursor,
        filters.limit,
        scope=f"{scope}:{sort}",
    )
    return {"items": [review_out(review, request) for review in rows], "next_cursor": next_cursor}


@api.get(
    "/books/{book_id}/reviews", response={200: schemas.ReviewPage, **READ_ERRORS}, auth=auth.READ, tags=["reviews"]
)
def list_reviews(request: HttpRequest, book_id: UUID, filters: Query[ReviewFilters]) -> dict[str, Any]:
    book = get_object_or_404(Book.objects.only("id"), pk=book_id)
    return _review_page(request, book.reviews.all(), filters, "reviews")


@api.post(
    "/books/{book_id}/reviews", response={201: schemas.ReviewOut, **WRITE_ERRORS}, auth=auth.WRITE, tags=["reviews"]
)
def create_review(request: HttpRequest, book_id: UUID, payload: schemas.ReviewIn) -> Status[dict[str, Any]]:
    """Review a book (any member, any number of times)."""
    book = get_object_or_404(Book, pk=book_id)
    form = ReviewForm(data=_review_data(payload.dict()))
    if not form.is_valid():
        raise FormInvalid(form)
    review = form.save(commit=False)
    review.book = book
    review.author = caller(request).user  # WRITE auth: a member
    with ratelimits.counted(request, "review"):
        try:
            review_add(review=review)
        except Book.DoesNotExist as exc:
            raise Http404("This book was deleted meanwhile.") from exc
    return Status(201, review_out(review, request))


@api.get("/reviews/{review_id}", response={200: schemas.ReviewOut, **READ_ERRORS}, auth=auth.READ, tags=["reviews"])
def get_review(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return review_out(get_object_or_404(Review.objects.select_related("author", "book"), pk=review_id), request)


@api.patch("/reviews/{review_id}", response={200: schemas.ReviewOut, **WRITE_ERRORS}, auth=auth.WRITE, tags=["reviews"])
def update_review(request: HttpRequest, review_id: int, payload: schemas.ReviewPatch) -> dict[str, Any]:
    review = _own_review(request, review_id)
    data = {"review": review.review, "rating": review.rating, **payload.dict(exclude_unset=True)}
    form = ReviewForm(data=_review_data(data), instance=review)
    if not form.is_valid():
        raise FormInvalid(form)
    try:
        review = review_edit(review=form.save(commit=False))
    except (Review.DoesNotExist, Book.DoesNotExist) as exc:
        raise Http404("This review was deleted meanwhile.") from exc
    return review_out(review, request)


@api.delete("/reviews/{review_id}", response={204: None, **WRITE_ERRORS}, auth=auth.WRITE, tags=["reviews"])
def delete_review(request: HttpRequest, review_id: int) -> Status[None]:
    review_delete(review=_own_review(request, review_id))
    return Status(204, None)


def _own_review(request: HttpRequest, review_id: int) -> Review:
    review = get_object_or_404(Review.objects.select_related("author", "book"), pk=review_id)
    if not review.is_editable_by(caller(request).user):
        raise HttpError(403, REVIEW_NOT_OWNER)
    return review


def _review_data(data: dict[str, Any]) -> dict[str, Any]:
    return {"review": data.get("review"), "rating": "" if data.get("rating") is None else str(data["rating"])}


# --- members --------------------------------------------------------------------------------------


def _member(username: str) -> Any:
    if "\x00" in username:
        raise Http404
    return get_object_or_404(get_user_model(), username=username)


@api.get("/members/{username}", response={200: schemas.Member, **READ_ERRORS}, auth=auth.READ, tags=["members"])
def get_member(request: HttpRequest, username: str) -> dict[str, Any]:
    """A member's public page data."""
    return member_out(_member(username))


class MemberBookFilters(Schema):
    cursor: str | None = None
    limit: int = Field(default=24, ge=1, le=MAX_PAGE)


@api.get("/members/{username}/books", response={200: schemas.BookPage, **READ_ERRORS}, auth=auth.READ, tags=["members"])
def list_member_books(request: HttpRequest, username: str, filters: Query[MemberBookFilters]) -> dict[str, Any]:
    """The books a member added, newest first."""
    member = _member(username)
    rows, next_cursor = cursors.page(
        Book.objects.filter(creator=member).values(*BookQuerySet.CARD_FIELDS),
        cursors.BOOK_SORTS["newest"],
        filters.cursor,
        filters.limit,
        scope=f"member-books:{member.pk}",
    )
    return {"items": [card_from_values(row) for row in rows], "next_cursor": next_cursor}


@api.get(
    "/members/{username}/reviews", response={200: schemas.ReviewPage, **READ_ERRORS}, auth=auth.READ, tags=["members"]
)
def list_member_reviews(request: HttpRequest, username: str, filters: Query[ReviewFilters]) -> dict[str, Any]:
    """The reviews a member wrote."""
    member = _member(username)
    return _review_page(request, member.reviews.all(), filters, f"member-reviews:{member.pk}")


@api.get("/me", response={200: schemas.Me, **COMMON}, auth=auth.SIGNED_IN, tags=["members"])
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in member (session or token)."""
    who = caller(request)
    return {
        **member_out(who.user),
        "email": getattr(who.user, "email", ""),
        "token_name": who.token.name if who.token else None,
        "token_read_only": who.token.read_only if who.token else None,
    }


from . import direct_upload  # noqa: E402, F401  # registers its operations on `api`
