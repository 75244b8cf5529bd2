from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import ModelFormMixin

from accounts.models import CustomUser
from covers import incoming
from covers.files import CoverStorageError

from . import cache, exporting, holes
from . import search as searching
from .filters import BookFilters
from .forms import BookForm, ImportForm, ReviewForm, looked_up_form
from .languages import language_name
from .models import EARLIEST_YEAR, Book, BookQuerySet, ImportJob, Review, SearchWord, Subject
from .ratelimits import limit_writes
from .services import book_delete, book_save, review_add, review_delete, review_edit

# django-stubs' generics, which these classes do not support at run time.
if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    _OwnedObjectMixin = SingleObjectMixin[Any]
    _BookFormMixin = ModelFormMixin[Book, BookForm]
    _BookPaginator = Paginator[Book]
    _ReviewPaginator = Paginator[Review]
else:
    _OwnedObjectMixin, _BookFormMixin = SingleObjectMixin, ModelFormMixin
    _BookPaginator = _ReviewPaginator = Paginator


class OwnerRequiredMixin(LoginRequiredMixin, _OwnedObjectMixin):
    """Lets only the object's owner through (its `is_editable_by`); visitors go to log in,
    everyone else signed in gets the 403 page with `not_owner_message`."""

    request: HttpRequest
    not_owner_message = _("Only the member who added this book can change or delete it.")

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Any:
        obj = super().get_object(queryset)
        if not obj.is_editable_by(self.request.user):
            self.request.denied_object = obj  # type: ignore[attr-defined]  # the 403 page links back to it
            raise PermissionDenied(self.not_owner_message)
        return obj


class BookFormMixin(_BookFormMixin):
    """Saves a BookForm through the service that stores the cover safely."""

    request: HttpRequest
    object: Any
    form_class = BookForm
    template_name: str | None = "books/book_form.html"
    success_message: str | _StrPromise = ""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "uploader": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # With S3, static/js/direct-upload.js posts the cover straight to the bucket; with
        # local storage (or no JS) the form posts the file to this view as always.
        if incoming.available(Book._meta.get_field("cover").storage):
            book = getattr(self, "object", None)
            context["direct_upload_url"] = (
                reverse("api-v1:start_direct_upload", args=[book.pk])
                if book is not None and book.pk
                else reverse("api-v1:start_unbound_direct_upload")
            )
        return context

    def form_valid(self, form: BookForm) -> HttpResponse:
        try:
            self.object = book_save(
                book=form.save(commit=False),
                creator=self.get_creator(),
                cover=form.new_cover,
                remove_cover=form.clears_cover,
                subjects=form.cleaned_data["subjects"],
            )
        except CoverStorageError as exc:
            form.add_error("cover", str(exc))
            return self.form_invalid(form)
        except Book.DoesNotExist as exc:
            raise Http404(_("This book was deleted meanwhile.")) from exc
        messages.success(self.request, self.success_message % {"title": self.object.title})
        return redirect(self.object)

    def get_creator(self) -> CustomUser | None:
        return None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "lookup" not in request.POST:
            return super().post(request, *args, **kwargs)  # type: ignore[misc]  # the edit views' post
        # "Fill from Open Library": nothing is saved; the form comes back filled, or as it was.
        self.object = self.get_object() if isinstance(self, UpdateView) else None
        form, message, found = looked_up_form(request.POST, self.object)
        (messages.success if found else messages.error)(request, message)
        return self.render_to_response(self.get_context_data(form=form))  # type: ignore[attr-defined]


SEARCH_MAX_LENGTH = 100
SORT_CHOICES = (("newest", _("Newest")), ("title", _("Title")), ("price", _("Price")), ("rating", _("Rating")))


class CataloguePaginator(_BookPaginator):
    """A paginator whose count of books found is cached under the version of what searches and
    filters find (cache.matches_version) and whose pages are id-first (docs/ARCHITECTURE.md,
    "Fast pages at any size")."""

    def __init__(
        self,
        object_list: BookQuerySet,
        *args: Any,
        count_label: str,
        first_page: tuple[list[str], BookQuerySet] | None = None,
        priced: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, *args, **kwargs)
        self.queryset = object_list
        self.count_label = count_label
        self.priced = priced  # counted under a price filter: its count depends on prices
        # The first page's ids, when already known, and the books to fetch them from.
        self.first_page = first_page

    @cached_property
    def count(self) -> int:
        version = functools.partial(cache.matches_version, priced=self.priced)
        return cache.cached_count(self.queryset, self.count_label, version)

    def page(self, number: Any) -> Page[Book]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        books = self.queryset
        ids: Any  # the first page's list, or a slice of the queryset's ids
        if number == 1 and self.first_page is not None:
            ids, books = self.first_page
        elif bottom > self.count // 2:
            # Past the middle, walk the index from the other end: the last page costs what
            # the first does, and no page skips more than half the catalogue.
            ids = self.queryset.reverse().values("pk")[self.count - top : self.count - bottom]
        else:
            ids = self.queryset.values("pk")[bottom:top]
        # Left lazy: when the page's cards come from the fragment cache, the books are
        # never fetched (the template tests the count, not the list).
        return Page(books.filter(pk__in=ids), number, self)


class CachedCountPaginator(_ReviewPaginator):
    """A paginator whose count is cached per catalogue version; its page is a lazy slice,
    so a page whose list comes from the fragment cache never fetches its rows."""

    def __init__(self, object_list: QuerySet[Review], per_page: int, *, count_label: str, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list
        self.count_label = count_label

    @cached_property
    def count(self) -> int:
        return cache.cached_count(self.queryset, self.count_label)


class BookListView(ListView):
    """The catalogue and search results, sorted, a page at a time."""

    model = Book
    paginate_by = 24
    paginator_class = CataloguePaginator
    context_object_name = "book_list"
    template_name = "books/book_list.html"

    @cached_property
    def search_query(self) -> str:
        # NUL is refused by PostgreSQL in a query string; the search box caps the length.
        return self.request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]

    @cached_property
    def sort(self) -> str:
        """The ?sort= value; a search is in order of relevance unless another sort is asked for."""
        sort = self.request.GET.get("sort", "")
        if sort in BookQuerySet.SORTS or (sort == BookQuerySet.RELEVANCE and self.search_query):
            return sort
        return self.default_sort

    @property
    def default_sort(self) -> str:
        return BookQuerySet.RELEVANCE if self.search_query else BookQuerySet.DEFAULT_SORT

    @cached_property
    def filters(self) -> BookFilters:
        return BookFilters.from_query(self.request.GET)

    @cached_property
    def filter_key(self) -> str:
        """The filters set, canonical: part of every key of this page's cached parts."""
        return urlencode(self.filters.params())

    @cached_property
    def matches(self) -> tuple[BookQuerySet, str, int, str]:
        """The books found, their count label and count, and the query searched for instead
        when nothing matched exactly ("" when the words themselves matched)."""
        books = self.filters.apply(Book.objects.for_cards())
        label = f"books:{self.search_query}:{self.filter_key}"
        found = books.search(self.search_query)
        count = self._count(found, label, self.search_query)
        if count or not self.search_query or connection.vendor != "postgresql":
            return found, label, count, ""
        typed = list(dict.fromkeys(searching.fold(self.search_query).split()))
        meant = [self._meant(word) for word in typed]
        if meant == typed:
            return found, label, 0, ""
        similar = books.search(" ".join(meant))
        label = f"books:{' '.join(meant)}:{self.filter_key}"
        count = self._count(similar, label, " ".join(meant))
        if not count:
            return found, label, 0, ""
        self.searched_query = " ".join(meant)
        closest = similar.sorted_by(BookQuerySet.RELEVANCE).values_list("title", "author")[:3]
        corrected = searching.corrected_query(meant, (f"{title} {author}" for title, author in closest))
        return similar, label, count, corrected

    def _count(self, found: BookQuerySet, label: str, query: str) -> int:
        # On PostgreSQL the count comes with the filter counts, from one reading of the matches.
        total = self._facets_of(query).get("total")
        if total is not None:
            return total
        return cache.cached_count(found, label, functools.partial(cache.matches_version, priced=self.filters.priced))

    def _facets_of(self, query: str) -> dict[str, Any]:
        counted = self.__dict__.setdefault("_counted", {})  # once per request, cache or not
        if query not in counted:
            counted[query] = self.filters.facets(Book.objects.for_cards().search(query), f"{query}:{self.filter_key}")
        return counted[query]

    @staticmethod
    def _meant(word: str) -> str:
        """The word itself when some book has it (or it is too short to guess), else the closest known word."""
        if len(word) < 3 or SearchWord.objects.filter(word__contains=word).exists():
            return word
        return SearchWord.closest(word) or word

    def get_queryset(self) -> BookQuerySet:
        return self.matches[0].sorted_by(self.sort)

    def get_paginator(  # type: ignore[override]  # counts are labelled by search
        self, queryset: BookQuerySet, per_page: int, **kwargs: Any
    ) -> CataloguePaginator:
        # Counts differ by search only: the sort does not change how many books match.
        _, label, count, _ = self.matches
        first_page = None
        if self.search_query and self.sort == BookQuerySet.RELEVANCE and per_page == self.paginate_by:
            searched = self.searched_query or self.search_query
            ids = self._facets_of(searched).get("first_page")
            if ids is not None:
                # Fetched by primary key alone, ranked as the search ranks: these ids are the
                # search's and the filters' own first page. With the search's LIKE '%word%' in
                # the statement, the planner (which cannot estimate it) read every match of a
                # common word again to pick 24 out: 10 ms of "harbor" at 100,000 books.
                first_page = (ids, Book.objects.for_cards().ranked(searched).sorted_by(BookQuerySet.RELEVANCE))
        paginator = CataloguePaginator(
            queryset, per_page, count_label=label, first_page=first_page, priced=self.filters.priced, **kwargs
        )
        paginator.__dict__["count"] = count  # counted already, to choose between exact and similar
        return paginator

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Paginator[Book], Page[Book], Any, bool]:
        """A junk page number shows the first page, one past the end the last: never a 404 or 500."""
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        sort_choices: tuple[tuple[str, Any], ...] = SORT_CHOICES
        if self.search_query:
            sort_choices = ((BookQuerySet.RELEVANCE, _("Relevance")), *SORT_CHOICES)
        context.update(
            search_query=self.search_query,
            corrected_query=self.matches[3],
            filters=self.filters,
            filter_key=self.filter_key,
            facets=self._facets(),
            active_filters=self._active_filters(),
            years=(EARLIEST_YEAR, timezone.now().year + 1),
            default_sort=self.default_sort,
            sort=self.sort,
            sort_choices=sort_choices,
            page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            # Page links keep the search and the sort; the default sort stays out of URLs.
            page_query=urlencode(self._link_params()),
        )
        return context

    def _link_params(self) -> dict[str, str]:
        params = {}
        if self.search_query:
            params["q"] = self.search_query
        params.update(self.filters.params())
        if self.sort != self.default_sort:
            params["sort"] = self.sort
        return params

    searched_query = ""  # the corrected words, when a misspelling was searched for instead

    def _facets(self) -> dict[str, Any]:
        """The filter counts of what the page shows: the corrected search's, if corrected."""
        self.matches  # noqa: B018 - decides which search the page shows
        return self._facets_of(self.searched_query or self.search_query)

    def _active_filters(self) -> list[dict[str, str]]:
        """Each filter set, with the link that removes it (keeping the search and the rest)."""
        labels: dict[str, Callable[[str], str]] = {
            "subject": lambda v: self.filters.subject_name,
            "language": language_name,
            "year_min": lambda v: gettext("From %(value)s") % {"value": v},
            "year_max": lambda v: gettext("Until %(value)s") % {"value": v},
            "price_min": lambda v: gettext("From %(value)s") % {"value": v},
            "price_max": lambda v: gettext("Up to %(value)s") % {"value": v},
            "rating": lambda v: gettext("%(stars)s stars & up") % {"stars": v},
        }
        active = []
        for name, value in self.filters.params().items():
            kept = {k: v for k, v in self._link_params().items() if k != name}
            active.append({"label": labels[name](value), "remove": "?" + urlencode(kept)})
        return active


REVIEWS_PER_PAGE = Review.REVIEWS_PER_PAGE
REVIEW_SORT_CHOICES = (
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("highest", _("Highest rating")),
    ("lowest", _("Lowest rating")),
)


class KnownCountPaginator(_ReviewPaginator):
    """A paginator told its count (a stored counter), so a page costs no COUNT query."""

    def __init__(self, object_list: QuerySet[Review], per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


class BookDetailView(DetailView):
    """One book with its rating distribution, a page of its reviews and the review form."""

    model = Book
    context_object_name = "book"
    template_name = "books/book_detail.html"
    queryset = Book.objects.select_related("creator").prefetch_related("subjects")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**detail_context(self.request, self.object), **kwargs)


def review_sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in Review.SORTS else Review.DEFAULT_SORT


def detail_context(request: HttpRequest, book: Book, review_form: ReviewForm | None = None) -> dict[str, Any]:
    sort = review_sort(request)
    reviews = book.reviews.select_related("author").order_by(*Review.SORTS[sort])
    # book.review_count is kept true by every review write: no COUNT over the reviews.
    paginator = KnownCountPaginator(reviews, REVIEWS_PER_PAGE, count=book.review_count)
    page = paginator.get_page(request.GET.get("page"))  # junk shows page 1, too far the last
    link_params = {"sort": sort} if sort != Review.DEFAULT_SORT else {}
    return {
        "book": book,
        "reviews": page.object_list,
        "review_page": page,
        "review_page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "review_page_query": urlencode(link_params),
        "review_sort": sort,
        "review_sort_choices": REVIEW_SORT_CHOICES,
        "review_form": review_form or ReviewForm(),
        # Whose reviews fragment: the members' shared copy has holes for each one's links.
        "fragment_reader": "members" if holes.is_member_copy(request) else request.user.pk,
        **cache.fragment_context(),
    }


@method_decorator(limit_writes("book"), name="post")
class BookCreateView(LoginRequiredMixin, BookFormMixin, CreateView):
    """Add a book; the creator is always the signed-in member."""

    success_message = _("“%(title)s” was added.")

    def get_creator(self) -> CustomUser | None:
        return self.request.user  # type: ignore[return-value]  # LoginRequiredMixin let only members in


class BookUpdateView(OwnerRequiredMixin, BookFormMixin, UpdateView):
    """Change a book, keeping its cover unless a new one is chosen or it is removed."""

    model = Book
    success_message = _("“%(title)s” was updated.")


class BookDeleteView(OwnerRequiredMixin, DeleteView):
    """Delete a book after a confirmation page; its reviews and files go with it."""

    model = Book
    template_name = "books/book_confirm_delete.html"
    success_url = reverse_lazy("book_list")

    def form_valid(self, form: Any) -> HttpResponse:
        book_delete(book=self.object)  # False: deleted meanwhile, as asked
        messages.success(self.request, _("“%(title)s” was deleted.") % {"title": self.object.title})
        return redirect(self.get_success_url())


# Exempt only so that a visitor's form, rendered without a token to keep the page cacheable,
# reaches the log-in redirect; a member's post is checked by csrf_protect in _post_review.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@limit_writes("review")
def review_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Post a review of a book; a GET just goes back to the book."""
    book = get_object_or_404(Book.objects.select_related("creator"), pk=pk)
    if not request.user.is_authenticated:
        # Come back to the book's page, not to this POST-only address. Nothing is written.
        return redirect_to_login(book.get_absolute_url())
    if request.method == "GET":
        return redirect(book)
    return _post_review(request, book)


@csrf_protect
def _post_review(request: HttpRequest, book: Book) -> HttpResponse:
    form = ReviewForm(request.POST)
    if form.is_valid():
        review = form.save(commit=False)
        review.book = book
        review.author = request.user
        try:
            review_add(review=review)
        except Book.DoesNotExist as exc:
            raise Http404(gettext("This book was deleted meanwhile; your review was not posted.")) from exc
        messages.success(
            request,
            format_html(gettext('Thank you, your review was posted. <a href="#review-{}">Read it</a>.'), review.pk),
        )
        return redirect(book)
    messages.error(request, _("Your review was not posted: please correct the errors below."))
    return render(request, "books/book_detail.html", detail_context(request, book, form))


class ReviewUpdateView(OwnerRequiredMixin, UpdateView):
    """Change a review; only its author may."""

    model = Review
    form_class = ReviewForm
    template_name = "books/review_form.html"
    not_owner_message = _("Only the member who wrote this review can change or delete it.")

    def get_queryset(self) -> QuerySet[Review]:
        return Review.objects.select_related("book")

    def form_valid(self, form: ReviewForm) -> HttpResponse:
        try:
            review = review_edit(review=form.save(commit=False))
        except (Review.DoesNotExist, Book.DoesNotExist) as exc:
            raise Http404(_("This review was deleted meanwhile.")) from exc
        messages.success(self.request, _("Your review was updated."))
        return redirect(review)  # to its page of the book's reviews


class ReviewDeleteView(OwnerRequiredMixin, DeleteView):
    """Delete a review after a confirmation page; only its author may."""

    model = Review
    template_name = "books/review_confirm_delete.html"
    not_owner_message = ReviewUpdateView.not_owner_message

    def get_queryset(self) -> QuerySet[Review]:
        return Review.objects.select_related("book")

    def get_success_url(self) -> str:
        return self.object.book.get_absolute_url()

    def form_valid(self, form: Any) -> HttpResponse:
        review_delete(review=self.object)
        messages.success(self.request, _("Your review was deleted."))
        return redirect(self.get_success_url())


MEMBER_BOOKS_PER_PAGE = 12
MEMBER_REVIEWS_PER_PAGE = Review.REVIEWS_PER_PAGE


@require_http_methods(["GET", "HEAD"])
def member_detail(request: HttpRequest, username: str) -> HttpResponse:
    """A member's public page: the books they added and the reviews they wrote, newest first.

    Like a book's page, it costs the same at 3 reviews as at 5,000: both counts are cached
    per catalogue version, and both lists are template fragments under that version, so a
    warm page fetches only the member.
    """
    member = get_object_or_404(get_user_model(), username=username)
    books = CataloguePaginator(
        Book.objects.for_cards().filter(creator=member).order_by("-created_at", "-id"),
        MEMBER_BOOKS_PER_PAGE,
        count_label=f"member-books:{member.pk}",
    ).get_page(request.GET.get("books_page"))
    reviews = CachedCountPaginator(
        member.reviews.select_related("book")
        .only("id", "review", "rating", "created_at", "author_id", "book__id", "book__title", "book__author")
        .order_by("-id"),
        MEMBER_REVIEWS_PER_PAGE,
        count_label=f"member-reviews:{member.pk}",
    ).get_page(request.GET.get("reviews_page"))
    context = {
        "member": member,
        "books_page": books,
        "reviews_page": reviews,
        "books_page_range": books.paginator.get_elided_page_range(books.number, on_each_side=2, on_ends=1),
        "reviews_page_range": reviews.paginator.get_elided_page_range(reviews.number, on_each_side=2, on_ends=1),
        "books_query": urlencode({"reviews_page": reviews.number}),
        "reviews_query": urlencode({"books_page": books.number}),
        **cache.fragment_context(),
    }
    return render(request, "books/member_detail.html", context)


BOOKS_PER_GROUP_PAGE = 24


def _book_group(request: HttpRequest, books: BookQuerySet, context: dict[str, Any]) -> HttpResponse:
    """A page of book cards sharing an author or a subject, newest first."""
    page = Paginator(books.for_cards().order_by("-created_at", "-id"), BOOKS_PER_GROUP_PAGE).get_page(
        request.GET.get("page")
    )
    context.update(
        page_obj=page,
        is_paginated=page.has_other_pages(),
        page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    )
    return render(request, "books/book_group.html", context)


@require_http_methods(["GET", "HEAD"])
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The books whose author has this slug; 404 when there are none."""
    books = Book.objects.filter(author_slug=slug)
    first = books.only("author").order_by("created_at", "id").first()
    if first is None:
        raise Http404(gettext("No books by this author."))
    return _book_group(request, books, {"heading": first.author, "kind": "author"})


@require_http_methods(["GET", "HEAD"])
def subject_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The books of one subject."""
    subject = get_object_or_404(Subject, slug=slug)
    return _book_group(request, subject.books.all(), {"heading": subject.name, "kind": "subject"})


def _csv_download(lines: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"bookstore-{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET"])
def export_my_books(request: HttpRequest) -> StreamingHttpResponse:
    """The books the member added, as Bookstore's CSV (it imports back)."""
    books = Book.objects.filter(creator=request.user.pk)
    return _csv_download(exporting.book_lines(books), f"books-{request.user.get_username()}")


@login_required
@require_http_methods(["GET"])
def export_my_reviews(request: HttpRequest) -> StreamingHttpResponse:
    """The reviews the member wrote, with the book each is about."""
    reviews = Review.objects.filter(author=request.user.pk)
    return _csv_download(exporting.review_lines(reviews), f"reviews-{request.user.get_username()}")


@login_required
@require_http_methods(["GET"])
def export_catalogue(request: HttpRequest) -> StreamingHttpResponse:
    """Every book, with the member who added it: for staff only."""
    if not request.user.is_staff:
        raise PermissionDenied(gettext("Only staff can export the whole catalogue."))
    return _csv_download(exporting.book_lines(Book.objects.all(), with_creator=True), "catalogue")


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(gettext("Only staff can import books."))


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Staff upload a CSV; the worker imports it while they watch its page."""
    _staff_only(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from .tasks import run_import

        file_name, data = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            creator=cast(CustomUser, request.user),
            file_name=file_name,
            data=data,
            dry_run=form.cleaned_data["dry_run"],
            language=translation.get_language() or "",
        )
        run_import.enqueue(job.pk)
        return redirect(job)
    jobs = ImportJob.objects.filter(creator=request.user.pk).defer("data", "skipped_rows")[:10]
    return render(request, "books/import_start.html", {"form": form, "jobs": jobs})


@login_required
@require_http_methods(["GET", "HEAD"])
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's progress (the page refreshes itself until it is finished) and report."""
    _staff_only(request)
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk, creator=request.user.pk)
    return render(request, "books/import_job.html", {"job": job})


SUGGESTIONS = 8


@require_http_methods(["GET"])
def book_suggest(request: HttpRequest) -> JsonResponse:
    """Up to 8 books for what is typed in the search box (static/js/search-suggest.js): the
    same search as the list, by relevance. Not stored server-side (each keystroke would be a
    cache entry); the browser keeps an answer for a minute."""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    found = searching.query_words(query) or searching.query_isbn(query)
    books = _suggest(query) if found else []
    response = JsonResponse({"query": query, "books": books})
    patch_cache_control(response, public=True, max_age=60)
    return response


SUGGESTION_CANDIDATES = 200


def _suggest(query: str) -> list[dict[str, Any]]:
    # Ranked among the 200 best-rated matches only: a 3-letter prefix matches thousands of
    # books, and ranking them all costs ten times the 15 ms a keystroke may take. The
    # candidates walk the rating index and stop early when matches are common; rare words
    # take the trigram index instead.
    # Both queries are built without the parts they do not need: on every keystroke, building
    # the ranking expression twice cost more than running the SQL.
    matches = Book.objects.matching(query).sorted_by("rating").values("pk")[:SUGGESTION_CANDIDATES]
    found = (
        Book.objects.only("id", "title", "author", "cover_thumbnail")
        .filter(pk__in=matches)
        .ranked(query)
        .sorted_by("relevance")
    )
    return [
        {
            "title": book.title,
            "author": book.author,
            "url": book.get_absolute_url(),
            "thumbnail": book.cover_thumbnail.url if book.cover_thumbnail else None,
        }
        for book in found[:SUGGESTIONS]
    ]
